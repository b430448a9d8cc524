"""Messages: who may write to whom, conversation paging, read receipts."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.support import bearer, error_of


async def send(client: TestClient, token: str, to: int, body: str = "hi") -> Any:
    return await client.post(
        "/api/messages", headers=bearer(token), json={"recipient_id": to, "body": body}
    )


async def test_who_may_message_whom(client: TestClient, people: dict[str, Any]) -> None:
    admin, member, trainer = people["admin"], people["client"], people["trainer"]
    admin_id = (await (await client.get("/api/me", headers=bearer(admin))).json())["id"]
    allowed = [
        (member["token"], trainer["id"]),
        (trainer["token"], member["id"]),
        (member["token"], admin_id),
        (admin, people["stranger"]["id"]),
        (people["other_trainer"]["token"], admin_id),
    ]
    for token, to in allowed:
        resp = await send(client, token, to)
        assert resp.status == 201, await resp.text()
    refused = [
        (member["token"], people["other_trainer"]["id"]),
        (member["token"], people["stranger"]["id"]),
        (people["other_trainer"]["token"], member["id"]),
        (trainer["token"], people["other_trainer"]["id"]),
        (member["token"], member["id"]),
        (member["token"], 987654),
    ]
    for token, to in refused:
        await error_of(await send(client, token, to), 404, "not_found")
    for body in (
        {"recipient_id": trainer["id"], "body": ""},
        {"recipient_id": trainer["id"], "body": "x" * 5001},
    ):
        resp = await client.post("/api/messages", headers=bearer(member["token"]), json=body)
        assert "body" in await error_of(resp, 400, "invalid_request")
    resp = await client.post(
        "/api/messages", headers=bearer(member["token"]), json={"recipient_id": 0, "body": "x"}
    )
    assert "recipient_id" in await error_of(resp, 400, "invalid_request")


async def test_conversation_and_read(client: TestClient, people: dict[str, Any]) -> None:
    member, trainer = people["client"], people["trainer"]
    ids = []
    for i in range(4):
        sender, to = (member, trainer) if i % 2 == 0 else (trainer, member)
        resp = await send(client, sender["token"], to["id"], f"m{i}")
        ids.append((await resp.json())["id"])
    await send(
        client,
        member["token"],
        (await (await client.get("/api/me", headers=bearer(people["admin"]))).json())["id"],
        "to admin",
    )
    resp = await client.get(f"/api/messages?with={trainer['id']}", headers=bearer(member["token"]))
    listed = (await resp.json())["messages"]
    assert [m["body"] for m in listed] == ["m3", "m2", "m1", "m0"]
    resp = await client.get(
        f"/api/messages?with={member['id']}&limit=2&before={ids[3]}",
        headers=bearer(trainer["token"]),
    )
    assert [m["id"] for m in (await resp.json())["messages"]] == [ids[2], ids[1]]
    resp = await client.get("/api/messages", headers=bearer(member["token"]))
    assert len((await resp.json())["messages"]) == 5
    # Outsiders see nothing of it.
    resp = await client.get(
        f"/api/messages?with={member['id']}", headers=bearer(people["stranger"]["token"])
    )
    assert (await resp.json())["messages"] == []
    # Read receipts: recipient only; the sender is told no; others do not learn it exists.
    resp = await client.post(f"/api/messages/{ids[0]}/read", headers=bearer(member["token"]))
    await error_of(resp, 403, "forbidden")
    resp = await client.post(
        f"/api/messages/{ids[0]}/read", headers=bearer(people["stranger"]["token"])
    )
    await error_of(resp, 404, "not_found")
    resp = await client.post("/api/messages/999999/read", headers=bearer(trainer["token"]))
    await error_of(resp, 404, "not_found")
    for _ in range(2):
        resp = await client.post(f"/api/messages/{ids[0]}/read", headers=bearer(trainer["token"]))
        assert resp.status == 204
    resp = await client.get(f"/api/messages?with={trainer['id']}", headers=bearer(member["token"]))
    by_id = {m["id"]: m for m in (await resp.json())["messages"]}
    assert by_id[ids[0]]["read_at"].endswith("Z") and by_id[ids[2]]["read_at"] is None
