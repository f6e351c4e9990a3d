"""CP7xx: paths, files and entrypoints.

Resolution model (Community Cloud runs ``streamlit run <entrypoint>`` with the repository root as working
directory): relative paths given to ``open``, ``pd.read_*``, ``Image.open``, ``st.image`` and the other readers in
:data:`READ_CALLS` resolve against the repository root; ``st.Page``, ``st.switch_page``, ``st.page_link`` and the
``pages/`` folder resolve against the entrypoint's folder. Paths built from ``__file__`` resolve against the
module's own folder.

Only paths the code spells out are checked: string literals, names assigned a literal exactly once in their scope,
``os.path.join``/``Path(...)``/``/``/``+`` of those, and ``__file__``-anchored chains. f-strings and anything else
dynamic are skipped. Only code an app reaches (``app.modules``) is read.
"""

from __future__ import annotations

import ast
import difflib
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from preflight.apps import App, imports_streamlit
from preflight.facts import extractor
from preflight.model import Finding, Severity
from preflight.pysource import FastVisitor, aliases_of, char_columns, dotted_name, share_call_names, statements
from preflight.rules import RuleContext, rule

# --------------------------------------------------------------------------------------------------- the call table

# What Cloud does when each kind of read cannot find its file (the end of a "so {call}() ..." sentence).
_EFFECT = {
    "read": "raises FileNotFoundError",
    "dir": "raises FileNotFoundError",
    "media": "raises MediaFileStorageError (\"Error opening ...\")",
    "icon": "cannot load it and the browser tab shows no icon",
    "cv2": "returns None and the next step fails",
}

_OPEN_LIKE = {"open", "io.open", "codecs.open", "gzip.open", "bz2.open", "lzma.open", "tarfile.open",
              "zipfile.ZipFile"}

_PANDAS_READERS = ("read_csv", "read_excel", "read_parquet", "read_json", "read_pickle", "read_table",
                   "read_feather", "read_fwf", "read_hdf", "read_stata", "read_sas", "read_spss", "read_orc",
                   "read_xml", "ExcelFile")
_POLARS_READERS = ("read_csv", "read_parquet", "read_excel", "read_json", "read_ndjson", "read_ipc", "read_avro",
                   "scan_csv", "scan_parquet", "scan_ndjson", "scan_ipc")
_PANDAS_KW = ("filepath_or_buffer", "io", "path", "path_or_buf", "path_or_buffer")


def _read_table() -> dict[str, tuple[int | None, tuple[str, ...], str]]:
    """Qualified call name -> (positional index of the path, keyword names, kind)."""
    table: dict[str, tuple[int | None, tuple[str, ...], str]] = {
        "open": (0, ("file",), "read"),
        "io.open": (0, ("file",), "read"),
        "codecs.open": (0, ("filename",), "read"),
        "gzip.open": (0, ("filename",), "read"),
        "bz2.open": (0, ("filename",), "read"),
        "lzma.open": (0, ("filename",), "read"),
        "tarfile.open": (0, ("name",), "read"),
        "zipfile.ZipFile": (0, ("file",), "read"),
        "PIL.Image.open": (0, ("fp",), "read"),
        "numpy.load": (0, ("file",), "read"),
        "numpy.loadtxt": (0, ("fname",), "read"),
        "numpy.genfromtxt": (0, ("fname",), "read"),
        "numpy.fromfile": (0, ("file",), "read"),
        "joblib.load": (0, ("filename",), "read"),
        "torch.load": (0, ("f",), "read"),
        "tensorflow.keras.models.load_model": (0, ("filepath",), "read"),
        "tensorflow.keras.saving.load_model": (0, ("filepath",), "read"),
        "keras.models.load_model": (0, ("filepath",), "read"),
        "keras.saving.load_model": (0, ("filepath",), "read"),
        "tf_keras.models.load_model": (0, ("filepath",), "read"),
        "cv2.imread": (0, ("filename",), "cv2"),
        "os.listdir": (0, ("path",), "dir"),
        "os.scandir": (0, ("path",), "dir"),
    }
    for name in _PANDAS_READERS:
        table[f"pandas.{name}"] = (0, _PANDAS_KW, "read")
    for name in _POLARS_READERS:
        table[f"polars.{name}"] = (0, ("source",), "read")
    return table


READ_CALLS = _read_table()

# Streamlit commands (st.X or st.sidebar.X) -> [(positional index, keyword names, kind)].
_ST_CALLS: dict[str, list[tuple[int | None, tuple[str, ...], str]]] = {
    "image": [(0, ("image",), "media")],
    "logo": [(0, ("image",), "media"), (None, ("icon_image",), "media")],
    "audio": [(0, ("data",), "media")],
    "video": [(0, ("data",), "media")],
    "set_page_config": [(1, ("page_icon",), "icon")],
    "Page": [(0, ("page",), "page")],
    "switch_page": [(0, ("page",), "page")],
    "page_link": [(0, ("page",), "page")],
}

_PATH_CTORS = {"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.PurePosixPath", "os.path.join",
               "posixpath.join"}
_PATH_IDENTITY = {"os.path.abspath", "os.path.realpath", "os.path.normpath", "os.fspath", "str",
                  "os.path.expanduser"}
_PATH_METHODS_IDENTITY = {"resolve", "absolute", "expanduser"}
_EXISTS_FUNCS = {"os.path.exists", "os.path.isfile", "os.path.isdir", "os.path.lexists", "os.access"}
_EXISTS_METHODS = {"exists", "is_file", "is_dir"}
_ENVIRONMENT_TESTS = {"os.name", "sys.platform", "platform.system", "platform.node", "os.environ", "os.getenv",
                      "os.environ.get", "socket.gethostname", "getpass.getuser", "streamlit.secrets"}
_WRITER_RE = re.compile(r"^(to_[a-z_]+|save[a-z_]*|[a-z_]*dump[a-z_]*|write[a-z_]*|savefig|imwrite|"
                        r"[a-z_]*download[a-z_]*|urlretrieve|copy[a-z0-9_]*|move|rename|makedirs|mkdir|"
                        r"touch|extract[a-z_]*|export[a-z_]*|unpack_archive|get_file|clone_from)$")
# Writers that fill a whole folder (a read below the folder may be one of their files). Others, such as
# os.makedirs, only create the path itself.
_FOLDER_WRITER_RE = re.compile(r"(download|extract|unpack|copytree|retrieve|get_file|clone)")
_COPY_RE = re.compile(r"^(copy[a-z0-9_]*|move|rename)$")
# Files the secrets rules own: Cloud provides secrets through its settings, not the repository.
_SECRETS_NAMES = re.compile(r"(^|/)(secrets\.toml|\.env(\.[\w.-]+)?)$")

# Absolute paths that only exist on a developer's machine (PATH-004 b). Cloud's own /home/adminuser (older
# /home/appuser) and /mount/src are not in this list.
_DEV_ABSOLUTE = re.compile(
    r"""^(
        [A-Za-z]:[\\/]
      | \\\\[^\\/]+[\\/]
      | /Users/[^/]+
      | /home/(?!(adminuser|appuser)(/|$))[^/]+
      | ~([\\/]|$)
      | %(USERPROFILE|HOMEPATH|APPDATA|LOCALAPPDATA|HOMEDRIVE|OneDrive)%
      | /content(/|$)
      | /kaggle/
      | /mnt/data(/|$)
      | /Volumes/
    )""", re.X | re.I)
_ABSOLUTE = re.compile(r"^([A-Za-z]:|/|\\\\|~|%)")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://|^(data|mailto|javascript):|^www\.", re.I)
_EXTENSION = re.compile(r"\.[A-Za-z0-9_]{1,10}$")
_NOT_PATH_CHARS = set('<>{}|"*?\n\r\t\f\v\a\b\x00')
_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}

_ON_DISK = "on disk, ignored, listed without git"
LFS_POINTER_PREFIX = b"version https://git-lfs.github.com/spec/v1"

# --------------------------------------------------------------------------------------------------- scopes


