"""Sign-in messages, sign-out, the admin screen and the page's security headers."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import expect

from gymhub.views.bundle import join
from gymhub.web.headers import PAGE_CSP
from tests.e2e.helpers import (
    DESKTOP,
    PHONE,
    REPO,
    Api,
    Server,
    clear_toasts,
    open_page,
    save_screenshot,
    sign_in,
    wait_live,
)

pytestmark = pytest.mark.e2e
STATIC = REPO / "gymhub" / "static"
IMPORT = re.compile(r"""^import [^;]* from "\./([^"]+)";$|import\("\./([^"]+)"\)""", re.MULTILINE)


class Fetched:
    def __init__(self, status: int, headers: Any, body: bytes):
        self.status, self.headers, self.body = status, headers, body


def fetch(server: Server, path: str, headers: dict[str, str] | None = None) -> Fetched:
    req = urllib.request.Request(server.base + path, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return Fetched(resp.status, resp.headers, resp.read())
    except urllib.error.HTTPError as err:
        with err:
            return Fetched(err.code, err.headers, err.read())


def test_page_and_assets_carry_strict_headers(server: Server) -> None:
    page = fetch(server, "/")
    assert page.status == 200
    assert page.headers["Content-Security-Policy"] == PAGE_CSP
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Cache-Control"] == "no-cache"
    body = page.body.decode()
    # Nothing inline that the CSP would have to allow, and no third-party host.
    assert "<script>" not in body and "<style" not in body and " style=" not in body
    assert "http://" not in body and "https://" not in body
    etag = page.headers["ETag"]
    again = fetch(server, "/", {"If-None-Match": etag})
    assert again.status == 304

    for name, kind in [
        ("app.js", "text/javascript"),
        ("style.css", "text/css"),
        ("icon.svg", "image/svg+xml"),
    ]:
        asset = fetch(server, f"/static/{name}")
        assert asset.status == 200, name
        assert asset.headers["Content-Type"].startswith(kind)
        assert asset.headers["Content-Security-Policy"] == PAGE_CSP
        assert asset.headers["X-Content-Type-Options"] == "nosniff"
        assert asset.headers["ETag"]

    for bad in ["/static/nope.js", "/static/..%2Fhandlers%2Fpage.py", "/static/.hidden.js"]:
        assert fetch(server, bad).status == 404, bad


def test_every_module_the_page_imports_is_served(server: Server) -> None:
    """The page loads early.js and one joined module; the modules it loads later are the flat
    files of gymhub/static/, their shared imports pointed at the joined module. Every module on
    disk is either in the joined one or reached from it: nothing is dead code."""
    html = fetch(server, "/").body.decode()
    todo = re.findall(r'<script type="module"(?: async)? src="/static/([^"]+)">', html)
    assert todo == ["early.js", "app.js"]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        asset = fetch(server, f"/static/{name}")
        assert asset.status == 200, name
        assert asset.headers["Content-Type"].startswith("text/javascript"), name
        todo.extend(a or b for a, b in IMPORT.findall(asset.body.decode()))
    disk = {p.name: p.read_text() for p in STATIC.glob("*.js")}
    joined = join(["app.js", "pwa.js"], disk)
    assert not seen & set(joined.members) - {"app.js"}
    # The service worker is the exception: served at /sw.js (scope /), not a module of the page.
    assert seen | set(joined.members) == set(disk) - {"sw.js"}


def test_no_joined_name_hides_a_browser_global(browser: Any, server: Server) -> None:
    """The joined modules share one scope: a top-level name of one module that is also a global
    (`open`, `status`, `name`) would change what another module's use of that global means."""
    context, page, watch = open_page(browser, server, PHONE)
    # Up the prototype chain too: `window.when` would come from EventTarget's prototype.
    globals_ = set(
        page.evaluate(
            """() => { const names = [];
              for (let o = globalThis; o; o = Object.getPrototypeOf(o))
                names.push(...Object.getOwnPropertyNames(o));
              return names; }"""
        )
    )
    context.close()
    disk = {p.name: p.read_text() for p in STATIC.glob("*.js")}
    assert not set(join(["app.js", "pwa.js"], disk).declared) & globals_
    assert watch.errors == []


def test_the_first_screen_asks_for_its_data_once(
    browser: Any, server: Server, admin_api: Api
) -> None:
    """early.js spells out the first three paths (an import would hold them back): each must be
    one the page then asks for, so that it takes early.js's answer instead of asking again."""
    user = admin_api.user("client", "Robin")
    context, page, watch = open_page(browser, server, PHONE)
    sign_in(page, user["username"])
    wait_live(page)
    page.reload()
    wait_live(page)
    page.wait_for_selector("#meal-form button[type=submit]")
    asked = page.evaluate(
        "performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname)"
    )
    for path in ["/api/me", "/api/notifications", "/api/users"]:
        assert asked.count(path) == 1, (path, asked)
    context.close()
    assert watch.errors == []


def test_a_module_that_fails_to_load_is_explained(
    browser: Any, server: Server, admin_api: Api
) -> None:
    """A later module can fail (no connection; a page open across an upgrade, whose old joined
    module lacks a name the new file imports): the person reads a sentence, caught or not."""
    user = admin_api.user("client", "Kim")
    context, page, _watch = open_page(browser, server, PHONE)
    sign_in(page, user["username"])
    wait_live(page)
    caught = page.evaluate(
        """async () => {
          const { explain } = await import("/static/app.js");
          try { await import("/static/no-such-module.js"); } catch (err) { return explain(err); }
        }"""
    )
    assert (
        caught
        == "Part of this page could not be loaded. Check the connection, then reload the page."
    )
    clear_toasts(page)
    page.evaluate("() => { import('/static/another-missing-module.js'); }")
    toast = page.locator(".toast.error")
    expect(toast).to_contain_text("Something did not load")
    expect(toast).to_contain_text("Check the connection, then reload the page.")
    context.close()


def test_api_paths_are_written_only_in_paths_js() -> None:
    for path in STATIC.glob("*.js"):
        # early.js asks for the first screen's data before any module arrives (tested above).
        if path.name not in {"paths.js", "early.js"}:
            assert "/api/" not in path.read_text(), f"{path.name}: use paths.js"


def test_wrong_password_then_rate_limit_messages(
    browser: Any, server: Server, admin_api: Api
) -> None:
    user = admin_api.user("client", "Sam")
    context, page, _watch = open_page(browser, server, PHONE)
    expect(page.locator("#signin-form")).to_be_visible()
    sign_in(page, user["username"], "not-the-password")
    error = page.locator("#signin-error")
    expect(error).to_have_text("Wrong username or password.")
    statuses = []
    for _ in range(6):
        with page.expect_response("**/api/auth/login") as answer:
            sign_in(page, user["username"], "not-the-password")
        statuses.append(answer.value.status)
        expect(page.locator("#signin-submit")).to_be_enabled()
        if answer.value.status == 429:
            break
    assert statuses[-1] == 429 and set(statuses[:-1]) == {401}, statuses
    expect(error).to_contain_text("Too many failed attempts. Try again in")
    assert page.locator("#topbar").is_hidden()
    context.close()


def test_admin_manages_people_and_signs_out(browser: Any, server: Server) -> None:
    context, page, watch = open_page(browser, server, DESKTOP)
    sign_in(page, "admin", "e2e-admin-password")
    wait_live(page)
    form = page.locator("#create-user")
    for username, role in [("coach_kim", "trainer"), ("pat_client", "client")]:
        form.locator("input[name=username]").fill(username)
        form.locator("input[name=display_name]").fill(username.replace("_", " ").title())
        form.locator("input[name=password]").fill("a-strong-password")
        form.locator("select[name=role]").select_option(role)
        form.locator("button[type=submit]").click()
        expect(page.locator("table.users td", has_text=f"@{username}")).to_be_visible()

    # Duplicate usernames and refused characters are told in words, and a stale error goes
    # once the next attempt is made.
    form.locator("input[name=username]").fill("coach_kim")
    form.locator("input[name=password]").fill("a-strong-password")
    form.locator("button[type=submit]").click()
    expect(form.locator(".form-error")).to_have_text(
        "The username “coach_kim” is taken. Choose another one."
    )
    form.locator("input[name=username]").fill("coach kim!")
    expect(form.locator(".form-error")).to_be_hidden()
    form.locator("button[type=submit]").click()
    expect(form.locator(".form-error")).to_have_text(
        "The username may hold only letters, digits and . _ @ + - (no spaces or control "
        "characters)."
    )
    form.locator("input[name=username]").fill("casey")
    form.locator("input[name=display_name]").fill("Casey")
    form.locator("input[name=password]").fill("a-strong-password")
    form.locator("button[type=submit]").click()
    expect(page.locator("table.users td", has_text="@casey")).to_be_visible()
    expect(form.locator(".form-error")).to_be_hidden()

    assign = page.locator(".assign-card form")
    assign.locator("select[name=trainer]").select_option(label="Coach Kim (@coach_kim)")
    assign.locator("select[name=client]").select_option(label="Pat Client (@pat_client)")
    assign.locator("button[type=submit]").click()
    expect(page.locator(".assign-group", has_text="Coach Kim").locator(".chip")).to_have_text(
        "Pat Client\N{MULTIPLICATION SIGN}"
    )
    expect(page.locator(".storage-card .kpi").first).to_be_visible()

    # A SYSTEM notification to oneself arrives on this very page's socket.
    notify = page.locator(".notify-card form")
    notify.locator("select[name=user]").select_option(label="Administrator (@admin)")
    notify.locator("input[name=message]").fill("Gym closes at 18:00 today")
    notify.locator("button[type=submit]").click()
    expect(page.locator(".feed-list li", has_text="Gym closes at 18:00 today")).to_be_visible()

    # Screenshots of the admin's screen at desktop and phone widths.
    clear_toasts(page)
    save_screenshot(page, "admin-desktop")
    page.set_viewport_size(PHONE)
    clear_toasts(page)
    save_screenshot(page, "admin-phone")

    # On a phone the Disable button is whole, and disabling asks first, in the page.
    row = page.locator("table.users tr", has_text="@casey")
    button = row.locator("button", has_text="Disable")
    box = button.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    button.click()
    expect(row.locator(".confirm-question")).to_have_text(
        "Disable Casey? They are signed out at once."
    )
    row.locator("button", has_text="Cancel").click()
    expect(row.locator(".confirm-question")).to_have_count(0)
    row.locator("button", has_text="Disable").click()
    yes = row.locator(".confirm-actions button", has_text="Disable")
    box = yes.bounding_box()
    assert box and box["x"] + box["width"] <= PHONE["width"], box
    yes.click()
    expect(row.locator("button", has_text="Enable")).to_be_visible()

    page.click("#sign-out")
    expect(page.locator("#signin-form")).to_be_visible()
    status = page.evaluate("fetch('/api/me', {credentials: 'same-origin'}).then(r => r.status)")
    assert status == 401
    assert watch.errors == [] and watch.dialogs == []
    context.close()
