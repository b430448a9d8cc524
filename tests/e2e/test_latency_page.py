"""Issue #18: from the client's press on "Complete meal" (a 3000x4000 photo chosen) to the
thumbnail shown on the trainer's page open on that client, in Chromium on loopback.

Both pages run in one browser, so `performance.timeOrigin + performance.now()` is one clock in
both: the press is taken in the client page (a capture listener on the button), the arrival of
MEAL_COMPLETED and the thumbnail's load in the trainer page. The breakdown of each run (upload,
server, notification, thumbnail request) is printed with `-s` and kept in build/latency.json.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import DESKTOP, PHONE, REPO, Api, Server, sign_in, wait_live
from tests.imaging_samples import make_jpeg

pytestmark = [pytest.mark.e2e, pytest.mark.long]
RUNS = int(os.environ.get("GYMHUB_LATENCY_RUNS", "3"))
# The goal of issue #18 is 400 ms on an idle machine. On a shared CI box the server's image
# pipeline alone swings from 0.15 s to 2 s, so an absolute budget is checked only when asked for;
# the test always checks the order of things, which load does not change.
BUDGET_MS = os.environ.get("GYMHUB_LATENCY_BUDGET_MS")

# Marks on one clock: the press (client), MEAL_COMPLETED's arrival and each thumbnail's load.
MARKS = """
(() => {
  const now = () => performance.timeOrigin + performance.now();
  window.__marks = [];
  const mark = (m) => window.__marks.push({ ...m, at: now() });
  document.addEventListener("click", (e) => {
    if (e.target.closest?.("#meal-form button[type=submit]")) mark({ what: "press" });
  }, true);
  document.addEventListener("load", (e) => {
    const img = e.target;
    if (img.tagName !== "IMG" || !(img.naturalWidth > 0)) return;
    const where = img.closest(".timeline-card") ? "timeline" : img.closest(".feed") ? "feed"
      : img.closest(".meal-list") ? "own" : "other";
    mark({ what: "img", src: img.src, where });
  }, true);
  // The client's preview put on screen from the device (a blob: URL), before its decode.
  new MutationObserver((changes) => {
    for (const c of changes) for (const node of c.addedNodes) {
      const imgs = node.querySelectorAll ? [...node.querySelectorAll(".meal-list img")] : [];
      if (node.tagName === "IMG" && node.closest(".meal-list")) imgs.push(node);
      if (imgs.some((img) => img.src.startsWith("blob:"))) mark({ what: "preview" });
    }
  }).observe(document, { childList: true, subtree: true });
  const Socket = window.WebSocket;
  window.WebSocket = class extends Socket {
    constructor(...args) {
      super(...args);
      // Registered before the page's onmessage: the moment the frame is handed to the page.
      this.addEventListener("message", (e) => {
        if (String(e.data).includes('"MEAL_COMPLETED"')) mark({ what: "ws" });
      });
    }
  };
})();
"""

RESOURCES = """
(since) => performance.getEntriesByType("resource")
  .map((r) => ({ name: r.name.replace(location.origin, ""),
    start: performance.timeOrigin + r.startTime,
    requestStart: performance.timeOrigin + r.requestStart,
    responseStart: performance.timeOrigin + r.responseStart,
    end: performance.timeOrigin + r.responseEnd }))
  .filter((r) => r.start >= since - 1)
"""


@pytest.fixture(scope="module")
def big_photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A phone-like 3000x4000 JPEG of about 3 MB (upright: no EXIF rotation to undo)."""
    path = tmp_path_factory.mktemp("latency") / "plate.jpg"
    return make_jpeg(path, size=(3000, 4000), orientation=1, gps=False)


def open_marked(browser: Any, server: Server, viewport: dict[str, int]) -> tuple[Any, Any]:
    context = browser.new_context(viewport=viewport, device_scale_factor=1, locale="en-GB")
    context.set_default_timeout(15_000)
    context.add_init_script(MARKS)
    page = context.new_page()
    page.goto(server.base + "/")
    return context, page


def marks(page: Any) -> list[dict[str, Any]]:
    return list(page.evaluate("window.__marks"))


def first(items: list[dict[str, Any]], **match: str) -> float | None:
    for m in items:
        if all(
            m.get(k) == v or (k == "src" and str(m.get(k, "")).endswith(v))
            for k, v in match.items()
        ):
            return float(m["at"])
    return None


# The server's own figures: its access log's duration of the POST, the pool's image seconds.
POST_LINE = re.compile(r'"POST /api/nutrition/meals" 201 \d+ ([\d.]+)ms')
POOL_SUM = re.compile(r"^gymhub_image_pipeline_seconds_sum ([\d.e+-]+)$", re.M)


def pool_seconds(server: Server) -> float:
    with urllib.request.urlopen(server.base + "/metrics", timeout=10) as resp:
        found = POOL_SUM.search(resp.read().decode())
    return float(found.group(1)) if found else 0.0


def server_post_ms(server: Server) -> float | None:
    found = [float(m.group(1)) for line in server.lines if (m := POST_LINE.search(line))]
    return found[-1] if found else None


