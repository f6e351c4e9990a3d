"""Resolve the dependency file Cloud uses, with uv, the way Cloud will: Cloud's Python, x86-64 Linux, wheels only.

Nothing from the checked repository is imported, built or run. cloud-preflight writes its own input for uv from
the rows :mod:`preflight.depfiles` parsed (so ``-r`` includes stay inside the repository and every line maps back
to the file and line it came from), runs ``uv pip compile`` in a scratch folder with ``--no-build`` (no sdist is
built, so no package code runs, whatever a pull request names), ``--no-config`` (no uv.toml is read),
``--python-version`` Cloud's Python and ``--python-platform`` the manylinux of the Debian release Cloud runs,
and reads uv's answer:

- a requirement with no wheel for that Python and platform (Cloud would try to build it from source), and the
  newest version that has one;
- a version that does not exist, a package the index does not have, a yanked release;
- requirements that cannot be installed together (uv's derivation names the pins and the ranges, Streamlit's
  own included);
- with a known-good resolution from an earlier run in the cache: a new major version of a package the file
  does not pin.

Exact pins (``numpy==1.24.4``, a lock's versions) are judged first, all at once, from the index's file lists (PEP
691 JSON or PEP 503 pages, fetched 8 at a time): wheel tags against CPython on manylinux x86-64, Requires-Python
(upper bounds too, which uv ignores), versions that do not exist. A release with only an sdist, or with wheels
only for Windows/macOS next to an sdist, is not a problem: Linux installs build it by design. A lock's versions
are judged only for the packages uv picks for the manifest alone (not the Windows-only or dev ones). Then uv
resolves the rest; it stops at the first problem, so the requirement behind it is left out and uv runs again,
at most :data:`MAX_ROUNDS` times, within the time limit. uv's answers are checked against the file lists too: a
"no wheel" for a requirement whose own range has one is a conflict, and a conflict through a range that has no
wheel at all is that requirement's missing wheel. What each file kind contributes:

==================  ===========================================================================================
requirements.txt    its requirement lines, ``-r`` includes inside the repository, ``-c`` constraint files,
                    ``--index-url``/``--extra-index-url``/``--find-links`` (a folder inside the repository),
                    ``--no-index``, ``--pre``; markers are evaluated by uv for Cloud's Linux
Pipfile             ``[packages]`` (not ``[dev-packages]``), ``[[source]]`` indexes; the versions locked in
                    ``Pipfile.lock`` (``default``) constrain the resolution, as pipenv installs from the lock
pyproject.toml      Poetry ``[tool.poetry.dependencies]`` and the ``main`` group (PEP 621 ``[project]``
                    dependencies too), ``[[tool.poetry.source]]``; ``poetry.lock`` versions constrain it
uv.lock             ``[project]`` dependencies and default groups of the ``pyproject.toml`` beside it, every
                    version in the lock as a constraint, ``[[tool.uv.index]]``
environment.yml     the ``pip:`` section only, for the ``python=`` the file names (else Cloud's Python); conda
                    packages come from conda channels, which uv cannot read
==================  ===========================================================================================

Not checked: URL, VCS, local-path and editable requirements (uv would have to fetch or build them; CP303/CP304
look at them), ``[dev-packages]``/dev groups Cloud does not install, Poetry constraints with ``||``, a uv.lock
without its pyproject.toml, and conda packages. A lock that no longer matches its manifest (a requirement not
locked, or locked outside its range) is not used: pipenv and uv lock again, poetry stops (CP1xx).

The package index is uv's default (PyPI) unless ``UV_INDEX_URL``/``UV_DEFAULT_INDEX`` (read by uv) or
``PIP_INDEX_URL``/``PIP_EXTRA_INDEX_URL`` (passed on to uv) say otherwise, plus the indexes the file names.
Results are cached in the cache folder (``--cache-dir``, ``$CLOUD_PREFLIGHT_CACHE_DIR``, else
``.cloud-preflight-cache/`` in the repository root) under a key made of the input (the file's requirements and
options), the Python, the platform, the index settings and uv's version, for :data:`CACHE_HOURS` hours. uv's
own cache lives there too, so one folder is what a CI cache step keeps. When the index cannot be reached or
uv does not finish in time, the check says so once and the rest of the run is not affected.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from packaging.markers import InvalidMarker, Marker
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from preflight import cachedir, data, depfiles
from preflight.cachedir import cache_dir_for
from preflight.depfiles import DependencyFile, Requirement

if TYPE_CHECKING:
    from preflight.apps import App
    from preflight.config import Config
    from preflight.project import Project

CACHE_HOURS = 24  # a resolution of unpinned requirements changes as releases appear: re-resolve daily
CACHE_FORMAT = 1
DEFAULT_TIMEOUT = 60.0
MAX_ROUNDS = 8  # uv reports one problem per run; at most this many runs per dependency file
# The newest glibc each Debian release Cloud runs provides, as the manylinux platform uv resolves for (uv knows
# x86_64-manylinux_2_17 .. _2_40). Releases from cloud_platform.toml `debian-releases`: bookworm glibc 2.36,
# trixie glibc 2.41 (build logs of 2025-12-03 and 2026-07-22). TODO(data): a `glibc` key in cloud_platform.toml.
GLIBC = {"bullseye": "2_31", "bookworm": "2_36", "trixie": "2_40"}
DEFAULT_GLIBC = "2_36"
# Environment variables that change what uv sees; they are part of the cache key (values hashed, never stored).
INDEX_ENV = ("UV_INDEX_URL", "UV_DEFAULT_INDEX", "UV_INDEX", "UV_EXTRA_INDEX_URL", "UV_FIND_LINKS",
             "UV_INDEX_STRATEGY", "UV_NO_INDEX", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "UV_PRERELEASE",
             "UV_EXCLUDE_NEWER")
_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"


# --------------------------------------------------------------------------- what is resolved


@dataclass(frozen=True)
class InputLine:
    """One line of the input cloud-preflight writes for uv, with the row it came from (None: added by us)."""

    text: str
    name: str
    origin: Requirement | None = None
    constraint: bool = False

    @property
    def where(self) -> str:
        if self.origin is None:
            return ""
        return f"{self.origin.path}:{self.origin.line}" if self.origin.line else self.origin.path


@dataclass
class Input:
    requirements: list[InputLine] = field(default_factory=list)
    constraints: list[InputLine] = field(default_factory=list)
    options: list[str] = field(default_factory=list)  # uv command-line options from the file (indexes)
    links: list[str] = field(default_factory=list)  # --find-links folders as written in the file (for messages)
    python: str | None = None  # a Python the file itself chooses (environment.yml), else Cloud's
    skipped: list[Requirement] = field(default_factory=list)  # rows that are not resolved (URLs, paths, ...)
    added_streamlit: bool = False
    unsupported: str | None = None  # why nothing can be resolved

    def lines(self) -> list[InputLine]:
        return [*self.requirements, *self.constraints]

    def declared(self, name: str) -> InputLine | None:
        for line in self.requirements:
            if line.name == name and line.origin is not None:
                return line
        return None

    def for_name(self, name: str) -> InputLine | None:
        """Where a package is written: its requirement, else a lock's constraint."""
        return self.declared(name) or next((c for c in self.constraints if c.name == name), None)


def _req_text(req: Requirement) -> str | None:
    """A PEP 508 line for a parsed row, None when it cannot be written as one."""
    if req.kind not in ("name", "conda") or not req.raw_name:
        return None
    spec = (req.specifier or "").strip()
    if req.kind == "conda":
        return None
    if spec:
        try:
            SpecifierSet(spec)
        except InvalidSpecifier:
            return None
    extras = f"[{','.join(req.extras)}]" if req.extras else ""
    text = f"{req.raw_name}{extras}{spec}"
    if req.marker:
        try:
            Marker(req.marker)
        except InvalidMarker:
            return None
        text += f" ; {req.marker}"
    return text


