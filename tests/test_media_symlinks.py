"""Finding 10: a symbolic link placed in the media tree is never followed when serving."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gymhub.config import Config
from gymhub.ops.check import check
from tests import imaging_samples as samples
from tests.support import bearer, error_of, make_config
from tests.test_files_kit import uploaded

SECRET = b"root:x:0:0:secret outside the data dir\n"


@pytest.fixture(params=["read whole", "sendfile"])
def config(tmp_path: Path, request: Any) -> Config:
    """Both ways a file is sent: read whole (and the cache), and FileResponse's sendfile."""
    budget = 64_000_000 if request.param == "read whole" else 0
    return make_config(tmp_path, media_read_bytes=budget, media_cache_bytes=budget)


def swap_for_link(media: Path, url: str, target: Path) -> Path:
    """Replace the stored file a media URL names by a symbolic link to target."""
    path = media / "/".join(url.split("/")[-2:])
    path.unlink()
    path.symlink_to(target)
    return path


async def test_a_symlinked_original_or_variant_is_a_404_and_check_reports_it(
    client: TestClient, config: Config, people: dict[str, Any], tmp_path: Path, caplog: Any
) -> None:
    secret = tmp_path / "passwd"
    secret.write_bytes(SECRET)
    owner = bearer(people["client"]["token"])
    png = samples.make_png(tmp_path / "p.png", size=(900, 700)).read_bytes()
    f = await uploaded(client, people["client"]["token"], png)
    urls = [f["original_url"], f["variants"]["thumbnail"]["url"]]
    links = [swap_for_link(config.media_dir, url, secret) for url in urls]
    with caplog.at_level(logging.WARNING, logger="gymhub.media"):
        for url in urls:
            for headers in ({}, {"Range": "bytes=0-10"}):
                resp = await client.get(url, headers={**owner, **headers})
                await error_of(resp, 404, "not_found")
    assert any("symbolic link" in r.getMessage() for r in caplog.records)
    report = check(config)
    for link in links:
        assert any(f"uploads/{link.parent.name}/{link.name}" in p for p in report.problems)


async def test_a_symlinked_category_directory_is_not_followed(
    client: TestClient, config: Config, people: dict[str, Any], tmp_path: Path
) -> None:
    owner = bearer(people["client"]["token"])
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    f = await uploaded(
        client, people["client"]["token"], pdf, category="documents", filename="a.pdf"
    )
    docs = config.media_dir / "documents"
    elsewhere = tmp_path / "elsewhere"
    docs.rename(elsewhere)
    docs.symlink_to(elsewhere)
    resp = await client.get(f["original_url"], headers=owner)
    await error_of(resp, 404, "not_found")
