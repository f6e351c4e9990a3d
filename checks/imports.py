"""CP2xx: what the app imports vs what the dependency file Cloud uses installs.

Only code an app reaches is read (``preflight.imports.app_reach``: the entrypoint, ``pages/``, ``st.Page``
targets and the local modules they import, with the ``sys.path`` Cloud gives the app). Every import is sorted
into one of: standard library, local module on ``sys.path``, local module Cloud cannot find (CP203, CP204),
a package the winning dependency file installs, a package only Streamlit brings in (CP202), a package only
a declared package's Requires-Dist brings in (CP207, from ``preflight/data/requires_dist.json.gz``), or a
package nothing installs (CP201). Import names map to distributions through ``preflight.distributions``.
Model files the app unpickles are imports too: the classes their pickle streams name (read as data, never
unpickled: ``preflight.imports.pickled_globals``) need their packages (CP206).

Guards: imports under ``if TYPE_CHECKING:``, in an ``except ImportError:`` fallback, or under a platform or
Python-version test are never reported; imports under ``try: ... except ImportError`` are at most a note.
Imports other rules explain are left to them: CP101 (no dependency file at all), CP103 (declared only in a file
Cloud ignores), CP409 (installed at run time), CP410 (GUI libraries), CP505 (removed standard-library modules).
"""

from __future__ import annotations

import difflib
import posixpath
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from packaging.utils import canonicalize_name

from preflight import distributions
from preflight.apps import App
from preflight.depfiles import DependencyFile, Requirement, parse_dependency_file
from preflight.imports import (
    ImportRef,
    ModelLoad,
    Reach,
    app_reach,
    imports_of,
    installed_projects,
    model_loads,
    pickled_globals,
)
from preflight.model import Finding, Severity
from preflight.rules import RuleContext, rule

# --------------------------------------------------------------------------- knowledge

# Standard-library modules newer than the oldest Python this tool runs on (3.11): sys.stdlib_module_names of
# the running interpreter lacks them. From the CPython "What's New" pages of 3.12-3.14.
_NEWER_STDLIB = frozenset({"annotationlib", "compression"})
# Standard-library modules that exist only in Python on Windows (Cloud runs Linux).
_WINDOWS_STDLIB = frozenset({"winreg", "_winreg", "msvcrt", "winsound", "_winapi", "_overlapped", "nt"})
# Distributions that exist (or work) only on Windows: their imports are reported as Windows-only (CP309 covers
# them when they are declared).
_WINDOWS_DISTS = frozenset({"pywin32", "pypiwin32", "pywinpty", "wmi", "comtypes", "pywinauto", "winshell",
                            "win10toast", "windows-curses"})
# Modules that exist only inside a hosted notebook service (no package brings them to Cloud).
_NOTEBOOK_ONLY = {"google.colab": "Google Colab", "kaggle_secrets": "Kaggle notebooks",
                  "kaggle_datasets": "Kaggle notebooks"}
# Always in Cloud's virtualenv although no dependency file lists it.
_ALWAYS_INSTALLED = frozenset({"pip"})
# Python 2 module names and their Python 3 home.
_PY2_MODULES = {
    "urllib2": "urllib.request", "urlparse": "urllib.parse", "ConfigParser": "configparser", "StringIO": "io",
    "cStringIO": "io", "cPickle": "pickle", "Queue": "queue", "HTMLParser": "html.parser",
    "httplib": "http.client", "commands": "subprocess", "__builtin__": "builtins",
    "SocketServer": "socketserver", "SimpleHTTPServer": "http.server", "Cookie": "http.cookies",
    "cookielib": "http.cookiejar", "htmlentitydefs": "html.entities", "xmlrpclib": "xmlrpc.client",
    "md5": "hashlib", "sha": "hashlib",
}
# Top-level names shared by many distributions (namespace packages): the import name alone says nothing
# about which distribution is needed, so ``from google import genai`` is checked as ``google.genai``.
NAMESPACE_TOPS = frozenset({"google", "azure", "backports", "jaraco", "zope", "sphinxcontrib", "mpl_toolkits",
                            "ruamel"})
# conda package name -> the PyPI distribution whose import names it provides.
_CONDA_NAMES = {"pytorch": "torch", "pytorch-cpu": "torch", "pytorch-gpu": "torch", "py-opencv": "opencv-python",
                "opencv": "opencv-python", "libopencv": "opencv-python", "python-graphviz": "graphviz",
                "matplotlib-base": "matplotlib", "py-xgboost": "xgboost", "tensorflow-base": "tensorflow",
                "pyqt": "PyQt5", "python-kaleido": "kaleido", "pillow-simd": "pillow"}
# Requirements of Streamlit's own dependencies on Linux, one level down (only these are counted as installed
# "through streamlit"; deeper ones are not). From each project's Requires-Dist (pandas 1.5-3.x, altair 4-5.x,
# pydeck 0.8-0.9, requests 2.x, GitPython 3.x, rich 13-14, starlette 0.46+, uvicorn 0.30+), checked 2026-11-22.
# A child with a version condition comes only with the parent versions on one side of it: ("<", "3") = only when
# Streamlit caps the parent below 3 (pandas 3 dropped pytz and, on Linux, tzdata); (">=", "5.4") = only when
# Streamlit allows the parent at 5.4 or later (altair 5.4 added narwhals).
_STREAMLIT_DEPS_DEPS: dict[str, tuple[tuple[str, tuple[str, str] | None], ...]] = {
    "pandas": (("numpy", None), ("python-dateutil", None), ("pytz", ("<", "3")), ("tzdata", ("<", "3"))),
    "altair": (("jinja2", None), ("jsonschema", None), ("narwhals", (">=", "5.4")), ("packaging", None)),
    "pydeck": (("jinja2", None), ("numpy", None)),
    "requests": (("urllib3", None), ("idna", None), ("certifi", None), ("charset-normalizer", None)),
    "gitpython": (("gitdb", None),),
    "rich": (("pygments", None), ("markdown-it-py", None)),
    "starlette": (("anyio", None),),
    "uvicorn": (("click", None), ("h11", None)),
}
# spaCy pipelines: installed from a wheel URL, never from PyPI.
_SPACY_MODEL_RE = re.compile(r"^[a-z]{2}_(core|dep|ent)_(web|news|wiki|sci)_(sm|md|lg|trf)$")
_SPACY_MODEL_URL = "https://github.com/explosion/spacy-models/releases"


@cache
def _stdlib() -> frozenset[str]:
    from checks.python_version import REMOVED_STDLIB

    names = set(sys.stdlib_module_names) | {r.split(".", 1)[0] for r in REMOVED_STDLIB} | _NEWER_STDLIB
    return frozenset(names - _WINDOWS_STDLIB) | {"__future__", "__main__"}


def _canon(name: str) -> str:
    return canonicalize_name(re.sub(r"\[.*$", "", name))


def _candidates(module: str) -> list[str]:
    return [_canon(c) for c in distributions.candidates(module)]


def _known_distribution(name: str) -> bool | None:
    """Whether PyPI has a project of that name (None when this cloud-preflight has no name list)."""
    known = getattr(distributions, "is_known_distribution", None)
    if known is None:
        return None
    try:
        return bool(known(name))
    except Exception:  # noqa: BLE001 - knowledge lookups never break a rule
        return None


def provides(dist: str, module: str) -> bool:
    """Whether distribution ``dist`` provides the dotted ``module`` (as far as the import map knows)."""
    dist = _canon(dist)
    if dist in _candidates(module):
        return True
    parts = module.split(".")
    names = distributions.import_names(dist)
    alias = _CONDA_NAMES.get(dist)
    if alias:
        names = names | distributions.import_names(alias)
    start = 2 if parts[0] in NAMESPACE_TOPS and len(parts) > 1 else 1
    for end in range(start, len(parts) + 1):
        prefix = parts[:end]
        if "_".join(prefix).lower() in names or ".".join(prefix).lower() in names:
            return True
    scanned = getattr(distributions, "is_scanned_distribution", None)
    if parts[0] not in NAMESPACE_TOPS and (scanned is None or not scanned(dist)):
        return _loose_match(dist, parts[0])
    return False


def _loose_match(dist: str, top: str) -> bool:
    """For a distribution whose files the import map never read: does its name contain the import name?
    ``streamlit-audiorecorder`` -> ``audiorecorder``, ``mysql-connector-python`` -> ``mysql``,
    ``streamlit-aggrid`` -> ``st_aggrid``. Errs towards "provided": a false "missing" costs more."""
    tokens = [t for t in top.lower().split("_") if t]
    if len(tokens) > 1 and tokens[0] == "st":
        tokens[0] = "streamlit"
    words = dist.split("-")
    if not tokens:
        return False
    for i in range(len(words) - len(tokens) + 1):
        if words[i:i + len(tokens)] == tokens:
            return True
    joined = "".join(tokens)
    if len(joined) < 4:
        return False
    return any("".join(words[i:j]) == joined for i in range(len(words)) for j in range(i + 1, len(words) + 1))


def distribution_for(module: str) -> str:
    """The distribution to declare for ``module``: the import map's first choice, else a name like the import."""
    for found in distributions.candidates(module):
        return found
    parts = module.split(".")
    if parts[0] in NAMESPACE_TOPS and len(parts) > 1:
        depth = 3 if len(parts) > 2 and parts[1] in ("cloud", "storage", "keyvault", "ai", "mgmt", "search") \
            else 2
        return "-".join(parts[:depth]).replace("_", "-")
    return parts[0].replace("_", "-")