def _add_rows(out: Input, rows: list[Requirement], *, constraint: bool = False) -> None:
    for req in rows:
        if not req.is_runtime:
            continue
        text = _req_text(req)
        if text is None:
            if req.kind in ("url", "path", "editable", "invalid", "name"):
                out.skipped.append(req)
            continue
        line = InputLine(text, req.name, req, constraint)
        (out.constraints if constraint else out.requirements).append(line)


def _safe_url(url: str) -> str:
    """A URL without its credentials, for messages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unreadable URL>"
    if parts.username or parts.password:
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        return urlunsplit((parts.scheme, f"***@{host}", parts.path, parts.query, parts.fragment))
    return url


def _index_option(project: Project, depfile_dir: str, req: Requirement, out: Input) -> None:
    """Carry an index option of a requirements file over to uv (only URLs, and folders inside the repository)."""
    text = req.text.strip()
    head, _, rest = text.partition(" ")
    if "=" in head and head.startswith("--"):
        head, _, value = head.partition("=")
        rest = value + " " + rest
    value = rest.strip().split(" ", 1)[0] if rest.strip() else ""
    if head in ("-i", "--index-url", "--extra-index-url"):
        if re.match(r"^https?://", value):
            out.options += ["--index-url" if head != "--extra-index-url" else "--extra-index-url", value]
    elif head in ("-f", "--find-links"):
        if re.match(r"^https?://", value):
            out.options += ["--find-links", value]
        elif value and not value.startswith(("/", "~")) and ":" not in value:
            folder = posixpath.normpath(posixpath.join(depfile_dir, value))
            if not folder.startswith("..") and project.is_dir(folder):
                out.options += ["--find-links", str(project.root / folder)]
                out.links.append(folder)
    elif head == "--no-index":
        out.options.append("--no-index")
    elif head == "--pre":
        out.options += ["--prerelease", "allow"]


def _sources(urls: list[tuple[str, bool]], out: Input) -> None:
    """(url, is_default) pairs -> uv index options."""
    default_given = False
    for url, is_default in urls:
        if not isinstance(url, str) or not re.match(r"^https?://", url):
            continue
        if is_default and not default_given:
            out.options += ["--index-url", url]
            default_given = True
        else:
            out.options += ["--extra-index-url", url]


def _lock_rows_pipfile(project: Project, path: str) -> list[Requirement]:
    text = project.text(path)
    if text is None:
        return []
    try:
        lock = json.loads(text.text)
    except ValueError:
        return []
    default = lock.get("default") if isinstance(lock, dict) else None
    if not isinstance(default, dict):
        return []
    rows = []
    for raw_name, entry in default.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("version"), str):
            continue
        line = depfiles.string_line(text.text, f'"{raw_name}": {{')
        marker = entry.get("markers") if isinstance(entry.get("markers"), str) else None
        rows.append(Requirement("name", path, line, f"{raw_name} {entry['version']}", name=canonicalize_name(raw_name),
                                raw_name=raw_name, specifier=entry["version"], marker=marker))
    return rows


def _lock_rows_toml(project: Project, path: str) -> list[Requirement]:
    """[[package]] name/version rows of a poetry.lock or uv.lock, a name locked at several versions left out."""
    data_ = project.toml(path)
    text = project.text(path)
    if not isinstance(data_, dict) or text is None or not isinstance(data_.get("package"), list):
        return []
    lines = text.text.splitlines()
    name_lines: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        match = re.match(r'^name = "([^"]+)"', line)
        if match and number > 1 and lines[number - 2].strip() == "[[package]]":
            name_lines.setdefault(match.group(1), number)
    versions: dict[str, list[tuple[str, str]]] = {}
    for package in data_["package"]:
        if not isinstance(package, dict) or not isinstance(package.get("name"), str):
            continue
        source = package.get("source") if isinstance(package.get("source"), dict) else {}
        if any(k in source for k in ("virtual", "editable", "directory", "path", "git", "url")):
            continue
        if isinstance(package.get("version"), str):
            versions.setdefault(package["name"], []).append((package["name"], package["version"]))
    rows = []
    for raw_name, found in versions.items():
        if len({v for _, v in found}) != 1:
            continue  # a forked lock (one version per Python range): not constrained
        version = found[0][1]
        rows.append(Requirement("name", path, name_lines.get(raw_name), f"{raw_name} {version}",
                                name=canonicalize_name(raw_name), raw_name=raw_name, specifier=f"=={version}"))
    return rows


def _lock_fits(manifest: list[Requirement], lock: list[Requirement], forked: set[str]) -> bool:
    """Whether a lock still matches its manifest: every runtime requirement locked, at a version it allows.
    A stale lock is not what Cloud installs (pipenv and uv lock again; poetry stops, which CP1xx reports)."""
    locked = {r.name: r.specifier.lstrip("=") for r in lock}
    for req in manifest:
        if not req.is_runtime or req.kind != "name" or not req.name or req.name in forked:
            continue
        if req.name not in locked:
            return False
        try:
            if req.specifier and not SpecifierSet(req.specifier).contains(locked[req.name], prereleases=True):
                return False
        except (InvalidSpecifier, InvalidVersion):
            continue
    return True


def sibling_lock_rows(project: Project, depfile: depfiles.DependencyFile) -> list[Requirement]:
    """The pins of the lock beside a Pipfile (Pipfile.lock) or a Poetry pyproject.toml (poetry.lock) that Cloud
    installs from: [] without a lock, or when the lock no longer fits its manifest (pipenv then locks again)."""
    name = {"Pipfile": "Pipfile.lock", "pyproject.toml": "poetry.lock"}.get(depfile.filename)
    if name is None:
        return []
    folder = posixpath.dirname(depfile.path)
    lock = posixpath.join(folder, name) if folder else name
    if not project.exists(lock):
        return []
    if name == "Pipfile.lock":
        rows, forked = _lock_rows_pipfile(project, lock), set()
    else:
        rows, forked = _lock_rows_toml(project, lock), _forked(project, lock)
    return rows if rows and _lock_fits(depfile.requirements, rows, forked) else []


def _forked(project: Project, path: str) -> set[str]:
    data_ = project.toml(path)
    seen: dict[str, set[str]] = {}
    for package in data_.get("package", []) if isinstance(data_, dict) else []:
        if isinstance(package, dict) and isinstance(package.get("name"), str):
            seen.setdefault(canonicalize_name(package["name"]), set()).add(str(package.get("version")))
    return {name for name, versions in seen.items() if len(versions) > 1}


def build_input(project: Project, depfile: DependencyFile) -> Input:
    """What uv resolves for ``depfile``, every line mapped to the row it came from."""
    out = Input()
    filename = depfile.filename
    folder = posixpath.dirname(depfile.path)
    sibling = (lambda name: posixpath.join(folder, name) if folder else name)  # noqa: E731
    if filename == "requirements.txt":
        for req in depfile.requirements:
            if req.kind == "option":
                _index_option(project, posixpath.dirname(req.path), req, out)
            elif req.kind == "constraint" and req.url and not re.match(r"^[a-z+]+://", req.url):
                target = posixpath.normpath(posixpath.join(posixpath.dirname(req.path), req.url))
                if project.exists(target):
                    _add_rows(out, depfiles.parse_requirements_txt(project, target).requirements, constraint=True)
        _add_rows(out, [r for r in depfile.requirements if r.kind != "option"])
    elif filename == "Pipfile":
        _add_rows(out, depfile.requirements)
        pipfile = project.toml(depfile.path) or {}
        sources = pipfile.get("source") if isinstance(pipfile.get("source"), list) else []
        _sources([(s.get("url"), i == 0) for i, s in enumerate(sources) if isinstance(s, dict)], out)
        _add_rows(out, sibling_lock_rows(project, depfile), constraint=True)
    elif filename == "pyproject.toml":
        _add_rows(out, depfile.requirements)
        pyproject = project.toml(depfile.path) or {}
        tool = pyproject.get("tool") if isinstance(pyproject.get("tool"), dict) else {}
        poetry = tool.get("poetry") if isinstance(tool.get("poetry"), dict) else {}
        sources = poetry.get("source") if isinstance(poetry.get("source"), list) else []
        _sources([(s.get("url"), str(s.get("priority", "")) in ("primary", "default") or s.get("default") is True)
                  for s in sources if isinstance(s, dict)], out)
        _add_rows(out, sibling_lock_rows(project, depfile), constraint=True)
    elif filename == "uv.lock":
        manifest = sibling("pyproject.toml")
        if not project.exists(manifest):
            out.unsupported = f"{depfile.path} has no pyproject.toml beside it"
            return out
        parsed = depfiles.parse_pyproject(project, manifest)
        _add_rows(out, parsed.requirements)
        pyproject = project.toml(manifest) or {}
        tool = pyproject.get("tool") if isinstance(pyproject.get("tool"), dict) else {}
        uv = tool.get("uv") if isinstance(tool.get("uv"), dict) else {}
        indexes = uv.get("index") if isinstance(uv.get("index"), list) else []
        _sources([(i.get("url"), i.get("default") is True) for i in indexes
                  if isinstance(i, dict) and i.get("explicit") is not True], out)
        rows = _lock_rows_toml(project, depfile.path)
        if _lock_fits(parsed.requirements, rows, _forked(project, depfile.path)):
            _add_rows(out, rows, constraint=True)
    elif filename == "environment.yml":
        pip_rows = [r for r in depfile.requirements if r.kind not in ("conda", "python")]
        for req in pip_rows:
            if req.kind == "option":
                _index_option(project, folder, req, out)
        _add_rows(out, [r for r in pip_rows if r.kind != "option"])
        if depfile.python and re.fullmatch(r"3\.\d+(\.\d+|\.\*)?", depfile.python.strip()):
            out.python = ".".join(depfile.python.strip().split(".")[:2])
        if not out.requirements:
            out.unsupported = f"{depfile.path} has no pip: section (conda packages are not resolved)"
            return out
    else:
        out.unsupported = f"{depfile.path} is not a dependency file cloud-preflight resolves"
        return out
    if not any(line.name in ("streamlit", "streamlit-nightly") for line in out.requirements):
        out.requirements.append(InputLine("streamlit", "streamlit"))  # Cloud installs it
        out.added_streamlit = True
    return out


# --------------------------------------------------------------------------- the target


@dataclass(frozen=True)
class Target:
    python: str  # "3.14"
    platform: str  # uv's --python-platform, e.g. "x86_64-manylinux_2_40"

    @property
    def describe(self) -> str:
        return f"Python {self.python} on x86-64 Linux ({self.platform.split('-', 1)[1]})"


def target_for(config: Config, file_python: str | None = None) -> Target | None:
    from preflight.pythons import cloud_python

    python = file_python
    if python is None:
        cloud = cloud_python(config)
        python = cloud.version if cloud else None
    if python is None:
        return None
    releases = data.cloud().get("debian-releases")
    newest = releases[-1] if isinstance(releases, list) and releases else None
    glibc = GLIBC.get(newest, DEFAULT_GLIBC) if isinstance(newest, str) else DEFAULT_GLIBC
    return Target(python, f"x86_64-manylinux_{glibc}")


# --------------------------------------------------------------------------- running uv


@dataclass
class UvRun:
    returncode: int | None  # None: did not finish (timeout) or could not start
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    error: str | None = None  # could not start


UV_ENV = "CLOUD_PREFLIGHT_UV"
_UNPACKED: dict[str, str] = {}


def _unpack(packed: str) -> str | None:
    """An xz-compressed uv (the Action's image keeps it so: 12 MB instead of 38) unpacked once per process into
    a temporary folder that is removed at exit."""
    import atexit
    import lzma

    if packed in _UNPACKED and os.path.isfile(_UNPACKED[packed]):
        return _UNPACKED[packed]
    folder = tempfile.mkdtemp(prefix="cloud-preflight-uv-")
    atexit.register(shutil.rmtree, folder, True)
    target = os.path.join(folder, "uv")
    try:
        with lzma.open(packed) as source, open(target, "wb") as sink:
            shutil.copyfileobj(source, sink, 1 << 20)
        os.chmod(target, 0o755)
    except (OSError, lzma.LZMAError):
        return None
    _UNPACKED[packed] = target
    return target


def find_uv() -> str | None:
    """``$CLOUD_PREFLIGHT_UV`` (a uv binary, or one compressed with xz), else the binary of the pinned ``uv``
    package, else one on PATH."""
    given = os.environ.get(UV_ENV, "").strip()
    if given:
        if given.endswith(".xz"):
            return _unpack(given) if os.path.isfile(given) else None
        return given if os.path.isfile(given) else None
    try:
        from uv import find_uv_bin  # the package is pinned in pyproject.toml

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def run_uv(args: list[str], *, timeout: float, env: dict[str, str], cwd: str) -> UvRun:
    """The one place uv is invoked (tests count the calls). ``args`` start after the binary."""
    binary = find_uv()
    if binary is None:
        return UvRun(None, error="uv is not installed (pip install uv)")
    try:
        proc = subprocess.Popen([binary, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, env=env, cwd=cwd, text=True, encoding="utf-8",
                                errors="replace", start_new_session=True)
    except OSError as exc:
        return UvRun(None, error=f"uv could not be started: {exc.strerror or exc}")
    try:
        stdout, stderr = proc.communicate(timeout=max(timeout, 0.1))
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            proc.kill()
        stdout, stderr = proc.communicate()
        return UvRun(None, stdout, stderr, timed_out=True)
    return UvRun(proc.returncode, stdout, stderr)



def uv_version() -> str:
    """The uv package's version (part of the cache key: its messages are what is parsed), without running uv."""
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version("uv")
    except (ImportError, PackageNotFoundError):
        binary = shutil.which("uv")
        if binary is None:
            return "none"
        try:
            stat = os.stat(binary)
        except OSError:
            return binary
        return f"{binary}:{stat.st_size}:{int(stat.st_mtime)}"


# uv's own variables that choose indexes, credentials and TLS are kept; every other UV_* and PIP_* is dropped
# so that a developer's uv or pip settings (constraints, overrides, Python requests) do not change the answer.
_UV_KEEP = re.compile(r"^UV_(INDEX_URL|DEFAULT_INDEX|INDEX|EXTRA_INDEX_URL|FIND_LINKS|INDEX_STRATEGY|KEYRING_PROVIDER|"
                      r"NATIVE_TLS|SYSTEM_CERTS|INSECURE_HOST|HTTP_TIMEOUT|INDEX_[A-Z0-9_]+_(USERNAME|PASSWORD)|"
                      r"PRERELEASE|EXCLUDE_NEWER)$")


def uv_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment uv runs with: PIP_INDEX_URL/PIP_EXTRA_INDEX_URL translated when uv's own are not set."""
    source = dict(os.environ if base is None else base)
    env = {k: v for k, v in source.items() if not k.startswith(("UV_", "PIP_", "VIRTUAL_ENV", "CONDA_"))}
    env.update({k: v for k, v in source.items() if _UV_KEEP.match(k)})
    if not (env.get("UV_INDEX_URL") or env.get("UV_DEFAULT_INDEX")) and source.get("PIP_INDEX_URL"):
        env["UV_INDEX_URL"] = source["PIP_INDEX_URL"]
    if not env.get("UV_EXTRA_INDEX_URL") and source.get("PIP_EXTRA_INDEX_URL"):
        env["UV_EXTRA_INDEX_URL"] = source["PIP_EXTRA_INDEX_URL"]
    if source.get("PIP_CERT") and not source.get("SSL_CERT_FILE"):
        env["SSL_CERT_FILE"] = source["PIP_CERT"]
    env.update({"UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1", "UV_HTTP_RETRIES": "1", "NO_COLOR": "1",
                "UV_NO_CONFIG": "1"})
    return env


def index_description(env: dict[str, str], options: list[str], links: list[str] | None = None) -> str:
    """Where packages come from, for messages (credentials removed; repository folders as repo paths)."""
    urls = [options[i + 1] for i, o in enumerate(options[:-1]) if o in ("--index-url", "--extra-index-url")]
    if "--no-index" in options:
        remote = [options[i + 1] for i, o in enumerate(options[:-1]) if o == "--find-links"
                  and re.match(r"^https?://", options[i + 1])]
        urls = [*remote, *(f"{link}/" for link in links or [])] or ["no index"]
    if not urls:
        first = env.get("UV_INDEX_URL") or env.get("UV_DEFAULT_INDEX")
        urls = [first] if first else ["PyPI"]
    return ", ".join(_safe_url(u) for u in urls)


def _interpreter() -> list[str]:
    """uv needs an interpreter even to resolve for another Python; naming this one spares it a search of PATH."""
    import sys

    return ["--python", sys.executable] if sys.executable and os.path.isfile(sys.executable) else []


def _compile_args(target: Target, options: list[str], cache: Path | None, *, no_deps: bool = False) -> list[str]:
    args = ["pip", "compile", "requirements.in", "--no-config", "--no-build", "--no-header", "--no-annotate",
            "--color", "never", "--python-version", target.python, "--python-platform", target.platform,
            "--no-python-downloads", *_interpreter()]
    args += ["--cache-dir", str(cache)] if cache is not None else ["--no-cache"]
    if no_deps:
        args.append("--no-deps")
    return args + options


# --------------------------------------------------------------------------- reading uv's answer


@dataclass
class Problem:
    """One reason the file cannot be installed, as uv explained it.

    ``kind``: ``no-wheel`` (no wheel for the Python/platform), ``python`` (Requires-Python excludes Cloud's
    Python), ``missing`` (no such version), ``not-found`` (no such package), ``yanked`` (only yanked releases
    match), ``conflict`` (requirements that cannot be installed together) or ``unsatisfiable`` (uv's answer was
    not understood; ``detail`` quotes it). ``at`` is the name of the input line it belongs to ("" = the file).
    """

    kind: str
    package: str
    spec: str = ""
    at: str = ""
    involved: list[str] = field(default_factory=list)
    edges: list[list[str]] = field(default_factory=list)  # [package, spec, dependency, its range]
    tag: str = ""  # "platform tag", "Python ABI tag", ... when uv says which tag no wheel matches
    hint: str = ""
    detail: str = ""
    requires_python: str = ""
    newest: str | None = None  # newest version with a wheel for the target ("" = none, None = not asked)
    wheels: str = ""  # what the matching releases have wheels for, e.g. "Linux x86-64 wheels for cp38 to cp311"
    no_wheel: list[str] = field(default_factory=list)  # ranges uv found without a wheel on the way ("numpy<2")


_SPEC = r"(?:\[[^\]]*\])?(?:[=<>!~][^\s]*)?"
_RE_NO_WHEEL = re.compile(rf"(?:all versions of )?(?P<pkg>{_NAME})(?P<spec>{_SPEC}) (?:has|have) no "
                          r"(?:usable wheels|wheels with a matching (?P<tag>[A-Za-z ]+? tag))")
_RE_MISSING = re.compile(rf"there (?:is no version|are no versions) of (?P<pkg>{_NAME})(?P<spec>{_SPEC})")
_RE_NOT_FOUND = re.compile(rf"(?P<pkg>{_NAME}) was not found in the (?:package registry|provided package locations)")
_RE_ONLY = re.compile(rf"only (?P<pkg>{_NAME})(?P<spec>{_SPEC}) (?:is|are) available")
_RE_YANKED = re.compile(rf"(?P<pkg>{_NAME})(?P<spec>{_SPEC}) (?:was|were|is) yanked")
_RE_PYTHON = re.compile(rf"(?P<pkg>{_NAME})(?P<spec>{_SPEC}) (?:depends on|requires) Python ?(?P<py>[^\s]+)")
_RE_REQUIRE = re.compile(rf"you require (?P<pkg>{_NAME})(?P<spec>{_SPEC})")
_RE_REQUIRE_LIST = re.compile(r"you require (.+?)(?:, we can conclude|, and you require|\. |\.$|$)")
_RE_DEPENDS = re.compile(rf"(?:all versions of |all of: )?(?P<pkg>{_NAME})(?P<spec>{_SPEC}) depends? on "
                         rf"(?P<dep>{_NAME})(?P<depspec>{_SPEC})")
_RE_YANKED_WARNING = re.compile(rf"`(?P<pkg>{_NAME})==(?P<ver>[^`]+)` is yanked"
                                r"(?: \(reason: \"?(?P<reason>.*?)\"?\))?$", re.MULTILINE)
_NETWORK = ("Failed to fetch", "error sending request", "tcp connect error", "dns error", "Connection refused",
            "operation timed out", "Failed to read `--find-links`", "Could not connect", "connection reset",
            "client error (Connect)", "Request failed after", "Failed to download", "invalid peer certificate",
            "certificate verify failed", "HTTP status client error (401", "HTTP status client error (403")


def _clean(spec: str) -> str:
    return spec.rstrip(".,:;")


def _derivation(stderr: str) -> tuple[str, str]:
    """(the derivation text on one line, the hints) from uv's error output."""
    text = stderr.split("No solution found when resolving dependencies", 1)[-1]
    body, _, hints = text.partition("\nhint:")
    lines = []
    for raw in body.splitlines():
        line = raw.strip()
        if not line or line.startswith("warning:"):
            continue
        line = re.sub(r"^(cause:|╰─▶|\\?─?▶)\s*", "", line).strip()
        lines.append(line)
    hint = " ".join(h.strip() for h in ("hint:" + hints).split("hint:") if h.strip()) if hints else ""
    return " ".join(lines).replace(": ", ": ").strip(), hint.replace("`", "")


def network_failure(stderr: str) -> str | None:
    """The reason uv could not reach an index, None when it did."""
    if "No solution found when resolving dependencies" in stderr and "Failed to fetch" not in stderr:
        return None
    if not any(marker in stderr for marker in _NETWORK):
        return None
    url = re.search(r"(?:Failed to fetch|Failed to download|for url) [`(]?(?P<url>[a-z+]+://[^\s`)]+)", stderr)
    causes = [c.strip() for c in re.findall(r"cause: (.*)", stderr)]
    last = causes[-1] if causes else stderr.strip().splitlines()[-1] if stderr.strip() else "no answer"
    # The index, not the page of whichever package uv asked for first (that varies from run to run).
    where = _safe_url(re.sub(r"(?<=/)[^/]+/$", "", url.group("url"))) if url else "the package index"
    return f"{where} could not be reached ({last})"


def diagnose(stderr: str, active: list[InputLine]) -> Problem | None:
    """Turn uv's "No solution found" explanation into one :class:`Problem` (None: not understood).

    A missing wheel, version or package is the problem of the requirement that names it (an exact pin), or of
    the one requirement that needs it; when uv's derivation ends with two or more requirements ("you require A
    and B"), they are a conflict, and the missing wheels it went through are listed with it."""
    if "No solution found when resolving dependencies" not in stderr:
        return None
    text, hint = _derivation(stderr)
    names = {line.name for line in active}
    exact = {line.name for line in active if _exact(line.text)}
    required = []
    for clause in _RE_REQUIRE_LIST.finditer(text):
        for item in re.split(r",\s*|\s+and\s+", clause.group(1)):
            match = re.match(rf"\s*({_NAME})", item)
            name = canonicalize_name(match.group(1)) if match else ""
            if name and name not in required and name in names:
                required.append(name)
    edges = [[canonicalize_name(m.group("pkg")), _clean(m.group("spec")), canonicalize_name(m.group("dep")),
              _clean(m.group("depspec"))] for m in _RE_DEPENDS.finditer(text)]
    edges = [e for e in edges if e[2] != "python"]
    no_wheel = []
    for match in _RE_NO_WHEEL.finditer(text):
        fact = f"{canonicalize_name(match.group('pkg'))}{_clean(match.group('spec') or '')}"
        if fact not in no_wheel:
            no_wheel.append(fact)
    leaf = None
    for kind, regex in (("python", _RE_PYTHON), ("no-wheel", _RE_NO_WHEEL), ("not-found", _RE_NOT_FOUND),
                        ("missing", _RE_MISSING), ("yanked", _RE_YANKED)):
        match = regex.search(text)
        if match:
            leaf = (kind, match)
            break
    if leaf is None and len(required) == 1:
        only = _RE_ONLY.search(text)
        if only:  # "only foo<=1.2 is available and you require foo>2"
            leaf = ("missing", _RE_REQUIRE.search(text))
    if leaf is not None:
        kind, match = leaf
        package = canonicalize_name(match.group("pkg"))
        spec = _clean(match.groupdict().get("spec") or "")
        others = [r for r in required if r != package]
        declared_pin = package in names and (package in exact or kind in ("not-found", "missing")) and \
            (not others or kind in ("not-found", "missing") or spec.startswith("=="))
        if declared_pin or (package not in names and len(others) == 1) or (package in names and not others):
            problem = Problem(kind, package, spec, detail=text, hint=hint, edges=edges,
                              tag=(match.groupdict().get("tag") or ""), no_wheel=no_wheel)
            if kind == "python":
                problem.requires_python = _clean(match.group("py"))
            if package in names and (declared_pin or not others):
                problem.at = package
            else:
                problem.at = others[0]
                for edge in edges:
                    if edge[0] == problem.at and edge[2] == package and edge[3]:
                        problem.spec = edge[3]
                        break
            return problem
    if not required:
        return Problem("unsatisfiable", "", detail=text, hint=hint, edges=edges, no_wheel=no_wheel)
    at = required[-1]
    if at in ("streamlit", "streamlit-nightly") and len(required) > 1:
        at = next(r for r in reversed(required) if r not in ("streamlit", "streamlit-nightly"))
    return Problem("conflict", at, at=at, involved=[r for r in required if r != at], edges=edges, detail=text,
                   hint=hint, no_wheel=no_wheel)


def parse_pins(stdout: str) -> dict[str, str]:
    pins = {}
    for line in stdout.splitlines():
        match = re.match(rf"^({_NAME})(?:\[[^\]]*\])?==([^\s;]+)", line.strip())
        if match and not line.startswith((" ", "#")):
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


# --------------------------------------------------------------------------- the index's file lists

_LEGACY_MANYLINUX = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}


