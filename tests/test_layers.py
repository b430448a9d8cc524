"""Imports point down the layers of docs/architecture.md: a lower package never imports a higher
one, and aiohttp stays above the use cases. Read from the source, so a new module is checked too."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import gymhub

ROOT = Path(gymhub.__file__).parent
GROUND = {"config", "errors", "metrics", "logflood", "sdnotify", "logs"}
DOMAIN = {"auth", "realtime", "storage", "schemas", "data", "imaging"} | GROUND
USE_CASES = {"services", "views", "ops", "datadir", "firstrun"} | DOMAIN
# The gymhub packages and modules each may import, besides itself.
ALLOWED: dict[str, set[str]] = {
    "imaging": set(),
    "data": set(),
    "config": set(),
    "errors": set(),
    "metrics": set(),
    "logflood": set(),
    "sdnotify": set(),
    "logs": {"errors", "logflood"},
    "schemas": {"errors"},
    "auth": {"config", "data", "errors"},
    "storage": {"config", "data", "errors", "imaging", "metrics"},
    "realtime": {"auth", "config", "data", "errors", "metrics"},
    "views": {"auth", "data", "errors", "schemas", "storage"},
    "services": DOMAIN | {"views"},
    "datadir": DOMAIN,
    "firstrun": DOMAIN,
    "ops": DOMAIN | {"datadir"},
    "web": USE_CASES,
    "handlers": USE_CASES | {"web"},
}
TOP = {"server", "cli", "demo", "__main__", "__init__", "static"}
# aiohttp belongs to the HTTP adapter; the hub writes to WebSockets. schemas/ names aiohttp's
# types in annotations only, under TYPE_CHECKING (tests/test_cli.py checks that the CLI runs
# without loading aiohttp).
NO_AIOHTTP = {
    "imaging",
    "data",
    "auth",
    "storage",
    "services",
    "views",
    "ops",
    "datadir",
    "schemas",
}


def unit_of(path: Path, root: Path) -> str:
    """The top-level package or module of gymhub that a file belongs to."""
    return path.relative_to(root).with_suffix("").parts[0]


def imports_of(path: Path, at_runtime: bool = False) -> set[str]:
    """Every module a file imports, fully named (`from a import b` gives a and a.b); with
    `at_runtime`, not those under `if TYPE_CHECKING:`."""
    found: set[str] = set()
    tree = ast.parse(path.read_text(), str(path))
    if at_runtime:
        tree = _without_type_checking(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _without_type_checking(tree: ast.Module) -> ast.Module:
    class Drop(ast.NodeTransformer):
        def visit_If(self, node: ast.If) -> Any:
            test = node.test
            name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
            if name == "TYPE_CHECKING":
                return node.orelse
            return self.generic_visit(node)

    return Drop().visit(tree)


def gymhub_unit(module: str, root: Path) -> str | None:
    parts = module.split(".")
    if parts[0] != "gymhub" or len(parts) < 2:
        return None
    name = parts[1]
    return name if (root / name).is_dir() or (root / f"{name}.py").exists() else None


def violations(root: Path = ROOT) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        unit = unit_of(path, root)
        if unit in TOP:
            continue
        assert unit in ALLOWED, f"{unit}: a new package needs its place in ALLOWED and the doc"
        for module in sorted(imports_of(path)):
            target = gymhub_unit(module, root)
            if target is not None and target != unit and target not in ALLOWED[unit]:
                found.append(f"{path.relative_to(root.parent)} imports {module}")
        if unit in NO_AIOHTTP:
            for module in sorted(imports_of(path, at_runtime=True)):
                if module.split(".")[0] == "aiohttp":
                    found.append(
                        f"{path.relative_to(root.parent)} imports {module} (no aiohttp here)"
                    )
    return found


def test_imports_point_down_the_layers() -> None:
    assert violations() == []


def test_the_check_sees_an_upward_import_and_aiohttp_below_the_adapter(tmp_path: Path) -> None:
    # The rule table is only worth something if it finds what it forbids: a tree with both.
    root = tmp_path / "gymhub"
    for name, text in {
        "handlers/files.py": "",
        "data/users.py": "from gymhub.handlers import files\n",
        "services/meals.py": "from aiohttp import web\nfrom gymhub.data import users\n",
        # Annotations only: allowed.
        "schemas/query.py": "import typing\nif typing.TYPE_CHECKING:\n    import aiohttp\n",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    assert violations(root) == [
        "gymhub/data/users.py imports gymhub.handlers",
        "gymhub/data/users.py imports gymhub.handlers.files",
        "gymhub/services/meals.py imports aiohttp (no aiohttp here)",
        "gymhub/services/meals.py imports aiohttp.web (no aiohttp here)",
    ]


def test_no_function_is_over_60_lines() -> None:
    # A function that long does several things; split it by what they are.
    long = [
        f"{path.relative_to(ROOT.parent)}:{node.lineno} {node.name} ({lines} lines)"
        for path in sorted(ROOT.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (lines := (node.end_lineno or node.lineno) - node.lineno + 1) > 60
    ]
    assert long == []


# SQL belongs to data/: a keyword at the start of a statement in a string, or a call that runs one.
SQL_WORDS = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE FROM|PRAGMA)\s")
RUNS_SQL = {"execute", "executemany", "executescript"}


def sql_outside_data(root: Path = ROOT) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        if unit_of(path, root) == "data":
            continue
        where = path.relative_to(root.parent)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if match := SQL_WORDS.search(node.value):
                    found.append(f"{where}:{node.lineno} {match.group(1)}")
            elif isinstance(node, ast.Attribute) and node.attr in RUNS_SQL:
                found.append(f"{where}:{node.lineno} .{node.attr}")
    return sorted(found)


def test_sql_lives_only_in_data() -> None:
    assert sql_outside_data() == []


def test_the_check_sees_sql_outside_data(tmp_path: Path) -> None:
    # Planted: a query, a PRAGMA in an f-string and a bare executemany outside data/, and the
    # same inside data/, which is where they belong.
    root = tmp_path / "gymhub"
    for name, text in {
        "data/files.py": 'def f(conn):\n    conn.execute("SELECT 1 FROM files")\n',
        "storage/stats.py": 'def f(conn):\n    return conn.execute("SELECT 1 FROM files")\n',
        "ops/check.py": 'def f(conn, n):\n    q = f"PRAGMA {n}"\n    run = conn.executemany\n',
        "web/notes.py": '"""Select a user; update the page."""\n',
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    assert sql_outside_data(root) == [
        "gymhub/ops/check.py:2 PRAGMA",
        "gymhub/ops/check.py:3 .executemany",
        "gymhub/storage/stats.py:2 .execute",
        "gymhub/storage/stats.py:2 SELECT",
    ]
