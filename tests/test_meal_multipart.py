"""POST /api/nutrition/meals as multipart/form-data: a meal and up to six photos, all or nothing,
with one MEAL_COMPLETED carrying the photos, dedup against the client's photos, and keys."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from gymhub.config import Config
from gymhub.web.appkeys import config_key
from tests import imaging_samples as samples
from tests.support import bearer, error_of, make_config
from tests.test_files_kit import table_count, tree_files, uploaded

LIMIT = 300_000
MEALS = "/api/nutrition/meals"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path, limit_meal_photos=LIMIT)


def jpeg(tmp_path: Path, seed: int) -> bytes:
    path = samples.make_jpeg(tmp_path / f"p{seed}.jpg", size=(240 + seed, 180), gps=False)
    return path.read_bytes()


def meal_form(
    fields: dict[str, str], photos: list[bytes], boundary: str = "mealboundary"
) -> aiohttp.MultipartWriter:
    """The meal's fields, then one `file` part per photo (named 1.jpg, 2.jpg...)."""
    writer = aiohttp.MultipartWriter("form-data", boundary=boundary)
    for name, value in fields.items():
        writer.append(value).set_content_disposition("form-data", name=name)
    for number, data in enumerate(photos, 1):
        part = writer.append(io.BytesIO(data), {"Content-Type": "image/jpeg"})
        part.set_content_disposition("form-data", name="file", filename=f"{number}.jpg")
    return writer


async def post_meal(
    client: TestClient, token: str, fields: dict[str, str], photos: list[bytes], **headers: str
) -> aiohttp.ClientResponse:
    boundary = headers.pop("boundary", "mealboundary")
    return await client.post(
        MEALS, data=meal_form(fields, photos, boundary), headers={**bearer(token), **headers}
    )


async def notes_since(client: TestClient, token: str, since: int) -> list[dict[str, Any]]:
    resp = await client.get(f"/api/notifications?since={since}", headers=bearer(token))
    found: list[dict[str, Any]] = (await resp.json())["notifications"]
    return found


def snapshot(client: TestClient) -> tuple[int, int, int, list[str]]:
    app = client.app
    counts = (table_count(app, t) for t in ("meals", "files", "notifications"))
    return (*counts, tree_files(app))  # type: ignore[return-value]


def temp_is_empty(client: TestClient) -> bool:
    return not list((client.app[config_key].media_dir / "temp").iterdir())


