"""The repository, scanned once.

Files are listed once (``git ls-files`` in a git work tree, because that is what Community Cloud clones;
otherwise a walk that skips virtualenvs, ``node_modules`` and ``__pycache__`` and honours ``.gitignore``).
Each file is read and parsed at most once, lazily. Symlinks are never followed out of the repository.
Nothing from the repository is ever imported or executed: it is data.
"""

from __future__ import annotations

import ast
import codecs
import os
import posixpath
import re
import stat
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any

from preflight import facts as factlib

# Files larger than this are never parsed (their size is still known, for the large-file rules).
MAX_PARSE_BYTES = 2 * 1024 * 1024
# All the bytes one run keeps from the files it reads (a repository of many large files cannot fill memory).
MAX_READ_BYTES_TOTAL = 256 * 1024 * 1024
# A Python AST takes 150 to 400 bytes per source token (dense code such as 2 MB of ``x=1`` lines: 650 MB), so
# a module of more tokens is not parsed, and the trees kept at once hold at most PYTHON_TOKEN_BUDGET tokens (the
# rules mostly read per-module facts, extracted one tree at a time). Tokens are estimated, not tokenized:
# words plus punctuation characters.
PYTHON_MAX_TOKENS = 300_000
PYTHON_TOKEN_BUDGET = 1_500_000
_WORD_RE = re.compile(rb"\w+")
_WHITESPACE = b" \t\r\n\f\v"


class _Everything:
    def __contains__(self, item: object) -> bool:
        return True


_DROPPED: Any = object()  # in Project._bytes: read before, not kept (see prefetch_facts)


def estimate_tokens(data: bytes) -> int:
    rest, words = _WORD_RE.subn(b"", data)
    return words + len(rest.translate(None, _WHITESPACE))

SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".nox",
                       ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages", ".ipynb_checkpoints",
                       ".cloud-preflight-cache"})

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class TextFile:
    """A decoded text file. ``encoding`` is what was detected; ``bom`` tells whether a BOM was present."""

    text: str
    encoding: str
    bom: bool = False
    binary: bool = False

    @property
    def is_plain_utf8(self) -> bool:
        return self.encoding == "utf-8" and not self.bom and not self.binary

    @cached_property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    def line(self, number: int) -> str:
        """1-based line, '' when out of range."""
        lines = self.lines
        return lines[number - 1] if 0 < number <= len(lines) else ""


@dataclass(frozen=True)
class ParseError:
    """Why a file could not be parsed; ``line`` is 1-based or None."""

    path: str
    kind: str
    message: str
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class Skipped:
    """A file the scan did not read, with the reason (reported as a note, never an exception)."""

    path: str
    reason: str


def gitignore_spec(lines: list[str] | tuple[str, ...]):  # -> pathspec.GitIgnoreSpec
    """Patterns with .gitignore semantics (imported lazily: only walks and excludes need it)."""
    from pathspec import GitIgnoreSpec

    try:
        return GitIgnoreSpec.from_lines(lines)
    except ValueError:  # an invalid pattern (a lone "!"): git ignores such lines, so do we
        valid = []
        for line in lines:
            try:
                GitIgnoreSpec.from_lines([line])
            except ValueError:
                continue
            valid.append(line)
        return GitIgnoreSpec.from_lines(valid)


def undecodable(name: str) -> bool:
    """True for a name read from disk or git that is not valid UTF-8 (it holds surrogate escapes): no report can
    show it as it is, and JSON, SARIF and the terminal would fail to encode it."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def shown_name(name: str) -> str:
    """A name that may be undecodable, for messages: its invalid bytes as ``\\xff`` escapes."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


UNDECODABLE_NAME = "the file name is not valid UTF-8 (not checked)"


