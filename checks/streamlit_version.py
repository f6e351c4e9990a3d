"""CP55x-CP59x: the Streamlit version Community Cloud installs, its dependency ranges and the APIs an app uses.

The version is ``app.streamlit`` (the engine's prediction: the pinned release, the newest release a range allows,
or the newest release when streamlit is not pinned or not declared). Release metadata comes from
``preflight/data/streamlit_releases.json``; removed and deprecated APIs from ``preflight/data/streamlit_api.toml``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as PackagingRequirement
from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from preflight import data
from preflight.apps import App, EffectiveStreamlit
from preflight.depfiles import Requirement, poetry_to_pep440
from preflight.facts import extractor, may_mention
from preflight.model import Finding, Severity
from preflight.pysource import FastVisitor, SourceLines, statements
from preflight.rules import RuleContext, rule

# Streamlit releases that first supported a Python minor version (release notes; catalogue F5). A Python newer
# than every key here is not judged. TODO(data): move to preflight/data/ when a table holds it.
PYTHON_SUPPORT_SINCE = {"3.11": "1.19.0", "3.12": "1.29.0", "3.13": "1.41.0", "3.14": "1.52.0"}

# First release of Streamlit's compiled dependencies with manylinux wheels for a Python minor version (PyPI file
# lists, read 2026-11-22). TODO(data): move to preflight/data/ when a table holds it.
WHEELS_SINCE = {
    "numpy": {"3.12": "1.26.0", "3.13": "2.1.0", "3.14": "2.3.2"},
    "pandas": {"3.12": "2.1.1", "3.13": "2.2.3", "3.14": "2.3.3"},
    "pillow": {"3.12": "10.1.0", "3.13": "11.0.0", "3.14": "11.3.0"},
    "pyarrow": {"3.12": "14.0.0", "3.13": "18.0.0", "3.14": "22.0.0"},
}

# How each exact pin is described.
_EXACT = ("pinned", "locked")  # EffectiveStreamlit.kind values that name one release


# --------------------------------------------------------------------------------------------- version helpers


@cache
def _rows() -> dict[Version, dict[str, Any]]:
    """Every known release (pre-releases included), keyed by parsed version."""
    out: dict[Version, dict[str, Any]] = {}
    for text, row in data.streamlit_releases().items():
        try:
            out[Version(text)] = row if isinstance(row, dict) else {}
        except InvalidVersion:
            continue
    return out


def _newest() -> Version | None:
    versions = data.streamlit_versions()
    return versions[-1] if versions else None


def _table_date() -> str:
    raw = data._read("streamlit_releases.json")  # noqa: SLF001 - only for the date in a message
    if not raw:
        return "unknown date"
    import json

    try:
        meta = json.loads(raw).get("meta", {})
    except ValueError:
        return "unknown date"
    return str(meta.get("generated", "unknown date"))


def cloud_python(ctx: RuleContext) -> str | None:
    """The Python minor version the app is predicted to run on (shared with the CP50x rules)."""
    from preflight.pythons import cloud_python as predicted

    python = predicted(ctx.config)
    return python.version if python else None


def _python_origin(ctx: RuleContext) -> str:
    from preflight.pythons import cloud_python as predicted

    python = predicted(ctx.config)
    return python.describe if python else "Cloud's Python"


def linux_environment(python: str | None) -> dict[str, str]:
    """Marker environment of Community Cloud: CPython on x86-64 Linux."""
    py = python or "3.12"
    return {"python_version": py, "python_full_version": f"{py}.0", "implementation_version": f"{py}.0",
            "sys_platform": "linux", "platform_system": "Linux", "os_name": "posix", "platform_machine": "x86_64",
            "platform_python_implementation": "CPython", "implementation_name": "cpython",
            "platform_release": "", "platform_version": "", "extra": ""}


def marker_applies(marker: str | Marker | None, env: dict[str, str], extras: tuple[str, ...] = ()) -> bool:
    """Whether a requirement's marker holds on Cloud (for no extra or one of ``extras``). Unreadable: True."""
    if marker is None or marker == "":
        return True
    try:
        parsed = marker if isinstance(marker, Marker) else Marker(marker)
    except InvalidMarker:
        return True
    for extra in ("", *extras):
        try:
            if parsed.evaluate({**env, "extra": extra}):
                return True
        except (UndefinedComparison, UndefinedEnvironmentName, InvalidVersion, ValueError, TypeError):
            return True
    return False


def user_specifier(req: Requirement) -> SpecifierSet | None:
    """The requirement's specifier as a SpecifierSet (Poetry ^/~ and conda match specs understood), None when
    absent or unreadable."""
    text = (req.specifier or "").strip()
    if not text:
        return None
    if req.kind == "conda":
        text = _conda_to_pep440(text)
        if text is None:
            return None
    for candidate in (text, poetry_to_pep440(text)):
        try:
            return SpecifierSet(candidate)
        except InvalidSpecifier:
            continue
    return None


def _conda_to_pep440(text: str) -> str | None:
    """conda "=1.2" / "1.2" (a prefix) -> "==1.2.*"; "|" alternatives and build strings are not translated."""
    if "|" in text or " " in text.strip():
        return None
    parts = []
    for part in text.split(","):
        part = part.strip()
        if part.startswith("=") and not part.startswith("=="):
            part = "==" + part[1:].rstrip(".*") + ".*"
        elif part[:1].isdigit():
            part = "==" + part.rstrip(".*") + ".*"
        parts.append(part)
    return ",".join(parts)


def _spec_versions(spec: SpecifierSet) -> list[str]:
    return [s.version.replace(".*", "") for s in spec]


def _neighbours(text: str) -> list[Version]:
    """Versions at, just above and just below ``text``: enough to probe every interval a boundary opens."""
    try:
        base = Version(text)
    except InvalidVersion:
        return []
    out = [base]
    release = list(base.release) + [0] * max(0, 3 - len(base.release))
    for i in range(len(release)):
        up = release[:i] + [release[i] + 1] + [0] * (len(release) - i - 1)
        out.append(Version(".".join(map(str, up))))
        if release[i] > 0:
            down = release[:i] + [release[i] - 1] + [9999] * (len(release) - i - 1)
            out.append(Version(".".join(map(str, down))))
    out.append(Version(".".join(map(str, [*release, 1]))))
    out.append(Version(".".join(map(str, release)) + ".post1"))
    return out


def compatible(a: SpecifierSet, b: SpecifierSet) -> bool:
    """Whether some version satisfies both specifier sets (probing every boundary either one names)."""
    probes: list[Version] = [Version("0"), Version("0.0.1"), Version("99999")]
    for text in (*_spec_versions(a), *_spec_versions(b)):
        probes.extend(_neighbours(text))
    return any(a.contains(v, prereleases=True) and b.contains(v, prereleases=True) for v in probes)


def show_spec(spec: SpecifierSet | str) -> str:
    """Specifiers in reading order: lower bounds, upper bounds, then exclusions."""
    items = list(spec) if isinstance(spec, SpecifierSet) else list(SpecifierSet(spec))
    order = {">=": 0, ">": 0, "~=": 0, "==": 1, "===": 1, "<": 2, "<=": 2, "!=": 3}
    items.sort(key=lambda s: (order.get(s.operator, 4), not _valid(s),
                              Version(s.version.replace(".*", "")) if _valid(s) else Version("0"), s.version))
    return ",".join(str(s) for s in items)


def _valid(spec: Specifier) -> bool:
    try:
        Version(spec.version.replace(".*", ""))
        return True
    except InvalidVersion:
        return False


@dataclass(frozen=True)
class StreamlitDep:
    name: str  # canonical
    raw: str
    spec: SpecifierSet


_REQUIRES_CACHE: dict[tuple, list[StreamlitDep] | None] = {}