class _Scope:
    """Names a scope assigns exactly once with a plain ``name = value`` (the others are not resolvable)."""

    def __init__(self) -> None:
        self.values: dict[str, ast.expr] = {}
        self.multi: set[str] = set()

    def assign(self, name: str, value: ast.expr | None) -> None:
        if value is None or name in self.values or name in self.multi:
            self.values.pop(name, None)
            self.multi.add(name)
        else:
            self.values[name] = value

    def lookup(self, name: str) -> tuple[bool, ast.expr | None]:
        """(bound here, value when resolvable)."""
        if name in self.multi:
            return True, None
        if name in self.values:
            return True, self.values[name]
        return False, None


class _LazyScope:
    """A function's scope, built the first time a name is looked up in it (most functions never need it)."""

    def __init__(self, owner: ast.AST, module_scope: _Scope):
        self.owner = owner
        self.module_scope = module_scope
        self._scope: _Scope | None = module_scope if isinstance(owner, ast.Module) else None

    def lookup(self, name: str) -> tuple[bool, ast.expr | None]:
        if self._scope is None:
            self._scope = _build_scope(self.owner, self.module_scope)
        return self._scope.lookup(name)


def _build_scope(body_owner: ast.AST, module_scope: _Scope | None) -> _Scope:
    scope = _Scope()
    if isinstance(body_owner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        args = body_owner.args
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
            if arg is not None:
                scope.assign(arg.arg, None)
    if isinstance(body_owner, ast.Lambda):
        stack: list[ast.AST] = [body_owner.body]
    elif isinstance(body_owner, (ast.FunctionDef, ast.AsyncFunctionDef)):
        stack = list(body_owner.body)
    else:
        stack = list(ast.iter_child_nodes(body_owner))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            scope.assign(node.name, None)
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Assign):
            if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                scope.assign(node.targets[0].id, node.value)
                stack.append(node.value)
                continue
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            scope.assign(node.target.id, node.value)
            if node.value is not None:
                stack.append(node.value)
            continue
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                scope.assign((alias.asname or alias.name).split(".")[0], None)
            continue
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            for name in node.names:
                scope.assign(name, None)
                if module_scope is not None and isinstance(node, ast.Global):
                    module_scope.assign(name, None)
            continue
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            scope.assign(node.id, None)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            scope.assign(node.name, None)
        stack.extend(ast.iter_child_nodes(node))
    return scope


# --------------------------------------------------------------------------------------------------- values


@dataclass(frozen=True)
class _Value:
    """A path the code spells out. ``anchor`` is "cwd" (relative to the working directory = repository root),
    "file" (relative to the module's own folder) or "self" (the module file itself)."""

    anchor: str
    text: str


_statements = statements


def _display(func: ast.expr) -> str:
    """How a call is shown in messages: pd.read_csv, st.image, Path(...).read_text."""
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        inner = func.value
        if isinstance(inner, (ast.Name, ast.Attribute)):
            return f"{_display(inner)}.{func.attr}"
        if isinstance(inner, ast.Call):
            return f"{_display(inner.func)}(...).{func.attr}"
        return func.attr
    return "call"


def _parent(value: _Value) -> _Value | None:
    if value.anchor == "self":
        return _Value("file", "")
    if value.anchor == "file":
        return _Value("file", posixpath.join(value.text, "..") if value.text else "..")
    text = value.text.rstrip("/")
    if _ABSOLUTE.match(text):
        return _Value("cwd", posixpath.dirname(text) or "/")
    if text in ("", "."):
        return _Value("cwd", "..")
    return _Value("cwd", posixpath.dirname(text) or ".")


def _join(left: _Value, right: _Value) -> _Value | None:
    if right.anchor != "cwd":
        return None
    if _ABSOLUTE.match(right.text):
        return right
    if left.anchor == "self":
        return None
    base = left.text
    if base in ("", ".") and left.anchor == "file":
        return _Value("file", right.text)
    if base == "":
        return _Value(left.anchor, right.text)
    sep = "" if base.endswith(("/", "\\")) else "/"
    return _Value(left.anchor, f"{base}{sep}{right.text}")


class _Evaluator:
    def __init__(self, aliases: dict[str, str]):
        self.aliases = aliases

    def value(self, node: ast.expr | None, chain: tuple, depth: int = 0) -> _Value | None:
        if node is None or depth > 12:
            return None
        if isinstance(node, ast.Constant):
            return _Value("cwd", node.value) if isinstance(node.value, str) else None
        if isinstance(node, ast.Name):
            if node.id == "__file__":
                return _Value("self", "")
            for index, scope in enumerate(chain):
                bound, expr = scope.lookup(node.id)
                if bound:
                    return self.value(expr, chain[index:], depth + 1) if expr is not None else None
            return None
        if isinstance(node, ast.Attribute):
            if node.attr == "parent":
                inner = self.value(node.value, chain, depth + 1)
                return _parent(inner) if inner else None
            return None
        if isinstance(node, ast.Subscript):
            target = node.value
            index = node.slice
            if isinstance(target, ast.Attribute) and target.attr == "parents" and isinstance(index, ast.Constant) \
                    and isinstance(index.value, int) and not isinstance(index.value, bool) and 0 <= index.value < 10:
                current = self.value(target.value, chain, depth + 1)
                for _ in range(index.value + 1):
                    current = _parent(current) if current else None
                return current
            return None
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Div) and not isinstance(node.left, ast.Constant):
                left = self.value(node.left, chain, depth + 1)
                right = self.value(node.right, chain, depth + 1)
                return _join(left, right) if left and right else None
            if isinstance(node.op, ast.Add):
                left = self.value(node.left, chain, depth + 1)
                right = self.value(node.right, chain, depth + 1)
                if left and right and right.anchor == "cwd" and left.anchor != "self":
                    return _Value(left.anchor, left.text + right.text)
            return None
        if isinstance(node, ast.Call):
            return self._call_value(node, chain, depth)
        return None

    def _call_value(self, node: ast.Call, chain: tuple, depth: int) -> _Value | None:
        if any(isinstance(a, ast.Starred) for a in node.args) or node.keywords:
            return None
        name = dotted_name(node.func, self.aliases)
        if name in _PATH_CTORS:
            if not node.args:
                return _Value("cwd", ".")
            parts = [self.value(a, chain, depth + 1) for a in node.args]
            if any(p is None for p in parts):
                return None
            current = parts[0]
            for part in parts[1:]:
                current = _join(current, part) if current else None
            return current
        if name in _PATH_IDENTITY and len(node.args) == 1:
            return self.value(node.args[0], chain, depth + 1)
        if name == "os.path.dirname" and len(node.args) == 1:
            inner = self.value(node.args[0], chain, depth + 1)
            return _parent(inner) if inner else None
        if name in ("os.getcwd", "pathlib.Path.cwd") and not node.args:
            return _Value("cwd", ".")
        if name == "pathlib.Path.home" and not node.args:
            return _Value("cwd", "~")
        func = node.func
        if isinstance(func, ast.Attribute) and not _is_module_attr(func, self.aliases):
            if func.attr in _PATH_METHODS_IDENTITY and not node.args:
                return self.value(func.value, chain, depth + 1)
            if func.attr == "joinpath" and node.args:
                current = self.value(func.value, chain, depth + 1)
                for arg in node.args:
                    part = self.value(arg, chain, depth + 1)
                    current = _join(current, part) if current and part else None
                return current
        return None


def _is_module_attr(func: ast.Attribute, aliases: dict[str, str]) -> bool:
    """True when ``func`` is ``<imported name>.attr`` (a module function, not a method on a path)."""
    root = func.value
    while isinstance(root, ast.Attribute):
        root = root.value
    return isinstance(root, ast.Name) and root.id in aliases


# --------------------------------------------------------------------------------------------------- collection


@dataclass(frozen=True)
class Use:
    """A path given to a call that reads it (or a page target)."""

    module: str
    line: int
    column: int
    value: _Value
    call: str
    kind: str  # read, dir, media, icon, cv2, page
    guarded: bool
    main_only: bool = False  # under `if __name__ == "__main__":`