def decode_bytes(data: bytes) -> TextFile:
    """Decode bytes the way a forgiving tool would, recording what it found."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return TextFile(data.decode(encoding), encoding.replace("-sig", ""), bom=True)
            except UnicodeDecodeError:
                break
    if b"\x00" in data[:8192]:
        # UTF-16 without a BOM looks like ASCII interleaved with NULs.
        return TextFile(data.decode("latin-1").replace("\x00", ""), "binary", binary=True)
    try:
        return TextFile(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        return TextFile(data.decode("latin-1"), "latin-1")


class Project:
    """A repository on disk. Paths are repo-relative POSIX strings."""

    def __init__(self, root: str | os.PathLike[str], *, use_git: bool = True, exclude: tuple[str, ...] = ()):
        self.root = Path(root).resolve()
        self._use_git = use_git
        self._exclude = exclude
        self.skipped: list[Skipped] = []
        self._skipped_paths: set[str] = set()  # of skipped, for _note_skip
        self.parse_errors: dict[str, ParseError] = {}
        self._bytes: dict[str, bytes | None] = {}
        self._text: dict[str, TextFile | None] = {}
        self._char_columns: dict[str, Callable[[int, int], int]] = {}
        self._python: dict[str, tuple[ast.Module | None, int]] = {}  # path -> (tree, its tokens), LRU order
        self._facts: dict[str, dict[str, bytes]] = {}  # path -> family -> marshalled facts
        self._facts_seen: set[str] = set()
        self._blobs: dict[str, bytes] = {}  # path -> git's blob hash of the committed (or staged) content
        self._decoded: dict[tuple[str, str], Any] = {}  # (path, family) -> value, for facts.KEEP_DECODED
        self._toml: dict[str, dict | None] = {}
        self._yaml: dict[str, Any] = {}
        self._sizes: dict[str, int | None] = {}
        self._listing_source = "walk"
        # symlink path -> repo-relative target ("" when it leaves the repository, None until resolved)
        self._symlinks: dict[str, str | None] = {}
        self._real_dirs: dict[str, bool] = {}  # folder -> its real path is inside the repository
        self._bytes_kept = 0  # of MAX_READ_BYTES_TOTAL
        self._python_tokens = 0  # held by the trees in _python, at most about PYTHON_TOKEN_BUDGET

    # ------------------------------------------------------------------ listing

    @cached_property
    def files(self) -> tuple[str, ...]:
        """Every file Cloud would have, sorted. Listed once."""
        listed = self._git_files() if self._use_git else None
        if listed is None:
            listed = self._walk_files()
        else:
            self._listing_source = "git"
        if self._exclude:
            spec = gitignore_spec(self._exclude)
            listed = [p for p in listed if not spec.match_file(p)]
        return tuple(sorted(set(listed)))

    @property
    def listing_source(self) -> str:
        """``git`` when the files came from ``git ls-files``, ``walk`` otherwise."""
        self.files  # noqa: B018 - make sure the listing ran
        return self._listing_source

    def _git_files(self) -> list[str] | None:
        if not (self.root / ".git").exists():
            return None
        try:
            # core.fsmonitor=false: a repository's own .git/config could name a command for git to run.
            proc = subprocess.run(
                ["git", "-c", "safe.directory=*", "-c", "core.fsmonitor=false", "-C", str(self.root), "ls-files",
                 "-s", "-z", "--cached"],
                capture_output=True, timeout=120, check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        if proc.returncode != 0:
            return None
        out: list[str] = []
        for entry in proc.stdout.split(b"\x00"):
            if not entry:
                continue
            meta, _, raw_path = entry.partition(b"\t")
            mode = meta.split(b" ", 1)[0]
            path = raw_path.decode("utf-8", "surrogateescape")
            if undecodable(path):
                self.skipped.append(Skipped(shown_name(path), UNDECODABLE_NAME))
                continue
            if mode == b"160000":
                self.skipped.append(Skipped(path, "git submodule (Cloud clones submodules separately; not checked)"))
                continue
            if mode == b"120000":
                self._symlinks[path] = None
            elif mode in (b"100644", b"100755"):
                self._blobs[path] = meta.split(b" ", 2)[1]
            out.append(path)
        return out

    def _walk_files(self) -> list[str]:
        out: list[str] = []
        ignore_specs: dict[str, Any] = {}

        def ignored(rel: str, is_dir: bool) -> bool:
            probe = rel + "/" if is_dir else rel
            parts = PurePosixPath(rel).parts
            for depth in range(len(parts)):
                base = "/".join(parts[:depth])
                spec = ignore_specs.get(base)
                if spec is None:
                    continue
                sub = probe[len(base) + 1:] if base else probe
                if spec.match_file(sub):
                    return True
            return False

        # An explicit stack, not os.walk: os.walk recurses once per folder level (before Python 3.12), so a
        # 1,000-level deep tree raised RecursionError.
        stack = [""]
        while stack:
            rel_dir = stack.pop()
            dirpath = os.path.join(self.root, rel_dir) if rel_dir else str(self.root)
            try:
                with os.scandir(dirpath) as listing:
                    entries = sorted(listing, key=lambda e: e.name)
            except OSError:
                continue
            gitignore = os.path.join(dirpath, ".gitignore")
            if os.path.isfile(gitignore) and not os.path.islink(gitignore):
                try:
                    with open(gitignore, encoding="utf-8", errors="replace") as fh:
                        ignore_specs[rel_dir] = gitignore_spec(fh.read(MAX_PARSE_BYTES).splitlines())
                except OSError:
                    pass
            subdirs = []
            for entry in entries:
                name = entry.name
                rel = f"{rel_dir}/{name}" if rel_dir else name
                if undecodable(name):
                    self.skipped.append(Skipped(shown_name(rel), UNDECODABLE_NAME))
                    continue
                try:
                    is_dir = entry.is_dir()  # follows a symlink, as os.walk does when it sorts names
                    is_link = entry.is_symlink()
                except OSError:
                    is_dir, is_link = False, False
                if is_dir:
                    if name in SKIP_DIRS or os.path.isfile(os.path.join(entry.path, "pyvenv.cfg")):
                        continue
                    if is_link:
                        # A symlinked folder is listed as a file entry (git does the same) and never descended.
                        out.append(rel)
                        self._symlinks[rel] = None
                        continue
                    if ignored(rel, True):
                        continue
                    subdirs.append(rel)
                    continue
                if ignored(rel, False):
                    continue
                if is_link:
                    self._symlinks[rel] = None
                out.append(rel)
            stack.extend(reversed(subdirs))
        return out

    @cached_property
    def file_set(self) -> frozenset[str]:
        return frozenset(self.files)

    @cached_property
    def dirs(self) -> frozenset[str]:
        """Every folder that holds a listed file ('' is the root)."""
        out = {""}
        for path in self.files:
            parent = PurePosixPath(path).parent
            while str(parent) not in ("", ".") and str(parent) not in out:
                out.add(str(parent))
                parent = parent.parent
        return frozenset(out)

    @cached_property
    def casefold_index(self) -> dict[str, list[str]]:
        """Lower-cased path -> the real paths (files and folders) with that spelling."""
        index: dict[str, list[str]] = {}
        for path in (*self.files, *self.dirs):
            index.setdefault(path.lower(), []).append(path)
        return index

    def exists(self, path: str) -> bool:
        return path in self.file_set

    def is_dir(self, path: str) -> bool:
        return path.rstrip("/") in self.dirs

    @cached_property
    def _by_folder(self) -> dict[str, list[str]]:
        index: dict[str, list[str]] = {}
        for path in self.files:
            index.setdefault(path.rpartition("/")[0], []).append(path)
        return index

    @cached_property
    def _by_name(self) -> dict[str, list[str]]:
        index: dict[str, list[str]] = {}
        for path in self.files:
            index.setdefault(path.rpartition("/")[2], []).append(path)
        return index

    def files_in(self, folder: str) -> list[str]:
        """Files directly inside ``folder`` ('' for the root). Indexed once: apps ask for every entrypoint."""
        return list(self._by_folder.get(folder.rstrip("/"), ()))

    def files_named(self, name: str) -> list[str]:
        return list(self._by_name.get(name, ()))

    # ------------------------------------------------------------------ symlinks and sizes

    def symlink_target(self, path: str) -> str | None:
        """For a symlink: its target as a repo path ('.' for the root itself), '' when it points outside the
        repo. None when not a link."""
        if path not in self._symlinks:
            return None
        cached = self._symlinks[path]
        if cached is not None:
            return cached
        try:
            resolved = (self.root / path).resolve(strict=False)
            rel = resolved.relative_to(self.root).as_posix()
        except (OSError, ValueError, RuntimeError):
            rel = ""
        self._symlinks[path] = rel
        return rel

    @property
    def symlinks(self) -> list[str]:
        return sorted(self._symlinks)

    def size(self, path: str) -> int | None:
        if path not in self._sizes:
            try:
                st = os.lstat(self.root / path)
                self._sizes[path] = st.st_size if stat.S_ISREG(st.st_mode) else None
            except OSError:
                self._sizes[path] = None
        return self._sizes[path]

    # ------------------------------------------------------------------ reading

    def read_bytes(self, path: str, limit: int = MAX_PARSE_BYTES) -> bytes | None:
        """The file's bytes, or None (missing, not a regular file, a link leaving the repo, or too large)."""
        if path in self._bytes:
            data = self._bytes[path]
            if data is not _DROPPED:
                return data
            return self._reread(path, limit)
        if path not in self.file_set:
            return None  # not in the repository Cloud gets: nothing to read, nothing to report
        data: bytes | None = None
        full = self.root / path
        target = self.symlink_target(path)
        if target is not None:
            if not target:
                self._note_skip(path, "symlink pointing outside the repository (not followed)")
                self._bytes[path] = None
                return None
            full = self.root / target
        if not self._in_real_repo_dir(path if target is None else target):
            # git lists the path, but a folder on its way is now a symlink out of the repository
            self._note_skip(path, "inside a folder that is a symlink pointing outside the repository (not followed)")
            self._bytes[path] = None
            return None
        try:
            st = os.stat(full) if target else os.lstat(full)
            if not stat.S_ISREG(st.st_mode):
                self._note_skip(path, "not a regular file")
            elif st.st_size > limit:
                self._note_skip(path, f"larger than {limit // (1024 * 1024)} MiB, not parsed")
            elif self._bytes_kept + st.st_size > MAX_READ_BYTES_TOTAL:
                self._note_skip(path, f"not read: this run already holds {MAX_READ_BYTES_TOTAL // (1024 * 1024)} "
                                      f"MiB of the repository's files")
            else:
                with open(full, "rb") as fh:
                    data = fh.read(limit + 1)
                if len(data) > limit:  # grew since stat
                    self._note_skip(path, f"larger than {limit // (1024 * 1024)} MiB, not parsed")
                    data = None
                else:
                    self._bytes_kept += len(data)
        except OSError as exc:
            self._note_skip(path, f"cannot be read ({exc.strerror or exc.__class__.__name__})")
        self._bytes[path] = data
        return data

    def _reread(self, path: str, limit: int) -> bytes | None:
        """A module's bytes again, after ``prefetch_facts`` let them go (read as before, not kept)."""
        del self._bytes[path]
        try:
            return self.read_bytes(path, limit)
        finally:
            self.forget_bytes(path)

    def _in_real_repo_dir(self, path: str) -> bool:
        """The folder holding ``path`` really is inside the repository (no symlinked folder on the way)."""
        folder = posixpath.dirname(path)
        if folder not in self._real_dirs:
            real = os.path.realpath(self.root / folder)
            self._real_dirs[folder] = real == str(self.root) or real.startswith(str(self.root) + os.sep)
        return self._real_dirs[folder]

    def _note_skip(self, path: str, reason: str) -> None:
        if path not in self._skipped_paths:
            self._skipped_paths.add(path)
            self.skipped.append(Skipped(path, reason))

    def char_column(self, path: str, line: int, column: int) -> int:
        """A column ``ast`` gave in ``path`` (it counts UTF-8 bytes) as a character column (see
        ``pysource.char_columns``)."""
        from preflight.pysource import char_columns

        convert = self._char_columns.get(path)
        if convert is None:
            convert = self._char_columns[path] = char_columns(self.read_bytes(path))
        return convert(line, column)

    def text(self, path: str) -> TextFile | None:
        if path not in self._text:
            data = self.read_bytes(path)
            self._text[path] = None if data is None else decode_bytes(data)
        return self._text[path]

    def python(self, path: str) -> ast.Module | None:
        """The module's AST, or None (unreadable or a syntax error, recorded in ``parse_errors``; over the token
        limit, recorded in ``skipped``). Most rules read ``fact`` instead; the few trees asked for are kept
        while they hold fewer than PYTHON_TOKEN_BUDGET tokens together (oldest dropped first)."""
        if path in self._python:
            self._python[path] = entry = self._python.pop(path)  # most recently used last
            return entry[0]
        tree, tokens = None, 0
        data = self.read_bytes(path)
        if data is not None:
            tree, error, skip, tokens = factlib.parse(path, data)
            if error:
                self.parse_errors[path] = ParseError(path, "python", *error)
            elif skip:
                self._note_skip(path, skip)
        tokens = tokens if tree is not None else 0  # only a kept tree holds memory
        self._python[path] = (tree, tokens)
        self._python_tokens += tokens
        while self._python_tokens > PYTHON_TOKEN_BUDGET and len(self._python) > 1:
            oldest = next(iter(self._python))
            self._python_tokens -= self._python.pop(oldest)[1]
        return tree

    def _module_facts(self, path: str) -> dict[str, bytes] | None:
        found = self._facts.get(path)
        if found is None:
            data = self.read_bytes(path)
            if data is None:
                return None
            found = self._facts[path] = factlib.extract(path, data)
        return found

    def check_python(self, path: str) -> None:
        """Record the module's syntax error in ``parse_errors`` (or its not-parsed note in ``skipped``). Asked
        for the modules an app runs, so a broken script nothing imports is not reported."""
        found = self._module_facts(path)
        if found is None or path in self._facts_seen:
            return
        self._facts_seen.add(path)
        if factlib.ERROR in found:
            message, line, column = factlib.decode(found[factlib.ERROR], factlib.ERROR, path)
            self.parse_errors[path] = ParseError(path, "python", message, line, column)
        elif factlib.SKIP in found:
            self._note_skip(path, factlib.decode(found[factlib.SKIP], factlib.SKIP, path))

    def mentions(self, path: str, *words: bytes) -> bool:
        """Whether the file's bytes contain any of ``words`` (for a parsed module and words in
        ``facts.MENTIONS``, answered from its facts)."""
        if path.endswith(".py") and all(w in factlib.MENTIONS for w in words):
            mask = self.fact(path, "mentions")
            if mask is not None:
                return any(mask >> factlib.MENTIONS.index(w) & 1 for w in words)
        data = self.read_bytes(path)
        return bool(data) and factlib.may_mention(data, *words)

    def fact(self, path: str, family: str) -> Any:
        """One family of the module's facts (see ``preflight.facts``), or None when the module cannot be read
        or parsed (``check_python`` reports why). Small families that many rules ask about are decoded once."""
        if family in factlib.KEEP_DECODED:
            key = (path, family)
            if key not in self._decoded:
                self._decoded[key] = self._fact(path, family)
            return self._decoded[key]
        return self._fact(path, family)

    def _fact(self, path: str, family: str) -> Any:
        found = self._module_facts(path)
        if found is None:
            return None
        if factlib.ERROR in found or factlib.SKIP in found:
            return None
        raw = found.get(family)
        if raw is None:  # an extractor registered after this module's facts were made
            tree = self.python(path)
            if tree is None:
                return None
            found.update(factlib._run_extractors(path, tree, self.read_bytes(path) or b"", [family]))
            raw = found[family]
        return factlib.decode(raw, family, path)

    def prefetch_facts(self, cache_dir: Path | None = None, progress=None) -> None:
        """Extract the facts of every Python file at once (from the cache in ``cache_dir``, else on every
        core), so the rules only read them."""
        cache = None
        if cache_dir is not None and not self._cache_is_committed(cache_dir):
            cache = factlib.DiskCache(cache_dir)
        paths = [p for p in self.files if p.endswith(".py") and p not in self._facts]
        self._facts.update(factlib.extract_all(self, paths, cache, progress))
        if cache is not None:
            cache.save()

    def git_blob(self, path: str) -> bytes | None:
        """Git's hash of the file as the work tree holds it: known without reading it when git lists the file
        as a regular file the work tree has not changed (``git diff-files``); else None."""
        blob = self._blobs.get(path)
        if blob is None or path in self._worktree_changes:
            return None
        return blob

    @cached_property
    def _worktree_changes(self) -> frozenset[str] | _Everything:
        """Paths whose work-tree file differs from git's index (all of them when git cannot tell)."""
        try:
            proc = subprocess.run(
                ["git", "-c", "safe.directory=*", "-c", "core.fsmonitor=false", "-C", str(self.root),
                 "diff-files", "-z", "--name-only"],
                capture_output=True, timeout=120, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return _Everything()
        if proc.returncode != 0:
            return _Everything()
        return frozenset(p.decode("utf-8", "surrogateescape") for p in proc.stdout.split(b"\x00") if p)

    def forget_bytes(self, path: str) -> None:
        """Let a module's bytes go once its facts are known (a 50,000-module repository holds 200 MB of
        Python); the few rules that want them again read the file again."""
        data = self._bytes.get(path)
        if data is not None and data is not _DROPPED:
            self._bytes_kept -= len(data)
            self._bytes[path] = _DROPPED

    def _cache_is_committed(self, cache_dir: Path) -> bool:
        """A cache folder the repository itself holds is not trusted (a pull request could plant facts)."""
        try:
            rel = cache_dir.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return False
        prefix = rel + "/"
        return any(f.startswith(prefix) for f in self.files)

    def toml(self, path: str) -> dict | None:
        """Parsed TOML, or None (unreadable or invalid, recorded in ``parse_errors``)."""
        if path in self._toml:
            return self._toml[path]
        data = None
        text = self.text(path)
        if text is not None:
            try:
                import tomllib
            except ModuleNotFoundError:  # pragma: no cover - Python < 3.11
                import tomli as tomllib  # type: ignore[no-redef]
            try:
                data = tomllib.loads(text.text)
            except tomllib.TOMLDecodeError as exc:
                line, col = _toml_position(str(exc))
                self.parse_errors[path] = ParseError(path, "toml", f"invalid TOML: {exc}", line, col)
            except RecursionError:
                self.parse_errors[path] = ParseError(path, "toml", "invalid TOML: nested too deeply")
        self._toml[path] = data
        return data

    def yaml(self, path: str) -> Any:
        """Parsed YAML (safe loader), or None (unreadable or invalid, recorded in ``parse_errors``)."""
        if path in self._yaml:
            return self._yaml[path]
        data = None
        text = self.text(path)
        if text is not None:
            import yaml  # imported lazily: most runs never read YAML

            try:
                data = yaml.safe_load(text.text)
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                line = mark.line + 1 if mark is not None else None
                problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
                self.parse_errors[path] = ParseError(path, "yaml", f"invalid YAML: {problem}", line)
            except RecursionError:
                self.parse_errors[path] = ParseError(path, "yaml", "invalid YAML: nested too deeply")
        self._yaml[path] = data
        return data


def _toml_position(message: str) -> tuple[int | None, int | None]:
    """tomllib reports '(at line 3, column 7)'."""
    import re

    match = re.search(r"at line (\d+), column (\d+)", message)
    if match:
        return int(match.group(1)), int(match.group(2))
    return None, None
