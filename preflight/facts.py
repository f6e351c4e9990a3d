"""Per-module facts: what the rules read from a Python module's syntax tree, extracted in one parse.

A module is parsed once. Every registered extractor reads the tree and returns plain data (tuples, lists,
dicts, sets, str, int, float, bool, None: what ``marshal`` stores), and the tree is dropped. So:

- memory holds compact facts, never the trees of thousands of modules;
- the facts of many modules are extracted on every core (forked workers read their share of the files;
  nothing is sent to them but paths, nothing comes back but facts);
- facts are cached on disk, keyed by the module's path and git's blob hash (or, for a file the work tree
  changed or git does not list, a hash of its bytes) and by a hash of cloud-preflight's own code and data
  (``salt``), so a re-run parses only the files that changed and does not even read the others.

Extractors live next to the rules that use them (``checks/paths.py`` registers ``paths`` ...) and register with
``@extractor(name)``. An extractor that raises does not stop the run: the error is stored as the fact and
raised again, as ``FactError``, in the rule that reads it (which the engine reports as that rule's crash).

Rules that need more than facts (rare, byte-prefiltered cases) still call ``Project.python`` for a tree.
"""

from __future__ import annotations

import ast
import hashlib
import marshal
import os
import sys
import unicodedata
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from preflight import cachedir

if TYPE_CHECKING:
    from preflight.project import Project

Extractor = Callable[[str, ast.Module, bytes], Any]
EXTRACTORS: dict[str, Extractor] = {}

# Stored in a module's facts instead of the extractor families when the module has no tree.
ERROR = "!error"  # (message, line, column): a syntax error (or another reason ``ast.parse`` refused it)
SKIP = "!skip"  # the note for a module that was not parsed (too many tokens)
_FAILED = "!failed"  # prefix of an extractor's crash message

# Below this many modules to extract, workers cost more than they save (a fork, a pool, the pipes).
PARALLEL_MIN = 400
_CACHE_FORMAT = 2


class FactError(RuntimeError):
    """An extractor crashed on this module (a bug in cloud-preflight, reported as the reading rule's crash)."""


def extractor(name: str, late: bool = False) -> Callable[[Extractor], Extractor]:
    """Register ``func(path, tree, data)`` as the extractor of facts family ``name``. A ``late`` one runs after
    the others (it may reuse what they left on the tree)."""
    def register(func: Extractor) -> Extractor:
        EXTRACTORS[name] = func
        if late:
            _LATE.add(name)
        return func
    return register


_LATE: set[str] = set()

# Words the rules' byte-level prefilters look for in a module. Their presence is a fact ("mentions", a bit
# mask), so a prefilter needs neither the bytes kept in memory nor the file read again.
MENTIONS = (b"streamlit", b"Page", b"switch_page", b"page_link", b"run_path", b"sys.path", b"addsitedir",
            b"install", b"load", b"read_pickle", b"secrets")


def _identifier_view(data: bytes) -> bytes | None:
    """The bytes a byte prefilter may search for identifiers: ``data`` itself when it is ASCII, else its NFKC
    form (Python reads identifiers in NFKC, so ``import \uff53treamlit``, with a full-width s, imports streamlit);
    None when it is not UTF-8 (another source encoding: no prefilter can be trusted)."""
    if data.isascii():
        return data
    try:
        return unicodedata.normalize("NFKC", data.decode("utf-8")).encode("utf-8")
    except UnicodeDecodeError:
        return None


def may_mention(data: bytes, *words: bytes) -> bool:
    """Whether a module's identifiers may spell one of ``words`` (ASCII): a byte-level prefilter that never says
    no to a module that does (see ``_identifier_view``)."""
    view = _identifier_view(data)
    return view is None or any(word in view for word in words)


@extractor("mentions")
def _extract_mentions(path: str, tree: ast.Module, data: bytes) -> int:
    view = _identifier_view(data)
    if view is None:
        return (1 << len(MENTIONS)) - 1
    return sum(1 << i for i, word in enumerate(MENTIONS) if word in view)


def parse(path: str, data: bytes) -> tuple[ast.Module | None, tuple | None, str | None, int]:
    """(tree, error, skip note, estimated tokens) for one module; one of the first three is set."""
    from preflight.project import PYTHON_MAX_TOKENS, estimate_tokens  # (project imports this module)

    tokens = estimate_tokens(data)
    if tokens > PYTHON_MAX_TOKENS:
        return None, None, (f"not parsed as Python: about {tokens:,} tokens, more than the "
                            f"{PYTHON_MAX_TOKENS:,} one module may have"), tokens
    try:
        return ast.parse(data, filename=path), None, None, tokens
    except SyntaxError as exc:
        exc = _with_character_offset(path, data, exc)
        return None, (f"invalid Python syntax: {exc.msg}", exc.lineno, exc.offset), None, tokens
    except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
        return None, (f"cannot be parsed as Python: {exc}", None, None), None, tokens


