"""Apps: one per entrypoint. Cloud runs ``streamlit run <entrypoint>`` from the repository root.

Entrypoints are named by the user (``--entrypoint``, config ``entrypoints``) or detected: Python files that
import streamlit, are not imported by other app files, are not pages of another app and are not tests, and
(when any file does) run something at their top level rather than only define functions and classes.
"""

from __future__ import annotations

import ast
import posixpath
import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from preflight import depfiles
from preflight.imports import LocalModule, imports_of, reachable_modules, resolve_module
from preflight.pysource import literal_path

if TYPE_CHECKING:
    from packaging.version import Version

    from preflight.project import Project

CONVENTIONAL_NAMES = ("streamlit_app.py", "app.py", "Home.py", "main.py", "Main.py", "home.py", "Hello.py",
                      "dashboard.py", "streamlit_main.py")
_TEST_RE = re.compile(r"(^|/)(tests?|testing|docs?|examples?/tests?)/"
                      r"|(^|/)(test_[^/]*|[^/]*_test|conftest|setup|noxfile)\.py$")
# (a UTF-8 byte order mark may come first)
_STREAMLIT_IMPORT_RE = re.compile(rb"^(?:\xef\xbb\xbf)?\s*(import\s+streamlit\b|from\s+streamlit\b)", re.MULTILINE)
PAGE_CALLS = ("Page", "switch_page", "page_link")


@dataclass(frozen=True)
class EffectiveStreamlit:
    """The Streamlit version Cloud will install for an app, and why.

    ``kind``: ``pinned`` (==), ``locked`` (uv.lock, or a Pipfile.lock or poetry.lock that still fits its
    manifest), ``range`` (the newest release the specifier allows), ``unpinned`` (declared without a specifier),
    ``undeclared`` (not in the file, or no file), ``unreadable`` (a specifier that cannot be parsed: the newest
    release is assumed) or ``no-match`` (no known release).
    """

    version: Version | None
    kind: str
    requirement: depfiles.Requirement | None
    spec: str = ""

    @property
    def how(self) -> str:
        return {
            "pinned": "pinned",
            "locked": "locked",
            "range": f"newest allowed by {self.spec}",
            "unpinned": "newest, not pinned",
            "undeclared": "newest, not declared",
            "unreadable": f"newest, cannot read {self.spec!r}",
            "no-match": f"no known release matches {self.spec}",
        }[self.kind]

    @property
    def describe(self) -> str:
        return f"streamlit {self.version} ({self.how})" if self.version else f"streamlit ({self.how})"


