from typing import Any

from aiohttp.test_utils import TestClient

from tests.support import bearer


async def test_healthz_and_people(client: TestClient, people: dict[str, Any]) -> None:
    resp = await client.get("/healthz")
    assert resp.status == 200 and await resp.json() == {"status": "ok", "disk": "ok"}
    resp = await client.get("/api/users", headers=bearer(people["trainer"]["token"]))
    body = await resp.json()
    assert [u["id"] for u in body["users"]] == [people["client"]["id"]]