def target_tags(target: Target) -> frozenset:
    """Wheel tags pip/uv accept for CPython ``target.python`` on x86-64 manylinux up to the target's glibc."""
    from packaging.tags import compatible_tags, cpython_tags

    major, minor = (int(x) for x in target.python.split(".")[:2])
    glibc = int(target.platform.rsplit("_", 1)[1])
    platforms = []
    for m in range(glibc, 4, -1):
        platforms.append(f"manylinux_2_{m}_x86_64")
        if m in _LEGACY_MANYLINUX:
            platforms.append(f"{_LEGACY_MANYLINUX[m]}_x86_64")
    platforms.append("linux_x86_64")
    return frozenset([*cpython_tags((major, minor), platforms=platforms),
                      *compatible_tags((major, minor), f"cp{major}{minor}", platforms)])


@dataclass(frozen=True)
class IndexFile:
    filename: str
    version: Version
    tags: frozenset | None  # None: an sdist
    requires_python: str | None = None
    yanked: bool = False


def _interpreter_key(interpreter: str) -> tuple[int, int, str]:
    match = re.match(r"^[a-z]+(\d)(\d*)", interpreter)
    if not match:
        return (0, 0, interpreter)
    return (int(match.group(1)), int(match.group(2) or 0), interpreter)


def wheel_summary(wheels: list[IndexFile]) -> str:
    """What wheels there are, in words: the CPython tags of the x86-64 Linux ones, else their platforms."""
    tags = [t for f in wheels for t in (f.tags or ())]
    linux = sorted({t.interpreter for t in tags if "linux" in t.platform and "x86_64" in t.platform},
                   key=_interpreter_key)
    if linux:
        shown = f"{linux[0]} to {linux[-1]}" if len(linux) > 3 else ", ".join(linux)
        return f"x86-64 Linux wheels only for {shown}"
    platforms = sorted({re.sub(r"_\d+_\d+", "", t.platform).split("_")[0] for t in tags if t.platform != "any"})
    return f"wheels only for {', '.join(platforms)}" if platforms else ""


