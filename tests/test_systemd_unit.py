"""The shipped unit is accepted by systemd-analyze and is hardened as DESIGN.md asks."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).parent.parent / "deploy" / "gymhub.service"


def test_unit_is_hardened() -> None:
    text = UNIT.read_text()
    for line in (
        "Type=notify",
        "StateDirectory=gymhub",
        "User=gymhub",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "KillSignal=SIGTERM",
    ):
        assert line in text


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="apt-get install systemd")
def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    # The unit runs /usr/local/bin/gymhub, where the README's deployment links it; verify a copy
    # that runs this venv's gymhub instead, so the check needs no link outside the checkout.
    installed = Path(sys.executable).parent / "gymhub"
    assert installed.exists(), "pip install -e . puts gymhub beside the interpreter"
    text = UNIT.read_text()
    assert "ExecStart=/usr/local/bin/gymhub " in text
    unit = tmp_path / UNIT.name
    unit.write_text(text.replace("/usr/local/bin/gymhub", str(installed)))
    r = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, r.stderr
    assert "gymhub.service" not in r.stderr, r.stderr
