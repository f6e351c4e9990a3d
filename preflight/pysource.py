"""Facts about a Python module that several rule families need, computed once per file and cached.

- ``import_aliases``: local name -> the dotted module or object it was imported as;
- ``dotted_name``: ``pd.read_csv`` -> ``pandas.read_csv`` through those aliases;
- ``call_names``: the dotted names the module calls (a fact: cached, cheap to ask about every module);
- ``calls``: every call in the module with its dotted name and node (parses the module again: ask with
  ``wanted`` so that only modules calling one of those names are parsed).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import TYPE_CHECKING

from preflight.facts import extractor

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


class SourceLines:
    """A module's lines as ``ast`` counts them, to turn its columns (UTF-8 bytes) into the character columns that
    editors, GitHub annotations and SARIF count. Costs nothing for an ASCII module (nearly all): there the two
    agree and nothing is decoded."""

    def __init__(self, data: bytes | None):
        self.lines: list[str] | None = None
        if data and not data.isascii():
            from importlib.util import decode_source

            try:
                # (decoded as Python reads it, newlines made "\n"; str.splitlines would also split at form feeds
                # and other characters that do not end a line for Python)
                self.lines = decode_source(data).split("\n")
            except (SyntaxError, LookupError, UnicodeDecodeError):
                pass  # not parsed either

    def _utf8(self, line: int) -> bytes | None:
        if self.lines is None or not 0 < line <= len(self.lines) or self.lines[line - 1].isascii():
            return None
        return self.lines[line - 1].encode("utf-8", "surrogatepass")

    def char_column(self, line: int, column: int) -> int:
        """The 1-based character column of ``ast``'s 1-based byte ``column``."""
        encoded = self._utf8(line) if column > 1 else None
        if encoded is None:
            return column
        return len(encoded[:column - 1].decode("utf-8", "replace")) + 1

    def name_start(self, line: int, end: int, name: str) -> int:
        """The 1-based byte column where the identifier ``name`` that ends at byte offset ``end`` starts, as written
        (``ast`` gives it in NFKC form, which may be shorter: a full-width letter is three bytes)."""
        encoded = self._utf8(line)
        if encoded is None:
            return end - len(name) + 1
        start = end
        while start > 0 and (encoded[start - 1] >= 0x80 or chr(encoded[start - 1]).isalnum()
                             or encoded[start - 1] == 0x5F):
            start -= 1
        return start + 1


def char_columns(data: bytes | None) -> Callable[[int, int], int]:
    """``convert(line, column)``: see ``SourceLines.char_column``."""
    return SourceLines(data).char_column


_PATH_TYPES = frozenset({"Path", "PurePath", "PosixPath", "PurePosixPath", "pathlib.Path", "pathlib.PurePath",
                         "pathlib.PosixPath", "pathlib.PurePosixPath", "os.path.join", "posixpath.join", "str",
                         "os.fspath"})


def literal_path(node: ast.expr, depth: int = 0) -> str | None:
    """The path a literal path expression spells, as written: ``"a/b.py"``, ``Path("a", "b.py")``,
    ``Path("a") / "b.py"``, ``os.path.join("a", "b.py")``, ``str(...)`` of those; None for anything else (names,
    ``__file__``, f-strings)."""
    if depth > 20:
        return None
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        left, right = literal_path(node.left, depth + 1), literal_path(node.right, depth + 1)
        return None if left is None or right is None else _join(left, right)
    if isinstance(node, ast.Call) and node.args and not node.keywords:
        name = dotted_name(node.func, {})
        if name not in _PATH_TYPES or (name in ("str", "os.fspath") and len(node.args) > 1):
            return None
        parts = [literal_path(arg, depth + 1) for arg in node.args]  # (a Starred argument gives None)
        if any(part is None for part in parts):
            return None
        out = parts[0]
        for part in parts[1:]:
            out = _join(out, part)
        return out
    return None


def _join(left: str, right: str) -> str:
    if right.startswith("/") or not left:
        return right
    return f"{left.rstrip('/')}/{right}" if left not in (".", "") else right


@extractor("aliases")
def _extract_aliases(path: str, tree: ast.Module, data: bytes) -> dict[str, str]:
    return aliases_of(tree)


def share_call_names(tree: ast.Module, names: set[str]) -> None:
    """A walk that saw every call of ``tree`` (with ``dotted_name(..., imported_only=True)``) hands its names to
    the "calls" extractor, which then need not walk the tree again."""
    tree._cloud_preflight_call_names = sorted(names)  # type: ignore[attr-defined]


