"""Shapes of stored files as the API shows them."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

Visibility = Literal["trainers", "private"]


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
    # Progress photos only: "trainers" or "private" (visible to the owner alone).
    visibility: Visibility | None = None
    # A progress photo's pose (front, side, back, other), else null.
    pose: str | None = None
    # Comments on a meal or progress photo; null for files that take no comments.
    comment_count: int | None = None


class VisibilityPatch(msgspec.Struct, kw_only=True):
    """PATCH /api/files/{id}: who besides its owner sees a progress photo."""

    visibility: Annotated[Visibility, msgspec.Meta(description="trainers or private")]


class FileList(msgspec.Struct, kw_only=True):
    files: list[File]
    next_before: str | None


class PhotoList(msgspec.Struct):
    photos: list[File]


class CategoryStats(msgspec.Struct, kw_only=True):
    files: int
    bytes: int


class DiskStats(msgspec.Struct, kw_only=True):
    total_bytes: int
    free_bytes: int


class MediaStats(msgspec.Struct, kw_only=True):
    """GET /api/files/media/stats: total_bytes counts originals; variant_bytes the variants."""

    total_files: int
    total_bytes: int
    by_category: dict[str, CategoryStats]
    variant_bytes: int
    disk: DiskStats


class CleanupReport(msgspec.Struct, kw_only=True):
    """What the orphan sweep removed (or would remove), as names relative to the media tree."""

    removed: list[str]
    bytes: int
    dry_run: bool
