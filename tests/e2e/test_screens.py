"""Every main screen at 390 x 844 and 1440 x 900 in light and dark mode: a screenshot of each (into
build/screenshots, or GYMHUB_SCREENSHOTS) and axe-core's colour-contrast rules (WCAG AA) on it.

axe-core is vendored in tests/e2e/vendor/ (no third-party host at run time); it is injected into
the page under test only, in a context that lets the test's own script past the page's CSP.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    ADMIN_PASSWORD,
    DESKTOP,
    PASSWORD,
    PHONE,
    Api,
    Server,
    clear_toasts,
    food_jpeg,
    save_screenshot,
    sign_in,
    wait_live,
)
from tests.e2e.test_live_page import pair, seed_history
from tests.imaging_samples import make_pdf

pytestmark = [pytest.mark.e2e, pytest.mark.long]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
CONTRAST = """async () => {
  const r = await axe.run(document, { runOnly: { type: "rule", values: ["color-contrast"] } });
  return r.violations.flatMap((v) => v.nodes.map((n) => `${n.target}: ${n.failureSummary}`));
}"""


def open_screen(browser: Any, server: Server) -> tuple[Any, Any]:
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=1, locale="en-GB", bypass_csp=True
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(server.base + "/")
    return context, page


class Screens:
    """Shoots and checks one page's screens in both colour schemes and both sizes."""

    def __init__(self, page: Any, role: str):
        self.page = page
        self.role = role
        self.problems: list[str] = []
        self.shots: list[str] = []

    def check(self, name: str, focus: Any = None) -> None:
        clear_toasts(self.page)
        if focus is not None:
            focus.evaluate("el => el.scrollIntoView({block: 'center'})")
        self.page.wait_for_timeout(50)
        self.shots.append(save_screenshot(self.page, name).name)
        if not self.page.evaluate("typeof axe !== 'undefined'"):
            self.page.add_script_tag(path=str(AXE))
        self.problems += [f"{name}: {p}" for p in self.page.evaluate(CONTRAST)]

    def all(self, phone: list[tuple[str, Callable[[], None]]], desktop: Callable[[], None]) -> None:
        for scheme in ("light", "dark"):
            self.page.emulate_media(color_scheme=scheme)
            self.page.set_viewport_size(PHONE)
            for screen, show in phone:
                show()
                self.check(f"{self.role}-{screen}-phone-{scheme}")
            self.page.set_viewport_size(DESKTOP)
            desktop()
            self.check(f"{self.role}-desktop-{scheme}")


def tab(page: Any, name: str) -> Callable[[], None]:
    return lambda: page.click(f'button.tab[data-tab="{name}"]')


def meal_being_sent(page: Any) -> list[str]:
    """The client's meal drawn from the device's photo while its request is held (issue #18)."""
    held: list[Any] = []
    page.route("**/api/nutrition/meals", lambda route: held.append(route))

    def send() -> None:
        if page.locator('button.tab[data-tab="meals"]').is_visible():
            page.click('button.tab[data-tab="meals"]')
        if not held:
            page.fill("#meal-name", "Tuna salad")
            page.set_input_files(
                "#meal-form input[type=file]",
                files=[{"name": "tuna.jpg", "mimeType": "image/jpeg", "buffer": food_jpeg(6)}],
            )
            page.click("#meal-form button[type=submit]")
        expect(page.locator(".meal-list .draft img")).to_be_visible()

    screens = Screens(page, "client-sending")
    screens.all([("meals", send)], send)
    # The held request stays unanswered: the context is closed next.
    return screens.problems