def _index_locations(work: Path, inp: Input, target: Target, env: dict[str, str], uv_cache: Path | None,
                     timeout: float) -> tuple[list[str], list[str]] | None:
    """(index URLs, find-links) in the order uv uses them. When neither the file nor the environment names the
    default index, uv is asked (an empty resolution with ``--emit-index-url``): its default is not written here."""
    known = _known_locations(inp.options, env)
    if known is not None:
        return known
    (work / "empty.in").write_text("", encoding="utf-8")
    args = ["pip", "compile", "empty.in", "--no-config", "--no-header", "--emit-index-url", "--emit-find-links",
            "--color", "never", "--python-version", target.python, "--no-python-downloads", *_interpreter()]
    args += ["--cache-dir", str(uv_cache)] if uv_cache is not None else ["--no-cache"]
    run = run_uv(args + inp.options, timeout=timeout, env=env, cwd=str(work))
    if run.returncode != 0:
        return None
    indexes, links = [], []
    for line in run.stdout.splitlines():
        option, _, value = line.strip().partition(" ")
        if option in ("--index-url", "--extra-index-url") and value:
            indexes.append(value.strip())
        elif option in ("--find-links", "-f") and value:
            links.append(value.strip())
    return indexes, links


def _known_locations(options: list[str], env: dict[str, str]) -> tuple[list[str], list[str]] | None:
    pairs = list(zip(options, [*options[1:], ""], strict=False))
    links = [v for o, v in pairs if o == "--find-links"] + env.get("UV_FIND_LINKS", "").replace(",", " ").split()
    extras = [v for o, v in pairs if o == "--extra-index-url"] + env.get("UV_EXTRA_INDEX_URL", "").split()
    extras = [*(u.split("=", 1)[-1] if "=" in u.split("://", 1)[0] else u for u in env.get("UV_INDEX", "").split()),
              *extras]
    if "--no-index" in options:
        return [], links
    default = next((v for o, v in pairs if o == "--index-url"), None) or env.get("UV_DEFAULT_INDEX") or \
        env.get("UV_INDEX_URL")
    if not default:
        return None
    return [*extras, default], links


