"""CP3xx: what the dependency file Cloud uses for each app declares.

Every rule here reads ``app.winner`` (for ``requirements.txt`` that includes its ``-r`` includes) and looks at
single requirement rows: names that are not installable on Community Cloud's Linux, paths and URLs that only
work on the author's machine, include lines, encodings and parse errors. URLs are always shown with their
credentials redacted.
"""

from __future__ import annotations

import posixpath
import re
import sys
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from preflight.apps import App
from preflight.depfiles import DependencyFile, Requirement, string_line
from preflight.model import Finding, Severity
from preflight.rules import RuleContext, rule

# --------------------------------------------------------------------------- shared helpers

# Pythons used to evaluate environment markers when Cloud's choice is unknown (newest last).
_FALLBACK_PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")
# Files whose rows are pip requirement lines (and so can hold options, includes and pip-freeze output).
_PIP_FILES = ("requirements.txt", "environment.yml")


def _cloud_pythons(ctx: RuleContext) -> tuple[str, ...]:
    """Python minor versions an app may run on Cloud (the configured one, else every offered one)."""
    configured = getattr(ctx.config, "python_version", None)
    if isinstance(configured, str) and re.fullmatch(r"3\.\d+", configured.strip()):
        return (configured.strip(),)
    from preflight.pythons import offered, today

    return tuple(offered(today())) or _FALLBACK_PYTHONS


def _marker_applies(marker: str | None, pythons: Iterable[str]) -> bool:
    """True when ``marker`` is true on Cloud's Linux for at least one Python (or cannot be evaluated)."""
    if not marker:
        return True
    try:
        parsed = Marker(marker)
    except InvalidMarker:
        return True
    for python in pythons:
        env = {"os_name": "posix", "sys_platform": "linux", "platform_system": "Linux",
               "platform_machine": "x86_64", "platform_release": "", "platform_version": "",
               "python_version": python, "python_full_version": f"{python}.0",
               "implementation_name": "cpython", "implementation_version": f"{python}.0",
               "platform_python_implementation": "CPython", "extra": ""}
        try:
            if parsed.evaluate(env):
                return True
        except (UndefinedComparison, UndefinedEnvironmentName, ValueError, TypeError):
            return True
    return False


_PIPFILE_MARKER_KEYS = ("sys_platform", "os_name", "platform_system", "platform_machine", "python_version",
                        "python_full_version", "platform_python_implementation", "implementation_name")


def _toml_entry(ctx: RuleContext, winner: DependencyFile, req: Requirement) -> Any:
    """The raw Pipfile/Poetry value a requirement came from (None when not a TOML mapping entry)."""
    if winner.filename not in ("Pipfile", "pyproject.toml") or not req.raw_name:
        return None
    data = ctx.project.toml(winner.path)
    if not isinstance(data, dict):
        return None
    tables: list[Any] = []
    if winner.filename == "Pipfile":
        tables.append(data.get("packages"))
    else:
        tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
        poetry = tool.get("poetry") if isinstance(tool.get("poetry"), dict) else {}
        tables.append(poetry.get("dependencies"))
        groups = poetry.get("group") if isinstance(poetry.get("group"), dict) else {}
        main = groups.get("main") if isinstance(groups.get("main"), dict) else {}
        tables.append(main.get("dependencies"))
    for table in tables:
        if isinstance(table, dict) and req.raw_name in table:
            return table[req.raw_name]
    return None


def _entry_applies(value: Any, pythons: tuple[str, ...]) -> bool:
    """Pipfile/Poetry platform keys the parser does not turn into a marker (``platform = "win32"``, ...)."""
    if isinstance(value, list):  # Poetry multiple-constraint dependencies: installed when any entry applies
        dicts = [v for v in value if isinstance(v, dict)]
        return not dicts or any(_entry_applies(v, pythons) for v in dicts)
    if not isinstance(value, dict):
        return True
    markers: list[str] = []
    if isinstance(value.get("markers"), str):
        markers.append(value["markers"])
    platform = value.get("platform")
    if isinstance(platform, str) and re.fullmatch(r"[A-Za-z0-9_]+", platform.strip()):
        markers.append(f'sys_platform == "{platform.strip()}"')
    for key in _PIPFILE_MARKER_KEYS:
        text = value.get(key)
        if isinstance(text, str) and re.match(r"^\s*(==|!=|<=|>=|<|>|~=|in\b|not in\b)", text):
            markers.append(f"{key} {text.strip()}")
    for marker in markers:
        if not _marker_applies(marker, pythons):
            return False
    python = value.get("python")
    if isinstance(python, str):
        try:
            spec = SpecifierSet(python.replace(" ", ""))
        except InvalidSpecifier:
            return True
        return any(spec.contains(f"{p}.0", prereleases=True) for p in pythons)
    return True


def _installed(ctx: RuleContext, winner: DependencyFile, req: Requirement) -> bool:
    """Whether Cloud's installer would install this row at all (markers, Poetry/Pipfile platform keys)."""
    pythons = _cloud_pythons(ctx)
    if not _marker_applies(req.marker, pythons):
        return False
    return _entry_applies(_toml_entry(ctx, winner, req), pythons)


_ENV_RE = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")
_USERINFO_RE = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/@\s]+)@")
_SECRET_PARAM_RE = re.compile(r"(?i)\b(token|access_token|private_token|auth|password|passwd|key|secret)=[^&#\s]+")
_TOKEN_RE = re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{16,}|glpat-[A-Za-z0-9_-]{16,})")


def redact(text: str) -> str:
    """``text`` with URL credentials, token query parameters and GitHub/GitLab tokens replaced by ``***``."""
    def userinfo(match: re.Match[str]) -> str:
        user = match.group("userinfo")
        placeholders = all(_ENV_RE.fullmatch(part) for part in user.split(":"))
        kept = user if re.fullmatch(r"git|hg|ssh|anonymous", user) or placeholders else "***"
        return f"{match.group('scheme')}{kept}@"

    text = _USERINFO_RE.sub(userinfo, text)
    text = _SECRET_PARAM_RE.sub(lambda m: f"{m.group(1)}=***", text)
    return _TOKEN_RE.sub("***", text)


def _shown(text: str, limit: int = 90) -> str:
    """A requirement line fit for a message: credentials redacted, whitespace folded, length capped."""
    text = re.sub(r"\s+", " ", redact(text)).strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _rows(ctx: RuleContext, app: App) -> tuple[DependencyFile, list[Requirement]] | None:
    """The winner and its runtime rows Cloud installs (markers honoured), or None."""
    if not app.exists or app.winner is None:
        return None
    winner = app.winner
    return winner, [r for r in winner.requirements if r.is_runtime and _installed(ctx, winner, r)]


def _index_urls(ctx: RuleContext, winner: DependencyFile) -> list[tuple[str, int | None, str]]:
    """(url, line, file) of every package index / find-links location the winning file configures."""
    out: list[tuple[str, int | None, str]] = []
    for req in winner.requirements:
        if req.kind == "option" and req.url:
            head = req.text.split("=", 1)[0].split(" ", 1)[0]
            if head in ("-i", "--index-url", "--extra-index-url", "-f", "--find-links"):
                out.append((req.url, req.line, req.path))
    if winner.filename in ("Pipfile", "pyproject.toml"):
        data = ctx.project.toml(winner.path)
        text = ctx.project.text(winner.path)
        sources: Any = None
        if isinstance(data, dict):
            if winner.filename == "Pipfile":
                sources = data.get("source")
            else:
                tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
                poetry = tool.get("poetry") if isinstance(tool.get("poetry"), dict) else {}
                sources = poetry.get("source")
        if isinstance(sources, list):
            for source in sources:
                if isinstance(source, dict) and isinstance(source.get("url"), str):
                    line = string_line(text.text, source["url"]) if text else None
                    out.append((source["url"], line, winner.path))
    return out