# --------------------------------------------------------------------------- what declared packages depend on

REQUIRES_FILE = "requires_dist.json.gz"
# How far down the Requires-Dist of declared packages is followed (1 = their own requirements).
DEPENDENCY_DEPTH = 2


@cache
def _requires_document() -> dict:
    """``preflight/data/requires_dist.json.gz`` (``scripts/update_requires_dist.py``), decoded once."""
    import gzip
    import json
    from importlib import resources

    from preflight import data

    try:
        raw = resources.files(data.__name__).joinpath(REQUIRES_FILE).read_bytes()
        document = json.loads(gzip.decompress(raw))
    except (FileNotFoundError, OSError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


def requires_meta() -> dict:
    """The table's meta: ``generated`` (date), ``source`` (words), ``pypi_lookups``, counts."""
    return dict(_requires_document().get("meta") or {})


def dependencies_of(dist: str, specifier: str, extras: tuple[str, ...], env: dict[str, str]
                    ) -> tuple[str, list[tuple[str, str, tuple[str, ...]]]] | None:
    """(version, [(canonical, name as written, extras)]) of what ``dist`` requires on Cloud: the newest version
    in the table that ``specifier`` allows, its Requires-Dist whose markers hold on Cloud's Linux (with
    ``extras``). None when the table does not know the distribution or no known version matches."""
    from packaging.requirements import InvalidRequirement
    from packaging.requirements import Requirement as PackagingRequirement
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    from checks.streamlit_version import marker_applies

    row = (_requires_document().get("projects") or {}).get(_canon(dist))
    if not isinstance(row, dict) or not isinstance(row.get("versions"), dict):
        return None
    try:
        spec = SpecifierSet(specifier) if specifier else None
    except InvalidSpecifier:
        return None
    versions = []
    for text in row["versions"]:
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        if spec is None or spec.contains(version, prereleases=True):
            versions.append((version, text))
    if not versions:
        return None
    chosen = max(versions)[1]
    out = []
    for text in row["versions"][chosen]:
        try:
            parsed = PackagingRequirement(text)
        except InvalidRequirement:
            continue
        if marker_applies(parsed.marker, env, extras):
            out.append((_canon(parsed.name), parsed.name, tuple(sorted(parsed.extras))))
    return chosen, out


# --------------------------------------------------------------------------- what the winning file installs


@dataclass(frozen=True)
class Declared:
    """A distribution the winning file declares, with whether Cloud installs it."""

    name: str  # canonical
    req: Requirement | None
    state: str = "installed"  # "installed", "section" (dev group, extra), "marker" (not on Linux)
    via: str = ""  # how it gets in when not written directly: "streamlit[charts]", "-e . (pyproject.toml)", ...


def _url_name(req: Requirement) -> str:
    """A distribution name guessed from an unnamed URL/path row (egg fragment, wheel/sdist file, repo name)."""
    url = (req.url or req.text or "").strip()
    egg = re.search(r"#egg=([A-Za-z0-9._-]+)", url)
    if egg:
        return _canon(egg.group(1))
    tail = url.split("#", 1)[0].split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    wheel = re.match(r"^([A-Za-z0-9_.]+?)-\d[^/]*\.(whl|tar\.gz|zip|tgz)$", tail)
    if wheel:
        return _canon(wheel.group(1))
    if url.startswith(("git+", "hg+")) or tail.endswith(".git"):
        repo = re.sub(r"\.git$", "", tail.split("@", 1)[0])
        if re.fullmatch(r"[A-Za-z0-9._-]+", repo):
            return _canon(repo)
    return ""


def cloud_env(ctx: RuleContext) -> dict[str, str]:
    """The marker environment of Cloud for this run: CPython on x86-64 Linux, the Python Cloud will use."""
    from preflight.pythons import cloud_python

    python = cloud_python(ctx.config)
    return cloud_env_for(python.version if python else None)


def cloud_env_for(python: str | None) -> dict[str, str]:
    from checks.streamlit_version import linux_environment

    return linux_environment(python)


def _marker_applies(req: Requirement, env: dict[str, str]) -> bool:
    from checks.streamlit_version import marker_applies

    return marker_applies(req.marker, env)


def _poetry_group_installed(ctx: RuleContext, winner: DependencyFile, req: Requirement) -> bool:
    """``poetry install`` installs every dependency group that is not ``optional = true`` (and the legacy
    dev-dependencies)."""
    if winner.filename != "pyproject.toml" or not req.section.startswith("group:"):
        return False
    data = ctx.project.toml(winner.path) or {}
    tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
    poetry = tool.get("poetry") if isinstance(tool.get("poetry"), dict) else None
    if poetry is None:
        return False
    group = req.section[len("group:"):]
    groups = poetry.get("group") if isinstance(poetry.get("group"), dict) else {}
    table = groups.get(group)
    if isinstance(table, dict):
        return table.get("optional") is not True
    return group == "dev" and isinstance(poetry.get("dev-dependencies"), dict)


def _setup_requires(ctx: RuleContext, folder: str) -> list[tuple[str, str, int | None]]:
    """(name, file, line) of install_requires in setup.py (a literal list) and setup.cfg."""
    import ast

    out: list[tuple[str, str, int | None]] = []
    setup_py = posixpath.join(folder, "setup.py") if folder else "setup.py"
    tree = ctx.project.python(setup_py) if ctx.project.exists(setup_py) else None
    if tree is not None:
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "install_requires" \
                    and isinstance(node.value, (ast.List, ast.Tuple)):
                for item in node.value.elts:
                    if isinstance(item, ast.Constant) and isinstance(item.value, str):
                        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", item.value)
                        if match:
                            out.append((match.group(1), setup_py, item.lineno))
    setup_cfg = posixpath.join(folder, "setup.cfg") if folder else "setup.cfg"
    text = ctx.project.text(setup_cfg) if ctx.project.exists(setup_cfg) else None
    if text is not None:
        inside = False
        for number, line in enumerate(text.lines, start=1):
            if re.match(r"^\s*install_requires\s*=", line):
                inside = True
                line = line.split("=", 1)[1]
            elif inside and (not line.strip() or not line[:1].isspace()):
                inside = False
            if inside:
                match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
                if match:
                    out.append((match.group(1), setup_cfg, number))
    return out


@dataclass
class Provision:
    """Everything that decides whether an import is installed for an app."""

    winner: DependencyFile
    declared: list[Declared]
    streamlit_deps: dict[str, str]  # canonical -> "" (streamlit's own) or the dependency that brings it
    unnamed: list[Requirement]  # URL/path rows whose distribution cannot be told
    streamlit_version: str
    # canonical -> the chain of names from a declared package down to it ("streamlit-webrtc", "aiortc", "av")
    transitive: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # declared (installed) packages the Requires-Dist table does not know
    unknown: list[str] = field(default_factory=list)

    # (question, module) -> answer: the same modules are imported by many files of one app
    memo: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False, compare=False)

    def _memo(self, question: str, module: str, answer: Callable[[], Any]) -> Any:
        key = (question, module)
        if key not in self.memo:
            self.memo[key] = answer()
        return self.memo[key]

    def installing(self, module: str) -> Declared | None:
        return self._memo("installing", module, lambda: next(
            (item for item in self.declared if item.state == "installed" and provides(item.name, module)), None))

    def not_installed(self, module: str) -> Declared | None:
        return self._memo("not_installed", module, lambda: next(
            (item for item in self.declared if item.state != "installed" and provides(item.name, module)), None))

    def through_streamlit(self, module: str) -> tuple[str, str] | None:
        """(distribution, the dependency of streamlit that brings it or '') when only Streamlit installs it."""
        return self._memo("through_streamlit", module, lambda: next(
            ((name, via) for name, via in self.streamlit_deps.items() if provides(name, module)), None))

    def through_dependency(self, module: str) -> tuple[str, ...] | None:
        """The chain from a declared package to the distribution that provides ``module``, when only the
        Requires-Dist of a declared package installs it (nearest first)."""
        return self._memo("through_dependency", module, lambda: next(
            (chain for name, chain in self.transitive.items() if _surely_provides(name, module)), None))


def _surely_provides(dist: str, module: str) -> bool:
    """``provides`` without its lenient guesses, for distributions nobody declared: the import map read the
    wheel (``provides`` is then a fact), or names ``dist`` for the module, or the module is named like it."""
    scanned = getattr(distributions, "is_scanned_distribution", None)
    if scanned is not None and scanned(dist):
        return provides(dist, module)
    if dist in _candidates(module):
        return True
    parts = module.split(".")
    depth = 2 if parts[0] in NAMESPACE_TOPS and len(parts) > 1 else 1
    return any(_canon("-".join(parts[:end])) == dist for end in range(depth, len(parts) + 1))


