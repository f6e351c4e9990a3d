"""Imports of a module, local-module resolution with the ``sys.path`` Cloud gives an app, and reachability.

Streamlit puts only the entrypoint's folder on ``sys.path`` (``_fix_sys_path`` in ``web/bootstrap.py``); the
working directory is the repository root but is not on ``sys.path``. On top of that folder an app's code can
import from:

- folders the app adds itself with ``sys.path.append/insert(...)`` when the argument can be worked out
  statically (string literals, ``__file__`` chains through ``os.path`` and ``pathlib``, names bound once);
- the project the winning dependency file installs (``-e .`` or ``.`` in ``requirements.txt``, a Pipfile or
  ``environment.yml`` path entry, a Poetry root package, the editable root package of a ``uv.lock``): its folder
  and its ``src/`` folder.

Modules found only from the repository root (or from a ``src/`` folder nothing installs) are still followed, so
their code is checked, and marked ``root_only`` for the import rules. ``st.Page``/``st.switch_page``/
``st.page_link`` targets found in any reached module are followed too (resolved from the entrypoint's folder).
Nothing is imported or executed: the code is only parsed.
"""

from __future__ import annotations

import ast
import posixpath
import re
from dataclasses import astuple, dataclass, replace
from sys import intern
from typing import TYPE_CHECKING

from preflight.facts import extractor, may_mention
from preflight.pysource import FastVisitor, char_columns, literal_path

if TYPE_CHECKING:
    from preflight.project import Project

DYNAMIC_IMPORTERS = {("importlib", "import_module"), ("", "__import__"), ("", "import_module"),
                     ("runpy", "run_module"), ("", "run_module")}
PAGE_CALLS = ("Page", "switch_page", "page_link")

# Guards, from the most to the least certain that the import does not run (or failing is handled):
#   "type-checking"  under ``if TYPE_CHECKING:`` (never runs)
#   "platform"       under an ``if`` that tests sys.platform / os.name / platform.system() (either branch)
#   "version"        under an ``if`` that tests sys.version_info (either branch)
#   "except"         inside an ``except ImportError:`` handler (a fallback for another import)
#   "try"            inside ``try:`` with an ``except ImportError`` (or broader) handler, or
#                    ``with suppress(ImportError):``, or under ``if find_spec(...)``
GUARDS = ("type-checking", "platform", "version", "except", "try")


@dataclass(frozen=True, slots=True)
class ImportRef:
    """One imported module. ``module`` is absolute (relative imports resolved when possible)."""

    module: str
    line: int
    column: int
    level: int = 0
    names: tuple[str, ...] = ()
    guard: str | None = None  # one of GUARDS, or None
    dynamic: bool = False
    call: str = ""  # for a dynamic import: the function called ("importlib.import_module", "__import__", ...)

    @property
    def top(self) -> str:
        return self.module.split(".", 1)[0]

    @property
    def statement(self) -> str:
        """The import as it could be written (for messages)."""
        if self.dynamic:
            return f"{self.call or 'importlib.import_module'}('{self.module}')"
        if self.names:
            shown = ", ".join(self.names[:3]) + (", ..." if len(self.names) > 3 else "")
            return f"from {'.' * self.level}{'' if self.level else self.module} import {shown}"
        return f"import {self.module}"


def _test_kind(test: ast.expr) -> str | None:
    """"platform" / "version" / "try" when an ``if`` test makes the branch conditional on the environment."""
    for node in ast.walk(test):
        if isinstance(node, ast.Attribute):
            if node.attr == "version_info":
                return "version"
            if node.attr in ("platform", "name") and isinstance(node.value, ast.Name) \
                    and node.value.id in ("sys", "os"):
                return "platform"
            if node.attr == "system" and isinstance(node.value, ast.Name) and node.value.id == "platform":
                return "platform"
            if node.attr == "find_spec":
                return "try"
        elif isinstance(node, ast.Name) and node.id in ("find_spec", "version_info"):
            return "try" if node.id == "find_spec" else "version"
    return None


_STATEMENT_FIELDS = ("body", "orelse", "handlers", "finalbody", "cases")
# Calls that import by name; expressions are visited only when the source mentions one of them.
_DYNAMIC_TOKENS = (b"import_module", b"__import__", b"run_module", b"run_path")