def one_run(cpage: Any, tpage: Any, server: Server, photo: Path, n: int) -> dict[str, Any]:
    """One meal with the photo; the times of its stages in ms after the press."""
    pool_before = pool_seconds(server)
    cpage.evaluate("window.__marks = []")
    tpage.evaluate("window.__marks = []")
    name = f"Latency plate {n}"
    cpage.fill("#meal-name", name)
    cpage.set_input_files("#meal-form input[type=file]", str(photo))
    with cpage.expect_response(lambda r: r.url.endswith("/api/nutrition/meals")) as answer:
        cpage.click("#meal-form button[type=submit]")
    meal = answer.value.json()
    thumb_url = meal["photos"][0]["variants"]["thumbnail"]["url"]
    tpage.wait_for_function(
        "url => window.__marks.some((m) => m.where === 'timeline' && m.src.endsWith(url))",
        arg=thumb_url,
        timeout=15_000,
    )
    expect(cpage.locator(".meal-list .meal", has_text=name).locator("img")).to_be_visible()
    cmarks, tmarks = marks(cpage), marks(tpage)
    press = first(cmarks, what="press")
    assert press is not None
    res_c = cpage.evaluate(RESOURCES, press)
    res_t = tpage.evaluate(RESOURCES, press)
    post = next(r for r in res_c if r["name"] == "/api/nutrition/meals")

    def ms(t: float | None) -> float | None:
        return None if t is None else round(t - press, 1)

    # The client's own photo in Recent meals: the server's thumbnail, or a local preview.
    own = [
        m
        for m in cmarks
        if m.get("where") == "own"
        and (m["src"].endswith(thumb_url) or m["src"].startswith("blob:"))
    ]
    return {
        "server_post": server_post_ms(server),
        "server_pool": round((pool_seconds(server) - pool_before) * 1000, 1),
        "total": ms(first(tmarks, what="img", where="timeline", src=thumb_url)),
        "feed_thumb": ms(first(tmarks, what="img", where="feed", src=thumb_url)),
        "own_preview": ms(first(cmarks, what="preview")),
        "own_photo": ms(float(own[0]["at"])) if own else None,
        "post_request_start": ms(post["requestStart"]),
        "post_response_start": ms(post["responseStart"]),
        "post_end": ms(post["end"]),
        "ws_arrival": ms(first(tmarks, what="ws")),
        "trainer_requests": [
            {
                "name": r["name"],
                "start": ms(r["start"]),
                "response_start": ms(r["responseStart"]),
                "end": ms(r["end"]),
            }
            for r in res_t
        ],
    }


SHRINK = """
async () => {
  const { shrinkPhoto } = await import("/static/app.js");
  const file = document.getElementById("latency-probe").files[0];
  const started = performance.now();
  const small = await shrinkPhoto(file);
  return { ms: Math.round(performance.now() - started), from: file.size, to: small.size };
}
"""


def shrink_cost(page: Any, photo: Path) -> dict[str, Any]:
    """What resize.js's shrinking costs this browser for the photo (the outbox path uses it)."""
    page.evaluate(
        "() => document.body.append(Object.assign(document.createElement('input'),"
        " { type: 'file', id: 'latency-probe', hidden: true }))"
    )
    page.set_input_files("#latency-probe", str(photo))
    cost = dict(page.evaluate(SHRINK))
    page.evaluate("document.getElementById('latency-probe').remove()")
    return cost


def test_press_to_thumbnail_on_the_trainers_page(
    browser: Any, server: Server, admin_api: Api, big_photo: Path
) -> None:
    trainer = admin_api.user("trainer", "Coach Maya")
    client = admin_api.user("client", "Alex Rivera")
    admin_api.assign(trainer, client)

    tctx, tpage = open_marked(browser, server, DESKTOP)
    sign_in(tpage, trainer["username"])
    wait_live(tpage)
    tpage.click(f'[data-client-id="{client["id"]}"]')
    expect(tpage.locator(".timeline-card")).to_be_visible()
    cctx, cpage = open_marked(browser, server, PHONE)
    sign_in(cpage, client["username"])
    wait_live(cpage)

    runs = [one_run(cpage, tpage, server, big_photo, n) for n in range(RUNS)]
    totals = [r["total"] for r in runs]
    median = statistics.median(totals)
    shrink = shrink_cost(cpage, big_photo)
    report = {"median_ms": median, "runs_ms": totals, "shrink": shrink, "runs": runs}
    out = REPO / "build" / "latency.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    print(f"\npress → trainer's thumbnail: median {median} ms, runs {totals}; shrink {shrink}")
    for r in runs:
        print({k: v for k, v in r.items() if k != "trainer_requests"})
        print("  trainer:", r["trainer_requests"])
    # The client's photo is on screen before the server has answered: put there from the device
    # in every run. When its decode ends is a measurement only: the browser decodes the 12 MP
    # photo on the same two cores as the server's pool, and one run in a few finishes it after
    # the 201 (printed above, and kept in build/latency.json).
    for r in runs:
        assert r["own_preview"] is not None and r["own_preview"] < r["post_response_start"], r
    decoded = sum(
        r["own_photo"] is not None and r["own_photo"] < r["post_response_start"] for r in runs
    )
    print(f"the client's own photo decoded before the 201 in {decoded} of {len(runs)} runs")
    for r in runs:
        # The trainer's page asks for the thumbnail before (not after) refetching the lists.
        asked = [t["start"] for t in r["trainer_requests"] if "_thumbnail." in t["name"]]
        lists = [t["start"] for t in r["trainer_requests"] if "?client_id=" in t["name"]]
        assert asked and all(asked[0] < t for t in lists), r
    if BUDGET_MS:
        assert median <= float(BUDGET_MS), report
    tctx.close()
    cctx.close()