def test_every_screen_light_and_dark_meets_aa_contrast(
    browser: Any, server: Server, admin_api: Api, tmp_path: Path
) -> None:
    trainer, client = pair(admin_api)
    seed_history(client, trainer)
    client["api"].upload(
        "/api/files/upload?category=documents",
        "Training plan March.pdf",
        make_pdf(tmp_path / "p.pdf").read_bytes(),
        "application/pdf",
    )
    problems: list[str] = []

    ctx, page = open_screen(browser, server)
    expect(page.locator("#signin-form")).to_be_visible()
    signin = Screens(page, "signin")
    signin.all([("form", lambda: None)], lambda: None)
    sign_in(page, client["username"])
    wait_live(page)
    screens = Screens(page, "client")
    phone = [(t, tab(page, t)) for t in ["meals", "progress", "photos", "messages", "feed"]]
    screens.all(phone, lambda: None)
    problems += signin.problems + screens.problems
    problems += meal_being_sent(page)
    ctx.close()

    ctx, page = open_screen(browser, server)
    sign_in(page, trainer["username"])
    wait_live(page)
    screens = Screens(page, "trainer")

    def open_client() -> None:
        page.click(f'[data-client-id="{client["id"]}"]')
        expect(page.locator(".timeline-card .meal").first).to_be_visible()

    def back() -> None:
        if page.locator(".back").is_visible():
            page.click(".back")

    screens.all([("list", back), ("client", open_client)], open_client)
    problems += screens.problems
    ctx.close()

    ctx, page = open_screen(browser, server)
    sign_in(page, "admin", ADMIN_PASSWORD)
    wait_live(page)
    screens = Screens(page, "admin")
    phone = [(t, tab(page, t)) for t in ["people", "assign", "storage", "feed"]]
    screens.all(phone, lambda: None)
    problems += screens.problems
    ctx.close()
    assert problems == [], "\n".join(problems[:30])


def trainer_views_photos(browser: Any, server: Server, trainer: Any, client: Any) -> Any:
    """The trainer opens the client with every photo thumbnail loaded; returns the page."""
    _, page = open_screen(browser, server)
    page.set_viewport_size(DESKTOP)
    sign_in(page, trainer["username"])
    wait_live(page)
    page.click(f'[data-client-id="{client["id"]}"]')
    shown = page.locator(".photos-card .thumb img")
    expect(shown.first).to_be_visible()
    page.locator(".photos-card").scroll_into_view_if_needed()
    page.wait_for_function(
        "[...document.querySelectorAll('.photos-card .thumb img')]"
        ".every((i) => i.complete && i.naturalWidth > 0)"
    )
    return page


def test_privacy_screen_log_private_photo_export_and_erase(
    browser: Any, server: Server, admin_api: Api
) -> None:
    trainer, client = pair(admin_api)
    api = client["api"]
    up = "/api/files/upload?category=progress_photos"
    photos = [api.upload(up, f"p{n}.jpg", food_jpeg(n + 3)) for n in range(2)]
    api.call(
        "POST", "/api/progress", {"weight_kg": 80.5, "photo_ids": [p["id"] for p in photos]}, 201
    )
    tpage = trainer_views_photos(browser, server, trainer, client)

    ctx, page = open_screen(browser, server)
    sign_in(page, client["username"])
    wait_live(page)
    page.click('button.tab[data-tab="privacy"]')
    words = "Coach Maya viewed 2 of your progress photos today."
    expect(page.locator(".access-sentence")).to_have_text([words])
    expect(page.locator(".access-detail")).to_contain_text("views")

    # One photo made private: a lock on the owner's tile, gone from the trainer's page.
    page.click('button.tab[data-tab="photos"]')
    tile = page.locator(f'.photo-tile[data-file-id="{photos[0]["id"]}"]')
    tile.get_by_role("button", name="Make private").click()
    expect(tile.locator(".lock-badge")).to_have_text("Private")
    tpage.reload()
    wait_live(tpage)
    tpage.click(f'[data-client-id="{client["id"]}"]')
    expect(tpage.locator(f'.photos-card [data-file-id="{photos[1]["id"]}"]')).to_be_visible()
    expect(tpage.locator(f'[data-file-id="{photos[0]["id"]}"]')).to_have_count(0)
    tpage.context.close()

    # The admin reads the same log from People.
    actx, apage = open_screen(browser, server)
    sign_in(apage, "admin", ADMIN_PASSWORD)
    wait_live(apage)
    row = apage.locator("table.users tr", has_text=client["username"])
    row.get_by_role("button", name="Access log").click()
    dialog = apage.locator("dialog.access-dialog")
    expect(dialog.locator(".access-sentence")).to_have_text(
        ["Coach Maya viewed 2 of Alex Rivera's progress photos today."]
    )
    admin_shots = Screens(apage, "admin")
    apage.emulate_media(color_scheme="dark")
    admin_shots.check("admin-access-log-phone-dark")
    actx.close()

    shots = Screens(page, "client")
    erase_form = page.locator(".erase-form")
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for size, label in ((PHONE, "phone"), (DESKTOP, "desktop")):
            page.set_viewport_size(size)
            if size == PHONE:
                page.click('button.tab[data-tab="photos"]')
            shots.check(f"client-private-photo-{label}-{scheme}", tile)
            if size == PHONE:
                page.click('button.tab[data-tab="privacy"]')
            shots.check(f"client-privacy-{label}-{scheme}", page.locator(".privacy-card h2"))
            page.click("text=Erase my account…")
            shots.check(f"client-privacy-erase-{label}-{scheme}", erase_form)
            page.click(".erase-form >> text=Cancel")
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") == 320
    edge = "document.querySelector('.tab[data-tab=privacy]').getBoundingClientRect().right"
    assert page.evaluate(edge) <= 320
    save_screenshot(page, "client-privacy-320-dark")
    assert shots.problems + admin_shots.problems == []

    with page.expect_download() as download:
        page.click('[data-testid="export"]')
    with zipfile.ZipFile(download.value.path()) as archive:
        assert json.loads(archive.read("account.json"))["id"] == client["id"]
        assert sum(n.startswith("files/progress_photos/") for n in archive.namelist()) == 2

    page.click("text=Erase my account…")
    page.fill('.erase-form input[name="current_password"]', "not-my-password")
    page.fill('.erase-form input[name="confirm"]', client["username"])
    page.click("text=Erase everything")
    expect(erase_form.locator(".form-error")).to_have_text(
        "That password is not right. Nothing was erased."
    )
    admin_api.call("GET", f"/api/users/{client['id']}", expect=200)
    page.fill('.erase-form input[name="current_password"]', PASSWORD)
    page.click("text=Erase everything")
    expect(page.locator("#signin-form")).to_be_visible()
    expect(page.locator("#signin-error")).to_have_text(
        "Your account has been erased, with your meals, progress, photos, documents and messages."
    )
    admin_api.call("GET", f"/api/users/{client['id']}", expect=404)
    ctx.close()