def streamlit_requires(version: Version, env: dict[str, str],
                       extras: tuple[str, ...] = ()) -> list[StreamlitDep] | None:
    """Streamlit ``version``'s Requires-Dist that apply on Cloud (with ``extras``), None when unknown.

    Cached: every app of a repository asks for the same few releases (a repository with thousands of
    entrypoints parsed the same requirement strings thousands of times)."""
    key = (version, tuple(sorted(env.items())), tuple(extras))
    if key not in _REQUIRES_CACHE:
        _REQUIRES_CACHE[key] = _streamlit_requires(version, env, extras)
    cached = _REQUIRES_CACHE[key]
    return None if cached is None else list(cached)


def _streamlit_requires(version: Version, env: dict[str, str],
                        extras: tuple[str, ...]) -> list[StreamlitDep] | None:
    row = _rows().get(version)
    if row is None or not isinstance(row.get("requires_dist"), list):
        return None
    out = []
    for text in row["requires_dist"]:
        if not isinstance(text, str):
            continue
        try:
            parsed = PackagingRequirement(text)
        except InvalidRequirement:
            continue
        if not marker_applies(parsed.marker, env, extras):
            continue
        out.append(StreamlitDep(canonicalize_name(parsed.name), parsed.name, parsed.specifier))
    return out


def provides_extra(version: Version | None, extra: str) -> bool:
    """Whether streamlit ``version`` defines ``extra`` (True when the release is unknown)."""
    row = _rows().get(version) if version else None
    if row is None or not isinstance(row.get("requires_dist"), list):
        return True
    needle = f'extra == "{extra}"'
    return any(isinstance(t, str) and needle in t.replace("'", '"') for t in row["requires_dist"])


def supports_python(version: Version, python: str | None) -> bool:
    if not python:
        return True
    row = _rows().get(version)
    text = row.get("requires_python") if row else None
    if not isinstance(text, str) or not text.strip():
        return True
    try:
        return SpecifierSet(text).contains(f"{python}.0", prereleases=True) or \
            SpecifierSet(text).contains(f"{python}.99", prereleases=True)
    except (InvalidSpecifier, InvalidVersion):
        return True


def resolution(app: App) -> str:
    """How the winning file leads to the effective streamlit version, as the second half of a message."""
    eff = effective(app)
    version = eff.version
    req = eff.requirement
    where = req.path if req is not None else (app.winner.path if app.winner else None)
    if eff.kind == "pinned":
        return f"{where} pins streamlit {version}"
    if eff.kind == "locked":
        return f"{where} locks streamlit {version}"
    if eff.kind == "range":
        spec = eff.spec
        return (f"{where} resolves to streamlit {version} (the newest release allowed by {spec}), which the next "
                f"deploy or reboot installs")
    if eff.kind == "unpinned":
        return f"{where} does not pin streamlit, so the next deploy or reboot installs the newest release, {version}"
    if eff.kind == "unreadable":
        return (f"cloud-preflight cannot read the streamlit specifier in {where} and assumes the newest release, "
                f"{version}")
    if where:
        return f"{where} does not list streamlit, so Community Cloud installs the newest release, {version}"
    return f"there is no dependency file, so Community Cloud installs the newest streamlit, {version}"


def _how_short(app: App) -> str:
    """"pinned in requirements.txt", "locked in uv.lock" or "the newest release requirements.txt allows"."""
    eff = effective(app)
    req = eff.requirement
    where = req.path if req is not None else (app.winner.path if app.winner else "no dependency file")
    if eff.kind == "pinned":
        return f"pinned in {where}"
    if eff.kind == "locked":
        return f"locked in {where}"
    if req is None:
        return "the newest release, installed because " + (
            f"{where} does not list streamlit" if app.winner else "there is no dependency file")
    return f"the newest release {where} allows"


def effective(app: App) -> EffectiveStreamlit:
    """The streamlit version Cloud installs for the app (``app.streamlit``; conda specs are read by the engine)."""
    return app.streamlit


def _guessed(app: App) -> bool:
    """The version is an assumption (a specifier nobody could read): version-dependent errors stay quiet."""
    return effective(app).kind == "unreadable"


def _is_exact(app: App) -> bool:
    return effective(app).kind in _EXACT


def _streamlit_extras(app: App) -> tuple[str, ...]:
    req = effective(app).requirement
    return tuple(req.extras) if req is not None else ()


def _has_upper_bound(req: Requirement) -> bool:
    if req.kind in ("url", "path", "editable"):
        return True  # a URL or a local build is a fixed artefact
    text = (req.specifier or "").strip()
    if not text:
        return False
    if req.kind == "conda":
        # conda match specs: "=1.30", "==1.30.0", "1.30" and "<2" bound the version; ">=1.30" alone does not.
        parts = [p.strip() for p in re.split(r"[,|]", text) if p.strip()]
        return any(p.startswith(("<", "=")) or p[0].isdigit() for p in parts)
    spec = user_specifier(req)
    if spec is None:
        return True  # unreadable: do not guess
    return any(s.operator in ("<", "<=", "==", "===", "~=") for s in spec)


# --------------------------------------------------------------------------------------------- rules


@rule("CP550", "streamlit-not-declared", Severity.WARNING)
def streamlit_not_declared(ctx: RuleContext) -> Iterator[Finding]:
    """The dependency file Cloud uses does not list streamlit.

    Severity: note when a declared Streamlit component (a `streamlit-*` package) brings streamlit in through
    the resolver; then only the version is left to chance.

    ## Why is this bad?
    After installing your dependency file, Community Cloud checks whether Streamlit is installed ("Checking if
    Streamlit is installed") and, if not, installs the newest release on its own, outside the resolver that
    installed your packages. Your pins of protobuf, altair, numpy or pandas can then be violated or silently
    changed, and every reboot can bring a new Streamlit that removed an API you use.

    ## Example
    ```text
    pandas==2.2.2
    plotly==5.22.0
    ```

    ## Fix
    Add a pinned streamlit to the file Cloud uses, e.g. `streamlit==1.50.0` (or `streamlit~=1.50.0`).

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/manage-your-app/upgrade-streamlit
    - https://docs.streamlit.io/deploy/community-cloud/manage-your-app
    """
    for app in ctx.apps:
        winner = app.winner
        if not app.exists or winner is None or effective(app).requirement is not None:
            continue
        if winner.find("streamlit-nightly") is not None:
            continue
        # A requirements file made only of options/includes that cannot be read is another rule's business.
        newest = effective(app).version
        fix = _add_streamlit_fix(winner.path, winner.filename, newest)
        component = next((r for r in winner.named() if r.name.startswith("streamlit-")), None)
        if component is not None:
            yield ctx.finding(
                f"streamlit is not listed in {winner.path}; it is installed only as a dependency of "
                f"{component.raw_name or component.name}, so every deploy or reboot takes whatever release the "
                f"resolver picks (today {newest}).", winner.path, app=app, severity=Severity.NOTE, fix=fix)
            continue
        yield ctx.finding(
            f"streamlit is not listed in {winner.path}. Community Cloud installs the newest streamlit "
            f"(today {newest}) after your dependencies, outside the resolver, so your pins of protobuf, altair, "
            f"numpy or pandas may be violated or silently changed.", winner.path, app=app, fix=fix)


def _add_streamlit_fix(path: str, filename: str, newest: Version | None) -> str:
    pin = f"streamlit=={newest}" if newest else "streamlit==X.Y.Z"
    if filename == "uv.lock":
        return f"Add streamlit to the project's dependencies (uv add \"{pin}\") and commit the new {path}."
    if filename == "Pipfile":
        return f"Add streamlit to [packages] (pipenv install \"{pin}\") and commit {path}."
    if filename == "pyproject.toml":
        return f"Add streamlit to [tool.poetry.dependencies] (poetry add \"streamlit@{newest}\")."
    if filename == "environment.yml":
        return f"Add {pin} under the pip: section of {path} (or streamlit={newest} under dependencies)."
    return f"Add a pinned streamlit to {path}, e.g. {pin}."


