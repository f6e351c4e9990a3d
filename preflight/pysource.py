"""Facts about a Python module that several rule families need, computed once per file and cached.

- ``import_aliases``: local name -> the dotted module or object it was imported as;
- ``dotted_name``: ``pd.read_csv`` -> ``pandas.read_csv`` through those aliases;
- ``calls``: every call in the module with its dotted name (one walk of the tree, shared by all rules).
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from preflight.project import Project


def aliases_of(tree: ast.Module) -> dict[str, str]:
    """Local name -> dotted module or object it was imported as (imports anywhere in the module)."""
    out: dict[str, str] = {}
    stack: list[ast.AST] = list(tree.body)
    while stack:  # statements only: imports are statements, expressions need not be entered
        node = stack.pop()
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    out[alias.asname] = alias.name
                else:
                    top = alias.name.split(".", 1)[0]
                    out[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                if alias.name != "*":
                    out[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, field, None)
            if isinstance(children, list):
                stack.extend(children)
    return out


def dotted_name(node: ast.expr, aliases: dict[str, str], *, imported_only: bool = False) -> str | None:
    """``a.b.c`` with the root resolved through ``aliases``; None for anything that is not a dotted name
    (or, with ``imported_only``, whose root was not imported)."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    if imported_only and node.id not in aliases:
        return None
    return ".".join([aliases.get(node.id, node.id), *reversed(parts)])


def import_aliases(project: Project, path: str) -> dict[str, str]:
    cache: dict[str, dict[str, str]] = project.__dict__.setdefault("_aliases_cache", {})
    if path not in cache:
        tree = project.python(path)
        cache[path] = aliases_of(tree) if tree is not None else {}
    return cache[path]


def calls(project: Project, path: str) -> list[tuple[ast.Call, str]]:
    """Every call whose callee is a dotted name rooted in an import, with that name resolved."""
    cache: dict[str, list[tuple[ast.Call, str]]] = project.__dict__.setdefault("_calls_cache", {})
    if path not in cache:
        tree = project.python(path)
        out: list[tuple[ast.Call, str]] = []
        if tree is not None:
            aliases = import_aliases(project, path)
            try:
                for node in ast.walk(tree):
                    if isinstance(node, ast.Call):
                        name = dotted_name(node.func, aliases, imported_only=True)
                        if name:
                            out.append((node, name))
            except RecursionError:
                pass
        cache[path] = out
    return cache[path]
