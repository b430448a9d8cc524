"""The web page in a real Chromium against the real server: live coaching end to end."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    ADMIN_PASSWORD,
    DESKTOP,
    PHONE,
    Api,
    Server,
    clear_toasts,
    food_jpeg,
    open_page,
    save_screenshot,
    sign_in,
    start_server,
    wait_live,
)

pytestmark = pytest.mark.e2e
XSS = "<img src=x onerror=alert(1)>"


def days_ago(n: int, hour: int = 8) -> str:
    day = dt.datetime.now(dt.UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    return (day - dt.timedelta(days=n)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def pair(admin: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    trainer = admin.user("trainer", "Coach Maya")
    client = admin.user("client", "Alex Rivera")
    admin.assign(trainer, client)
    return trainer, client


def seed_history(client: dict[str, Any], trainer: dict[str, Any]) -> None:
    """A few weeks of entries so the screenshots show a real chart and timeline."""
    api = client["api"]
    for i, weight in enumerate([84.2, 83.6, 83.9, 83.1, 82.4, 82.0]):
        body = {"weight_kg": weight, "recorded_at": days_ago(35 - i * 7)}
        if i == 5:
            body["body_fat_pct"] = 21.5
            body["notes"] = "Feeling stronger on squats."
        api.call("POST", "/api/progress", body, 201)
    for n, (name, notes) in enumerate(
        [("Greek yoghurt with berries", "With a spoon of honey"), ("Chicken and rice", None)]
    ):
        body = {"meal_name": name, "eaten_at": days_ago(1, hour=8 + n * 5)}
        if notes:
            body["notes"] = notes
        meal = api.call("POST", "/api/nutrition/meals", body, 201)
        api.upload(
            f"/api/nutrition/photos/upload?meal_completion_id={meal['id']}",
            f"meal{n}.jpg",
            food_jpeg(n + 1),
        )
    trainer["api"].call(
        "POST",
        "/api/messages",
        {"recipient_id": client["id"], "body": "Welcome! Log every meal this week, photos help."},
        201,
    )
    api.call("POST", "/api/messages", {"recipient_id": trainer["id"], "body": "Will do!"}, 201)


# The meal form sends the meal with its photo as one multipart request (API.md, round 2).
def test_meal_photo_reaches_trainer_live_and_messages_flow(
    browser: Any, server: Server, admin_api: Api
) -> None:
    trainer, client = pair(admin_api)
    seed_history(client, trainer)

    tctx, tpage, twatch = open_page(browser, server, DESKTOP)
    sign_in(tpage, trainer["username"])
    wait_live(tpage)
    tpage.click(f'[data-client-id="{client["id"]}"]')
    expect(tpage.locator(".timeline-card .meal")).to_have_count(2)
    # A marker that a reload would erase: the trainer's page must update in place.
    tpage.evaluate("window.__sameDocument = 'yes'")

    cctx, cpage, cwatch = open_page(browser, server, PHONE)
    sign_in(cpage, client["username"])
    wait_live(cpage)
    posts: list[Any] = []
    cpage.on("request", lambda r: posts.append(r) if r.method == "POST" else None)

    # The meal from the form (its photos in the same request are test_page_forms' part), then
    # a photo for it: the trainer's page shows both as they come.
    cpage.fill("#meal-name", "Salmon poke bowl")
    cpage.fill("#meal-notes", "Extra edamame")
    with cpage.expect_response("**/api/nutrition/meals") as answer:
        cpage.click("#meal-form button[type=submit]")
    meal = answer.value.json()
    client["api"].upload(
        f"/api/nutrition/photos/upload?meal_completion_id={meal['id']}",
        "bowl.jpg",
        food_jpeg(4, (1600, 1200)),
    )
    own = cpage.locator(".meal-list .meal", has_text="Salmon poke bowl")
    expect(own.locator("img")).to_be_visible(timeout=15_000)

    # The trainer's page gains the meal and its thumbnail within seconds, without a reload.
    item = tpage.locator(".timeline-card .meal", has_text="Salmon poke bowl")
    expect(item).to_be_visible(timeout=5_000)
    thumb = item.locator('img[src*="_thumbnail."]')
    expect(thumb).to_be_visible(timeout=5_000)
    tpage.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle(), timeout=5_000
    )
    expect(tpage.locator(".feed-list li", has_text="Salmon poke bowl").first).to_be_visible()
    assert tpage.evaluate("window.__sameDocument") == "yes"
    # Cookie-authenticated POSTs carried this server's Origin, so the CSRF check let them in.
    origins = {r.all_headers().get("origin") for r in posts}
    assert len(posts) >= 1 and origins == {server.base}, origins

    # The lightbox shows the large variant.
    thumb.click()
    large = (thumb.get_attribute("src") or "").replace("_thumbnail.", "_large.")
    expect(tpage.locator(".lightbox img")).to_have_attribute("src", large)
    tpage.keyboard.press("Escape")
    expect(tpage.locator(".lightbox")).to_have_count(0)

    # The trainer writes; the client's page shows it live (badge on the tab, then the text).
    tpage.fill(".messages-card textarea", "Great choice! Add some greens tonight.")
    tpage.click(".messages-card button[type=submit]")
    expect(cpage.locator('button.tab[data-tab="messages"][data-badge="1"]')).to_be_visible(
        timeout=5_000
    )
    cpage.click('button.tab[data-tab="messages"]')
    expect(cpage.locator(".messages .message.theirs", has_text="Add some greens")).to_be_visible()

    # Screenshots of both screens at phone and desktop widths.
    cpage.click('button.tab[data-tab="meals"]')
    clear_toasts(cpage)
    save_screenshot(cpage, "client-phone")
    cpage.set_viewport_size(DESKTOP)
    clear_toasts(cpage)
    save_screenshot(cpage, "client-desktop")
    clear_toasts(tpage)
    save_screenshot(tpage, "trainer-desktop")
    tpage.set_viewport_size(PHONE)
    clear_toasts(tpage)
    save_screenshot(tpage, "trainer-phone")

    assert not (twatch.errors or cwatch.errors or twatch.dialogs or cwatch.dialogs)
    tctx.close()
    cctx.close()


def test_markup_in_a_message_is_shown_as_text(browser: Any, server: Server, admin_api: Api) -> None:
    trainer, client = pair(admin_api)
    cctx, cpage, cwatch = open_page(browser, server, DESKTOP)
    sign_in(cpage, client["username"])
    wait_live(cpage)
    trainer["api"].call("POST", "/api/messages", {"recipient_id": client["id"], "body": XSS}, 201)

    shown = cpage.locator(".messages .message-body", has_text=XSS)
    expect(shown).to_be_visible(timeout=5_000)
    expect(cpage.locator(".feed-list .feed-text", has_text=XSS)).to_be_visible()
    assert shown.text_content() == XSS
    # The message is in the conversation on screen: no toast repeats it.
    assert cpage.locator(".toast").count() == 0
    # One's own message is never unread, in the feed or anywhere.
    cpage.fill(".messages-card textarea", "Thanks, noted")
    cpage.click(".messages-card button[type=submit]")
    mine = cpage.locator(".feed-list li", has_text="Thanks, noted")
    expect(mine).to_be_visible()
    expect(mine).not_to_have_class(re.compile(r"\bunread\b"))
    expect(cpage.locator(".feed-list li.unread")).to_have_count(1)
    assert cpage.locator(".toast").count() == 0
    # The name of the sender is data too.
    assert cpage.locator('img[src="x"]').count() == 0
    assert cpage.locator("main img:not([src^='/'])").count() == 0
    cpage.wait_for_timeout(300)
    assert cwatch.dialogs == [] and cwatch.errors == []
    cctx.close()


@pytest.mark.long
def test_page_survives_a_server_restart_and_replays_missed_events(
    browser: Any, tmp_path: Path
) -> None:
    server = start_server(tmp_path)
    try:
        admin = Api(server).login("admin", ADMIN_PASSWORD)
        trainer, client = pair(admin)
        cctx, cpage, cwatch = open_page(browser, server, PHONE)
        sign_in(cpage, client["username"])
        wait_live(cpage)
        cpage.evaluate("window.__sameDocument = 'yes'")

        # The phone loses the network, then the server restarts on the same port and data dir.
        cctx.set_offline(True)
        server.stop()
        expect(cpage.locator("#live")).to_have_attribute("data-state", "reconnecting")
        server.start()
        # Events while the page cannot reach the server: stored, to be replayed with `since`.
        trainer["api"].call(
            "POST", "/api/messages", {"recipient_id": client["id"], "body": "Missed me?"}, 201
        )
        client["api"].call("POST", "/api/nutrition/meals", {"meal_name": "Late snack"}, 201)
        cpage.wait_for_timeout(500)
        assert cpage.locator(".feed-list li", has_text="Missed me?").count() == 0

        cctx.set_offline(False)
        wait_live(cpage)
        expect(cpage.locator(".feed-list li", has_text="Missed me?")).to_have_count(1)
        expect(cpage.locator(".feed-list li", has_text="Late snack")).to_have_count(1)
        cpage.click('button.tab[data-tab="messages"]')
        expect(cpage.locator(".messages .message", has_text="Missed me?")).to_be_visible()
        cpage.click('button.tab[data-tab="meals"]')
        expect(cpage.locator(".meal-list .meal", has_text="Late snack")).to_be_visible()
        assert cpage.evaluate("window.__sameDocument") == "yes"

        # And it keeps receiving live ones afterwards, exactly once each.
        trainer["api"].call(
            "POST", "/api/messages", {"recipient_id": client["id"], "body": "Back online"}, 201
        )
        expect(cpage.locator(".feed-list li", has_text="Back online")).to_have_count(1)
        expect(cpage.locator(".feed-list li", has_text="Missed me?")).to_have_count(1)
        assert cwatch.errors == []
        cctx.close()
    finally:
        server.stop()