class _ImportVisitor(FastVisitor):
    def __init__(self, expressions: bool = True):
        self.out: list[ImportRef] = []
        self.guards: list[str] = []
        # Imports are statements: unless a dynamic importer may be called, expressions need no visit
        # (that is most of a module's nodes, and most of the time this visitor would spend).
        self.expressions = expressions

    def generic_visit(self, node: ast.AST) -> None:
        if self.expressions:
            super().generic_visit(node)
            return
        for field in _STATEMENT_FIELDS:
            children = getattr(node, field, None)
            if isinstance(children, list):
                for child in children:
                    if isinstance(child, ast.AST):
                        self.visit(child)

    def _guard(self) -> str | None:
        if not self.guards:
            return None
        return min(self.guards, key=GUARDS.index)  # the strongest guard wins

    def _under(self, guard: str | None, body: list) -> None:
        if guard:
            self.guards.append(guard)
        for stmt in body:
            self.visit(stmt)
        if guard:
            self.guards.pop()

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.out.append(ImportRef(alias.name, node.lineno, node.col_offset + 1, guard=self._guard()))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        # Relative imports are kept as written (``module`` below the package, ``level``): ``imports_of``
        # resolves them for the sys.path root it is asked about.
        names = tuple(a.name for a in node.names)
        self.out.append(ImportRef(node.module or "", node.lineno, node.col_offset + 1, node.level, names,
                                  self._guard()))

    def visit_Try(self, node: ast.Try) -> None:
        catches = [h for h in node.handlers if _catches_import_error(h.type)]
        self._under("try" if catches else None, node.body)
        for handler in node.handlers:
            self._under("except" if handler in catches else None, [handler])
        for part in (*node.orelse, *node.finalbody):
            self.visit(part)

    visit_TryStar = visit_Try

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        is_tc = (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
        if is_tc:
            self._under("type-checking", node.body)
            for stmt in node.orelse:
                self.visit(stmt)
            return
        self.visit(test)
        kind = _test_kind(test)
        self._under(kind, node.body)
        self._under(kind, node.orelse)

    def visit_With(self, node: ast.With) -> None:
        suppresses = any(
            isinstance(item.context_expr, ast.Call)
            and (getattr(item.context_expr.func, "id", None) == "suppress"
                 or getattr(item.context_expr.func, "attr", None) == "suppress")
            and any(_catches_import_error(arg) for arg in item.context_expr.args)
            for item in node.items)
        for item in node.items:
            self.visit(item)
        self._under("try" if suppresses else None, node.body)

    visit_AsyncWith = visit_With

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        key = None
        if isinstance(func, ast.Name):
            key = ("", func.id)
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            key = (func.value.id, func.attr)
        if key in DYNAMIC_IMPORTERS and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value \
                    and not first.value.startswith(".") and _DOTTED_RE.match(first.value):
                call = f"{key[0]}.{key[1]}" if key[0] else key[1]
                self.out.append(ImportRef(first.value, node.lineno, node.col_offset + 1, guard=self._guard(),
                                          dynamic=True, call=call))
        self.generic_visit(node)


_DOTTED_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def _catches_import_error(expr: ast.expr | None) -> bool:
    if expr is None:
        return True  # bare except
    names = []
    for item in (expr.elts if isinstance(expr, ast.Tuple) else [expr]):
        if isinstance(item, ast.Name):
            names.append(item.id)
        elif isinstance(item, ast.Attribute):
            names.append(item.attr)
    return any(n in ("ImportError", "ModuleNotFoundError", "Exception", "BaseException") for n in names)


def module_package(path: str, root: str) -> str:
    """Dotted package that contains ``path`` seen from sys.path entry ``root`` (from the repository root when
    ``path`` is not under ``root``)."""
    folder = posixpath.dirname(path)
    if root and not (folder == root or folder.startswith(root + "/")):
        root = ""
    rel = posixpath.relpath(folder or ".", root or ".")
    if rel in (".", ""):
        return ""
    return rel.replace("/", ".")


@extractor("imports")
def _extract_imports(path: str, tree: ast.Module, data: bytes) -> list[tuple]:
    visitor = _ImportVisitor(expressions=may_mention(data, *_DYNAMIC_TOKENS))
    try:
        visitor.visit(tree)
    except RecursionError:
        pass
    rows = [astuple(ref) for ref in visitor.out]
    if not data.isascii():
        column = char_columns(data)
        rows = [(module, line, column(line, col), *rest) for module, line, col, *rest in rows]
    return rows


def _absolute(ref: ImportRef, package: str) -> ImportRef | None:
    """A relative import made absolute from ``package`` (None beyond the top: nothing to follow)."""
    parts = package.split(".") if package else []
    if ref.level - 1 > len(parts):
        return None
    # (``from . import x`` in a top-level module, and one level beyond the top, raise ImportError in Python;
    # they are still followed, leniently, so that the code they name is checked.)
    base = parts[: len(parts) - (ref.level - 1)]
    return replace(ref, module=".".join([*base, ref.module] if ref.module else base))


def imports_of(project: Project, path: str, root: str = "") -> list[ImportRef]:
    """Imports in ``path`` (cached per path and sys.path root). Unparsable files have none."""
    cache: dict[tuple[str, str], list[ImportRef]] = project.__dict__.setdefault("_imports_cache", {})
    key = (path, root)
    if key not in cache:
        written: list[ImportRef] | None = cache.get((path, None))  # type: ignore[arg-type]
        if written is None:  # as written, decoded once (module names interned: thousands of files share them)
            written = [ImportRef(intern(row[0]), *row[1:]) for row in project.fact(path, "imports") or ()]
            cache[(path, None)] = written  # type: ignore[index]
        if not any(ref.level and not ref.dynamic for ref in written):
            cache[key] = written  # no relative import: the same for every sys.path root
        else:
            out: list[ImportRef] = []
            package = module_package(path, root)
            for ref in written:
                resolved = _absolute(ref, package) if ref.level and not ref.dynamic else ref
                if resolved is not None:
                    out.append(resolved)
            cache[key] = out
    return cache[key]


def resolve_module(project: Project, module: str, roots: list[str]) -> tuple[str, str] | None:
    """(file path, root it was found from) for a local module, or None. Packages resolve to ``__init__.py``
    (or to the folder itself, a namespace package, returned with a trailing slash).

    Like Python's path finder, a regular module or package in any root wins over a namespace folder (cached
    per project: thousands of files import the same modules)."""
    cache: dict[tuple, tuple[str, str] | None] = project.__dict__.setdefault("_resolve_cache", {})
    key = (module, *roots)
    if key not in cache:
        cache[key] = _resolve_module(project, module, roots)
    return cache[key]


def _resolve_module(project: Project, module: str, roots: list[str]) -> tuple[str, str] | None:
    parts = module.split(".")
    if not module or not all(parts):
        return None
    namespace: tuple[str, str] | None = None
    for root in roots:
        base = posixpath.join(root, *parts) if root else posixpath.join(*parts)
        if project.exists(base + ".py"):
            return base + ".py", root
        if project.exists(base + "/__init__.py"):
            return base + "/__init__.py", root
        if namespace is None and project.is_dir(base):
            namespace = (base + "/", root)
    return namespace


@dataclass(frozen=True)
class LocalModule:
    path: str
    root_only: bool  # found only from the repository root (or a src/ folder nothing installs), not on sys.path
    root: str = ""  # the sys.path entry it was found from (for relative imports)


# --------------------------------------------------------------------------- sys.path changes


@dataclass(frozen=True)
class SysPathChange:
    """``sys.path.append/insert/extend``, ``sys.path += ...`` or ``site.addsitedir`` in app code."""

    path: str  # the module that changes sys.path
    line: int
    folder: str | None  # repo-relative folder added ('' = root); None when it cannot be worked out statically


_OUTSIDE = object()  # a value that leaves the repository


def _norm(path: str) -> str | object:
    path = path.replace("\\", "/")
    if path.startswith(("/", "~")) or re.match(r"^[A-Za-z]:", path):
        return _OUTSIDE
    norm = posixpath.normpath(path) if path else "."
    if norm == "..":
        return _OUTSIDE
    if norm.startswith("../"):
        return _OUTSIDE
    return "" if norm == "." else norm


def _dirname(value: str | object | None) -> str | object | None:
    if not isinstance(value, str):
        return value
    if value == "":
        return _OUTSIDE
    return posixpath.dirname(value)


def _joined(left: str | object | None, right: str | object | None) -> str | object | None:
    if left is None or right is None:
        return None
    if left is _OUTSIDE:
        return _OUTSIDE
    if not isinstance(left, str) or not isinstance(right, str):
        return None
    return _norm(posixpath.join(left, right) if left else right)


class _PathEvaluator:
    """Works out repository paths from ``__file__``, literals, ``os.path`` and ``pathlib`` expressions."""

    def __init__(self, module_path: str, tree: ast.Module):
        self.module_path = module_path
        self.names: dict[str, ast.expr | None] = {}
        for node in ast.walk(tree):
            targets: list[ast.expr] = []
            value: ast.expr | None = None
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets, value = [node.target], node.value
            for target in targets:
                if isinstance(target, ast.Name):
                    # A name bound twice is not a constant we can trust.
                    self.names[target.id] = None if target.id in self.names else value

    def literal(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        return None

    def part(self, node: ast.expr, depth: int) -> str | object | None:
        """A path component: a relative literal is kept as written (``".."`` is fine inside a join)."""
        text = self.literal(node)
        if text is not None:
            text = text.replace("\\", "/")
            return _OUTSIDE if text.startswith(("/", "~")) or re.match(r"^[A-Za-z]:", text) else text
        return self.value(node, depth)

    def value(self, node: ast.expr, depth: int = 0) -> str | object | None:
        """A repo-relative path, _OUTSIDE, or None (unknown)."""
        if depth > 30:
            return None
        nxt = depth + 1
        text = self.literal(node)
        if text is not None:
            return _norm(text)
        if isinstance(node, ast.Name):
            if node.id == "__file__":
                return self.module_path
            bound = self.names.get(node.id)
            return self.value(bound, nxt) if bound is not None else None
        if isinstance(node, ast.Attribute):
            if node.attr == "parent":
                return _dirname(self.value(node.value, nxt))
            if node.attr == "curdir" and isinstance(node.value, ast.Name) and node.value.id == "os":
                return ""  # the working directory: the repository root on Cloud
            return None
        if isinstance(node, ast.Subscript):
            base = node.value
            if isinstance(base, ast.Attribute) and base.attr == "parents" and isinstance(node.slice, ast.Constant) \
                    and isinstance(node.slice.value, int) and 0 <= node.slice.value < 20:
                current = self.value(base.value, nxt)
                for _ in range(node.slice.value + 1):
                    current = _dirname(current)
                return current
            return None
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Div):
                return _joined(self.value(node.left, nxt), self.part(node.right, nxt))
            if isinstance(node.op, ast.Add):
                right = self.literal(node.right)
                if right is not None and right[:1] in ("/", "\\"):
                    return _joined(self.value(node.left, nxt), right.lstrip("/\\"))
                if right is not None and right == "":
                    return self.value(node.left, nxt)
            return None
        if isinstance(node, ast.JoinedStr) and node.values:
            first, rest = node.values[0], node.values[1:]
            tail = "".join(v.value for v in rest if isinstance(v, ast.Constant) and isinstance(v.value, str))
            if isinstance(first, ast.FormattedValue) and len(tail) == sum(
                    len(v.value) for v in rest if isinstance(v, ast.Constant)) and all(
                    isinstance(v, ast.Constant) for v in rest):
                base = self.value(first.value, nxt)
                return _joined(base, tail.lstrip("/\\")) if tail else base
            return None
        if isinstance(node, ast.Call):
            return self._call(node, nxt)
        return None

    def _call(self, node: ast.Call, depth: int) -> str | object | None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        args = node.args
        if name in ("getcwd", "cwd") and not args:
            return ""
        if name in ("resolve", "absolute", "expanduser") and isinstance(func, ast.Attribute) and not args:
            return self.value(func.value, depth) if name != "expanduser" else None
        if name == "joinpath" and isinstance(func, ast.Attribute):
            current = self.value(func.value, depth)
            for arg in args:
                current = _joined(current, self.part(arg, depth))
            return current
        if name == "with_name" or name == "with_suffix":
            return None
        if not args:
            return "" if name in ("Path", "PurePath", "PosixPath") else None
        if name in ("dirname",):
            return _dirname(self.value(args[0], depth))
        if name in ("abspath", "realpath", "normpath", "str", "fspath", "Path", "PurePath", "PosixPath"):
            if name in ("Path", "PurePath", "PosixPath") and len(args) > 1:
                current = self.value(args[0], depth)
                for arg in args[1:]:
                    current = _joined(current, self.part(arg, depth))
                return current
            return self.value(args[0], depth)
        if name == "join":
            current = self.value(args[0], depth)
            for arg in args[1:]:
                current = _joined(current, self.part(arg, depth))
            return current
        return None


def _is_sys_path(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "path" and isinstance(node.value, ast.Name) \
        and node.value.id == "sys"


def sys_path_changes(project: Project, path: str) -> list[SysPathChange]:
    """Every change a module makes to ``sys.path`` (cached)."""
    cache: dict[str, list[SysPathChange]] = project.__dict__.setdefault("_sys_path_cache", {})
    if path in cache:
        return cache[path]
    out: list[SysPathChange] = []
    tree = project.python(path) if project.mentions(path, b"sys.path", b"addsitedir") else None
    if tree is not None:
        evaluator = _PathEvaluator(path, tree)

        def add(node: ast.AST, exprs: list[ast.expr] | None) -> None:
            if exprs is None:
                out.append(SysPathChange(path, node.lineno, None))
                return
            for expr in exprs:
                value = evaluator.value(expr)
                out.append(SysPathChange(path, node.lineno, value if isinstance(value, str) else None))

        def items(expr: ast.expr) -> list[ast.expr] | None:
            if isinstance(expr, (ast.List, ast.Tuple)):
                return list(expr.elts)
            if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
                left = [] if _is_sys_path(expr.left) else items(expr.left)
                right = [] if _is_sys_path(expr.right) else items(expr.right)
                return None if left is None or right is None else left + right
            return None

        try:
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    func = node.func
                    if _is_sys_path(func.value) and func.attr in ("append", "insert", "extend"):
                        if func.attr == "append" and node.args:
                            add(node, [node.args[0]])
                        elif func.attr == "insert" and len(node.args) >= 2:
                            add(node, [node.args[1]])
                        elif func.attr == "extend" and node.args:
                            add(node, items(node.args[0]))
                    elif func.attr == "addsitedir" and node.args:
                        add(node, [node.args[0]])
                elif isinstance(node, ast.AugAssign) and _is_sys_path(node.target):
                    add(node, items(node.value))
                elif isinstance(node, ast.Assign) and any(
                        _is_sys_path(t) or (isinstance(t, ast.Subscript) and _is_sys_path(t.value))
                        for t in node.targets):
                    add(node, items(node.value))
        except RecursionError:
            pass
    cache[path] = out
    return out


# --------------------------------------------------------------------------- the project the dependency file installs


@dataclass(frozen=True)
class InstalledProject:
    """A local project the winning dependency file installs (so its packages are importable)."""

    folder: str  # '' = repository root
    declared_in: str  # the dependency file
    line: int | None
    roots: tuple[str, ...]  # sys.path-like folders its packages are found from


_PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg")
_LOCAL_WITH_EXTRAS_RE = re.compile(r"^(?:(?:-e|--editable)(?:\s+|=))?(?P<path>\.{1,2}(?:/[^\s\[]*)?)\[[^\]]*\]\s*$")


def _is_project(project: Project, folder: str) -> bool:
    return any(project.exists(posixpath.join(folder, f) if folder else f) for f in _PROJECT_FILES)


def _project_roots(project: Project, folder: str) -> tuple[str, ...]:
    """Folders a project's packages are imported from: ``src/`` (src layout), the folder itself (flat layout)
    and folders named in Poetry ``packages = [{from = ...}]`` or setuptools ``where``/``package-dir``."""
    def rel(sub: str) -> str | None:
        value = _norm(posixpath.join(folder, sub) if folder else sub)
        return value if isinstance(value, str) and project.is_dir(value) else None

    out: list[str] = []
    for sub in ("src",):
        found = rel(sub)
        if found is not None:
            out.append(found)
    pyproject = project.toml(posixpath.join(folder, "pyproject.toml") if folder else "pyproject.toml") \
        if project.exists(posixpath.join(folder, "pyproject.toml") if folder else "pyproject.toml") else None
    tool = pyproject.get("tool") if isinstance(pyproject, dict) and isinstance(pyproject.get("tool"), dict) else {}
    poetry = tool.get("poetry") if isinstance(tool.get("poetry"), dict) else {}
    for item in poetry.get("packages", []) if isinstance(poetry.get("packages"), list) else []:
        if isinstance(item, dict) and isinstance(item.get("from"), str):
            found = rel(item["from"])
            if found is not None:
                out.append(found)
    setuptools = tool.get("setuptools") if isinstance(tool.get("setuptools"), dict) else {}
    packages = setuptools.get("packages") if isinstance(setuptools.get("packages"), dict) else {}
    find = packages.get("find") if isinstance(packages.get("find"), dict) else {}
    for where in find.get("where", []) if isinstance(find.get("where"), list) else []:
        if isinstance(where, str):
            found = rel(where)
            if found is not None:
                out.append(found)
    package_dir = setuptools.get("package-dir") if isinstance(setuptools.get("package-dir"), dict) else {}
    if isinstance(package_dir.get(""), str):
        found = rel(package_dir[""])
        if found is not None:
            out.append(found)
    out.append(folder)
    return tuple(dict.fromkeys(out))


def installed_projects(project: Project, entry_dir: str) -> list[InstalledProject]:
    """Local projects the dependency file Cloud uses for an app in ``entry_dir`` installs (cached)."""
    from preflight import depfiles

    cache: dict[str, list[InstalledProject]] = project.__dict__.setdefault("_installed_projects_cache", {})
    if entry_dir in cache:
        return cache[entry_dir]
    out: list[InstalledProject] = []
    candidates = depfiles.candidates(project, entry_dir)
    if candidates:
        winner = depfiles.parse_dependency_file(project, candidates[0])
        base = posixpath.dirname(winner.path)
        seen: set[str] = set()

        def add(folder: str, line: int | None, declared_in: str) -> None:
            if folder not in seen and _is_project(project, folder):
                seen.add(folder)
                out.append(InstalledProject(folder, declared_in, line, _project_roots(project, folder)))

        if winner.filename in ("requirements.txt", "environment.yml", "Pipfile"):
            for req in winner.requirements:
                if not req.is_runtime:
                    continue
                target = None
                if req.kind in ("editable", "path") and req.url:
                    target = req.url
                elif req.kind == "invalid":
                    match = _LOCAL_WITH_EXTRAS_RE.match(req.text.strip())
                    target = match.group("path") if match else None
                if not target or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", target) \
                        or target.endswith((".whl", ".tar.gz", ".zip", ".tgz")):
                    continue
                target = re.sub(r"\[[^\]]*\]$", "", target.strip())
                if target.startswith("file:"):
                    continue
                # pip reads a relative path from the working directory (the repository root on Cloud), uv
                # from the requirements file's folder: accept either.
                for origin in ("", posixpath.dirname(req.path)):
                    folder = _norm(posixpath.join(origin, target) if origin else target)
                    if isinstance(folder, str):
                        add(folder, req.line, req.path)
        elif winner.filename == "pyproject.toml":
            data = project.toml(winner.path) or {}
            tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
            poetry = tool.get("poetry") if isinstance(tool.get("poetry"), dict) else None
            if poetry is not None and poetry.get("package-mode") is not False:
                add(base, None, winner.path)
        elif winner.filename == "uv.lock":
            # uv sync installs the project itself when it is a package: the lock records it as editable, and
            # the pyproject.toml beside it has a [build-system] (or [tool.uv] package = true).
            data = project.toml(winner.path) or {}
            packages = data.get("package") if isinstance(data.get("package"), list) else []
            for package in packages:
                source = package.get("source") if isinstance(package, dict) else None
                if isinstance(source, dict) and isinstance(source.get("editable"), str):
                    folder = _norm(posixpath.join(base, source["editable"]) if base else source["editable"])
                    if isinstance(folder, str):
                        add(folder, None, winner.path)
            pyproject = posixpath.join(base, "pyproject.toml") if base else "pyproject.toml"
            meta = project.toml(pyproject) if project.exists(pyproject) else None
            if isinstance(meta, dict):
                tool = meta.get("tool") if isinstance(meta.get("tool"), dict) else {}
                uv = tool.get("uv") if isinstance(tool.get("uv"), dict) else {}
                if uv.get("package") is True or (isinstance(meta.get("build-system"), dict)
                                                  and uv.get("package") is not False):
                    add(base, None, winner.path)
    cache[entry_dir] = out
    return out


# --------------------------------------------------------------------------- reachability


@dataclass
class Reach:
    """What an app can import, and the local modules it reaches."""

    modules: list[LocalModule]
    roots: tuple[str, ...]  # the sys.path Cloud gives the app (entry folder, sys.path changes, installed projects)
    fallback: tuple[str, ...]  # folders that work only when run differently (repo root, src/ nothing installs)
    sys_path: tuple[SysPathChange, ...] = ()
    installed: tuple[InstalledProject, ...] = ()

    def resolve(self, project: Project, module: str) -> tuple[str, str, bool] | None:
        """(file, root, on_path) for a local module; ``on_path`` is False when found only from a fallback."""
        found = resolve_module(project, module, list(self.roots))
        if found is not None and not found[0].endswith("/"):
            return found[0], found[1], True
        later = resolve_module(project, module, list(self.fallback))
        if later is not None and not later[0].endswith("/"):
            return later[0], later[1], False
        if found is not None:
            return found[0], found[1], True
        if later is not None:
            return later[0], later[1], False
        return None

    @property
    def unknown_sys_path(self) -> list[SysPathChange]:
        """sys.path changes this check could not work out (imports may be found there)."""
        return [c for c in self.sys_path if c.folder is None]


@extractor("followed")
def _extract_followed(path: str, tree: ast.Module, data: bytes) -> list[tuple[str, str]]:
    """("page", target as written) and ("run_path", target from the working directory) of scripts the module
    runs without importing them (see ``_followed_files``)."""
    if not may_mention(data, *(name.encode() for name in PAGE_CALLS), b"run_path"):
        return []
    out: list[tuple[str, str]] = []
    evaluator: _PathEvaluator | None = None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        first = node.args[0]
        written = literal_path(first) if name in PAGE_CALLS else None
        if written is not None and written.endswith(".py"):
            out.append(("page", written))
        elif name == "run_path":
            evaluator = evaluator or _PathEvaluator(path, tree)
            target = evaluator.value(first)
            if isinstance(target, str) and target.endswith(".py"):
                out.append(("run_path", target))
    return out


def _followed_files(project: Project, path: str, entry_dir: str) -> list[tuple[str, str]]:
    """(file, its sys.path root) of scripts a module runs without importing them: literal ``*.py`` targets of
    st.Page / st.switch_page / st.page_link (resolved from the entrypoint's folder) and ``runpy.run_path``
    targets (from the working directory, the repository root, or built from ``__file__``)."""
    out: list[tuple[str, str]] = []
    for kind, target in project.fact(path, "followed") or ():
        if kind == "page":
            target = _norm(posixpath.join(entry_dir, target) if entry_dir else target)
            if not isinstance(target, str):
                continue
        out.append((target, entry_dir))
    return out


_UNKNOWN = object()


def _walk(project: Project, seeds: list[str], entry_dir: str, roots: list[str],
          fallback: list[str]) -> list[LocalModule]:
    seen: dict[str, LocalModule] = {}
    answers: dict[object, tuple | None] = {}
    queue = [LocalModule(s, False, entry_dir) for s in seeds if s.endswith(".py") and project.exists(s)]
    for item in queue:
        seen.setdefault(item.path, item)
    index = 0
    while index < len(queue):
        current = queue[index]
        index += 1
        for page, root in _followed_files(project, current.path, entry_dir):
            if page not in seen and project.exists(page):
                seen[page] = LocalModule(page, current.root_only, root)
                queue.append(seen[page])
        for ref in imports_of(project, current.path, current.root):
            parts = ref.module.split(".") if ref.module and not ref.level else []
            # "import a.b.c" runs a/__init__.py and a/b/__init__.py first
            targets = [".".join(parts[:end]) for end in range(1, len(parts))]
            targets += [ref.module] if ref.module else []
            if ref.names and ref.names != ("*",):
                targets += [f"{ref.module}.{n}" if ref.module else n for n in ref.names]
            for target in targets:
                key = (target, current.root) if ref.level else target
                answer = answers.get(key, _UNKNOWN)
                if answer is _UNKNOWN:  # thousands of modules import the same names: resolved once per walk
                    if ref.level:
                        found, on_path = resolve_module(project, target, [current.root]), True
                    else:
                        found, on_path = resolve_module(project, target, roots), True
                        if found is None or found[0].endswith("/"):
                            later = resolve_module(project, target, fallback)
                            if later is not None and not later[0].endswith("/"):
                                found, on_path = later, False
                    answers[key] = answer = None if found is None else (found, on_path)
                if answer is None:
                    continue
                (file, from_root), on_path = answer
                if file.endswith("/") or file in seen:
                    continue
                module = LocalModule(file, current.root_only or not on_path, from_root)
                seen[file] = module
                queue.append(module)
    return list(seen.values())


def app_reach(project: Project, seeds: list[str], entry_dir: str) -> Reach:
    """Local modules reached from ``seeds`` and the import roots of an app in ``entry_dir`` (cached)."""
    cache: dict[tuple, Reach] = project.__dict__.setdefault("_reach_cache", {})
    key = (tuple(seeds), entry_dir)
    if key in cache:
        return cache[key]
    installed = installed_projects(project, entry_dir)
    base = [entry_dir]
    for item in installed:
        base += [r for r in item.roots if r not in base]
    fallback: list[str] = [""] if entry_dir else []  # the repository root: PATH-006
    for src in dict.fromkeys(("src", posixpath.join(entry_dir, "src") if entry_dir else "src")):
        if project.is_dir(src) and src not in base and src not in fallback:
            fallback.append(src)  # a src/ layout nothing installs
    fallback = [f for f in fallback if f not in base]
    added: list[str] = []
    changes: list[SysPathChange] = []
    modules: list[LocalModule] = []
    for _ in range(4):
        roots = base + [a for a in added if a not in base]
        modules = _walk(project, seeds, entry_dir, roots, [f for f in fallback if f not in roots])
        changes = [c for m in modules if not m.root_only for c in sys_path_changes(project, m.path)]
        new = [c.folder for c in changes if c.folder is not None and c.folder not in roots
               and c.folder not in added]
        if not new:
            break
        added += list(dict.fromkeys(new))
    roots = base + [a for a in added if a not in base]
    reach = Reach(modules, tuple(roots), tuple(f for f in fallback if f not in roots), tuple(changes),
                  tuple(installed))
    cache[key] = reach
    return reach


def reachable_modules(project: Project, seeds: list[str], entry_dir: str) -> list[LocalModule]:
    """Local Python files reached from ``seeds`` through imports, breadth-first, seeds included."""
    return app_reach(project, seeds, entry_dir).modules


# --------------------------------------------------------------------------- model files the app unpickles

# Model files are data: they are never unpickled here. Their pickle stream is parsed opcode by opcode
# (``pickletools.genops`` only decodes opcodes and arguments) to list the classes it names, and so the modules
# that unpickling them on Cloud will import.
MODEL_SUFFIXES = (".pkl", ".pickle", ".joblib", ".sav", ".pt", ".pth", ".bin")
_COMPRESSED_SUFFIXES = ("", ".gz", ".bz2", ".xz", ".lzma", ".z", ".zip")
# Calls that unpickle a file (dotted names after import aliases are resolved) and whether they take bytes.
MODEL_LOADERS = {
    "pickle.load": False, "pickle.loads": True, "_pickle.load": False, "_pickle.loads": True,
    "cPickle.load": False, "cloudpickle.load": False, "cloudpickle.loads": True, "dill.load": False,
    "dill.loads": True, "joblib.load": False, "sklearn.externals.joblib.load": False, "pandas.read_pickle": False,
    "torch.load": False,
}
_FILE_KEYWORDS = ("file", "filename", "filepath_or_buffer", "f", "path", "data")
_OPENERS = ("open", "io.open", "builtins.open", "gzip.open", "bz2.open", "lzma.open", "codecs.open")
PICKLE_READ_LIMIT = 64 * 1024 * 1024  # bytes of a model file read at most
_MAX_OPCODES = 1_000_000
_MAX_PICKLES = 8  # concatenated pickles read from one file (torch's legacy format writes five)
_MAX_GLOBALS = 2_000


@dataclass(frozen=True)
class ModelLoad:
    """A call in app code that unpickles a committed model file."""

    path: str  # the module with the call
    line: int
    column: int
    call: str  # "pickle.load", "joblib.load", ...
    model: str  # repo path of the model file


def model_loads(project: Project, path: str, entry_dir: str) -> list[ModelLoad]:
    """Calls in ``path`` that unpickle a model file named by a literal path (cached per module and app folder).

    The file is found from the working directory (the repository root on Cloud), else from the entrypoint's
    folder or the module's folder (a path written for another working directory is CP7xx's business; the file
    it means still needs its packages)."""
    cache: dict[tuple[str, str], list[ModelLoad]] = project.__dict__.setdefault("_model_loads_cache", {})
    key = (path, entry_dir)
    if key in cache:
        return cache[key]
    out: list[ModelLoad] = []
    if project.mentions(path, b"load", b"read_pickle"):
        from preflight.pysource import calls, import_aliases

        tree = project.python(path)
        loaders = [(node, name) for node, name in calls(project, path, MODEL_LOADERS) if name in MODEL_LOADERS]
        if tree is not None and loaders:
            evaluator = _PathEvaluator(path, tree)
            aliases = import_aliases(project, path)
            bound = _with_bindings(tree)
            for node, name in loaders:
                arg = node.args[0] if node.args else next(
                    (k.value for k in node.keywords if k.arg in _FILE_KEYWORDS), None)
                if arg is None:
                    continue
                scope = bound.get(id(node), {})
                for model in _model_paths(project, evaluator, aliases, scope, arg, path, entry_dir):
                    out.append(ModelLoad(path, node.lineno, project.char_column(path, node.lineno, node.col_offset + 1),
                                         name, model))
                    break
    out.sort(key=lambda load: (load.line, load.column))
    cache[key] = out
    return out


def _with_bindings(tree: ast.Module) -> dict[int, dict[str, ast.expr]]:
    """id(call) -> {name: opener call} for names bound by ``with open(...) as f`` around the call."""
    out: dict[int, dict[str, ast.expr]] = {}

    def visit(node: ast.AST, scope: dict[str, ast.expr], depth: int) -> None:
        if depth > 200:
            return
        if isinstance(node, (ast.With, ast.AsyncWith)):
            inner = dict(scope)
            for item in node.items:
                visit(item.context_expr, scope, depth + 1)
                if isinstance(item.optional_vars, ast.Name) and isinstance(item.context_expr, ast.Call):
                    inner[item.optional_vars.id] = item.context_expr
            for stmt in node.body:
                visit(stmt, inner, depth + 1)
            return
        if isinstance(node, ast.Call) and scope:
            out[id(node)] = scope
        for child in ast.iter_child_nodes(node):
            visit(child, scope, depth + 1)

    visit(tree, {}, 0)
    return out


def _model_paths(project: Project, evaluator: _PathEvaluator, aliases: dict[str, str],
                 scope: dict[str, ast.expr], arg: ast.expr, path: str, entry_dir: str) -> list[str]:
    """Existing repo paths of the model file ``arg`` names (an expression, ``open(...)``, a name bound by
    ``with open(...) as f`` or ``f = open(...)``, ``.read()``/``.read_bytes()`` of those)."""
    from preflight.pysource import dotted_name

    expr: ast.expr | None = arg
    for _ in range(4):
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and not expr.args \
                and expr.func.attr in ("read", "read_bytes", "getvalue"):
            expr = expr.func.value  # open(p).read(), Path(p).read_bytes()
            continue
        if isinstance(expr, ast.Name):
            if expr.id in scope:
                expr = scope[expr.id]
                continue
            value = evaluator.names.get(expr.id)
            if isinstance(value, ast.Call):
                expr = value
                continue
        if isinstance(expr, ast.Call):
            name = dotted_name(expr.func, aliases) or ""
            if name in _OPENERS and expr.args:
                expr = expr.args[0]
                continue
            if isinstance(expr.func, ast.Attribute) and expr.func.attr == "open":
                expr = expr.func.value  # Path(p).open("rb")
                continue
        break
    if expr is None:
        return []
    value = evaluator.value(expr)
    written = evaluator.literal(expr)
    if written is None and isinstance(expr, ast.Name) and isinstance(evaluator.names.get(expr.id), ast.Constant):
        written = evaluator.literal(evaluator.names[expr.id])  # type: ignore[arg-type]
    found: list[str] = []
    tries = [value] if isinstance(value, str) else []
    if written is not None and not written.startswith(("/", "~")):
        for base in (entry_dir, posixpath.dirname(path)):
            joined = _norm(posixpath.join(base, written) if base else written)
            tries.append(joined)
    for candidate in tries:
        if isinstance(candidate, str) and candidate not in found and is_model_file(candidate) \
                and project.exists(candidate):
            found.append(candidate)
    return found


def is_model_file(path: str) -> bool:
    lower = path.lower()
    return any(lower.endswith(suffix + extra) for suffix in MODEL_SUFFIXES for extra in _COMPRESSED_SUFFIXES)


@dataclass(frozen=True)
class PickleScan:
    """What a model file's pickle stream names: (module, attribute) of every class or function it imports."""

    globals: tuple[tuple[str, str], ...]
    state: str  # "ok", "partial" (truncated, corrupt or past a limit: what was read is listed), "not-pickle",
    #             "lfs-pointer", "unreadable"

    @property
    def modules(self) -> list[str]:
        return list(dict.fromkeys(module for module, _ in self.globals))


_LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"


def pickled_globals(project: Project, path: str) -> PickleScan:
    """The classes and functions a committed pickle (plain, compressed, or a torch zip) refers to (cached).
    At most ``PICKLE_READ_LIMIT`` bytes are read; nothing is unpickled."""
    cache: dict[str, PickleScan] = project.__dict__.setdefault("_pickle_scan_cache", {})
    if path not in cache:
        data = _read_head(project, path, PICKLE_READ_LIMIT)
        cache[path] = _scan_model_bytes(data)
    return cache[path]


def _read_head(project: Project, path: str, limit: int) -> bytes | None:
    """The first ``limit`` bytes of a committed file, without keeping big files in the project's cache."""
    import os
    import stat

    from preflight.project import MAX_PARSE_BYTES

    size = project.size(path)
    if size is None or size <= MAX_PARSE_BYTES or path not in project.file_set:
        return project.read_bytes(path)  # small files, and symlinks (resolved, within the repository, by it)
    # A big regular file: read its head only, and only when its real path is inside the repository (no
    # symlinked folder on the way leads out of it).
    try:
        root = os.path.realpath(project.root)
        full = os.path.realpath(project.root / path)
        if os.path.commonpath([root, full]) != root or not stat.S_ISREG(os.stat(full).st_mode):
            return None
        with open(full, "rb") as handle:
            return handle.read(limit)
    except (OSError, ValueError):
        return None


def _scan_model_bytes(data: bytes | None) -> PickleScan:
    if data is None:
        return PickleScan((), "unreadable")
    if data.startswith(_LFS_POINTER):
        return PickleScan((), "lfs-pointer")
    data, complete = _unwrap(data)
    if data is None:
        return PickleScan((), "not-pickle")
    found, parsed_all = _pickle_globals(data)
    if not found and not parsed_all:
        return PickleScan((), "not-pickle")
    return PickleScan(tuple(found), "ok" if complete and parsed_all else "partial")


def _unwrap(data: bytes) -> tuple[bytes | None, bool]:
    """(pickle bytes, complete) from a plain pickle, a gzip/bz2/xz/zlib-compressed one (joblib's compressors)
    or a zip holding ``data.pkl`` (torch.save); decompression stops at ``PICKLE_READ_LIMIT`` bytes."""
    import bz2
    import lzma
    import zlib

    limit = PICKLE_READ_LIMIT
    try:
        if data.startswith(b"PK\x03\x04"):
            return _zip_member(data)
        if data.startswith(b"\x1f\x8b"):
            inflater = zlib.decompressobj(31)
            out = inflater.decompress(data, limit)
            return out, inflater.eof
        if data.startswith(b"BZh"):
            bunzip = bz2.BZ2Decompressor()
            out = bunzip.decompress(data, limit)
            return out, bunzip.eof
        if data.startswith((b"\xfd7zXZ\x00", b"]\x00\x00")):
            unxz = lzma.LZMADecompressor()
            out = unxz.decompress(data, limit)
            return out, unxz.eof
        if len(data) > 2 and data[0] == 0x78 and (data[0] << 8 | data[1]) % 31 == 0:
            inflater = zlib.decompressobj()
            out = inflater.decompress(data, limit)
            return out, inflater.eof
    except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError):
        return None, False
    return data, True


def _zip_member(data: bytes) -> tuple[bytes | None, bool]:
    """The pickle inside a zip (``<archive>/data.pkl`` for torch.save), read with zipfile when the central
    directory was read, else from the local file headers (a truncated read of a big file)."""
    import io
    import struct
    import zipfile
    import zlib

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [n for n in archive.namelist() if n.endswith("data.pkl")] or \
                [n for n in archive.namelist() if n.endswith((".pkl", ".pickle"))]
            if not names:
                return None, True
            with archive.open(names[0]) as member:
                out = member.read(PICKLE_READ_LIMIT)
            return out, len(out) < PICKLE_READ_LIMIT
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, zlib.error):
        pass
    offset = 0
    for _ in range(64):
        if data[offset:offset + 4] != b"PK\x03\x04" or offset + 30 > len(data):
            return None, False
        (_flags, method, _crc, csize, _usize, name_len, extra_len) = struct.unpack(
            "<2xHH4xIII HH".replace(" ", ""), data[offset + 4:offset + 30])
        start = offset + 30 + name_len + extra_len
        name = data[offset + 30:offset + 30 + name_len].decode("utf-8", "replace")
        body = data[start:start + csize] if csize else data[start:]
        if name.endswith(("data.pkl", ".pkl", ".pickle")):
            if method == 0:
                return body, len(body) == csize and csize > 0
            if method == 8:
                try:
                    inflater = zlib.decompressobj(-15)
                    return inflater.decompress(body, PICKLE_READ_LIMIT), inflater.eof
                except zlib.error:
                    return None, False
            return None, False
        if not csize:
            return None, False
        offset = start + csize
    return None, False