@rule("CP551", "streamlit-unpinned", Severity.NOTE)
def streamlit_unpinned(ctx: RuleContext) -> Iterator[Finding]:
    """streamlit is declared without an upper bound.

    ## Why is this bad?
    With `streamlit` or `streamlit>=1.30`, every deploy, reboot or dependency change installs the newest
    Streamlit release. New releases remove deprecated APIs (see CP552), raise their Python floor and change
    the ranges of their own dependencies, so an app that worked yesterday can fail after a reboot.

    ## Example
    ```text
    streamlit>=1.30
    ```

    ## Fix
    Pin the version you test with (`streamlit==1.50.0`) or allow only patch releases (`streamlit~=1.50.0`).

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/manage-your-app
    - https://docs.streamlit.io/deploy/community-cloud/manage-your-app/upgrade-streamlit
    """
    for app in ctx.apps:
        req = effective(app).requirement
        if not app.exists or req is None or not req.is_runtime or _has_upper_bound(req):
            continue
        what = f"streamlit{req.specifier}" if req.specifier else "streamlit"
        newest = _newest()
        if newest is None or effective(app).version is None:
            continue  # nothing matches: CP555
        yield ctx.finding(
            f"{what} has no upper bound: every deploy, reboot or dependency change installs the newest release "
            f"(today {newest}), which may remove APIs you use.", req.path, req.line, app=app,
            fix=f"Pin the version you test with, e.g. streamlit=={newest} or streamlit~={_minor(newest)}.0.")


def _minor(version: Version | None) -> str:
    return f"{version.major}.{version.minor}" if version else "1.50"




@dataclass(frozen=True)
class _Pin:
    req: Requirement
    spec: SpecifierSet


def _user_pins(app: App, env: dict[str, str]) -> list[_Pin]:
    """Runtime requirements with a readable specifier whose marker holds on Cloud (streamlit itself excluded)."""
    winner = app.winner
    if winner is None:
        return []
    out = []
    for req in winner.named():
        if req.kind != "name" or req.name in ("streamlit", "streamlit-nightly") or not req.specifier:
            continue
        if not marker_applies(req.marker, env):
            continue
        spec = user_specifier(req)
        if spec is None or any(s.operator == "===" for s in spec) or not compatible(spec, SpecifierSet()):
            continue  # unreadable, arbitrary or unsatisfiable on its own: not a conflict with streamlit
        out.append(_Pin(req, spec))
    return out


def _conflicts(version: Version, pins: list[_Pin], env: dict[str, str], extras: tuple[str, ...]
               ) -> list[tuple[_Pin, StreamlitDep]] | None:
    requires = streamlit_requires(version, env, extras)
    if requires is None:
        return None
    by_name: dict[str, list[StreamlitDep]] = {}
    for dep in requires:
        by_name.setdefault(dep.name, []).append(dep)
    out = []
    for pin in pins:
        for dep in by_name.get(pin.req.name, []):
            if len(dep.spec) and not compatible(pin.spec, dep.spec):
                out.append((pin, dep))
                break
    return out


def _fallback(app: App, pins: list[_Pin], env: dict[str, str], python: str | None) -> Version | None:
    """The newest final release the streamlit specifier allows that fits every pin and the Python."""
    req = effective(app).requirement
    spec = user_specifier(req) if req is not None else None
    extras = _streamlit_extras(app)
    for version in reversed(data.streamlit_versions()):
        if spec is not None and not spec.contains(version, prereleases=False):
            continue
        if not supports_python(version, python):
            continue
        found = _conflicts(version, pins, env, extras)
        if found is not None and not found:
            return version
    return None


@rule("CP554", "streamlit-dependency-conflict", Severity.ERROR)
def streamlit_dependency_conflict(ctx: RuleContext) -> Iterator[Finding]:
    """A pin of one of Streamlit's own dependencies cannot be satisfied together with the Streamlit version.

    Severity: error when streamlit is pinned (the install fails) or when no release the specifier allows fits
    the pin; warning when the resolver can fall back to an older streamlit, or when streamlit is not declared
    (Cloud then installs it afterwards and replaces your pin).

    ## Why is this bad?
    Each Streamlit release requires ranges of protobuf, altair, numpy, pandas, pillow, pyarrow, tenacity,
    packaging, cachetools, click, tornado, watchdog and others. A pin outside the range of the version Cloud
    installs makes the install fail with `ResolutionImpossible` ("streamlit 1.34.0 depends on protobuf<5"),
    or makes the resolver quietly pick a much older Streamlit.

    ## Example
    ```text
    streamlit==1.34.0
    protobuf==5.27.0
    ```

    ## Fix
    Relax the pin to the range the Streamlit version requires (the message names it), or choose a Streamlit
    version whose range includes your pin.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/status-and-limitations
    - https://github.com/streamlit/streamlit/issues/8733
    """
    python = cloud_python(ctx)
    env = linux_environment(python)
    for app in ctx.apps:
        eff = effective(app)
        if not app.exists or app.winner is None or eff.version is None or _guessed(app):
            continue
        pins = _user_pins(app, env)
        if not pins:
            continue
        found = _conflicts(eff.version, pins, env, _streamlit_extras(app))
        if not found:
            continue
        if eff.requirement is None:
            for pin, dep in found:
                yield ctx.finding(
                    f"{pin.req.raw_name}{show_spec(pin.spec)} conflicts with streamlit {eff.version}, "
                    f"which requires {dep.raw}{show_spec(dep.spec)}. {app.winner.path} does not list streamlit, so "
                    f"Community Cloud installs streamlit {eff.version} after your packages and replaces this pin "
                    f"(or the install fails).", pin.req.path, pin.req.line, app=app, severity=Severity.WARNING,
                    fix=f"Add streamlit to {app.winner.path} with a version whose range includes your pin, or "
                        f"relax the pin to {dep.raw}{show_spec(dep.spec)}.")
            continue
        fallback = None if _is_exact(app) else _fallback(app, pins, env, python)
        for pin, dep in found:
            head = (f"{pin.req.raw_name}{show_spec(pin.spec)} conflicts with streamlit {eff.version}, which "
                    f"requires {dep.raw}{show_spec(dep.spec)}")
            fix = (f"Relax the pin to {dep.raw}{show_spec(dep.spec)}, or choose a streamlit version whose range "
                   f"includes it.")
            if _is_exact(app):
                yield ctx.finding(
                    f"{head} ({_how_short(app)}). The install fails with ResolutionImpossible.",
                    pin.req.path, pin.req.line, app=app, fix=fix)
            elif fallback is not None:
                yield ctx.finding(
                    f"{head} ({_how_short(app)}). The resolver falls back to an "
                    f"older streamlit, at most {fallback}, instead of {eff.version}.",
                    pin.req.path, pin.req.line, app=app, severity=Severity.WARNING, fix=fix)
            else:
                yield ctx.finding(
                    f"{head}, and no streamlit release {eff.requirement.path} allows fits this pin. The install "
                    f"fails with ResolutionImpossible.", pin.req.path, pin.req.line, app=app, fix=fix)