@dataclass
class ModuleInfo:
    uses: list[Use] = field(default_factory=list)
    # Paths (repo-relative, resolved) the module writes, creates or downloads at run time: the line, and whether
    # the writer fills a whole folder (downloads, archive extraction).
    written: dict[str, tuple[int, bool]] = field(default_factory=dict)
    # Paths the module checks for with os.path.exists / Path.exists and friends.
    checked: set[str] = field(default_factory=set)
    navigation: bool = False


class _Collector(FastVisitor):
    def __init__(self, module: str, tree: ast.Module):
        self.module = module
        self.aliases = aliases_of(tree)
        self.eval = _Evaluator(self.aliases)
        self.try_depth = 0
        self.guard_depth = 0
        self.main_depth = 0
        self.info = ModuleInfo()
        self.call_names: set[str] = set()  # every call rooted in an import (pysource's "calls" fact)
        self.module_scope = _build_scope(tree, None)
        for stmt in _statements(tree):  # `global NAME` in any function rebinds the module's NAME
            if isinstance(stmt, ast.Global):
                for global_name in stmt.names:
                    self.module_scope.assign(global_name, None)
        self.chain: list[_LazyScope] = [_LazyScope(tree, self.module_scope)]

    # -- scopes and guards

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        if not isinstance(node, ast.Lambda):
            for decorator in node.decorator_list:
                self.visit(decorator)
        self.visit(node.args)
        self.chain.insert(0, _LazyScope(node, self.module_scope))
        body = [node.body] if isinstance(node, ast.Lambda) else node.body
        for stmt in body:
            self.visit(stmt)
        self.chain.pop(0)

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function
    visit_Lambda = _visit_function

    def visit_Try(self, node: ast.Try) -> None:
        if node.handlers:
            self.try_depth += 1
        for stmt in node.body:
            self.visit(stmt)
        if node.handlers:
            self.try_depth -= 1
        for part in (*node.handlers, *node.orelse, *node.finalbody):
            self.visit(part)

    visit_TryStar = visit_Try

    def _visit_conditional(self, node: ast.If | ast.IfExp | ast.While) -> None:
        self.visit(node.test)
        guard = self._has_exists_check(node.test)
        main = isinstance(node, ast.If) and _is_main_test(node.test)
        if guard:
            self.guard_depth += 1
        if main:
            self.main_depth += 1
        for part in ([node.body] if isinstance(node, ast.IfExp) else node.body):
            self.visit(part)
        if main:
            self.main_depth -= 1
        for part in ([node.orelse] if isinstance(node, ast.IfExp) else node.orelse):
            self.visit(part)
        if guard:
            self.guard_depth -= 1

    visit_If = _visit_conditional
    visit_IfExp = _visit_conditional
    visit_While = _visit_conditional

    def _has_exists_check(self, test: ast.expr) -> bool:
        """An existence check, or a test of the platform or environment (code meant for one machine)."""
        for node in ast.walk(test):
            if isinstance(node, ast.Call) and self._exists_target(node) is not None:
                return True
            if isinstance(node, (ast.Attribute, ast.Name)):
                name = dotted_name(node, self.aliases)
                if name in _ENVIRONMENT_TESTS:
                    return True
        return False

    def _exists_target(self, node: ast.Call) -> ast.expr | None:
        name = dotted_name(node.func, self.aliases)
        if name in _EXISTS_FUNCS:
            return node.args[0] if node.args else None
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _EXISTS_METHODS and not node.args \
                and not _is_module_attr(func, self.aliases):
            return func.value
        return None

    # -- calls

    @property
    def _chain(self) -> tuple[_LazyScope, ...]:
        return tuple(self.chain)

    def _resolved(self, node: ast.expr | None) -> str | None:
        value = self.eval.value(node, self._chain)
        if value is None or value.anchor == "self":
            return None
        text = value.text
        if not text or _URL.match(text) or any(ch in _NOT_PATH_CHARS for ch in text):
            return None
        return resolve(value, self.module)

    def visit_Call(self, node: ast.Call) -> None:
        try:
            self._record(node)
        finally:
            self.generic_visit(node)

    def _record(self, node: ast.Call) -> None:
        name = dotted_name(node.func, self.aliases)
        func = node.func
        if name and _root_name(func) in self.aliases:
            self.call_names.add(name)
        guarded = self.try_depth > 0 or self.guard_depth > 0
        target = self._exists_target(node)
        if target is not None:
            path = self._resolved(target)
            if path is not None:
                self.info.checked.add(path)
            return
        if name and name.startswith("streamlit."):
            parts = name.split(".")[1:]
            if parts[:1] == ["sidebar"]:
                parts = parts[1:]
            command = parts[0] if len(parts) == 1 else ""
            if command == "navigation":
                self.info.navigation = True
            for index, keywords, kind in _ST_CALLS.get(command, ()):
                self._add_use(node, _argument(node, index, keywords), _display(func), kind, guarded)
            return
        if name in READ_CALLS:
            index, keywords, kind = READ_CALLS[name]
            arg = _argument(node, index, keywords)
            if name in _OPEN_LIKE:
                mode = _argument(node, 1, ("mode",))
                if not self._open_reads(mode, node.lineno, arg):
                    return
            self._add_use(node, arg, _display(func), kind, guarded)
            return
        if isinstance(func, ast.Attribute) and not _is_module_attr(func, self.aliases):
            method = func.attr
            if method in ("read_text", "read_bytes") and not node.args:
                self._add_use(node, func.value, _display(func), "read", guarded)
                return
            if method == "iterdir" and not node.args:
                self._add_use(node, func.value, _display(func), "dir", guarded)
                return
            if method == "open" and self.eval.value(func.value, self._chain) is not None:
                if self._open_reads(_argument(node, 0, ("mode",)), node.lineno, func.value):
                    self._add_use(node, func.value, _display(func), "read", guarded)
                return
            if method in ("write_text", "write_bytes", "mkdir", "touch"):
                self._mark_written(func.value, node.lineno)
                return
        short = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if _WRITER_RE.match(short):
            folder = bool(_FOLDER_WRITER_RE.search(short))
            if _COPY_RE.match(short):  # copy(src, dst): only the destination is written
                targets = [_argument(node, 1, ("dst", "destination", "dest"))]
            else:
                targets = [*node.args, *(k.value for k in node.keywords)]
            for arg in targets:
                self._mark_written(arg, node.lineno, folder)

    def _open_reads(self, mode: ast.expr | None, line: int, path: ast.expr | None) -> bool:
        """True when an open()-like call reads; records writes (and unknown modes) as written."""
        if mode is None:
            return True
        if isinstance(mode, ast.Constant) and isinstance(mode.value, str):
            if any(ch in mode.value.split(":")[0] for ch in "wax"):  # tarfile modes: "r:xz" reads
                self._mark_written(path, line)
                return False
            return True
        self._mark_written(path, line)
        return False

    def _mark_written(self, node: ast.expr | None, line: int, folder: bool = False) -> None:
        path = self._resolved(node)
        if path is not None and (path or folder):
            self.info.written.setdefault(path, (line, folder))

    def _add_use(self, node: ast.Call, arg: ast.expr | None, call: str, kind: str, guarded: bool) -> None:
        if arg is None:
            return
        items = arg.elts if kind == "media" and isinstance(arg, (ast.List, ast.Tuple)) else [arg]
        for item in items:
            value = self.eval.value(item, self._chain)
            if value is None or value.anchor == "self":
                continue
            value = _path_like(value, kind)
            if value is None:
                continue
            self.info.uses.append(Use(self.module, node.lineno, node.col_offset + 1, value, call, kind, guarded,
                                      self.main_depth > 0))


def _is_main_test(test: ast.expr) -> bool:
    """``__name__ == "__main__"`` (either order)."""
    if not isinstance(test, ast.Compare) or len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    return any(isinstance(x, ast.Name) and x.id == "__name__" for x in sides) and any(
        isinstance(x, ast.Constant) and x.value == "__main__" for x in sides)


def _argument(node: ast.Call, index: int | None, keywords: tuple[str, ...]) -> ast.expr | None:
    for keyword in node.keywords:
        if keyword.arg in keywords:
            return keyword.value
    if index is not None and len(node.args) > index:
        if any(isinstance(a, ast.Starred) for a in node.args[: index + 1]):
            return None
        return node.args[index]
    return None


