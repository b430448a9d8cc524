"""Shapes of meals, progress entries and messages (requests validate, responses document)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from gymhub.errors import InvalidRequest
from gymhub.schemas import text
from gymhub.schemas.common import Patch
from gymhub.schemas.files import File

# The API speaks UTC: a timestamp without an offset is read as UTC, not in the server's zone.
Timestamp = Annotated[dt.datetime, Meta(description="ISO 8601; Z or an offset (none means UTC)")]
Notes = Annotated[str, Meta(max_length=2000), text.MULTILINE]
FileId = Annotated[
    str, text.pattern(r"^[0-9a-f]{32}" + text.END, "must be a file id (32 lowercase hex digits)")
]
UserId = Annotated[int, Meta(ge=1, le=2**62)]


def api_time(value: dt.datetime, field: str) -> str:
    """A request's datetime as the API's timestamp: UTC, milliseconds, Z (naive values are UTC);
    a 400 naming the field when it has no UTC form (years 1-9999)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    try:
        utc = value.astimezone(dt.UTC)
    except OverflowError:
        raise InvalidRequest(f"{field}: out of range once converted to UTC.") from None
    # isoformat pads the year to four digits; strftime's %Y does not on glibc (year 999).
    return utc.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


MealName = Annotated[str, Meta(min_length=1, max_length=200), text.LINE]
Weight = Annotated[float, Meta(ge=20, le=400)]
BodyFat = Annotated[float, Meta(ge=1, le=75)]
PhotoIds = Annotated[list[FileId], Meta(max_length=20)]
Centimetres = Annotated[float, Meta(ge=10, le=300)]


class Measurements(msgspec.Struct, kw_only=True, omit_defaults=True, forbid_unknown_fields=True):
    """Body measurements in cm; a field not measured is left out (`{}` when none). Shared by
    POST /api/progress and its PATCH, which replaces the whole object."""

    waist_cm: Centimetres | None = None
    hips_cm: Centimetres | None = None
    chest_cm: Centimetres | None = None
    arm_cm: Centimetres | None = None
    thigh_cm: Centimetres | None = None
    neck_cm: Centimetres | None = None


class MealCreate(msgspec.Struct, kw_only=True):
    meal_name: MealName
    eaten_at: Timestamp | None = None
    notes: Notes | None = None


class MealPatch(Patch):
    meal_name: MealName | UnsetType = UNSET
    eaten_at: Timestamp | UnsetType = UNSET
    notes: Notes | UnsetType | None = UNSET


class Meal(msgspec.Struct, kw_only=True):
    id: int
    client_id: int
    meal_name: str
    eaten_at: str
    notes: str | None
    created_at: str
    photos: list[File]
    comment_count: int


class MealList(msgspec.Struct):
    meals: list[Meal]


class ProgressCreate(msgspec.Struct, kw_only=True):
    recorded_at: Timestamp | None = None
    weight_kg: Weight | None = None
    body_fat_pct: BodyFat | None = None
    notes: Notes | None = None
    photo_ids: PhotoIds | None = None
    measurements: Measurements | None = None


class ProgressPatch(Patch):
    """Each field optional and independent: a new one is one more line."""

    recorded_at: Timestamp | UnsetType = UNSET
    weight_kg: Weight | UnsetType | None = UNSET
    body_fat_pct: BodyFat | UnsetType | None = UNSET
    notes: Notes | UnsetType | None = UNSET
    # null or [] both leave the entry without photos (they stay as files).
    photo_ids: PhotoIds | UnsetType | None = UNSET
    # Replaces the whole object; null or {} clears it.
    measurements: Measurements | UnsetType | None = UNSET


class Progress(msgspec.Struct, kw_only=True):
    id: int
    client_id: int
    recorded_at: str
    weight_kg: float | None
    body_fat_pct: float | None
    measurements: Measurements
    notes: str | None
    created_at: str
    photos: list[File]
    comment_count: int


class ProgressList(msgspec.Struct):
    entries: list[Progress]


MessageBody = Annotated[str, Meta(min_length=1, max_length=5000), text.MULTILINE]


class MessageCreate(msgspec.Struct, kw_only=True):
    recipient_id: UserId
    body: MessageBody


class MessagePatch(msgspec.Struct, kw_only=True):
    body: MessageBody


class ChatMessage(msgspec.Struct, kw_only=True):
    id: int
    sender_id: int
    recipient_id: int
    body: str | None
    created_at: str
    read_at: str | None
    edited_at: str | None = None
    deleted_at: str | None = None


class MessageList(msgspec.Struct):
    messages: list[ChatMessage]