@rule("CP555", "streamlit-version-unknown", Severity.ERROR)
def streamlit_version_unknown(ctx: RuleContext) -> Iterator[Finding]:
    """The streamlit pin matches no release on PyPI, or pins a yanked release.

    Severity: warning when the pin is newer than every release in cloud-preflight's table (the table may be
    older than the release) or names a yanked release (pip installs it, with a warning).

    ## Why is this bad?
    `streamlit==1.31.2` or `streamlit>=2` match nothing on PyPI, so the install stops with "No matching
    distribution found for streamlit" and the app never starts. A yanked release was withdrawn by its
    maintainers for a defect.

    ## Example
    ```text
    streamlit==1.31.2
    ```

    ## Fix
    Pin a release that exists (`pip index versions streamlit` lists them).

    ## References
    - https://docs.streamlit.io/develop/quick-reference/release-notes
    - https://docs.streamlit.io/knowledge-base/dependencies/no-matching-distribution
    """
    releases = _rows()
    newest = _newest()
    if not releases or newest is None:
        return
    oldest = min(releases)
    for app in ctx.apps:
        eff = effective(app)
        req = eff.requirement
        if not app.exists or req is None or req.kind not in ("name", "conda"):
            continue
        what = f"streamlit{req.specifier}"
        if eff.version is None and eff.kind == "no-match":
            spec = user_specifier(req)
            if spec is None:
                continue
            beyond = any(spec.contains(v, prereleases=True) for v in _neighbours(str(newest))[1:])
            if beyond:
                yield ctx.finding(
                    f"{what} matches no release up to {newest}, the newest in cloud-preflight's table of "
                    f"{_table_date()}; unless a newer release exists, the install fails with \"No matching "
                    f"distribution found for streamlit\".", req.path, req.line, app=app, severity=Severity.WARNING,
                    fix="Pin a release that exists (pip index versions streamlit lists them).")
            else:
                yield ctx.finding(
                    f"{what} matches no streamlit release; the install fails with \"No matching distribution "
                    f"found for streamlit\".", req.path, req.line, app=app,
                    fix=f"Pin a release that exists, e.g. streamlit=={newest}.")
            continue
        version = eff.version
        if version is None or not _is_exact(app) or version < oldest:
            continue
        row = releases.get(version)
        if row is None:
            if version > newest:
                yield ctx.finding(
                    f"{what} is newer than {newest}, the newest release in cloud-preflight's table of "
                    f"{_table_date()}; if it does not exist, the install fails with \"No matching distribution "
                    f"found for streamlit\".", req.path, req.line, app=app, severity=Severity.WARNING,
                    fix="Check that the version exists (pip index versions streamlit).")
            else:
                near = [v for v in data.streamlit_versions() if (v.major, v.minor) == (version.major, version.minor)]
                hint = f" (releases of {version.major}.{version.minor}: {', '.join(map(str, near))})" if near else ""
                yield ctx.finding(
                    f"There is no streamlit {version}{hint}; the install fails with \"No matching distribution "
                    f"found for streamlit=={version}\".", req.path, req.line, app=app,
                    fix=f"Pin a release that exists, e.g. streamlit=={near[-1] if near else newest}.")
        elif row.get("yanked"):
            reason = row.get("yanked_reason")
            yield ctx.finding(
                f"streamlit {version} was yanked from PyPI"
                + (f" ({reason})" if isinstance(reason, str) and reason else "")
                + "; an exact pin still installs it, with a warning, and the defect it was withdrawn for.",
                req.path, req.line, app=app, severity=Severity.WARNING,
                fix="Pin the next patch release instead.")


@rule("CP556", "streamlit-altair5-old", Severity.ERROR)
def streamlit_altair5_old(ctx: RuleContext) -> Iterator[Finding]:
    """streamlit older than 1.20 without an `altair<5` pin.

    ## Why is this bad?
    Streamlit releases before 1.20.0 require `altair>=3.2.0` with no cap, so Altair 5 gets installed, but they
    import `altair.vegalite.v4`, which Altair 5 removed: the app fails with
    `ModuleNotFoundError: No module named 'altair.vegalite.v4'`. The Community Cloud docs say that if you pin
    `streamlit<1.20.0` you must also pin `altair<5` (a workaround on Cloud force-installs it and may change
    Altair's own dependencies behind your back).

    ## Example
    ```text
    streamlit==1.15.2
    pandas==1.5.3
    ```

    ## Fix
    Add `altair<5`, or upgrade streamlit to 1.23.0 or later (the first release that supports Altair 5).

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/status-and-limitations
    - https://discuss.streamlit.io/t/modulenotfounderror-no-module-named-altair-vegalite-v4/42921
    """
    limit = Version("1.20.0")
    five = SpecifierSet(">=5")
    env = linux_environment(cloud_python(ctx))
    for app in ctx.apps:
        eff = effective(app)
        winner = app.winner
        if not app.exists or winner is None or eff.version is None or eff.version >= limit:
            continue
        altair = [r for r in winner.named() if r.name == "altair" and marker_applies(r.marker, env)]
        allows_five = True
        for req in altair:
            spec = user_specifier(req)
            if spec is not None and not compatible(spec, five):
                allows_five = False
        if not allows_five:
            continue
        where = eff.requirement
        if altair:
            first = altair[0]
            message = (f"{first.text.strip()} allows Altair 5, but streamlit {eff.version} ({_how_short(app)}) imports "
                       f"altair.vegalite.v4: the app fails with \"ModuleNotFoundError: No module named "
                       f"'altair.vegalite.v4'\".")
            path, line = first.path, first.line
        else:
            message = (f"streamlit {eff.version} ({_how_short(app)}) does not cap Altair: Altair 5 is installed "
                       f"and the app fails with \"ModuleNotFoundError: No module named 'altair.vegalite.v4'\".")
            path, line = (where.path, where.line) if where else (winner.path, None)
        yield ctx.finding(message, path, line, app=app,
                          fix="Add altair<5 to the dependency file, or upgrade to streamlit>=1.23.0.")


@rule("CP557", "streamlit-python-unsupported", Severity.WARNING)
def streamlit_python_unsupported(ctx: RuleContext) -> Iterator[Finding]:
    """The Streamlit version does not support the Python version the app runs on.

    Severity: error when the release's Requires-Python excludes that Python (the install fails); warning when
    the release predates Streamlit's support for that Python and caps numpy, pandas, pillow or pyarrow below
    their first release with wheels for it. An older release whose caps allow such wheels usually installs
    and is not reported.

    ## Why is this bad?
    Community Cloud runs new apps on its default Python (3.12 per the docs; newer in recent build logs) unless
    another is chosen in the deploy dialog. Streamlit added Python 3.12 in 1.29.0, 3.13 in 1.41.0 and 3.14 in
    1.52.0; older releases cap numpy or pyarrow at versions with no wheels for the newer Python, so the
    install tries to compile them and fails. Newer releases drop old Pythons (1.51.0 requires 3.10 or later):
    pinning one on an older Python fails with "requires a different Python".

    ## Example
    ```text
    streamlit==1.28.0
    ```
    deployed with Python 3.13.

    ## Fix
    Upgrade streamlit to a release that supports the Python, or choose a matching Python in the deploy
    dialog ("Advanced settings"; set `python-version` in the cloud-preflight config to match).

    ## References
    - https://docs.streamlit.io/develop/quick-references/release-notes
    - https://docs.streamlit.io/deploy/community-cloud/manage-your-app/upgrade-python
    """
    python = cloud_python(ctx)
    if not python:
        return
    for app in ctx.apps:
        eff = effective(app)
        req = eff.requirement
        if not app.exists or eff.version is None or req is None:
            continue
        version = eff.version
        if not supports_python(version, python):
            if _is_exact(app):
                row = _rows().get(version) or {}
                yield ctx.finding(
                    f"streamlit {version} requires Python {row.get('requires_python')}, but the app runs on "
                    f"{_python_origin(ctx)}; the install fails with \"requires a different Python\".",
                    req.path, req.line, app=app, severity=Severity.ERROR,
                    fix="Pin a streamlit release that supports the Python, or choose a newer Python in the deploy "
                        "dialog (Advanced settings).")
            elif _fallback(app, [], linux_environment(python), python) is None:
                yield ctx.finding(
                    f"No streamlit release allowed by {req.specifier} supports {_python_origin(ctx)}; the install "
                    f"fails with \"requires a different Python\".", req.path, req.line, app=app,
                    severity=Severity.ERROR,
                    fix="Widen the streamlit specifier, or choose another Python in the deploy dialog.")
            continue
        if python not in PYTHON_SUPPORT_SINCE or version not in _rows():
            continue
        since = Version(PYTHON_SUPPORT_SINCE[python])
        if version >= since:
            continue
        # Judged by what the release's caps let pip pick: a binary dependency capped below its first release
        # with wheels for this Python has to be built from source, which fails on Cloud.
        blocked = _no_wheel_caps(version, python)
        if not blocked:
            continue
        caps = " and ".join(f"{d.raw}{show_spec(d.spec)} ({d.raw} has wheels for Python {python} only from {first})"
                            for d, first in blocked)
        names = " and ".join(d.raw for d, _ in blocked)
        yield ctx.finding(
            f"streamlit {version} requires {caps}; the app runs on {_python_origin(ctx)}, so the install tries to "
            f"build {names} from source and is expected to fail (Streamlit supports Python {python} from {since}).",
            req.path, req.line, app=app,
            fix=f"Upgrade to streamlit>={since}, or choose the Python you tested with in the deploy dialog "
                f"(Advanced settings).")


