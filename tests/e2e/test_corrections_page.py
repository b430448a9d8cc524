"""The page's corrections, account screen, reset codes and unassignment in a real Chromium."""

from __future__ import annotations

import re
import time
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
    food_jpeg,
    open_page,
    sign_in,
    wait_for,
    wait_live,
)

pytestmark = pytest.mark.e2e


def pair(admin: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    trainer = admin.user("trainer", "Coach Lena")
    client = admin.user("client", "Sam Okafor")
    admin.assign(trainer, client)
    return trainer, client


def open_as(browser: Any, server: Server, user: dict[str, Any], viewport: dict[str, int]) -> Any:
    _, page, watch = open_page(browser, server, viewport)
    sign_in(page, user["username"])
    wait_live(page)
    page.watch = watch
    return page


# Long: it waits out two real 5 s Undo windows (20 s on 2 cores).
@pytest.mark.long
def test_meal_edit_and_delete_with_undo_update_the_trainer_live(
    browser: Any, server: Server, admin_api: Api
) -> None:
    trainer, client = pair(admin_api)
    api = client["api"]
    meal = api.call("POST", "/api/nutrition/meals", {"meal_name": "Porridge"}, 201)
    entry = api.call("POST", "/api/progress", {"weight_kg": 80.5}, 201)
    coach = open_as(browser, server, trainer, DESKTOP)
    coach.click(f'.client-row[data-client-id="{client["id"]}"]')
    coach_item = coach.locator(f'.timeline-card [data-meal-id="{meal["id"]}"]')
    expect(coach_item).to_contain_text("Porridge")
    expect(coach.locator(".timeline-card .item-actions")).to_have_count(0)

    page = open_as(browser, server, client, PHONE)
    item = page.locator(f'.meal-card [data-meal-id="{meal["id"]}"]')
    item.locator(".actions-trigger").click()
    page.get_by_role("menuitem", name="Edit").click()
    form = item.locator('[data-testid="item-edit"]')
    form.locator('[name="meal_name"]').fill("Porridge with banana")
    form.locator('[name="notes"]').fill("Oat milk")
    form.get_by_role("button", name="Save").click()
    expect(page.locator(f'.meal-card [data-meal-id="{meal["id"]}"] .meal-name')).to_have_text(
        "Porridge with banana"
    )
    # The trainer's open page follows the MEAL_UPDATED at once.
    expect(coach_item).to_contain_text("Porridge with banana")
    expect(coach_item).to_contain_text("Oat milk")

    # Delete, then Undo: nothing is sent, the meal comes back.
    item = page.locator(f'.meal-card [data-meal-id="{meal["id"]}"]')
    item.locator(".actions-trigger").click()
    page.get_by_role("menuitem", name="Delete").click()
    expect(page.locator(".actions-question")).to_contain_text("Delete this meal?")
    page.locator(".actions-confirm").get_by_role("menuitem", name="Delete").click()
    expect(item).to_be_hidden()
    deletes: list[str] = []
    page.on("request", lambda r: deletes.append(r.url) if r.method == "DELETE" else None)
    page.locator('[data-testid="undo-toast"]').get_by_role("button", name="Undo").click()
    expect(item).to_be_visible()

    # Delete for real: the DELETE goes after the toast, and the trainer's page drops it.
    t0 = time.monotonic()
    item.locator(".actions-trigger").click()
    page.get_by_role("menuitem", name="Delete").click()
    page.locator(".actions-confirm").get_by_role("menuitem", name="Delete").click()
    expect(page.locator('[data-testid="undo-toast"]')).to_be_visible()
    api.call("GET", f"/api/nutrition/meals/{meal['id']}", None, 200)
    expect(coach_item).to_have_count(0, timeout=9000)
    assert time.monotonic() - t0 >= 4.5
    api.call("GET", f"/api/nutrition/meals/{meal['id']}", None, 404)
    assert len(deletes) == 1  # the undone delete was never sent

    # A progress entry: edit the weight; the trainer's timeline shows it.
    page.get_by_role("tab", name="Progress").click()
    row = page.locator(f'.progress-card [data-progress-id="{entry["id"]}"]')
    row.locator(".actions-trigger").click()
    page.get_by_role("menuitem", name="Edit").click()
    row.locator('[name="weight_kg"]').fill("79.9")
    row.get_by_role("button", name="Save").click()
    expect(coach.locator(f'.timeline-card [data-progress-id="{entry["id"]}"]')).to_contain_text(
        "79.9 kg"
    )
    # Delete, then a reload before the toast ends: nothing is deleted.
    row = page.locator(f'.progress-card [data-progress-id="{entry["id"]}"]')
    expect(row).to_contain_text("79.9 kg")
    page.wait_for_timeout(500)  # the list is redrawn after the save and after its live echo
    row.locator(".actions-trigger").click()
    page.get_by_role("menuitem", name="Delete").click()
    page.locator(".actions-confirm").get_by_role("menuitem", name="Delete").click()
    page.reload()
    wait_live(page)
    time.sleep(5.5)
    assert api.call("GET", f"/api/progress/{entry['id']}", None, 200)["weight_kg"] == 79.9
    assert page.watch.errors == [] and coach.watch.errors == []


# Long: it waits out a real 5 s Undo window.
@pytest.mark.long
def test_message_edit_and_delete_show_on_both_sides(
    browser: Any, server: Server, admin_api: Api
) -> None:
    trainer, client = pair(admin_api)
    msg = client["api"].call(
        "POST", "/api/messages", {"recipient_id": trainer["id"], "body": "See you at 6"}, 201
    )
    coach = open_as(browser, server, trainer, DESKTOP)
    coach.click(f'.client-row[data-client-id="{client["id"]}"]')
    theirs = coach.locator(f'.messages [data-id="{msg["id"]}"]')
    expect(theirs).to_contain_text("See you at 6")
    expect(theirs.locator(".actions-trigger")).to_have_count(0)

    page = open_as(browser, server, client, PHONE)
    page.get_by_role("tab", name="Messages").click()
    mine = page.locator(f'.messages [data-id="{msg["id"]}"]')
    mine.locator(".actions-trigger").click()
    page.get_by_role("menuitem", name="Edit").click()
    mine.locator("textarea").fill("See you at 7")
    mine.get_by_role("button", name="Save").click()
    expect(mine).to_contain_text("See you at 7")
    expect(mine).to_contain_text("edited")
    expect(theirs).to_contain_text("See you at 7")

    mine.locator(".actions-trigger").click()
    page.get_by_role("menuitem", name="Delete").click()
    page.locator(".actions-confirm").get_by_role("menuitem", name="Delete").click()
    expect(theirs).to_contain_text("Message deleted", timeout=9000)
    expect(mine).to_contain_text("Message deleted")
    expect(mine.locator(".actions-trigger")).to_have_count(0)
    assert re.search("See you", theirs.inner_text()) is None


def test_account_changes_password_name_photo_and_units(
    browser: Any, server: Server, admin_api: Api, tmp_path: Any
) -> None:
    trainer, client = pair(admin_api)
    page = open_as(browser, server, client, PHONE)
    coach = open_as(browser, server, trainer, DESKTOP)
    page.click("#account-open")
    dialog = page.locator('[data-testid="account"]')
    expect(dialog).to_be_visible()
    photo = tmp_path / "me.jpg"
    photo.write_bytes(food_jpeg(3, (400, 400)))
    dialog.locator('input[type="file"]').set_input_files(str(photo))
    expect(page.locator("#who-avatar img.avatar-photo")).to_be_visible()
    dialog.locator("#account-name").fill("Sam O.")
    dialog.get_by_role("button", name="Save name").click()
    expect(page.locator("#who-name")).to_contain_text("Sam O.")
    dialog.get_by_role("radio", name=re.compile("Imperial")).check()
    wait_for(lambda: client["api"].call("GET", "/api/me")["units"] == "imperial")
    me = client["api"].call("GET", "/api/me")
    assert me["display_name"] == "Sam O." and me["profile_photo_id"]
    assert page.evaluate("document.documentElement.scrollWidth") == PHONE["width"]

    # A wrong current password says so; the right one keeps this page signed in and live.
    dialog.locator("#account-current-password").fill("not-my-password")
    dialog.locator("#account-new-password").fill("a-new-password-2")
    dialog.locator("#account-repeat-password").fill("a-new-password-2")
    dialog.get_by_role("button", name="Change password").click()
    expect(dialog.locator("#password-form .form-error")).to_have_text(
        "Your current password is not right."
    )
    dialog.locator("#account-current-password").fill(PASSWORD)
    dialog.get_by_role("button", name="Change password").click()
    expect(page.locator(".toast", has_text="Password changed")).to_be_visible()
    dialog.get_by_role("button", name="Close").click()
    wait_live(page)
    expect(page.locator("#signin")).to_be_hidden()
    Api(server).login(client["username"], "a-new-password-2")
    _, fresh, _ = open_page(browser, server, PHONE)
    sign_in(fresh, client["username"], "a-new-password-2")
    wait_live(fresh)

    # The trainer sees the photo beside the client's name in the list and the conversation.
    coach.reload()
    wait_live(coach)
    row = coach.locator(f'.client-row[data-client-id="{client["id"]}"]')
    expect(row.locator("img.avatar-photo")).to_be_visible()
    row.click()
    expect(coach.locator(".conv-peer img.avatar-photo")).to_be_visible()
    assert coach.locator(".conv-peer img.avatar-photo").evaluate("i => i.naturalWidth") > 0


# The page's side of a flow tests/test_account.py covers through the API: with the long tests.
@pytest.mark.long
def test_reset_code_from_admin_to_sign_in(browser: Any, server: Server, admin_api: Api) -> None:
    person = admin_api.user("client", "Rae Nakamura")
    _, admin, _ = open_page(browser, server, DESKTOP)
    sign_in(admin, "admin", ADMIN_PASSWORD)
    wait_live(admin)
    admin.locator("table.users tr", has_text=person["username"]).get_by_role(
        "button", name="Reset code"
    ).click()
    dialog = admin.locator('[data-testid="reset-dialog"]')
    expect(dialog).to_contain_text("valid 24 hours")
    code = dialog.locator('[data-testid="reset-code"]').inner_text().strip()
    assert len(code) >= 6
    dialog.get_by_role("button", name="Copy").click()
    expect(dialog.get_by_role("button", name=re.compile("Cop"))).to_be_visible()

    _, page, watch = open_page(browser, server, PHONE)
    page.click("#reset-open")
    page.fill("#reset-username", person["username"])
    page.fill("#reset-code", "wrong-code")
    page.fill("#reset-password", "brand-new-pass")
    page.click("#reset-submit")
    expect(page.locator("#reset-form .form-error")).to_contain_text("does not work")
    page.fill("#reset-code", code)
    page.click("#reset-submit")
    wait_live(page)
    expect(page.locator("#who-name")).to_contain_text("Rae Nakamura")
    Api(server).login(person["username"], "brand-new-pass")
    assert watch.errors == []


# The page's side of a rule tests/test_privacy.py covers through the API: with the long tests.
@pytest.mark.long
def test_unassignment_drops_the_client_and_the_trainer_live(
    browser: Any, server: Server, admin_api: Api
) -> None:
    trainer, client = pair(admin_api)
    other = admin_api.user("trainer", "Coach Ben")
    admin_api.assign(other, client)
    coach = open_as(browser, server, trainer, DESKTOP)
    coach.click(f'.client-row[data-client-id="{client["id"]}"]')
    expect(coach.locator(".detail-head h1")).to_have_text("Sam Okafor")
    page = open_as(browser, server, client, PHONE)
    page.get_by_role("tab", name="Messages").click()
    expect(page.locator(".messages-card .chip")).to_have_count(2)

    t0 = time.monotonic()
    admin_api.call("DELETE", f"/api/trainers/{trainer['id']}/clients/{client['id']}", None, 204)
    expect(coach.locator(f'.client-row[data-client-id="{client["id"]}"]')).to_have_count(
        0, timeout=2000
    )
    expect(coach.locator(".detail-head")).to_have_count(0, timeout=2000)
    assert time.monotonic() - t0 < 2.0
    expect(coach.locator(".toast", has_text="no longer your client")).to_be_visible()
    expect(page.locator(".messages-card .chip")).to_have_count(0)
    expect(page.locator(".conv-peer")).to_contain_text("Coach Ben")
