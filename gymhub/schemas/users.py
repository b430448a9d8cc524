"""Shapes of the authentication, user and assignment endpoints."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from gymhub.schemas import text
from gymhub.schemas.common import Patch

Role = Literal["admin", "trainer", "client"]
Username = Annotated[
    str,
    Meta(min_length=1, max_length=64),
    text.pattern(
        r"^[\w.@+-]+" + text.END,
        "may hold only letters, digits and . _ @ + - (no spaces or control characters)",
    ),
]
DisplayName = Annotated[str, Meta(min_length=1, max_length=100), text.NO_CONTROLS]
Password = Annotated[str, Meta(min_length=1, max_length=1024)]
NewPassword = Annotated[str, Meta(min_length=8, max_length=1024)]
Units = Literal["metric", "imperial"]
PhotoVisibility = Literal["trainers", "private"]
FileIdText = Annotated[
    str, text.pattern(r"^[0-9a-f]{32}" + text.END, "must be a file id (32 lowercase hex digits)")
]


class User(msgspec.Struct, kw_only=True):
    id: int
    username: str
    display_name: str
    role: Role
    disabled: bool
    created_at: str
    units: Units
    profile_photo_id: str | None
    photo_visibility: PhotoVisibility


class MePatch(Patch):
    """PATCH /api/me: a field left out stays; profile_photo_id null removes the photo."""

    display_name: DisplayName | UnsetType = UNSET
    units: Units | UnsetType = UNSET
    profile_photo_id: FileIdText | UnsetType | None = UNSET
    photo_visibility: PhotoVisibility | UnsetType = UNSET


class ResetCode(msgspec.Struct, kw_only=True):
    reset_code: str
    expires_in: int


class ResetRequest(msgspec.Struct, kw_only=True):
    username: Annotated[str, Meta(min_length=1, max_length=256), text.NO_CONTROLS]
    reset_code: Annotated[str, Meta(min_length=1, max_length=64), text.NO_CONTROLS]
    new_password: NewPassword


class UserList(msgspec.Struct):
    users: list[User]


class LoginRequest(msgspec.Struct, forbid_unknown_fields=False):
    username: Annotated[str, Meta(min_length=1, max_length=256), text.NO_CONTROLS]
    password: Password


class LoginResponse(msgspec.Struct, kw_only=True):
    access_token: str
    token_type: Literal["bearer"]
    expires_in: int
    user: User


class PasswordChange(msgspec.Struct):
    current_password: Password
    new_password: NewPassword


class UserCreate(msgspec.Struct, kw_only=True):
    username: Username
    password: NewPassword
    role: Role
    display_name: DisplayName | None = None


class UserPatch(msgspec.Struct, kw_only=True, omit_defaults=True):
    display_name: DisplayName | None = None
    disabled: bool | None = None
    role: Role | None = None


class Health(msgspec.Struct):
    """Liveness: `status` is ok, degraded (the disk is low: writes get 507) or unavailable;
    `disk` is ok, low or unknown (the data dir cannot be read)."""

    status: str
    disk: str = "ok"