def _path_like(value: _Value, kind: str) -> _Value | None:
    """The value when it looks like a file path (accidental escapes such as "\\n" shown as written), else None."""
    text = value.text
    if any(ch in _ESCAPES for ch in text):
        text = "".join(_ESCAPES.get(ch, ch) for ch in text)
    if not text or len(text) > 300 or _URL.match(text) or text.startswith(":"):
        return None
    if any(ch in _NOT_PATH_CHARS or not ch.isprintable() for ch in text):
        return None
    if "%" in text and not text.startswith("%"):
        return None  # "%s" templates
    last = re.split(r"[\\/]", text.rstrip("/\\"))[-1]
    if kind == "page":
        return _Value(value.anchor, text) if text.endswith(".py") else None
    if value.anchor == "cwd" and text.strip("./\\") == "":
        return None
    looks_like_path = bool(_EXTENSION.search(last)) or "/" in text or "\\" in text or value.anchor == "file" \
        or (kind == "dir" and re.fullmatch(r"[\w.-]+", text) is not None)
    if not looks_like_path:
        return None
    if value.anchor == "file" and not text:
        return None
    return _Value(value.anchor, text)


def resolve(value: _Value, module: str) -> str | None:
    """The repo-relative path a value names ('' for the root); None for absolute paths and paths outside."""
    if value.anchor == "cwd":
        if _ABSOLUTE.match(value.text):
            return None
        path = posixpath.normpath(value.text)
    elif value.anchor == "file":
        path = posixpath.normpath(posixpath.join(posixpath.dirname(module), value.text or "."))
    else:
        return None
    if path == ".":
        return ""
    if path == ".." or path.startswith("../"):
        return None
    return path


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


@extractor("paths")
def _extract_paths(path: str, tree: ast.Module, data: bytes) -> tuple:
    collector = _Collector(path, tree)
    collector.visit(tree)
    share_call_names(tree, collector.call_names)  # this walk saw every call: the "calls" fact needs no other
    info = collector.info
    column = char_columns(data)
    uses = [(u.line, column(u.line, u.column), u.value.anchor, u.value.text, u.call, u.kind, u.guarded, u.main_only)
            for u in info.uses]
    return uses, info.written, sorted(info.checked), info.navigation


_NOTHING = ModuleInfo()  # shared, never changed


def module_info(project, path: str) -> ModuleInfo:
    """What a module writes and checks for (cached per project); its reads are in ``module_uses``."""
    cache: dict[str, ModuleInfo] = project.__dict__.setdefault("_paths_module_cache", {})
    if path not in cache:
        fact = project.fact(path, "paths")
        info = _NOTHING
        if fact is not None:
            _uses, written, checked, navigation = fact
            if written or checked or navigation:
                info = ModuleInfo([], written, set(checked), navigation)
        cache[path] = info  # most modules write and check nothing: they share one empty ModuleInfo
    return cache[path]


def module_uses(project, path: str) -> list[tuple]:
    """The module's path uses as (line, column, anchor, text, call, kind, guarded, main_only) rows (not kept:
    a large app has hundreds of thousands)."""
    fact = project.fact(path, "paths")
    return fact[0] if fact is not None else []


# --------------------------------------------------------------------------------------------------- per app


@dataclass(frozen=True)
class Problem:
    """One classified path use of one app."""

    code: str
    use: Use
    severity: Severity
    why: str  # for a warning: why it may be fine
    detail: str  # rule-specific: the candidate, the committed name, the gitignore reason ...


def _app_modules(app: App) -> list[str]:
    return [m.path for m in app.modules] if app.exists else []


def _exists(project, path: str) -> bool:
    return project.exists(path) or project.is_dir(path)


def _written_match(path: str, written: dict[str, tuple[str, int, bool]]) -> tuple[str, int] | None:
    for target, (module, line, folder) in written.items():
        if path == target or (folder and (not target or path.startswith(target + "/"))):
            return module, line
    return None


def problems(ctx: RuleContext, app: App) -> list[Problem]:
    """Classify every path this app's code reads (cached per app)."""
    cache: dict[str, list[Problem]] = ctx.project.__dict__.setdefault("_paths_problem_cache", {})
    if app.entrypoint in cache:
        return cache[app.entrypoint]
    project = ctx.project
    modules = _app_modules(app)
    reached = set(modules)
    # Files Streamlit runs as scripts (__name__ == "__main__"): the entrypoint and its pages.
    scripts = {app.entrypoint, *app.pages, *(t[3] for t in app.page_targets)}
    infos = [(m, module_info(project, m)) for m in modules]
    written: dict[str, tuple[str, int, bool]] = {}
    checked: set[str] = set()
    for module, info in infos:
        for path, (line, folder) in info.written.items():
            written.setdefault(path, (module, line, folder))
        checked |= info.checked
    out: list[Problem] = []
    # The same path read the same way from the same folder is classified once (the classification depends on
    # nothing else); a large app reads a few paths from thousands of places.
    verdicts: dict[tuple, tuple | None] = {}
    for module in modules:
        folder = posixpath.dirname(module)
        script = module in scripts
        for line, column, anchor, text, call, kind, guarded, main_only in module_uses(project, module):
            if main_only and not script:
                continue  # under `if __name__ == "__main__":` in an imported module: never runs in the app
            key = (anchor, text, kind, guarded, folder)
            verdict = verdicts.get(key, False)
            if verdict is None:
                continue
            use = Use(module, line, column, _Value(anchor, text), call, kind, guarded, main_only)
            if verdict is False:
                problem = _classify(project, app, use, written, checked)
                if problem is not None and problem.code in ("CP703", "CP704", "CP705", "CP706") \
                        and _written_elsewhere(project, use, reached):
                    problem = None
                verdicts[key] = verdict = None if problem is None else \
                    (problem.code, problem.severity, problem.why, problem.detail)
                if problem is not None:
                    out.append(problem)
            elif verdict is not None:
                out.append(Problem(verdict[0], use, verdict[1], verdict[2], verdict[3]))
    cache[app.entrypoint] = out
    return out


def _written_elsewhere(project, use: Use, reached: set[str]) -> bool:
    """True when repository code the app does not import (a package installed from the repo, a set-up script)
    writes the same path."""
    path = resolve(use.value, use.module)
    if not path:
        return False
    needle = posixpath.basename(path).encode("utf-8", "surrogateescape")
    for other in project.files:
        if not other.endswith(".py") or other in reached:
            continue
        data = project.read_bytes(other)
        if not data or needle not in data:
            continue
        info = module_info(project, other)
        written = {target: (other, line, folder) for target, (line, folder) in info.written.items()}
        if _written_match(path, written) is not None:
            return True
    return False


def _classify(project, app: App, use: Use, written: dict[str, tuple[str, int, bool]],
              checked: set[str]) -> Problem | None:
    value = use.value
    text = value.text
    if _SECRETS_NAMES.search(text.replace("\\", "/")):
        return None
    if use.kind == "page":
        return _classify_page(project, app, use)
    root_path = resolve(value, use.module)
    if root_path is not None and _written_match(root_path, written) is not None:
        return None  # the app writes or downloads it before (or after) reading: made at run time
    why = ""
    if use.guarded:
        why = "it is read inside a try block, an existence check or a platform/environment check"
    elif root_path is not None and root_path in checked:
        why = "the code checks whether it exists"
    severity = Severity.WARNING if why or use.kind == "icon" else Severity.ERROR
    if value.anchor == "cwd" and _ABSOLUTE.match(text):
        if _DEV_ABSOLUTE.match(text):
            return Problem("CP707", use, severity, why, "")
        return None  # /tmp, /mount/src/<repo>, /etc/...: not ours to judge
    if root_path is not None and _exists(project, root_path):
        if use.kind != "dir" and project.exists(root_path) and _is_lfs(project, root_path):
            return Problem("CP710", use, Severity.NOTE, "", root_path)
        return None
    if "\\" in text:
        return Problem("CP706", use, severity, why, "")
    if root_path is not None:
        actual = _case_match(project, root_path)
        if actual:
            return Problem("CP705", use, severity, why, actual)
    if value.anchor == "cwd":
        for base in dict.fromkeys((app.dir, posixpath.dirname(use.module))):
            if not base:
                continue
            candidate = posixpath.normpath(posixpath.join(base, text))
            if not candidate.startswith("../") and candidate != ".." and _exists(project, candidate):
                return Problem("CP703", use, severity, why, candidate)
    reason = _missing_reason(project, root_path)
    if root_path and "ignored by" in reason and project.listing_source == "walk" \
            and project.size(root_path) is not None:
        # Listed by walking the folder: an ignored file that is on disk may still have been committed (git add -f).
        return Problem("CP704", use, Severity.WARNING, _ON_DISK, reason)
    return Problem("CP704", use, severity, why, reason)


