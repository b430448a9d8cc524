"""Shapes of comments, the trainer's dashboard and announcements (round 2)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from gymhub.schemas import text
from gymhub.schemas.coaching import FileId
from gymhub.schemas.users import User

CommentBody = Annotated[str, Meta(min_length=1, max_length=2000), text.MULTILINE]
RecordId = Annotated[int, Meta(ge=1, le=2**62)]


# `target` is the union's tag, so msgspec checks that target_id fits the target: an integer
# for a meal or entry, a file id for a photo.
class MealComment(msgspec.Struct, kw_only=True, tag_field="target", tag="meal"):
    target_id: RecordId
    body: CommentBody


class ProgressComment(msgspec.Struct, kw_only=True, tag_field="target", tag="progress"):
    target_id: RecordId
    body: CommentBody


class FileComment(msgspec.Struct, kw_only=True, tag_field="target", tag="file"):
    target_id: FileId
    body: CommentBody


CommentCreate = MealComment | ProgressComment | FileComment


class Comment(msgspec.Struct, kw_only=True):
    id: int
    author_id: int
    target: Literal["meal", "progress", "file"]
    # An integer for a meal or progress entry, the file id for a file.
    target_id: int | str
    body: str
    created_at: str


class CommentList(msgspec.Struct):
    comments: list[Comment]


class DashboardRow(msgspec.Struct, kw_only=True):
    user: User
    last_activity_at: str | None
    meals_7d: int
    days_logged_7d: int
    last_weight_kg: float | None
    weight_change_30d_kg: float | None
    unread_messages: int
    unread_comments: int


class Dashboard(msgspec.Struct):
    clients: list[DashboardRow]


Audience = Literal["all", "trainers", "clients", "my_clients"]


class AnnouncementCreate(msgspec.Struct, kw_only=True):
    message: CommentBody
    title: Annotated[str, Meta(min_length=1, max_length=200), text.NO_CONTROLS] | None = None
    audience: Audience


class Announced(msgspec.Struct):
    recipients: int
