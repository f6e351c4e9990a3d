"""CP50x: the Python version Community Cloud runs an app with.

Cloud's Python is chosen only in the deploy dialog ("Advanced settings"); no file in the repository selects it,
and changing it later means deleting and redeploying the app. The rules here compare what the repository says
(version files, ``requires-python``, the ``python-version`` setting) with the Python Cloud will run: the
``python-version`` the user configured (``--python-version`` / config ``python-version``) when Cloud offers it,
otherwise Cloud's default (``default-python`` in ``preflight/data/cloud_platform.toml``).

Whether a version is offered, end-of-life or not yet released is decided from the dates in
``preflight/data/python_releases.toml`` against today's date. Set the environment variable
``CLOUD_PREFLIGHT_TODAY=YYYY-MM-DD`` to check as of another day (tests use it so their results do not change
with the calendar).
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from preflight import data
from preflight.depfiles import key_line, parse_dependency_file
from preflight.imports import imports_of, resolve_module
from preflight.model import Finding, Severity
from preflight.pythons import (
    CloudPython,
    Status,
    offered,
    today,
    version_status,
)
from preflight.pythons import cloud_python as _cloud_python
from preflight.pythons import key as _key
from preflight.rules import RuleContext, rule

if TYPE_CHECKING:
    from preflight.apps import App
    from preflight.project import Project

DEPLOY_DIALOG = "the deploy dialog (Advanced settings > Python version)"

# Standard-library modules removed from CPython. Fixed history, not stale-prone:
# What's New in Python 3.12 ("Removed": distutils, PEP 632; asynchat, asyncore, smtpd, imp) and
# What's New in Python 3.13 ("PEP 594: dead batteries", lib2to3, tkinter.tix),
# https://docs.python.org/3/whatsnew/3.12.html#removed
# https://docs.python.org/3/whatsnew/3.13.html#removed-modules-and-apis
# module -> (removed in, replacement advice, distributions that bring the module back)
REMOVED_STDLIB: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "distutils": ("3.12", "add setuptools to the dependency file (it provides a distutils shim), or use "
                          "packaging.version instead of LooseVersion and shutil/sysconfig for the rest",
                  ("setuptools", "standard-distutils")),
    "imp": ("3.12", "use importlib (importlib.util, importlib.reload)", ("zombie-imp",)),
    "asynchat": ("3.12", "use asyncio, or add standard-asynchat", ("standard-asynchat",)),
    "asyncore": ("3.12", "use asyncio, or add standard-asyncore", ("standard-asyncore",)),
    "smtpd": ("3.12", "use aiosmtpd, or add standard-smtpd", ("standard-smtpd", "aiosmtpd")),
    "aifc": ("3.13", "add standard-aifc to the dependency file", ("standard-aifc",)),
    "audioop": ("3.13", "add audioop-lts to the dependency file", ("audioop-lts",)),
    "cgi": ("3.13", "use email.message / urllib.parse, or add legacy-cgi", ("legacy-cgi", "standard-cgi")),
    "cgitb": ("3.13", "use the traceback module, or add legacy-cgi", ("legacy-cgi", "standard-cgitb")),
    "chunk": ("3.13", "add standard-chunk to the dependency file", ("standard-chunk",)),
    "crypt": ("3.13", "use hashlib or passlib, or add standard-crypt", ("standard-crypt",)),
    "imghdr": ("3.13", "use filetype, puremagic or Pillow, or add standard-imghdr", ("standard-imghdr",)),
    "mailcap": ("3.13", "use mimetypes, or add standard-mailcap", ("standard-mailcap",)),
    "msilib": ("3.13", "it was Windows-only; remove it", ()),
    "nis": ("3.13", "no replacement in the standard library; remove it", ()),
    "nntplib": ("3.13", "add standard-nntplib to the dependency file", ("standard-nntplib",)),
    "ossaudiodev": ("3.13", "no replacement in the standard library; remove it", ()),
    "pipes": ("3.13", "use shlex.quote and subprocess, or add standard-pipes", ("standard-pipes",)),
    "sndhdr": ("3.13", "use filetype or puremagic, or add standard-sndhdr", ("standard-sndhdr",)),
    "spwd": ("3.13", "use python-pam, or remove it", ()),
    "sunau": ("3.13", "add standard-sunau to the dependency file", ("standard-sunau",)),
    "telnetlib": ("3.13", "use telnetlib3, or add standard-telnetlib", ("standard-telnetlib",)),
    "uu": ("3.13", "use base64, or add standard-uu", ("standard-uu",)),
    "xdrlib": ("3.13", "add standard-xdrlib to the dependency file", ("standard-xdrlib",)),
    "lib2to3": ("3.13", "use parso or libcst", ()),
    "tkinter.tix": ("3.13", "use tkinter.ttk", ()),
}

_VERSION_RE = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")
# .python-version / .tool-versions entries: 3.12, 3.12.4, 3.13t, 3.14.0rc1, cpython-3.12.1-linux-x86_64-gnu
_PYVERSION_RE = re.compile(r"^(?:cpython-|python-?)?(\d+\.\d+)(?:\.\d+)?(?:(?:a|b|rc)\d+)?(?:t|\+freethreaded)?"
                           r"(?:-[\w.-]+)?$", re.IGNORECASE)
# runtime.txt (Heroku, Binder): python-3.9.13
_RUNTIME_RE = re.compile(r"^python-?(\d+\.\d+)(?:\.\d+)?$", re.IGNORECASE)
# environment.yml: python=3.9, python==3.9.13, python 3.9.*, python=3.9=h12_0 (the part after "python")
_CONDA_RE = re.compile(r"^\s*(?:==?)?\s*(\d+\.\d+)(?:\.[\d*]+)?(?:\s*=.*)?\s*$")


def cloud_python(ctx: RuleContext) -> CloudPython | None:
    return _cloud_python(ctx.config)


def _status_consequence(status: Status) -> str:
    # No version lists here: they change with the calendar, and the message should not.
    if status.kind in ("eol", "near-eol"):
        return ("Community Cloud offers only versions that still get security updates and force-upgrades apps on "
                "an end-of-life Python to the oldest supported version, which may break them")
    return "Community Cloud offers only released versions that still get security updates"


# --------------------------------------------------------------------------- version statements in files


@dataclass(frozen=True)
class Statement:
    """A file that states a Python version. ``version`` is the one minor it asks for, if any; ``spec`` the range."""

    path: str
    line: int | None
    kind: str  # runtime.txt, .python-version, .tool-versions, Pipfile, environment.yml, requires-python
    text: str
    version: str | None
    spec: SpecifierSet | None = None
    value: str = ""  # the range as written, for requires-python


def _first_line(project: Project, path: str) -> tuple[int, str] | None:
    text = project.text(path)
    if text is None:
        return None
    for number, raw in enumerate(text.lines, start=1):
        line = raw.split("#", 1)[0].strip()
        if line:
            return number, line
    return None


def _runtime_txt(project: Project, path: str) -> Statement | None:
    found = _first_line(project, path)
    if found is None:
        return None
    number, line = found
    match = _RUNTIME_RE.match(line) or _PYVERSION_RE.match(line)
    return Statement(path, number, "runtime.txt", line, match.group(1)) if match else None


def _python_version_file(project: Project, path: str) -> Statement | None:
    found = _first_line(project, path)
    if found is None:
        return None
    number, line = found
    match = _PYVERSION_RE.match(line)
    return Statement(path, number, ".python-version", line, match.group(1)) if match else None


def _tool_versions(project: Project, path: str) -> Statement | None:
    text = project.text(path)
    if text is None:
        return None
    for number, raw in enumerate(text.lines, start=1):
        parts = raw.split("#", 1)[0].split()
        if len(parts) >= 2 and parts[0] == "python":
            match = _PYVERSION_RE.match(parts[1])
            return Statement(path, number, ".tool-versions", raw.strip(), match.group(1)) if match else None
    return None


def _pipfile(project: Project, path: str) -> Statement | None:
    parsed = project.toml(path)
    text = project.text(path)
    requires = parsed.get("requires") if isinstance(parsed, dict) else None
    if not isinstance(requires, dict) or text is None:
        return None
    for key in ("python_version", "python_full_version"):
        value = requires.get(key)
        if isinstance(value, str):
            match = _VERSION_RE.fullmatch(value.strip())
            if match:
                line = key_line(text.text, key, "requires")
                return Statement(path, line, "Pipfile", f'{key} = "{value.strip()}"',
                                 f"{match.group(1)}.{match.group(2)}")
    return None


def _environment_yml(project: Project, path: str) -> Statement | None:
    parsed = parse_dependency_file(project, path)
    for req in parsed.requirements:
        if req.kind != "python":
            continue
        match = _CONDA_RE.match(req.specifier or "")
        if match:
            return Statement(path, req.line, "environment.yml", req.text.strip(), match.group(1))
    return None


def _specifier(text: str) -> SpecifierSet | None:
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        return None


def allows(spec: SpecifierSet, minor: str) -> bool:
    """Whether some release of ``minor`` satisfies ``spec`` (Cloud's patch level is not known)."""
    patches = {0, 1, 2, 3, 5, 8, 10, 15, 20, 30, 50, 99}
    for item in spec:
        match = _VERSION_RE.match(item.version)
        if match and f"{match.group(1)}.{match.group(2)}" == minor and match.group(3):
            patches.add(int(match.group(3)))
    for patch in sorted(patches):
        try:
            if spec.contains(Version(f"{minor}.{patch}"), prereleases=True):
                return True
        except InvalidVersion:
            return True
    return False


def pinned_minor(spec: SpecifierSet) -> str | None:
    """The single known minor version a requires-python range allows, if it allows exactly one."""
    candidates = [m for m in data.python_releases() if allows(spec, m)]
    return candidates[0] if len(candidates) == 1 else None


def _requires_python(project: Project, path: str) -> Statement | None:
    parsed = project.toml(path)
    text = project.text(path)
    proj = parsed.get("project") if isinstance(parsed, dict) else None
    if not isinstance(proj, dict) or not isinstance(proj.get("requires-python"), str) or text is None:
        return None
    value = proj["requires-python"].strip()
    spec = _specifier(value)
    if spec is None:
        return None
    line = key_line(text.text, "requires-python", "project")
    return Statement(path, line, "requires-python", f'requires-python = "{value}"', pinned_minor(spec), spec,
                     value)


READERS = (
    ("runtime.txt", _runtime_txt),
    (".python-version", _python_version_file),
    (".tool-versions", _tool_versions),
    ("Pipfile", _pipfile),
    ("environment.yml", _environment_yml),
    ("pyproject.toml", _requires_python),
)


def _folders(ctx: RuleContext) -> list[str]:
    apps = [a for a in ctx.apps if a.exists]
    if not apps:
        return []
    return sorted({""} | {a.dir for a in apps})


def statements(ctx: RuleContext) -> list[Statement]:
    """Python versions stated by files at the root or next to an entrypoint (cached on the project)."""
    cache = ctx.project.__dict__.setdefault("_python_statements_cache", {})
    folders = tuple(_folders(ctx))
    if folders not in cache:
        out = []
        for folder in folders:
            for name, reader in READERS:
                path = posixpath.join(folder, name) if folder else name
                if ctx.project.exists(path):
                    found = reader(ctx.project, path)
                    if found is not None:
                        out.append(found)
        cache[folders] = out
    return cache[folders]


def _describe_file(statement: Statement) -> str:
    where = f"{statement.path}:{statement.line}" if statement.line else statement.path
    return f"{where} ({statement.text})"


# --------------------------------------------------------------------------- uv and Pipfile specifics


@dataclass(frozen=True)
class UvProject:
    lock: str
    requires: Statement | None  # requires-python from pyproject.toml, else from uv.lock
    pin: Statement | None  # .python-version beside the lock


def uv_project(ctx: RuleContext, app: App) -> UvProject | None:
    winner = app.winner
    if winner is None or winner.filename != "uv.lock":
        return None
    folder = posixpath.dirname(winner.path)
    pyproject = posixpath.join(folder, "pyproject.toml") if folder else "pyproject.toml"
    requires = _requires_python(ctx.project, pyproject) if ctx.project.exists(pyproject) else None
    if requires is None and isinstance(winner.python, str):
        spec = _specifier(winner.python)
        text = ctx.project.text(winner.path)
        if spec is not None:
            line = key_line(text.text, "requires-python") if text else None
            requires = Statement(winner.path, line, "requires-python", f'requires-python = "{winner.python}"',
                                 pinned_minor(spec), spec, winner.python)
    pin_path = posixpath.join(folder, ".python-version") if folder else ".python-version"
    pin = _python_version_file(ctx.project, pin_path) if ctx.project.exists(pin_path) else None
    return UvProject(winner.path, requires, pin)


def _pin_conflicts(uv: UvProject) -> bool:
    return bool(uv.pin and uv.pin.version and uv.requires and uv.requires.spec is not None
                and not allows(uv.requires.spec, uv.pin.version))


def pipfile_mismatch(ctx: RuleContext, app: App, python: CloudPython) -> Statement | None:
    winner = app.winner
    if winner is None or winner.filename != "Pipfile":
        return None
    found = _pipfile(ctx.project, winner.path)
    if found is None or found.version is None or found.version == python.version:
        return None
    return found


# --------------------------------------------------------------------------- rules


@rule("CP501", "py-version-file-ignored", Severity.NOTE)
def py_version_file_ignored(ctx: RuleContext) -> Iterator[Finding]:
    """A file states a Python version, but Community Cloud chooses Python only in the deploy dialog.

    ## Why is this bad?
    Cloud does not read `runtime.txt`, `.python-version`, `.tool-versions`, a Pipfile's
    `[requires] python_version`, `python=` in `environment.yml` or `requires-python` to pick the Python of an
    app. It uses the version chosen in the deploy dialog (Advanced settings), or its default, and the choice
    cannot be changed later without deleting and redeploying the app. The app then runs on a Python it was
    never tested with. Only files at the repository root or next to an entrypoint are reported, and
    `requires-python` only when it pins one minor version or excludes the Python Cloud will run. A file that
    asks for the `python-version` you configured is not reported; one that asks for a version Cloud does not
    offer is reported by CP502 instead, and the uv and Pipfile conflicts by CP503 and CP504.

    ## Example
    `runtime.txt` with `python-3.11.9` (Heroku style): Cloud ignores it and runs its default Python.

    ## Fix
    Select the version the file asks for in the deploy dialog (Advanced settings > Python version), and keep the
    version files consistent with that choice. Set `python-version` in `.github/cloud-preflight.toml` so the
    checks use the same version.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/deploy
    - https://docs.streamlit.io/deploy/community-cloud/manage-your-app/upgrade-python
    """
    python = cloud_python(ctx)
    if python is None:
        return
    on = today()
    covered: set[str] = set()
    for app in ctx.apps:
        if not app.exists:
            continue
        uv = uv_project(ctx, app)
        if uv is not None:
            if uv.requires is not None:
                covered.add(uv.requires.path)
            if uv.pin is not None and _pin_conflicts(uv):
                covered.add(uv.pin.path)
        mismatch = pipfile_mismatch(ctx, app, python)
        if mismatch is not None:
            covered.add(mismatch.path)
    for statement in statements(ctx):
        if statement.path in covered:
            continue
        if statement.version is not None:
            if version_status(statement.version, on) is not None:
                continue  # CP502
            if python.configured and statement.version == python.version:
                continue
            asks = f"asks for Python {statement.version}"
            choose = f"Choose Python {statement.version} there when deploying"
        else:
            spec = statement.spec
            if spec is None or allows(spec, python.version):
                continue
            allowed = [m for m in offered(on) if allows(spec, m)]
            asks = f"does not allow Python {python.version}"
            choose = (f"Choose Python {allowed[-1]} there when deploying" if allowed
                      else "No Python that Cloud offers satisfies it; widen the range")
        same = ", which matches today but can change" \
            if statement.version == python.version and not python.configured else ""
        yield ctx.finding(
            f"{_describe_file(statement)} {asks}, but Community Cloud does not read it: the app runs on the "
            f"Python chosen in {DEPLOY_DIALOG}, otherwise {python.describe}{same}. {choose}; changing it later "
            f"requires deleting and redeploying the app.",
            statement.path, statement.line,
            fix=f"Select the intended Python in {DEPLOY_DIALOG} and set python-version in "
                f".github/cloud-preflight.toml to match.")


@rule("CP502", "py-version-unsupported", Severity.WARNING)
def py_version_unsupported(ctx: RuleContext) -> Iterator[Finding]:
    """The intended Python is end-of-life, about to be, not released yet or unknown: Cloud does not offer it.

    Severity: error when it is the `python-version` you configured (you cannot deploy with it); warning when a
    version file asks for it, or when the version reaches end-of-life within 90 days.

    ## Why is this bad?
    Community Cloud offers only released Python versions that still get security updates ("You may not use
    end-of-life, prerelease, or feature versions of Python"). An app on a version that reaches end-of-life is
    force-upgraded to the oldest supported version and may break. A version file that asks for such a Python
    means the app was developed for a Python it will not get. Dates come from python/peps
    (`preflight/data/python_releases.toml`) compared with today's date (set `CLOUD_PREFLIGHT_TODAY=YYYY-MM-DD`
    to check as of another day).

    ## Example
    `runtime.txt` with `python-3.8.10` (end-of-life since 2024-10-07), or `python-version = "3.16"` before
    3.16 is released.

    ## Fix
    Test the app on a supported Python, select it in the deploy dialog (Advanced settings) and update the
    version files. Redeploy on a newer Python before the current one reaches end-of-life.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/status-and-limitations
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/deploy
    - https://devguide.python.org/versions/
    """
    on = today()
    for statement in statements(ctx):
        if statement.version is None:
            continue
        status = version_status(statement.version, on)
        if status is None:
            continue
        yield ctx.finding(
            f"{_describe_file(statement)} asks for Python {statement.version}. {status.text}; "
            f"{_status_consequence(status)}.",
            statement.path, statement.line, severity=Severity.WARNING,
            fix=f"Test the app on a supported Python, select it in {DEPLOY_DIALOG} and update "
                f"{statement.path}.")
    configured = ctx.config.python_version
    if isinstance(configured, str):
        status = version_status(configured, on)
        if status is not None:
            severity = Severity.WARNING if status.kind == "near-eol" else Severity.ERROR
            where = _config_location(ctx, configured)
            cannot = "" if status.kind == "near-eol" else " You cannot deploy with it."
            message = (f"Your python-version setting is {configured}. {status.text}; "
                       f"{_status_consequence(status)}.{cannot}")
            fix = f"Set python-version to a supported Python and select it in {DEPLOY_DIALOG}."
            if where is not None:
                yield ctx.finding(message, where[0], where[1], severity=severity, fix=fix)
            else:
                for app in ctx.apps:
                    source = ctx.config.source
                    outside = source and source != "command line" and not source.startswith("pyproject.toml") \
                        and not ctx.project.exists(source.replace("\\", "/").removeprefix("./"))
                    given = f"The python-version setting ({source} or --python-version)" if outside \
                        else "--python-version"
                    yield ctx.finding(message.replace("Your python-version setting", given),
                                      app.entrypoint, severity=severity, fix=fix, app=app)


def _config_location(ctx: RuleContext, value: str) -> tuple[str, int | None] | None:
    """Where the python-version setting is written in the repository, or None (command line, outside file)."""
    source = ctx.config.source or ""
    if source.startswith("pyproject.toml [tool.cloud-preflight]"):
        path = "pyproject.toml"
    else:
        path = source.replace("\\", "/").removeprefix("./")
    section = "tool.cloud-preflight" if posixpath.basename(path) == "pyproject.toml" else None
    if not path or not ctx.project.exists(path):
        return None
    parsed = ctx.project.toml(path)
    if section is not None:
        parsed = (parsed or {}).get("tool", {}).get("cloud-preflight") if isinstance(parsed, dict) else None
    if not isinstance(parsed, dict) or parsed.get("python-version") != value:
        return None  # the value came from the command line
    text = ctx.project.text(path)
    return path, key_line(text.text, "python-version", section) if text else None


@rule("CP503", "py-uv-python-conflict", Severity.ERROR)
def py_uv_python_conflict(ctx: RuleContext) -> Iterator[Finding]:
    """`uv sync` on Cloud will refuse the Python: `requires-python` excludes it or `.python-version` conflicts.

    ## Why is this bad?
    When `uv.lock` is the dependency file Cloud uses, it runs `uv sync`, which enforces the project's
    `requires-python` against the interpreter Cloud provides (the one chosen in the deploy dialog, or the
    default). If the range excludes that Python, or `.python-version` beside the lock asks for a version the
    range excludes, uv aborts before installing anything ("error: The Python request from .python-version
    resolved to Python 3.14.6, which is incompatible with the project's Python requirement: >=3.11, <3.13")
    and the app fails with `ModuleNotFoundError` on its first import.

    ## Example
    `pyproject.toml` with `requires-python = ">=3.11,<3.13"`, `uv.lock`, and an app deployed with Cloud's
    default Python 3.14.

    ## Fix
    Widen `requires-python` to include the Python you deploy with (then run `uv lock` and commit), make
    `.python-version` a version inside the range, and select that version in the deploy dialog.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/app-dependencies
    - https://docs.astral.sh/uv/concepts/python-versions/#project-python-versions
    """
    python = cloud_python(ctx)
    on = today()
    for app in ctx.apps:
        if not app.exists:
            continue
        uv = uv_project(ctx, app)
        if uv is None or uv.requires is None or uv.requires.spec is None:
            continue
        spec = uv.requires.spec
        range_text = uv.requires.value
        where_range = f"{uv.requires.path}:{uv.requires.line}" if uv.requires.line else uv.requires.path
        if _pin_conflicts(uv):
            pin = uv.pin
            yield ctx.finding(
                f"Community Cloud runs \"uv sync\" for {uv.lock}, and {pin.path} asks for Python {pin.version}, "
                f"which the project's requires-python ({range_text}, {where_range}) excludes: uv aborts "
                f"(\"The Python request from .python-version resolved to Python {pin.version}, which is "
                f"incompatible with the project's Python requirement\") and installs nothing.",
                pin.path, pin.line, app=app,
                fix=f"Make {pin.path} a version inside {range_text} (or delete it) and select that version in "
                    f"{DEPLOY_DIALOG}.")
        if python is None or allows(spec, python.version):
            continue
        allowed = [m for m in offered(on) if allows(spec, m)]
        if allowed:
            hint = uv.pin.version if uv.pin and uv.pin.version in allowed else allowed[-1]
            choose = f"select Python {hint} in {DEPLOY_DIALOG}" if not python.configured else \
                f"deploy with Python {hint} instead"
            fix = f"Widen requires-python to include {python.version} (then run uv lock and commit), or {choose}."
        else:
            fix = (f"No Python that Cloud offers ({', '.join(offered(on))}) satisfies {range_text}: widen "
                   f"requires-python, run uv lock and commit.")
        yield ctx.finding(
            f"Community Cloud runs \"uv sync\" for {uv.lock} with {python.describe}, which the project's "
            f"requires-python ({range_text}) excludes: uv aborts (\"... resolved to Python {python.version}.x, "
            f"which is incompatible with the project's Python requirement: {range_text}\") and installs nothing.",
            uv.requires.path, uv.requires.line, app=app, fix=fix)


@rule("CP504", "py-pipfile-python-mismatch", Severity.WARNING)
def py_pipfile_python_mismatch(ctx: RuleContext) -> Iterator[Finding]:
    """The Pipfile Cloud installs requires a different Python than the one Cloud will run.

    ## Why is this bad?
    With a winning `Pipfile`, Cloud installs with pipenv on the Python chosen in the deploy dialog (or the
    default); `[requires] python_version` does not choose it. pipenv reports the mismatch ("Your Pipfile requires
    python_version 3.9, but you are using 3.14") and aborts when run with `--deploy`; otherwise it installs what
    `Pipfile.lock` resolved for the other Python, and pins without wheels for Cloud's Python fail to build.

    ## Example
    ```toml
    [requires]
    python_version = "3.9"
    ```
    with an app deployed on Cloud's default Python.

    ## Fix
    Select the Pipfile's Python in the deploy dialog (Advanced settings) if Cloud offers it, or set
    `python_version` to the Python you deploy with and run `pipenv lock`.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/app-dependencies
    - https://pipenv.pypa.io/en/latest/specifiers.html#specifying-versions-of-python
    """
    python = cloud_python(ctx)
    if python is None:
        return
    on = today()
    for app in ctx.apps:
        if not app.exists:
            continue
        found = pipfile_mismatch(ctx, app, python)
        if found is None:
            continue
        choose = f"Select Python {found.version} in {DEPLOY_DIALOG}, or set" \
            if found.version in offered(on) and not python.configured else "Set"
        yield ctx.finding(
            f"Community Cloud installs {found.path} with pipenv on {python.describe}, but it requires Python "
            f"{found.version} ({found.text}): pipenv reports the mismatch (and aborts when run with --deploy), "
            f"and pins locked for Python {found.version} that have no wheels for Python {python.version} fail "
            f"to build.",
            found.path, found.line, app=app,
            fix=f"{choose} python_version = \"{python.version}\" in {found.path} and run pipenv lock.")


def _version_guarded_lines(tree: ast.Module) -> set[int]:
    """Lines inside ``if sys.version_info ...:`` blocks (either branch): the import there is deliberate."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.If):
            continue
        mentions = any(isinstance(n, ast.Attribute) and n.attr == "version_info" or
                       isinstance(n, ast.Name) and n.id in ("version_info", "PY312", "PY313")
                       for n in ast.walk(node.test))
        if not mentions:
            continue
        for stmt in (*node.body, *node.orelse):
            end = getattr(stmt, "end_lineno", None) or stmt.lineno
            lines.update(range(stmt.lineno, end + 1))
    return lines


def _removed_module(module: str, names: tuple[str, ...]) -> str | None:
    if module == "tkinter.tix" or module.startswith("tkinter.tix."):
        return "tkinter.tix"
    if module == "tkinter" and "tix" in names:
        return "tkinter.tix"
    top = module.split(".", 1)[0]
    return top if top in REMOVED_STDLIB else None


@rule("CP505", "py-removed-stdlib", Severity.ERROR)
def py_removed_stdlib(ctx: RuleContext) -> Iterator[Finding]:
    """The app imports a standard-library module that was removed in the Python Cloud will run.

    Severity: warning for `distutils` (setuptools, often installed as a dependency of other packages, brings it
    back); error otherwise.

    ## Why is this bad?
    Python 3.12 removed `distutils`, `imp`, `asynchat`, `asyncore` and `smtpd`; Python 3.13 removed the "dead
    batteries" of PEP 594 (`cgi`, `imghdr`, `audioop`, `telnetlib`, `pipes`, ...), `lib2to3` and `tkinter.tix`.
    On Community Cloud's Python (the one chosen in the deploy dialog, or the default) the import fails with
    `ModuleNotFoundError` when the app reaches it. Imports under `try: ... except ImportError`, under
    `if TYPE_CHECKING:` or under an `if sys.version_info ...` test are not reported, nor are modules that a
    declared backport (`standard-imghdr`, `audioop-lts`, `legacy-cgi`, ...) or a local file provides.

    ## Example
    ```python
    import imghdr
    kind = imghdr.what(uploaded)
    ```

    ## Fix
    Use the replacement named in the message, or add the backport package to the dependency file.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/app-dependencies
    - https://docs.python.org/3/whatsnew/3.12.html#removed
    - https://docs.python.org/3/whatsnew/3.13.html#removed-modules-and-apis
    - https://peps.python.org/pep-0594/
    """
    python = cloud_python(ctx)
    if python is None:
        return
    for app in ctx.apps:
        if not app.exists:
            continue
        winner = app.winner
        declared = {r.name for r in winner.named()} if winner is not None else set()
        roots = [app.dir, ""] if app.dir else [""]
        for module in app.modules:
            root = "" if module.root_only else app.dir
            refs = imports_of(ctx.project, module.path, root)
            guarded: set[int] | None = None
            for ref in refs:
                if ref.guard or ref.level or not ref.module:
                    continue
                removed = _removed_module(ref.module, ref.names)
                if removed is None:
                    continue
                since, advice, backports = REMOVED_STDLIB[removed]
                if _key(python.version) < _key(since):
                    continue
                if any(canonicalize_name(b) in declared for b in backports):
                    continue
                if resolve_module(ctx.project, removed.split(".", 1)[0], roots) is not None:
                    continue  # a local module of that name
                if guarded is None:
                    tree = ctx.project.python(module.path)
                    guarded = _version_guarded_lines(tree) if tree is not None else set()
                if ref.line in guarded:
                    continue
                severity = Severity.WARNING if removed == "distutils" else Severity.ERROR
                unless = " unless setuptools is installed (it provides a distutils shim)" \
                    if removed == "distutils" else ""
                yield ctx.finding(
                    f"\"{removed}\" was removed from the standard library in Python {since}; Community Cloud "
                    f"runs {python.describe}, so this import fails with ModuleNotFoundError{unless}.",
                    module.path, ref.line, ref.column, app=app, severity=severity,
                    fix=f"Replace it: {advice}.")


RULES = (py_version_file_ignored, py_version_unsupported, py_uv_python_conflict, py_pipfile_python_mismatch,
         py_removed_stdlib)
