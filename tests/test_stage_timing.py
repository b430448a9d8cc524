"""An upload's stages in Server-Timing, only with `stage_timing`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from gymhub.server import make_app
from tests import imaging_samples as samples
from tests.support import admin_token, bearer, create_user, make_config
from tests.test_files_kit import upload

STAGES = {
    "receive",
    "hashwrite",
    "sniff",
    "fsync_original",
    "pool_queue",
    "pool_sniff",
    "pool_decode",
    "pool_resize",
    "pool_encode",
    "pool_fsync",
    "pool_return",
    "place",
    "commit",
    "notify",
    "app",
}


async def test_no_stages_without_stage_timing(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    photo = samples.make_jpeg(tmp_path / "a.jpg", size=(900, 600), orientation=6).read_bytes()
    resp = await upload(client, people["client"]["token"], photo)
    assert resp.status == 201, await resp.text()
    assert "Server-Timing" not in resp.headers


async def test_server_timing_names_every_stage(
    aiohttp_client: AiohttpClient, tmp_path: Path
) -> None:
    client = await aiohttp_client(make_app(make_config(tmp_path, stage_timing=True)))
    member = await create_user(client, await admin_token(client), "client")
    photo = samples.make_jpeg(tmp_path / "b.jpg", size=(900, 600), orientation=1).read_bytes()
    resp = await upload(client, member["token"], photo)
    assert resp.status == 201, await resp.text()
    timings = {}
    for item in resp.headers["Server-Timing"].split(", "):
        name, dur = item.split(";dur=")
        timings[name] = float(dur)
    assert set(timings) == STAGES
    assert all(ms >= 0 for ms in timings.values())
    assert timings["app"] >= timings["receive"] + timings["pool_decode"]
    # Other requests carry no stages, hence no header.
    me = await client.get("/api/me", headers=bearer(member["token"]))
    assert me.status == 200 and "Server-Timing" not in me.headers