def _classify_page(project, app: App, use: Use) -> Problem | None:
    text = use.value.text
    if use.value.anchor != "cwd":
        return None  # st.Page(Path(__file__).parent / "x.py"): absolute at run time, resolved as written
    if _ABSOLUTE.match(text):
        return Problem("CP707", use, Severity.ERROR, "", "") if _DEV_ABSOLUTE.match(text) else None
    resolved = posixpath.normpath(posixpath.join(app.dir, text)) if app.dir else posixpath.normpath(text)
    if resolved.startswith("../") or resolved == "..":
        return Problem("CP708", use, Severity.ERROR, "", "")
    if project.exists(resolved):
        return None
    if "\\" in text:
        return Problem("CP706", use, Severity.ERROR, "", "")
    actual = _case_match(project, resolved)
    if actual:
        return Problem("CP705", use, Severity.ERROR, "", actual)
    root_relative = posixpath.normpath(text)
    hint = root_relative if app.dir and project.exists(root_relative) else ""
    return Problem("CP708", use, Severity.ERROR, "", hint)


def _case_match(project, path: str) -> str | None:
    matches = project.casefold_index.get(path.lower())
    if not matches or path in matches:
        return None
    return sorted(matches)[0]


def _is_lfs(project, path: str) -> bool:
    size = project.size(path)
    if size is not None and size <= 1024:
        data = project.read_bytes(path)
        if data and data.startswith(LFS_POINTER_PREFIX):
            return True
    return lfs_tracked(project, path)


# ---------------------------------------------------------------------------------------- .gitignore, .gitattributes


def _pattern_lines(project, name: str) -> list[tuple[str, str, list[tuple[int, str]]]]:
    """(file, its folder, [(line number, pattern line)]) for every committed .gitignore/.gitattributes."""
    cache: dict[str, list] = project.__dict__.setdefault("_paths_pattern_cache", {})
    if name not in cache:
        out = []
        for path in sorted(project.files_named(name), key=lambda p: (p.count("/"), p)):
            text = project.text(path)
            if text is None:
                continue
            lines = [(number, line.strip()) for number, line in enumerate(text.lines, 1)
                     if line.strip() and not line.strip().startswith("#")]
            out.append((path, posixpath.dirname(path), lines))
        cache[name] = out
    return cache[name]


def _gitignore_match(project, path: str) -> tuple[str, int, str] | None:
    """(.gitignore file, line, pattern) of the line that ignores ``path``, or None."""
    try:
        from pathspec import PathSpec
    except ImportError:  # pragma: no cover - pathspec is a dependency
        return None
    decided: tuple[str, int, str] | None = None
    for file, folder, lines in _pattern_lines(project, ".gitignore"):
        if folder and not path.startswith(folder + "/"):
            continue
        sub = path[len(folder) + 1:] if folder else path
        try:
            spec = PathSpec.from_lines("gitignore", [line for _, line in lines])
            result = spec.check_file(sub)
        except Exception:  # noqa: BLE001 - a malformed pattern never crashes a rule
            continue
        if result.include is None or result.index is None or len(spec.patterns) != len(lines):
            continue
        number, line = lines[result.index]
        decided = (file, number, line) if result.include else None
    return decided


def lfs_tracked(project, path: str) -> bool:
    """True when a .gitattributes line gives ``path`` filter=lfs."""
    try:
        from pathspec import PathSpec
    except ImportError:  # pragma: no cover
        return False
    tracked = False
    for _file, folder, lines in _pattern_lines(project, ".gitattributes"):
        if folder and not path.startswith(folder + "/"):
            continue
        sub = path[len(folder) + 1:] if folder else path
        for _number, line in lines:
            parts = line.split()
            if len(parts) < 2 or parts[0].startswith("!"):
                continue
            try:
                if not PathSpec.from_lines("gitignore", [parts[0]]).match_file(sub):
                    continue
            except Exception:  # noqa: BLE001
                continue
            for attr in parts[1:]:
                if attr == "filter=lfs":
                    tracked = True
                elif attr in ("-filter", "!filter") or attr.startswith("filter="):
                    tracked = False
    return tracked


def _missing_reason(project, root_path: str | None) -> str:
    if root_path is None:
        return " (it is outside the repository)"
    match = _gitignore_match(project, root_path)
    if match:
        file, number, line = match
        return f" (it is ignored by {file}:{number}: {line})"
    return ""


# ---------------------------------------------------------------------------------------------------------- messages


def _file_fix(use: Use, target: str) -> str:
    """Path(__file__)-based spelling of repo path ``target`` from the module that reads it."""
    rel = posixpath.relpath(target, posixpath.dirname(use.module) or ".")
    parts = rel.split("/")
    ups = 0
    while parts and parts[0] == "..":
        ups += 1
        parts.pop(0)
    rest = "/".join(parts)
    base = "Path(__file__).parent" if ups == 0 else f"Path(__file__).parents[{ups}]"
    return f"{base} / \"{rest}\""


def _shown(use: Use) -> str:
    """The path as the message shows it: as written for cwd paths, resolved for __file__-based ones."""
    if use.value.anchor == "file":
        resolved = resolve(use.value, use.module)
        return resolved if resolved is not None else use.value.text
    return use.value.text


def _warn_suffix(problem: Problem) -> str:
    if problem.severity == Severity.WARNING and problem.why:
        return f" This may be intended ({problem.why})."
    return ""


def _app_problems(ctx: RuleContext, code: str) -> Iterator[tuple[App, Problem]]:
    for app in ctx.apps:
        if not app.exists:
            continue
        for problem in problems(ctx, app):
            if problem.code == code:
                yield app, problem


# --------------------------------------------------------------------------------------------------- rules


@rule("CP701", "entrypoint-not-found", Severity.ERROR)
def entrypoint_not_found(ctx: RuleContext) -> Iterator[Finding]:
    """The entrypoint you named does not exist with that exact path, or is not a Python file.

    ## Why is this bad?
    Community Cloud runs `streamlit run <entrypoint>` from the repository root with the path the app was
    configured with. If no committed file has exactly that path (letter case and forward slashes included),
    the app never starts: the log says "The main module file does not exist: /mount/src/<repo>/<path>".
    `streamlit run` only accepts `.py` files ("Streamlit requires raw Python (.py) files").

    ## Example
    Configured as `App.py` while the file is `app.py`, or as `app\\main.py` (a Windows path).

    ## Fix
    Pass the exact, case-correct, forward-slash path the Cloud app is configured with
    (`--entrypoint app/main.py`); rename the file, or change the app's settings on Cloud, if they differ.

    ## References
    - https://github.com/streamlit/streamlit/issues/8414
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/deploy
    """
    project = ctx.project
    py_files = [p for p in project.files if p.endswith((".py", ".py3"))]
    for app in ctx.apps:
        path = app.entrypoint
        if not app.given:
            continue
        if app.exists:
            if not path.endswith((".py", ".py3")):
                yield ctx.finding(
                    f"Entrypoint \"{path}\" is not a Python file. Community Cloud runs \"streamlit run {path}\", "
                    f"which stops with \"Streamlit requires raw Python (.py) files\".",
                    path, app=app,
                    fix="Point the app at a .py file (export a notebook with \"jupyter nbconvert --to script\").")
            continue
        reason, suggestion = _entrypoint_hint(project, path, py_files)
        yield ctx.finding(
            f"Entrypoint \"{path}\" not found in the repository{reason}. Community Cloud reports \"The main module "
            f"file does not exist: /mount/src/<repo>/{path}\" and the app does not start."
            + (f" Did you mean \"{suggestion}\"?" if suggestion else ""),
            path, app=app,
            fix="Use the exact, case-correct, forward-slash path from the repository root that the Cloud app is "
                "configured with; rename the file or update the app's settings if they differ.")


