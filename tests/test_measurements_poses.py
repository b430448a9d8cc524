"""Measurements on progress entries and poses on progress photos (round 2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from tests import imaging_samples as samples
from tests.support import bearer, error_of
from tests.test_files_kit import table_count, upload, uploaded


async def test_measurements_are_checked_stored_and_shown(
    client: TestClient, people: dict[str, Any]
) -> None:
    token = bearer(people["client"]["token"])
    bad = [
        {"waist_cm": 9.9},
        {"hips_cm": 300.5},
        {"neck_cm": "40"},
        {"ankle_cm": 20},
        [80],
    ]
    for measurements in bad:
        resp = await client.post(
            "/api/progress", headers=token, json={"weight_kg": 80, "measurements": measurements}
        )
        assert "measurements" in await error_of(resp, 400, "invalid_request"), measurements
    assert table_count(client.app, "progress_entries") == 0
    every = {"waist_cm": 80, "hips_cm": 95.5, "chest_cm": 100, "arm_cm": 10}
    every |= {"thigh_cm": 300, "neck_cm": 38}
    resp = await client.post("/api/progress", headers=token, json={"measurements": every})
    assert resp.status == 201, await resp.text()
    entry = await resp.json()
    assert entry["measurements"] == every and entry["weight_kg"] is None
    resp = await client.post(
        "/api/progress", headers=token, json={"weight_kg": 80, "measurements": {"waist_cm": 81}}
    )
    assert (await resp.json())["measurements"] == {"waist_cm": 81}
    # An empty object is no measurement at all, and an entry needs something.
    resp = await client.post("/api/progress", headers=token, json={"measurements": {}})
    await error_of(resp, 400, "invalid_request")
    resp = await client.post("/api/progress", headers=token, json={"weight_kg": 79})
    assert (await resp.json())["measurements"] == {}
    trainer = bearer(people["trainer"]["token"])
    resp = await client.get(f"/api/progress?client_id={people['client']['id']}", headers=trainer)
    shown = [e["measurements"] for e in (await resp.json())["entries"]]
    assert shown == [{}, {"waist_cm": 81}, every]
    # The trainer's PROGRESS_UPDATED carries them too.
    resp = await client.get("/api/notifications?since=0", headers=trainer)
    notes = (await resp.json())["notifications"]
    assert [n["data"]["entry"]["measurements"] for n in notes] == [every, {"waist_cm": 81}, {}]


async def test_pose_on_progress_photos_only(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    token = people["client"]["token"]
    data = samples.make_png(tmp_path / "p.png", size=(40, 60)).read_bytes()
    refused = [
        ("meal_photos", {"pose": "front"}),
        ("documents", {"pose": "side"}),
        ("progress_photos", {"pose": "sideways"}),
        ("progress_photos", {"pose": ""}),
    ]
    for category, fields in refused:
        resp = await upload(client, token, data, category=category, fields=fields)
        assert "pose" in await error_of(resp, 400, "invalid_request"), (category, fields)
    assert table_count(client.app, "files") == 0
    seen = []
    for n, pose in enumerate(("front", "side", "back", "other")):
        photo = data[:-1] + bytes([n])
        f = await uploaded(client, token, photo, category="progress_photos", fields={"pose": pose})
        seen.append(f["pose"])
        assert f["comment_count"] == 0
    assert seen == ["front", "side", "back", "other"]
    plain = await uploaded(client, token, data, category="progress_photos")
    meal = await uploaded(client, token, data, category="meal_photos")
    assert plain["pose"] is None and meal["pose"] is None and meal["comment_count"] == 0
    resp = await client.get(f"/api/files/{plain['id']}", headers=bearer(people["trainer"]["token"]))
    assert (await resp.json())["pose"] is None
    resp = await client.get("/api/files?category=progress_photos", headers=bearer(token))
    listed = [f["pose"] for f in (await resp.json())["files"]]
    assert listed == [None, "other", "back", "side", "front"]