def _parse_filename(filename: str, requires_python: str | None, yanked: bool) -> IndexFile | None:
    from packaging.utils import InvalidSdistFilename, InvalidWheelFilename, parse_sdist_filename, parse_wheel_filename

    try:
        if filename.endswith(".whl"):
            _name, version, _build, tags = parse_wheel_filename(filename)
            return IndexFile(filename, version, frozenset(tags), requires_python, yanked)
        if filename.endswith((".tar.gz", ".zip")):
            _name, version = parse_sdist_filename(filename)
            return IndexFile(filename, version, None, requires_python, yanked)
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    return None


def _fetch(url: str, env: dict[str, str], timeout: float) -> tuple[str, str] | None:
    """(content type, body) of a GET, None on any failure. Credentials in the URL become Basic auth."""
    import base64
    import ssl
    import urllib.error
    import urllib.request

    parts = urlsplit(url)
    headers = {"Accept": "application/vnd.pypi.simple.v1+json, text/html;q=0.1",
               "User-Agent": "cloud-preflight"}
    if parts.username or parts.password:
        from urllib.parse import unquote

        token = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(token).decode()
        host = parts.hostname or ""
        url = urlunsplit((parts.scheme, host + (f":{parts.port}" if parts.port else ""), parts.path, parts.query, ""))
    cafile = env.get("SSL_CERT_FILE")
    if not (cafile and os.path.isfile(cafile)):
        cafile = None
        system = ssl.get_default_verify_paths()
        if not ((system.cafile and os.path.isfile(system.cafile)) or (system.capath and os.path.isdir(system.capath)
                                                                       and os.listdir(system.capath))):
            try:  # the Action's image has no system CA store; requests' certifi bundle is there
                import certifi

                cafile = certifi.where()
            except ImportError:
                pass
    context = ssl.create_default_context(cafile=cafile)
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:  # noqa: S310
            body = response.read(32 * 1024 * 1024)
            return response.headers.get("Content-Type", ""), body.decode("utf-8", "replace")
    except (OSError, ValueError, urllib.error.URLError):
        return None