class App:
    def __init__(self, project: Project, entrypoint: str, *, given: bool):
        self.project = project
        self.entrypoint = entrypoint
        self.given = given
        self.dir = posixpath.dirname(entrypoint)

    def __repr__(self) -> str:
        return f"App({self.entrypoint!r})"

    @property
    def exists(self) -> bool:
        return self.project.exists(self.entrypoint)

    @cached_property
    def dependency_candidates(self) -> list[str]:
        return depfiles.candidates(self.project, self.dir)

    @cached_property
    def winner(self) -> depfiles.DependencyFile | None:
        cands = self.dependency_candidates
        return depfiles.parse_dependency_file(self.project, cands[0]) if cands else None

    @cached_property
    def pages(self) -> list[str]:
        """Files Streamlit's pages/ folder convention picks up (next to the entrypoint)."""
        folder = posixpath.join(self.dir, "pages") if self.dir else "pages"
        return [p for p in self.project.files_in(folder)
                if p.endswith(".py") and not posixpath.basename(p).startswith(("_", "."))]

    @cached_property
    def page_targets(self) -> list[tuple[str, str, int, str]]:
        """(file, target as written, line, resolved path) for string paths given to st.Page/switch_page/page_link
        in the entrypoint and its pages."""
        out = []
        for path in [self.entrypoint, *self.pages]:
            if not self.project.mentions(path, *(name.encode() for name in PAGE_CALLS)):
                continue  # cheap byte-level prefilter: most pages name none of these calls
            tree = self.project.python(path)
            if tree is None:
                continue
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
                written = literal_path(node.args[0]) if name in PAGE_CALLS else None
                if written is not None and written.endswith(".py"):
                    resolved = posixpath.normpath(posixpath.join(self.dir, written)) if self.dir else \
                        posixpath.normpath(written)
                    out.append((path, written, node.lineno, resolved))
        return out

    @cached_property
    def modules(self) -> list[LocalModule]:
        """The entrypoint, its pages, its st.Page targets and every local module they import."""
        seeds = [self.entrypoint, *self.pages, *(t[3] for t in self.page_targets)]
        return reachable_modules(self.project, seeds, self.dir)

    @cached_property
    def streamlit(self) -> EffectiveStreamlit:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet
        from packaging.version import InvalidVersion, Version

        from preflight import data

        releases = data.streamlit_versions()
        newest = releases[-1] if releases else None
        winner = self.winner
        req = winner.find("streamlit") if winner else None
        if req is None:
            return EffectiveStreamlit(newest, "undeclared", None)
        if winner is not None and winner.filename in ("Pipfile", "pyproject.toml"):
            from preflight.resolve import sibling_lock_rows

            pin = next((row for row in sibling_lock_rows(self.project, winner) if row.name == "streamlit"), None)
            if pin is not None:
                try:
                    return EffectiveStreamlit(Version(pin.specifier.lstrip("=")), "locked", pin, pin.specifier)
                except InvalidVersion:
                    pass
        spec_text = req.specifier
        if not spec_text:
            return EffectiveStreamlit(newest, "unpinned", req)
        try:
            spec = SpecifierSet(spec_text)
        except InvalidSpecifier:
            return EffectiveStreamlit(newest, "unreadable", req, spec_text)
        exact = [s for s in spec if s.operator in ("==", "===") and "*" not in s.version]
        if exact:
            try:
                kind = "locked" if winner and winner.filename == "uv.lock" else "pinned"
                return EffectiveStreamlit(Version(exact[0].version), kind, req, spec_text)
            except InvalidVersion:
                pass
        allowed = [v for v in releases if spec.contains(v, prereleases=False)]
        if allowed:
            return EffectiveStreamlit(allowed[-1], "range", req, spec_text)
        return EffectiveStreamlit(None, "no-match", req, spec_text)


def imports_streamlit(project: Project, path: str) -> bool:
    if not project.mentions(path, b"streamlit"):
        return False
    if project.fact(path, "imports") is not None:
        return any(ref.top == "streamlit" for ref in imports_of(project, path))
    data = project.read_bytes(path)  # not parsed (a syntax error): an import line still says it
    return bool(data) and _STREAMLIT_IMPORT_RE.search(data) is not None


_DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Pass,
                ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Global, ast.Nonlocal)


def definitions_only(project: Project, path: str) -> bool:
    """True for a module whose top level only imports, defines functions and classes and binds values
    without calling streamlit: run as a script it shows nothing, so it is a helper, not an app. An
    ``if __name__ == "__main__":`` block, a call at the top level (``st.title(...)``, ``main()``), a loop or a
    ``with`` block all count as running something."""
    tree = project.python(path)
    if tree is None:
        return False
    aliases = {"streamlit"}
    for node in tree.body:
        if isinstance(node, ast.Import):
            aliases |= {a.asname or "streamlit" for a in node.names if a.name.split(".", 1)[0] == "streamlit"}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".", 1)[0] == "streamlit":
            aliases |= {a.asname or a.name for a in node.names}
    return _only_definitions(tree.body, aliases)


def _imports_an_app(project: Project, path: str) -> bool:
    """A thin launcher: ``path`` imports a local module that imports streamlit and runs something (importing
    it runs the app)."""
    folder = posixpath.dirname(path)
    for ref in imports_of(project, path, folder):
        for target in (ref.module, *(f"{ref.module}.{n}" for n in ref.names if n != "*")):
            found = resolve_module(project, target, [folder, ""] if folder else [""])
            if found is not None and not found[0].endswith("/") and found[0] != path \
                    and imports_streamlit(project, found[0]) and not definitions_only(project, found[0]):
                return True
    return False


