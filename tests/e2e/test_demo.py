"""`gymhub serve --demo`: an empty data dir becomes a demo gym whose page shows real photos."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import DESKTOP, Api, Server, open_page, sign_in, wait_live

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def logins(server: Server) -> dict[str, str]:
    found = {}
    for line in server.lines:
        match = re.match(r"\s+(\w+)\s+/ (\S+)\s+\((\w+)\)", line)
        if match:
            found[match[1]] = match[2]
    return found


def test_demo_fills_an_empty_data_dir_once(browser: Any, tmp_path: Path) -> None:
    server = Server(tmp_path / "data", extra=("--demo",))
    server.start()
    try:
        accounts = logins(server)
        assert set(accounts) == {"coach", "alex", "sam", "jo", "kim"}, server.lines
        assert any("admin  / (from GYMHUB_ADMIN_PASSWORD)" in line for line in server.lines)
        alex = Api(server).login("alex", accounts["alex"])
        meals = alex.call("GET", "/api/nutrition/meals", None, 200)["meals"]
        assert len(meals) == 5 and all(len(m["photos"]) == 1 for m in meals)
        entries = alex.call("GET", "/api/progress", None, 200)["entries"]
        assert len(entries) == 6 and entries[0]["photos"]
        assert [p["pose"] for p in entries[0]["photos"]] == ["front", "side", "back"]
        assert entries[0]["measurements"] == {"waist_cm": 90.8, "hips_cm": 101.9}
        assert entries[0]["comment_count"] == 1 and meals[0]["comment_count"] == 2
        notes = alex.call("GET", "/api/notifications?since=0&limit=200", None, 200)
        assert {n["type"] for n in notes["notifications"]} >= {"MEAL_COMPLETED", "MESSAGE"}

        _context, page, watch = open_page(browser, server, DESKTOP)
        sign_in(page, "coach", accounts["coach"])
        wait_live(page)
        page.click('.client-row:has-text("Alex Rivera")')
        thumb = page.locator(".timeline-card .meal img").first
        expect(thumb).to_be_visible()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
        )
        expect(page.locator(".chart .dot")).to_have_count(6)
        assert watch.errors == []
    finally:
        server.stop()
    # A second start leaves the data alone.
    server.lines.clear()
    server.start()
    try:
        assert any("nothing added" in line for line in server.lines), server.lines
        assert logins(server) == {}
    finally:
        server.stop()
