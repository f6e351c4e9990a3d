"""Imports of a module, local-module resolution with the ``sys.path`` Cloud gives an app, and reachability.

Streamlit puts only the entrypoint's folder on ``sys.path`` (``_fix_sys_path`` in ``web/bootstrap.py``); the
working directory is the repository root but is not on ``sys.path``. Modules found only from the root are
still followed (so their code is checked), and marked ``root_only`` for the import rules.
"""

from __future__ import annotations

import ast
import posixpath
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from preflight.project import Project

DYNAMIC_IMPORTERS = {("importlib", "import_module"), ("", "__import__"), ("", "import_module")}


@dataclass(frozen=True)
class ImportRef:
    """One imported module. ``module`` is absolute (relative imports resolved when possible)."""

    module: str
    line: int
    column: int
    level: int = 0
    names: tuple[str, ...] = ()
    guard: str | None = None  # "try" (under try/except ImportError), "type-checking", or None
    dynamic: bool = False

    @property
    def top(self) -> str:
        return self.module.split(".", 1)[0]


class _ImportVisitor(ast.NodeVisitor):
    def __init__(self, package: str):
        self.package = package  # dotted package of the importing module, for relative imports
        self.out: list[ImportRef] = []
        self.guards: list[str] = []

    def _guard(self) -> str | None:
        return self.guards[-1] if self.guards else None

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.out.append(ImportRef(alias.name, node.lineno, node.col_offset + 1, guard=self._guard()))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        names = tuple(a.name for a in node.names)
        module = node.module or ""
        if node.level:
            parts = self.package.split(".") if self.package else []
            if node.level - 1 > len(parts):
                return  # beyond the top: cannot be resolved, nothing to follow
            base = parts[: len(parts) - (node.level - 1)]
            module = ".".join([*base, module] if module else base)
        self.out.append(ImportRef(module, node.lineno, node.col_offset + 1, node.level, names, self._guard()))

    def visit_Try(self, node: ast.Try) -> None:
        catches_import_error = any(_catches_import_error(h.type) for h in node.handlers)
        if catches_import_error:
            self.guards.append("try")
        for stmt in node.body:
            self.visit(stmt)
        if catches_import_error:
            self.guards.pop()
        for part in (*node.handlers, *node.orelse, *node.finalbody):
            self.visit(part)

    visit_TryStar = visit_Try

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        is_tc = (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
        if is_tc:
            self.guards.append("type-checking")
            for stmt in node.body:
                self.visit(stmt)
            self.guards.pop()
            for stmt in node.orelse:
                self.visit(stmt)
        else:
            self.generic_visit(node)

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
                    and not first.value.startswith("."):
                self.out.append(ImportRef(first.value, node.lineno, node.col_offset + 1, guard=self._guard(),
                                          dynamic=True))
        self.generic_visit(node)


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
    """Dotted package that contains ``path`` seen from sys.path entry ``root``."""
    rel = posixpath.relpath(posixpath.dirname(path) or ".", root or ".")
    if rel in (".", ""):
        return ""
    return rel.replace("/", ".")


def imports_of(project: Project, path: str, root: str = "") -> list[ImportRef]:
    """Imports in ``path`` (cached per path and sys.path root). Unparsable files have none."""
    cache: dict[tuple[str, str], list[ImportRef]] = project.__dict__.setdefault("_imports_cache", {})
    key = (path, root)
    if key not in cache:
        tree = project.python(path)
        if tree is None:
            cache[key] = []
        else:
            visitor = _ImportVisitor(module_package(path, root))
            try:
                visitor.visit(tree)
            except RecursionError:
                pass
            cache[key] = visitor.out
    return cache[key]


def resolve_module(project: Project, module: str, roots: list[str]) -> tuple[str, str] | None:
    """(file path, root it was found from) for a local module, or None. Packages resolve to ``__init__.py``
    (or to the folder itself, a namespace package, returned with a trailing slash)."""
    parts = module.split(".")
    if not module or not all(parts):
        return None
    for root in roots:
        base = posixpath.join(root, *parts) if root else posixpath.join(*parts)
        if project.exists(base + ".py"):
            return base + ".py", root
        if project.exists(base + "/__init__.py"):
            return base + "/__init__.py", root
        if project.is_dir(base):
            return base + "/", root
    return None


@dataclass(frozen=True)
class LocalModule:
    path: str
    root_only: bool  # found only from the repository root, not from the entrypoint's folder


def reachable_modules(project: Project, seeds: list[str], entry_dir: str) -> list[LocalModule]:
    """Local Python files reached from ``seeds`` through imports, breadth-first, seeds included."""
    roots = [entry_dir] if not entry_dir else [entry_dir, ""]
    seen: dict[str, LocalModule] = {}
    queue = [LocalModule(s, False) for s in seeds if s.endswith(".py") and project.exists(s)]
    for item in queue:
        seen.setdefault(item.path, item)
    index = 0
    while index < len(queue):
        current = queue[index]
        index += 1
        root = entry_dir if not current.root_only else ""
        for ref in imports_of(project, current.path, root):
            targets = [ref.module]
            if ref.names and ref.names != ("*",):
                targets += [f"{ref.module}.{n}" if ref.module else n for n in ref.names]
            for target in targets:
                found = resolve_module(project, target, roots)
                if found is None:
                    continue
                file, from_root = found
                if file.endswith("/"):
                    continue
                root_only = current.root_only or (bool(entry_dir) and from_root == "")
                if file not in seen:
                    module = LocalModule(file, root_only)
                    seen[file] = module
                    queue.append(module)
    return list(seen.values())
