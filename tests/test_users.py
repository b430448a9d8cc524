"""Users and trainer assignments: every endpoint for each role; bad input changes nothing."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gymhub.web.appkeys import db_key
from tests.support import PASSWORD, bearer, create_user, error_of, login

USER_KEYS = {
    "id",
    "username",
    "display_name",
    "role",
    "disabled",
    "created_at",
    "units",
    "profile_photo_id",
    "photo_visibility",
}


async def _user_count(client: TestClient) -> int:
    row = await client.app[db_key].fetchone("SELECT count(*) FROM users")
    return int(row[0])


async def test_create_user_as_admin(client: TestClient, admin: str) -> None:
    resp = await client.post(
        "/api/users",
        headers=bearer(admin),
        json={
            "username": "maria.k",
            "password": PASSWORD,
            "role": "trainer",
            "display_name": "Maria K.",
        },
    )
    assert resp.status == 201
    body = await resp.json()
    assert set(body) == USER_KEYS
    assert body["username"] == "maria.k" and body["display_name"] == "Maria K."
    assert body["role"] == "trainer" and body["disabled"] is False
    assert body["created_at"].endswith("Z")
    assert "password" not in str(body)


@pytest.mark.parametrize("role", ["trainer", "client"])
async def test_only_admin_creates_users(
    client: TestClient, people: dict[str, Any], role: str
) -> None:
    token = people[role]["token"]
    before = await _user_count(client)
    resp = await client.post(
        "/api/users",
        headers=bearer(token),
        json={"username": "x1", "password": PASSWORD, "role": "client"},
    )
    await error_of(resp, 403, "forbidden")
    assert await _user_count(client) == before


async def test_anonymous_and_disabled_get_401(client: TestClient, people: dict[str, Any]) -> None:
    client.session.cookie_jar.clear()
    resp = await client.post(
        "/api/users", json={"username": "x", "password": PASSWORD, "role": "client"}
    )
    await error_of(resp, 401, "unauthenticated")
    member = people["client"]
    await client.patch(
        f"/api/users/{member['id']}", headers=bearer(people["admin"]), json={"disabled": True}
    )
    for method, path in [
        ("GET", "/api/users"),
        ("GET", f"/api/users/{member['id']}"),
        ("GET", f"/api/trainers/{people['trainer']['id']}/clients"),
    ]:
        resp = await client.request(method, path, headers=bearer(member["token"]))
        await error_of(resp, 401, "unauthenticated")


async def test_duplicate_username_is_409_whatever_the_case(
    client: TestClient, admin: str, people: dict[str, Any]
) -> None:
    before = await _user_count(client)
    name = people["client"]["username"].upper()
    resp = await client.post(
        "/api/users",
        headers=bearer(admin),
        json={"username": name, "password": PASSWORD, "role": "client"},
    )
    await error_of(resp, 409, "conflict")
    assert await _user_count(client) == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"username": "bad\x00name", "password": PASSWORD, "role": "client"}, "username"),
        ({"username": "tab\tname", "password": PASSWORD, "role": "client"}, "username"),
        ({"username": "new\nline", "password": PASSWORD, "role": "client"}, "username"),
        ({"username": "", "password": PASSWORD, "role": "client"}, "username"),
        ({"username": "a" * 65, "password": PASSWORD, "role": "client"}, "username"),
        ({"username": "ok", "password": "short", "role": "client"}, "password"),
        ({"username": "ok", "password": PASSWORD, "role": "owner"}, "role"),
        ({"username": 12, "password": PASSWORD, "role": "client"}, "username"),
        ({"username": "ok", "password": PASSWORD}, "role"),
        (
            {"username": "ok", "password": PASSWORD, "role": "client", "display_name": "bell\x07"},
            "display_name",
        ),
    ],
)
async def test_bad_user_input_is_400_and_changes_nothing(
    client: TestClient, admin: str, payload: dict[str, Any], field: str
) -> None:
    before = await _user_count(client)
    resp = await client.post("/api/users", headers=bearer(admin), json=payload)
    assert (await error_of(resp, 400, "invalid_request")).startswith(f"{field}: ")
    assert await _user_count(client) == before


@pytest.mark.parametrize("body", [b"{", b"[]", b"null", b"\xff\xfe", b'{"username": "a"'])
async def test_malformed_json_is_400(client: TestClient, admin: str, body: bytes) -> None:
    before = await _user_count(client)
    resp = await client.post(
        "/api/users", headers={**bearer(admin), "Content-Type": "application/json"}, data=body
    )
    await error_of(resp, 400, "invalid_request")
    assert await _user_count(client) == before


async def test_json_body_over_1_mib_is_413(client: TestClient, admin: str) -> None:
    before = await _user_count(client)
    big = b'{"username": "big", "password": "' + b"x" * (1024 * 1024 + 10) + b'", "role": "client"}'
    resp = await client.post(
        "/api/users",
        headers={**bearer(admin), "Content-Type": "application/json"},
        data=io.BytesIO(big),
    )
    await error_of(resp, 413, "too_large")
    assert await _user_count(client) == before
    # The same without a Content-Length (chunked): counted while reading.

    async def chunks() -> AsyncIterator[bytes]:
        yield big[: 512 * 1024]
        yield big[512 * 1024 :]

    resp = await client.post(
        "/api/users", headers={**bearer(admin), "Content-Type": "application/json"}, data=chunks()
    )
    await error_of(resp, 413, "too_large")
    assert await _user_count(client) == before


async def test_list_users_by_role(client: TestClient, people: dict[str, Any]) -> None:
    ids = lambda body: sorted(u["id"] for u in body["users"])  # noqa: E731
    resp = await client.get("/api/users", headers=bearer(people["admin"]))
    assert len((await resp.json())["users"]) == 5
    resp = await client.get("/api/users", headers=bearer(people["trainer"]["token"]))
    assert ids(await resp.json()) == [people["client"]["id"]]
    resp = await client.get("/api/users", headers=bearer(people["client"]["token"]))
    assert ids(await resp.json()) == [people["trainer"]["id"]]
    resp = await client.get("/api/users", headers=bearer(people["other_trainer"]["token"]))
    assert ids(await resp.json()) == []
    resp = await client.get("/api/users", headers=bearer(people["stranger"]["token"]))
    assert ids(await resp.json()) == []
    client.session.cookie_jar.clear()
    await error_of(await client.get("/api/users"), 401, "unauthenticated")


async def test_get_user_visibility(client: TestClient, people: dict[str, Any]) -> None:
    trainer, member = people["trainer"], people["client"]
    stranger, other = people["stranger"], people["other_trainer"]
    cases = [
        (people["admin"], stranger["id"], 200),
        (trainer["token"], member["id"], 200),
        (trainer["token"], trainer["id"], 200),
        (member["token"], trainer["id"], 200),
        (trainer["token"], stranger["id"], 404),
        (member["token"], stranger["id"], 404),
        (member["token"], other["id"], 404),
        (other["token"], member["id"], 404),
        (stranger["token"], 1, 404),
        (member["token"], 999999, 404),
    ]
    for token, user_id, status in cases:
        resp = await client.get(f"/api/users/{user_id}", headers=bearer(token))
        if status == 200:
            assert resp.status == 200 and (await resp.json())["id"] == user_id
        else:
            await error_of(resp, 404, "not_found")
    huge = await client.get("/api/users/99999999999999999999999", headers=bearer(member["token"]))
    await error_of(huge, 404, "not_found")
    # Digits of other scripts are digits to int() but not ids: ARABIC-INDIC DIGIT ONE is not 1.
    arabic_one = await client.get("/api/users/%D9%A1", headers=bearer(people["admin"]))
    await error_of(arabic_one, 404, "not_found")


async def test_patch_user(client: TestClient, people: dict[str, Any]) -> None:
    admin, member = people["admin"], people["client"]
    resp = await client.patch(
        f"/api/users/{member['id']}", headers=bearer(admin), json={"display_name": "Anna B."}
    )
    assert resp.status == 200 and (await resp.json())["display_name"] == "Anna B."
    # A display-name change does not revoke the user's tokens.
    assert (await client.get("/api/me", headers=bearer(member["token"]))).status == 200
    resp = await client.patch(
        f"/api/users/{member['id']}", headers=bearer(member["token"]), json={"display_name": "Me"}
    )
    await error_of(resp, 403, "forbidden")
    resp = await client.patch(
        f"/api/users/{member['id']}", headers=bearer(admin), json={"role": "superuser"}
    )
    assert "role" in await error_of(resp, 400, "invalid_request")
    resp = await client.patch("/api/users/424242", headers=bearer(admin), json={"disabled": True})
    await error_of(resp, 404, "not_found")
    resp = await client.patch(
        f"/api/users/{member['id']}", headers=bearer(admin), json={"disabled": "yes"}
    )
    assert "disabled" in await error_of(resp, 400, "invalid_request")


async def test_role_change_revokes_and_ends_assignments(
    client: TestClient, people: dict[str, Any]
) -> None:
    admin, trainer, member = people["admin"], people["trainer"], people["client"]
    resp = await client.patch(
        f"/api/users/{trainer['id']}", headers=bearer(admin), json={"role": "client"}
    )
    assert resp.status == 200 and (await resp.json())["role"] == "client"
    await error_of(
        await client.get("/api/me", headers=bearer(trainer["token"])), 401, "unauthenticated"
    )
    resp = await client.get("/api/users", headers=bearer(member["token"]))
    assert (await resp.json())["users"] == []


async def test_last_admin_cannot_be_disabled_or_demoted(client: TestClient, admin: str) -> None:
    me = await (await client.get("/api/me", headers=bearer(admin))).json()
    for change in ({"disabled": True}, {"role": "trainer"}):
        resp = await client.patch(f"/api/users/{me['id']}", headers=bearer(admin), json=change)
        await error_of(resp, 409, "conflict")
    second = await create_user(client, admin, "admin")
    resp = await client.patch(
        f"/api/users/{me['id']}", headers=bearer(second["token"]), json={"role": "trainer"}
    )
    assert resp.status == 200


async def test_assignments(client: TestClient, people: dict[str, Any]) -> None:
    admin, trainer, other = people["admin"], people["trainer"], people["other_trainer"]
    stranger = people["stranger"]
    path = f"/api/trainers/{other['id']}/clients/{stranger['id']}"
    for _ in range(2):  # idempotent
        assert (await client.put(path, headers=bearer(admin))).status == 204
    resp = await client.get(f"/api/trainers/{other['id']}/clients", headers=bearer(other["token"]))
    assert [u["id"] for u in (await resp.json())["users"]] == [stranger["id"]]
    resp = await client.get(f"/api/users/{other['id']}", headers=bearer(stranger["token"]))
    assert resp.status == 200
    assert (await client.delete(path, headers=bearer(admin))).status == 204
    resp = await client.get(f"/api/users/{stranger['id']}", headers=bearer(other["token"]))
    await error_of(resp, 404, "not_found")
    resp = await client.get(f"/api/trainers/{other['id']}/clients", headers=bearer(other["token"]))
    assert (await resp.json())["users"] == []
    # Roles must fit: a client as trainer, a trainer as client, an admin either way.
    for t, c in [(stranger["id"], trainer["id"]), (trainer["id"], other["id"]), (trainer["id"], 1)]:
        resp = await client.put(f"/api/trainers/{t}/clients/{c}", headers=bearer(admin))
        await error_of(resp, 400, "invalid_request")
    resp = await client.put(f"/api/trainers/{trainer['id']}/clients/999", headers=bearer(admin))
    await error_of(resp, 404, "not_found")
    for token in (trainer["token"], stranger["token"]):
        resp = await client.put(path, headers=bearer(token))
        await error_of(resp, 403, "forbidden")
        resp = await client.delete(path, headers=bearer(token))
        await error_of(resp, 403, "forbidden")
    client.session.cookie_jar.clear()
    await error_of(await client.put(path), 401, "unauthenticated")


async def test_trainer_clients_listing_access(client: TestClient, people: dict[str, Any]) -> None:
    admin, trainer, other = people["admin"], people["trainer"], people["other_trainer"]
    member = people["client"]
    path = f"/api/trainers/{trainer['id']}/clients"
    resp = await client.get(path, headers=bearer(admin))
    assert [u["id"] for u in (await resp.json())["users"]] == [member["id"]]
    resp = await client.get(path, headers=bearer(trainer["token"]))
    assert resp.status == 200
    # Another trainer cannot see this trainer at all; the trainer's own client may see
    # the trainer but not list its clients.
    await error_of(await client.get(path, headers=bearer(other["token"])), 404, "not_found")
    await error_of(await client.get(path, headers=bearer(member["token"])), 403, "forbidden")
    resp = await client.get(f"/api/trainers/{member['id']}/clients", headers=bearer(admin))
    await error_of(resp, 404, "not_found")
    # A client naming itself is not "that trainer": it is no trainer at all, as for the admin.
    resp = await client.get(
        f"/api/trainers/{member['id']}/clients", headers=bearer(member["token"])
    )
    await error_of(resp, 404, "not_found")


async def test_new_user_can_log_in(client: TestClient, admin: str) -> None:
    user = await create_user(client, admin, "client", name="newbie")
    assert await login(client, "newbie")
    assert user["display_name"] == "newbie"