def _with_character_offset(path: str, data: bytes, exc: SyntaxError) -> SyntaxError:
    """The same error with its column in characters. Python 3.11 and 3.12 count some columns of a module given
    as bytes in UTF-8 bytes (the parser's errors; the tokenizer's are in characters), so a module that is not
    ASCII is parsed again as text, which gives characters on every version."""
    if data.isascii():
        return exc
    from importlib.util import decode_source

    try:
        text = decode_source(data)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        return exc
    try:
        ast.parse(text, filename=path)
    except SyntaxError as again:
        if again.lineno == exc.lineno and again.msg == exc.msg:
            return again
    except (ValueError, RecursionError, MemoryError, OverflowError):
        pass
    return exc


def extract(path: str, data: bytes, families: Iterable[str] | None = None) -> dict[str, bytes]:
    """family -> marshalled facts of one module (or only ``ERROR`` / ``SKIP``)."""
    tree, error, skip, _tokens = parse(path, data)
    if tree is None:
        return {ERROR: _encode(error)} if error else {SKIP: _encode(skip)}
    return _run_extractors(path, tree, data, families if families is not None else list(EXTRACTORS))


def _run_extractors(path: str, tree: ast.Module, data: bytes, families: Iterable[str]) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for name in sorted(families, key=lambda n: n in _LATE):
        try:
            value = EXTRACTORS[name](path, tree, data)
            out[name] = _encode(value)
        except RecursionError:
            out[name] = _encode(None)  # nested too deeply to walk: no facts, as before
        except Exception as exc:  # noqa: BLE001 - kept, raised again where a rule reads it
            out[name] = _encode(f"{_FAILED} {name} extractor on {path}: {exc.__class__.__name__}: {exc}")
    return out


# Families small enough to keep decoded, and asked about by many rules (the others are decoded when read; their
# readers keep what they derive).
KEEP_DECODED = frozenset({"mentions", "calls", "followed", "aliases"})

# Facts over this many bytes are kept zlib-compressed (a page's path uses: 1.2 KB -> about 0.3 KB), so a
# 50,000-module repository's facts fit in memory and its cache file stays small.
_COMPRESS_OVER = 256


def _encode(value: Any) -> bytes:
    raw = marshal.dumps(value)
    if len(raw) > _COMPRESS_OVER:
        return b"z" + zlib.compress(raw, 1)
    return b"m" + raw


def decode(raw: bytes, name: str, path: str) -> Any:
    value = marshal.loads(zlib.decompress(raw[1:]) if raw[:1] == b"z" else raw[1:])
    if isinstance(value, str) and value.startswith(_FAILED):
        raise FactError(value[len(_FAILED) + 1:])
    return value


# ----------------------------------------------------------------------------------------------------- cache


def salt() -> str:
    """A hash of the code and data that produce facts: a new release, or any local edit, starts a new cache."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{_CACHE_FORMAT} {sys.version_info[:2]}".encode())
    files = {Path(__file__)}
    for func in EXTRACTORS.values():
        module = sys.modules.get(func.__module__)
        if module is not None and getattr(module, "__file__", None):
            files.add(Path(module.__file__))
    data = Path(__file__).with_name("data")
    files |= set(data.glob("*")) if data.is_dir() else set()
    files |= {Path(__file__).with_name(n) for n in ("project.py", "imports.py", "pysource.py")}
    for file in sorted(files):
        try:
            digest.update(file.name.encode() + b"\0" + file.read_bytes())
        except OSError:
            digest.update(file.name.encode() + b"\0?")
    digest.update(",".join(sorted(EXTRACTORS)).encode())
    return digest.hexdigest()


def module_key(path: str, data: bytes) -> bytes:
    return hashlib.blake2b(path.encode("utf-8", "surrogateescape") + b"\0" + data, digest_size=16).digest()


class DiskCache:
    """One file of key -> facts for a salt. Read once, written once (only the entries this run used)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.file = folder / f"facts-{salt()}.marshal"
        self.entries: dict[bytes, dict[str, bytes]] = {}
        self.used: dict[bytes, dict[str, bytes]] = {}
        self.changed = False
        try:
            with open(self.file, "rb") as fh:
                loaded = marshal.load(fh)
            if isinstance(loaded, dict):
                self.entries = loaded
        except (OSError, EOFError, ValueError, TypeError):
            self.entries = {}  # missing, unreadable or corrupt: start again

    def get(self, key: bytes) -> dict[str, bytes] | None:
        value = self.entries.get(key)
        if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, bytes) for k, v in value.items()):
            self.used[key] = value
            return value
        return None

    def put(self, key: bytes, value: dict[str, bytes]) -> None:
        self.used[key] = value
        self.changed = True

    def save(self) -> None:
        if not self.changed and len(self.used) == len(self.entries):
            return
        try:
            cachedir.prepare(self.folder.parent, self.folder.name)
            for old in self.folder.glob("facts-*.marshal"):
                if old != self.file:
                    old.unlink(missing_ok=True)  # another release's (or code edit's) cache
            tmp = self.file.with_name(f"{self.file.name}.{os.getpid()}.tmp")
            with open(tmp, "wb") as fh:
                marshal.dump(self.used, fh)
            os.replace(tmp, self.file)
        except OSError:
            pass  # a read-only checkout: the run is right, only the next one is slower