_IDENTIFIER_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_STRING_OPS = frozenset({"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "STRING", "BINSTRING",
                         "SHORT_BINSTRING"})
_NEUTRAL_OPS = frozenset({"PROTO", "FRAME", "MEMOIZE", "PUT", "BINPUT", "LONG_BINPUT"})
# Resynchronising after bytes that are not opcodes (joblib writes numpy array data between pickle frames):
# "\x8c<len><module>[\x94]\x8c<len><name>[\x94]\x93" (protocol 4+) and "c<module>\n<name>\n" (protocols 0-3).
# (At least 3 and 2 characters: random bytes in array data are then very unlikely to look like one.)
_GLOBAL_TEXT_RE = re.compile(rb"c([A-Za-z_][A-Za-z0-9_.]{2,199})\n([A-Za-z_][A-Za-z0-9_.]{1,199})\n")


def _pickle_globals(data: bytes) -> tuple[list[tuple[str, str]], bool]:
    """(module, name) pairs named by GLOBAL, INST and STACK_GLOBAL opcodes, in order; True when every pickle in
    ``data`` was parsed to its STOP opcode without leaving bytes unexplained."""
    import io
    import pickletools

    found: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()

    def add(module: object, name: object) -> None:
        if isinstance(module, str) and isinstance(name, str) and _IDENTIFIER_PATH.match(module) \
                and (module, name) not in seen and len(seen) < _MAX_GLOBALS:
            seen.add((module, name))
            found.append((module, name))

    stream = io.BytesIO(data)
    operations = 0
    clean = False
    failed_at: int | None = None
    for _ in range(_MAX_PICKLES):
        start = stream.tell()
        if start >= len(data):
            break
        memo: dict[int, object] = {}
        pushed: list[object] = [None, None]
        stopped = False
        try:
            for opcode, arg, _pos in pickletools.genops(stream):
                operations += 1
                if operations > _MAX_OPCODES:
                    break
                name = opcode.name
                if name in ("GLOBAL", "INST") and isinstance(arg, str):
                    module, _, attribute = arg.partition(" ")
                    add(module, attribute)
                    pushed.append(None)
                elif name == "STACK_GLOBAL":
                    add(pushed[-2], pushed[-1])
                    pushed.append(None)
                elif name in _STRING_OPS:
                    pushed.append(arg if isinstance(arg, str) else None)
                elif name == "MEMOIZE":
                    if len(memo) < 100_000:
                        memo[len(memo)] = pushed[-1]
                elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
                    if isinstance(arg, int) and len(memo) < 100_000:
                        memo[arg] = pushed[-1]
                elif name in ("GET", "BINGET", "LONG_BINGET"):
                    pushed.append(memo.get(arg) if isinstance(arg, int) else None)
                elif name == "STOP":
                    stopped = True
                elif name not in _NEUTRAL_OPS:
                    pushed.append(None)
                del pushed[:-2]
        except Exception:  # noqa: BLE001 - corrupt or truncated data ends the parse, never the check
            failed_at = stream.tell()
            break
        if operations > _MAX_OPCODES or not stopped:
            failed_at = stream.tell()
            break
        if stream.tell() >= len(data):
            clean = True
            break
    if failed_at is not None and operations <= _MAX_OPCODES:
        _resync(data[max(failed_at - 1, 0):], add)
    return found, clean


def _resync(rest: bytes, add) -> None:
    """Class references after bytes that are not opcodes: literal module/name pairs only."""
    for match in _GLOBAL_TEXT_RE.finditer(rest):
        add(match.group(1).decode("ascii"), match.group(2).decode("ascii"))
    position = rest.find(b"\x8c")
    checked = 0
    while position != -1 and checked < 1_000_000:
        checked += 1
        first = _short_unicode(rest, position)
        if first is not None:
            module, after = first
            if rest[after:after + 1] == b"\x94":
                after += 1
            second = _short_unicode(rest, after) if rest[after:after + 1] == b"\x8c" else None
            if second is not None:
                name, end = second
                if rest[end:end + 1] == b"\x94":
                    end += 1
                if rest[end:end + 1] == b"\x93":
                    add(module, name)
        position = rest.find(b"\x8c", position + 1)


def _short_unicode(data: bytes, position: int) -> tuple[str, int] | None:
    if position + 2 > len(data):
        return None
    length = data[position + 1]
    end = position + 2 + length
    if not length or end > len(data):
        return None
    try:
        text = data[position + 2:end].decode("ascii")
    except UnicodeDecodeError:
        return None
    return (text, end) if _IDENTIFIER_PATH.match(text) else None
