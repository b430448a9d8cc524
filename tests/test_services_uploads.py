"""services.uploads on a real app's database, storage and pool, without HTTP in between."""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gymhub.auth.policy import Viewer
from gymhub.data import users
from gymhub.data.db import connect_sync, migrate, run_write
from gymhub.data.notifications import Stored
from gymhub.errors import InvalidRequest, NotFound, QuotaExceeded, UnsupportedType
from gymhub.imaging import ImagingError
from gymhub.services.uploads import Body, LocalFile, UploadRequest, Uploads, store_local
from gymhub.storage.layout import Layout
from gymhub.web.appkeys import config_key, db_key, storage_key
from tests import imaging_samples as samples
from tests.support import create_user
from tests.test_files_kit import make_meal, table_count, tree_files


class Chunks:
    """A body part that hands out its bytes in small chunks, as a multipart reader does."""

    def __init__(self, data: bytes, size: int = 4096):
        self.data = data
        self.size = size

    async def read_chunk(self, size: int = 65536) -> bytes:
        chunk, self.data = self.data[: min(size, self.size)], self.data[min(size, self.size) :]
        return chunk


def jpeg(seed: int) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        size = (320, 240)
        path = samples.make_jpeg(
            Path(tmp) / "p.jpg", size=size, image=samples.photo_like(size, seed)
        )
        return path.read_bytes()


class Published:
    """The hub's publish as a list: what each use case told, in order."""

    def __init__(self) -> None:
        self.stored: list[Stored] = []

    def __call__(self, stored: Iterable[Stored]) -> int:
        items = list(stored)
        self.stored.extend(items)
        return len(items)

    def kinds(self) -> list[tuple[int, str]]:
        return [(s.user_id, s.type) for s in self.stored]


def service(client: TestClient, quota: int | None = None) -> tuple[Uploads, Published]:
    app = client.app
    published = Published()
    limit = app[config_key].quota_bytes if quota is None else quota
    return Uploads(app[db_key], app[storage_key], published, limit), published


def sending(data: bytes, name: str = "lunch.jpg", links: dict[str, int] | None = None) -> Any:
    async def read(body: Body) -> None:
        await body.receive(Chunks(data), name)
        body.links.update(links or {})

    return read


def temp_files(client: TestClient) -> list[str]:
    return [name for name in tree_files(client.app) if name.startswith("temp/")]


async def member(client: TestClient, admin: str) -> tuple[Viewer, dict[str, Any]]:
    user = await create_user(client, admin, "client")
    return Viewer(id=user["id"], role="client", username=user["username"]), user


async def test_ingest_creates_then_finds_the_same_bytes(client: TestClient, admin: str) -> None:
    viewer, _ = await member(client, admin)
    uploads, published = service(client)
    data = jpeg(1)
    first = await uploads.ingest(viewer, UploadRequest("meal_photos"), sending(data))
    assert first.created and first.file.size == len(data)
    assert first.file.original_name == "lunch.jpg" and first.file.variants
    assert published.kinds() == [(viewer.id, "FILE_UPLOADED")]
    placed = tree_files(client.app)
    again = await uploads.ingest(viewer, UploadRequest("meal_photos"), sending(data, "b.jpg"))
    assert not again.created and again.file.id == first.file.id
    # The second copy left nothing behind and told no one.
    assert tree_files(client.app) == placed and not temp_files(client)
    assert len(published.stored) == 1
    assert table_count(client.app, "files") == 1


async def test_ingest_links_a_stored_photo_to_a_meal(client: TestClient, admin: str) -> None:
    viewer, user = await member(client, admin)
    uploads, published = service(client)
    data = jpeg(2)
    first = await uploads.ingest(viewer, UploadRequest("meal_photos"), sending(data))
    meal_id = await make_meal(client, user["token"])
    fixed = UploadRequest("meal_photos", links={"meal_completion_id": meal_id})
    linked = await uploads.ingest(viewer, fixed, sending(data))
    assert not linked.created and linked.file.id == first.file.id
    assert linked.file.meal_completion_id == meal_id
    # Joining the meal is told like an upload.
    assert [kind for _, kind in published.kinds()] == ["FILE_UPLOADED", "FILE_UPLOADED"]


async def test_over_quota_leaves_nothing(client: TestClient, admin: str) -> None:
    viewer, _ = await member(client, admin)
    uploads, published = service(client, quota=1000)
    before = tree_files(client.app)
    with pytest.raises(QuotaExceeded):
        await uploads.ingest(viewer, UploadRequest("meal_photos"), sending(jpeg(3)))
    assert tree_files(client.app) == before and not published.stored
    assert table_count(client.app, "files") == 0