async def test_a_meal_with_two_photos(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    member, trainer = people["client"], people["trainer"]
    resp = await post_meal(
        client,
        member["token"],
        {"meal_name": "Salad", "eaten_at": "2024-05-01T12:00:00+02:00", "notes": "with feta"},
        [jpeg(tmp_path, 1), jpeg(tmp_path, 2)],
    )
    assert resp.status == 201, await resp.text()
    meal = await resp.json()
    assert meal["meal_name"] == "Salad" and meal["notes"] == "with feta"
    assert meal["eaten_at"] == "2024-05-01T10:00:00.000Z"
    photos = meal["photos"]
    assert [p["original_name"] for p in photos] == ["1.jpg", "2.jpg"]
    assert all(p["meal_completion_id"] == meal["id"] and p["original_url"] for p in photos)
    assert len(tree_files(client.app)) == 8 and temp_is_empty(client)
    # One MEAL_COMPLETED each for the client and the trainer, carrying the photos as each may
    # see them; no FILE_UPLOADED besides it.
    for who, originals in ((member, True), (trainer, False)):
        (note,) = await notes_since(client, who["token"], 0)
        assert note["type"] == "MEAL_COMPLETED"
        shown = note["data"]["meal"]["photos"]
        assert [p["id"] for p in shown] == [p["id"] for p in photos]
        assert all(bool(p["original_url"]) is originals and p["variants"] for p in shown)
    # Reading it back: the trainer sees it, the other trainer and the stranger do not.
    resp = await client.get(f"{MEALS}/{meal['id']}", headers=bearer(trainer["token"]))
    assert len((await resp.json())["photos"]) == 2
    for who in ("other_trainer", "stranger"):
        resp = await client.get(f"{MEALS}/{meal['id']}", headers=bearer(people[who]["token"]))
        await error_of(resp, 404, "not_found")
    assert await notes_since(client, people["other_trainer"]["token"], 0) == []


async def test_who_may_post_a_meal_with_photos(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    photo = jpeg(tmp_path, 3)
    for who in (people["trainer"]["token"], people["admin"]):
        resp = await post_meal(client, who, {"meal_name": "x"}, [photo])
        await error_of(resp, 403, "forbidden")
    # Anonymous: without the session cookie the people fixture's logins left in the jar.
    client.session.cookie_jar.clear()
    resp = await client.post(MEALS, data=meal_form({"meal_name": "x"}, [photo]))
    await error_of(resp, 401, "unauthenticated")
    assert snapshot(client)[:2] == (0, 0) and temp_is_empty(client)


async def test_any_refusal_keeps_nothing(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    token = people["client"]["token"]
    good = jpeg(tmp_path, 4)
    pdf = samples.make_pdf(tmp_path / "menu.pdf").read_bytes()
    truncated = samples.make_truncated_jpeg(tmp_path / "cut.jpg", size=(400, 300)).read_bytes()
    before = snapshot(client)
    big = good[:-2] + b"\0" * LIMIT + b"\xff\xd9"
    seven = [jpeg(tmp_path, 10 + i) for i in range(7)]
    cases: list[tuple[dict[str, str], list[bytes], int, str, str]] = [
        ({"meal_name": "Seven"}, seven, 400, "invalid_request", "at most 6 photos"),
        ({"meal_name": "Pdf"}, [good, pdf], 415, "unsupported_type", "not accepted"),
        ({"meal_name": "Big"}, [good, big], 413, "too_large", "limit"),
        ({"meal_name": "Cut"}, [good, truncated], 422, "invalid_file", "truncated"),
        ({"notes": "no name"}, [good], 400, "invalid_request", "meal_name"),
        (
            {"meal_name": "Late", "eaten_at": "yesterday"},
            [good],
            400,
            "invalid_request",
            "eaten_at",
        ),
    ]
    for fields, photos, status, code, says in cases:
        resp = await post_meal(client, token, fields, photos)
        assert says in await error_of(resp, status, code), fields
        # No meal, no file row, nothing in the tree or temp, no notification.
        assert snapshot(client) == before, fields
        assert temp_is_empty(client), fields
    # The same photos are accepted once the bad one is gone: nothing was left half-stored.
    resp = await post_meal(client, token, {"meal_name": "Fine"}, [good])
    assert resp.status == 201


async def test_photos_the_client_already_has(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    token = people["client"]["token"]
    photo, fresh = jpeg(tmp_path, 5), jpeg(tmp_path, 6)
    loose = await uploaded(client, token, photo, filename="loose.jpg")
    # First meal: the loose photo is linked (no copy), a photo sent twice counts once.
    resp = await post_meal(client, token, {"meal_name": "One"}, [photo, fresh, fresh])
    first = await resp.json()
    assert resp.status == 201 and first["photos"][0]["id"] == loose["id"]
    assert len(first["photos"]) == 2 and table_count(client.app, "files") == 2
    # Second meal with the same photo: it belongs to a meal already, so a copy is stored.
    resp = await post_meal(client, token, {"meal_name": "Two"}, [photo])
    second = await resp.json()
    (copy,) = second["photos"]
    assert copy["id"] != loose["id"] and copy["sha256"] == loose["sha256"]
    assert copy["meal_completion_id"] == second["id"] and table_count(client.app, "files") == 3
    for meal in (first, second):
        resp = await client.get(f"{MEALS}/{meal['id']}", headers=bearer(token))
        assert photo_shas(await resp.json()) >= {loose["sha256"]}
    # The old upload route still answers identical bytes with 200 and the stored file.
    resp = await client.post(
        "/api/files/upload?category=meal_photos",
        data=meal_form({}, [photo]),
        headers=bearer(token),
    )
    assert resp.status == 200 and (await resp.json())["id"] == loose["id"]
    assert table_count(client.app, "files") == 3 and temp_is_empty(client)


def photo_shas(meal: dict[str, Any]) -> set[str]:
    return {p["sha256"] for p in meal["photos"]}


async def test_a_keyed_meal_with_photos_replays(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    token = people["client"]["token"]
    photos = [jpeg(tmp_path, 7), jpeg(tmp_path, 8)]
    key = {"Idempotency-Key": "meal-42"}
    resp = await post_meal(client, token, {"meal_name": "Queued"}, photos, **key)
    first = (resp.status, await resp.read())
    assert first[0] == 201
    after = snapshot(client)
    again = await post_meal(client, token, {"meal_name": "Queued"}, photos, boundary="xyz", **key)
    assert (again.status, await again.read()) == first
    assert snapshot(client) == after and temp_is_empty(client)
    for fields, sent in (
        ({"meal_name": "Queued", "notes": "more"}, photos),
        ({"meal_name": "Queued"}, photos[:1]),
        ({"meal_name": "Queued"}, photos[::-1]),
    ):
        resp = await post_meal(client, token, fields, sent, **key)
        await error_of(resp, 409, "conflict")
    assert snapshot(client) == after and temp_is_empty(client)
    # Three at once under a fresh key: one meal, one answer.
    twins = [
        post_meal(client, token, {"meal_name": "Twins"}, photos[:1], boundary=f"b{i}", **key)
        for i, key in enumerate([{"Idempotency-Key": "meal-43"}] * 3)
    ]
    answers = {(r.status, await r.read()) for r in await asyncio.gather(*twins)}
    assert len(answers) == 1 and next(iter(answers))[0] == 201
    assert table_count(client.app, "meals") == after[0] + 1 and temp_is_empty(client)
    # Photo 1 is already a meal's photo: this meal got a copy of its own, stored once.
    assert table_count(client.app, "files") == after[1] + 1