def _entrypoint_hint(project, path: str, py_files: list[str]) -> tuple[str, str]:
    """(reason clause, suggested path) for an entrypoint that is not in the repository."""
    if "\\" in path:
        forward = path.replace("\\", "/")
        return ("; it uses backslashes, which Linux does not treat as folder separators",
                forward if project.exists(forward) else "")
    normalized = posixpath.normpath(path.lstrip("/")) if path not in ("", ".") else path
    if normalized != path and project.exists(normalized):
        return "; write it relative to the repository root, without a leading \"./\" or \"/\"", normalized
    actual = _case_match(project, path)
    if actual:
        return (f"; the committed name is \"{actual}\" (Community Cloud's file system is case-sensitive, unlike "
                f"Windows and macOS)", "")
    if project.is_dir(path):
        inside = [p for p in py_files if posixpath.dirname(p) == path.rstrip("/")]
        return "; it is a folder, and Cloud needs the Python file", inside[0] if len(inside) == 1 else ""
    if not path.endswith((".py", ".py3")):
        return "; Cloud runs Python (.py) files only", path + ".py" if project.exists(path + ".py") else ""
    close = difflib.get_close_matches(path, py_files, n=1, cutoff=0.75)
    return "", close[0] if close else ""


@rule("CP702", "entrypoint-not-detected", Severity.NOTE)
def entrypoint_not_detected(ctx: RuleContext) -> Iterator[Finding]:
    """No entrypoint was named or detected, so the per-app checks did not run.

    ## Why is this bad?
    cloud-preflight checks an app from its entrypoint: which dependency file Cloud uses, what the code imports,
    which files it opens. Without `--entrypoint` it looks for Python files that import streamlit (outside
    `pages/` and tests) and are not imported by other files; when none qualifies, only repository-wide checks run
    and problems in the app go unreported.

    ## Example
    The app is started through a wrapper (`python run.py` calling `streamlit.web.cli`), or streamlit is imported
    only inside a helper package.

    ## Fix
    Name the file the Cloud app is configured with: `cloud-preflight --entrypoint app/main.py`, the action's
    `entrypoint` input, or `entrypoints = ["app/main.py"]` in `.github/cloud-preflight.toml`.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/file-organization
    """
    if ctx.apps:
        return
    py_files = [p for p in ctx.project.files if p.endswith(".py")]
    if not py_files:
        return

    def rank(path: str) -> tuple:
        name = posixpath.basename(path)
        conventional = ("streamlit_app.py", "app.py", "main.py", "Home.py")
        return (path.count("/"), conventional.index(name) if name in conventional else len(conventional), path)

    where = sorted(py_files, key=rank)[0]
    yield ctx.finding(
        "No entrypoint found: no Python file imports streamlit outside pages/ and tests, so cloud-preflight cannot "
        "tell which file Community Cloud runs and skipped the per-app checks (dependencies, imports, file paths).",
        where,
        fix="Pass the entrypoint the Cloud app is configured with: --entrypoint path/to/app.py (or 'entrypoints' "
            "in the config).")


@rule("CP703", "path-relative-to-entrypoint", Severity.ERROR)
def path_relative_to_entrypoint(ctx: RuleContext) -> Iterator[Finding]:
    """A file path that exists only relative to the entrypoint's folder, not the repository root.

    Severity: warning when the read is inside a `try` block, an existence check or a platform/environment
    check (`os.name`, `sys.platform`, `os.environ`), and for a `page_icon` (Streamlit then shows no icon). Not
    reported when code in the repository writes or downloads the same path (the file is made at run time).

    ## Why is this bad?
    Community Cloud runs `streamlit run app/main.py` with the repository root as working directory, so
    `pd.read_csv("data/sales.csv")` looks for `data/sales.csv` at the root. It works locally only when you start
    Streamlit from inside `app/`; on Cloud it raises `FileNotFoundError` (Streamlit's media commands raise
    `MediaFileStorageError`). The docs: "the working directory is always the root of your repository".

    ## Example
    ```python
    # app/main.py, with the file at app/data/sales.csv
    df = pd.read_csv("data/sales.csv")
    ```

    ## Fix
    Build the path from the module's location, which works from any working directory:
    `pd.read_csv(Path(__file__).parent / "data/sales.csv")`, or write it from the repository root
    (`"app/data/sales.csv"`) and run `streamlit run app/main.py` from the root locally too.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/file-organization
    - https://docs.streamlit.io/deploy/community-cloud/status
    """
    for app, problem in _app_problems(ctx, "CP703"):
        use, candidate = problem.use, problem.detail
        yield ctx.finding(
            f"\"{use.value.text}\" is resolved from the repository root on Community Cloud (the working "
            f"directory), where it does not exist; it only exists as {candidate}, so {use.call}() "
            f"{_EFFECT[use.kind]}." + _warn_suffix(problem),
            use.module, use.line, use.column, app=app, severity=problem.severity,
            fix=f"Build the path from this file's location: {_file_fix(use, candidate)} "
                f"(or write it from the repository root: \"{candidate}\").")


@rule("CP704", "path-missing-file", Severity.ERROR)
def path_missing_file(ctx: RuleContext) -> Iterator[Finding]:
    """A file the app reads is not in the repository.

    Severity: warning when the read is inside a `try` block, an existence check or a platform/environment
    check (`os.name`, `sys.platform`, `os.environ`), and for a missing `page_icon` (Streamlit falls back to no
    icon), and when the folder was listed without git and the file is on disk but ignored (it may have been
    committed with `git add -f`). Not reported when code in the repository writes or downloads the same path (the
    file is made at run time), nor for `secrets.toml` and `.env` files, which the secrets rules cover.

    ## Why is this bad?
    Community Cloud clones your GitHub repository and nothing else: a data file, model or image that is only on
    your machine (never committed, excluded by `.gitignore`, or too large to push) is not there, and the read
    raises `FileNotFoundError` (`MediaFileStorageError` for `st.image`/`st.audio`/`st.video`/`st.logo`).

    ## Example
    ```python
    model = joblib.load("models/model.pkl")   # models/ is in .gitignore
    ```

    ## Fix
    Commit the file (Git LFS for large binaries; remove it from `.gitignore` or add a `!path` exception), or
    download it at start-up in a function decorated with `@st.cache_resource`.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/file-organization
    - https://github.com/SchapiroLabor/micronuclAI/issues/9
    """
    for app, problem in _app_problems(ctx, "CP704"):
        use = problem.use
        shown = _shown(use)
        if problem.why == _ON_DISK:
            ignored = problem.detail.replace(" (it is", "").rstrip(")")
            message = (f"\"{shown}\" is on disk but{ignored}; cloud-preflight listed the files without git and "
                       f"cannot tell whether it was committed anyway (git add -f). If it was not, Community Cloud does "
                       f"not have it and {use.call}() {_EFFECT[use.kind]}.")
        elif problem.severity == Severity.WARNING and problem.why:
            message = (f"\"{shown}\" is not in the repository{problem.detail}. The code may handle that ("
                       f"{problem.why}); if it does not, {use.call}() {_EFFECT[use.kind]} on Community Cloud.")
        else:
            message = (f"\"{shown}\" is not in the repository{problem.detail}. Community Cloud has only the files "
                       f"committed to GitHub, so {use.call}() {_EFFECT[use.kind]}.")
        fix = "Commit the file (Git LFS for large binaries) or download it at start-up in a function cached with " \
              "@st.cache_resource."
        if problem.why == _ON_DISK:
            fix = "Run cloud-preflight in the git checkout to check; if the file is not committed, git add -f it " \
                  "(Git LFS for large binaries) or download it at start-up with @st.cache_resource."
        elif "ignored by" in problem.detail:
            fix = "Commit the file: remove the .gitignore line or add an exception (!path) and git add it; or " \
                  "download it at start-up in a function cached with @st.cache_resource."
        yield ctx.finding(message, use.module, use.line, use.column, app=app, severity=problem.severity, fix=fix)


