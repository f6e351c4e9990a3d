"""CP36x: the dependency file resolved the way Cloud will install it (``--resolve``; the Action's ``resolve``).

The resolution itself is :mod:`preflight.resolve`: uv, for Cloud's Python on x86-64 Linux, wheels only, nothing
from the repository built or run. These rules only word what it found, each at the line of the requirement it
concerns. They never fire without ``--resolve``.

Where a static rule already decides the same thing it wins, and the resolution rule stays silent at that line:
CP554 (a pin that conflicts with the Streamlit version's own ranges), CP555 (a streamlit version that does not
exist or is yanked), CP557 (a streamlit release that does not support the Python), CP309 (Windows- or
macOS-only packages), CP301/CP302 (standard-library modules and import names listed as packages). The static
rules work offline from dated tables; the resolution covers every other package, and the Streamlit releases
newer than those tables.
"""

from __future__ import annotations

from collections.abc import Iterator

from preflight.apps import App
from preflight.model import Finding, Severity
from preflight.resolve import InputLine, Problem, Resolution, resolve_app
from preflight.rules import RuleContext, rule

_STREAMLIT = ("streamlit", "streamlit-nightly")


def _resolutions(ctx: RuleContext) -> Iterator[tuple[App, Resolution]]:
    if not getattr(ctx.config, "resolve", False):
        return
    for app in ctx.apps:
        found = resolve_app(ctx.project, app, ctx.config)
        if found is not None:
            yield app, found


def _static(ctx: RuleContext, *codes: str) -> set[tuple[str, int | None]]:
    """Where the static rules ``codes`` fire in this run (they win over the resolution at those lines)."""
    from checks import RULES_BY_CODE

    cache: dict[str, set[tuple[str, int | None]]] = ctx.project.__dict__.setdefault("_resolve_static", {})
    out: set[tuple[str, int | None]] = set()
    for code in codes:
        if code not in cache:
            current = RULES_BY_CODE.get(code)
            cache[code] = set()
            if current is not None and ctx.config.enabled(code):
                sub = RuleContext(ctx.project, ctx.apps, ctx.config, current)
                try:
                    cache[code] = {(f.location.path, f.location.line) for f in current.func(sub)}
                except Exception:  # noqa: BLE001 - that rule reports its own crash when it runs
                    cache[code] = set()
        out |= cache[code]
    return out


def _shown(line: InputLine | None) -> str:
    """How a requirement is named in a message: as written, without its marker; a lock pin says so."""
    if line is None:
        return "streamlit"
    origin = line.origin
    if line.constraint and origin is not None and origin.path.endswith((".lock", "Pipfile.lock")):
        return f"{origin.raw_name} {origin.specifier.lstrip('=')} (locked in {origin.path})"
    return line.text.split(";", 1)[0].strip()


def _python(ctx: RuleContext, res: Resolution) -> str:
    if res.input.python:
        return f"Python {res.target.python} (the python= of {res.depfile})"
    from preflight.pythons import cloud_python

    python = cloud_python(ctx.config)
    return python.describe if python else f"Python {res.target.python}"


def _platform(res: Resolution) -> str:
    return f"x86-64 Linux ({res.target.platform.split('-', 1)[1]})"


def _where(res: Resolution, problem: Problem) -> tuple[str, int | None, InputLine | None]:
    line = res.line(problem.at, problem.spec if problem.at == problem.package else "")
    if line is None or line.origin is None:
        return res.depfile, None, line
    return line.origin.path, line.origin.line, line


def _newest(problem: Problem, what: str) -> str:
    pinned = problem.spec[2:] if problem.spec.startswith("==") else ""
    if problem.newest and pinned and _older(problem.newest, pinned):
        return (f" No {problem.package} release from {pinned} on has {what}; the newest older one is "
                f"{problem.newest}.")
    if problem.newest:
        return f" The newest {problem.package} with {what} is {problem.newest}."
    if problem.newest == "":
        return f" No {problem.package} release has {what}."
    return ""


