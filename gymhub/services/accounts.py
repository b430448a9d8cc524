"""Erasing an account: every row and file of the user (the server's sockets are the caller's)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gymhub.data import erasure, files
from gymhub.data.db import Database, run_write
from gymhub.data.users import User
from gymhub.storage.layout import Layout, remove_quietly
from gymhub.storage.store import Storage

# Decides, inside the erasing transaction, whether the account may go (raises if not).
Allowed = Callable[[sqlite3.Connection], User]


@dataclass(frozen=True)
class Erased:
    """An erased account: who it was and the paths of its files' bytes, still to remove."""

    user: User
    gone: list[tuple[files.FileRow, list[files.Variant]]]


def erase_rows(conn: sqlite3.Connection, user_id: int, allowed: Allowed) -> Erased:
    """The erasing transaction's work: files the user uploaded for others stay with their owners,
    other people's notifications naming them go, then the user row with everything that
    cascades from it."""
    user = allowed(conn)
    owned = erasure.owned_files(conn, user_id)
    variants = files.variants_of(conn, [f.id for f in owned])
    erasure.hand_uploads_to_owners(conn, user_id)
    erasure.withdraw_mentions(conn, user_id)
    erasure.delete_user(conn, user_id)
    return Erased(user, [(f, variants[f.id]) for f in owned])


def paths_of(layout: Layout, erased: Erased) -> list[Path]:
    """Every original and variant path of the erased user's files."""
    paths = []
    for row, variants in erased.gone:
        paths.append(layout.original(row.category, row.id, row.ext))
        paths += [layout.variant(row.id, v.variant, v.ext) for v in variants]
    return paths


async def erase_user(db: Database, storage: Storage, user_id: int, allowed: Allowed) -> Erased:
    """Rows first in one transaction, bytes after, as every delete: a crash in between leaves
    rowless files the orphan sweep removes, never a row without its file."""
    erased = await db.write(lambda conn: erase_rows(conn, user_id, allowed))
    for row, variants in erased.gone:
        await storage.remove(row, variants)
    return erased


def erase_local(conn: sqlite3.Connection, layout: Layout, user_id: int, allowed: Allowed) -> int:
    """The CLI's erasure on a plain connection; returns how many files went."""
    erased = run_write(conn, lambda c: erase_rows(c, user_id, allowed))
    remove_quietly(paths_of(layout, erased))
    return len(erased.gone)