@rule("CP705", "path-case-mismatch", Severity.ERROR)
def path_case_mismatch(ctx: RuleContext) -> Iterator[Finding]:
    """A path matches a committed file only when letter case is ignored.

    Severity: warning when the read is inside a `try` block, an existence check or a platform/environment
    check (`os.name`, `sys.platform`, `os.environ`), and for a `page_icon`. Not reported when code in the
    repository writes or downloads the same path.

    ## Why is this bad?
    Windows and macOS file systems ignore letter case, so `Data/Sales.CSV` opens `data/sales.csv` on your
    machine. Community Cloud runs on Linux, where those are different names: the read raises
    `FileNotFoundError`, and an `st.Page`/`st.switch_page` target is not found.

    ## Example
    ```python
    df = pd.read_csv("Data/sales.csv")   # committed as data/sales.csv
    ```

    ## Fix
    Spell the path exactly as committed (`git ls-files` shows it), or rename the file with `git mv`.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/status
    - https://github.com/IBM/ColPret/issues/6
    """
    for app, problem in _app_problems(ctx, "CP705"):
        use, actual = problem.use, problem.detail
        shown = use.value.text
        if use.kind == "page" and app.dir:
            expected = posixpath.relpath(actual, app.dir)
        elif use.value.anchor == "file":
            shown = _shown(use)
            expected = actual
        else:
            expected = actual
        effect = "raises StreamlitAPIException" if use.kind == "page" else _EFFECT[use.kind]
        yield ctx.finding(
            f"\"{shown}\" does not match the committed name \"{actual}\". Community Cloud runs on Linux, where "
            f"file names are case-sensitive, so {use.call}() {effect} (it works on Windows and macOS only because "
            f"their file systems ignore case)." + _warn_suffix(problem),
            use.module, use.line, use.column, app=app, severity=problem.severity,
            fix=f"Write \"{expected}\" exactly as committed, or rename the file with git mv.")


@rule("CP706", "path-backslashes", Severity.ERROR)
def path_backslashes(ctx: RuleContext) -> Iterator[Finding]:
    """A file path written with Windows backslashes.

    Severity: warning when the read is inside a `try` block, an existence check or a platform/environment
    check (`os.name`, `sys.platform`, `os.environ`). Not reported when code in the repository writes or
    downloads the same path (the file is made at run time).

    ## Why is this bad?
    Community Cloud runs on Linux, where `\\` is an ordinary character, not a folder separator:
    `"data\\\\sales.csv"` names a file literally called `data\\sales.csv` in the root, which does not exist. In a
    normal string some pairs are escapes as well (`"data\\new.csv"` contains a newline). The docs: "All file paths
    must use forward-slash path separators".

    ## Example
    ```python
    df = pd.read_csv("data\\\\sales.csv")
    img = Image.open(r"assets\\logo.png")
    ```

    ## Fix
    Use forward slashes (`"data/sales.csv"`), which work on Windows too, or `Path("data") / "sales.csv"`.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/file-organization
    - https://github.com/streamlit/streamlit/issues/8414
    """
    for app, problem in _app_problems(ctx, "CP706"):
        use = problem.use
        text = use.value.text
        forward = re.sub(r"[\\/]+", "/", text)
        target = resolve(_Value(use.value.anchor, forward), use.module)
        if use.kind == "page":
            target = posixpath.normpath(posixpath.join(app.dir, forward)) if app.dir else posixpath.normpath(forward)
        found = ""
        if target is not None and _exists(ctx.project, target):
            found = f" With forward slashes it names {target}, which exists."
        elif target is not None and _case_match(ctx.project, target):
            actual = _case_match(ctx.project, target)
            found = f" The committed file is {actual} (mind the letter case too)."
            forward = actual if use.kind != "page" or not app.dir else posixpath.relpath(actual, app.dir)
        effect = "raises StreamlitAPIException" if use.kind == "page" else _EFFECT[use.kind]
        yield ctx.finding(
            f"\"{text}\" uses backslashes. Community Cloud runs on Linux, where \"\\\" is not a folder separator, "
            f"so {use.call}() looks for a file with that literal name and {effect}.{found}" + _warn_suffix(problem),
            use.module, use.line, use.column, app=app, severity=problem.severity,
            fix=f"Use forward slashes: \"{forward}\" (they work on Windows too), or pathlib: Path(\"a\") / \"b\".")


@rule("CP707", "path-absolute-local", Severity.ERROR)
def path_absolute_local(ctx: RuleContext) -> Iterator[Finding]:
    """An absolute path that only exists on a developer's machine.

    Severity: warning when the read is inside a `try` block, an existence check or a platform/environment
    check (`os.name`, `sys.platform`, `os.environ`), and for a `page_icon`.

    ## Why is this bad?
    Paths like `C:\\Users\\me\\data.csv`, `/Users/me/...`, `/home/me/...`, `~/...`, Colab's `/content/...` or
    Kaggle's `/kaggle/...` point at your machine or notebook. On Community Cloud the repository is cloned to
    `/mount/src/<repo>` and nothing else from your machine exists, so the read raises `FileNotFoundError`.

    ## Example
    ```python
    df = pd.read_csv("/content/drive/MyDrive/sales.csv")
    ```

    ## Fix
    Commit the file and use a path relative to the repository root (`"data/sales.csv"`), or build it from
    `Path(__file__).parent`; download data that cannot be committed at start-up with `@st.cache_resource`.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/file-organization
    - https://docs.streamlit.io/deploy/community-cloud/status
    """
    for app, problem in _app_problems(ctx, "CP707"):
        use = problem.use
        text = use.value.text
        name = re.split(r"[\\/]", text.rstrip("/\\"))[-1]
        same = ctx.project.files_named(name) if name else []
        suggestion = f" (the repository has {same[0]}: use \"{same[0]}\")" if len(same) == 1 else ""
        effect = "raises StreamlitAPIException" if use.kind == "page" else _EFFECT[use.kind]
        yield ctx.finding(
            f"\"{text}\" is an absolute path on your machine; it does not exist on Community Cloud (the repository "
            f"is cloned to /mount/src/<repo>), so {use.call}() {effect}{suggestion}." + _warn_suffix(problem),
            use.module, use.line, use.column, app=app, severity=problem.severity,
            fix="Commit the file and use a path relative to the repository root, or build it from "
                "Path(__file__).parent; download data you cannot commit at start-up with @st.cache_resource.")


@rule("CP708", "page-target-missing", Severity.ERROR)
def page_target_missing(ctx: RuleContext) -> Iterator[Finding]:
    """An `st.Page`, `st.switch_page` or `st.page_link` target does not exist relative to the entrypoint.

    ## Why is this bad?
    Page paths are resolved relative to the entrypoint's folder, not the working directory: with the entrypoint
    `app/main.py`, `st.Page("app/pages/a.py")` looks for `app/app/pages/a.py`. Streamlit raises
    `StreamlitAPIException` ("Unable to create Page. The file ... could not be found", "Could not find page").

    ## Example
    ```python
    # app/main.py
    pg = st.navigation([st.Page("app/pages/report.py")])
    ```

    ## Fix
    Write the path relative to the entrypoint's folder (`st.Page("pages/report.py")`), or move the file.

    ## References
    - https://docs.streamlit.io/develop/concepts/multipage-apps/page-and-navigation
    - https://docs.streamlit.io/develop/api-reference/navigation/st.switch_page
    """
    for app, problem in _app_problems(ctx, "CP708"):
        use, hint = problem.use, problem.detail
        folder = f"the entrypoint's folder ({app.dir}/)" if app.dir else "the entrypoint's folder (the repository root)"
        resolved = posixpath.normpath(posixpath.join(app.dir, use.value.text)) if app.dir else \
            posixpath.normpath(use.value.text)
        where = f"{resolved} does not exist" if not resolved.startswith("..") else "it points outside the repository"
        extra = ""
        fix = "Write the path relative to the entrypoint's folder, or move the page file there."
        if hint:
            relative = posixpath.relpath(hint, app.dir)
            extra = f" (the file is {hint}, written from the repository root)"
            fix = f"Write it relative to the entrypoint's folder: \"{relative}\"."
        yield ctx.finding(
            f"\"{use.value.text}\" is resolved relative to {folder}, where {where}{extra}, so {use.call}() raises "
            f"StreamlitAPIException.",
            use.module, use.line, use.column, app=app, fix=fix)


