"""The page's first-screen modules joined into one module, so a phone asks for one script instead of
twenty: on HTTP/1.1 a browser opens six connections to a host, and at 400 ms a request the chain of
small files cost over a second (issue #17's slow-3G figure). Modules stay files in the repository;
this joins them when the server loads them.

The join is plain concatenation in the order the browser would evaluate them, which keeps module
semantics only for code written in the subset checked here: relative `import { names } from
"./x.js"` (no renaming, no default or namespace imports), `export` in front of a top-level
declaration or as a bare `export { names }` list, and top-level names unique across the joined
modules. Anything else raises `BundleError`, and a test runs this over the real static files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A static import of a sibling module; the braces may span lines, as the formatter wraps them.
IMPORT = re.compile(r'^import\s*(?:\{([^}]*)\}\s*from\s*)?"\./([a-z0-9-]+\.js)";[ \t]*\n', re.M)
ANY_IMPORT = re.compile(r"^import\b", re.M)
LATER_IMPORT = re.compile(r'\bimport\("\./([a-z0-9-]+\.js)"\)')
# Top-level lines start in the first column: the formatter indents everything nested.
DECLARED = re.compile(
    r"^(?:export\s+)?(?:async\s+)?(?:function\*?|const|let|var|class)\s+([A-Za-z_$][\w$]*)", re.M
)
DESTRUCTURED = re.compile(r"^(?:export\s+)?(?:const|let|var)\s*[{\[]([^}\]]*)[}\]]\s*=", re.M)
EXPORTED = re.compile(
    r"^export\s+(?:async\s+)?(?:function\*?|const|let|var|class)\s+([A-Za-z_$][\w$]*)", re.M
)
EXPORT_LIST = re.compile(r"^export\s*\{([^}]*)\};[ \t]*(?:\n|$)", re.M)
ANY_EXPORT = re.compile(r"^export\b", re.M)
EXPORT_WORD = re.compile(r"^export\s+(?=(?:async\s+)?(?:function|const|let|var|class)\b)", re.M)
NAME = re.compile(r"^[A-Za-z_$][\w$]*$")


class BundleError(ValueError):
    """The modules use a form the join does not keep the meaning of."""


@dataclass(frozen=True)
class Bundle:
    """The joined module and the files it holds."""

    text: str
    members: tuple[str, ...]
    exports: tuple[str, ...]
    # Every top-level name of the joined scope: none may be a browser global another member reads.
    declared: tuple[str, ...]


def _names(group: str, where: str) -> list[str]:
    names = [n.strip() for n in group.split(",") if n.strip()]
    for name in names:
        if not NAME.match(name):
            raise BundleError(f"{where}: {name!r} (renaming and patterns are not joined)")
    return names


def _imports(name: str, source: str) -> list[tuple[str, list[str]]]:
    found = [(target, _names(group or "", name)) for group, target in IMPORT.findall(source)]
    if len(found) != len(ANY_IMPORT.findall(source)):
        raise BundleError(f'{name}: an import other than `import {{ names }} from "./x.js"`')
    return found


def _declared(source: str) -> set[str]:
    names = set(DECLARED.findall(source))
    for group in DESTRUCTURED.findall(source):
        names.update(part.split(":")[-1].split("=")[0].strip() for part in group.split(","))
    names.discard("")
    return names


def _order(entries: list[str], files: dict[str, str]) -> list[str]:
    """The modules in the order a browser evaluates them: depth first, each after its imports."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in order or name in visiting:
            return
        if name not in files:
            raise BundleError(f"{name}: imported but not a static file")
        visiting.add(name)
        for target, _ in _imports(name, files[name]):
            visit(target)
        visiting.discard(name)
        order.append(name)

    for entry in entries:
        visit(entry)
    return order


def join(entries: list[str], files: dict[str, str]) -> Bundle:
    """One module holding `entries` and every module they import statically, exporting what each
    of them exports (so the modules loaded later import those from the bundle)."""
    order = _order(entries, files)
    owner: dict[str, str] = {}
    exports: dict[str, set[str]] = {}
    for name in order:
        source = files[name]
        for declared in _declared(source):
            if declared in owner:
                raise BundleError(f"{declared!r} is declared by both {owner[declared]} and {name}")
            owner[declared] = name
        listed = {n for group in EXPORT_LIST.findall(source) for n in _names(group, name)}
        exports[name] = set(EXPORTED.findall(source)) | listed
    parts = []
    for name in order:
        source = files[name]
        for target, wanted in _imports(name, source):
            missing = set(wanted) - exports[target]
            if missing:
                raise BundleError(f"{name}: {target} does not export {sorted(missing)}")
        body = EXPORT_WORD.sub("", EXPORT_LIST.sub("", IMPORT.sub("", source)))
        if ANY_EXPORT.search(body):
            raise BundleError(f"{name}: a default export, `export *` or an export from a module")
        parts.append(f"// {name}\n{body.strip()}\n")
    text = "\n".join(parts)
    everything = sorted(set().union(*exports.values()))
    # The modules loaded later (a trainer's screen, a panel) share these bindings, not copies.
    text += f"\nexport {{ {', '.join(everything)} }};\n"
    members = tuple(order)
    return Bundle(
        redirect(text, members, entries[0]), members, tuple(everything), tuple(sorted(owner))
    )


def redirect(source: str, members: tuple[str, ...], bundle: str) -> str:
    """A module loaded after the bundle, its imports of joined modules pointed at the bundle:
    a second copy of a module would have its own state (the session, the outbox)."""

    def point(match: re.Match[str]) -> str:
        target = match.groups()[-1]
        if target not in members:
            return match.group(0)
        return match.group(0).replace(f'"./{target}"', f'"./{bundle}"')

    # A dynamic import of a joined module gets the joined module's namespace, which has its names.
    return LATER_IMPORT.sub(point, IMPORT.sub(point, source))
