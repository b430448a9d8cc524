"""Helpers of the browser tests: the server as a subprocess, an HTTP client, page helpers."""

from __future__ import annotations

import io
import itertools
import json
import os
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from tests.server_process import ServerProcess

ADMIN_PASSWORD = "e2e-admin-password"
PASSWORD = "e2e-password-1"
REPO = Path(__file__).resolve().parents[2]
# Tests write into an ignored folder, so a run leaves the tree clean; the README's command for the
# docs' pictures points this at docs/screenshots.
SCREENSHOTS = Path(os.environ.get("GYMHUB_SCREENSHOTS") or REPO / "build" / "screenshots")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
_names = itertools.count(1)


class Server(ServerProcess):
    """The shared ServerProcess with what the browser tests use: `base`, `lines`, and start()
    again on the same port (the page reconnects to the address it was loaded from)."""

    def __init__(self, data_dir: Path, log_path: Path | None = None, extra: tuple[str, ...] = ()):
        env = {"GYMHUB_WORKERS": "1", "GYMHUB_ADMIN_PASSWORD": ADMIN_PASSWORD}
        super().__init__(data_dir, "--host", "127.0.0.1", *extra, env=env)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def lines(self) -> list[str]:
        return self.output


def start_server(tmp: Path) -> Server:
    """A server on a fresh data dir under tmp, on a free port."""
    server = Server(tmp / "data")
    server.start()
    return server


class Api:
    """Bearer-authenticated JSON calls against the running server, for setting up data."""

    def __init__(self, server: Server, token: str | None = None):
        self.server = server
        self.token = token

    def call(self, method: str, path: str, body: Any = None, expect: int | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.server.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=15) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
        if expect is not None:
            assert status == expect, (method, path, status, raw[:500])
        return json.loads(raw) if raw else None

    def upload(self, path: str, filename: str, content: bytes, mime: str = "image/jpeg") -> Any:
        """POST one multipart part named `file`; returns the File."""
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="{filename}"\r\nContent-Type: {mime}\r\n\r\n'
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        req = urllib.request.Request(self.server.base + path, data=body, method="POST")
        req.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
        req.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(req, timeout=30) as resp:
            assert resp.status in (200, 201), resp.status
            return json.loads(resp.read())

    def login(self, username: str, password: str = PASSWORD) -> Api:
        res = self.call(
            "POST", "/api/auth/login", {"username": username, "password": password}, 200
        )
        return Api(self.server, res["access_token"])

    def user(self, role: str, display_name: str) -> dict[str, Any]:
        """Create a user as the admin (self must be the admin); returns User plus its Api."""
        name = f"{role}{next(_names)}_{uuid.uuid4().hex[:6]}"
        user = self.call(
            "POST",
            "/api/users",
            {"username": name, "password": PASSWORD, "role": role, "display_name": display_name},
            201,
        )
        user["api"] = self.login(name)
        return dict(user)

    def assign(self, trainer: dict[str, Any], client: dict[str, Any]) -> None:
        self.call("PUT", f"/api/trainers/{trainer['id']}/clients/{client['id']}", None, 204)


def food_jpeg(seed: int = 0, size: tuple[int, int] = (800, 600)) -> bytes:
    """A plate of food drawn with Pillow: a real JPEG that looks like something on screen."""
    w, h = size
    img = Image.new("RGB", size, (222 - seed * 7 % 40, 205, 180))
    d = ImageDraw.Draw(img)
    d.ellipse(
        (w * 0.15, h * 0.1, w * 0.85, h * 0.9),
        fill=(248, 248, 244),
        outline=(200, 200, 195),
        width=6,
    )
    palette = [(214, 64, 69), (94, 160, 76), (240, 180, 60), (150, 90, 50), (250, 230, 190)]
    for i in range(7):
        cx = w * (0.32 + ((i * 37 + seed * 11) % 36) / 100)
        cy = h * (0.3 + ((i * 53 + seed * 17) % 40) / 100)
        r = min(w, h) * (0.07 + (i % 3) * 0.03)
        d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=palette[(i + seed) % len(palette)])
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def clear_toasts(page: Any) -> None:
    """No transient toasts in the screenshots, and the top of the page in view."""
    page.evaluate("document.getElementById('toasts').replaceChildren(); window.scrollTo(0, 0)")


def save_screenshot(page: Any, name: str) -> Path:
    """A viewport screenshot in SCREENSHOTS, reduced to a 256-colour PNG to stay small."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    raw = page.screenshot(type="png", animations="disabled", caret="hide")
    img = Image.open(io.BytesIO(raw)).convert("RGB")
    path = SCREENSHOTS / f"{name}.png"
    img.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    return path


class Watch:
    """What a page did that a test wants to refuse: dialogs, CSP violations, page errors."""

    def __init__(self, page: Any):
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("console", self._console)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _console(self, msg: Any) -> None:
        if msg.type == "error" and "Content Security Policy" in msg.text:
            self.errors.append(msg.text)


def open_page(browser: Any, server: Server, viewport: dict[str, int]) -> tuple[Any, Any, Watch]:
    """A fresh browser context (its own cookies) on the server's page."""
    context = browser.new_context(viewport=viewport, device_scale_factor=1, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    watch = Watch(page)
    page.goto(server.base + "/")
    return context, page, watch


def sign_in(page: Any, username: str, password: str = PASSWORD) -> None:
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#signin-submit")


def wait_live(page: Any, timeout: float = 15_000) -> None:
    page.wait_for_selector('#live[data-state="live"]', timeout=timeout)


def wait_for(predicate: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")
