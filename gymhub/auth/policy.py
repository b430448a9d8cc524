"""The access policy: every "may X see or do Y" of API.md is answered here and nowhere else.

Functions that need facts take a sqlite3 connection and run inside `Database.read` (or a write
transaction), so a handler asks the policy and loads the resource in one database round trip.
Anything the viewer may not see raises NotFound: existence is never revealed.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import Protocol

from gymhub.data import files, meals, progress, users
from gymhub.data.catalogue import COMMENTED_CATEGORIES, DOCUMENTS, PROFILE_PHOTOS, PROGRESS_PHOTOS
from gymhub.data.comments import Comment
from gymhub.data.messages import Message
from gymhub.data.users import User
from gymhub.errors import Conflict, Forbidden, InvalidRequest, NotFound


@dataclass(frozen=True)
class Viewer:
    """The authenticated caller of a request."""

    id: int
    role: str
    username: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class OwnedFile(Protocol):
    """What the file policy reads of a file: data.files' FileRow and MediaFile both have it."""

    @property
    def owner_id(self) -> int: ...
    @property
    def uploaded_by(self) -> int: ...
    @property
    def category(self) -> str: ...
    @property
    def visibility(self) -> str | None: ...


# A progress photo its owner keeps to themselves: nobody else, admin included, sees it.
PRIVATE = "private"


@dataclass(frozen=True)
class FileAccess:
    """What a viewer may do with one stored file."""

    original: bool
    variants: bool
    delete: bool

    @property
    def visible(self) -> bool:
        return self.original or self.variants


NO_ACCESS = FileAccess(False, False, False)


def require_admin(viewer: Viewer) -> None:
    """Admins only; everyone else is told they may not."""
    if not viewer.is_admin:
        raise Forbidden("Only an admin may do this.")


def trains(conn: sqlite3.Connection, viewer: Viewer, client_id: int) -> bool:
    """Whether the viewer is a trainer currently assigned to this client."""
    return viewer.role == "trainer" and users.is_assigned(conn, viewer.id, client_id)


def related(conn: sqlite3.Connection, viewer: Viewer, other: User) -> bool:
    """Trainer and assigned client, in either direction."""
    if viewer.role == "trainer" and other.role == "client":
        return users.is_assigned(conn, viewer.id, other.id)
    if viewer.role == "client" and other.role == "trainer":
        return users.is_assigned(conn, other.id, viewer.id)
    return False


def visible_user(conn: sqlite3.Connection, viewer: Viewer, user_id: int) -> User:
    """The user row if the viewer may see it (self, related, or viewer is admin), else 404."""
    row = users.get_user(conn, user_id)
    if row is None:
        raise NotFound("No such user.")
    if viewer.is_admin or row.id == viewer.id or related(conn, viewer, row):
        return row
    raise NotFound("No such user.")


def listable_users(conn: sqlite3.Connection, viewer: Viewer) -> list[User]:
    """GET /api/users: admin all, trainer their clients, client their trainers."""
    if viewer.is_admin:
        return users.list_all(conn)
    if viewer.role == "trainer":
        return users.clients_of(conn, viewer.id)
    return users.trainers_of(conn, viewer.id)


def trainer_clients(conn: sqlite3.Connection, viewer: Viewer, trainer_id: int) -> list[User]:
    """GET /api/trainers/{id}/clients: the admin or that trainer."""
    trainer_scope(conn, viewer, trainer_id, "list the trainer's clients")
    return users.clients_of(conn, trainer_id)


def trainer_scope(conn: sqlite3.Connection, viewer: Viewer, trainer_id: int, what: str) -> None:
    """A trainer's own views (clients, dashboard): the admin or that trainer; 404 when there is
    no such trainer, 403 for others who may see the trainer."""
    if viewer.is_admin:
        row = users.get_user(conn, trainer_id)
        if row is None:
            raise NotFound("No such user.")
        if row.role != "trainer":
            raise NotFound("No such trainer.")
    elif viewer.id == trainer_id:
        if viewer.role != "trainer":
            raise NotFound("No such trainer.")
    else:
        visible_user(conn, viewer, trainer_id)
        raise Forbidden(f"Only the admin or this trainer may {what}.")


def assignment_pair(conn: sqlite3.Connection, trainer_id: int, client_id: int) -> None:
    """Both users exist and have the roles an assignment needs (admin's call)."""
    trainer = users.get_user(conn, trainer_id)
    client = users.get_user(conn, client_id)
    if trainer is None or client is None:
        raise NotFound("No such user.")
    if trainer.role != "trainer":
        raise InvalidRequest("trainer_id: the user is not a trainer.")
    if client.role != "client":
        raise InvalidRequest("client_id: the user is not a client.")


def client_data(conn: sqlite3.Connection, viewer: Viewer, client_id: int) -> None:
    """Meals, progress and photos of a client: the client, an assigned trainer, or an admin."""
    if viewer.id == client_id or trains(conn, viewer, client_id):
        return
    if viewer.is_admin and users.get_user(conn, client_id) is not None:
        return
    raise NotFound("No such client.")