@rule("CP709", "pages-folder-misplaced", Severity.WARNING)
def pages_folder_misplaced(ctx: RuleContext) -> Iterator[Finding]:
    """A `pages/` folder that Streamlit will not pick up for the app: not next to the entrypoint, or misspelled.

    ## Why is this bad?
    Without `st.navigation`, Streamlit builds the sidebar from the `pages/` folder next to the entrypoint, and
    nowhere else: a root `pages/` is ignored when Cloud runs `app/main.py`. Community Cloud runs on Linux, so a
    folder named `Pages/` is not `pages/` either (it works on Windows and macOS). The app starts, but its pages
    are missing.

    ## Example
    `app/main.py` as the entrypoint and the pages in `pages/` at the repository root.

    ## Fix
    Move the folder next to the entrypoint (`app/pages/`) and name it `pages` in lower case, or list the pages
    with `st.navigation([st.Page(...)])`.

    ## References
    - https://docs.streamlit.io/develop/concepts/multipage-apps/pages-directory
    - https://docs.streamlit.io/develop/concepts/multipage-apps/page-and-navigation
    """
    project = ctx.project
    app_dirs = {a.dir for a in ctx.apps if a.exists}
    for app in ctx.apps:
        if not app.exists or app.pages:
            continue
        if any(module_info(project, m).navigation for m in _app_modules(app)):
            continue
        expected = posixpath.join(app.dir, "pages") if app.dir else "pages"
        targets = {t[3] for t in app.page_targets}
        # A folder named Pages/PAGES next to the entrypoint.
        for folder in sorted(project.dirs):
            if posixpath.dirname(folder) != app.dir or posixpath.basename(folder).lower() != "pages" \
                    or folder == expected:
                continue
            files = _page_files(project, folder)
            if files:
                yield ctx.finding(
                    f"Folder {folder}/ is not named \"pages\": Streamlit looks for {expected}/ and Community Cloud's "
                    f"Linux file system is case-sensitive, so these pages will not appear in the app (it works on "
                    f"Windows and macOS only because their file systems ignore case).",
                    files[0], app=app,
                    fix=f"Rename the folder to {expected}/ (git mv), or list the pages with st.navigation.")
        # A pages/ folder above the entrypoint that belongs to no other app.
        parts = app.dir.split("/") if app.dir else []
        for depth in range(len(parts)):
            base = "/".join(parts[:depth])
            folder = posixpath.join(base, "pages") if base else "pages"
            if base in app_dirs or any(p.endswith(".py") and imports_streamlit(project, p)
                                       for p in project.files_in(base)):
                continue  # the folder belongs to another app (checked or not)
            files = [f for f in _page_files(project, folder) if f not in targets]
            if files:
                yield ctx.finding(
                    f"{folder}/ is not next to the entrypoint {app.entrypoint}: Streamlit only picks up pages from "
                    f"{expected}/, so the {len(files)} page(s) in {folder}/ will not appear in the app on Community "
                    f"Cloud.",
                    files[0], app=app,
                    fix=f"Move the folder to {expected}/, or list the pages with st.navigation([st.Page(...)]).")


def _page_files(project, folder: str) -> list[str]:
    return [p for p in project.files_in(folder)
            if p.endswith(".py") and not posixpath.basename(p).startswith(("_", "."))]


@rule("CP710", "file-git-lfs", Severity.NOTE)
def file_git_lfs(ctx: RuleContext) -> Iterator[Finding]:
    """The app loads a file stored in Git LFS.

    ## Why is this bad?
    Community Cloud fetches Git LFS files ("If your GitHub repository uses LFS, it will just work"), but the
    downloads count against the repository owner's LFS bandwidth quota. When the quota is exhausted the app gets
    the small pointer file instead, and loading fails with errors such as
    `UnpicklingError: invalid load key, 'v'`.

    ## Example
    `joblib.load("model.pkl")` where `model.pkl` is tracked with `git lfs track "*.pkl"`.

    ## Fix
    Nothing to do if your LFS quota is ample. Otherwise host large files elsewhere (object storage, Hugging Face
    Hub, GitHub Releases) and download them once in a function cached with `@st.cache_resource`.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/file-organization
    - https://github.com/streamlit/streamlit/issues/5186
    """
    for app, problem in _app_problems(ctx, "CP710"):
        use = problem.use
        yield ctx.finding(
            f"{problem.detail} is stored in Git LFS. Community Cloud fetches LFS files, but downloads count against "
            f"the repository owner's LFS bandwidth quota; when it runs out the app receives the small pointer file "
            f"and {use.call}() fails (e.g. \"UnpicklingError: invalid load key, 'v'\").",
            use.module, use.line, use.column, app=app,
            fix="Keep an eye on the LFS quota, or host the file elsewhere and download it once in a function cached "
                "with @st.cache_resource.")


# GitHub's limits (github/docs data/variables/large_files.yml: warning 50 MiB, max 100 MiB), also recorded in
# preflight/data/cloud_platform.toml as github-file-warn-mb / github-file-block-mb.
_GITHUB_WARN_MB = 50
_GITHUB_BLOCK_MB = 100


def _limit(key: str, default: int) -> int:
    from preflight import data

    value = data.cloud().get(key, default)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 else default


@rule("CP711", "file-too-large", Severity.ERROR)
def file_too_large(ctx: RuleContext) -> Iterator[Finding]:
    """A file is larger than GitHub accepts (or larger than it warns about).

    Severity: error over 100 MB (GitHub rejects the push); warning over 50 MB (GitHub warns). Files tracked
    with Git LFS (`filter=lfs` in `.gitattributes`) are not reported.

    ## Why is this bad?
    Community Cloud deploys from GitHub. GitHub blocks files over 100 MB, so the push fails and the file, with
    everything in the same commit, never reaches the repository Cloud clones. Files over 50 MB slow every clone
    and push.

    ## Example
    A 300 MB `model.h5` committed next to the app.

    ## Fix
    Track large binaries with Git LFS (`git lfs track "*.h5"`), host them elsewhere (object storage, Hugging Face
    Hub, GitHub Releases) and download them once with `@st.cache_resource`, or make the file smaller.

    ## References
    - https://docs.github.com/en/repositories/working-with-files/managing-large-files/about-large-files-on-github
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/file-organization
    """
    project = ctx.project
    block = _limit("github-file-block-mb", _GITHUB_BLOCK_MB)
    warn = _limit("github-file-warn-mb", _GITHUB_WARN_MB)
    mib = 1024 * 1024
    for path in project.files:
        size = project.size(path)
        if size is None or size <= warn * mib:
            continue
        if lfs_tracked(project, path):
            continue
        shown = f"{size / mib:.0f} MB"
        if size > block * mib:
            yield ctx.finding(
                f"{path} is {shown}. GitHub rejects files over {block} MB, so the push fails and the file cannot be "
                f"in the repository Community Cloud clones.",
                path,
                fix="Track it with Git LFS (git lfs track), or host it elsewhere and download it at start-up in a "
                    "function cached with @st.cache_resource.")
        else:
            yield ctx.finding(
                f"{path} is {shown}. GitHub warns about files over {warn} MB and rejects them over {block} MB; every "
                f"Community Cloud deploy clones it.",
                path, severity=Severity.WARNING,
                fix="Track it with Git LFS (git lfs track), or host it elsewhere and download it at start-up in a "
                    "function cached with @st.cache_resource.")


RULES = (
    entrypoint_not_found,
    entrypoint_not_detected,
    path_relative_to_entrypoint,
    path_missing_file,
    path_case_mismatch,
    path_backslashes,
    path_absolute_local,
    page_target_missing,
    pages_folder_misplaced,
    file_git_lfs,
    file_too_large,
)
