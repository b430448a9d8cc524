"""The page's round-2 behaviour in Chromium: long words, sentences for errors, the meal form's
file checks, documents, and a disabled user's page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    DESKTOP,
    PHONE,
    Api,
    Server,
    food_jpeg,
    open_page,
    sign_in,
    wait_live,
)
from tests.imaging_samples import make_pdf

pytestmark = pytest.mark.e2e
SMALL = {"width": 320, "height": 640}
WORD = "Supercalifragilistic" * 100  # 2,000 characters, no break opportunity
URL = "https://example.org/" + "a1b2c3" * 60
PDF = "application/pdf"
CLIENT_TABS = ["meals", "progress", "photos", "messages", "feed"]


def pair(admin: Api, client_name: str = "Alex Rivera") -> tuple[dict[str, Any], dict[str, Any]]:
    trainer = admin.user("trainer", "Coach Maya")
    client = admin.user("client", client_name)
    admin.assign(trainer, client)
    return trainer, client


def pdf_bytes(tmp: Path) -> bytes:
    return make_pdf(tmp / "plan.pdf").read_bytes()


def assert_no_sideways_scroll(page: Any, where: str) -> None:
    widths = page.evaluate(
        "({doc: document.documentElement.scrollWidth, body: document.body.scrollWidth,"
        " view: document.documentElement.clientWidth, inner: window.innerWidth})"
    )
    assert widths["doc"] == widths["view"] == widths["inner"], (where, widths)
    assert widths["body"] <= widths["view"], (where, widths)


# Every screen at every width: with the long gallery tests.
@pytest.mark.long
def test_long_words_and_urls_wrap_at_every_width(
    browser: Any, server: Server, admin_api: Api, tmp_path: Path
) -> None:
    trainer, client = pair(admin_api, "Bartholomew" * 9)
    api = client["api"]
    meal = {"meal_name": WORD[:200], "notes": WORD}
    api.call("POST", "/api/nutrition/meals", meal, 201)
    api.call("POST", "/api/progress", {"weight_kg": 80, "notes": URL}, 201)
    api.upload(
        "/api/files/upload?category=documents",
        "plan-" + "x" * 150 + ".pdf",
        pdf_bytes(tmp_path),
        "application/pdf",
    )
    trainer["api"].call("POST", "/api/messages", {"recipient_id": client["id"], "body": WORD}, 201)
    api.call("POST", "/api/messages", {"recipient_id": trainer["id"], "body": URL}, 201)

    ctx, page, watch = open_page(browser, server, SMALL)
    sign_in(page, client["username"])
    wait_live(page)
    for size in (SMALL, PHONE):
        page.set_viewport_size(size)
        for tab in CLIENT_TABS:
            page.click(f'button.tab[data-tab="{tab}"]')
            assert_no_sideways_scroll(page, f"client {tab} {size['width']}")
    # A toast of a long message (the client is on another tab) wraps too.
    page.click('button.tab[data-tab="meals"]')
    trainer["api"].call("POST", "/api/messages", {"recipient_id": client["id"], "body": URL}, 201)
    expect(page.locator(".toast")).to_be_visible()
    assert_no_sideways_scroll(page, "client toast")
    page.set_viewport_size(DESKTOP)
    assert_no_sideways_scroll(page, "client desktop")

    tctx, tpage, twatch = open_page(browser, server, SMALL)
    sign_in(tpage, trainer["username"])
    wait_live(tpage)
    assert_no_sideways_scroll(tpage, "trainer list 320")
    tpage.click(f'[data-client-id="{client["id"]}"]')
    expect(tpage.locator(".documents-card .doc")).to_have_count(1)
    for size in (SMALL, PHONE, DESKTOP):
        tpage.set_viewport_size(size)
        assert_no_sideways_scroll(tpage, f"trainer client {size['width']}")
    assert not (watch.errors or twatch.errors)
    ctx.close()
    tctx.close()


SAMPLES = [
    ({"code": "invalid_request", "message": "weight_kg: Expected `float` <= 400.0"}, None),
    ({"code": "invalid_request", "message": "body_fat_pct: Expected `float` >= 1"}, None),
    (
        {
            "code": "invalid_request",
            "message": "username: Expected `str` matching regex '^[\\\\w.@+-]+$(?!\\\\n)'",
        },
        None,
    ),
    ({"code": "invalid_request", "message": "meal_name: Expected `str` of length <= 200"}, None),
    ({"code": "invalid_request", "message": "meal_name: required."}, None),
    (
        {
            "code": "too_large",
            "message": "The file is larger than the meal_photos limit of 10000000 bytes.",
        },
        "meal_photos",
    ),
    (
        {
            "code": "unsupported_type",
            "message": "files of type application/pdf are not accepted here (accepted: JPEG)",
        },
        "meal_photos",
    ),
    (
        {
            "code": "quota_exceeded",
            "message": "The owner's storage quota would be exceeded: 1900000000 bytes used of "
            "2000000000 allowed, and this file needs 200000000.",
        },
        None,
    ),
]
EXPECTED = [
    "Weight must be at most 400 kg.",
    "Body fat must be at least 1 %.",
    "The username holds characters that are not allowed.",
    "The meal's name must be at most 200 characters long.",
    "The meal's name is required.",
    "This meal photo is too large: the limit is 10 MB.",
    "A PDF cannot be used as a meal photo. Choose JPEG, PNG, WebP, GIF or HEIC photos.",
    "Your storage is full: 1900 MB used of 2000 MB. Delete some photos or ask your gym for "
    "more room.",
]


def test_errors_are_sentences_and_forms_check_before_sending(
    browser: Any, server: Server, admin_api: Api
) -> None:
    _trainer, client = pair(admin_api)
    ctx, page, watch = open_page(browser, server, PHONE)
    sign_in(page, client["username"])
    wait_live(page)
    said = page.evaluate(
        """async (samples) => {
            const { explain } = await import('/static/app.js');
            return samples.map(([e, category]) => explain({ status: 400, ...e }, { category }));
        }""",
        SAMPLES,
    )
    assert said == EXPECTED
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)

    # Numbers outside their range are refused with the unit, before anything is sent.
    page.click('button.tab[data-tab="progress"]')
    page.fill("#weight", "500")
    page.click("#progress-form button[type=submit]")
    expect(page.locator("#progress-form > .form-error")).to_have_text(
        "Weight must be at most 400 kg."
    )
    page.fill("#weight", "80.5")
    page.fill("#body-fat", "0.5")
    page.click("#progress-form button[type=submit]")
    expect(page.locator("#progress-form > .form-error")).to_have_text(
        "Body fat must be at least 1 %."
    )
    assert posts == []

    # A date picker: the entry is stored at the chosen moment.
    page.fill("#body-fat", "")
    page.fill("#progress-recorded-at", "2024-03-05T07:30")
    page.click("#progress-form button[type=submit]")
    expect(page.locator(".progress-list .tl-item")).to_have_count(1)
    entry = client["api"].call("GET", f"/api/progress?client_id={client['id']}", None, 200)
    local = page.evaluate("new Date('2024-03-05T07:30').toISOString()")
    stored = dt.datetime.fromisoformat(entry["entries"][0]["recorded_at"])
    assert stored == dt.datetime.fromisoformat(local)
    assert entry["entries"][0]["weight_kg"] == 80.5
    assert not watch.errors
    ctx.close()


def test_meal_form_checks_files_previews_every_type_and_cancels(
    browser: Any, server: Server, admin_api: Api, tmp_path: Path
) -> None:
    _trainer, client = pair(admin_api)
    ctx, page, watch = open_page(browser, server, SMALL)
    sign_in(page, client["username"])
    wait_live(page)
    meal_posts: list[Any] = []
    page.on(
        "request",
        lambda r: meal_posts.append(r) if r.method == "POST" and "/meals" in r.url else None,
    )
    long_name = "breakfast-" + "x" * 120 + ".jpg"
    # Files on disk: the browser reads them itself, no 10 MB through the test's pipe.
    chosen = {
        "huge.jpg": b"\xff" * 10_500_000,
        "notes.txt": b"hello",
        "IMG_0001.HEIC": b"\0" * 2048,
        long_name: food_jpeg(2),
    }
    for name, content in chosen.items():
        (tmp_path / name).write_bytes(content)
    page.set_input_files("#meal-form input[type=file]", [tmp_path / n for n in chosen])
    problems = page.locator("#meal-form .picker-error")
    expect(problems).to_contain_text("“huge.jpg” is 10.5 MB; a meal photo may be at most 10 MB.")
    expect(problems).to_contain_text("“notes.txt” is not one of the JPEG, PNG, WebP, GIF or HEIC")
    previews = page.locator("#meal-form .preview")
    expect(previews).to_have_count(2)
    expect(previews.nth(0).locator(".file-tile")).to_have_text("HEIC")
    expect(previews.nth(1).locator("img.preview-img")).to_be_visible()
    # The long name wraps beside the remove button and never runs under it.
    name_box = previews.nth(1).locator(".preview-name").bounding_box()
    x_box = previews.nth(1).locator(".preview-remove").bounding_box()
    assert name_box and x_box and name_box["x"] + name_box["width"] <= x_box["x"], (name_box, x_box)
    assert x_box["x"] + x_box["width"] <= SMALL["width"]
    assert meal_posts == []

    # Cancel a running upload: the request is held, Cancel aborts it, the form is kept.
    held: list[Any] = []
    page.route("**/api/nutrition/meals", lambda route: held.append(route))
    previews.nth(0).locator(".preview-remove").click()
    page.fill("#meal-name", "Porridge")
    page.click("#meal-form button[type=submit]")
    cancel = page.locator("#meal-form .upload-cancel")
    expect(cancel).to_be_visible()
    cancel.click()
    expect(page.locator("#meal-form > .form-error")).to_have_text(
        "The upload was cancelled. Nothing was saved."
    )
    expect(page.locator("#meal-name")).to_have_value("Porridge")
    expect(previews).to_have_count(1)
    page.unroute("**/api/nutrition/meals")
    assert len(meal_posts) == 1
    assert meal_posts[0].headers.get("idempotency-key")

    # Without photos the meal goes as JSON, with its time from the picker and a key.
    previews.nth(0).locator(".preview-remove").click()
    page.fill("#meal-eaten-at", "2024-03-05T12:15")
    with page.expect_response("**/api/nutrition/meals") as answer:
        page.click("#meal-form button[type=submit]")
    assert answer.value.status == 201
    assert answer.value.request.headers.get("idempotency-key")
    expect(page.locator(".meal-list .meal", has_text="Porridge")).to_be_visible()
    expect(page.locator("#meal-name")).to_have_value("")
    meal = answer.value.json()
    local = page.evaluate("new Date('2024-03-05T12:15').toISOString()")
    assert dt.datetime.fromisoformat(meal["eaten_at"]) == dt.datetime.fromisoformat(local)
    assert not watch.errors
    ctx.close()


def test_meal_with_photos_in_one_request(browser: Any, server: Server, admin_api: Api) -> None:
    _trainer, client = pair(admin_api)
    ctx, page, watch = open_page(browser, server, PHONE)
    sign_in(page, client["username"])
    wait_live(page)
    broken = food_jpeg(3)[:5000]
    page.fill("#meal-name", "Tuna salad")
    page.set_input_files(
        "#meal-form input[type=file]",
        files=[
            {"name": "salad.jpg", "mimeType": "image/jpeg", "buffer": food_jpeg(5)},
            {"name": "broken.jpg", "mimeType": "image/jpeg", "buffer": broken},
        ],
    )
    with page.expect_response("**/api/nutrition/meals") as answer:
        page.click("#meal-form button[type=submit]")
    assert answer.value.status == 422
    first_key = answer.value.request.headers["idempotency-key"]
    assert "multipart/form-data" in answer.value.request.headers["content-type"]
    expect(page.locator("#meal-form > .form-error")).to_contain_text("The meal was not saved.")
    expect(page.locator("#meal-name")).to_have_value("Tuna salad")
    expect(page.locator("#meal-form .preview")).to_have_count(2)

    # Retry without the refused photo: one meal, with its one photo.
    page.locator("#meal-form .preview").nth(1).locator(".preview-remove").click()
    with page.expect_response("**/api/nutrition/meals") as answer:
        page.click("#meal-form button[type=submit]")
    assert answer.value.status == 201
    assert answer.value.request.headers["idempotency-key"] != first_key
    expect(page.locator(".meal-list .meal", has_text="Tuna salad").locator("img")).to_be_visible()
    meals = client["api"].call("GET", f"/api/nutrition/meals?client_id={client['id']}")["meals"]
    assert [m["meal_name"] for m in meals] == ["Tuna salad"]
    assert len(meals[0]["photos"]) == 1

    # The same photo on a second meal shows on both.
    page.fill("#meal-name", "Tuna salad again")
    page.set_input_files(
        "#meal-form input[type=file]",
        files=[{"name": "salad.jpg", "mimeType": "image/jpeg", "buffer": food_jpeg(5)}],
    )
    page.click("#meal-form button[type=submit]")
    expect(page.locator(".meal-list .meal", has_text="again").locator("img")).to_be_visible()
    expect(page.locator(".meal-list .meal img")).to_have_count(2)
    assert not watch.errors
    ctx.close()


def test_documents_both_ways_and_a_disabled_users_page_signs_out(
    browser: Any, server: Server, admin_api: Api, tmp_path: Path
) -> None:
    trainer, client = pair(admin_api)
    cctx, cpage, cwatch = open_page(browser, server, PHONE)
    sign_in(cpage, client["username"])
    wait_live(cpage)
    cpage.click('button.tab[data-tab="photos"]')
    docs = cpage.locator(".documents-card")
    docs.locator("input[type=file]").set_input_files(
        files=[{"name": "medical form.pdf", "mimeType": PDF, "buffer": pdf_bytes(tmp_path)}]
    )
    expect(docs.locator(".preview .file-tile")).to_have_text("PDF")
    docs.locator("button[type=submit]").click()
    expect(docs.locator(".doc", has_text="medical form.pdf")).to_be_visible()
    expect(docs.locator(".preview")).to_have_count(0)

    tctx, tpage, twatch = open_page(browser, server, DESKTOP)
    sign_in(tpage, trainer["username"])
    wait_live(tpage)
    tpage.click(f'[data-client-id="{client["id"]}"]')
    tdocs = tpage.locator(".documents-card")
    link = tdocs.locator(".doc", has_text="medical form.pdf").locator("a", has_text="Download")
    expect(link).to_be_visible()
    with tpage.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "medical form.pdf"
    # The trainer adds a plan; the client's page shows it live.
    tdocs.locator("input[type=file]").set_input_files(
        files=[{"name": "week-plan.pdf", "mimeType": PDF, "buffer": pdf_bytes(tmp_path) + b"\n"}]
    )
    tdocs.locator("button[type=submit]").click()
    expect(docs.locator(".doc", has_text="week-plan.pdf")).to_contain_text("added by Coach Maya")
    # A wrong type is refused before sending, in words.
    docs.locator("input[type=file]").set_input_files(
        files=[{"name": "photo.png", "mimeType": "image/png", "buffer": b"\x89PNG"}]
    )
    expect(docs.locator(".picker-error")).to_contain_text("PDF or Word (DOC, DOCX) documents")

    # The admin disables the client: the open page signs out and says why.
    admin_api.call("PATCH", f"/api/users/{client['id']}", {"disabled": True}, 200)
    expect(cpage.locator("#signin-form")).to_be_visible(timeout=5_000)
    expect(cpage.locator("#signin-error")).to_contain_text("your account was disabled")
    assert not (cwatch.errors or twatch.errors or cwatch.dialogs)
    cctx.close()
    tctx.close()
