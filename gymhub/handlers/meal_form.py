"""The multipart form of POST /api/nutrition/meals: meal fields and up to six photos."""

from __future__ import annotations

from contextlib import aclosing
from typing import Any

import msgspec
from aiohttp import BodyPartReader, web

from gymhub.errors import InvalidRequest
from gymhub.handlers.files import (
    MALFORMED,
    clean_name,
    file_print,
    form_field,
    named_parts,
    part_filename,
)
from gymhub.schemas.coaching import MealCreate, api_time
from gymhub.schemas.common import decode
from gymhub.schemas.query import FormBody
from gymhub.services.meal_upload import MAX_PHOTOS, MealBody
from gymhub.services.meals import NewMeal
from gymhub.web.idempotency import body_read, note_part

MEAL_FIELDS = ("meal_name", "eaten_at", "notes")
# notes: 2,000 characters of up to 4 UTF-8 bytes each.
FIELD_BYTES = 8 * 1024
# The photos, the meal's fields, and a few fields the server ignores.
MAX_PARTS = MAX_PHOTOS + len(MEAL_FIELDS) + 4


class MealForm(FormBody):
    """How /api/openapi.json describes the form: text fields and up to six `file` parts."""

    def schema(self) -> dict[str, Any]:
        text = {"type": "string"}
        photo = {"type": "string", "format": "binary", "contentMediaType": "image/*"}
        return {
            "type": "object",
            "required": ["meal_name"],
            "properties": {
                "meal_name": {**text, "minLength": 1, "maxLength": 200},
                "eaten_at": {**text, "description": "ISO 8601; Z or an offset (none means UTC)"},
                "notes": {**text, "maxLength": 2000},
                "file": {"type": "array", "items": photo, "maxItems": MAX_PHOTOS},
            },
        }


MEAL_FORM = MealForm("file")


async def read_meal_form(request: web.Request, body: MealBody) -> None:
    """Read the form part by part: photos streamed into temp through body, fields kept, and the
    meal validated once every part is in (the fields may come after the photos)."""
    fields: dict[str, str] = {}
    parts = 0
    unnamed = 'A part has no name (Content-Disposition: form-data; name="...").'
    try:
        async with aclosing(named_parts(request, MAX_PARTS, unnamed)) as named:
            async for name, part in named:
                parts += 1
                note_part(request, name, await _read_part(part, name, body, fields))
    except MALFORMED:
        if parts == 0:
            raise InvalidRequest("meal_name: required; the body has no readable part.") from None
        raise InvalidRequest("The multipart body is malformed.") from None
    await body_read(request)
    body.meal = meal_of(fields)


async def _read_part(
    part: BodyPartReader, name: str, body: MealBody, fields: dict[str, str]
) -> str:
    """One part: a photo streamed, a field read; what it adds to a fingerprint."""
    if name == "file":
        original_name = clean_name(part_filename(part))
        received = await body.receive(part, original_name)
        return file_print(original_name, received.sha256, received.size)
    if name in fields:
        raise InvalidRequest(f"{name}: given more than once.")
    text = await form_field(part, name, FIELD_BYTES)
    if name in MEAL_FIELDS:
        fields[name] = text
    return text


def meal_of(fields: dict[str, str]) -> NewMeal:
    """The form's fields checked as MealCreate is (a 400 names the field); an empty optional
    field, as a browser form sends it, counts as absent."""
    given = {k: v for k, v in fields.items() if v or k == "meal_name"}
    meal = decode(msgspec.json.encode(given), MealCreate)
    eaten_at = api_time(meal.eaten_at, "eaten_at") if meal.eaten_at else None
    return NewMeal(meal.meal_name, eaten_at, meal.notes)