def provision(ctx: RuleContext, app: App) -> Provision | None:
    """What the app's winning dependency file installs (cached per app); None without a winner."""
    cache: dict[tuple, Provision | None] = ctx.project.__dict__.setdefault("_cp2_provision_cache", {})
    key = (app.entrypoint, ctx.config.python_version)
    if key in cache:
        return cache[key]
    winner = app.winner if app.exists else None
    if winner is None:
        cache[key] = None
        return None
    from checks.streamlit_version import streamlit_requires
    from preflight import data

    env = cloud_env(ctx)
    declared: list[Declared] = []
    unnamed: list[Requirement] = []
    for req in winner.requirements:
        if req.kind in ("include", "constraint", "option", "python", "invalid"):
            continue
        name = req.name
        if not name and req.kind in ("url", "path", "editable"):
            name = _url_name(req)
            if not name:
                if not re.match(r"^(-e\s+)?\.{1,2}(/|$)", req.text.strip()):
                    unnamed.append(req)
                continue
        if not name:
            continue
        state = "installed"
        if not req.is_runtime and not _poetry_group_installed(ctx, winner, req):
            state = "section"
        elif not _marker_applies(req, env):
            state = "marker"
        declared.append(Declared(name, req, state))
        if req.kind == "conda" and name in _CONDA_NAMES:
            declared.append(Declared(_canon(_CONDA_NAMES[name]), req, state))
    # The local project the file installs brings its own dependencies.
    for item in app_reach_of(ctx, app).installed:
        project_file = posixpath.join(item.folder, "pyproject.toml") if item.folder else "pyproject.toml"
        if project_file != winner.path and ctx.project.exists(project_file):
            how = f"{item.declared_in} installs {item.folder or 'the repository root'} ({project_file})"
            for req in parse_dependency_file(ctx.project, project_file).named():
                if _marker_applies(req, env):
                    declared.append(Declared(req.name, req, via=how))
        for name, file, line in _setup_requires(ctx, item.folder):
            declared.append(Declared(_canon(name), None, via=f"{file}:{line}"))
    # Streamlit: its own dependencies, and the extras the file asks for (one level of streamlit[...]).
    versions = data.streamlit_versions()
    version = app.streamlit.version or (versions[-1] if versions else None)
    st_req = app.streamlit.requirement
    extras = tuple(st_req.extras) if st_req is not None and st_req.name in ("streamlit", "streamlit-nightly") else ()
    base = streamlit_requires(version, env) if version is not None else None
    if base is None and versions:
        version = versions[-1]
        base = streamlit_requires(version, env) or []
    base = base or []
    streamlit_deps: dict[str, str] = {}
    for dep in base:
        if dep.name not in ("streamlit",):
            streamlit_deps.setdefault(dep.name, "")
    for dep in base:
        for child, condition in _STREAMLIT_DEPS_DEPS.get(dep.name, ()):
            if condition is not None:
                op, bound = condition
                allows = dep.spec.contains(bound, prereleases=True) or any(
                    dep.spec.contains(f"{bound}.{n}", prereleases=True) for n in (1, 5, 9))
                if allows == (op == "<"):
                    continue
            streamlit_deps.setdefault(_canon(child), dep.raw)
    if extras and version is not None:
        with_extras = streamlit_requires(version, env, extras) or []
        nested: tuple[str, ...] = ()
        for dep in with_extras:
            if dep.name == "streamlit":
                continue
            if dep.name not in streamlit_deps:
                declared.append(Declared(dep.name, st_req, via=f"streamlit[{','.join(extras)}]"))
        from packaging.requirements import InvalidRequirement
        from packaging.requirements import Requirement as PackagingRequirement

        from checks.streamlit_version import marker_applies

        row = data.streamlit_releases().get(str(version), {})
        for text in row.get("requires_dist", []) if isinstance(row, dict) else []:
            try:
                parsed = PackagingRequirement(text)
            except InvalidRequirement:
                continue
            # streamlit[all] is "streamlit[auth,charts,...]; extra == 'all'": follow it one level
            if canonicalize_name(parsed.name) == "streamlit" and parsed.marker is not None \
                    and not marker_applies(parsed.marker, env) and marker_applies(parsed.marker, env, extras):
                nested += tuple(sorted(parsed.extras))
        if nested:
            for dep in streamlit_requires(version, env, nested) or []:
                if dep.name != "streamlit" and dep.name not in streamlit_deps:
                    declared.append(Declared(dep.name, st_req, via=f"streamlit[{','.join(extras)}]"))
    transitive, unknown = _transitive(declared, streamlit_deps, env)
    found = Provision(winner, declared, streamlit_deps, unnamed, str(version) if version else "", transitive,
                      unknown)
    cache[key] = found
    return found


def _transitive(declared: list[Declared], streamlit_deps: dict[str, str], env: dict[str, str]
                ) -> tuple[dict[str, tuple[str, ...]], list[str]]:
    """What the Requires-Dist of the installed declared packages brings in, DEPENDENCY_DEPTH levels down
    (breadth first, so the shortest chain is kept), and the declared packages the table does not know."""
    have = {d.name for d in declared if d.state == "installed"} | set(streamlit_deps) | {"streamlit"}
    out: dict[str, tuple[str, ...]] = {}
    unknown: list[str] = []
    level: list[tuple[str, str, tuple[str, ...], tuple[str, ...]]] = []  # (canonical, specifier, extras, chain)
    for item in declared:
        if item.state != "installed" or item.name in ("streamlit", "streamlit-nightly"):
            continue
        req = item.req if not item.via.startswith("streamlit[") else None  # that row is streamlit's
        spec = req.specifier if req is not None and req.kind in ("name", "conda") else ""
        if req is not None and req.kind == "conda":
            from checks.streamlit_version import user_specifier

            parsed = user_specifier(req)
            spec = str(parsed) if parsed is not None else ""
        shown = req.raw_name if req is not None and req.raw_name else item.name
        level.append((item.name, spec, tuple(req.extras) if req is not None else (), (shown,)))
    for depth in range(DEPENDENCY_DEPTH):
        following: list[tuple[str, str, tuple[str, ...], tuple[str, ...]]] = []
        for name, spec, extras, chain in level:
            found = dependencies_of(name, spec, extras, env)
            if found is None:
                if depth == 0 and name not in unknown:
                    unknown.append(name)
                continue
            for child, written, child_extras in found[1]:
                if child in have or child in out:
                    continue
                out[child] = (*chain, written)
                following.append((child, "", child_extras, (*chain, written)))
        level = following
    return out, unknown


def app_reach_of(ctx: RuleContext, app: App) -> Reach:
    seeds = [app.entrypoint, *app.pages, *(t[3] for t in app.page_targets)]
    return app_reach(ctx.project, seeds, app.dir)


# --------------------------------------------------------------------------- classifying every import


@dataclass
class Use:
    """One import that a CP2xx rule reports, with the other places the same thing is imported."""

    kind: str  # "missing", "streamlit", "dependency", "local-missing", "not-on-path"
    key: str
    module: str  # the dotted module checked (namespace imports expanded)
    ref: ImportRef
    path: str
    detail: dict = field(default_factory=dict)
    also: list[tuple[str, int]] = field(default_factory=list)

    @property
    def top(self) -> str:
        return self.module.split(".", 1)[0]


@dataclass
class Analysis:
    uses: list[Use]
    reach: Reach
    provision: Provision | None


def _checked_modules(ref: ImportRef) -> list[str]:
    """``from google import genai`` is about google.genai; other from-imports are about their module."""
    if ref.names and ref.top in NAMESPACE_TOPS:
        subs = [n for n in ref.names if n != "*" and n[:1].islower()]
        if subs:
            return [f"{ref.module}.{n}" for n in subs]
    return [ref.module]


def _cp103_covers(ctx: RuleContext, app: App, top: str) -> bool:
    """CP103 reports this import at the ignored dependency file that declares it."""
    from checks.dependency_files import provided_by_winner

    winner = app.winner
    if winner is None:
        return False
    provided = provided_by_winner(ctx, app)
    installed = {posixpath.join(i.folder, "pyproject.toml") if i.folder else "pyproject.toml"
                 for i in installed_projects(ctx.project, app.dir)}
    for other in app.dependency_candidates[1:]:
        if other in installed:
            continue
        if posixpath.basename(winner.path) == "uv.lock" and other == posixpath.join(
                posixpath.dirname(winner.path), "pyproject.toml"):
            continue
        for req in parse_dependency_file(ctx.project, other).named():
            if req.name in provided or req.name in ("python", "pip", "streamlit"):
                continue
            if top.lower() in distributions.import_names(req.name):
                return True
    return False


_RUNNERS = frozenset({"os.system", "os.popen", "subprocess.run", "subprocess.call", "subprocess.check_call",
                      "subprocess.check_output", "subprocess.Popen", "subprocess.getoutput",
                      "subprocess.getstatusoutput", "pip.main", "pip._internal.main", "pip._internal.cli.main.main"})


def _runtime_installs(ctx: RuleContext, reach: Reach) -> set[str]:
    """Canonical names the app pip-installs while it runs (CP409 reports those calls)."""
    import ast
    import shlex

    from preflight.pysource import calls

    out: set[str] = set()
    for module in reach.modules:
        if not ctx.project.mentions(module.path, b"install"):
            continue
        for call, name in calls(ctx.project, module.path, _RUNNERS):
            if name not in _RUNNERS or not call.args:
                continue
            arg = call.args[0]
            if isinstance(arg, (ast.List, ast.Tuple)):
                words = [e.value if isinstance(e, ast.Constant) and isinstance(e.value, str) else "" for e in arg.elts]
            elif isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                try:
                    words = shlex.split(arg.value)
                except ValueError:
                    words = arg.value.split()
            else:
                continue
            if name.startswith("pip"):
                words = ["pip", *words]
            if "install" not in words or not any(w.split("/")[-1].startswith("pip") or w == "uv" for w in words):
                continue
            for word in words[words.index("install") + 1:]:
                if word in ("&&", ";", "|"):
                    break
                if word and not word.startswith("-") and re.match(r"^[A-Za-z0-9]", word):
                    out.add(_canon(re.split(r"[<>=!~;@ \[]", word, maxsplit=1)[0]))
    return out