@cache
def _no_wheel_caps(version: Version, python: str) -> list[tuple[StreamlitDep, str]]:
    requires = streamlit_requires(version, linux_environment(python)) or []
    out = []
    for dep in requires:
        first = WHEELS_SINCE.get(dep.name, {}).get(python)
        if first and len(dep.spec) and not compatible(dep.spec, SpecifierSet(f">={first}")):
            out.append((dep, first))
    return out


# --------------------------------------------------------------------------------------------- code scanning


@dataclass(frozen=True)
class Use:
    """One reference to a Streamlit name in app code.

    ``api`` is the dotted name below ``streamlit`` (``experimental_rerun``, ``sidebar.image``,
    ``components.v1.html``); for a method called on something that is not the module (a column, a chart),
    ``api`` is ``.name``. ``call`` is the call when the reference is called; ``guarded`` when the code checks
    for the name first (``hasattr(st, ...)``, a version test, ``try/except AttributeError``).
    """

    path: str
    line: int
    column: int
    api: str
    call: ast.Call | None
    guarded: bool
    imported: bool = False  # ``from streamlit import name``


_GUARD_EXCEPTIONS = ("AttributeError", "ImportError", "ModuleNotFoundError", "Exception", "BaseException",
                     "TypeError", "StreamlitAPIException")


class _Scanner(FastVisitor):
    def __init__(self, path: str, source: SourceLines | None = None):
        self.path = path
        self.source = source or SourceLines(None)
        self.aliases: dict[str, str] = {}  # local name -> dotted name below streamlit ("" = the module)
        self.uses: list[Use] = []
        self.assigned: set[str] = set()  # APIs the code assigns (st.experimental_rerun = st.rerun)
        self.guard = 0

    # ---- aliases
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name == "streamlit" or alias.name.startswith("streamlit."):
                if alias.name.startswith("streamlit."):
                    self.uses.append(Use(self.path, node.lineno, self._start(node), alias.name[len("streamlit."):],
                                         None, self.guard > 0, imported=True))
                if alias.asname:
                    self.aliases[alias.asname] = alias.name[len("streamlit."):] if "." in alias.name else ""
                else:
                    self.aliases["streamlit"] = ""

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level or not (module == "streamlit" or module.startswith("streamlit.")):
            return
        base = module[len("streamlit."):] if "." in module else ""
        for alias in node.names:
            if alias.name == "*":
                continue
            api = f"{base}.{alias.name}" if base else alias.name
            self.aliases[alias.asname or alias.name] = api
            self.uses.append(Use(self.path, node.lineno, self._start(node), api, None, self.guard > 0, imported=True))

    # ---- guards
    def visit_If(self, node: ast.If) -> None:
        self.visit(node.test)
        guarded = self._is_feature_test(node.test)
        self.guard += guarded
        for stmt in (*node.body, *node.orelse):
            self.visit(stmt)
        self.guard -= guarded

    def visit_IfExp(self, node: ast.IfExp) -> None:
        guarded = self._is_feature_test(node.test)
        self.visit(node.test)
        self.guard += guarded
        self.visit(node.body)
        self.visit(node.orelse)
        self.guard -= guarded

    def visit_Try(self, node: ast.Try) -> None:
        guarded = any(_catches(h.type) for h in node.handlers)
        self.guard += guarded
        for stmt in node.body:
            self.visit(stmt)
        self.guard -= guarded
        for handler in node.handlers:  # the fallback for older (or newer) Streamlit releases
            fallback = _catches(handler.type)
            self.guard += fallback
            self.visit(handler)
            self.guard -= fallback
        for part in (*node.orelse, *node.finalbody):
            self.visit(part)

    visit_TryStar = visit_Try

    def _is_feature_test(self, test: ast.expr) -> bool:
        for sub in ast.walk(test):
            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id in ("hasattr", "getattr"):
                return True
            if isinstance(sub, ast.Attribute) and "version" in sub.attr.lower():
                return True
            if isinstance(sub, ast.Name) and "version" in sub.id.lower():
                return True
        return False

    # ---- references
    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            dotted = self._dotted(target) if isinstance(target, ast.Attribute) else None
            if dotted is not None:
                self.assigned.add(dotted)
        self.visit(node.value)
        for target in node.targets:
            if not isinstance(target, ast.Attribute):
                self.visit(target)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):
            dotted = self._dotted(func)
            if dotted is not None:
                self._use(func, dotted, node)
                self.visit(_root(func))
            else:
                self.uses.append(Use(self.path, func.end_lineno or node.lineno, self._col(func), f".{func.attr}", node,
                                     self.guard > 0))
                self.visit(func.value)
        elif isinstance(func, ast.Name) and func.id in self.aliases:
            pass  # a from-imported name: reported at its import
        else:
            self.visit(func)
        for arg in (*node.args, *node.keywords):
            self.visit(arg)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        dotted = self._dotted(node)
        if dotted is not None:
            self._use(node, dotted, None)
            return
        self.generic_visit(node)

    def _use(self, node: ast.Attribute, dotted: str, call: ast.Call | None) -> None:
        self.uses.append(Use(self.path, node.end_lineno or node.lineno, self._col(node), dotted, call, self.guard > 0))

    def _start(self, node: ast.stmt) -> int:
        return self.source.char_column(node.lineno, node.col_offset + 1)

    def _col(self, node: ast.Attribute) -> int:
        """1-based character column of the attribute name in ``x.name`` (the character after the dot)."""
        line = node.end_lineno or node.lineno
        if node.end_col_offset is None:
            return self.source.char_column(line, node.col_offset + 1)
        return self.source.char_column(line, self.source.name_start(line, node.end_col_offset, node.attr))

    def _dotted(self, node: ast.expr) -> str | None:
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id not in self.aliases or not parts:
            return None
        base = self.aliases[node.id]
        return ".".join(p for p in (base, *reversed(parts)) if p)


def _root(node: ast.expr) -> ast.expr:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node


def _catches(expr: ast.expr | None) -> bool:
    if expr is None:
        return True
    items = expr.elts if isinstance(expr, ast.Tuple) else [expr]
    for item in items:
        name = item.id if isinstance(item, ast.Name) else item.attr if isinstance(item, ast.Attribute) else ""
        if name in _GUARD_EXCEPTIONS:
            return True
    return False


@dataclass
class ModuleScan:
    """What one module does with Streamlit, reduced to what the rules report (a fact of the module)."""

    path: str
    imports_streamlit: bool
    assigned: frozenset[str]  # APIs the code assigns (st.experimental_rerun = st.rerun)
    features: list[tuple[_Feature, Use]]  # the first unguarded use of each optional feature
    hits: list[tuple[int, str, Use, int]]  # (api_table() index, as shown, first unguarded use, uses)


def scan_tree(path: str, tree: ast.Module, data: bytes | None = None) -> _Scanner:
    """Every Streamlit reference in a module's tree (``.uses``), its aliases and assigned APIs; columns count
    characters when ``data``, the module's bytes, is given."""
    source = SourceLines(data)
    scanner = _Scanner(path, source)
    # Aliases first (an import may follow its first use inside a function), then references.
    for node in statements(tree):
        if isinstance(node, ast.Import):
            scanner.visit_Import(node)
        elif isinstance(node, ast.ImportFrom):
            scanner.visit_ImportFrom(node)
    scanner.uses.clear()
    scanner.visit(tree)
    return scanner


