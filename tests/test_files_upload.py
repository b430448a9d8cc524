"""Uploads through the real app: variants, orientation, metadata, dedup, links, quota, events."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from PIL import Image

from gymhub.config import Config
from gymhub.server import make_app
from tests import imaging_samples as samples
from tests.support import bearer, create_user, error_of
from tests.test_files_kit import (
    make_meal,
    post_raw,
    raw_multipart,
    table_count,
    tree_files,
    upload,
    uploaded,
)

BOXES = {"large": 1920, "medium": 800, "thumbnail": 150}


async def fetch(client: TestClient, token: str, url: str) -> bytes:
    resp = await client.get(url, headers=bearer(token))
    assert resp.status == 200, (url, resp.status)
    return await resp.read()


async def test_variants_fit_their_boxes_and_never_upscale(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    token = people["client"]["token"]
    big = samples.make_jpeg(tmp_path / "big.jpg", size=(2400, 1800), orientation=1, gps=False)
    small = samples.make_png(tmp_path / "small.png", size=(120, 90))
    f = await uploaded(client, token, big.read_bytes(), filename="big.jpg")
    assert (f["width"], f["height"]) == (2400, 1800) and f["mime"] == "image/jpeg"
    for name, box in BOXES.items():
        v = f["variants"][name]
        assert max(v["width"], v["height"]) == box
        assert abs(v["width"] / v["height"] - 4 / 3) < 0.02
        with Image.open(io.BytesIO(await fetch(client, token, v["url"]))) as img:
            assert img.size == (v["width"], v["height"]) and img.format == "JPEG"
    g = await uploaded(client, token, small.read_bytes(), filename="small.png")
    for v in g["variants"].values():
        assert (v["width"], v["height"]) == (120, 90)  # a small image keeps its size


async def test_png_variants_only_where_a_pixel_is_transparent(
    client: TestClient, people: dict[str, Any]
) -> None:
    token = people["client"]["token"]
    for clear, fmt in ((False, "JPEG"), (True, "PNG")):
        img = samples.photo_like((400, 300), seed=2 + clear).convert("RGBA")
        if clear:
            img.putpixel((0, 0), (0, 0, 0, 0))
        data = io.BytesIO()
        img.save(data, "PNG")
        f = await uploaded(client, token, data.getvalue(), filename="rgba.png")
        assert f["mime"] == "image/png"
        for v in f["variants"].values():
            assert v["url"].endswith(".png" if clear else ".jpg"), v
            with Image.open(io.BytesIO(await fetch(client, token, v["url"]))) as variant:
                assert variant.format == fmt


async def test_exif_orientation_6_comes_out_upright(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    # Stored 400x300 with the left half red; orientation 6 means "rotate 90° clockwise to view".
    path = samples.make_split_jpeg(tmp_path / "side.jpg", size=(400, 300), orientation=6)
    token = people["client"]["token"]
    f = await uploaded(client, token, path.read_bytes())
    assert (f["width"], f["height"]) == (300, 400)
    data = await fetch(client, token, f["variants"]["large"]["url"])
    with Image.open(io.BytesIO(data)) as img:
        assert img.size == (300, 400)
        rgb = img.convert("RGB")
        top, bottom = rgb.getpixel((150, 20)), rgb.getpixel((150, 380))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] > 200 and top[2] < 60, top  # red (the stored left) is now on top
    assert bottom[2] > 200 and bottom[0] < 60, bottom


async def test_gps_never_reaches_a_variant(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    path = samples.make_jpeg(tmp_path / "gps.jpg", size=(640, 480), gps=True)
    token = people["client"]["token"]
    f = await uploaded(client, token, path.read_bytes())
    for v in f["variants"].values():
        data = await fetch(client, token, v["url"])
        with Image.open(io.BytesIO(data)) as img:
            assert "exif" not in img.info and not img.getexif()
            assert "xmp" not in img.info
        assert b"Exif\x00\x00" not in data and b"GPSLatitude" not in data
    # The owner's original still has it: it is theirs (and only theirs) to fetch.
    assert b"Exif" in await fetch(client, token, f["original_url"])


async def test_same_bytes_same_owner_and_category_is_the_same_file(
    client: TestClient, app: web.Application, people: dict[str, Any], tmp_path: Path
) -> None:
    data = samples.make_png(tmp_path / "a.png", size=(64, 64)).read_bytes()
    token = people["client"]["token"]
    first = await uploaded(client, token, data, filename="a.png")
    notes = table_count(app, "notifications")
    again = await upload(client, token, data, filename="again.png")
    assert again.status == 200
    assert (await again.json())["id"] == first["id"]
    assert table_count(app, "files") == 1 and table_count(app, "notifications") == notes
    assert len([n for n in tree_files(app) if n.startswith("meal_photos/")]) == 1
    assert not [n for n in tree_files(app) if n.startswith("temp/")]
    other = await uploaded(client, token, data, category="progress_photos")
    assert other["id"] != first["id"]  # another category is another file


async def test_the_same_photo_sent_for_a_meal_joins_it_once(
    client: TestClient, app: web.Application, people: dict[str, Any], tmp_path: Path
) -> None:
    """Dedup answers with the live file; a link it lacks is added, one it has is kept."""
    data = samples.make_png(tmp_path / "a.png", size=(48, 48)).read_bytes()
    token = people["client"]["token"]
    first = await uploaded(client, token, data)
    assert first["meal_completion_id"] is None
    lunch, dinner = await make_meal(client, token), await make_meal(client, token, "dinner")
    seed = "/api/nutrition/photos/upload?meal_completion_id={}"

    async def send(meal: int) -> dict[str, Any]:
        form = aiohttp.FormData()
        form.add_field("file", data, filename="p.png")
        resp = await client.post(seed.format(meal), data=form, headers=bearer(token))
        assert resp.status == 200, await resp.text()
        found: dict[str, Any] = await resp.json()
        assert found["id"] == first["id"]
        return found

    trainer = bearer(people["trainer"]["token"])

    async def trainers_notes() -> list[dict[str, Any]]:
        resp = await client.get("/api/notifications?since=0&limit=200", headers=trainer)
        return list((await resp.json())["notifications"])

    before = len(await trainers_notes())
    assert (await send(lunch))["meal_completion_id"] == lunch
    meal = await client.get(f"/api/nutrition/meals/{lunch}", headers=bearer(token))
    assert [p["id"] for p in (await meal.json())["photos"]] == [first["id"]]
    # The trainer hears of the photo joining the meal as of an upload.
    notes = await trainers_notes()
    assert len(notes) == before + 1 and notes[-1]["type"] == "FILE_UPLOADED"
    assert notes[-1]["data"]["file"]["meal_completion_id"] == lunch
    # Already lunch's: a photo belongs to one meal, and the answer says which.
    assert (await send(dinner))["meal_completion_id"] == lunch
    assert len(await trainers_notes()) == before + 1
    meal = await client.get(f"/api/nutrition/meals/{dinner}", headers=bearer(token))
    assert (await meal.json())["photos"] == []
    assert table_count(app, "files") == 1


async def test_trainer_uploads_for_an_assigned_client_only(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    data = samples.make_png(tmp_path / "t.png", size=(50, 40)).read_bytes()
    trainer, member = people["trainer"], people["client"]
    f = await uploaded(client, trainer["token"], data, owner_id=member["id"])
    assert f["owner_id"] == member["id"] and f["uploaded_by"] == trainer["id"]
    assert f["original_url"]  # the uploader may fetch what they uploaded
    resp = await upload(client, people["other_trainer"]["token"], data, owner_id=member["id"])
    await error_of(resp, 404, "not_found")
    resp = await upload(client, member["token"], data, owner_id=people["stranger"]["id"])
    await error_of(resp, 404, "not_found")


async def test_upload_notifications_are_per_recipient_and_in_the_same_commit(
    client: TestClient, app: web.Application, people: dict[str, Any], tmp_path: Path
) -> None:
    member, trainer = people["client"], people["trainer"]
    data = samples.make_jpeg(tmp_path / "n.jpg", size=(320, 240), orientation=1).read_bytes()
    f = await uploaded(client, member["token"], data)
    mine = await (await client.get("/api/notifications", headers=bearer(member["token"]))).json()
    theirs = await (await client.get("/api/notifications", headers=bearer(trainer["token"]))).json()
    up_mine = [n for n in mine["notifications"] if n["type"] == "FILE_UPLOADED"]
    up_theirs = [n for n in theirs["notifications"] if n["type"] == "FILE_UPLOADED"]
    assert len(up_mine) == 1 and len(up_theirs) == 1
    assert up_mine[0]["data"]["file"]["original_url"] == f["original_url"]
    assert up_theirs[0]["data"]["file"]["original_url"] is None  # GPS stays with the owner
    assert up_theirs[0]["data"]["file"]["variants"]["thumbnail"]["url"]
    assert up_theirs[0]["data"]["owner_id"] == member["id"]
    assert up_theirs[0]["data"]["uploaded_by"] == member["id"]
    other = await client.get("/api/notifications", headers=bearer(people["other_trainer"]["token"]))
    assert not (await other.json())["notifications"]
    resp = await client.delete(f"/api/files/{f['id']}", headers=bearer(member["token"]))
    assert resp.status == 204
    theirs = await (await client.get("/api/notifications", headers=bearer(trainer["token"]))).json()
    gone = [n for n in theirs["notifications"] if n["type"] == "FILE_DELETED"]
    assert gone and gone[0]["data"] == {
        "file_id": f["id"],
        "owner_id": member["id"],
        "category": "meal_photos",
        "deleted_by": member["id"],
    }


async def test_links_to_meals_and_progress_entries(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    member, stranger = people["client"], people["stranger"]
    meal = await make_meal(client, member["token"])
    theirs = await make_meal(client, stranger["token"])
    data = samples.make_png(tmp_path / "m.png", size=(30, 30)).read_bytes()
    # The field may come before the file part...
    f = await uploaded(client, member["token"], data, fields={"meal_completion_id": str(meal)})
    assert f["meal_completion_id"] == meal
    # ... or after it.
    import aiohttp

    body = aiohttp.FormData()
    body.add_field("file", data[:-1] + b"\x01", filename="x.png")
    body.add_field("meal_completion_id", str(theirs))
    resp = await client.post(
        "/api/files/upload?category=meal_photos", data=body, headers=bearer(member["token"])
    )
    await error_of(resp, 404, "not_found")
    for bad in ("abc", "-1", "1" * 30):
        resp = await upload(client, member["token"], data, fields={"meal_completion_id": bad})
        await error_of(resp, 400, "invalid_request")
    resp = await upload(
        client,
        member["token"],
        data,
        category="documents",
        fields={"meal_completion_id": str(meal)},
    )
    await error_of(resp, 400, "invalid_request")
    resp = await upload(
        client,
        member["token"],
        data,
        category="progress_photos",
        fields={"progress_entry_id": "999999"},
    )
    await error_of(resp, 404, "not_found")


async def test_seed_meal_photo_paths(
    client: TestClient, app: web.Application, people: dict[str, Any], tmp_path: Path
) -> None:
    member, trainer, stranger = people["client"], people["trainer"], people["stranger"]
    meal = await make_meal(client, member["token"])
    data = samples.make_png(tmp_path / "p.png", size=(40, 30)).read_bytes()

    def body() -> Any:
        import aiohttp

        form = aiohttp.FormData()
        form.add_field("file", data, filename="p.png")
        return form

    url = "/api/nutrition/photos/upload"
    resp = await client.post(
        f"{url}?meal_completion_id={meal}", data=body(), headers=bearer(member["token"])
    )
    assert resp.status == 201, await resp.text()
    f = await resp.json()
    assert f["meal_completion_id"] == meal and f["category"] == "meal_photos"
    resp = await client.post(
        f"{url}?meal_completion_id={meal}", data=body(), headers=bearer(stranger["token"])
    )
    await error_of(resp, 404, "not_found")
    for query in ("", "?meal_completion_id=x"):
        resp = await client.post(url + query, data=body(), headers=bearer(member["token"]))
        await error_of(resp, 400, "invalid_request")
    listed = await client.get("/api/nutrition/photos/list", headers=bearer(member["token"]))
    assert [p["id"] for p in (await listed.json())["photos"]] == [f["id"]]
    listed = await client.get(
        f"/api/nutrition/photos/list?client_id={member['id']}", headers=bearer(trainer["token"])
    )
    photos = (await listed.json())["photos"]
    assert [p["id"] for p in photos] == [f["id"]] and photos[0]["original_url"] is None
    for who in (stranger, people["other_trainer"]):
        resp = await client.get(
            f"/api/nutrition/photos/list?client_id={member['id']}", headers=bearer(who["token"])
        )
        await error_of(resp, 404, "not_found")
    assert table_count(app, "files") == 1


async def test_listing_pages_newest_first(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    member, trainer = people["client"], people["trainer"]
    ids = []
    for i in range(5):
        png = samples.make_png(tmp_path / f"{i}.png", size=(20 + i, 20))
        ids.append((await uploaded(client, member["token"], png.read_bytes()))["id"])
    seen: list[str] = []
    before = None
    while True:
        query = f"/api/files?owner_id={member['id']}&category=meal_photos&limit=2"
        resp = await client.get(
            query + (f"&before={before}" if before else ""), headers=bearer(trainer["token"])
        )
        page = await resp.json()
        seen += [f["id"] for f in page["files"]]
        before = page["next_before"]
        if before is None:
            break
    assert seen == ids[::-1]
    for query, status in (
        ("?category=videos", 400),
        ("?limit=0", 400),
        ("?before=../../x", 400),
        (f"?owner_id={member['id']}", 404),
    ):
        resp = await client.get("/api/files" + query, headers=bearer(people["stranger"]["token"]))
        assert resp.status == status, query
    resp = await client.get(
        f"/api/files/{ids[0]}", headers=bearer(people["other_trainer"]["token"])
    )
    await error_of(resp, 404, "not_found")


async def test_a_client_lists_its_trainers_profile_photos_only(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    trainer, member = people["trainer"], people["client"]
    png = samples.make_png(tmp_path / "me.png", size=(30, 30)).read_bytes()
    pdf = samples.make_pdf(tmp_path / "plan.pdf").read_bytes()
    photo = await uploaded(client, trainer["token"], png, category="profile_photos")
    await uploaded(client, trainer["token"], pdf, category="documents", filename="plan.pdf")
    path = f"/api/files?owner_id={trainer['id']}"
    listed = await client.get(path, headers=bearer(member["token"]))
    assert [f["id"] for f in (await listed.json())["files"]] == [photo["id"]]
    listed = await client.get(path + "&category=documents", headers=bearer(member["token"]))
    assert (await listed.json()) == {"files": [], "next_before": None}
    # Not their trainer, or not a client: nothing to see, as before.
    for who in (people["stranger"], people["other_trainer"]):
        await error_of(await client.get(path, headers=bearer(who["token"])), 404, "not_found")
    # The trainer still lists all of its own files.
    own = await client.get(path, headers=bearer(trainer["token"]))
    assert len((await own.json())["files"]) == 2


async def test_original_name_is_cleaned_for_display(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    token = people["client"]["token"]
    for i, (raw, shown) in enumerate(
        [
            ("../../etc/passwd.png", "passwd.png"),
            ("C:\\Users\\me\\pic.png", "pic.png"),
            ("x" * 5000 + ".png", "x" * 255),
        ]
    ):
        data = samples.make_png(tmp_path / f"n{i}.png", size=(10 + i, 10)).read_bytes()
        f = await uploaded(client, token, data, filename=raw)
        assert f["original_name"] == shown
        assert f["original_url"].endswith(f"/meal_photos/{f['id']}.png")
    # Control characters cannot be sent by aiohttp's client: by hand. NUL in a part header is
    # refused by the multipart parser (400); a bidi override is removed from the display name.
    data = samples.make_png(tmp_path / "ctl.png", size=(9, 9)).read_bytes()
    name = 'form-data; name="file"; filename="a\x00b.png"'
    resp = await post_raw(client, token, raw_multipart([(name, data)]))
    await error_of(resp, 400, "invalid_request")
    name = 'form-data; name="file"; filename="evil\u202egnp.exe"'
    resp = await post_raw(client, token, raw_multipart([(name, data)]))
    assert resp.status == 201, await resp.text()
    assert (await resp.json())["original_name"] == "evilgnp.exe"
    # Old browsers and requests/urllib3 send a Windows path with its backslashes as they are;
    # read as quoted-pair escapes they would vanish and leave the folders in the name. A real
    # escape (\" or \\) stays one.
    for i, (raw, shown) in enumerate(
        [
            ("C:\\Users\\alice\\Pictures\\photo.jpg", "photo.jpg"),
            ("..\\..\\win.png", "win.png"),
            ('say \\"cheese\\".png', 'say "cheese".png'),
            ('C:\\dir\\say \\"hi\\".png', 'say "hi".png'),
        ]
    ):
        data = samples.make_png(tmp_path / f"w{i}.png", size=(12 + i, 9)).read_bytes()
        name = f'form-data; name="file"; filename="{raw}"'
        resp = await post_raw(client, token, raw_multipart([(name, data)]))
        assert resp.status == 201, await resp.text()
        assert (await resp.json())["original_name"] == shown, raw


async def test_quota_counts_originals_and_variants(
    aiohttp_client: Any, config: Config, tmp_path: Path
) -> None:
    from tests.support import admin_token

    data = samples.make_jpeg(tmp_path / "q.jpg", size=(800, 600), orientation=1).read_bytes()
    limited = dataclasses.replace(config, quota_bytes=len(data) + 1000)
    client = await aiohttp_client(make_app(limited))
    admin = await admin_token(client)
    member = await create_user(client, admin, "client")
    resp = await upload(client, member["token"], data)
    message = await error_of(resp, 507, "quota_exceeded")
    assert "used" in message and "allowed" in message and str(len(data) + 1000) in message
    assert tree_files(client.app) == []
    assert table_count(client.app, "files") == 0


@pytest.mark.parametrize(
    ("content_type", "accepted"),
    [
        ("Multipart/Form-Data; boundary=B0undary", True),
        (" multipart/form-data ; boundary=B0undary", True),
        ("multipart/mixed; boundary=B0undary", False),
        ("multipart/form-data/x; boundary=B0undary", False),
        ("application/octet-stream", False),
    ],
)
async def test_the_body_type_is_read_from_the_header_in_any_case(
    client: TestClient, people: dict[str, Any], tmp_path: Path, content_type: str, accepted: bool
) -> None:
    jpeg = samples.make_jpeg(tmp_path / "a.jpg", size=(320, 240), gps=False).read_bytes()
    body = raw_multipart([('form-data; name="file"; filename="a.jpg"', jpeg)], "B0undary")
    resp = await client.post(
        "/api/files/upload?category=meal_photos",
        data=body,
        headers={**bearer(people["client"]["token"]), "Content-Type": content_type},
    )
    if accepted:
        assert resp.status == 201, await resp.text()
    else:
        assert "multipart/form-data" in await error_of(resp, 400, "invalid_request")