def _gui_import(ref: ImportRef) -> bool:
    from checks.system_packages import GUI_IMPORTS, QT_PACKAGES

    if ref.top in GUI_IMPORTS:
        return True
    return ref.top in QT_PACKAGES and (ref.module.endswith(".QtWidgets") or "QtWidgets" in ref.names
                                       or "QApplication" in ref.names)


def _local_names(ctx: RuleContext, folder: str) -> dict[str, str]:
    """Importable names directly in ``folder`` -> their path (modules, and folders holding Python code; cached)."""
    cache: dict[str, dict[str, str]] = ctx.project.__dict__.setdefault("_cp2_local_names", {})
    if folder in cache:
        return cache[folder]
    out: dict[str, str] = {}
    for path in ctx.project.files_in(folder):
        name = posixpath.basename(path)
        if name.endswith(".py") and name != "__init__.py":
            out.setdefault(name[:-3], path)
    prefix = f"{folder}/" if folder else ""
    code_dirs = _code_folders(ctx)
    for sub in sorted(ctx.project.dirs):
        if sub and sub.startswith(prefix) and "/" not in sub[len(prefix):] and sub in code_dirs:
            name = sub[len(prefix):]
            if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                out.setdefault(name, sub + "/")
    cache[folder] = out
    return out


def _code_folders(ctx: RuleContext) -> frozenset[str]:
    """Folders with a Python file somewhere below them (cached)."""
    cached = ctx.project.__dict__.get("_cp2_code_folders")
    if cached is None:
        out: set[str] = set()
        for path in ctx.project.files:
            if path.endswith(".py"):
                parent = posixpath.dirname(path)
                while parent and parent not in out:
                    out.add(parent)
                    parent = posixpath.dirname(parent)
        cached = ctx.project.__dict__["_cp2_code_folders"] = frozenset(out)
    return cached


def _module_files(ctx: RuleContext) -> dict[str, list[str]]:
    """Top-level module name -> every ``name.py`` and ``name/__init__.py`` in the repository (cached)."""
    cached = ctx.project.__dict__.get("_cp2_module_files")
    if cached is None:
        cached = {}
        for path in ctx.project.files:
            base = posixpath.basename(path)
            if base == "__init__.py" and "/" in path:
                cached.setdefault(posixpath.basename(posixpath.dirname(path)), []).append(path)
            elif base.endswith(".py"):
                cached.setdefault(base[:-3], []).append(path)
        ctx.project.__dict__["_cp2_module_files"] = cached
    return cached


def _ignore_rules(ctx: RuleContext) -> list[tuple[str, str, list[tuple[int, str, object]]]]:
    """(.gitignore, its folder, [(line, pattern, spec)]) for every committed .gitignore, shallow first (cached)."""
    cached = ctx.project.__dict__.get("_cp2_ignore_rules")
    if cached is None:
        from pathspec import GitIgnoreSpec

        cached = []
        for ignore in sorted(ctx.project.files_named(".gitignore"), key=lambda p: (p.count("/"), p)):
            text = ctx.project.text(ignore)
            if text is None:
                continue
            rules = []
            for number, line in enumerate(text.lines, start=1):
                pattern = line.strip()
                if not pattern or pattern.startswith("#"):
                    continue
                try:
                    rules.append((number, pattern, GitIgnoreSpec.from_lines([pattern.lstrip("!")])))
                except ValueError:
                    continue
            cached.append((ignore, posixpath.dirname(ignore), rules))
        ctx.project.__dict__["_cp2_ignore_rules"] = cached
    return cached


def _gitignored(ctx: RuleContext, path: str) -> tuple[str, int] | None:
    """(.gitignore, line) of the rule that ignores ``path`` (a file or, with a trailing slash, a folder)."""
    decided: tuple[str, int] | None = None
    for ignore, folder, rules in _ignore_rules(ctx):
        if folder and not path.startswith(folder + "/"):
            continue
        sub = path[len(folder) + 1:] if folder else path
        for number, pattern, spec in rules:
            if spec.match_file(sub):  # type: ignore[attr-defined]
                decided = None if pattern.startswith("!") else (ignore, number)
    return decided


def _local_lookalike(ctx: RuleContext, reach: Reach, module: str, *, close: bool) -> dict | None:
    """Why ``module`` looks like a local module Cloud will not find: ignored by git, wrong letter case, or (with
    ``close``) a close spelling of a local module. None when nothing local resembles it."""
    parts = module.split(".")
    roots = list(reach.roots)
    # The longest prefix that is local: the missing part is looked for next to it.
    base_folders = list(roots)
    depth = 0
    for end in range(len(parts) - 1, 0, -1):
        found = reach.resolve(ctx.project, ".".join(parts[:end]))
        if found is not None and found[2]:
            file = found[0]
            folder = file[:-1] if file.endswith("/") else posixpath.dirname(file) \
                if file.endswith("/__init__.py") else None
            if folder is None:
                return None  # a module, not a package: the rest is an attribute
            base_folders, depth = [folder], end
            break
    wanted = parts[depth]
    for folder in base_folders:
        for candidate in (f"{wanted}.py", f"{wanted}/"):
            path = posixpath.join(folder, candidate) if folder else candidate
            ignored = _gitignored(ctx, path)
            if ignored is not None:
                return {"why": "ignored", "path": path.rstrip("/"), "ignore": ignored}
    for folder in base_folders:
        names = _local_names(ctx, folder)
        lower = {n.lower(): n for n in names}
        if wanted.lower() in lower and lower[wanted.lower()] != wanted:
            actual = lower[wanted.lower()]
            return {"why": "case", "actual": ".".join([*parts[:depth], actual]), "path": names[actual]}
    if not close or len(wanted) < 4:
        return None
    for folder in base_folders:
        names = _local_names(ctx, folder)
        match = difflib.get_close_matches(wanted, list(names), n=1, cutoff=0.85)
        if match:
            return {"why": "close", "actual": ".".join([*parts[:depth], match[0]]), "path": names[match[0]]}
    return None


def _elsewhere(ctx: RuleContext, reach: Reach, module: str) -> dict | None:
    """Where a local module exists in the repository but not on Cloud's sys.path."""
    found = reach.resolve(ctx.project, module)
    if found is not None and not found[2]:
        root = found[1]
        return {"why": "root" if root == "" else "src", "path": found[0], "root": root}
    top = module.split(".", 1)[0]
    if found is None and reach.resolve(ctx.project, top) is None:
        hits = sorted(_module_files(ctx).get(top, []), key=lambda p: (p.count("/"), p))
        hits = [h for h in hits if not re.search(r"(^|/)(tests?|site-packages|\.?venv)/", h)]
        if hits:
            return {"why": "elsewhere", "path": hits[0], "root": posixpath.dirname(
                hits[0][: -len("/__init__.py")] if hits[0].endswith("/__init__.py") else hits[0])}
    return None


