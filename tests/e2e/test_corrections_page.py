"""The page's corrections, account screen, reset codes and unassignment in a real Chromium."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    DESKTOP,
    PHONE,
    Api,
    Server,
    open_page,
    sign_in,
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
    page.locator('[data-testid="undo-toast"]').get_by_role("button", name="Undo").click()
    expect(item).to_be_visible()
    time.sleep(5.5)
    api.call("GET", f"/api/nutrition/meals/{meal['id']}", None, 200)

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
    row.locator(".actions-trigger").click()
    page.get_by_role("menuitem", name="Delete").click()
    page.locator(".actions-confirm").get_by_role("menuitem", name="Delete").click()
    page.reload()
    wait_live(page)
    time.sleep(5.5)
    assert api.call("GET", f"/api/progress/{entry['id']}", None, 200)["weight_kg"] == 79.9
    assert page.watch.errors == [] and coach.watch.errors == []


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