@extractor("streamlit")
def _extract_streamlit(path: str, tree: ast.Module, data: bytes) -> tuple | None:
    if not may_mention(data, b"streamlit"):
        return None
    scanner = scan_tree(path, tree, data)
    imports_streamlit = bool(scanner.aliases)

    def row(use: Use) -> tuple:
        return (use.line, use.column, use.api, use.guarded, use.imported)

    features: list[tuple[int, tuple]] = []
    seen: set[str] = set()
    for use in scanner.uses:
        feature = _feature_of(use, imports_streamlit)
        if feature is None or feature.dist in seen or use.guarded:
            continue
        seen.add(feature.dist)
        features.append((_FEATURES.index(feature), row(use)))
    # Byte-level prefilter: only the entries whose names the source mentions can match.
    active = [(index, entry) for index, (entry, words) in enumerate(_trigger_table())
              if not words or may_mention(data, *words)]
    found: dict[tuple[int, str], list[Use]] = {}
    if active:
        for use in scanner.uses:
            if use.guarded:
                continue
            for index, entry in active:
                shown = _matches(entry, use)
                if shown is not None:
                    found.setdefault((index, shown), []).append(use)
    hits = [(index, shown, row(min(uses, key=lambda u: (u.line, u.column))), len(uses))
            for (index, shown), uses in found.items()]
    return imports_streamlit, sorted(scanner.assigned), features, hits


_NO_NAMES: frozenset[str] = frozenset()
_NONE: list = []  # shared by the many modules without features or hits; never appended to


def scan_module(ctx: RuleContext, path: str) -> ModuleScan | None:
    """Streamlit references in one module (cached per project)."""
    cache: dict[str, ModuleScan | None] = ctx.project.__dict__.setdefault("_streamlit_scan_cache", {})
    if path not in cache:
        fact = ctx.project.fact(path, "streamlit")
        result = None
        if fact is not None:
            imports_streamlit, assigned, features, hits = fact

            def use(row: tuple) -> Use:
                line, column, api, guarded, imported = row
                return Use(path, line, column, api, None, guarded, imported)

            result = ModuleScan(path, imports_streamlit, frozenset(assigned) if assigned else _NO_NAMES,
                                [(_FEATURES[index], use(r)) for index, r in features] if features else _NONE,
                                [(index, shown, use(r), count) for index, shown, r, count in hits] if hits else _NONE)
        cache[path] = result
    return cache[path]


def app_scans(ctx: RuleContext, app: App) -> list[ModuleScan]:
    out = []
    for module in app.modules:
        scan = scan_module(ctx, module.path)
        if scan is not None and scan.imports_streamlit:
            out.append(scan)
    return out


# --------------------------------------------------------------------------------------------- optional features

# Declared packages that bring in a feature's package as one of their own requirements, and extras that do.
# Heuristic lists (checked against the packages' Requires-Dist): being generous here only hides findings.
_BRINGS_MATPLOTLIB = frozenset({
    "seaborn", "mplfinance", "plotnine", "wordcloud", "ydata-profiling", "pandas-profiling", "missingno",
    "lifelines", "yellowbrick", "scikit-plot", "matplotlib-venn", "squarify", "pywaffle", "joypy", "upsetplot",
    "mplsoccer", "cartopy", "basemap", "scanpy", "arviz", "pymc", "pymc3", "mne", "prophet", "fbprophet",
    "neuralprophet", "pycaret", "autoviz", "sweetviz", "ultralytics", "supervision", "mediapipe", "imgaug",
    "pyvista", "quantstats", "pyfolio", "pyfolio-reloaded", "mplcursors", "plotly-resampler", "matplotlib-base",
    "matplotlib-inline", "pandasai", "geoplot", "contextily", "pyldavis", "dtale", "librosa-display",
    "yolov5", "detectron2", "easyocr", "torchmetrics", "pytorch-lightning", "kmodes", "pmdarima", "skimage",
})
_BRINGS_PLOTLY = frozenset({
    "plotly-express", "dash", "cufflinks", "neuralprophet", "pycaret", "vizro", "jupyter-dash",
    "streamlit-plotly-events", "plotly-resampler", "evidently", "explainerdashboard", "bertopic", "chart-studio",
    "autoviz", "pandasai", "optuna-dashboard", "dtale", "yellowbrick", "ydata-profiling",
})
_BRINGS_SQLALCHEMY = frozenset({
    "flask-sqlalchemy", "sqlmodel", "alembic", "databases", "dataset", "records", "langchain", "langchain-community",
    "langchain-experimental", "llama-index", "llama-index-core", "pandasai", "mlflow", "optuna", "prefect",
    "great-expectations", "jupysql", "ipython-sql", "duckdb-engine", "sqlalchemy-utils", "snowflake-sqlalchemy",
    "sqlalchemy-bigquery", "pybigquery", "sqlalchemy-redshift", "clickhouse-sqlalchemy", "vanna", "embedchain",
    "crewai", "apache-superset", "pyathena", "teradatasqlalchemy", "ibm-db-sa", "sqlalchemy-hana",
    "databricks-sqlalchemy", "sqlalchemy-trino", "oracledb-sqlalchemy", "pandas-gbq",
})


@dataclass(frozen=True)
class _Feature:
    api: str  # as shown in messages
    dist: str  # the distribution it needs (as written on PyPI)
    module: str  # its import name
    extras: tuple[str, ...]  # streamlit extras that install it
    brings: frozenset[str]
    hint_extras: tuple[str, ...]  # extras of any package that likely install it
    error: str = ""  # what the user sees (default: ModuleNotFoundError)


_AUTH = _Feature("st.login", "Authlib", "authlib", ("auth", "all"), frozenset(), (),
                 "StreamlitMissingAuthlibError: Authentication requires Authlib>=1.3.2")
_SQL = _Feature("st.connection(\"sql\")", "SQLAlchemy", "sqlalchemy", ("sql", "all"), _BRINGS_SQLALCHEMY,
                ("sql", "sqlalchemy", "postgresql", "mysql", "all"))
_PYPLOT = _Feature("st.pyplot", "matplotlib", "matplotlib", ("charts", "all"), _BRINGS_MATPLOTLIB,
                   ("plot", "plots", "plotting", "matplotlib", "viz", "visualization", "all", "full", "charts"))
_PLOTLY = _Feature("st.plotly_chart", "plotly", "plotly", ("charts", "all"), _BRINGS_PLOTLY,
                   ("plotly", "plot", "plots", "plotting", "viz", "visualization", "all", "full", "charts"))
_FEATURES = (_AUTH, _SQL, _PYPLOT, _PLOTLY)


def _feature_of(use: Use, imports_streamlit: bool) -> _Feature | None:
    if use.api == "login":  # also st.button(..., on_click=st.login)
        return _AUTH
    call = use.call
    if call is None:
        return None
    name = use.api.rsplit(".", 1)[-1]
    if use.api == "connection":
        first = call.args[0] if call.args else None
        kind = next((k.value for k in call.keywords if k.arg == "type"), None)
        if kind is None and isinstance(first, ast.Constant) and first.value == "sql":
            return _SQL
        if isinstance(kind, ast.Constant) and kind.value == "sql":
            return _SQL
        if isinstance(kind, (ast.Name, ast.Attribute)):
            text = kind.id if isinstance(kind, ast.Name) else kind.attr
            if text == "SQLConnection":
                return _SQL
        return None
    if name == "pyplot" and (not use.api.startswith(".") or imports_streamlit):
        return _PYPLOT
    if name == "plotly_chart":
        return _PLOTLY
    return None


def _installed_by_file(app: App, feature: _Feature) -> bool:
    winner = app.winner
    if winner is None:
        return False
    wanted = canonicalize_name(feature.dist)
    if winner.filename == "uv.lock":
        return any(r.name == wanted for r in winner.requirements)  # the lock lists every installed package
    for req in winner.named():
        if req.name == wanted or req.name in feature.brings or req.name.startswith(f"{wanted}-"):
            return True
        if req.name in ("streamlit", "streamlit-nightly") and any(
                e in feature.extras and provides_extra(effective(app).version, e) for e in req.extras):
            return True
        if feature is _PLOTLY and req.name.startswith(("dash-", "plotly")):
            return True
        if feature is _SQL and "sqlalchemy" in req.name:
            return True
        if set(req.extras) & set(feature.hint_extras):
            return True
        if req.kind in ("url", "path", "editable") and not req.name:
            continue
    # Streamlit itself required it in some old releases.
    version = effective(app).version
    requires = streamlit_requires(version, linux_environment(None)) if version else None
    return bool(requires) and any(dep.name == wanted for dep in requires)