_LINK_RE = re.compile(r"<a\s([^>]*)>([^<]*)</a>", re.IGNORECASE)
_ATTR_RE = re.compile(r'([\w-]+)\s*=\s*"([^"]*)"')


def _files_from_page(content_type: str, body: str) -> list[IndexFile]:
    import html

    out = []
    if "json" in content_type:
        try:
            listing = json.loads(body)
        except ValueError:
            return []
        for row in listing.get("files", []) if isinstance(listing, dict) else []:
            if isinstance(row, dict) and isinstance(row.get("filename"), str):
                parsed = _parse_filename(row["filename"], row.get("requires-python") or None,
                                         bool(row.get("yanked")))
                if parsed:
                    out.append(parsed)
        return out
    for attrs, text in _LINK_RE.findall(body):
        values = {k.lower(): html.unescape(v) for k, v in _ATTR_RE.findall(attrs)}
        href = values.get("href", "")
        filename = posixpath.basename(urlsplit(href).path) or text.strip()
        parsed = _parse_filename(filename, values.get("data-requires-python") or None, "data-yanked" in values)
        if parsed:
            out.append(parsed)
    return out


def index_files(name: str, locations: tuple[list[str], list[str]], env: dict[str, str],
                timeout: float) -> list[IndexFile] | None:
    """Every file of ``name`` on the first index that has it, plus the find-links; None when nothing answered."""
    indexes, links = locations
    files: list[IndexFile] = []
    answered = False
    normal = canonicalize_name(name)
    deadline = time.monotonic() + timeout
    for link in links:
        if re.match(r"^https?://", link):
            page = _fetch(link, env, max(deadline - time.monotonic(), 0.1))
            if page is None:
                continue
            answered = True
            found = _files_from_page("text/html", page[1])
        else:
            folder = Path(link[7:] if link.startswith("file://") else link)
            try:
                names = sorted(p.name for p in folder.iterdir())
            except OSError:
                continue
            answered = True
            found = [f for f in (_parse_filename(n, None, False) for n in names) if f]
        files += [f for f in found if canonicalize_name(re.split(r"-\d", f.filename, maxsplit=1)[0]) == normal]
    for index in indexes:
        page = _fetch(index.rstrip("/") + f"/{normal}/", env, max(deadline - time.monotonic(), 0.1))
        if page is None:
            continue
        answered = True
        found = _files_from_page(*page)
        if found:
            files += found
            break  # uv's default strategy: the first index that has the package
    return files if answered else None


def _python_ok(file: IndexFile, python: str) -> bool:
    if not file.requires_python:
        return True
    try:
        return SpecifierSet(file.requires_python).contains(f"{python}.0", prereleases=True)
    except InvalidSpecifier:
        return True


def newest_installable(files: list[IndexFile], target: Target, supported: frozenset) -> str | None:
    """The newest final, not yanked release with a wheel for the target (Requires-Python included)."""
    good = [f.version for f in files if f.tags is not None and not f.yanked and not f.version.is_prerelease
            and f.tags & supported and _python_ok(f, target.python)]
    return str(max(good)) if good else None


def _matching(files: list[IndexFile], spec: str) -> list[IndexFile]:
    text = spec.split("[", 1)[0] if spec.startswith("[") else spec
    text = re.sub(r"^\[[^\]]*\]", "", text)
    if not text:
        return files
    try:
        specifier = SpecifierSet(text)
    except InvalidSpecifier:
        return files
    return [f for f in files if specifier.contains(f.version, prereleases=True)]


# --------------------------------------------------------------------------- the result, cached


@dataclass
class Resolution:
    """What resolving one dependency file for one target found.

    ``status``: ``resolved`` (uv found a set of wheels; ``problems`` may hold what had to be left out first),
    ``failed`` (problems, and no full resolution), ``unavailable`` (index unreachable, timeout, no uv:
    ``reason``), ``unsupported`` (nothing cloud-preflight can resolve in this file: ``reason``).
    """

    depfile: str
    target: Target
    input: Input
    status: str
    pins: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    yanked: list[list[str]] = field(default_factory=list)  # [package, version, reason]
    reason: str = ""
    announce: bool = False  # the first unavailable resolution of the run: the one warning
    cached: bool = False
    complete: bool = True  # False: stopped after MAX_ROUNDS or at the time limit
    seconds: float = 0.0
    uv_runs: int = 0
    new_majors: list[list[str]] = field(default_factory=list)  # [package, old, new, date of the old]
    index: str = ""

    def line(self, name: str, spec: str = "") -> InputLine | None:
        """The line a package is reported at: the one that pins ``spec`` (``==1.2``) when there is one (a
        constraint or a lock), else its requirement, else a constraint."""
        if not name:
            return None
        if spec.startswith("=="):
            version = spec[2:]
            for line in [*self.input.requirements, *self.input.constraints]:
                if line.name == name and line.origin is not None and re.search(
                        rf"==\s*{re.escape(version)}(\s|,|;|$)", line.text):
                    return line
        declared = self.input.declared(name)
        if declared is None or not _exact(declared.text):
            locked = next((c for c in self.input.constraints if c.name == name and c.origin is not None
                           and _exact(c.text)), None)
            if locked is not None:
                return locked  # a lock's version is what is installed, and what the problem is about
        return self.input.for_name(name)


@dataclass
class _State:
    """Per run (kept on the Project): one time budget, one unavailability warning, one resolution per file."""

    deadline: float | None = None
    unavailable: str | None = None
    memo: dict[tuple, Resolution] = field(default_factory=dict)


