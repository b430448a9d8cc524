"""Control characters are refused in every stored text field, with a sentence naming the field."""

from __future__ import annotations

from typing import Any

import msgspec
import msgspec.inspect
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from gymhub.schemas.common import DOC_ATTR
from tests.support import bearer, error_of

NUL, ESC, BELL = "hi\u0000there", "hi\u001b[31mthere", "ding\u0007"


def cases(people: dict[str, Any]) -> list[tuple[str, str, str, str, dict[str, Any]]]:
    """(method, path, token, field, body with the field left for the bad value)."""
    member, trainer, admin = people["client"], people["trainer"], people["admin"]
    return [
        ("POST", "/api/messages", member["token"], "body", {"recipient_id": trainer["id"]}),
        ("POST", "/api/nutrition/meals", member["token"], "meal_name", {}),
        ("POST", "/api/nutrition/meals", member["token"], "notes", {"meal_name": "lunch"}),
        ("POST", "/api/progress", member["token"], "notes", {"weight_kg": 70}),
        ("POST", "/api/users", admin, "username", {"password": "long-enough", "role": "client"}),
        (
            "POST",
            "/api/users",
            admin,
            "display_name",
            {"username": "newname", "password": "long-enough", "role": "client"},
        ),
        ("PATCH", f"/api/users/{member['id']}", admin, "display_name", {}),
        ("POST", f"/api/ws/test-notification/{member['id']}", admin, "message", {}),
        ("POST", f"/api/ws/test-notification/{member['id']}", admin, "title", {}),
        ("POST", "/api/auth/login", "", "username", {"password": "whatever"}),
    ]


@pytest.mark.parametrize("bad", [NUL, ESC, BELL, "a\u001fb", "\u0000"])
async def test_control_characters_are_400_naming_the_field(
    client: TestClient, people: dict[str, Any], bad: str
) -> None:
    for method, path, token, field, body in cases(people):
        headers = bearer(token) if token else {}
        resp = await client.request(method, path, json={**body, field: bad}, headers=headers)
        message = await error_of(resp, 400, "invalid_request")
        assert message.startswith(f"{field}: ") and "control characters" in message, message
        # A sentence, not the regex behind it.
        assert "\\x" not in message and "^" not in message and "regex" not in message, message


async def test_tab_and_line_breaks_are_kept_where_text_has_lines(
    client: TestClient, people: dict[str, Any]
) -> None:
    member, trainer = people["client"], people["trainer"]
    body = "line one\r\nline two\n\tindented"
    resp = await client.post(
        "/api/messages",
        json={"recipient_id": trainer["id"], "body": body},
        headers=bearer(member["token"]),
    )
    assert resp.status == 201, await resp.text()
    assert (await resp.json())["body"] == body
    resp = await client.post(
        "/api/nutrition/meals",
        json={"meal_name": "soup\tand bread", "notes": "a\r\nb"},
        headers=bearer(member["token"]),
    )
    assert resp.status == 201, await resp.text()
    # A carriage return has no place in a single-line field.
    resp = await client.post(
        "/api/nutrition/meals", json={"meal_name": "soup\r"}, headers=bearer(member["token"])
    )
    message = await error_of(resp, 400, "invalid_request")
    assert message.startswith("meal_name: ")


async def test_a_final_line_feed_is_no_escape_from_a_single_line_pattern(
    client: TestClient, people: dict[str, Any]
) -> None:
    # Python's `$` also matches before a final "\n": "Bob\n" passed the display-name pattern.
    resp = await client.patch(
        f"/api/users/{people['client']['id']}",
        json={"display_name": "Bob\n"},
        headers=bearer(people["admin"]),
    )
    message = await error_of(resp, 400, "invalid_request")
    assert message.startswith("display_name: ")


def _text_fields(kind: Any) -> list[tuple[str, msgspec.inspect.StrType]]:
    info = msgspec.inspect.type_info(kind)
    # A tagged union of Structs (POST /api/comments): the fields of each.
    shapes = info.types if isinstance(info, msgspec.inspect.UnionType) else (info,)
    structs = [shape for shape in shapes if isinstance(shape, msgspec.inspect.StructType)]
    assert len(structs) == len(shapes)
    found = []
    for field in (f for shape in structs for f in shape.fields):
        options = (
            field.type.types if isinstance(field.type, msgspec.inspect.UnionType) else [field.type]
        )
        for option in options:
            if isinstance(option, msgspec.inspect.Metadata):
                option = option.type
            if isinstance(option, msgspec.inspect.ListType):
                option = option.item_type
            if isinstance(option, msgspec.inspect.Metadata):
                option = option.type
            if isinstance(option, msgspec.inspect.StrType):
                found.append((field.name, option))
    return found


def test_every_text_field_of_every_request_body_has_a_pattern(app: web.Application) -> None:
    # A new request field cannot forget it: every string a request body carries is constrained
    # (passwords are hashed, never stored or shown).
    checked = 0
    for route in app.router.routes():
        doc = getattr(route.handler, DOC_ATTR, None)
        if doc is None or doc.request is None:
            continue
        for name, kind in _text_fields(doc.request):
            if "password" in name:
                continue
            assert kind.pattern is not None, (route.method, route.resource, name)
            checked += 1
    assert checked >= 8