def _older(a: str, b: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(a) < Version(b)
    except InvalidVersion:
        return False


def _streamlit_judged(ctx: RuleContext, res: Resolution) -> bool:
    """CP557 already says the app's streamlit release does not fit the Python: what follows from its caps
    (numpy<2 without wheels, conflicts over it) is that finding, not another one."""
    line = res.line("streamlit") or res.line("streamlit-nightly")
    if line is None or line.origin is None:
        return False
    return (line.origin.path, line.origin.line) in _static(ctx, "CP557")


def _involves_streamlit(problem: Problem) -> bool:
    return any(name in _STREAMLIT for name in (problem.at, *problem.involved)) or \
        any(edge[0] in _STREAMLIT for edge in problem.edges)


@rule("CP360", "resolve-no-wheel", Severity.ERROR)
def resolve_no_wheel(ctx: RuleContext) -> Iterator[Finding]:
    """A requirement has no wheel for the Python and platform Cloud installs on.

    Runs with `--resolve` only (the Action's `resolve` input).

    ## Why is this bad?
    Community Cloud installs on Linux x86-64 with the Python chosen in the deploy dialog (new apps get Cloud's
    default, a recent Python). A pin from an older setup, such as `numpy==1.24.4`, `pandas==1.5.3` or
    `Pillow==9.4.0`, has wheels only for the Pythons of its time: on a newer Python the installer falls back to
    the source distribution and compiles it, which fails for compiled packages ("Failed to build numpy",
    "error: metadata-generation-failed") or takes many minutes. A release that requires an older Python
    ("Requires-Python <3.12") cannot be installed at all. Releases with only a source distribution, or with wheels
    only for Windows/macOS next to one, build on Linux by design and are not reported; Windows- and macOS-only
    packages are CP309.

    ## Example
    ```text
    pandas==1.5.3
    ```
    deployed with Python 3.14: pandas 1.5.3 has wheels for CPython 3.8 to 3.11 only.

    ## Fix
    Pin a release that has a wheel for the Python (the message names the newest), or choose the Python you
    tested with in the deploy dialog (Advanced settings) and set `python-version` to match.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/app-dependencies
    - https://docs.astral.sh/uv/reference/cli/#uv-pip-compile
    """
    for app, res in _resolutions(ctx):
        for problem in res.problems:
            if problem.kind not in ("no-wheel", "python"):
                continue
            path, line, at = _where(res, problem)
            if (path, line) in _static(ctx, "CP557", "CP309"):
                continue
            if problem.at != problem.package and _involves_streamlit(problem) and _streamlit_judged(ctx, res):
                continue
            python, platform = _python(ctx, res), _platform(res)
            declared = problem.at == problem.package
            if problem.kind == "python":
                subject = _shown(at) if declared else f"{problem.package}{problem.spec} (needed by {_shown(at)})"
                message = (f"{subject} requires Python {problem.requires_python}, so it cannot be installed on "
                           f"{python}; the install fails with \"No matching distribution found\"."
                           + _newest(problem, f"a release for Python {res.target.python}"))
            else:
                tags = f" ({problem.wheels})" if problem.wheels else ""
                if declared:
                    head = f"{_shown(at)} has no wheel for {python} on {platform}{tags}"
                else:
                    head = (f"{_shown(at)} needs {problem.package}{problem.spec}, and no such {problem.package} "
                            f"release has a wheel for {python} on {platform}{tags}")
                message = (f"{head}: Community Cloud would try to build {problem.package} from source, which fails "
                           f"for compiled packages or takes minutes." + _newest(problem, "such a wheel"))
            if problem.newest and declared:
                fix = (f"Pin {problem.package}=={problem.newest} (or a range that includes it), or choose the Python "
                       f"you tested with in the deploy dialog (Advanced settings).")
            elif problem.newest:
                fix = (f"Upgrade {problem.at or 'the requirement'} to a release that allows {problem.package} "
                       f"{problem.newest}, or choose the Python you tested with in the deploy dialog.")
            else:
                fix = (f"Replace or remove {problem.package}, or choose a Python it has wheels for in the deploy "
                       f"dialog (Advanced settings).")
            yield ctx.finding(message, path, line, app=app, fix=fix)


@rule("CP361", "resolve-version-missing", Severity.ERROR)
def resolve_version_missing(ctx: RuleContext) -> Iterator[Finding]:
    """A requirement names a version or a package the index does not have, or a yanked release.

    Runs with `--resolve` only (the Action's `resolve` input).

    Severity: error when nothing matches; warning for an exact pin of a yanked release (it still installs).

    ## Why is this bad?
    `numpy==1.99` or a misspelt package name stop the install with "No matching distribution found" and the
    app never starts; a typo in a `pip freeze` edit or a version only on a private index shows up only when
    Cloud installs. A yanked release was withdrawn by its maintainers for a defect: an exact pin still installs
    it, with a warning.

    ## Example
    ```text
    numpy==1.99
    ```

    ## Fix
    Pin a release that exists (the message names the newest); check the name on the package index.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/app-dependencies
    - https://docs.astral.sh/uv/reference/cli/#uv-pip-compile
    """
    for app, res in _resolutions(ctx):
        static = _static(ctx, "CP555", "CP301", "CP302")
        for problem in res.problems:
            if problem.kind not in ("missing", "not-found", "yanked"):
                continue
            path, line, at = _where(res, problem)
            if (path, line) in static:
                continue
            needed = "" if problem.at == problem.package else \
                f"{_shown(at)} needs {problem.package}{problem.spec}, but "
            if problem.kind == "not-found":
                message = (f"{needed}{res.index} has no package named {problem.package}: the install fails with "
                           f"\"No matching distribution found\".")
                fix = "Check the name on the package index, or remove the line."
            elif problem.kind == "yanked":
                message = (f"{needed or ''}every release of {problem.package}{problem.spec} on {res.index} is yanked: "
                           f"the install fails with \"No matching distribution found\"."
                           + _newest(problem, f"a wheel for Python {res.target.python}"))
                fix = "Allow a release that is not yanked."
            else:
                what = f"{problem.package}{problem.spec}"
                message = (f"{needed}there is no {what} on {res.index}: the install fails with \"No matching "
                           f"distribution found\"." + _newest(problem, f"a wheel for Python {res.target.python}"))
                fix = (f"Pin a release that exists, e.g. {problem.package}=={problem.newest}." if problem.newest
                       else "Pin a release that exists.")
            yield ctx.finding(message[0].upper() + message[1:], path, line, app=app, fix=fix)
        for package, version, reason in res.yanked:
            where = res.line(package)
            if where is None or where.origin is None:
                continue
            path, line = where.origin.path, where.origin.line
            if (path, line) in static:
                continue
            why = f" ({reason})" if reason else ""
            yield ctx.finding(
                f"{package} {version} is yanked on {res.index}{why}: an exact pin still installs it, with a "
                f"warning, and the defect it was withdrawn for.", path, line, app=app, severity=Severity.WARNING,
                fix="Pin a release that is not yanked (the release notes say which one fixes it).")


def _edges(problem: Problem, res: Resolution) -> str:
    def named(package: str, spec: str) -> str:
        line = res.line(package) if not spec else None
        return _shown(line) if line is not None and line.origin is not None else f"{package}{spec}"

    shown = [f"{named(a, aspec)} requires {b}{bspec}" for a, aspec, b, bspec in problem.edges if bspec][:3]
    python = f"Python {res.target.python} on {_platform(res)}"
    shown += [f"{fact} has no wheel for {python}" for fact in problem.no_wheel[:2]]
    if shown:
        return "; ".join(shown)
    detail = problem.detail.replace("we can conclude that ", "")
    return f"uv: {detail[:300]}{'...' if len(detail) > 300 else ''}"


@rule("CP362", "resolve-conflict", Severity.ERROR)
def resolve_conflict(ctx: RuleContext) -> Iterator[Finding]:
    """Requirements that cannot be installed together on Cloud.

    Runs with `--resolve` only (the Action's `resolve` input).

    ## Why is this bad?
    Two pins whose dependency ranges exclude each other, for example a `protobuf` pin outside the range the
    pinned Streamlit requires, or a `pip freeze` of one machine next to a package added later, make the install
    fail with "No solution found when resolving dependencies" (uv) or `ResolutionImpossible` (pip), and the app
    never starts. When the file does not list streamlit, Cloud installs it anyway, so its ranges count too.

    ## Example
    ```text
    streamlit==1.34.0
    protobuf==5.27.0
    ```
    streamlit 1.34.0 requires protobuf>=3.20,<5.

    ## Fix
    Relax one of the pins to the range the other requires (the message names the ranges), or upgrade the
    package that caps it.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/app-dependencies
    - https://docs.astral.sh/uv/reference/cli/#uv-pip-compile
    """
    for app, res in _resolutions(ctx):
        for problem in res.problems:
            if problem.kind == "unsatisfiable":
                yield ctx.finding(
                    f"uv cannot resolve {res.depfile} for {_python(ctx, res)} on {_platform(res)}: "
                    f"{_edges(problem, res)}",
                    res.depfile, None, app=app,
                    fix="Run `uv pip compile` on the file with --python-version and --python-platform as in this "
                        "message to see the whole explanation.")
                continue
            if problem.kind != "conflict":
                continue
            path, line, at = _where(res, problem)
            if _involves_streamlit(problem) and ((path, line) in _static(ctx, "CP554")
                                                 or _streamlit_judged(ctx, res)):
                continue
            others = []
            for name in problem.involved:
                other = res.line(name)
                if other is None or other.origin is None:
                    others.append(f"{name} (Community Cloud installs it; {res.depfile} does not list it)")
                else:
                    others.append(f"{_shown(other)} ({other.where})")
            together = " and ".join(others) if others else "the other requirements"
            yield ctx.finding(
                f"{_shown(at)} cannot be installed together with {together}: {_edges(problem, res)}. The install fails "
                f"with \"No solution found when resolving dependencies\".", path, line, app=app,
                fix="Relax one of the pins to the range the other requires, or upgrade the package that caps it.")


@rule("CP363", "resolve-new-major", Severity.NOTE)
def resolve_new_major(ctx: RuleContext) -> Iterator[Finding]:
    """A package the file does not pin resolves to a new major version since the last good resolution.

    Runs with `--resolve` only, and needs the cache of an earlier run (`.cloud-preflight-cache/`, or the folder
    in `$CLOUD_PREFLIGHT_CACHE_DIR` that a CI cache step keeps): the first resolution without problems is the
    known-good one, and it is replaced when the dependency file changes.

    ## Why is this bad?
    Every deploy, reboot or dependency change makes Cloud install the newest release an unpinned requirement
    allows. A new major version (pandas 3, numpy 2, altair 5) removes or changes APIs, so the app can break
    without a single changed line in the repository.

    ## Example
    ```text
    pandas
    ```
    resolved to 2.3.3 last time, 3.0.0 today.

    ## Fix
    Pin the major version you tested with (`pandas<3` or `pandas==2.3.3`), or test the app with the new
    version and commit the change (which makes it the new known-good resolution).

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/app-dependencies
    - https://docs.astral.sh/uv/reference/cli/#uv-pip-compile
    """
    for app, res in _resolutions(ctx):
        for package, old, new, when in res.new_majors:
            where = res.line(package)
            if where is None or where.origin is None:
                continue
            since = f" ({when})" if when else ""
            major = new.split(".", 1)[0]
            yield ctx.finding(
                f"{package} now resolves to {new} on {_python(ctx, res)}; the last good resolution of {res.depfile}"
                f"{since} had {old}. {_shown(where)} does not pin it, so Community Cloud installs the new major "
                f"version, which may remove APIs the app uses.", where.origin.path, where.origin.line, app=app,
                fix=f"Pin the version you tested with ({package}<{major} or {package}=={old}), or test with {new} "
                    f"and commit.")


@rule("CP364", "resolve-unavailable", Severity.WARNING)
def resolve_unavailable(ctx: RuleContext) -> Iterator[Finding]:
    """The dependency file could not be resolved: the index cannot be reached, uv is missing or time ran out.

    Runs with `--resolve` only (the Action's `resolve` input). Said once per run; the other checks are not
    affected.

    ## Why is this bad?
    It is not a problem of the app: the resolution checks (CP360-CP363) did not run, so a pin without a wheel
    for Cloud's Python or a conflict would only show when Cloud installs. Behind a proxy or on a private index,
    set `PIP_INDEX_URL` or `UV_INDEX_URL`; a slow index needs a longer `resolve-timeout`.

    ## Example
    ```text
    --index-url https://packages.example.invalid/simple
    ```

    ## Fix
    Check the network and the index settings (`PIP_INDEX_URL`, `UV_INDEX_URL`, index options in the file), raise
    `resolve-timeout`, or run without `--resolve`.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/app-dependencies
    - https://docs.astral.sh/uv/reference/cli/#uv-pip-compile
    """
    for app, res in _resolutions(ctx):
        if not res.announce:
            continue
        found = f" ({len(res.problems)} problem(s) found before it stopped are reported)" if res.problems else ""
        yield ctx.finding(
            f"{res.depfile} was not resolved for {_python(ctx, res)} on {_platform(res)}: {res.reason}{found}. The "
            f"resolution checks (CP360-CP363) were skipped for it and for any other file; every other check ran.",
            res.depfile, None, app=app,
            fix="Check the network and the index settings (PIP_INDEX_URL, UV_INDEX_URL), raise resolve-timeout, or "
                "run without --resolve.")


RULES = (resolve_no_wheel, resolve_version_missing, resolve_conflict, resolve_new_major, resolve_unavailable)