_DIRECT_REF_RE = re.compile(r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*@\s*(?P<url>\S+)")


def _req_url(req: Requirement) -> tuple[str | None, str]:
    """(url, distribution name as written) of a row.

    Works around depfiles classifying ``name @ <url ending in .whl/.tar.gz>`` as a bare path whose ``url`` is
    the whole ``name @ url`` text.
    """
    url = req.url
    if url and req.kind == "path":
        match = _DIRECT_REF_RE.match(url)
        if match and not url.lstrip().startswith((".", "/", "~")):
            return match.group("url"), match.group("name")
    return url, req.raw_name


def _source_files(winner: DependencyFile) -> list[str]:
    """The winner and every included file its rows came from, in order."""
    out = [winner.path]
    for req in winner.requirements:
        if req.path not in out:
            out.append(req.path)
    return out


# --------------------------------------------------------------------------- CP301 stdlib

# Standard-library names (and Python 2 backport names) that exist as projects on PyPI, with what installing
# them does on the Pythons Cloud offers. From the PyPI name list of 2026-10 (.library pypi.tsv) and the
# projects' own descriptions; everything else in sys.stdlib_module_names does not exist on PyPI.
_N, _W, _E = Severity.NOTE, Severity.WARNING, Severity.ERROR
_STDLIB_ON_PYPI: dict[str, tuple[Severity, str]] = {
    "typing": (_W, 'PyPI\'s "typing" is a backport for Python < 3.5; '
                   'installed next to the standard-library module it is known to break tools with "AttributeError: '
                   'type object \'Callable\' has no attribute \'_abc_registry\'"'),
    "pathlib": (_W, 'PyPI\'s "pathlib" (1.0.1) is an unmaintained backport for Python < 3.4; the standard-library '
                    'module shadows it, and installers and tools such as pipenv and PyInstaller are known to fail '
                    'with it'),
    "enum34": (_W, '"enum34" backports enum to Python < 3.4; installed on Python 3 it has broken "import re" (and '
                   'pip itself) with "AttributeError: module \'enum\' has no attribute \'IntFlag\'"'),
    "futures": (_W, '"futures" backports concurrent.futures to Python 2: its recent releases require Python < 3 '
                    '(a pin such as futures==3.4.0 fails with "No matching distribution"), older ones do nothing on '
                    'Python 3'),
    "asyncio": (_W, 'PyPI\'s "asyncio" is the 2015 preview for Python 3.3, now a deprecated stub ("use the stdlib '
                    'package instead"); old pins such as asyncio==3.4.3 install code that no longer compiles on '
                    'Python 3.7+ (async is a keyword)'),
    "datetime": (_W, 'the name resolves to Zope\'s "DateTime" project on PyPI (names are case-insensitive): it '
                     'installs DateTime, zope.interface and pytz, not the standard-library datetime module you '
                     'import'),
    "importlib": (_W, 'PyPI\'s "importlib" (1.0.4) backports import_module() to Python 2.6; it is useless on '
                      'Python 3'),
    "argparse": (_N, 'PyPI\'s "argparse" is a backport for Python < 2.7/3.2; it installs, but the standard-library '
                     'module shadows it, so the line does nothing'),
    "configparser": (_N, 'PyPI\'s "configparser" backports the module to older Pythons; it installs, but the '
                         'standard-library module shadows it, so the line does nothing'),
    "ipaddress": (_N, 'PyPI\'s "ipaddress" is a backport for Python 2; it installs, but the standard-library module '
                      'shadows it, so the line does nothing'),
    "contextvars": (_N, 'PyPI\'s "contextvars" is a backport for Python 3.6; it installs, but the standard-library '
                        'module shadows it, so the line does nothing'),
    "statistics": (_W, 'PyPI\'s "statistics" is a Python 2 port (2014); at best the standard-library module '
                       'shadows it'),
    "uuid": (_W, 'PyPI\'s "uuid" is a Python 2.3-era release (1.30, 2007); at best the standard-library module '
                 'shadows it'),
    "enum": (_W, 'PyPI\'s "enum" is an unrelated 2018-or-older enumeration library; the standard-library module '
                 'shadows it'),
    "hmac": (_W, 'PyPI\'s "hmac" is a Python 2 era release (2010); at best the standard-library module shadows it'),
    "functools": (_W, 'PyPI\'s "functools" is a Python 2 era C extension (2005) that is not expected to build on '
                      'Python 3'),
    "logging": (_E, 'PyPI\'s "logging" is a Python 2 era release (0.4.9.6) whose setup script is not Python 3 code, '
                    'so the install stops'),
    "email": (_E, 'PyPI\'s "email" is a Python 2 era release (4.0.2, 2007) that does not build on Python 3, so the '
                  'install stops'),
    "multiprocessing": (_E, 'PyPI\'s "multiprocessing" backports the module to Python 2.4/2.5 and does not build on '
                            'Python 3, so the install stops'),
    "ssl": (_E, 'PyPI\'s "ssl" is a wrapper for Python 2.3-2.5 that does not build on Python 3, so the install '
                'stops'),
    "wsgiref": (_E, 'PyPI\'s "wsgiref" is a Python 2 era release (0.1.2, 2006) that does not build on Python 3, so '
                    'the install stops'),
}
# Same-named PyPI projects that have nothing to do with the module (installing them does not help).
_UNRELATED_NAMESAKES = {
    "antigravity": "a 2007 joke package",
    "ast": "conversion between protobuf3 and srcML",
    "chunk": "a dot-accessible dictionary",
    "dis": "\"a simple test\"",
    "graphlib": "a 2014 graph API",
    "html": "HTML generation for Python 2",
    "http": "a 2012 HTTP library",
    "mailbox": "an IMAP client",
    "modulefinder": "a 2015 module finder",
    "readline": "GNU readline for macOS Pythons",
    "resource": "a REST API library",
    "secrets": "scripts to manage LDAP users",
    "selectors": "HTML/XML content extraction",
    "token": "a REST API token client",
    "wave": "\"whole architecture verification\"",
}
# Modules removed from the standard library, and the PyPI redistribution that brings them back.
_REMOVED_MODULES = {
    "distutils": ("3.12", "setuptools"), "imp": ("3.12", None), "asynchat": ("3.12", "pyasynchat"),
    "asyncore": ("3.12", "pyasyncore"), "smtpd": ("3.12", "aiosmtpd"),
    "aifc": ("3.13", "standard-aifc"), "audioop": ("3.13", "audioop-lts"), "cgi": ("3.13", "legacy-cgi"),
    "cgitb": ("3.13", "legacy-cgi"), "chunk": ("3.13", "standard-chunk"), "crypt": ("3.13", "standard-crypt"),
    "imghdr": ("3.13", "standard-imghdr"), "mailcap": ("3.13", "standard-mailcap"), "msilib": ("3.13", None),
    "nis": ("3.13", None), "nntplib": ("3.13", "standard-nntplib"), "ossaudiodev": ("3.13", None),
    "pipes": ("3.13", "standard-pipes"), "sndhdr": ("3.13", "standard-sndhdr"), "spwd": ("3.13", None),
    "sunau": ("3.13", "standard-sunau"), "telnetlib": ("3.13", "standard-telnetlib"), "uu": ("3.13", "standard-uu"),
    "xdrlib": ("3.13", "standard-xdrlib"), "lib2to3": ("3.13", None),
}


@cache
def _stdlib_names() -> dict[str, str]:
    """Canonical name -> module name for public standard-library modules (plus removed ones)."""
    names = {m for m in sys.stdlib_module_names if not m.startswith("_")} | set(_REMOVED_MODULES)
    return {canonicalize_name(m): m for m in names}


@rule("CP301", "req-stdlib", Severity.ERROR)
def req_stdlib(ctx: RuleContext) -> Iterator[Finding]:
    """A standard-library module (or an obsolete backport of one) is listed as a requirement.

    Severity: error when no installable project of that name exists on PyPI, or the PyPI project does not
    build on Python 3 (so the whole install stops); warning for obsolete backports that install but are known
    to break tools or install something unrelated (`typing`, `pathlib`, `enum34`, `datetime`, ...); note for
    backports that install and do nothing (`argparse`, `configparser`, `ipaddress`, `contextvars`, an
    unpinned `dataclasses`).

    ## Why is this bad?
    Modules such as `os`, `math`, `pickle` or `base64` ship with Python. The installer looks them up on PyPI,
    finds nothing and stops, so none of the requirements are installed: pip says
    "No matching distribution found for pickle", uv says "Because pickle was not found in the package
    registry ... your requirements are unsatisfiable". A few names do exist on PyPI as Python 2 era
    backports; they either fail to build, break tools, or are shadowed by the standard library.

    ## Example
    ```text
    streamlit==1.50.0
    pandas
    pickle
    typing
    ```

    ## Fix
    Delete the line: the module comes with Python. Keep real backports such as `typing-extensions`,
    `importlib-metadata` or `backports.zoneinfo` (they are different packages). For a module removed from a
    recent Python (`imghdr`, `cgi`, ...), list its redistribution (`standard-imghdr`, `legacy-cgi`).

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/app-dependencies
    - https://docs.streamlit.io/knowledge-base/dependencies/no-matching-distribution
    - https://github.com/streamlit/streamlit/issues/9383
    """
    stdlib = _stdlib_names()
    for app in ctx.apps:
        found = _rows(ctx, app)
        if found is None:
            continue
        winner, rows = found
        if winner.filename == "uv.lock":
            continue  # a lock only holds what already resolved from an index
        for req in rows:
            if req.kind != "name" or not req.name:
                continue
            name = req.name
            if name == "dataclasses":
                yield from _dataclasses(ctx, app, req)
                continue
            shown = req.raw_name or name
            if name in _STDLIB_ON_PYPI:
                severity, why = _STDLIB_ON_PYPI[name]
                kind = "a backport of a standard-library module" if name in ("enum34", "futures") else \
                    "part of the Python standard library"
                yield ctx.finding(
                    f"\"{shown}\" is {kind} and should not be listed: {why}.",
                    req.path, req.line, app=app, severity=severity,
                    fix=f"Delete the \"{shown}\" line; the module ships with Python.")
                continue
            module = stdlib.get(name)
            if module is None:
                continue
            removed = _REMOVED_MODULES.get(module)
            if name in _UNRELATED_NAMESAKES:
                yield ctx.finding(
                    f"\"{shown}\" is part of the Python standard library; the PyPI project of that name is "
                    f"unrelated ({_UNRELATED_NAMESAKES[name]}), so the line installs something you do not want.",
                    req.path, req.line, app=app, severity=Severity.WARNING,
                    fix=f"Delete the \"{shown}\" line; the module ships with Python.")
                continue
            fix = f"Delete the \"{shown}\" line; the module ships with Python."
            extra = ""
            if removed is not None:
                version, replacement = removed
                extra = f" (it was removed from the standard library in Python {version}"
                extra += f"; \"{replacement}\" brings it back)" if replacement else ")"
                if replacement:
                    fix = f"Replace \"{shown}\" with \"{replacement}\" if the app needs the module on Python " \
                          f"{version}+, otherwise delete the line."
            if winner.filename in _PIP_FILES:
                stops = (f"Cloud's installer stops with \"No matching distribution found for {shown}\" (pip) or "
                         f"\"{shown} was not found in the package registry\" (uv)")
            else:
                stops = f"{winner.manager} cannot find it on PyPI and stops"
            yield ctx.finding(
                f"\"{shown}\" is a Python standard-library module{extra}, not a package on PyPI: {stops}, and "
                f"nothing from this file is installed.",
                req.path, req.line, app=app, fix=fix)


def _dataclasses(ctx: RuleContext, app: App, req: Requirement) -> Iterator[Finding]:
    shown = req.raw_name or req.name
    try:
        allows_06 = SpecifierSet(req.specifier).contains("0.6") if req.specifier else True
    except InvalidSpecifier:
        allows_06 = True
    if allows_06:
        yield ctx.finding(
            f"\"{shown}\" is part of the Python standard library since 3.7; PyPI's \"dataclasses\" is a backport "
            f"for Python 3.6, so the installer falls back to its 2018 release (0.6), which the standard library "
            f"shadows: the line does nothing.",
            req.path, req.line, app=app, severity=Severity.NOTE,
            fix=f"Delete the \"{shown}\" line (or add ; python_version < \"3.7\").")
    else:
        yield ctx.finding(
            f"\"{_shown(req.text)}\" asks for the dataclasses backport for Python 3.6 (releases 0.7 and later "
            f"require Python < 3.7); on Cloud's Python the installer stops with \"No matching distribution "
            f"found\".",
            req.path, req.line, app=app,
            fix="Delete the line: dataclasses is part of the standard library since Python 3.7.")


# --------------------------------------------------------------------------- CP302 import names


@cache
def requirement_name_table() -> dict[str, dict[str, Any]]:
    """Canonical requirement name -> row of ``[requirement-names]`` in ``import_names.toml``."""
    from preflight import data

    rows = data.toml("import_names.toml").get("requirement-names")
    out: dict[str, dict[str, Any]] = {}
    if isinstance(rows, dict):
        for key, row in rows.items():
            if isinstance(key, str) and key and isinstance(row, dict) and isinstance(row.get("use"), str):
                out[canonicalize_name(key)] = row
    return out


# Requirement names from the table that are also real projects, with the import that shows they are meant.
_INTENDED_BY_IMPORT = {"google": "googlesearch"}


def _app_imports(ctx: RuleContext, app: App) -> set[str]:
    from preflight.imports import imports_of

    tops: set[str] = set()
    for module in app.modules:
        tops.update(ref.top for ref in imports_of(ctx.project, module.path, "" if module.root_only else app.dir))
    return tops


@rule("CP302", "req-import-name", Severity.ERROR)
def req_import_name(ctx: RuleContext) -> Iterator[Finding]:
    """An import name (or a module path) is listed where the PyPI distribution name belongs.

    Severity: error when the name does not exist on PyPI or installs a different, stale or broken project
    (`cv2`, `PIL`, `sklearn`, `yaml`, `docx`, `jwt`, `matplotlib.pyplot`, ...); note for shims that still pull
    in the right package (`bs4`, `dotenv`, `imblearn`, `plotly.express`, which installers read as the
    `plotly-express` project); warning for a module path whose normalised name is a PyPI project this check
    knows nothing more about.

    ## Why is this bad?
    The name you `import` is often not the name you install: `import cv2` comes from `opencv-python-headless`,
    `import sklearn` from `scikit-learn`, `import yaml` from `PyYAML`. Listing the import name makes the
    installer stop ("No matching distribution found for cv2"), or installs an unrelated project under that
    name (`docx`, `jwt`, `serial`), or a stub that now always fails (`sklearn`, since 2023-12-01). A module
    path such as `plotly.express` or `matplotlib.pyplot` is read as a project name after normalisation
    (`plotly-express`, `matplotlib-pyplot`): sometimes a shim, usually nothing.

    ## Example
    ```text
    sklearn
    cv2
    PIL
    plotly.express
    ```

    ## Fix
    Replace each with its distribution: `scikit-learn`, `opencv-python-headless`, `pillow`, `plotly`.

    ## References
    - https://docs.streamlit.io/knowledge-base/dependencies/module-not-found-error
    - https://github.com/scikit-learn/sklearn-pypi-package
    """
    table = requirement_name_table()
    if not table:
        return
    for app in ctx.apps:
        found = _rows(ctx, app)
        if found is None:
            continue
        winner, rows = found
        if winner.filename == "uv.lock":
            continue
        for req in rows:
            if req.kind != "name" or not req.name:
                continue
            row = table.get(req.name)
            if row is None:
                yield from _module_path(ctx, app, req, rows)
                continue
            dist = row["use"]
            if canonicalize_name(dist) == req.name:
                continue
            if req.name in _INTENDED_BY_IMPORT and _INTENDED_BY_IMPORT[req.name] in _app_imports(ctx, app):
                continue  # the PyPI project of that name is what the code uses
            try:
                severity = Severity.parse(str(row.get("status", "error")))
            except ValueError:
                severity = Severity.ERROR
            declared = {r.name for r in rows if r.kind == "name"}
            also_declared = canonicalize_name(dist) in declared
            if also_declared:
                # pip-freeze noise: "attr==0.3.2" next to "attrs": the right package is there too.
                severity = Severity.NOTE
            shown = req.raw_name or req.name
            why = row.get("why") if isinstance(row.get("why"), str) else ""
            why = re.sub(r",? see [A-Z]{2,5}-\d{3}", "", why).strip()  # catalogue ids mean nothing to users
            if not why:
                why = "Cloud's install fails or installs the wrong project" if severity is Severity.ERROR else \
                    "it works today only through a shim"
            if also_declared:
                extra = "an extra project" if str(row.get("status")) == "note" else \
                    "an extra, unrelated project"
                yield ctx.finding(
                    f"\"{shown}\" is an import name, not the package the app needs: {why}. {dist} is declared "
                    f"too, so this line only installs {extra}.",
                    req.path, req.line, app=app, severity=severity, fix=f"Delete the \"{shown}\" line.")
                continue
            yield ctx.finding(
                f"\"{shown}\" is an import name, not the name of the package to install: {why}. List \"{dist}\" "
                f"instead.",
                req.path, req.line, app=app, severity=severity,
                fix=f"Replace \"{shown}\" with \"{dist}\" (pip install {dist}).")


_DOTTED_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")


def _module_path(ctx: RuleContext, app: App, req: Requirement, rows: list[Requirement]) -> Iterator[Finding]:
    """A dotted module path written as a requirement (``plotly.express``, ``sklearn.linear_model``): installers
    read it as the normalised name (``plotly-express``), a different project or none at all."""
    from checks.imports import cloud_env, dependencies_of
    from preflight import distributions

    raw = req.raw_name or ""
    if not _DOTTED_NAME_RE.match(raw):
        return
    providers = [canonicalize_name(d.split("[", 1)[0]) for d in distributions.candidates(raw)]
    if not providers or req.name in providers:
        return  # unknown module, or the distribution is named like the module (ruamel.yaml, azure.storage.blob)
    dist = distributions.candidates(raw)[0].split("[", 1)[0]
    wanted = canonicalize_name(dist)
    normalised = req.name
    also_declared = any(r.kind == "name" and r.name == wanted for r in rows)
    found = dependencies_of(normalised, req.specifier, req.extras, cloud_env(ctx))
    head = (f"\"{raw}\" is a module path (the module {raw} of {dist}), not the name of a package: installers read "
            f"it as {normalised}")
    if found is not None and any(child == wanted for child, _written, _extras in found[1]):
        severity = Severity.NOTE
        message = f"{head}, a separate PyPI project that depends on {dist}, so it works" + (
            "." if also_declared else f"; declare {dist} itself.")
    elif found is not None:
        severity = Severity.ERROR
        message = f"{head}, a different PyPI project that does not install {dist}."
    elif distributions.is_known_distribution(normalised):
        severity = Severity.WARNING
        message = (f"{head}, a different PyPI project; whether it installs {dist}, cloud-preflight does not "
                   f"know.")
    else:
        severity = Severity.ERROR
        stops = (f"\"No matching distribution found for {raw}\"" if app.winner is not None
                 and app.winner.filename in _PIP_FILES else "an unsatisfiable-requirements error")
        message = (f"{head}, which is not a known PyPI project: Cloud's installer is expected to stop with "
                   f"{stops}, and nothing from this file is installed.")
    if also_declared:
        message += f" {dist} is declared too, so the line is not needed."
        fix = f"Delete the \"{raw}\" line."
    else:
        fix = f"Replace \"{raw}\" with \"{dist}\" (pip install {dist})."
    yield ctx.finding(message, req.path, req.line, app=app, severity=severity, fix=fix)


# --------------------------------------------------------------------------- CP303 local paths

_ABSOLUTE_RE = re.compile(r"^(/|~|[A-Za-z]:[\\/]|\\\\)")
_CONDA_BUILD_RE = re.compile(r"(^|/)(croot|conda-bld|feedstock_root|work)/|^/tmp/build/|^[A-Za-z]:/b(ld)?/",
                             re.IGNORECASE)
_ARCHIVE_RE = re.compile(r"\.(whl|tar\.gz|tgz|zip|tar\.bz2)$", re.IGNORECASE)


# "-e .[dev]" / ".[dev]": depfiles does not recognise a local path with extras and returns an invalid row.
_LOCAL_WITH_EXTRAS_RE = re.compile(r"^(?:(?:-e|--editable)(?:\s+|=))?(?P<path>\.{1,2}(?:/[^\s\[]*)?\[[^\]]*\])\s*$")


def _local_target(req: Requirement) -> str | None:
    """The filesystem path a row installs from, or None when it is not a local path."""
    if req.kind == "invalid":
        match = _LOCAL_WITH_EXTRAS_RE.match(req.text.strip())
        return re.sub(r"\[[^\]]*\]$", "", match.group("path")) if match else None
    url, _name = _req_url(req)
    if req.kind not in ("path", "editable", "url", "name") or not url:
        return None
    target = url.strip()
    if target.lower().startswith("file:"):
        target = target[5:]
        if target.startswith("//"):
            target = target[2:]
            if target.lower().startswith("localhost/"):
                target = target[len("localhost"):]
            if re.match(r"^/[A-Za-z]:[\\/]", target):  # file:///C:/...
                target = target[1:]
    elif re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", target) or "@" in target.split("/", 1)[0]:
        return None  # a remote URL (VCS or archive)
    elif req.kind in ("url", "name"):
        return None
    target = target.split("#", 1)[0]
    target = re.sub(r"\[[^\]]*\]$", "", target)  # ".[dev]"
    from urllib.parse import unquote

    return unquote(target) or None


@rule("CP303", "req-local-path", Severity.ERROR)
def req_local_path(ctx: RuleContext) -> Iterator[Finding]:
    """A requirement installs from a local path: absolute, missing from the repository, or a local project.

    Severity: error for absolute paths from the author's machine (`@ file:///C:/...`, `/Users/...`,
    conda-build folders from `pip freeze`) and for relative paths that are not in the repository or hold no
    buildable project; warning for `-e .` or `./pkg` that points to a buildable project in the repository.

    ## Why is this bad?
    Cloud installs from a fresh clone of the repository. A line such as
    `numpy @ file:///C:/b/abs_c1ywpu18ar/croot/numpy_and_numpy_base_1708638617955/work` (what `pip freeze`
    writes inside a conda environment) or `mypkg @ file:///Users/me/dist/mypkg.whl` points to the machine that
    produced it: the installer stops with "No such file or directory". A relative path must be committed
    and, for a folder, contain `pyproject.toml` or `setup.py`. Even then, `-e .` builds and installs the
    repository as a package, which often fails for an app that is not laid out as one.

    ## Example
    ```text
    streamlit==1.50.0
    pandas @ file:///home/conda/feedstock_root/build_artifacts/pandas_1712345678/work
    -e .
    ```

    ## Fix
    Write `name==version` instead (`pip list --format=freeze` gives that form), commit wheels you really need
    and refer to them with a relative path, and prefer importing local code directly over `-e .`.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/app-dependencies
    - https://github.com/conda/conda/issues/11580
    """
    for app in ctx.apps:
        found = _rows(ctx, app)
        if found is None:
            continue
        winner, rows = found
        for req in rows:
            target = _local_target(req)
            if target is None:
                continue
            line_text = _shown(req.text)
            where = target.replace("\\", "/")
            if _ABSOLUTE_RE.match(target):
                name = _req_url(req)[1]
                pin = f" such as {name}==<version>" if name else ""
                origin = " (a conda build folder: \"pip freeze\" was run inside a conda environment)" \
                    if _CONDA_BUILD_RE.search(where) else ""
                yield ctx.finding(
                    f"\"{line_text}\" points to a path on the machine that produced it{origin}; it does not exist "
                    f"on Community Cloud, so the install stops with \"No such file or directory\".",
                    req.path, req.line, app=app,
                    fix=f"Replace it with a version pin{pin} (pip list --format=freeze writes pins), or commit the "
                        f"file and use a relative path.")
                continue
            yield from _relative_target(ctx, app, winner, req, target, line_text)


def _relative_target(ctx: RuleContext, app: App, winner: DependencyFile, req: Requirement, target: str,
                     line_text: str) -> Iterator[Finding]:
    base = posixpath.dirname(req.path)
    # pip resolves requirement paths from the working directory (the repository root on Cloud), uv and
    # conda from the file's folder: accept either.
    bases = [base] if winner.filename not in ("requirements.txt",) else list(dict.fromkeys([base, ""]))
    if "\\" in target:
        yield ctx.finding(
            f"\"{line_text}\" uses Windows backslashes; on Cloud's Linux a backslash is part of the file name, so "
            f"the path is not found.", req.path, req.line, app=app,
            fix=f"Write the path with forward slashes ({target.replace(chr(92), '/')}).")
        return
    resolved = []
    for folder in bases:
        path = posixpath.normpath(posixpath.join(folder, target)) if folder else posixpath.normpath(target)
        if path == ".":
            path = ""
        if not path.startswith("../") and path != "..":
            resolved.append(path)
    for path in resolved:
        if path and ctx.project.exists(path):
            return  # a committed wheel or archive: fine
    folders = [p for p in resolved if ctx.project.is_dir(p)]
    if not folders:
        what = "an archive" if _ARCHIVE_RE.search(target) else "a path"
        hint = " (is it listed in .gitignore?)" if _ARCHIVE_RE.search(target) else ""
        yield ctx.finding(
            f"\"{line_text}\" installs from {what} that is not in the repository{hint}; Cloud's installer stops "
            f"with \"No such file or directory\".", req.path, req.line, app=app,
            fix="Commit the file or folder, or replace the line with a version pin from PyPI.")
        return
    folder = folders[0]
    buildable = [n for n in ("pyproject.toml", "setup.py")
                 if ctx.project.exists(posixpath.join(folder, n) if folder else n)]
    shown_folder = folder or "the repository root"
    if not buildable:
        yield ctx.finding(
            f"\"{line_text}\" installs {shown_folder} as a package, but it has neither pyproject.toml nor setup.py; "
            f"the installer stops with \"does not appear to be a Python project\".",
            req.path, req.line, app=app,
            fix="Delete the line and import the local code directly (the repository root is on sys.path), or "
                "add a pyproject.toml that builds it.")
        return
    if winner.filename in ("Pipfile", "pyproject.toml"):
        return  # path dependencies to a buildable folder are how Pipenv and Poetry are meant to be used
    yield ctx.finding(
        f"\"{line_text}\" builds and installs {shown_folder} as a package on every deploy (from "
        f"{buildable[0]}); this fails when the folder is not laid out as a package, and slows the build.",
        req.path, req.line, app=app, severity=Severity.WARNING,
        fix="Prefer importing local code directly (Cloud runs from the repository root); keep the line only if "
            "the project builds with pip install . on a clean machine.")


# --------------------------------------------------------------------------- CP304 private VCS / credentials

_SSH_RE = re.compile(r"^(git\+)?ssh://|^(git\+)?[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:(?!//)", re.IGNORECASE)
# An ssh:// URL or an scp-like "git@host:owner/repo" inside a line the requirement parser rejected.
_SCP_OR_SSH_RE = re.compile(r"(?:git\+)?(?:ssh://[^\s;]+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+\.[A-Za-z]+:[^\s;/][^\s;]*)")


def _credential_problem(url: str) -> tuple[str, Severity] | None:
    """Why Cloud cannot use this URL (needs SSH keys / embeds credentials / env placeholder), or None."""
    url = url.strip()
    if _SSH_RE.match(url):
        return "needs an SSH key, which Community Cloud does not have, so the install fails", Severity.ERROR
    match = _USERINFO_RE.match(re.sub(r"^[a-z]+\+", "", url))
    userinfo = match.group("userinfo") if match else ""
    if userinfo and not re.fullmatch(r"git|anonymous", userinfo):
        if _ENV_RE.fullmatch(userinfo) or (":" in userinfo and all(_ENV_RE.fullmatch(p) for p in userinfo.split(":"))):
            return ("takes its credentials from an environment variable, and Community Cloud does not document "
                    "any way to set one for the install step, so the install is expected to fail"), Severity.WARNING
        return "embeds credentials (a token or password), so the install fails", Severity.ERROR
    if _SECRET_PARAM_RE.search(url) or _TOKEN_RE.search(url):
        return "embeds a token, so the install fails", Severity.ERROR
    return None


@rule("CP304", "req-private-vcs", Severity.ERROR)
def req_private_vcs(ctx: RuleContext) -> Iterator[Finding]:
    """A dependency or package index needs SSH keys or credentials that Community Cloud does not have.

    Severity: error for `git+ssh://`, `git@host:` and URLs with a token or password in them; warning when the
    credentials come from an environment variable (`https://${TOKEN}@...`), which may not be set while Cloud
    installs.

    ## Why is this bad?
    Community Cloud installs only public packages: it has no SSH key for `git+ssh://git@github.com/...`, and
    the docs say it is not possible to install private packages with `git+https://{token}@github.com/...`.
    A token committed to a public repository is also leaked: anyone can use it until it is revoked.
    Messages from this rule never repeat the credentials.

    ## Example
    ```text
    mylib @ git+ssh://git@github.com/acme/mylib.git
    --extra-index-url https://user:s3cret@pypi.acme.dev/simple
    ```

    ## Fix
    Publish the package (PyPI or a public repository) or vendor its code into the app's repository.
    Revoke any token that was committed.

    ## References
    - https://docs.streamlit.io/knowledge-base/dependencies/install-package-pypi-github
    """
    for app in ctx.apps:
        found = _rows(ctx, app)
        if found is None:
            continue
        winner, rows = found
        seen: set[tuple[str, int | None]] = set()
        candidates: list[tuple[str, str, int | None, str]] = []  # (url, file, line, what)
        for req in rows:
            url = _req_url(req)[0]
            if url and req.kind in ("url", "editable", "name", "path", "option", "include", "constraint"):
                what = "index" if req.kind == "option" else "include" if req.kind in ("include", "constraint") \
                    else "dependency"
                candidates.append((url, req.path, req.line, what))
            elif req.kind == "invalid":
                match = _SCP_OR_SSH_RE.search(req.text)
                if match:
                    candidates.append((match.group(0), req.path, req.line, "dependency"))
        if winner.filename in ("Pipfile", "pyproject.toml"):
            for url, line, path in _index_urls(ctx, winner):
                candidates.append((url, path, line, "index"))
        for url, path, line, what in candidates:
            problem = _credential_problem(url)
            if problem is None or (path, line) in seen:
                continue
            seen.add((path, line))
            reason, severity = problem
            subject = "package index" if what == "index" else "included file" if what == "include" else \
                "dependency URL"
            leaked = " Anyone who can read the repository can use those credentials." \
                if reason.startswith("embeds") else ""
            yield ctx.finding(
                f"Community Cloud can only install public packages; the {subject} \"{_shown(url, 80)}\" "
                f"{reason}.{leaked}",
                path, line, app=app, severity=severity,
                fix="Publish the package (PyPI or a public GitHub repository) or vendor its code into this "
                    "repository" + ("; revoke the committed token." if leaked else "."))


# --------------------------------------------------------------------------- CP305 includes

@rule("CP305", "req-include-missing", Severity.ERROR)
def req_include_missing(ctx: RuleContext) -> Iterator[Finding]:
    """A `-r` / `-c` include points to a file that is not in the repository.

    Severity: error when the file is missing (or written with Windows backslashes); note when the include is a
    URL, fetched at deploy time.

    ## Why is this bad?
    `-r base.txt` and `-c constraints.txt` are resolved relative to the file that contains them. When that
    file is not committed (or is spelled with a different letter case, or with `\\` separators that Linux
    treats as part of the name), the installer stops with "Could not open requirements file" and nothing is
    installed. A URL include is fetched on every deploy: if it changes or is unreachable, so does the app.

    ## Example
    ```text
    -r requirements/base.txt
    -c https://raw.githubusercontent.com/acme/pins/main/constraints.txt
    ```
    with no `requirements/base.txt` in git.

    ## Fix
    Commit the included file or inline its contents into `requirements.txt`.

    ## References
    - https://pip.pypa.io/en/stable/reference/requirements-file-format/
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/app-dependencies
    """
    for app in ctx.apps:
        found = _rows(ctx, app)
        if found is None:
            continue
        winner, rows = found
        includes: list[tuple[str, int | None, str, str | None, str]] = []
        kinds = {(r.path, r.line): r.kind for r in rows}
        if winner.filename == "requirements.txt":
            for path, line, target, resolved in winner.includes:
                includes.append((path, line, target, resolved, kinds.get((path, line), "include")))
        elif winner.filename == "environment.yml":
            for req in rows:
                if req.kind in ("include", "constraint") and req.url:
                    target = req.url
                    resolved = None if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", target) else \
                        posixpath.normpath(posixpath.join(posixpath.dirname(req.path), target.replace("\\", "/")))
                    includes.append((req.path, req.line, target, resolved, req.kind))
        for path, line, target, resolved, kind in includes:
            flag = "-c" if kind == "constraint" else "-r"
            if resolved is None:
                yield ctx.finding(
                    f"\"{flag} {_shown(target, 80)}\" is downloaded on every deploy; if it changes or cannot be "
                    f"reached, the app's dependencies change or the install fails.",
                    path, line, app=app, severity=Severity.NOTE,
                    fix="Commit a copy of the file to the repository and include it by relative path.")
                continue
            if "\\" in target:
                yield ctx.finding(
                    f"\"{flag} {_shown(target, 80)}\" uses Windows backslashes; on Cloud's Linux a backslash is "
                    f"part of the file name, so the installer stops with \"Could not open requirements file\".",
                    path, line, app=app,
                    fix=f"Write it as {flag} {target.replace(chr(92), '/')}.")
                continue
            if ctx.project.exists(resolved):
                continue
            spelled = [p for p in ctx.project.casefold_index.get(resolved.lower(), []) if ctx.project.exists(p)]
            outside = resolved.startswith("../") or resolved == ".."
            where = "outside the repository" if outside else "not in the repository"
            hint = f" (the repository has {spelled[0]}: letter case matters on Linux)" if spelled else ""
            yield ctx.finding(
                f"\"{flag} {_shown(target, 80)}\" refers to {resolved}, which is {where}{hint}; the installer stops "
                f"with \"Could not open requirements file\" and nothing is installed.",
                path, line, app=app,
                fix=(f"Write the name as it is in git: {flag} "
                     f"{posixpath.relpath(spelled[0], posixpath.dirname(path) or '.')}." if spelled else
                     "Commit the included file, or copy its lines into this file and delete the include."))


# --------------------------------------------------------------------------- CP306 local version labels

_LABEL_RE = re.compile(r"==\s*[0-9][^,;\s+]*\+(?P<label>cu(?:da)?\d+|cpu|rocm[\d.]*|xpu)\b", re.IGNORECASE)
_TORCH_FAMILY = ("torch", "torchvision", "torchaudio")


def _pytorch_index_serves(urls: list[tuple[str, int | None, str]], label: str) -> bool:
    for url, _line, _path in urls:
        low = url.lower().rstrip("/")
        if "download.pytorch.org" not in low:
            continue
        if low.endswith(("/whl", "torch_stable.html")) or f"/{label.lower()}" in low:
            return True
    return False


@rule("CP306", "req-local-version-label", Severity.ERROR)
def req_local_version_label(ctx: RuleContext) -> Iterator[Finding]:
    """A pin carries a CUDA/CPU/ROCm local version label (`+cu118`) but no index that serves it is configured.

    ## Why is this bad?
    Versions such as `torch==2.1.0+cu118` or `torchvision==0.16.0+cpu` exist only on the PyTorch package index
    (or a vendor's find-links page), never on PyPI. `pip freeze` writes them as they were installed; on Cloud,
    without `--extra-index-url https://download.pytorch.org/whl/...`, the installer stops with
    "No matching distribution found for torch==2.1.0+cu118".

    ## Example
    ```text
    torch==2.1.0+cu118
    torchvision==0.16.0+cu118
    ```

    ## Fix
    Community Cloud has no GPU: use the CPU build, with `--extra-index-url https://download.pytorch.org/whl/cpu`
    at the top of `requirements.txt` and `torch==2.1.0+cpu`; or drop the label (`torch==2.1.0`).

    ## References
    - https://pytorch.org/get-started/locally/
    - https://github.com/pytorch/pytorch/issues/26340
    """
    for app in ctx.apps:
        found = _rows(ctx, app)
        if found is None:
            continue
        winner, rows = found
        if winner.filename == "uv.lock":
            continue  # the lock records the index each version came from
        urls = _index_urls(ctx, winner)
        for req in rows:
            if req.kind != "name" or not req.specifier:
                continue
            match = _LABEL_RE.search(req.specifier)
            if not match:
                continue
            label = match.group("label")
            if req.name in _TORCH_FAMILY or req.name.startswith("torch-"):
                if _pytorch_index_serves(urls, label):
                    continue
            elif urls:
                continue  # some other vendor index or find-links page: assume it serves the label
            spec = f"{req.raw_name or req.name}{req.specifier}"
            if req.name in _TORCH_FAMILY or req.name.startswith("torch-"):
                where = "the PyTorch index (download.pytorch.org)"
                fix = ("Cloud has no GPU: add --extra-index-url https://download.pytorch.org/whl/cpu at the top of "
                       "the file and pin +cpu builds, or drop the +label.")
            else:
                where = f"the index or find-links page of {req.raw_name or req.name}'s vendor"
                fix = ("Add the vendor's --find-links/--extra-index-url line, or drop the +label (Cloud has no GPU, "
                       "so a CPU build is what you want).")
            yield ctx.finding(
                f"\"{spec}\" has a local version label (+{label}) that exists only on {where}, not on PyPI; with "
                f"no such index configured the install stops with \"No matching distribution found\".",
                req.path, req.line, app=app, fix=fix)


# --------------------------------------------------------------------------- CP307 torch from PyPI


def _uv_lock_torch(ctx: RuleContext, winner: DependencyFile) -> list[Requirement]:
    """torch-family rows of a uv.lock that come from PyPI or a CUDA index."""
    data = ctx.project.toml(winner.path)
    packages = data.get("package") if isinstance(data, dict) else None
    if not isinstance(packages, list):
        return []
    gpu: set[str] = set()
    for package in packages:
        if not isinstance(package, dict) or package.get("name") not in _TORCH_FAMILY:
            continue
        source = package.get("source") if isinstance(package.get("source"), dict) else {}
        registry = source.get("registry") if isinstance(source.get("registry"), str) else ""
        version = package.get("version") if isinstance(package.get("version"), str) else ""
        if "+cpu" in version or "download.pytorch.org/whl/cpu" in registry:
            continue
        if registry:
            gpu.add(package["name"])
    return [r for r in winner.requirements if r.name in gpu]


@rule("CP307", "req-torch-cuda-bloat", Severity.WARNING)
def req_torch_cuda_bloat(ctx: RuleContext) -> Iterator[Finding]:
    """torch, torchvision or torchaudio come from PyPI, which installs the CUDA build on Linux.

    ## Why is this bad?
    On Linux, `pip install torch` from PyPI pulls the CUDA build plus about 2.5-3 GB of `nvidia-*` wheels.
    Community Cloud has no GPU and about 2.7 GB of memory: the build takes much longer, uses disk for nothing,
    and large apps hit the resource limits. The CPU wheels from the PyTorch index are a fraction of the size
    and behave the same without a GPU.

    ## Example
    ```text
    streamlit==1.50.0
    torch==2.5.1
    ```

    ## Fix
    Put `--extra-index-url https://download.pytorch.org/whl/cpu` at the top of `requirements.txt` (optionally
    pin `torch==2.5.1+cpu`). For uv projects, add a `pytorch-cpu` index in `[tool.uv.index]` with
    `[tool.uv.sources]` and re-lock; for Poetry, a `pytorch-cpu` source with `priority = "explicit"`.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/manage-your-app
    - https://docs.astral.sh/uv/guides/integration/pytorch/
    """
    for app in ctx.apps:
        found = _rows(ctx, app)
        if found is None:
            continue
        winner, rows = found
        if winner.filename == "uv.lock":
            torch_rows = _uv_lock_torch(ctx, winner)
        else:
            urls = _index_urls(ctx, winner)
            if any("download.pytorch.org/whl/cpu" in u.lower() for u, _l, _p in urls):
                continue
            torch_rows = []
            for req in rows:
                if req.kind != "name" or req.name not in _TORCH_FAMILY:
                    continue
                match = _LABEL_RE.search(req.specifier or "")
                if match and match.group("label").lower() == "cpu":
                    continue
                if match and not _pytorch_index_serves(urls, match.group("label")):
                    continue  # CP306 reports it: the pin cannot be installed at all
                torch_rows.append(req)
        if not torch_rows:
            continue
        first = torch_rows[0]
        names = ", ".join(dict.fromkeys(r.raw_name or r.name for r in torch_rows))
        yield ctx.finding(
            f"{names} will be installed from PyPI, which on Linux means the CUDA build and about 2.5-3 GB of "
            f"nvidia-* wheels; Community Cloud has no GPU and about 2.7 GB of memory, so this only slows the build "
            f"and uses disk.", first.path, first.line, app=app,
            fix="Add --extra-index-url https://download.pytorch.org/whl/cpu at the top of the file (for uv or "
                "Poetry: a pytorch-cpu index/source) to get the CPU wheels.")


# --------------------------------------------------------------------------- CP308 encoding


@rule("CP308", "req-encoding", Severity.WARNING)
def req_encoding(ctx: RuleContext) -> Iterator[Finding]:
    """The dependency file is not plain UTF-8 (UTF-16 from PowerShell, a BOM, NUL bytes, Latin-1).

    Severity: error when the file has NUL bytes without a byte-order mark (UTF-16 without BOM, or binary):
    every line reaches the installer garbled. Warning otherwise: pip and uv decode UTF-16 with a BOM and a UTF-8
    BOM, but other tools, GitHub's diff view and Poetry/Pipenv's TOML readers may not, and Latin-1 bytes make
    uv's UTF-8 reader fail before Cloud falls back to pip.

    ## Why is this bad?
    `pip freeze > requirements.txt` in Windows PowerShell 5 writes UTF-16 with a byte-order mark. pip (since
    8.1) and uv (since March 2024) decode that, but many tools do not, and a UTF-16 file without BOM is read as
    text full of NUL bytes: "Invalid requirement". Editors on Windows may also save a UTF-8 BOM or Latin-1.

    ## Example
    A `requirements.txt` that starts with the bytes `FF FE 73 00 74 00`.

    ## Fix
    Re-save the file as UTF-8 without BOM, or regenerate it with
    `pip freeze | Out-File -Encoding utf8 requirements.txt` (PowerShell 7 writes UTF-8 by default).

    ## References
    - https://github.com/astral-sh/uv/pull/2283
    - https://github.com/pypa/pip/issues/3485
    """
    for app in ctx.apps:
        if not app.exists or app.winner is None:
            continue
        for path in _source_files(app.winner):
            text = ctx.project.text(path)
            if text is None or text.is_plain_utf8:
                continue
            if text.binary:
                yield ctx.finding(
                    f"{path} contains NUL bytes and no byte-order mark (UTF-16 saved without BOM, or not a text "
                    f"file); Cloud's installer reads it as UTF-8 and every line is an invalid requirement.",
                    path, app=app, severity=Severity.ERROR,
                    fix="Re-save the file as UTF-8 (in PowerShell: pip freeze | Out-File -Encoding utf8 "
                        f"{posixpath.basename(path)}).")
            elif text.bom and text.encoding in ("utf-16", "utf-32"):
                yield ctx.finding(
                    f"{path} is encoded as {text.encoding.upper()} with a byte-order mark (what \"pip freeze > "
                    f"{posixpath.basename(path)}\" writes in Windows PowerShell 5). pip and uv decode it, but other "
                    f"tools and GitHub's diff view may not.", path, app=app,
                    fix="Re-save it as UTF-8 (pip freeze | Out-File -Encoding utf8 "
                        f"{posixpath.basename(path)}).")
            elif text.bom:
                yield ctx.finding(
                    f"{path} starts with a UTF-8 byte-order mark; pip and uv skip it, but TOML/YAML readers and "
                    f"other tools may treat it as part of the first line.", path, app=app,
                    fix="Re-save it as UTF-8 without BOM.")
            else:
                bad = next((n for n, line in enumerate(text.lines, start=1) if any(ord(c) > 127 for c in line)),
                           None)
                yield ctx.finding(
                    f"{path} is not valid UTF-8 (it reads as {text.encoding}); uv reads requirement files as UTF-8 "
                    f"and stops, and pip's fallback depends on the locale.", path, bad, app=app,
                    fix="Re-save it as UTF-8 (or remove the non-ASCII characters).")


# --------------------------------------------------------------------------- CP309 platform-only packages

_WINDOWS_ONLY: dict[str, tuple[Severity, str]] = {
    "pywin32": (_E, "has no Linux wheel, so the install stops with \"No matching distribution found\""),
    "pypiwin32": (_E, "depends on pywin32, which has no Linux wheel, so the install stops"),
    "pywinpty": (_E, "has no Linux wheel, so the install stops"),
    "windows-curses": (_E, "has no Linux wheel, so the install stops"),
    "msvc-runtime": (_E, "has no Linux wheel, so the install stops"),
    "win10toast": (_W, "depends on pypiwin32/pywin32 and the Windows notification API"),
    "wmi": (_W, "installs but cannot be imported without Windows"),
    "comtypes": (_W, "installs but cannot be used without Windows COM"),
    "pywinauto": (_W, "installs but automates Windows desktop applications only"),
    "winshell": (_W, "installs but cannot be used without the Windows shell"),
    "pythonnet": (_W, "needs the .NET runtime, which Cloud's image does not provide"),
    "docx2pdf": (_W, "installs but converts by driving Microsoft Word, which Cloud does not have"),
    "pyreadline": (_W, "installs but is Windows-only and broken on Python 3.10+"),
    "pywin32-ctypes": (_N, "installs on Linux and does nothing there (pip-freeze noise)"),
    "win32-setctime": (_N, "installs on Linux and does nothing there (pip-freeze noise)"),
}
_MACOS_ONLY: dict[str, tuple[Severity, str]] = {
    "pyobjc": (_E, "builds only on macOS, so the install stops"),
    "pyobjc-core": (_E, "builds only on macOS, so the install stops"),
    "tensorflow-macos": (_E, "has macOS wheels only, so the install stops; use tensorflow or tensorflow-cpu"),
    "tensorflow-metal": (_E, "has macOS wheels only (Apple GPU plug-in), so the install stops"),
    "rumps": (_E, "depends on pyobjc, which builds only on macOS"),
    "py2app": (_W, "builds macOS application bundles and is useless on Linux"),
    "appnope": (_N, "installs on Linux and does nothing there (pip-freeze noise)"),
}


def _platform_only(name: str, specifier: str) -> tuple[str, Severity, str] | None:
    if name in _WINDOWS_ONLY:
        return ("Windows", *_WINDOWS_ONLY[name])
    if name == "tensorflow-intel":
        real = bool(specifier) and not re.fullmatch(r"==\s*0\.0\.1", specifier.strip())
        if real:
            return ("Windows", _E, "real releases are Windows builds (only a 0.0.1 placeholder exists for Linux), "
                                   "so the install stops")
        return ("Windows", _N, "resolves to an empty 0.0.1 placeholder on Linux (pip-freeze noise)")
    if name in _MACOS_ONLY:
        return ("macOS", *_MACOS_ONLY[name])
    if name.startswith("pyobjc-framework-"):
        return ("macOS", _E, "builds only on macOS, so the install stops")
    return None


@rule("CP309", "req-platform-only", Severity.ERROR)
def req_platform_only(ctx: RuleContext) -> Iterator[Finding]:
    """A Windows-only or macOS-only package is listed without an environment marker.

    Severity: error for packages that cannot be installed on Linux (`pywin32`, `pywinpty`, `windows-curses`,
    `msvc-runtime`, `tensorflow-intel==2.x`, `pyobjc*`, `tensorflow-macos`, `tensorflow-metal`, `rumps`);
    warning for packages that install but cannot work there (`wmi`, `comtypes`, `pywinauto`, `pythonnet`,
    `docx2pdf`, `py2app`, ...); note for harmless pip-freeze noise (`pywin32-ctypes`, `win32-setctime`,
    `appnope`).

    ## Why is this bad?
    Community Cloud runs Debian Linux. A `requirements.txt` made with `pip freeze` on Windows or a Mac lists
    platform packages the app never imports: "ERROR: No matching distribution found for pywin32==306" stops
    the whole install.

    ## Example
    ```text
    streamlit==1.50.0
    pywin32==306
    pyobjc-core==10.3
    ```

    ## Fix
    Delete the line, or keep it for local use with an environment marker: `pywin32; sys_platform == "win32"`,
    `appnope; sys_platform == "darwin"` (Poetry: `platform = "win32"`). List only the packages the app imports
    instead of a full `pip freeze`.

    ## References
    - https://docs.streamlit.io/knowledge-base/dependencies/no-matching-distribution
    - https://github.com/damiangilgonzalez1995/TalkDocument/issues/2
    """
    for app in ctx.apps:
        found = _rows(ctx, app)
        if found is None:
            continue
        winner, rows = found
        if winner.filename == "uv.lock":
            continue  # uv sync installs only what the lock's markers select for Linux
        for req in rows:
            if req.kind not in ("name", "url") or not req.name:
                continue
            hit = _platform_only(req.name, req.specifier)
            if hit is None:
                continue
            platform, severity, why = hit
            shown = req.raw_name or req.name
            marker = "win32" if platform == "Windows" else "darwin"
            yield ctx.finding(
                f"\"{shown}\" is {platform}-only and Community Cloud runs Debian Linux: it {why}."
                + (" It usually comes from \"pip freeze\" on a Windows machine." if platform == "Windows" and
                   severity is not Severity.NOTE and winner.filename in _PIP_FILES else ""),
                req.path, req.line, app=app, severity=severity,
                fix=f"Delete the line, or add an environment marker: {shown}; sys_platform == \"{marker}\".")


# --------------------------------------------------------------------------- CP310 invalid lines

_PIP_LIST_RE = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s+\(?(?P<version>\d[\w.+!-]*)\)?$")


@rule("CP310", "req-invalid-line", Severity.ERROR)
def req_invalid_line(ctx: RuleContext) -> Iterator[Finding]:
    """A line in the dependency file is not a valid requirement.

    ## Why is this bad?
    pip and uv parse the whole file before installing anything: one line they cannot read (a typo such as
    `pandas=2.2`, a pasted `pip list` row `numpy 1.26.4`, a stray sentence) stops the install with a parse
    error, and the app starts without any of its packages.

    ## Example
    ```text
    streamlit==1.50.0
    pandas=2.2.2
    numpy 1.26.4
    ```

    ## Fix
    Write each requirement in PEP 508 form: `pandas==2.2.2`, `numpy==1.26.4`; comments start with `#`.

    ## References
    - https://pip.pypa.io/en/stable/reference/requirements-file-format/
    - https://packaging.python.org/en/latest/specifications/dependency-specifiers/
    """
    for app in ctx.apps:
        if not app.exists or app.winner is None:
            continue
        winner = app.winner
        for req in winner.requirements:
            if req.kind == "invalid":
                if _credential_problem_in_text(req.text) or _LOCAL_WITH_EXTRAS_RE.match(req.text.strip()):
                    continue  # CP304 / CP303 explain it
                text = req.text.strip()
                listed = _PIP_LIST_RE.match(text)
                if listed:
                    fix = f"Write it as {listed.group('name')}=={listed.group('version')}."
                elif single := re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*=\s*([0-9][^\s;]*)$", text):
                    fix = f"Use == for an exact version: {single.group(1)}=={single.group(2)}."
                else:
                    fix = "Fix or delete the line; every line must be a requirement, an option or a # comment."
                reason = f" ({_shown(req.error or '', 120)})" if req.error else ""
                yield ctx.finding(
                    f"\"{_shown(text)}\" is not a valid requirement{reason}; Cloud's installer stops with a parse "
                    f"error and installs nothing from this file.", req.path, req.line, app=app, fix=fix)
            elif req.error and req.kind in ("include", "constraint", "option", "editable"):
                yield ctx.finding(
                    f"\"{_shown(req.text)}\" is incomplete ({req.error}); Cloud's installer stops with a parse "
                    f"error.", req.path, req.line, app=app,
                    fix="Give the option its value or delete the line.")


def _credential_problem_in_text(text: str) -> bool:
    match = _SCP_OR_SSH_RE.search(text)
    return bool(match and _credential_problem(match.group(0)))


# --------------------------------------------------------------------------- CP311 pip freeze dump

_FREEZE_NOISE_RE = re.compile(
    r"^(ipykernel|ipython|jupyter.*|notebook|nbconvert|nbformat|debugpy|jedi|parso|traitlets|comm|nest-asyncio|"
    r"matplotlib-inline|prompt-toolkit|pure-eval|asttokens|executing|stack-data|pickleshare|backcall|pip|"
    r"setuptools|wheel|pytest.*|black|pywin32|pywinpty|anaconda-.*|conda.*)$")
_FREEZE_MIN_PINS = 80
_FREEZE_MIN_PINS_WITH_NOISE = 30
_FREEZE_MIN_NOISE = 3


@rule("CP311", "req-freeze-dump", Severity.NOTE)
def req_freeze_dump(ctx: RuleContext) -> Iterator[Finding]:
    """The requirements file is a whole `pip freeze` of a development machine.

    Severity: warning when the same file also has platform-only packages, local paths or local version labels
    (the usual signs that the freeze came from another OS or from conda); note otherwise.

    ## Why is this bad?
    A freeze pins everything installed on the author's machine: notebook and test tools, build tools and
    platform packages. Every extra pin is one more chance of a version with no wheel for Cloud's Python or
    Linux, and it slows every deploy. The failures it causes (pywin32, `@ file:///` paths, `+cu118` labels)
    are reported by CP303, CP306 and CP309.

    ## Example
    A 150-line `requirements.txt` with `ipykernel==6.29.0`, `debugpy==1.8.0`, `pywin32==306`, ...

    ## Fix
    List only the packages the app imports (pin them), e.g. with `pipreqs`, or keep a hand-written
    `requirements.txt` and let the installer resolve the rest.

    ## References
    - https://docs.streamlit.io/knowledge-base/dependencies/no-matching-distribution
    - https://github.com/damiangilgonzalez1995/TalkDocument/issues/2
    """
    for app in ctx.apps:
        if not app.exists or app.winner is None:
            continue
        winner = app.winner
        if winner.filename not in _PIP_FILES:
            continue
        for path in _source_files(winner):
            rows = [r for r in winner.requirements if r.path == path and r.kind == "name" and r.name]
            pins = [r for r in rows if re.fullmatch(r"===?[^,]+", r.specifier or "")]
            noise = [r.raw_name or r.name for r in rows if _FREEZE_NOISE_RE.match(r.name)]
            if not (len(pins) >= _FREEZE_MIN_PINS
                    or (len(pins) >= _FREEZE_MIN_PINS_WITH_NOISE and len(set(noise)) >= _FREEZE_MIN_NOISE)):
                continue
            platform = [r for r in rows if _platform_only(r.name, r.specifier) is not None]
            local = [r for r in winner.requirements if r.path == path and _local_target(r) is not None
                     and _ABSOLUTE_RE.match(_local_target(r) or "")]
            labels = [r for r in rows if _LABEL_RE.search(r.specifier or "")]
            worse = bool(platform or local or labels)
            examples = ", ".join(list(dict.fromkeys(noise))[:4]) or ", ".join(r.raw_name for r in pins[:4])
            signs = []
            if platform:
                signs.append("platform-only packages")
            if local:
                signs.append("local paths")
            if labels:
                signs.append("local version labels")
            yield ctx.finding(
                f"{path} looks like a full \"pip freeze\" ({len(pins)} pins, incl. {examples})"
                + (f" from another machine ({', '.join(signs)})" if signs else "")
                + ". Every extra pin is a chance of a version that does not install on Cloud's Linux and Python, "
                  "and slows each deploy.",
                path, app=app, severity=Severity.WARNING if worse else None,
                fix="List only the packages the app imports (pipreqs can generate that), pinned.")


RULES = (req_stdlib, req_import_name, req_local_path, req_private_vcs, req_include_missing,
         req_local_version_label, req_torch_cuda_bloat, req_encoding, req_platform_only, req_invalid_line,
         req_freeze_dump)
