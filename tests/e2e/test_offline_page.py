"""The installable page: manifest and worker, the offline queue, refusals, and first-load speed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    ADMIN_PASSWORD,
    CHROMIUM_ARGS,
    DESKTOP,
    PASSWORD,
    PHONE,
    Api,
    Server,
    Watch,
    clear_toasts,
    food_jpeg,
    open_page,
    save_screenshot,
    sign_in,
    start_server,
    wait_live,
)
from tests.e2e.test_page_basics import fetch

pytestmark = pytest.mark.e2e
# Chromium's "Slow 3G"-like profile for the first-load figure: 400 kbit/s both ways, 400 ms RTT.
SLOW = {"latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}


def pair(admin: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    trainer = admin.user("trainer", "Coach Maya")
    client = admin.user("client", "Alex Rivera")
    admin.assign(trainer, client)
    return trainer, client


def controlled(page: Any) -> None:
    """The service worker controls the page (the first one claims it at once)."""
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15_000)


def photo(name: str, seed: int) -> dict[str, Any]:
    return {"name": name, "mimeType": "image/jpeg", "buffer": food_jpeg(seed, (3200, 2400))}


def queue_meal_progress_message(page: Any) -> None:
    page.fill("#meal-name", "Basement protein shake")
    page.set_input_files("#meal-form input[type=file]", files=[photo("shake.jpg", 3)])
    page.click("#meal-form button[type=submit]")
    expect(page.locator('[data-queue="meal"] .queued', has_text="Basement protein")).to_be_visible()
    page.click('button.tab[data-tab="progress"]')
    page.fill("#weight", "81.4")
    page.fill("#progress-notes", "Logged underground")
    page.set_input_files("#progress-form input[type=file]", files=[photo("front.jpg", 5)])
    page.click("#progress-form button[type=submit]")
    expect(page.locator('[data-queue="progress"] .queued')).to_contain_text("81.4 kg")
    page.click('button.tab[data-tab="messages"]')
    page.fill(".messages-card textarea", "No signal down here, sending later")
    page.click(".messages-card button[type=submit]")
    expect(page.locator('[data-queue="message"] .queued')).to_contain_text("No signal")


def test_manifest_worker_and_installability(
    browser: Any, server: Server, chromium_path: str, tmp_path: Path
) -> None:
    manifest = fetch(server, "/manifest.webmanifest")
    assert manifest.status == 200
    assert manifest.headers["Content-Type"].startswith("application/manifest+json")
    data = json.loads(manifest.body)
    assert data["display"] == "standalone" and data["start_url"] == "/" and data["scope"] == "/"
    sizes = {(i["sizes"], i["purpose"]) for i in data["icons"] if i["type"] == "image/png"}
    assert sizes == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    for icon in data["icons"]:
        assert fetch(server, icon["src"]).status == 200, icon
    worker = fetch(server, "/sw.js")
    assert worker.status == 200 and worker.headers["Content-Type"].startswith("text/javascript")
    assert worker.headers["Cache-Control"] == "no-cache"
    assert b"__VERSION__" not in worker.body and b'"/static/app.js"' in worker.body
    assert fetch(server, "/static/sw.js").status == 404
    zipped = fetch(server, "/static/app.js", {"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip" and zipped.headers["ETag"].endswith('-gz"')

    # Chromium refuses installation in incognito, which every new_context() is: a profile on disk.
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=chromium_path, args=CHROMIUM_ARGS
    )
    try:
        page = context.new_page()
        watch = Watch(page)
        page.goto(server.base + "/")
        expect(page.locator("#signin-form")).to_be_visible()
        controlled(page)
        cdp = context.new_cdp_session(page)
        errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        assert errors == [], errors
        assert watch.errors == []
    finally:
        context.close()


def test_a_refused_queued_item_shows_its_reason_and_can_be_fixed(
    browser: Any, tmp_path: Path
) -> None:
    server = start_server(tmp_path)
    try:
        refused_then_fixed(browser, server)
    finally:
        server.stop()


def refused_then_fixed(browser: Any, server: Server) -> None:
    _trainer, client = pair(Api(server).login("admin", ADMIN_PASSWORD))
    context, page, watch = open_page(browser, server, PHONE)
    sign_in(page, client["username"])
    wait_live(page)
    page.click('button.tab[data-tab="progress"]')
    # The server is gone (offline emulation does not reliably reach a worker's fetches).
    server.stop()
    # The form refuses 500 kg itself; an item written by an older page can still hold it.
    page.evaluate(
        "async () => (await import('/static/app.js')).outbox.add('progress', {weight_kg: 500})"
    )
    queued = page.locator('[data-queue="progress"] .queued')
    expect(queued).to_contain_text("Waiting to send")
    expect(page.locator("#outbox-count")).to_have_text("1 waiting to send")
    server.start()
    # The server refuses 500 kg: the item says why and offers a fix.
    expect(queued.locator(".queue-reason")).to_contain_text("Not sent:", timeout=20_000)
    expect(queued.locator(".queue-reason")).to_contain_text("Weight must be at most 400 kg")
    expect(page.locator("#outbox-count")).to_have_text("1 not sent")
    clear_toasts(page)
    save_screenshot(page, "queue-refused-phone")
    queued.get_by_role("button", name="Fix").click()
    queued.locator("input[name=weight_kg]").fill("80.5")
    queued.get_by_role("button", name="Send again").click()
    expect(queued).to_have_count(0, timeout=15_000)
    expect(page.locator("#outbox-count")).to_be_hidden()
    entries = client["api"].call("GET", f"/api/progress?client_id={client['id']}", None, 200)
    assert [e["weight_kg"] for e in entries["entries"]] == [80.5]
    assert watch.errors == [] and watch.dialogs == []
    context.close()


# A server stop and restart and both pages' reconnect backoff (up to 8 s): with the long tests;
# the refused-item test keeps the queue's send and retry in the quick run.
@pytest.mark.long
def test_offline_queue_survives_a_reload_and_arrives_once(browser: Any, tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        admin = Api(server).login("admin", ADMIN_PASSWORD)
        trainer, client = pair(admin)
        _tctx, tpage, _tw = open_page(browser, server, DESKTOP)
        sign_in(tpage, trainer["username"])
        wait_live(tpage)
        tpage.click(f'[data-client-id="{client["id"]}"]')

        cctx, cpage, cwatch = open_page(browser, server, PHONE)
        sign_in(cpage, client["username"])
        wait_live(cpage)
        controlled(cpage)
        # Loaded once online, so the worker keeps these answers for reading offline.
        cpage.reload()
        wait_live(cpage)

        # The gym basement: no network for the page, and the server is gone too.
        cctx.set_offline(True)
        server.stop()
        queue_meal_progress_message(cpage)
        counter = cpage.locator("#outbox-count")
        expect(counter).to_have_text("3 waiting to send")

        # Closed and opened again while offline: the shell, the data and the queue are there.
        cpage.reload()
        expect(cpage.locator("#offline-bar")).to_be_visible()
        expect(counter).to_have_text("3 waiting to send")
        expect(cpage.locator('[data-queue="meal"] .queued img')).to_have_count(1)
        clear_toasts(cpage)
        save_screenshot(cpage, "offline-queue-phone")
        cpage.set_viewport_size(DESKTOP)
        save_screenshot(cpage, "offline-queue-desktop")

        server.start()
        cctx.set_offline(False)
        expect(counter).to_be_hidden(timeout=20_000)
        # The trainer's page was retrying too, on its own backoff (at most 8 s between tries):
        # once back, it replays what it missed and shows each of them live.
        wait_live(tpage, timeout=20_000)
        expect(tpage.locator(".timeline-card .meal", has_text="Basement protein")).to_be_visible()
        expect(tpage.locator(".messages .message", has_text="No signal")).to_be_visible()

        api = client["api"]
        meals = api.call("GET", f"/api/nutrition/meals?client_id={client['id']}", None, 200)
        assert [(m["meal_name"], len(m["photos"])) for m in meals["meals"]] == [
            ("Basement protein shake", 1)
        ]
        # Shrunk on the device to 2,560 px on the long side before it was sent.
        shot = meals["meals"][0]["photos"][0]
        assert max(shot["width"], shot["height"]) == 2560
        entries = api.call("GET", f"/api/progress?client_id={client['id']}", None, 200)
        assert [(e["notes"], len(e["photos"])) for e in entries["entries"]] == [
            ("Logged underground", 1)
        ]
        sent = api.call("GET", f"/api/messages?with={trainer['id']}", None, 200)
        assert [m["body"] for m in sent["messages"]] == ["No signal down here, sending later"]
        assert cwatch.errors == []
    finally:
        server.stop()


def first_load_ms(browser: Any, server: Server, username: str, slow: bool) -> float:
    """Milliseconds from navigation to the client's meal form, on a cold cache."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, locale="en-GB")
    context.request.post(
        server.base + "/api/auth/login", data={"username": username, "password": PASSWORD}
    )
    page = context.new_page()
    # Stamps the moment the meal form is in the page (no network round trip in the figure).
    page.add_init_script(
        "new MutationObserver((_, o) => { if (document.getElementById('meal-form')) {"
        " window.__ready = performance.now(); o.disconnect(); } })"
        ".observe(document, {childList: true, subtree: true});"
    )
    if slow:
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", {"offline": False, **SLOW})
    page.goto(server.base + "/", wait_until="commit")
    page.wait_for_selector("#meal-form button[type=submit]", timeout=30_000)
    ms = float(page.evaluate("window.__ready"))
    context.close()
    return ms


@pytest.mark.long
def test_first_load_is_fast_on_slow_3g(browser: Any, server: Server, admin_api: Api) -> None:
    _trainer, client = pair(admin_api)
    normal = first_load_ms(browser, server, client["username"], slow=False)
    slow = first_load_ms(browser, server, client["username"], slow=True)
    print(f"first load of the client screen: {normal:.0f} ms normal, {slow:.0f} ms slow 3G")
    assert slow < 3000, slow