# ---------------------------------------------------------------------------------------------- extraction

_WORKER_PROJECT: Project | None = None


def _work(paths: list[str]) -> list[tuple[str, dict[str, bytes]]]:
    import gc

    project = _WORKER_PROJECT
    assert project is not None
    # Trees are freed by reference counting (they hold no cycles); the cycle collector would only rescan the
    # parent's inherited heap again and again (and copy its pages).
    gc.disable()
    return _extract_paths(project, paths)


def _extract_paths(project: Project, paths: list[str]) -> list[tuple[str, dict[str, bytes]]]:
    out = []
    for path in paths:
        data = project.read_bytes(path)
        if data is not None:
            out.append((path, extract(path, data)))
            project.forget_bytes(path)
    return out


def workers() -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 8))


def extract_all(project: Project, paths: list[str], cache: DiskCache | None,
                progress: Callable[[str], None] | None = None) -> dict[str, dict[str, bytes]]:
    """Facts of every module in ``paths`` that can be read: from the cache, else extracted (in parallel when
    there are many)."""
    out: dict[str, dict[str, bytes]] = {}
    keys: dict[str, bytes] = {}
    misses: list[str] = []
    for path in paths:
        if cache is None:
            misses.append(path)
            continue
        blob = project.git_blob(path)
        if blob is not None:  # git hashed the file already: it need not even be read when its facts are cached
            key = hashlib.blake2b(path.encode("utf-8", "surrogateescape") + b"\0git:" + blob, digest_size=16).digest()
        else:
            data = project.read_bytes(path)
            if data is None:
                continue
            key = module_key(path, data)
            project.forget_bytes(path)  # read one at a time: never the whole repository's bytes at once
        keys[path] = key
        hit = cache.get(key)
        if hit is not None:
            out[path] = hit
        else:
            misses.append(path)
    n = workers()
    if len(misses) >= PARALLEL_MIN and n > 1 and "fork" in _start_methods():
        if progress:
            progress(f"parsing {len(misses):,} Python modules on {n} cores")
        done = _parallel(project, misses, n)
    else:
        if progress and len(misses) >= PARALLEL_MIN:
            progress(f"parsing {len(misses):,} Python modules")
        done = None
    if done is None:
        done = _extract_paths(project, misses)
    for path, facts in done:
        out[path] = facts
        if cache is not None:
            cache.put(keys[path], facts)
    return out


def _start_methods() -> list[str]:
    import multiprocessing

    return multiprocessing.get_all_start_methods()


def _parallel(project: Project, paths: list[str], n: int) -> list[tuple[str, dict[str, bytes]]] | None:
    """Extract in ``n`` forked workers; None when a pool cannot be made here (no /dev/shm, no fork ...) or a
    worker died (killed for memory, say): the caller then extracts in-process. A process pool, not
    ``multiprocessing.Pool``, because a pool whose worker dies waits forever for its result."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    global _WORKER_PROJECT
    size = max(50, len(paths) // (n * 8))
    chunks = [paths[i:i + size] for i in range(0, len(paths), size)]
    _WORKER_PROJECT = project
    try:
        with ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("fork")) as pool:
            return [item for chunk in pool.map(_work, chunks) for item in chunk]
    except (OSError, ImportError, BrokenProcessPool):
        return None
    finally:
        _WORKER_PROJECT = None