def analyse(ctx: RuleContext, app: App) -> Analysis:
    """Classify every import the app reaches (cached per app)."""
    cache: dict[tuple, Analysis] = ctx.project.__dict__.setdefault("_cp2_analysis_cache", {})
    key = (app.entrypoint, ctx.config.python_version)
    if key in cache:
        return cache[key]
    reach = app_reach_of(ctx, app)
    prov = provision(ctx, app)
    uses: dict[tuple[str, str], Use] = {}
    stdlib = _stdlib()
    runtime: set[str] | None = None

    seen_at: dict[tuple[str, str], set[tuple[str, int]]] = {}  # the places of each use, for O(1) lookups

    def record(kind: str, dedupe: str, module: str, ref: ImportRef, where: str, detail: dict) -> None:
        existing = uses.get((kind, dedupe))
        if existing is None:
            uses[(kind, dedupe)] = Use(kind, dedupe, module, ref, where, detail)
            seen_at[(kind, dedupe)] = {(where, ref.line)}
        elif (where, ref.line) not in seen_at[(kind, dedupe)]:
            seen_at[(kind, dedupe)].add((where, ref.line))
            existing.also.append((where, ref.line))

    for local in reach.modules:
        if local.root_only:
            continue  # Cloud never imports it (CP204 reports the import that fails); its imports follow its fix
        for ref in imports_of(ctx.project, local.path, local.root):
            if ref.level or not ref.module or ref.guard in ("type-checking", "platform", "version", "except"):
                continue
            for module in _checked_modules(ref):
                top = module.split(".", 1)[0]
                found = reach.resolve(ctx.project, module)
                top_found = found if "." not in module else reach.resolve(ctx.project, top)
                hit = found or top_found
                strong = hit is not None and not hit[0].endswith("/")
                if top in stdlib and not (strong and hit[2]):
                    continue
                if top in _WINDOWS_STDLIB:
                    if not ref.guard and not strong:
                        record("missing", f"windows:{top}", module, ref, local.path, {"windows": True})
                    continue
                if found is not None and found[2] and strong:
                    continue  # a local module on sys.path (what the dependency file installs does not matter)
                installed = prov.installing(module) if prov else None
                if hit is not None and hit[2] and (strong or installed is None):
                    # Local and on sys.path. A missing submodule of a local package may be a typo.
                    if found is None and not ref.guard:
                        lookalike = _local_lookalike(ctx, reach, module, close=True)
                        if lookalike is not None:
                            record("local-missing", module, module, ref, local.path, lookalike)
                    continue
                if hit is not None and strong and installed is None:
                    if not ref.guard:
                        where = _elsewhere(ctx, reach, module) or {"why": "root", "path": hit[0], "root": hit[1]}
                        record("not-on-path", top, module, ref, local.path, where)
                    continue
                if prov is None or installed is not None or top in ("streamlit", "streamlit_nightly") \
                        or top in _ALWAYS_INSTALLED:
                    continue
                notebook = next((n for n in _NOTEBOOK_ONLY if module == n or module.startswith(n + ".")), None)
                if notebook is not None:
                    if not ref.guard:
                        record("missing", f"notebook:{notebook}", module, ref, local.path,
                               {"notebook": notebook})
                    continue
                brought = prov.through_streamlit(module)
                if brought is not None:
                    if not ref.guard:
                        detail = {"dist": brought[0], "via": brought[1]}
                        record("streamlit", brought[0], module, ref, local.path, detail)
                    continue
                chain = prov.through_dependency(module)
                if chain is not None:
                    if not ref.guard:
                        record("dependency", _canon(chain[-1]), module, ref, local.path, {"chain": chain})
                    continue
                if hit is not None:
                    continue  # a namespace folder: the import may well succeed (as an empty package)
                if _gui_import(ref) or _cp103_covers(ctx, app, top):
                    continue
                dist = distribution_for(module)
                if _canon(dist) in _WINDOWS_DISTS:
                    if not ref.guard:
                        record("missing", f"windows:{top}", module, ref, local.path, {"windows": True, "dist": dist})
                    continue
                if runtime is None:
                    runtime = _runtime_installs(ctx, reach)
                if _canon(dist) in runtime or _canon(top) in runtime:
                    continue
                # Local evidence beats the package map: an ignored file, a letter-case slip, the module in
                # another folder, a close spelling of a local module (when no package has that name).
                mapped = bool(distributions.candidates(module))
                lookalike = _local_lookalike(ctx, reach, module, close=False)
                where = _elsewhere(ctx, reach, module) if lookalike is None and not mapped else None
                if lookalike is None and where is None and not mapped and _known_distribution(dist) is not True:
                    lookalike = _local_lookalike(ctx, reach, module, close=True)
                if lookalike is not None or where is not None:
                    if not ref.guard:
                        if lookalike is not None:
                            record("local-missing", module, module, ref, local.path, lookalike)
                        else:
                            record("not-on-path", top, module, ref, local.path, where)
                    continue
                if top in _PY2_MODULES:
                    if not ref.guard:
                        record("missing", f"py2:{top}", module, ref, local.path, {"py2": _PY2_MODULES[top]})
                    continue
                record("missing", _canon(dist), module, ref, local.path,
                       {"dist": dist, "off": prov.not_installed(module)})
    analysis = Analysis(list(uses.values()), reach, prov)
    cache[key] = analysis
    return analysis


# --------------------------------------------------------------------------- message parts


def _installs_phrase(app: App) -> str:
    """"requirements.txt, the file Community Cloud installs for this app (Pipfile is ignored)"."""
    winner = app.winner
    assert winner is not None
    ignored = [p for p in app.dependency_candidates[1:]
               if not (winner.filename == "uv.lock"
                       and p == posixpath.join(posixpath.dirname(winner.path), "pyproject.toml"))]
    text = f"{winner.path}, the file Community Cloud installs for this app"
    if ignored:
        text += f" ({', '.join(ignored[:3])}{' ...' if len(ignored) > 3 else ''} " \
                f"{'is' if len(ignored) == 1 else 'are'} ignored)"
    return text


def add_fix(winner: DependencyFile, dist: str) -> str:
    """How to declare ``dist`` in the winning file."""
    name = winner.filename
    if name == "Pipfile":
        return f"Add {dist} under [packages] in {winner.path} (pipenv install {dist})."
    if name == "pyproject.toml":
        return f"Add {dist} to [tool.poetry.dependencies] in {winner.path} (poetry add {dist})."
    if name == "uv.lock":
        return f"Add {dist} to the project's dependencies and commit the new {winner.path} (uv add {dist})."
    if name == "environment.yml":
        return f"Add {dist} to the dependencies in {winner.path} (under pip: if conda does not package it)."
    return f"Add {dist} to {winner.path}."


def _also(use: Use) -> str:
    if not use.also:
        return ""
    shown = ", ".join(f"{p}:{line}" for p, line in use.also[:2])
    more = f" and {len(use.also) - 2} more" if len(use.also) > 2 else ""
    return f" (also imported at {shown}{more})"


def _sys_path_hint(reach: Reach) -> str:
    unknown = reach.unknown_sys_path
    if not unknown:
        return ""
    first = unknown[0]
    return (f" This app also changes sys.path ({first.path}:{first.line}) in a way this check cannot follow; if "
            f"that makes the module importable, ignore this.")


def _dangling_sys_path(ctx: RuleContext, reach: Reach) -> str:
    """A note on a sys.path entry that names no folder of the repository (usually a path relative to the
    working directory, which on Cloud is the repository root)."""
    for change in reach.sys_path:
        if change.folder and not ctx.project.is_dir(change.folder):
            return (f" {change.path}:{change.line} adds {change.folder}/ to sys.path, which does not exist: relative "
                    f"paths start from the working directory, the repository root on Cloud.")
    return ""


def _error_name(use: Use) -> str:
    """The name in Python's "No module named ..." (for a namespace, the first level below it)."""
    return ".".join(use.module.split(".")[:2]) if use.top in NAMESPACE_TOPS else use.top