def _prepare_cache(folder: Path) -> bool:
    try:
        cachedir.prepare(folder, "resolve")
        return True
    except OSError:
        return False


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except OSError:
        pass


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def _digest(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def resolve_app(project: Project, app: App, config: Config) -> Resolution | None:
    """The resolution of the app's dependency file (memoised per run; None when there is no file or Python)."""
    depfile = app.winner
    if depfile is None or not app.exists:
        return None
    state: _State = project.__dict__.setdefault("_resolve_state", _State())
    inp = build_input(project, depfile)
    target = target_for(config, inp.python)
    if target is None:
        return None
    memo_key = (depfile.path, target)
    if memo_key in state.memo:
        return state.memo[memo_key]
    result = _resolve(project, depfile.path, inp, target, config, state)
    state.memo[memo_key] = result
    return result


def _resolve(project: Project, path: str, inp: Input, target: Target, config: Config, state: _State) -> Resolution:
    if inp.unsupported:
        return Resolution(path, target, inp, "unsupported", reason=inp.unsupported)
    env = uv_environment()
    index = index_description(env, inp.options, inp.links)
    if state.unavailable:
        return Resolution(path, target, inp, "unavailable", reason=state.unavailable, index=index)
    timeout = float(getattr(config, "resolve_timeout", DEFAULT_TIMEOUT) or DEFAULT_TIMEOUT)
    if state.deadline is None:
        state.deadline = time.monotonic() + timeout
    folder = cache_dir_for(project, config)
    if folder is not None and not _prepare_cache(folder):
        folder = None
    settings = {k: hashlib.sha256(env[k].encode()).hexdigest() for k in sorted(env) if k in INDEX_ENV
                or (k.startswith("UV_INDEX_") and not k.endswith(("_USERNAME", "_PASSWORD")))}
    key_payload = {"format": CACHE_FORMAT, "uv": uv_version(), "target": asdict(target), "env": settings,
                   "requirements": [line.text for line in inp.requirements],
                   "constraints": [line.text for line in inp.constraints], "options": inp.options}
    key = _digest(key_payload)
    entry = folder / "resolve" / f"{key}.json" if folder is not None else None
    result = _load(entry, path, target, inp) if entry is not None else None
    if result is None:
        result = _run_rounds(path, inp, target, env, folder, state)
        result.index = index
        if entry is not None and result.status in ("resolved", "failed") and not result.reason:
            _write_json(entry, {"created": _now().isoformat(timespec="seconds"), "path": path,
                                "status": result.status, "pins": result.pins,
                                "problems": [asdict(p) for p in result.problems], "yanked": result.yanked,
                                "complete": result.complete})
    else:
        result.index = index
    if result.reason and result.status != "unsupported":
        # Unreachable index, no uv, or the time limit: said once; later files are not tried.
        state.unavailable = result.reason
        result.announce = True
    if folder is not None and result.status == "resolved" and not result.problems:
        _compare_known_good(folder, path, target, settings, key, inp, result)
    return result


def _load(entry: Path, path: str, target: Target, inp: Input) -> Resolution | None:
    cached = _read_json(entry)
    if cached is None:
        return None
    try:
        created = datetime.fromisoformat(str(cached.get("created")))
        if _now() - created > timedelta(hours=CACHE_HOURS):
            return None
        problems = [Problem(**p) for p in cached.get("problems", [])]
        return Resolution(path, target, inp, str(cached["status"]), pins=dict(cached.get("pins", {})),
                          problems=problems, yanked=[list(y) for y in cached.get("yanked", [])], cached=True,
                          complete=bool(cached.get("complete", True)))
    except (KeyError, TypeError, ValueError):
        return None


def _write_inputs(work: Path, reqs: list[InputLine], cons: list[InputLine]) -> None:
    lines = [line.text for line in reqs]
    if cons:
        (work / "constraints.txt").write_text("\n".join(c.text for c in cons) + "\n", encoding="utf-8")
        lines.insert(0, "-c constraints.txt")
    (work / "requirements.in").write_text("\n".join(lines) + "\n", encoding="utf-8")


class _Lookup:
    """The index's file lists for one resolution: where to look (asked once), each package fetched once."""

    def __init__(self, work: Path, inp: Input, target: Target, env: dict[str, str], uv_cache: Path | None,
                 state: _State, result: Resolution):
        self.work, self.inp, self.target, self.env, self.uv_cache = work, inp, target, env, uv_cache
        self.state, self.result = state, result
        self.locations: tuple[list[str], list[str]] | None = None
        self.asked = False
        self.files: dict[str, list[IndexFile] | None] = {}
        self.supported = target_tags(target)

    def remaining(self) -> float:
        return (self.state.deadline or time.monotonic()) - time.monotonic()

    def where(self) -> tuple[list[str], list[str]] | None:
        if not self.asked:
            self.asked = True
            if self.remaining() > 0:
                known = _known_locations(self.inp.options, self.env)
                if known is None:
                    self.result.uv_runs += 1
                self.locations = known if known is not None else _index_locations(
                    self.work, self.inp, self.target, self.env, self.uv_cache, self.remaining())
        return self.locations

    def fetch(self, names: list[str]) -> None:
        """Fetch the file lists of ``names`` (8 at a time) that are not fetched yet."""
        from concurrent.futures import ThreadPoolExecutor

        wanted = [n for n in dict.fromkeys(names) if n not in self.files]
        locations = self.where()
        if not wanted or locations is None or self.remaining() <= 0:
            return
        timeout = max(min(self.remaining(), 20.0), 0.1)
        with ThreadPoolExecutor(max_workers=8) as pool:
            found = list(pool.map(lambda name: index_files(name, locations, self.env, timeout), wanted))
        self.files.update(zip(wanted, found, strict=True))


def _linux_wheels(wheels: list[IndexFile]) -> bool:
    return any("linux" in t.platform for f in wheels for t in (f.tags or ()))


def _marker_holds(line: InputLine, target: Target) -> bool:
    """Whether the line's marker is true on Cloud (CPython on x86-64 Linux, the target's Python)."""
    if ";" not in line.text:
        return True
    try:
        marker = Marker(line.text.split(";", 1)[1].strip())
        env = {"python_version": target.python, "python_full_version": f"{target.python}.0",
               "implementation_version": f"{target.python}.0", "sys_platform": "linux", "platform_system": "Linux",
               "os_name": "posix", "platform_machine": "x86_64", "platform_python_implementation": "CPython",
               "implementation_name": "cpython", "platform_release": "", "platform_version": "", "extra": ""}
        return bool(marker.evaluate(env))
    except Exception:  # noqa: BLE001 - an unreadable marker: let uv judge the line
        return False


def _pinned_version(text: str) -> Version | None:
    match = re.search(r"===?\s*([^\s,;*]+)", text.split(";", 1)[0])
    if not match:
        return None
    try:
        return Version(match.group(1))
    except InvalidVersion:
        return None


def _check_pin(line: InputLine, files: list[IndexFile] | None, lookup: _Lookup) -> Problem | None:
    """An exact pin judged from the index's file list: no such version, or no wheel (an sdist-only release is
    built on Cloud and is fine), or a Requires-Python that excludes the target."""
    version = _pinned_version(line.text)
    if version is None or not files:
        return None
    target, supported = lookup.target, lookup.supported
    spec = f"=={version}"
    newest = newest_installable(files, target, supported) or ""
    matching = [f for f in files if f.version == version]
    if not matching:
        return Problem("missing", line.name, spec, at=line.name, newest=newest)
    if all(f.yanked for f in matching):
        return None  # an exact pin installs a yanked release, with a warning: uv says so (CP361 warning)
    wheels = [f for f in matching if f.tags is not None]
    fitting = [f for f in wheels if f.tags & supported]
    if any(_python_ok(f, target.python) for f in fitting):
        return None
    if fitting:
        return Problem("python", line.name, spec, at=line.name, newest=newest,
                       requires_python=fitting[0].requires_python or "")
    sdists = [f for f in matching if f.tags is None]
    if sdists and not _linux_wheels(wheels):
        wheels = []  # wheels only for Windows/macOS: Linux installs build the sdist by design
    if not wheels:
        if sdists and not any(_python_ok(f, target.python) for f in sdists):
            return Problem("python", line.name, spec, at=line.name, newest=newest,
                           requires_python=sdists[0].requires_python or "")
        return None
    return Problem("no-wheel", line.name, spec, at=line.name, newest=newest, wheels=wheel_summary(wheels))


def _run_rounds(path: str, inp: Input, target: Target, env: dict[str, str], folder: Path | None,
                state: _State) -> Resolution:
    start = time.monotonic()
    result = Resolution(path, target, inp, "failed")
    uv_cache = folder / "uv" if folder is not None else None
    reqs, cons = list(inp.requirements), list(inp.constraints)
    with tempfile.TemporaryDirectory(prefix="cloud-preflight-resolve-") as scratch:
        work = Path(scratch)
        lookup = _Lookup(work, inp, target, env, uv_cache, state, result)
        # Exact pins first, from the index's file lists (all at once): uv would stop at the first one.
        pins = [line for line in reqs if line.origin is not None and _exact(line.text) and _marker_holds(line, target)]
        if cons:
            # A lock's versions matter only for the packages Cloud installs here (not Windows-only or dev ones):
            # those uv picks for the requirements alone.
            _write_inputs(work, reqs, [])
            remaining = (state.deadline or start) - time.monotonic()
            first = run_uv(_compile_args(target, inp.options, uv_cache), timeout=max(remaining, 0.1), env=env,
                           cwd=scratch) if remaining > 0 else UvRun(None, timed_out=True)
            result.uv_runs += 1
            needed = set(parse_pins(first.stdout)) if first.returncode == 0 else {line.name for line in reqs}
            pins += [line for line in cons if line.name in needed and _exact(line.text)
                     and _marker_holds(line, target)]
        if pins:
            lookup.fetch([line.name for line in pins])
            for line in pins:
                problem = _check_pin(line, lookup.files.get(line.name), lookup)
                if problem is not None:
                    result.problems.append(problem)
                    reqs = [r for r in reqs if r is not line]
                    cons = [c for c in cons if c is not line and c.name != line.name]
        for _round in range(MAX_ROUNDS):
            remaining = (state.deadline or start) - time.monotonic()
            if remaining <= 0:
                result.complete = False
                result.status, result.reason = "unavailable", "the time limit was reached"
                break
            _write_inputs(work, reqs, cons)
            run = run_uv(_compile_args(target, inp.options, uv_cache), timeout=remaining, env=env, cwd=scratch)
            result.uv_runs += 1
            if run.error:
                result.status, result.reason = "unavailable", run.error
                break
            if run.timed_out:
                result.status, result.reason = "unavailable", "uv did not finish within the time limit"
                result.complete = False
                break
            if run.returncode == 0:
                result.status = "resolved"
                result.pins = parse_pins(run.stdout)
                result.yanked = [[canonicalize_name(m.group("pkg")), m.group("ver"), m.group("reason") or ""]
                                 for m in _RE_YANKED_WARNING.finditer(run.stderr)]
                break
            unreachable = network_failure(run.stderr)
            if unreachable:
                result.status, result.reason = "unavailable", unreachable
                break
            problem = diagnose(run.stderr, [*reqs, *cons])
            if problem is None:
                tail = run.stderr.strip().splitlines()[-3:]
                problem = Problem("unsatisfiable", "", detail=" ".join(t.strip() for t in tail) or
                                  f"uv exited with {run.returncode}")
            result.problems.append(problem)
            if not problem.at:
                break
            reqs = [r for r in reqs if r.name != problem.at]
            cons = [c for c in cons if c.name != problem.at]
        else:
            result.complete = False
        if result.status == "unavailable" and result.problems:
            result.status = "failed"  # what was found stands; ``reason`` says why the search stopped
        _ask_newest(result, lookup)
    result.seconds = time.monotonic() - start
    return result


def _ask_newest(result: Resolution, lookup: _Lookup) -> None:
    """Check what uv reported against the index's file lists:

    - a package without a wheel that is sdist-only (or has wheels only for Windows/macOS) is built on Cloud:
      not reported;
    - "X has no wheel" for a requirement whose own range has a release with a wheel is really a conflict with
      the other requirements;
    - a conflict that went through a range without wheels, needed by one requirement whose range has no release
      with a wheel at all, is that requirement's missing wheel;
    - and the newest version with a wheel for the target, for the message."""
    uv_found = [p for p in result.problems if p.newest is None and p.kind != "unsatisfiable"]
    names = [p.package for p in uv_found if p.package] + \
        [e[2] for p in uv_found if p.kind == "conflict" for e in p.edges if any(e[2] == _base(f) for f in p.no_wheel)]
    if not names:
        return
    lookup.fetch(names)
    kept = []
    for problem in result.problems:
        if problem not in uv_found:
            kept.append(problem)
            continue
        if problem.kind == "conflict":
            _conflict_to_no_wheel(problem, lookup)
        files = lookup.files.get(problem.package)
        if files is None or problem.kind not in ("no-wheel", "python", "missing", "yanked"):
            kept.append(problem)
            continue
        problem.newest = newest_installable(files, lookup.target, lookup.supported) or ""
        if problem.kind == "no-wheel":
            matching = _matching(files, problem.spec)
            wheels = [f for f in matching if f.tags is not None]
            if matching and (not wheels or (not _linux_wheels(wheels) and any(f.tags is None for f in matching))):
                continue  # built from the sdist on Cloud, by design: not a wheel problem
            declared = result.input.declared(problem.package)
            own = declared.text.split(";", 1)[0][len(declared.name):] if declared is not None and \
                problem.at == problem.package else problem.spec
            if newest_installable(_matching(files, _spec_of(own)), lookup.target, lookup.supported):
                problem.kind, problem.involved = "conflict", []  # its own range has a wheel: the others forbid it
            problem.wheels = wheel_summary(wheels)
        kept.append(problem)
    result.problems = kept


def _base(fact: str) -> str:
    match = re.match(rf"^({_NAME})", fact)
    return canonicalize_name(match.group(1)) if match else ""


def _spec_of(text: str) -> str:
    return re.sub(r"^\s*\[[^\]]*\]", "", text).strip()


def _conflict_to_no_wheel(problem: Problem, lookup: _Lookup) -> None:
    """A conflict whose requirement needs a range with no wheel at all becomes that missing wheel."""
    tops = [problem.at, *problem.involved]
    for top, _top_spec, dep, dep_spec in problem.edges:
        if top not in tops or not dep_spec or not any(_base(f) == dep for f in problem.no_wheel):
            continue
        files = lookup.files.get(dep)
        if not files:
            continue
        in_range = _matching(files, dep_spec)
        if in_range and not newest_installable(in_range, lookup.target, lookup.supported) and \
                _linux_wheels([f for f in in_range if f.tags is not None]):
            problem.kind, problem.package, problem.spec, problem.at = "no-wheel", dep, dep_spec, top
            problem.involved = []
            return


def _exact(text: str) -> bool:
    spec = text.split(";", 1)[0]
    return "===" in spec or bool(re.search(r"==\s*[^,*]+(,|$)", spec) and "*" not in spec.split("==", 1)[1])


def _compare_known_good(folder: Path, path: str, target: Target, settings: dict[str, str], key: str, inp: Input,
                        result: Resolution) -> None:
    """A new major version of a package the file does not pin, compared with the last known-good resolution; the
    baseline moves only when the file (the resolution's input) changes."""
    record_path = folder / "resolve" / f"known-good-{_digest([path, asdict(target), settings])[:32]}.json"
    record = _read_json(record_path)
    if record is not None and isinstance(record.get("pins"), dict):
        constrained = {c.name for c in inp.constraints if _exact(c.text)}
        for line in inp.requirements:
            if line.origin is None or _exact(line.text) or line.name in constrained:
                continue
            old, new = record["pins"].get(line.name), result.pins.get(line.name)
            if not isinstance(old, str) or not new:
                continue
            try:
                if Version(new).major > Version(old).major:
                    result.new_majors.append([line.name, old, new, str(record.get("date", ""))])
            except InvalidVersion:
                continue
    if record is None or record.get("input") != key:
        _write_json(record_path, {"input": key, "date": _now().date().isoformat(), "path": path,
                                  "pins": result.pins})