def _imports_module(ctx: RuleContext, app: App, module: str) -> bool:
    from preflight.imports import imports_of

    for local in app.modules:
        root = "" if local.root_only else app.dir
        if any(ref.top == module for ref in imports_of(ctx.project, local.path, root)):
            return True
    return False


@rule("CP558", "streamlit-optional-dependency", Severity.ERROR)
def streamlit_optional_dependency(ctx: RuleContext) -> Iterator[Finding]:
    """A Streamlit feature the app uses needs a package that the dependency file does not install.

    ## Why is this bad?
    Some Streamlit commands import an optional package when they run: `st.login` needs Authlib (the
    `streamlit[auth]` extra), `st.connection("sql")` needs SQLAlchemy, `st.pyplot` needs matplotlib and
    `st.plotly_chart` needs plotly. Streamlit does not install them, so on Community Cloud the app fails at
    that call with `ModuleNotFoundError` (or "To use authentication you must install Authlib").

    Calls are reported only when the app does not import the package itself (then the import rules report
    it) and the file declares no package known to bring it in.

    ## Example
    ```python
    import streamlit as st
    if not st.user.is_logged_in:
        st.login("google")
    ```
    with `requirements.txt` containing only `streamlit==1.50.0`.

    ## Fix
    Add the package (`Authlib>=1.3.2`, `SQLAlchemy`, `matplotlib`, `plotly`) or the extra
    (`streamlit[auth]==1.50.0`) to the dependency file Cloud uses.

    ## References
    - https://docs.streamlit.io/develop/concepts/connections/authentication
    - https://docs.streamlit.io/develop/api-reference/connections/st.connections.sqlconnection
    - https://docs.streamlit.io/develop/api-reference/charts/st.pyplot
    """
    for app in ctx.apps:
        if not app.exists:
            continue
        reported: set[str] = set()
        for scan in app_scans(ctx, app):
            for feature, use in scan.features:
                if feature.dist in reported:
                    continue
                if _installed_by_file(app, feature) or _imports_module(ctx, app, feature.module):
                    continue
                reported.add(feature.dist)
                where = app.winner.path if app.winner else None
                extra = next((e for e in feature.extras if e != "all" and provides_extra(effective(app).version, e)),
                             None)
                fix = f"Add {feature.dist} to {where or 'a requirements.txt'}" + (
                    f" (or use streamlit[{extra}])" if extra else "") + "."
                missing = f"which is not in {where}" if where else "and there is no dependency file"
                st_req = effective(app).requirement
                unknown_extra = next((e for e in (st_req.extras if st_req else ()) if e in feature.extras), None)
                if unknown_extra:
                    missing += (f" (streamlit {effective(app).version} has no [{unknown_extra}] extra, so "
                                f"streamlit[{unknown_extra}] installs nothing more)")
                error = feature.error or f"ModuleNotFoundError: No module named '{feature.module}'"
                yield ctx.finding(
                    f"{feature.api} needs {feature.dist}, {missing}; on Community Cloud the call fails with "
                    f"\"{error}\".",
                    use.path, use.line, use.column, app=app, fix=fix)


# --------------------------------------------------------------------------------------------- removed APIs


@dataclass(frozen=True)
class ApiEntry:
    """One row of ``streamlit_api.toml``."""

    name: str
    kind: str
    prefix: bool = False
    module: str = ""
    functions: tuple[str, ...] = ()
    deprecated: Version | None = None
    removed: Version | None = None
    name_removed: Version | None = None
    reintroduced: Version | None = None
    replacement: str = ""
    class_name: str = ""


def _version_or_none(value: Any) -> Version | None:
    if not isinstance(value, str):
        return None
    try:
        return Version(value)
    except InvalidVersion:
        return None


@cache
def api_table() -> tuple[ApiEntry, ...]:
    rows = data.toml("streamlit_api.toml").get("api")
    out = []
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict) or not isinstance(row.get("name"), str) or not isinstance(row.get("kind"), str):
            continue
        functions = row.get("functions")
        out.append(ApiEntry(
            name=row["name"], kind=row["kind"], prefix=row.get("prefix") is True,
            module=row["module"] if isinstance(row.get("module"), str) else "",
            functions=tuple(f for f in functions if isinstance(f, str)) if isinstance(functions, list) else (),
            deprecated=_version_or_none(row.get("deprecated")), removed=_version_or_none(row.get("removed")),
            name_removed=_version_or_none(row.get("name-removed")),
            reintroduced=_version_or_none(row.get("reintroduced")),
            replacement=row["replacement"] if isinstance(row.get("replacement"), str) else "",
            class_name=row["class-name"] if isinstance(row.get("class-name"), str) else "",
        ))
    return tuple(out)


# Keyword arguments each function accepts, for "**kwargs" rows (any other keyword is what was removed).
# Only functions whose whole signature is known are judged. TODO(data): move into streamlit_api.toml.
_ACCEPTED_KWARGS = {"write": frozenset({"unsafe_allow_html"})}
# Files a string argument to st.html / st.iframe may name.
_FILE_SUFFIXES = (".html", ".htm", ".css", ".js", ".svg", ".txt", ".md")


def _called_function(api: str) -> str:
    """"image" for st.image, st.sidebar.image or col.image; the module path otherwise."""
    if api.startswith("."):
        return api[1:]
    head, _, last = api.rpartition(".")
    return last if head in ("", "sidebar") else api


def _matches(entry: ApiEntry, use: Use) -> str | None:
    """How the use is shown in a message when it uses ``entry``, else None."""
    api = use.api
    if entry.kind == "function":
        full = (entry.module[len("streamlit."):] + "." + entry.name.rsplit(".", 1)[-1]) if entry.module else entry.name
        if entry.module:
            hit = api == full or api.startswith(full + ".")
            return f"st.{full}" if hit else None
        if entry.prefix:
            if api.startswith("."):
                hit = use.call is not None and api[1:].startswith(entry.name)
                return f".{api[1:]}()" if hit else None
            parts = api.split(".")
            name = parts[1] if parts[0] == "sidebar" and len(parts) > 1 else parts[0]
            return f"st.{name}" if name.startswith(entry.name) else None
        if api == entry.name or api.startswith(entry.name + ".") or api == f"sidebar.{entry.name}":
            return f"st.{entry.name}"
        if api == f".{entry.name}" and use.call is not None and entry.name.startswith(("experimental_", "beta_")) \
                or api == f".{entry.name}" and use.call is not None and entry.name.endswith("_chart"):
            return f".{entry.name}()"
        return None
    if entry.kind == "kwarg":
        call = use.call
        if call is None or _called_function(api) not in entry.functions:
            return None
        function = _called_function(api)
        if entry.name == "**kwargs":
            accepted = _ACCEPTED_KWARGS.get(function)
            if accepted is None or api.startswith("."):  # zipfile.write(arcname=...) is not st.write
                return None
            extra = next((k.arg for k in call.keywords if k.arg is not None and k.arg not in accepted), None)
            return f"st.{function}({extra}=...)" if extra else None
        if any(k.arg == entry.name for k in call.keywords):
            return f"st.{function}({entry.name}=...)"
        return None
    if entry.kind == "method":
        if api == f".{entry.name}" and use.call is not None:
            return f".{entry.name}()"
        return None
    if entry.kind == "import":
        full = f"{entry.module[len('streamlit.'):]}.{entry.name}" if entry.module.startswith("streamlit.") else ""
        if full and (api == full or api.startswith(full + ".")):
            return f"{entry.module}.{entry.name}"
        return None
    if entry.kind == "connection-type":
        if entry.class_name and entry.module.startswith("streamlit.") and \
                api == f"{entry.module[len('streamlit.'):]}.{entry.class_name}":
            return f"{entry.module}.{entry.class_name}"
        call = use.call
        if api != "connection" or call is None:
            return None
        kind = next((k.value for k in call.keywords if k.arg == "type"), None)
        first = call.args[0] if call.args else None
        if isinstance(kind, ast.Constant) and kind.value == entry.name or kind is None and \
                isinstance(first, ast.Constant) and first.value == entry.name:
            return f"st.connection(type=\"{entry.name}\")"
        if isinstance(kind, (ast.Name, ast.Attribute)) and \
                (kind.id if isinstance(kind, ast.Name) else kind.attr) == entry.class_name:
            return f"st.connection(type={entry.class_name})"
        return None
    if entry.kind == "argument" and entry.name == "string file path":
        call = use.call
        if call is None or not call.args or _called_function(api) not in entry.functions or api.startswith("."):
            return None
        first = call.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str) and "<" not in first.value \
                and first.value.strip().lower().endswith(_FILE_SUFFIXES):
            return f"st.{_called_function(api)}(\"{first.value.strip()}\")"
        return None
    return None