def _only_definitions(body: list[ast.stmt], aliases: set[str]) -> bool:
    for stmt in body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # a docstring
        if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            if stmt.value is not None and _calls_streamlit(stmt.value, aliases):
                return False
            continue
        if isinstance(stmt, _DEFINITIONS):
            continue
        if isinstance(stmt, ast.Try):
            if not all(_only_definitions(part, aliases) for part in
                       (stmt.body, *(h.body for h in stmt.handlers), stmt.orelse, stmt.finalbody)):
                return False
            continue
        if isinstance(stmt, ast.If):
            test = stmt.test
            if isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__":
                return False  # if __name__ == "__main__": ... runs under streamlit run
            if _calls_streamlit(test, aliases) or not (_only_definitions(stmt.body, aliases)
                                                        and _only_definitions(stmt.orelse, aliases)):
                return False
            continue
        return False
    return True


def _calls_streamlit(expr: ast.expr, aliases: set[str]) -> bool:
    for node in ast.walk(expr):
        if isinstance(node, ast.Call):
            func = node.func
            while isinstance(func, ast.Attribute):
                func = func.value
            if isinstance(func, ast.Call):
                continue  # st.columns(2)[0] walks into the inner call separately
            if isinstance(func, ast.Name) and func.id in aliases:
                return True
    return False


def detect_entrypoints(project: Project) -> list[str]:
    """Likely entrypoints, conventional names first, then by path."""
    py_files = [p for p in project.files if p.endswith(".py")]
    candidates = [p for p in py_files
                  if not _TEST_RE.search(p) and posixpath.basename(posixpath.dirname(p)).lower() != "pages"
                  and posixpath.basename(p) != "__init__.py"
                  and imports_streamlit(project, p)]
    if not candidates:
        return []
    # Drop files imported by other local files (helpers that happen to import streamlit).
    imported: set[str] = set()
    # Each file's imports are facts (extracted once): look every imported dotted name up among the candidates'
    # dotted suffixes (web/main.py: "main", "web.main"), linear in files + imports. A suffix counts only for
    # importers in or below the folder it is relative to: "import main" in tools/ is not web/main.py, and
    # "from uvicorn import main" is neither.
    by_suffix: dict[str, list[tuple[str, str]]] = {}
    for cand in candidates:
        parts = cand[:-3].split("/")
        for i in range(len(parts)):
            by_suffix.setdefault(".".join(parts[i:]), []).append((cand, "/".join(parts[:i])))
    for path in py_files:
        folder = posixpath.dirname(path)
        for ref in imports_of(project, path, folder):
            # (relative imports come resolved against this folder: "from . import x" as module "", name "x")
            for target in (ref.module, *(f"{ref.module}.{n}" if ref.module else n for n in ref.names)):
                for cand, base in by_suffix.get(target, ()):
                    if cand != path and (not base or folder == base or folder.startswith(base + "/")):
                        imported.add(cand)
    # Drop st.Page / switch_page targets of other candidates.
    for cand in candidates:
        app = App(project, cand, given=False)
        for _file, _target, _line, resolved in app.page_targets:
            if resolved != cand:
                imported.add(resolved)
    found = [c for c in candidates if c not in imported]
    # Drop helper modules nobody imports (yet): their top level only defines things and renders nothing. Not
    # when that would leave no entrypoint at all.
    runs = [c for c in found if not definitions_only(project, c) or _imports_an_app(project, c)]
    if runs:
        found = runs

    def rank(path: str) -> tuple:
        name = posixpath.basename(path)
        conventional = CONVENTIONAL_NAMES.index(name) if name in CONVENTIONAL_NAMES else len(CONVENTIONAL_NAMES)
        return (path.count("/"), conventional, path)

    return sorted(found, key=rank)


def build_apps(project: Project, entrypoints: tuple[str, ...] | list[str]) -> list[App]:
    if entrypoints:
        apps, seen = [], set()
        for raw in entrypoints:
            entry = raw.strip()
            while entry.startswith("./"):
                entry = entry[2:]  # Cloud's "Main file path" is relative to the root; ./ adds nothing
            if entry and entry not in seen:
                seen.add(entry)
                apps.append(App(project, entry, given=True))
        return apps
    return [App(project, e, given=False) for e in detect_entrypoints(project)]