_OTHER_PLATFORMS = (
    {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt", "platform_machine": "AMD64"},
    {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix", "platform_machine": "arm64"},
)
_OTHER_PYTHONS = ("2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15")


def marker_reason(marker: str, env: dict[str, str], python_text: str | None = None) -> str:
    """Why a requirement marker that is false on Cloud is false: "does not hold for Python 3.12 (Cloud's
    default)", "does not hold on Cloud's Linux", or both. ``python_text`` describes the Python (default
    "Python X.Y")."""
    from checks.streamlit_version import marker_applies

    python = env.get("python_version", "")
    python_text = python_text or f"Python {python}"

    def holds(**changes: str) -> bool:
        return marker_applies(marker, {**env, **changes})

    other_python = any(holds(python_version=v, python_full_version=f"{v}.0", implementation_version=f"{v}.0")
                       for v in _OTHER_PYTHONS if v != python)
    other_platform = any(holds(**platform) for platform in _OTHER_PLATFORMS)
    if other_python and not other_platform:
        return f"does not hold for {python_text}"
    if other_platform and not other_python:
        return "does not hold on Cloud's Linux"
    return f"does not hold on Cloud's Linux with {python_text}"


def _section_text(declared: Declared, ctx: RuleContext | None = None) -> str:
    req = declared.req
    where = f"{req.path}:{req.line}" if req is not None and req.line else (req.path if req is not None else "")
    if declared.state == "marker" and req is not None and req.marker:
        reason = "does not hold on Cloud"
        if ctx is not None:
            from preflight.pythons import cloud_python

            python = cloud_python(ctx.config)
            reason = marker_reason(req.marker, cloud_env(ctx), python.describe if python else None)
        return f"{where} declares it only for {req.marker}, which {reason}"
    label = req.section if req is not None else "another section"
    label = {"dev-packages": "[dev-packages]"}.get(label, label.replace("group:", "the dependency group ")
                                                     .replace("extra:", "the optional extra "))
    return f"{where} declares it only in {label}, which Community Cloud does not install"


# First name parts that say nothing about a dependency between two distributions.
_GENERIC_FIRST_WORDS = frozenset({"python", "py", "streamlit", "st", "django", "flask", "pytest", "types", "sphinx",
                                  "jupyter", "mkdocs", "pyobjc", "apache", "open", "fast", "simple", "easy"})


# Last name parts of the foundation packages a family's other members depend on (langchain-core, google-auth,
# google-api-core, azure-core, llama-index-core, opentelemetry-api, ...).
_FOUNDATION_LAST_WORDS = frozenset({"core", "auth", "common", "commons", "base", "api", "utils", "types", "protos"})


def _family_member(prov: Provision | None, dist: str) -> str | None:
    """A declared distribution of the same family as ``dist`` when ``dist`` is that family's foundation
    package (``google-cloud-bigquery`` for ``google-auth``, ``langchain-openai`` for ``langchain-core``): the
    missing one very probably comes in as its dependency."""
    if prov is None:
        return None
    wanted = _canon(dist)
    first = wanted.split("-", 1)[0]
    if len(first) < 3 or first in _GENERIC_FIRST_WORDS or wanted.rsplit("-", 1)[-1] not in _FOUNDATION_LAST_WORDS \
            or "-" not in wanted:
        return None
    for item in prov.declared:
        if item.state == "installed" and item.name != wanted and item.name.split("-", 1)[0] == first \
                and item.name in prov.unknown:
            return item.req.raw_name if item.req is not None and item.req.raw_name else item.name
    return None


# --------------------------------------------------------------------------- rules


@rule("CP201", "import-not-declared", Severity.ERROR)
def import_not_declared(ctx: RuleContext) -> Iterator[Finding]:
    """The app imports a package that the dependency file Cloud uses does not install.

    Severity: error; warning when the app changes `sys.path` in a way this check cannot follow, or the file
    installs a URL or path whose package name cannot be told; note when the import is inside
    `try: ... except ImportError`. Imports under `if TYPE_CHECKING:`, in an `except ImportError:` fallback
    or under a platform or Python-version test are not reported.

    ## Why is this bad?
    Community Cloud installs exactly one dependency file (the one named in the message) and nothing else:
    packages you installed locally, or listed in a file Cloud ignores, are not there, and the app stops with
    `ModuleNotFoundError: No module named '...'` when it reaches the import. The import name is often not
    the name to install (`cv2` comes from `opencv-python-headless`, `sklearn` from `scikit-learn`). A package
    that arrives as a dependency of a declared package (two levels down, from the dated table
    `preflight/data/requires_dist.json.gz`) is CP207 instead; for declared packages that table does not know,
    the message says the import may still arrive that way. Windows-only modules (`winreg`, `msvcrt`) and
    Python 2 modules (`urllib2`, `ConfigParser`) are reported here too: no package brings them to Cloud.

    ## Example
    ```python
    import plotly.express as px
    ```
    with a `requirements.txt` that lists only `streamlit==1.50.0`.

    ## Fix
    Add the distribution named in the message to the file named in the message (`plotly`, pinned if you
    like). For a spaCy pipeline (`import en_core_web_sm`), add its wheel URL.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/app-dependencies
    - https://docs.streamlit.io/knowledge-base/dependencies/module-not-found-error
    """
    for app in ctx.apps:
        if not app.exists or app.winner is None:
            continue  # no dependency file at all: CP101
        analysis = analyse(ctx, app)
        winner = app.winner
        for use in analysis.uses:
            if use.kind != "missing":
                continue
            ref, detail = use.ref, use.detail
            where = (use.path, ref.line, ref.column)
            quoted = f"\"{ref.statement}\""
            if detail.get("windows"):
                what = f"{use.top} comes from {detail['dist']}, which works only on Windows" if detail.get("dist") \
                    else f"{use.top} exists only in Python on Windows"
                yield ctx.finding(
                    f"{what}; Community Cloud runs Linux, so {quoted} fails with ModuleNotFoundError: No module "
                    f"named '{use.top}'{_also(use)}.",
                    *where, app=app,
                    fix="Guard it with if sys.platform == \"win32\": (or remove it) and use a portable "
                        "alternative on Linux.")
                continue
            if detail.get("notebook"):
                name = detail["notebook"]
                yield ctx.finding(
                    f"{name} exists only inside {_NOTEBOOK_ONLY[name]}; no package installs it on Community Cloud, "
                    f"so {quoted} fails with ModuleNotFoundError: No module named '{name}'{_also(use)}.",
                    *where, app=app,
                    fix=f"Remove the notebook-only code (or guard it with try/except ImportError); use "
                        f"st.file_uploader and st.secrets instead of {name}.")
                continue
            if detail.get("py2"):
                yield ctx.finding(
                    f"{use.top} is a Python 2 module; on Community Cloud's Python 3 {quoted} fails with "
                    f"ModuleNotFoundError: No module named '{use.top}'{_also(use)}.",
                    *where, app=app, fix=f"Use {detail['py2']} instead.")
                continue
            dist = detail["dist"]
            severity = Severity.NOTE if ref.guard == "try" else None
            hedge = ""
            if severity is None and analysis.reach.unknown_sys_path:
                severity, hedge = Severity.WARNING, _sys_path_hint(analysis.reach)
            elif severity is None and analysis.provision and analysis.provision.unnamed:
                unnamed = analysis.provision.unnamed[0]
                severity = Severity.WARNING
                hedge = (f" {unnamed.path}:{unnamed.line} installs \"{unnamed.text.strip()[:80]}\", whose package "
                         f"name cannot be told; if it provides {use.top}, ignore this.")
            off: Declared | None = detail.get("off")
            known = _known_distribution(dist)
            relative = _family_member(analysis.provision, dist) if off is None and severity is None \
                and winner.filename != "uv.lock" else None
            if _SPACY_MODEL_RE.match(use.top):
                why = (f"{use.top} is a spaCy pipeline, installed from its wheel URL (not from PyPI), and "
                       f"{_installs_phrase(app)} does not install it")
                fix = (f"Add {use.top} @ <wheel URL from {_SPACY_MODEL_URL}> (matching your spaCy version) to "
                       f"{winner.path}.")
            elif off is not None:
                section = _section_text(off, ctx)
                why = f"{dist} is not installed from {_installs_phrase(app)}: {section}"
                fix = add_fix(winner, dist).replace("Add ", "Declare ", 1) if off.state == "section" else \
                    f"Remove the marker from {dist} in {winner.path} (or guard the import)."
            else:
                why = f"{dist} is not in {_installs_phrase(app)}"
                fix = add_fix(winner, dist)
            unknown = analysis.provision.unknown if analysis.provision else []
            unless = "" if winner.filename == "uv.lock" or off is not None or not unknown else \
                " unless a package you declare happens to depend on it"
            if relative is not None:
                severity = Severity.WARNING
                unless = (f" unless it comes in as a dependency of {relative}, which you declare (likely, but "
                          f"cloud-preflight does not know {relative}'s dependencies)")
            if known is False and not distributions.candidates(use.module) and not _SPACY_MODEL_RE.match(use.top):
                unless += f"; {dist} is not among the widely used PyPI projects either, so if {use.top} is your " \
                          f"own module, commit it"
            if ref.guard == "try":
                message = (f"{why}, so {quoted} fails on Community Cloud; it is inside try/except ImportError, "
                           f"so the app runs without it{_also(use)}.")
                fix = fix.rstrip(".") + " if the app should use it."
            else:
                message = (f"{why}, so {quoted} fails with ModuleNotFoundError: No module named "
                           f"'{_error_name(use)}'{unless}{_also(use)}.{hedge}")
            if winner.filename == "uv.lock" and off is None:
                fix = add_fix(winner, dist)
            yield ctx.finding(message, *where, app=app, severity=severity, fix=fix)


@rule("CP202", "import-only-via-streamlit", Severity.NOTE)
def import_only_via_streamlit(ctx: RuleContext) -> Iterator[Finding]:
    """The app imports a package that only Streamlit's own dependencies install.

    ## Why is this bad?
    `pandas`, `numpy`, `altair`, `requests`, `PIL` (pillow) and the other packages Streamlit depends on are
    installed with it, so the import works today. But they come with the version range Streamlit picks, and
    Streamlit has dropped dependencies before (`tornado`, `toml`, `blinker`, `cachetools` and `gitpython`
    left with the move to Starlette): the next Streamlit release Cloud installs can break the app, and a
    version conflict with a package you do declare goes unnoticed.

    ## Example
    ```python
    import pandas as pd
    ```
    with a `requirements.txt` that lists only `streamlit==1.50.0`.

    ## Fix
    Declare the package you import in the dependency file Cloud uses (pinned, or with the range you tested).

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/app-dependencies
    """
    for app in ctx.apps:
        if not app.exists or app.winner is None:
            continue
        analysis = analyse(ctx, app)
        version = analysis.provision.streamlit_version if analysis.provision else ""
        for use in analysis.uses:
            if use.kind != "streamlit":
                continue
            dist, via = use.detail["dist"], use.detail["via"]
            shown = f"streamlit {version}" if version else "streamlit"
            how = f"{shown} depends on it" if not via else f"{via}, a dependency of {shown}, depends on it"
            yield ctx.finding(
                f"\"{use.ref.statement}\" works on Community Cloud only because {how}: {dist} is not in "
                f"{_installs_phrase(app)}{_also(use)}. Declare it, so a Streamlit upgrade cannot remove or "
                f"re-pin it under you.",
                use.path, use.ref.line, use.ref.column, app=app, fix=add_fix(app.winner, dist))


@rule("CP203", "import-local-not-found", Severity.ERROR)
def import_local_not_found(ctx: RuleContext) -> Iterator[Finding]:
    """An import names a local module that is not in the repository Cloud clones (case, spelling, .gitignore).

    Severity: warning when the app changes `sys.path` in a way this check cannot follow.

    ## Why is this bad?
    Windows and macOS ignore letter case in file names, so `import Utils` finds `utils.py` there; Community
    Cloud runs Linux, where it does not. A module listed in `.gitignore` (often a `config.py` holding keys)
    exists on your machine but not in the repository Cloud clones. A misspelt module name
    (`utils.partnerships` for `utils/patnerships.py`) fails everywhere, but only shows when that code runs.
    In each case the app stops with `ModuleNotFoundError`.

    ## Example
    ```python
    from Utils.helpers import load   # committed as utils/helpers.py
    from config import API_KEY       # config.py is in .gitignore
    ```

    ## Fix
    Spell the module exactly as committed (`git ls-files` shows it) or rename it with `git mv`. For an
    ignored settings module, commit a version without secrets and read the secrets from `st.secrets`.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/status-and-limitations
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/secrets-management
    """
    for app in ctx.apps:
        if not app.exists:
            continue
        analysis = analyse(ctx, app)
        severity = Severity.WARNING if analysis.reach.unknown_sys_path else None
        hint = _sys_path_hint(analysis.reach)
        for use in analysis.uses:
            if use.kind != "local-missing":
                continue
            detail, ref = use.detail, use.ref
            quoted = f"\"{ref.statement}\""
            fails = f"fails with ModuleNotFoundError: No module named '{use.module}'"
            if detail["why"] == "ignored":
                ignore, line = detail["ignore"]
                message = (f"{detail['path']} is ignored by {ignore}:{line}, so it is not in the repository "
                           f"Community Cloud clones and {quoted} {fails}{_also(use)}.{hint}")
                fix = (f"Commit {detail['path']} (without secrets: read those from st.secrets), or stop "
                       f"importing it.")
            elif detail["why"] == "case":
                message = (f"\"{use.module}\" does not match the committed {detail['path']} in letter case. "
                           f"Community Cloud runs on Linux, where names are case-sensitive, so {quoted} {fails} "
                           f"(it works on Windows and macOS only because their file systems ignore case)"
                           f"{_also(use)}.{hint}")
                fix = f"Import it as {detail['actual']}, or rename {detail['path']} with git mv."
            else:
                message = (f"There is no local module \"{use.module}\"; the closest is {detail['path']} "
                           f"(\"{detail['actual']}\"), so {quoted} {fails}{_also(use)}.{hint}")
                fix = f"Import {detail['actual']}, or rename {detail['path']} with git mv."
            yield ctx.finding(message, use.path, ref.line, ref.column, app=app, severity=severity, fix=fix)


@rule("CP204", "import-local-not-on-path", Severity.ERROR)
def import_local_not_on_path(ctx: RuleContext) -> Iterator[Finding]:
    """A local module the app imports is in the repository, but not on the `sys.path` Cloud gives the app.

    Severity: warning when the app changes `sys.path` in a way this check cannot follow.

    ## Why is this bad?
    Community Cloud runs `streamlit run <entrypoint>` from the repository root, and Streamlit puts only the
    entrypoint's folder on `sys.path`; the root is the working directory but not on `sys.path`. With the
    entrypoint in `app/`, `from lib import db` works locally when the root happens to be on `sys.path`
    (`python -m streamlit run`, an IDE, an installed project) and fails on Cloud with
    `ModuleNotFoundError: No module named 'lib'`. The same goes for packages in `src/` that only
    `pip install -e .` made importable on your machine, when the dependency file Cloud uses does not install
    the project, for a module imported by its bare name from a sub-folder (`import helpers` for
    `app/components/helpers.py`), and for `sys.path.append("modules")`, which is relative to the working
    directory: the repository root on Cloud.

    ## Example
    `app/streamlit_app.py` doing `from lib.db import connect`, with `lib/` at the repository root and a
    `requirements.txt` without `-e .`.

    ## Fix
    Put the entrypoint at the root (a thin `streamlit_app.py` that imports the app works), make the code an
    installable project and install it from the dependency file (`-e .` in `requirements.txt`), or add the
    folder to `sys.path` before the import:
    `sys.path.insert(0, str(Path(__file__).resolve().parents[1]))`.

    ## References
    - https://github.com/streamlit/streamlit/blob/develop/lib/streamlit/web/bootstrap.py
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/file-organization
    - https://github.com/kingjulio8238/Memary/issues/18
    """
    for app in ctx.apps:
        if not app.exists:
            continue
        analysis = analyse(ctx, app)
        severity = Severity.WARNING if analysis.reach.unknown_sys_path else None
        hint = _sys_path_hint(analysis.reach)
        entry_folder = f"{app.dir}/" if app.dir else "the repository root"
        for use in analysis.uses:
            if use.kind != "not-on-path":
                continue
            detail, ref = use.detail, use.ref
            quoted = f"\"{ref.statement}\""
            fails = f"fails with ModuleNotFoundError: No module named '{use.top}'"
            winner = app.winner.path if app.winner else "requirements.txt"
            root = detail.get("root", "")
            if detail["why"] == "root":
                message = (f"{quoted} works only when the repository root is on sys.path ({detail['path']} is "
                           f"found from there); Streamlit puts only the entrypoint's folder ({entry_folder}) on "
                           f"sys.path, so on Community Cloud it {fails}{_also(use)}.{hint}")
                fix = (f"Add sys.path.insert(0, str(Path(__file__).resolve().parents[{app.dir.count('/') + 1}])) "
                       f"to {app.entrypoint} before the import, move the entrypoint to the repository root, or make "
                       f"the code an installable project and install it from {winner}.")
            elif detail["why"] == "src":
                message = (f"{quoted} needs {root}/ on sys.path ({detail['path']}), which only installing the "
                           f"project does, and {winner} does not install it, so on Community Cloud it {fails}"
                           f"{_also(use)}.{hint}")
                install = f"add -e . to {winner}" if winner.endswith("requirements.txt") else \
                    f"install the project from {winner}"
                fix = f"Make the project installable and {install}, or add {root}/ to sys.path before the import."
            else:
                folder = f"{root}/" if root else "the repository root"
                message = (f"{quoted} finds no module on the sys.path Cloud gives the app (only the entrypoint's "
                           f"folder, {entry_folder}): the only {use.top} is {detail['path']}, in {folder}, so on "
                           f"Community Cloud it {fails}{_also(use)}.{hint}{_dangling_sys_path(ctx, analysis.reach)}")
                dotted = root.replace("/", ".")
                prefix = app.dir.replace("/", ".") + "." if app.dir else ""
                fix = (f"Import it as {dotted[len(prefix):]}.{use.top} (its path from the entrypoint's folder), "
                       f"use a relative import, or move it next to the entrypoint.") \
                    if root and (not app.dir or root.startswith(app.dir + "/")) else \
                    "Move the module next to the entrypoint, or add its folder to sys.path before the import."
            yield ctx.finding(message, use.path, ref.line, ref.column, app=app, severity=severity, fix=fix)


# Modules a pickle names that never need a package: the pickle machinery and the module run as the script.
_PICKLE_IGNORED = frozenset({"__main__", "__builtin__", "builtins", "copy_reg", "copyreg", "_codecs", "_reconstructor",
                             "__mp_main__"})


def _model_needs(ctx: RuleContext, app: App, analysis: Analysis
                 ) -> list[tuple[ModelLoad, str, str, str, list[ModelLoad]]]:
    """(load, distribution, module, class, other loads) for each package that model files the app unpickles
    need and that the winning file does not install (nor streamlit, nor a declared package's dependencies):
    the first load that needs it, and the other loads (other files, other lines) that need it too."""

    prov = analysis.provision
    reach = analysis.reach
    stdlib = _stdlib()
    reported = {use.key for use in analysis.uses if use.kind == "missing"}
    runtime: set[str] | None = None
    out: dict[str, tuple[ModelLoad, str, str, str, list[ModelLoad]]] = {}
    for local in reach.modules:
        if local.root_only:
            continue
        for load in model_loads(ctx.project, local.path, app.dir):
            scan = pickled_globals(ctx.project, load.model)
            for module, attribute in scan.globals:
                top = module.split(".", 1)[0]
                if top in stdlib or top in _PICKLE_IGNORED or top in ("streamlit", "streamlit_nightly"):
                    continue
                if not distributions.candidates(module) and _known_distribution(top.replace("_", "-")) is not True:
                    continue  # only packages cloud-preflight knows: anything else may be the app's own code
                found = reach.resolve(ctx.project, module)
                if found is not None and not found[0].endswith("/"):
                    continue  # the app's own module
                if prov is not None and (prov.installing(module) or prov.through_streamlit(module)
                                         or prov.through_dependency(module)):
                    continue
                if prov is None and top in STREAMLIT_TOPS:
                    continue
                dist = distribution_for(module)
                key = _canon(dist)
                if key in reported:
                    continue  # an import CP201 reports says it already
                if key in out:
                    if load not in out[key][4] and load != out[key][0]:
                        out[key][4].append(load)
                    continue
                if runtime is None:
                    runtime = _runtime_installs(ctx, reach)
                if key in runtime:
                    continue
                out[key] = (load, dist, module, attribute, [])
    return list(out.values())


# Import names streamlit brings in, for apps without any dependency file (CP206 only).
STREAMLIT_TOPS = frozenset({"numpy", "pandas", "pyarrow", "PIL", "altair", "pydeck", "requests"})


@rule("CP206", "pickled-package-missing", Severity.ERROR)
def pickled_package_missing(ctx: RuleContext) -> Iterator[Finding]:
    """A model file the app unpickles needs a package that the dependency file Cloud uses does not install.

    Only files the app's code loads by a path written in the code are read (`pickle.load(open("m.pkl", "rb"))`,
    `with open(...) as f: pickle.load(f)`, `joblib.load(...)`, `pd.read_pickle(...)`, `torch.load(...)`,
    `cloudpickle`/`dill`), with the suffixes `.pkl`, `.pickle`, `.joblib`, `.sav`, `.pt`, `.pth`, `.bin`
    (optionally compressed). The file is data: it is never unpickled. At most its first 64 MB are read and its
    pickle stream is decoded opcode by opcode (gzip, bz2, xz and zlib compression and torch's zip format are
    unwrapped) to list the classes it names; a truncated or corrupt stream yields what was read before the
    damage. Packages streamlit brings in (numpy, pandas) and the app's own modules are not reported.

    ## Why is this bad?
    A pickle stores an object as "import this class from this module, then fill in its state". A scikit-learn
    model pickled on your machine imports `sklearn` when it is loaded, although your code never does
    `import sklearn`: on Community Cloud, without `scikit-learn` in the dependency file, the load fails with
    `ModuleNotFoundError: No module named 'sklearn'`. Import checkers cannot see this; the package is needed all
    the same (and best pinned to the version that wrote the file).

    ## Example
    ```python
    with open("models/model.pkl", "rb") as f:
        model = pickle.load(f)   # a RandomForestClassifier
    ```
    with a `requirements.txt` that lists only `streamlit` and `pandas`.

    ## Fix
    Add the distribution named in the message to the dependency file Cloud uses, pinned to the version the
    model was saved with.

    ## References
    - https://docs.python.org/3/library/pickle.html#pickling-class-instances
    - https://scikit-learn.org/stable/model_persistence.html
    - https://github.com/machinelearningZH/simply-simplify-language/issues/9
    """
    for app in ctx.apps:
        if not app.exists:
            continue
        analysis = analyse(ctx, app)
        winner = app.winner
        for load, dist, module, attribute, others in _model_needs(ctx, app, analysis):
            top = module.split(".", 1)[0]
            where = f"which is not in {_installs_phrase(app)}" if winner is not None else \
                "and there is no dependency file, so Community Cloud installs only streamlit and its dependencies"
            also = ""
            if others:
                shown = ", ".join(f"{o.model} at {o.path}:{o.line}" for o in others[:2])
                also = f" (also {shown}{f' and {len(others) - 2} more' if len(others) > 2 else ''})"
            yield ctx.finding(
                f"{load.model} was pickled with {dist} objects (\"{module}.{attribute}\"); unpickling it on "
                f"Community Cloud needs {dist}, {where}, so {load.call}() fails with ModuleNotFoundError: No module "
                f"named '{top}'{also}.",
                load.path, load.line, load.column, app=app,
                fix=(add_fix(winner, dist) if winner is not None else f"Add a requirements.txt with {dist}.")
                .rstrip(".") + " (pinned to the version that saved the file).")


@rule("CP207", "import-only-via-dependency", Severity.WARNING)
def import_only_via_dependency(ctx: RuleContext) -> Iterator[Finding]:
    """The app imports a package that is not declared and arrives only as a dependency of a declared package.

    What a declared package depends on comes from the dated table `preflight/data/requires_dist.json.gz`
    (`scripts/update_requires_dist.py`: wheel metadata of about 900 widely used projects, plus a few single
    look-ups), for the newest version there that the declared specifier allows, two levels down, with the
    markers evaluated for Cloud's Linux and Python. Declared packages the table does not know are not followed
    (CP201 then reports the import, and says it may still arrive this way).

    ## Why is this bad?
    The import works on Community Cloud today: `pip`/`uv` install the declared package's own requirements,
    so `import av` works when only `streamlit-webrtc` is declared. But nothing pins it: a new release of
    `streamlit-webrtc` can drop or re-pin `av`, and the app breaks on the next deploy although you changed
    nothing. The Cloud docs ask you to declare every package you import.

    ## Example
    ```python
    import av
    ```
    with a `requirements.txt` that lists `streamlit-webrtc` but not `av`.

    ## Fix
    Declare the package you import in the dependency file Cloud uses (pinned, or with the range you tested).

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/app-dependencies
    - https://packaging.python.org/en/latest/specifications/core-metadata/#requires-dist-multiple-use
    """
    for app in ctx.apps:
        if not app.exists or app.winner is None:
            continue
        analysis = analyse(ctx, app)
        for use in analysis.uses:
            if use.kind != "dependency":
                continue
            chain = use.detail["chain"]
            dist = chain[-1]
            how = " depends on ".join(chain[:2])
            if len(chain) > 2:
                how += "".join(f", which depends on {name}" for name in chain[2:])
            yield ctx.finding(
                f"\"{use.ref.statement}\" works on Community Cloud only because {how}: {dist} is not in "
                f"{_installs_phrase(app)}{_also(use)}. Declare it, so a new release of {chain[0]} cannot remove "
                f"or re-pin it under you.",
                use.path, use.ref.line, use.ref.column, app=app, fix=add_fix(app.winner, dist))


# Declared packages that apps use without importing them: servers, database drivers named in connection URLs,
# pandas/plotly engines and plug-ins, build tools, type stubs and test tools.
_USED_WITHOUT_IMPORT = frozenset({
    "streamlit", "streamlit-nightly", "pip", "setuptools", "wheel", "uv", "poetry", "pipenv", "gunicorn", "uvicorn",
    "watchdog", "psycopg2", "psycopg2-binary", "psycopg", "psycopg-binary", "pymysql", "mysqlclient",
    "mysql-connector-python", "pyodbc", "cx-oracle", "oracledb", "pymssql", "snowflake-sqlalchemy", "duckdb-engine",
    "sqlalchemy-bigquery", "pybigquery", "pg8000", "asyncpg", "aiosqlite", "pysqlite3-binary", "openpyxl", "xlrd",
    "xlsxwriter", "odfpy", "pyxlsb", "python-calamine", "pyarrow", "fastparquet", "lxml", "html5lib", "tabulate",
    "kaleido", "statsmodels", "nbformat", "ipykernel", "ipywidgets", "protobuf", "grpcio", "sentencepiece",
    "accelerate", "tokenizers", "safetensors", "torchvision", "torchaudio", "tiktoken", "einops", "matplotlib",
    "jinja2", "scipy", "certifi", "urllib3", "cryptography", "gevent", "eventlet", "uvloop", "httptools", "orjson",
    "vl-convert-python", "altair-saver", "tzdata", "pytz", "python-dateutil", "typing-extensions", "numpy",
    "black", "ruff", "flake8", "mypy", "pylint", "isort", "pre-commit", "coverage", "pytest", "ipython",
    "jupyter", "jupyterlab", "notebook", "watchfiles", "python-multipart", "email-validator", "bcrypt",
    "pyngrok", "authlib", "httpx", "graphviz", "pydot", "networkx", "onnxruntime", "xformers", "bitsandbytes",
    "db-dtypes", "google-auth-httplib2", "langchain-cli", "chromedriver-autoinstaller",
})
_FREEZE_PINS = 30


@rule("CP205", "declared-not-imported", Severity.NOTE)
def declared_not_imported(ctx: RuleContext) -> Iterator[Finding]:
    """A declared package that no code the app reaches imports or names (off by default).

    Enable with `select = ["CP", "CP205"]` (or `--select CP,CP205`). Drivers and plug-ins used without an
    import (database drivers in connection URLs, pandas' Excel and Parquet engines, servers, build and test
    tools, type stubs) are not reported, nor are packages whose import name appears anywhere in the code
    (`engine="openpyxl"`, `spacy.load("en_core_web_sm")`), nor files that look like a `pip freeze`.

    ## Why is this bad?
    Every package in the dependency file is downloaded and installed on every deploy: unused ones slow the
    build, use the app's limited memory and disk, and are one more chance of a version with no wheel for
    Cloud's Python. It is advice, not a prediction: a package can be needed without an import.

    ## Example
    `requirements.txt` with `tensorflow` in an app that no longer imports it.

    ## Fix
    Remove the line if the app does not need the package.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/app-dependencies
    """
    for app in ctx.apps:
        if not app.exists or app.winner is None or app.winner.filename == "uv.lock":
            continue
        winner = app.winner
        rows = [r for r in winner.named() if r.kind in ("name", "url", "conda")]
        pins = [r for r in rows if re.fullmatch(r"===?[^,]+", r.specifier or "")]
        if len(pins) >= _FREEZE_PINS:
            continue  # a pip freeze: CP311
        analysis = analyse(ctx, app)
        imported: list[str] = []
        texts: list[bytes] = []
        for local in analysis.reach.modules:
            texts.append(ctx.project.read_bytes(local.path) or b"")
            for ref in imports_of(ctx.project, local.path, local.root):
                if not ref.level and ref.module:
                    imported += _checked_modules(ref)
                    imported += [f"{ref.module}.{n}" for n in ref.names if n != "*"]
            if not local.root_only:  # packages a model file needs when it is unpickled (CP206) are used too
                for load in model_loads(ctx.project, local.path, app.dir):
                    imported += pickled_globals(ctx.project, load.model).modules
        blob = b"\n".join(texts)
        stdlib = _stdlib()
        from preflight import data

        table = data.toml("import_names.toml").get("requirement-names")
        import_named = {_canon(k) for k in table} if isinstance(table, dict) else set()
        for req in rows:
            name = req.name
            if name in _USED_WITHOUT_IMPORT or name.startswith(("types-", "pytest", "sqlalchemy-", "jupyter")) \
                    or name.endswith("-stubs"):
                continue
            if name in import_named or name.replace("-", "_") in stdlib:
                continue  # CP302 / CP301 report these lines
            if any(provides(name, module) for module in imported):
                continue
            names = distributions.import_names(name) | {name, name.replace("-", "_")}
            alias = _CONDA_NAMES.get(name)
            if alias:
                names |= distributions.import_names(alias)
            if any(re.search(rb"\b" + re.escape(n.encode()) + rb"\b", blob, re.IGNORECASE) for n in names if n):
                continue
            shown = req.raw_name or name
            yield ctx.finding(
                f"{shown} is declared in {req.path}, but no code this app reaches imports it; Community Cloud "
                f"still installs it on every deploy.",
                req.path, req.line, app=app,
                fix=f"Remove {shown} from {req.path} if the app does not need it (keep packages used without an "
                    f"import, such as database drivers or plug-ins).")


RULES = (import_not_declared, import_only_via_streamlit, import_local_not_found, import_local_not_on_path,
         declared_not_imported, pickled_package_missing, import_only_via_dependency)
DEFAULT_OFF = {"CP205"}