def _sees_trainer(conn: sqlite3.Connection, viewer: Viewer, trainer_id: int) -> bool:
    """A client looking at one of its assigned trainers: it may see their profile photos."""
    return viewer.role == "client" and users.is_assigned(conn, trainer_id, viewer.id)


def file_listing(conn: sqlite3.Connection, viewer: Viewer, owner_id: int) -> str | None:
    """GET /api/files?owner_id=: every category (None) where client_data allows; a client may
    list its assigned trainer's profile photos (the only files of theirs it may see)."""
    if owner_id != viewer.id and _sees_trainer(conn, viewer, owner_id):
        return PROFILE_PHOTOS
    client_data(conn, viewer, owner_id)
    return None


def upload_owner(conn: sqlite3.Connection, viewer: Viewer, owner_id: int | None) -> int:
    """Whose file an upload becomes: self, an assigned client for a trainer, anyone for an admin."""
    if owner_id is None or owner_id == viewer.id:
        return viewer.id
    target = users.get_user(conn, owner_id)
    if target is None:
        raise NotFound("No such user.")
    if viewer.is_admin:
        return owner_id
    if viewer.role == "trainer" and target.role == "client" and trains(conn, viewer, owner_id):
        return owner_id
    if related(conn, viewer, target):
        raise Forbidden("You may not upload files for this user.")
    raise NotFound("No such user.")


def file_access(conn: sqlite3.Connection, viewer: Viewer, file: OwnedFile) -> FileAccess:
    """API.md's access table for one file (owner_id, uploaded_by, category, visibility)."""
    owner_id = file.owner_id
    if file.visibility == PRIVATE:
        return FileAccess(True, True, True) if viewer.id == owner_id else NO_ACCESS
    if viewer.is_admin or viewer.id in (owner_id, file.uploaded_by):
        return FileAccess(True, True, True)
    if trains(conn, viewer, owner_id):
        # Image originals carry the home's GPS position: they stay with their owner.
        return FileAccess(file.category == DOCUMENTS, True, False)
    if file.category == PROFILE_PHOTOS and _sees_trainer(conn, viewer, owner_id):
        return FileAccess(False, True, False)
    return NO_ACCESS


def require_delete(access: FileAccess) -> None:
    """404 for a file the viewer cannot see, 403 for one they see but may not delete."""
    if not access.visible:
        raise NotFound("No such file.")
    if not access.delete:
        raise Forbidden("Only the owner, the uploader or an admin may delete this file.")


def change_visibility(conn: sqlite3.Connection, viewer: Viewer, file: OwnedFile) -> None:
    """PATCH of a photo's visibility: its owner only (403 for others who see it, else 404), and
    only progress photos have one (400)."""
    if viewer.id != file.owner_id:
        if file_access(conn, viewer, file).visible:
            raise Forbidden("Only the owner may change who sees this photo.")
        raise NotFound("No such file.")
    if file.category != PROGRESS_PHOTOS:
        raise InvalidRequest(f"visibility: only {PROGRESS_PHOTOS} have a visibility.")


def account_records(conn: sqlite3.Connection, viewer: Viewer, user_id: int) -> User:
    """A user's access log and export: the user and the admin; 403 for others who see them."""
    row = visible_user(conn, viewer, user_id)
    if viewer.is_admin or viewer.id == user_id:
        return row
    raise Forbidden("Only the user and the admin may read this.")


def erase_account(conn: sqlite3.Connection, viewer: Viewer, user_id: int) -> User:
    """DELETE /api/users/{id}: admin only (403 for others who see the user, else 404); the
    last active admin stays (409)."""
    row = visible_user(conn, viewer, user_id)
    require_admin(viewer)
    if users.is_last_active_admin(conn, row):
        raise Conflict("This is the last active admin; appoint another one first.")
    return row


def erase_self(viewer: Viewer) -> None:
    """DELETE /api/me: clients only; a trainer's or admin's account is the admin's to erase."""
    if viewer.role != "client":
        raise Forbidden("Only a client may erase their own account; ask an admin.")


def message_peer(conn: sqlite3.Connection, viewer: Viewer, other_id: int) -> User:
    """The other party of a conversation: an assigned trainer/client, or any user with an admin."""
    row = users.get_user(conn, other_id)
    if row is None or row.id == viewer.id:
        raise NotFound("No such recipient.")
    if viewer.is_admin or row.role == "admin" or related(conn, viewer, row):
        return row
    raise NotFound("No such recipient.")


def own_socket(viewer: Viewer, user_id: int) -> None:
    """A WebSocket may only be opened for the token's own user."""
    if viewer.id != user_id:
        raise Forbidden("This token belongs to another user.")


def stats_scope(viewer: Viewer) -> int | None:
    """Media stats: None for the whole store (admin), a trainer's id for their clients."""
    if viewer.is_admin:
        return None
    if viewer.role == "trainer":
        return viewer.id
    raise Forbidden("Only an admin or a trainer may see storage statistics.")


