"""The coaching screens of round 2 in Chromium: feedback on a meal reaching the client's open
page, the before/after comparison, the trainer's dashboard, imperial units; screenshots of
them in both colour schemes at 390 x 844 and 1440 x 900 with axe-core's contrast rule."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from gymhub.imaging.figures import silhouette
from tests.e2e.helpers import (
    DESKTOP,
    PHONE,
    Api,
    Server,
    open_page,
    save_screenshot,
    sign_in,
    wait_live,
)
from tests.e2e.test_live_page import days_ago, pair, seed_history
from tests.e2e.test_screens import AXE, CONTRAST, Screens, open_screen

pytestmark = pytest.mark.e2e
DAY = "(iso) => new Intl.DateTimeFormat(undefined, {dateStyle: 'medium'}).format(new Date(iso))"
# The page writes a difference with a real minus sign.
MINUS = "\u2212"


def upload_pose(api: Api, pose: str, content: bytes) -> dict[str, Any]:
    """A progress photo with its pose (the Api helper sends no form fields)."""
    b = uuid.uuid4().hex
    head = f'--{b}\r\nContent-Disposition: form-data; name="pose"\r\n\r\n{pose}\r\n'
    part = f'--{b}\r\nContent-Disposition: form-data; name="file"; filename="{pose}.jpg"\r\n'
    body = (
        (head + part + "Content-Type: image/jpeg\r\n\r\n").encode()
        + content
        + f"\r\n--{b}--\r\n".encode()
    )
    req = urllib.request.Request(
        api.server.base + "/api/files/upload?category=progress_photos", data=body, method="POST"
    )
    req.add_header("Content-Type", f"multipart/form-data; boundary={b}")
    req.add_header("Authorization", f"Bearer {api.token}")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return dict(json.loads(resp.read()))


def photo_entries(client: dict[str, Any]) -> None:
    """Two dated entries with front and side photos, 84.2 kg then 81.0 kg."""
    api = client["api"]
    for n, (weight, girth, days) in enumerate([(84.2, 1.15, 40), (81.0, 1.0, 2)]):
        ids = [upload_pose(api, p, silhouette(p, girth, n))["id"] for p in ("front", "side")]
        body = {
            "weight_kg": weight,
            "measurements": {"waist_cm": 92.0 - n * 4},
            "recorded_at": days_ago(days),
            "photo_ids": ids,
        }
        api.call("POST", "/api/progress", body, 201)


# A measurement (the two-second goal): with the long tests.
@pytest.mark.long
def test_trainer_feedback_reaches_the_clients_meal_within_two_seconds(
    browser: Any, server: Server, admin_api: Api
) -> None:
    trainer, client = pair(admin_api)
    for name in ("Greek yoghurt", "Chicken and rice"):
        client["api"].call("POST", "/api/nutrition/meals", {"meal_name": name}, 201)
    cctx, cpage, cwatch = open_page(browser, server, DESKTOP)
    sign_in(cpage, client["username"])
    wait_live(cpage)
    tctx, tpage, twatch = open_page(browser, server, DESKTOP)
    sign_in(tpage, trainer["username"])
    wait_live(tpage)
    tpage.click(f'[data-client-id="{client["id"]}"]')
    meal = tpage.locator(".timeline-card .meal").first
    meal_id = meal.get_attribute("data-meal-id")
    meal.locator(".comment-toggle").click()
    meal.locator(".comment-form textarea").fill("Great portion of protein, add some greens.")
    started = time.monotonic()
    meal.locator(".comment-form button").click()
    on_client = cpage.locator(f'.meal-list [data-meal-id="{meal_id}"] .comment-body')
    expect(on_client).to_have_text("Great portion of protein, add some greens.", timeout=2000)
    assert time.monotonic() - started < 2.0
    expect(cpage.locator(f'.meal-list [data-meal-id="{meal_id}"] .comment-toggle')).to_have_text(
        "1 comment"
    )
    # Only that meal: the other one has no comment.
    assert cpage.locator(".meal-list .comment-body").count() == 1
    expect(cpage.locator(".feed-item.type-comment").first).to_contain_text("Coach Maya")
    # The client answers; the trainer's open thread shows it.
    cmeal = cpage.locator(f'.meal-list [data-meal-id="{meal_id}"]')
    cmeal.locator(".comment-form textarea").fill("Will do!")
    cmeal.locator(".comment-form button").click()
    expect(meal.locator(".comment-body")).to_have_count(2)
    assert cwatch.errors == [] and twatch.errors == []
    cctx.close()
    tctx.close()


def test_comparison_shows_the_same_pose_with_dates_and_weight_difference(
    browser: Any, server: Server, admin_api: Api
) -> None:
    _trainer, client = pair(admin_api)
    photo_entries(client)
    ctx, page, watch = open_page(browser, server, PHONE)
    media: list[str] = []
    page.on("request", lambda r: media.append(r.url) if "/media/" in r.url else None)
    sign_in(page, client["username"])
    wait_live(page)
    page.click('button.tab[data-tab="progress"]')
    media.clear()
    page.click('[data-pane="progress"] [data-testid="open-compare"]')
    view = page.locator('[data-testid="compare"]')
    expect(view.locator(".compare-slider img")).to_have_count(2)
    page.click('[data-mode="side"]')
    sides = view.locator(".compare-side")
    expect(sides).to_have_count(2)
    expect(sides.nth(0).locator("figcaption")).to_contain_text("Before")
    first, last = days_ago(40), days_ago(2)
    for i, iso in enumerate([first, last]):
        day = page.evaluate(DAY, iso)
        expect(sides.nth(i).locator("figcaption")).to_contain_text(day)
        expect(sides.nth(i).locator("img")).to_have_attribute(
            "alt", f"{['Before', 'After'][i]} · {day}"
        )
    expect(view.locator('[data-pose="front"]')).to_have_attribute("aria-pressed", "true")
    weight = view.locator('tr[data-stat="Weight"]')
    expect(weight.locator("td")).to_have_text(["84.2 kg", "81 kg", f"{MINUS}3.2 kg"])
    expect(view.locator('tr[data-stat="Waist"] .delta')).to_have_text(f"{MINUS}4 cm")
    # The side pose: both dates' side photos.
    page.click('[data-pose="side"]')
    srcs = [sides.nth(i).locator("img").get_attribute("src") for i in range(2)]
    assert all(s and "large" in s for s in srcs) and srcs[0] != srcs[1]
    assert media and all("large" in u for u in media), media
    # The slider by keyboard and by pointer.
    page.click('[data-mode="slider"]')
    handle = view.locator(".compare-handle")
    handle.focus()
    page.keyboard.press("ArrowRight")
    expect(handle).to_have_attribute("aria-valuenow", "55")
    page.keyboard.press("Home")
    expect(handle).to_have_attribute("aria-valuenow", "0")
    box = view.locator(".compare-slider").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.75, box["y"] + 20, steps=4)
    page.mouse.up()
    assert 70 <= int(handle.get_attribute("aria-valuenow") or 0) <= 80
    assert page.evaluate("document.documentElement.scrollWidth") == PHONE["width"]
    assert watch.errors == []
    ctx.close()


def test_dashboard_lists_the_inactive_client_first_and_updates_live(
    browser: Any, server: Server, admin_api: Api
) -> None:
    trainer, active = pair(admin_api)
    quiet = admin_api.user("client", "Quinn Quiet")
    admin_api.assign(trainer, quiet)
    active["api"].call("POST", "/api/nutrition/meals", {"meal_name": "Oats"}, 201)
    ctx, page, watch = open_page(browser, server, PHONE)
    sign_in(page, trainer["username"])
    wait_live(page)
    rows = page.locator('[data-testid="clients"] .client-row')
    expect(rows).to_have_count(2)
    assert rows.nth(0).get_attribute("data-client-id") == str(quiet["id"])
    expect(rows.nth(0)).to_contain_text("Check in")
    expect(rows.nth(0).locator('[data-fact="activity"]')).to_have_text("Active never")
    expect(rows.nth(1).locator('[data-fact="meals"]')).to_have_text("1 meal · 1/7 days logged")
    page.fill(".client-search", "quinn")
    expect(rows).to_have_count(1)
    page.fill(".client-search", "")
    # Live: the quiet client logs a meal and writes; the list is fetched again and reordered.
    quiet["api"].call("POST", "/api/nutrition/meals", {"meal_name": "Eggs"}, 201)
    quiet["api"].call("POST", "/api/messages", {"recipient_id": trainer["id"], "body": "Hi"}, 201)
    expect(rows.nth(1)).to_have_attribute("data-client-id", str(quiet["id"]), timeout=5000)
    expect(rows.nth(1).locator('[data-fact="unread-messages"]')).to_have_text("1 message")
    # An announcement to all of the trainer's clients, from the list's side.
    page.click(".announce-card summary")
    page.fill("#announce-message-my_clients", "The gym is closed on Monday.")
    page.click(".announce-card button[type=submit]")
    expect(page.locator(".announce-result")).to_have_text("Sent to 2 people.")
    notes = quiet["api"].call("GET", "/api/notifications?since=0", None, 200)["notifications"]
    assert [n["data"]["message"] for n in notes if n["type"] == "SYSTEM"] == [
        "The gym is closed on Monday."
    ]
    assert watch.errors == []
    ctx.close()


# Every screen in imperial units; the account test keeps the switch itself in the quick run.
@pytest.mark.long
def test_imperial_units_are_shown_and_entered(browser: Any, server: Server, admin_api: Api) -> None:
    trainer, client = pair(admin_api)
    client["api"].call("PATCH", "/api/me", {"units": "imperial"}, 200)
    client["api"].call(
        "POST", "/api/progress", {"weight_kg": 90.0, "recorded_at": days_ago(31)}, 201
    )
    ctx, page, watch = open_page(browser, server, PHONE)
    sign_in(page, client["username"])
    wait_live(page)
    page.click('button.tab[data-tab="progress"]')
    expect(page.locator("#progress-form")).to_contain_text("Weight (lb)")
    expect(page.locator(".progress-list .stat").first).to_have_text("198.4 lb")
    page.fill("#weight", "180")
    page.click(".measurements summary")
    expect(page.locator("#progress-form")).to_contain_text("Waist (in)")
    page.fill("#m-waist_cm", "32,5")
    page.fill("#m-neck_cm", "2")
    page.click("#progress-form button[type=submit]")
    expect(page.locator("#progress-form .form-error").last).to_contain_text(
        "Neck must be at least 4 in"
    )
    page.fill("#m-neck_cm", "15")
    page.click("#progress-form button[type=submit]")
    expect(page.locator(".progress-list .stat").first).to_have_text("180 lb")
    expect(page.locator(".progress-list .tl-item").first).to_contain_text("Waist 32.5 in")
    latest = client["api"].call("GET", f"/api/progress?client_id={client['id']}&limit=1", None, 200)
    entry = latest["entries"][0]
    assert abs(entry["weight_kg"] - 81.647) < 0.01
    assert abs(entry["measurements"]["waist_cm"] - 82.55) < 0.01
    expect(page.locator(".progress-chart figcaption")).to_contain_text(f"{MINUS}18.4 lb")
    # Correcting the entry speaks pounds and inches too, and sends only what was retyped.
    item = page.locator(".progress-list .tl-item").first
    item.locator(".actions-trigger").click()
    page.get_by_role("menuitem", name="Edit").click()
    form = item.locator('[data-testid="item-edit"]')
    expect(form).to_contain_text("Weight (lb)")
    expect(form).to_contain_text("Waist (in)")
    expect(form.locator('[name="weight_kg"]')).to_have_value("180")
    expect(form.locator('[name="waist_cm"]')).to_have_value("32.5")
    form.scroll_into_view_if_needed()
    save_screenshot(page, "progress-edit-imperial-phone")
    patches: list[str] = []
    page.on("request", lambda r: patches.append(r.post_data or "") if r.method == "PATCH" else None)
    form.locator('[name="weight_kg"]').fill("181")
    form.locator('[name="neck_cm"]').fill("15,5")
    form.get_by_role("button", name="Save").click()
    expect(page.locator(".progress-list .stat").first).to_have_text("181 lb")
    latest = client["api"].call("GET", f"/api/progress?client_id={client['id']}&limit=1", None, 200)
    entry = latest["entries"][0]
    assert abs(entry["weight_kg"] - 82.101) < 0.01
    assert abs(entry["measurements"]["neck_cm"] - 39.37) < 0.01
    assert entry["measurements"]["waist_cm"] == 82.55  # untouched: kept to the last decimal
    assert len(patches) == 1 and "body_fat_pct" not in patches[0]
    assert watch.errors == []
    ctx.close()
    # The trainer, in metric, sees kilograms.
    tctx, tpage, _ = open_page(browser, server, DESKTOP)
    sign_in(tpage, trainer["username"])
    wait_live(tpage)
    expect(tpage.locator(f'[data-client-id="{client["id"]}"] [data-fact="weight"]')).to_have_text(
        f"82.1 kg ({MINUS}7.9 kg in 30 days)"
    )
    tctx.close()


# axe on the screen under test only: the whole page takes seconds per run.
CONTRAST_IN = CONTRAST.replace(
    "axe.run(document,", "axe.run(document.querySelector(sel) || document,"
).replace("async () =>", "async (sel) =>")


def check(screens: Screens, name: str, within: str) -> None:
    """Screens.check without scrolling to the top: the item shown stays in view."""
    page = screens.page
    page.evaluate("document.getElementById('toasts').replaceChildren()")
    screens.shots.append(save_screenshot(page, name).name)
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    screens.problems += [f"{name}: {p}" for p in page.evaluate(CONTRAST_IN, within)]


def shoot(screens: Screens, name: str, show: Any, within: str) -> None:
    """name in both colour schemes at both sizes; show() brings the screen up after a resize."""
    page = screens.page
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(viewport)
            show()
            assert page.evaluate("document.documentElement.scrollWidth") == viewport["width"]
            check(screens, f"{name}-{size}-{scheme}", within)


@pytest.mark.long
def test_screens_of_feedback_comparison_and_dashboard_meet_aa_contrast(
    browser: Any, server: Server, admin_api: Api
) -> None:
    trainer, client = pair(admin_api)
    seed_history(client, trainer)
    photo_entries(client)
    admin_api.assign(trainer, admin_api.user("client", "Quinn Quiet"))
    meals = client["api"].call("GET", f"/api/nutrition/meals?client_id={client['id']}", None, 200)
    meal_id = meals["meals"][0]["id"]
    body = "Nice balance. Next time add a handful of spinach for fibre."
    comment = {"target": "meal", "target_id": meal_id, "body": body}
    trainer["api"].call("POST", "/api/comments", comment, 201)

    ctx, page = open_screen(browser, server)
    sign_in(page, client["username"])
    wait_live(page)
    screens = Screens(page, "coach")
    item = page.locator(f'.meal-list [data-meal-id="{meal_id}"]')

    def feedback() -> None:
        page.click('button.tab[data-tab="meals"]') if page.locator(
            "nav.tabs"
        ).is_visible() else None
        if item.locator(".comment-thread").is_hidden():
            item.locator(".comment-toggle").click()
        expect(item.locator(".comment-body")).to_have_text(body)
        item.evaluate("(el) => el.scrollIntoView({ block: 'center' })")

    shoot(screens, "coach-meal-feedback", feedback, f'.meal-list [data-meal-id="{meal_id}"]')
    page.evaluate("window.scrollTo(0, 0)")

    def compare() -> None:
        if page.locator('[data-testid="compare"]').count() == 0:
            if page.locator("nav.tabs").is_visible():
                page.click('button.tab[data-tab="progress"]')
            page.click('[data-pane="progress"] [data-testid="open-compare"]')
        expect(page.locator(".compare-slider img").nth(1)).to_be_visible()
        page.wait_for_function(
            "[...document.querySelectorAll('.compare img')].every((i) => i.complete)"
        )

    shoot(screens, "coach-compare", compare, ".compare")
    ctx.close()

    ctx, page = open_screen(browser, server)
    sign_in(page, trainer["username"])
    wait_live(page)
    tscreens = Screens(page, "coach")

    def dashboard() -> None:
        if page.locator(".back").is_visible():
            page.click(".back")
        expect(page.locator('[data-testid="clients"] .client-row')).to_have_count(2)

    shoot(tscreens, "coach-dashboard", dashboard, ".trainer-aside")
    ctx.close()
    problems = screens.problems + tscreens.problems
    assert problems == [], "\n".join(problems[:30])
