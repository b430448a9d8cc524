"""The page's modules joined into one: the real static files join, in the browser's evaluation
order, and every form the join would change the meaning of is refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gymhub.handlers import page
from gymhub.views.bundle import BundleError, join, redirect

STATIC = Path(page.__file__).resolve().parent.parent / "static"
STATIC_IMPORT = re.compile(r'^import\s*\{[^}]*\}\s*from\s*"\./([^"]+)";', re.M)


def sources() -> dict[str, str]:
    return {p.name: p.read_text() for p in STATIC.glob("*.js")}


def graph(entry: str, files: dict[str, str]) -> set[str]:
    seen: set[str] = set()
    todo = [entry]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(STATIC_IMPORT.findall(files[name]))
    return seen


def test_the_page_modules_join() -> None:
    files = sources()
    joined = join(["app.js", "pwa.js"], files)
    assert set(joined.members) == graph("app.js", files) | graph("pwa.js", files)
    # Each module after everything it imports, the entries last of their own graphs.
    order = list(joined.members)
    for name in order:
        for target in STATIC_IMPORT.findall(files[name]):
            assert order.index(target) < order.index(name), (target, name)
    assert order[-1] == "pwa.js" and order.index("app.js") < order.index("pwa.js")
    assert not re.search(r"^import\b", joined.text, re.M)
    declared_export = r"^export\s+(?:async\s+)?(?:function|const|let|class)\b"
    assert not re.search(declared_export, joined.text, re.M)
    # What later modules import from the joined module is there, once.
    tail = joined.text.rstrip().splitlines()[-1]
    assert tail.startswith("export { ") and "api" in joined.exports and "outbox" in joined.exports
    assert len(joined.exports) == len(set(joined.exports))


def test_the_served_page_loads_the_joined_module(tmp_path: Path) -> None:
    assets = page._load_all(STATIC)
    html = assets["index.html"].body.decode()
    assert re.findall(r'<script type="module"[^>]*src="/static/([^"]+)"', html) == [
        "early.js",
        "app.js",
    ]
    joined = join(["app.js", "pwa.js"], sources())
    assert assets["app.js"].body.decode() == joined.text
    # A module loaded later takes the shared modules from the joined one, never a second copy.
    trainer = assets["trainer.js"].body.decode()
    targets = set(STATIC_IMPORT.findall(trainer))
    assert "app.js" in targets and not targets & set(joined.members) - {"app.js"}
    # The worker keeps the joined module for offline use, not the files it was made of.
    worker = assets["sw.js"].body.decode()
    assert '"/static/app.js"' in worker and '"/static/dom.js"' not in worker
    assert '"/static/trainer.js"' in worker


def test_a_name_declared_twice_is_refused() -> None:
    files = {
        "a.js": 'import { x } from "./b.js";\nconst row = 1;\nexport function y() {}\n',
        "b.js": "function row() {}\nexport const x = 2;\n",
    }
    with pytest.raises(BundleError, match="'row' is declared by both"):
        join(["a.js"], files)


@pytest.mark.parametrize(
    "line",
    [
        'import x from "./b.js";',
        'import * as b from "./b.js";',
        'import { x as y } from "./b.js";',
        'import { x } from "/static/b.js";',
        'import { x } from "./b.js";\nexport default x;',
        'export * from "./b.js";',
        'export { x } from "./b.js";',
    ],
)
def test_import_and_export_forms_the_join_cannot_keep_are_refused(line: str) -> None:
    files = {"a.js": line + "\n", "b.js": "export const x = 1;\n"}
    with pytest.raises(BundleError):
        join(["a.js"], files)


def test_a_name_the_module_does_not_export_is_refused() -> None:
    files = {"a.js": 'import { z } from "./b.js";\n', "b.js": "export const x = 1;\n"}
    with pytest.raises(BundleError, match=r"does not export \['z'\]"):
        join(["a.js"], files)


def test_joined_modules_keep_order_reexports_and_side_effect_imports() -> None:
    files = {
        "a.js": 'import "./c.js";\nimport {\n  w,\n  x,\n} from "./b.js";\n'
        "export const y = x + w;\n",
        "b.js": 'import { w } from "./d.js";\nconst x = 1;\nexport { w, x };\n',
        "c.js": "globalThis.seen = true;\n",
        "d.js": "export const w = 2;\n",
    }
    joined = join(["a.js"], files)
    assert joined.members == ("c.js", "d.js", "b.js", "a.js")
    assert joined.exports == ("w", "x", "y")
    assert joined.declared == ("w", "x", "y")
    assert "const y = x + w;" in joined.text and "export {" not in joined.text[:-30]
    later = 'import { y } from "./a.js";\nimport { v } from "./e.js";\n'
    assert redirect(later, joined.members, "a.js") == later
    assert redirect('import { w } from "./d.js";\n', joined.members, "a.js") == (
        'import { w } from "./a.js";\n'
    )


def test_modules_that_cannot_join_are_served_one_by_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "index.html").write_text(
        '<script type="module" src="/static/a.js"></script>\n'
        '<script type="module" src="/static/b.js"></script>\n'
    )
    (tmp_path / "a.js").write_text("const row = 1;\n")
    (tmp_path / "b.js").write_text("const row = 2;\n")
    with caplog.at_level("WARNING", logger="gymhub.handlers.page"):
        assets = page._load_all(tmp_path)
    assert "'row' is declared by both a.js and b.js" in caplog.text
    assert assets["index.html"].body.decode().count("<script") == 2
    assert assets["a.js"].body == b"const row = 1;\n"