# Live coaching ------------------------------------------------------------------------------


def logs_own_data(viewer: Viewer, what: str) -> None:
    """Meals and progress are logged by clients, for themselves."""
    if viewer.role != "client":
        raise Forbidden(f"Only clients log {what}.")


def mark_message_read(viewer: Viewer, message: Message | None) -> None:
    """The recipient marks a message read; the sender may not (403); anyone else sees nothing."""
    if message is None or viewer.id not in (message.sender_id, message.recipient_id):
        raise NotFound("No such message.")
    if message.recipient_id != viewer.id:
        raise Forbidden("Only the recipient may mark a message read.")


# Corrections and the own account (round 2) -------------------------------------------------

EDIT_WINDOW = dt.timedelta(hours=24)


def correct_record(
    conn: sqlite3.Connection, viewer: Viewer, client_id: int, deleting: bool, missing: str
) -> None:
    """PATCH/DELETE of a client's meal or progress entry: the client, and for DELETE an admin.
    Whoever else may see it (a related trainer, the admin's PATCH) gets 403, the rest 404."""
    try:
        client_data(conn, viewer, client_id)
    except NotFound:
        raise NotFound(missing) from None
    if viewer.id == client_id or (deleting and viewer.is_admin):
        return
    if deleting:
        raise Forbidden("Only the client who logged it or an admin may delete it.")
    raise Forbidden("Only the client who logged it may change it.")


def change_message(
    viewer: Viewer, message: Message | None, deleting: bool, now: dt.datetime
) -> Message:
    """PATCH/DELETE of a message: its sender (an edit within 24 hours of sending, and not once
    deleted); the recipient gets 403, anyone else 404."""
    if message is None or viewer.id not in (message.sender_id, message.recipient_id):
        raise NotFound("No such message.")
    if message.sender_id != viewer.id:
        raise Forbidden("Only the sender may change or delete a message.")
    if deleting:
        return message
    if message.deleted_at is not None:
        raise Forbidden("A deleted message cannot be edited.")
    sent = dt.datetime.fromisoformat(message.created_at)
    if now - sent > EDIT_WINDOW:
        raise Forbidden("A message can only be edited within 24 hours of sending it.")
    return message


def own_profile_photo(conn: sqlite3.Connection, viewer: Viewer, file_id: str) -> None:
    """PATCH /api/me's profile_photo_id: one of the caller's own profile photos, else 400 (the
    same answer whether the id exists or not, so no one learns of another user's files)."""
    row = files.get_file(conn, file_id)
    if row is None or row.owner_id != viewer.id or row.category != PROFILE_PHOTOS:
        raise InvalidRequest("profile_photo_id: not one of your profile photos.")


# Feedback and announcements ------------------------------------------------------------------

_MISSING_TARGET = {"meal": "No such meal.", "progress": "No such progress entry."}


def comment_target(
    conn: sqlite3.Connection, viewer: Viewer, target: str, target_id: int | str
) -> int:
    """The client a comment target belongs to, if the viewer may see it (else 404): a meal or
    entry by client_data, a photo by file_access; files other than photos take no comments."""
    if target == "file":
        row = files.get_file(conn, str(target_id))
        if row is None or not file_access(conn, viewer, row).visible:
            raise NotFound("No such file.")
        if row.category not in COMMENTED_CATEGORIES:
            raise InvalidRequest("target_id: only meal and progress photos take comments.")
        return row.owner_id
    get = meals.get if target == "meal" else progress.get
    record = get(conn, int(target_id))
    if record is None:
        raise NotFound(_MISSING_TARGET[target])
    try:
        client_data(conn, viewer, record.client_id)
    except NotFound:
        raise NotFound(_MISSING_TARGET[target]) from None
    return record.client_id


def sees_comment_target(conn: sqlite3.Connection, viewer: Viewer, comment: Comment) -> bool:
    """Whether the viewer may see what a comment is about (and so the comment)."""
    try:
        comment_target(conn, viewer, comment.target, comment.target_id)
    except NotFound:
        return False
    return True


def delete_comment(conn: sqlite3.Connection, viewer: Viewer, comment: Comment | None) -> Comment:
    """Its author (always: their own words) or an admin who may see the target; 403 for others
    who may see it, 404 for the rest."""
    if comment is None:
        raise NotFound("No such comment.")
    if viewer.id == comment.author_id:
        return comment
    if not sees_comment_target(conn, viewer, comment):
        raise NotFound("No such comment.")
    if viewer.is_admin:
        return comment
    raise Forbidden("Only the author or an admin may delete this comment.")


def announcement(viewer: Viewer, audience: str) -> None:
    """Admin: any audience; a trainer: their own clients only; anyone else may not announce."""
    if viewer.is_admin or (viewer.role == "trainer" and audience == "my_clients"):
        return
    if viewer.role == "trainer":
        raise Forbidden("A trainer may only announce to my_clients.")
    raise Forbidden("Only an admin or a trainer may send announcements.")
