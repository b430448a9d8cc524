"""The shipped unit is accepted by systemd-analyze and is hardened as DESIGN.md asks."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

UNIT = Path(__file__).parent.parent / "deploy" / "gymhub.service"


def test_unit_is_hardened():
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
def test_systemd_analyze_verify_accepts_the_unit():
    if not Path("/usr/local/bin/gymhub").exists():
        pytest.skip("the unit runs /usr/local/bin/gymhub; .ci/run installs it there")
    r = subprocess.run(
        ["systemd-analyze", "verify", str(UNIT)], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, r.stderr
    assert "gymhub.service" not in r.stderr, r.stderr
