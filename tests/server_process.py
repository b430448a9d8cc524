"""Run `gymhub serve` as a real subprocess on a free port, for tests that need a whole process."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.support import ADMIN_PASSWORD, CHEAP_ARGON2_ENV

# "gymhub: listening on URL" as text; a JSON object whose message says the same with json.
LISTENING = re.compile(r"listening on (http://[^\s\"]+)")


class ServerProcess:
    """A gymhub server subprocess; its stdout and stderr lines are collected in `output`."""

    def __init__(
        self, data_dir: Path, *args: str, env: dict[str, str] | None = None, port: int = 0
    ):
        self.data_dir = data_dir
        self.args = args
        self.port = port
        self.env = {
            **os.environ,
            "GYMHUB_ADMIN_PASSWORD": ADMIN_PASSWORD,
            **CHEAP_ARGON2_ENV,
            **(env or {}),
        }
        self.output: list[str] = []
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self, timeout: float = 30.0) -> ServerProcess:
        cmd = [
            sys.executable,
            "-m",
            "gymhub",
            "serve",
            "--data-dir",
            str(self.data_dir),
            "--port",
            str(self.port),
            *self.args,
        ]
        self.output = []
        # A session of its own, so that kill() takes the image pool's processes along.
        self.proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=self.env,
            bufsize=1,
            start_new_session=True,
        )
        found = threading.Event()

        def pump() -> None:
            assert self.proc is not None and self.proc.stdout is not None
            for line in self.proc.stdout:
                self.output.append(line.rstrip("\n"))
                match = LISTENING.search(line)
                if match and not found.is_set():
                    self.url = match.group(1)
                    found.set()

        self._pump = threading.Thread(target=pump, daemon=True)
        self._pump.start()
        deadline = time.monotonic() + timeout
        while not found.wait(0.05):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError("server did not start:\n" + "\n".join(self.output))
        self.port = int(self.url.rsplit(":", 1)[1])
        return self

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait; returns the exit status."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        status = self.proc.wait(timeout)
        self._close()
        return status

    def kill(self) -> None:
        """SIGKILL to the server and its pool at once: no chance to clean up, like a power cut."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self._close()

    def _close(self) -> None:
        # The pump ends when every writer of the pipe (server and pool) has gone.
        self._pump.join(10)
        if self.proc is not None and self.proc.stdout is not None and not self._pump.is_alive():
            self.proc.stdout.close()

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.stop(15)
            except subprocess.TimeoutExpired:
                self.kill()