SCOPED = CONTRAST.replace("async () =>", "async (scope) =>").replace("(document,", "(scope,")


def shoot(page: Any, name: str, problems: list[str], scope: str) -> None:
    """A screenshot (toasts kept: the Undo toast) and the contrast check of scope only."""
    page.wait_for_timeout(80)
    save_screenshot(page, name)
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    problems += [f"{name}: {p}" for p in page.evaluate(SCOPED, scope)]


def corrections_screens(page: Any, problems: list[str]) -> None:
    item = page.locator(".meal-card .tl-item").first
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(viewport)
            clear_toasts(page)
            item.locator(".actions-trigger").click()
            shoot(page, f"fix-menu-{size}-{scheme}", problems, ".meal-card .timeline")
            page.get_by_role("menuitem", name="Edit").click()
            item.locator(".item-edit").scroll_into_view_if_needed()
            shoot(page, f"fix-edit-{size}-{scheme}", problems, ".meal-card .timeline")
            item.get_by_role("button", name="Cancel").click()
            item.locator(".actions-trigger").click()
            page.get_by_role("menuitem", name="Delete").click()
            page.locator(".actions-confirm").get_by_role("menuitem", name="Delete").click()
            shoot(page, f"fix-undo-{size}-{scheme}", problems, "#toasts")
            page.locator(".undo-toast").get_by_role("button", name="Undo").click()
            page.click("#account-open")
            shoot(page, f"fix-account-{size}-{scheme}", problems, ".account-dialog")
            page.get_by_role("button", name="Close").click()


def test_corrections_account_and_reset_code_screens(
    browser: Any, server: Server, admin_api: Api
) -> None:
    _, client = pair(admin_api)
    for name in ("Chicken and rice", "Greek yoghurt with berries"):
        client["api"].call(
            "POST", "/api/nutrition/meals", {"meal_name": name, "notes": "Lunch"}, 201
        )
    problems: list[str] = []
    ctx, page = open_screen(browser, server)
    sign_in(page, client["username"])
    wait_live(page)
    corrections_screens(page, problems)
    ctx.close()

    ctx, page = open_screen(browser, server)
    sign_in(page, "admin", ADMIN_PASSWORD)
    wait_live(page)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(viewport)
            row = page.locator("table.users tr", has_text=client["username"])
            row.get_by_role("button", name="Reset code").click()
            shoot(page, f"fix-reset-code-{size}-{scheme}", problems, ".reset-dialog")
            page.get_by_role("button", name="Done").click()
    page.set_viewport_size({"width": 320, "height": 700})
    assert page.evaluate("document.documentElement.scrollWidth") == 320
    ctx.close()
    assert problems == [], "\n".join(problems[:30])