async def test_body_failing_after_the_file_leaves_no_temp(client: TestClient, admin: str) -> None:
    viewer, _ = await member(client, admin)
    uploads, _ = service(client)

    async def read(body: Body) -> None:
        await body.receive(Chunks(jpeg(4)), "a.jpg")
        assert body.received is not None and body.received.path.exists()
        raise InvalidRequest("The multipart body is malformed.")

    with pytest.raises(InvalidRequest):
        await uploads.ingest(viewer, UploadRequest("meal_photos"), read)
    assert not temp_files(client)


async def test_body_without_a_file_is_refused(client: TestClient, admin: str) -> None:
    viewer, _ = await member(client, admin)
    uploads, _ = service(client)

    async def nothing(body: Body) -> None:
        return None

    with pytest.raises(InvalidRequest, match="file: required"):
        await uploads.ingest(viewer, UploadRequest("meal_photos"), nothing)


async def test_unsupported_bytes_are_refused_while_streaming(
    client: TestClient, admin: str
) -> None:
    viewer, _ = await member(client, admin)
    uploads, _ = service(client)
    with pytest.raises(UnsupportedType):
        await uploads.ingest(viewer, UploadRequest("meal_photos"), sending(b"%PDF-1.4\n" * 2000))
    assert not temp_files(client) and table_count(client.app, "files") == 0


async def test_a_link_to_someone_elses_meal_is_refused_before_the_body(
    client: TestClient, admin: str
) -> None:
    viewer, _ = await member(client, admin)
    _, other = await member(client, admin)
    uploads, _ = service(client)
    meal_id = await make_meal(client, other["token"])
    read_at_all = []

    async def read(body: Body) -> None:
        read_at_all.append(True)

    fixed = UploadRequest("meal_photos", links={"meal_completion_id": meal_id})
    with pytest.raises(NotFound):
        await uploads.ingest(viewer, fixed, read)
    assert not read_at_all


async def test_delete_removes_rows_and_files_and_tells(client: TestClient, admin: str) -> None:
    viewer, _ = await member(client, admin)
    uploads, published = service(client)
    before = tree_files(client.app)
    made = await uploads.ingest(viewer, UploadRequest("meal_photos"), sending(jpeg(5)))
    deleted = await uploads.delete(viewer, made.file.id)
    assert deleted.file_id == made.file.id and deleted.freed > made.file.size
    assert tree_files(client.app) == before
    assert published.kinds()[-1] == (viewer.id, "FILE_DELETED")
    with pytest.raises(NotFound):
        await uploads.delete(viewer, made.file.id)


async def test_delete_of_anothers_file_is_not_found(client: TestClient, admin: str) -> None:
    viewer, _ = await member(client, admin)
    stranger, _ = await member(client, admin)
    uploads, _ = service(client)
    made = await uploads.ingest(viewer, UploadRequest("meal_photos"), sending(jpeg(6)))
    with pytest.raises(NotFound):
        await uploads.delete(stranger, made.file.id)
    assert table_count(client.app, "files") == 1


def test_store_local_records_without_notifications(tmp_path: Path) -> None:
    layout, conn = _local(tmp_path)
    try:
        user = _user(conn)
        photo = LocalFile(user, "progress_photos", "IMG_1.jpg")
        row = run_write(conn, lambda c: store_local(c, layout, 40_000_000, jpeg(7), photo))
        assert row.owner_id == row.uploaded_by == user and row.ext == "jpg"
        assert layout.original("progress_photos", row.id, "jpg").is_file()
        count = conn.execute("SELECT count(*) FROM file_variants").fetchone()[0]
        assert count == len(list(layout.thumbnails.iterdir())) > 0
        assert conn.execute("SELECT count(*) FROM notifications").fetchone()[0] == 0
    finally:
        conn.close()


def test_store_local_leaves_nothing_when_the_image_is_refused(tmp_path: Path) -> None:
    layout, conn = _local(tmp_path)
    try:
        photo = LocalFile(_user(conn), "meal_photos", "x.jpg")
        with pytest.raises(ImagingError):
            run_write(conn, lambda c: store_local(c, layout, 40_000_000, b"not an image", photo))
        assert not [p for p in layout.root.rglob("*") if p.is_file()]
        assert conn.execute("SELECT count(*) FROM files").fetchone()[0] == 0
    finally:
        conn.close()


def _local(tmp_path: Path) -> tuple[Layout, sqlite3.Connection]:
    layout = Layout(tmp_path / "media")
    layout.create()
    conn = connect_sync(tmp_path / "gymhub.db")
    migrate(conn)
    return layout, conn


def _user(conn: sqlite3.Connection) -> int:
    return int(run_write(conn, lambda c: users.insert_user(c, "alex", "client", "x", "Alex")).id)
