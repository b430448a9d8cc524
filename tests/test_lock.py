"""The lock file pins every dependency exactly, within setup.cfg's ranges."""

from __future__ import annotations

import configparser
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).parent.parent


def _locked() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, version = line.partition("==")
        assert sep, f"not an exact pin: {line!r}"
        pins[canonicalize_name(name)] = version
    return pins


def _declared() -> list[Requirement]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    lines = cfg["options"]["install_requires"].splitlines()
    lines += cfg["options.extras_require"]["test"].splitlines()
    return [Requirement(line) for line in lines if line.strip()]


def test_lock_pins_every_declared_dependency_within_its_range() -> None:
    pins = _locked()
    for req in _declared():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not in requirements.lock"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {req.name}=={pins[name]}, outside setup.cfg's {req.specifier}"
        )


def test_ci_and_readme_install_from_the_lock() -> None:
    assert "-c requirements.lock" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert readme.count("-c requirements.lock") >= 2
