"""Shapes of stored files as the API shows them."""

from __future__ import annotations

import msgspec


class Variant(msgspec.Struct, kw_only=True):
    url: str
    width: int
    height: int
    size: int


class File(msgspec.Struct, kw_only=True):
    id: str
    owner_id: int
    uploaded_by: int
    category: str
    mime: str
    size: int
    sha256: str
    original_name: str
    width: int | None
    height: int | None
    created_at: str
    meal_completion_id: int | None
    progress_entry_id: int | None
    original_url: str | None
    variants: dict[str, Variant]


class FileList(msgspec.Struct, kw_only=True):
    files: list[File]
    next_before: str | None


class PhotoList(msgspec.Struct):
    photos: list[File]