@extractor("calls", late=True)
def _extract_call_names(path: str, tree: ast.Module, data: bytes) -> list[str]:
    shared = getattr(tree, "_cloud_preflight_call_names", None)
    if shared is not None:
        return shared
    aliases = aliases_of(tree)
    if not aliases:
        return []
    names = set()
    for node in fast_walk(tree):
        if node.__class__ is ast.Call:
            name = dotted_name(node.func, aliases, imported_only=True)
            if name:
                names.add(name)
    return sorted(names)


def import_aliases(project: Project, path: str) -> dict[str, str]:
    return project.fact(path, "aliases") or {}


def call_names(project: Project, path: str) -> frozenset[str]:
    """The dotted names (through import aliases) of every call in the module: a cheap test before ``calls``."""
    return frozenset(project.fact(path, "calls") or ())


def _calls(tree: ast.Module, aliases: dict[str, str]) -> list[tuple[ast.Call, str]]:
    out: list[tuple[ast.Call, str]] = []
    if not aliases:
        return out  # every name must be rooted in an import
    try:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = dotted_name(node.func, aliases, imported_only=True)
                if name:
                    out.append((node, name))
    except RecursionError:
        pass
    return out


def calls(project: Project, path: str, wanted: frozenset[str] | set[str] | dict | None = None
          ) -> list[tuple[ast.Call, str]]:
    """Every call whose callee is a dotted name rooted in an import, with that name resolved. With ``wanted``,
    a module that calls none of those names is not parsed again (its facts say so) and gives []."""
    if wanted is not None and not call_names(project, path) & set(wanted):
        return []
    cache: dict[str, list[tuple[ast.Call, str]]] = project.__dict__.setdefault("_calls_cache", {})
    if path not in cache:
        tree = project.python(path)
        cache[path] = _calls(tree, import_aliases(project, path)) if tree is not None else []
    return cache[path]


# Leaves no visitor cares about: expression contexts (every Name has a Load()) and operators.
_LEAVES = (ast.expr_context, ast.operator, ast.boolop, ast.cmpop, ast.unaryop, ast.Constant)
# Nodes without child nodes worth a visit; skipped by a visitor that has no method for them.
_CHILDLESS = (ast.Name, ast.Constant, ast.alias, ast.Pass, ast.Break, ast.Continue, ast.Global, ast.Nonlocal)


class FastVisitor(ast.NodeVisitor):
    """``ast.NodeVisitor`` with the same semantics for ``visit_*`` methods, two to three times as fast: dispatch is
    looked up once per node class, children are read without ``ast.iter_fields`` generators, and nodes without
    children (names, constants, contexts, operators) are not entered unless the visitor has a method for them."""

    _dispatch: dict[type, object]
    _skip: tuple[type, ...]

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls._dispatch = {}
        custom = {name for klass in cls.__mro__ if klass not in (FastVisitor, ast.NodeVisitor, object)
                  for name in vars(klass) if name.startswith("visit_")}
        cls._skip = (ast.expr_context, ast.operator, ast.boolop, ast.cmpop, ast.unaryop,
                     *(t for t in _CHILDLESS if f"visit_{t.__name__}" not in custom))

    def visit(self, node: ast.AST) -> object:
        cls = node.__class__
        method = self._dispatch.get(cls)
        if method is None:
            method = getattr(type(self), "visit_" + cls.__name__, None)
            if method is None or method is ast.NodeVisitor.visit_Constant:
                method = type(self).generic_visit  # (NodeVisitor's visit_Constant only serves visit_Num & co.)
            self._dispatch[cls] = method
        return method(self, node)

    def generic_visit(self, node: ast.AST) -> None:
        skip = self._skip
        for name in node._fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, ast.AST) and not isinstance(item, skip):
                        self.visit(item)
            elif isinstance(value, ast.AST) and not isinstance(value, skip):
                self.visit(value)


def fast_walk(tree: ast.AST):  # -> Iterator[ast.AST]
    """Every node below ``tree`` (depth-first, not ``ast.walk``'s order), contexts and operators left out."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for name in node._fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                stack.extend(item for item in value if isinstance(item, ast.AST) and not isinstance(item, _LEAVES))
            elif isinstance(value, ast.AST) and not isinstance(value, _LEAVES):
                stack.append(value)


def statements(tree: ast.AST):  # -> Iterator[ast.stmt]
    """Every statement, nested ones included; expressions are not entered (imports are statements)."""
    stack: list[ast.AST] = list(getattr(tree, "body", ()))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.stmt):
            yield node
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, field, None)
            if children.__class__ is list:
                stack.extend(children)