@dataclass(frozen=True)
class _ApiHit:
    entry: ApiEntry
    shown: str
    use: Use
    count: int


def _triggers(entry: ApiEntry) -> tuple[bytes, ...]:
    """Identifiers that must appear in a module's source for ``_matches`` to accept any use of ``entry``
    (uses come from that source's AST, so the attribute, keyword or module names are in its text)."""
    words = {entry.name.split(".")[0]} if entry.kind in ("function", "method", "import") else set()
    if entry.kind == "connection-type":
        words |= {"connection", entry.class_name}
    if entry.module.startswith("streamlit."):
        words.add(entry.module[len("streamlit."):].split(".")[0] or entry.name)
    words |= {f.split(".")[0].lstrip(".") for f in entry.functions}
    if entry.kind == "kwarg" and entry.name != "**kwargs":
        words = {entry.name}  # the keyword itself must be written
    return tuple(w.encode() for w in words if w)


def _api_hits(ctx: RuleContext, app: App) -> list[_ApiHit]:
    """First unguarded use of each table entry per file, with how many uses the file has (cached per app:
    CP552 and CP553 both read it)."""
    cache: dict[str, list[_ApiHit]] = ctx.project.__dict__.setdefault("_api_hits_cache", {})
    if app.entrypoint not in cache:
        cache[app.entrypoint] = _compute_api_hits(ctx, app)
    return cache[app.entrypoint]


def _compute_api_hits(ctx: RuleContext, app: App) -> list[_ApiHit]:
    scans = app_scans(ctx, app)
    shims = set().union(*(s.assigned for s in scans)) if scans else set()
    table = api_table()
    return [_ApiHit(table[index], shown, use, count) for scan in scans for index, shown, use, count in scan.hits
            if table[index].name not in shims]


@cache
def _trigger_table() -> tuple[tuple[ApiEntry, tuple[bytes, ...]], ...]:
    return tuple((entry, _triggers(entry)) for entry in api_table())


def _times(count: int) -> str:
    return "" if count == 1 else f" (used {count} times in this file; first here)"


_VERBS = ("remove", "re-render", "pass", "move", "use", "replace", "install", "keep")


def _advice(entry: ApiEntry) -> str:
    """The replacement as a sentence without its final period: "Use st.rerun", "Re-render the element ..."."""
    text = entry.replacement.strip().rstrip(".")
    if not text:
        return "Remove it"
    if text.split(" ", 1)[0].lower() in _VERBS:
        return text[0].upper() + text[1:]
    return f"Use {text}"


@rule("CP552", "streamlit-removed-api", Severity.ERROR)
def streamlit_removed_api(ctx: RuleContext) -> Iterator[Finding]:
    """The app uses a Streamlit API that the Streamlit version Cloud installs has removed.

    ## Why is this bad?
    Streamlit removes deprecated APIs: `st.experimental_rerun`, `st.experimental_memo` and
    `st.experimental_singleton` are gone since 1.37.0, `st.beta_columns` since 1.23.0,
    `st.experimental_get_query_params` since 1.54.0, `st.image(use_column_width=...)` raised TypeError from
    1.61.0. The app then fails with `AttributeError: module 'streamlit' has no attribute ...` or `TypeError`.
    When streamlit is not pinned, the next deploy or reboot installs the newest release, so an app that runs
    today breaks without a code change.

    Calls guarded by `hasattr(st, ...)`, a version test or `try/except AttributeError`, and names the app
    assigns itself (`st.experimental_rerun = st.rerun`), are not reported.

    ## Example
    ```python
    import streamlit as st
    if st.button("Reset"):
        st.experimental_rerun()
    ```
    with `streamlit>=1.30` in `requirements.txt`.

    ## Fix
    Use the replacement the message names (`st.rerun`, `st.cache_data`, `st.query_params`, ...), or pin
    streamlit below the release that removed it until you migrate.

    ## References
    - https://docs.streamlit.io/develop/quick-references/release-notes
    - https://docs.streamlit.io/develop/api-reference
    """
    for app in ctx.apps:
        version = effective(app).version
        if not app.exists or version is None or _guessed(app):
            continue
        for hit in _api_hits(ctx, app):
            entry = hit.entry
            if entry.removed is None or version < entry.removed:
                continue
            if entry.reintroduced is not None and version >= entry.reintroduced:
                continue  # accepted again (ignored): reported by CP553
            advice = _advice(entry)
            yield ctx.finding(
                f"{hit.shown} was removed in Streamlit {entry.removed}; {resolution(app)}. {advice}."
                + _times(hit.count), hit.use.path, hit.use.line, hit.use.column, app=app,
                fix=advice + ("." if _is_exact(app) else f"; or pin streamlit<{entry.removed} until you migrate."))


@rule("CP553", "streamlit-deprecated-api", Severity.WARNING)
def streamlit_deprecated_api(ctx: RuleContext) -> Iterator[Finding]:
    """The app uses a Streamlit API that is deprecated in the Streamlit version Cloud installs.

    ## Why is this bad?
    A deprecated API still works but logs a deprecation warning, and a later release removes it (see CP552):
    with an unpinned streamlit, that release arrives on the next reboot. Examples: `use_container_width=`
    (deprecated in 1.49-1.51, replaced by `width=`), `st.components.v1.html` (1.56.0, replaced by `st.html`),
    `st.experimental_get_query_params` before 1.54.0. A keyword that was removed and later accepted again is
    silently ignored.

    ## Example
    ```python
    st.dataframe(df, use_container_width=True)
    ```
    with `streamlit==1.50.0`.

    ## Fix
    Move to the replacement the message names before upgrading streamlit.

    ## References
    - https://docs.streamlit.io/develop/quick-references/release-notes
    - https://docs.streamlit.io/develop/api-reference
    """
    for app in ctx.apps:
        version = effective(app).version
        if not app.exists or version is None or _guessed(app):
            continue
        for hit in _api_hits(ctx, app):
            entry = hit.entry
            advice = _advice(entry)
            use = f" {advice}."
            if entry.removed is not None and entry.reintroduced is not None and version >= entry.reintroduced:
                message = (f"{hit.shown} was removed in Streamlit {entry.removed}; from {entry.reintroduced} it is "
                           f"accepted again but has no effect ({_how_short(app)}: streamlit {version}).{use}")
            elif entry.deprecated is not None and version >= entry.deprecated and \
                    (entry.removed is None or version < entry.removed):
                later = f" and removed in {entry.removed}" if entry.removed else ""
                message = (f"{hit.shown} is deprecated since Streamlit {entry.deprecated}{later}; streamlit {version} "
                           f"({_how_short(app)}) still accepts it with a deprecation warning.{use}")
            else:
                continue
            yield ctx.finding(message + _times(hit.count), hit.use.path, hit.use.line, hit.use.column, app=app,
                              fix=f"{advice}.")


RULES = (streamlit_not_declared, streamlit_unpinned, streamlit_removed_api, streamlit_deprecated_api,
         streamlit_dependency_conflict, streamlit_version_unknown,
         streamlit_altair5_old, streamlit_python_unsupported, streamlit_optional_dependency)
