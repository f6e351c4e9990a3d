"""CP1xx: which dependency file Community Cloud uses for each app."""

from __future__ import annotations

import posixpath
import re
import sys
from collections.abc import Iterator

from packaging.utils import canonicalize_name

from preflight.apps import App
from preflight.depfiles import DEP_FILES, MANAGERS, parse_dependency_file
from preflight.distributions import import_names
from preflight.imports import imports_of, installed_projects, resolve_module
from preflight.model import Finding, Severity
from preflight.rules import RuleContext, rule

# Import names of what `pip install streamlit` brings in anyway (its Requires-Dist). Dotted entries name one
# package of a namespace shared with others: protobuf provides google.protobuf, not google.cloud or google.auth.
STREAMLIT_PROVIDED = frozenset({"streamlit", "pandas", "numpy", "altair", "pyarrow", "PIL", "requests",
                                "google.protobuf",
                                "tenacity", "toml", "click", "blinker", "cachetools", "packaging",
                                "typing_extensions", "git", "pydeck", "tornado", "watchdog", "jinja2", "jsonschema",
                                "dateutil", "pytz", "urllib3", "certifi", "idna", "charset_normalizer", "narwhals",
                                "markupsafe", "attr", "attrs", "referencing", "rpds", "six", "tzdata", "smmap",
                                "gitdb", "jsonschema_specifications", "rich", "pygments", "markdown_it", "mdurl"})

MISNAMED = {
    "requirement.txt": "requirements.txt",
    "requirements.text": "requirements.txt",
    "requirements.txt.txt": "requirements.txt",
    "requirments.txt": "requirements.txt",
    "requirement.text": "requirements.txt",
    "requirements .txt": "requirements.txt",
    "requirements": "requirements.txt",
    "requirements.in": "requirements.txt",
    "environment.yaml": "environment.yml",
    "environment.yml.txt": "environment.yml",
    "env.yml": "environment.yml",
    "env.yaml": "environment.yml",
    "conda.yml": "environment.yml",
    "conda.yaml": "environment.yml",
    "pipfile": "Pipfile",
    "Pipfile.txt": "Pipfile",
    "pipfile.txt": "Pipfile",
}


def third_party_imports(ctx: RuleContext, app: App) -> list[tuple[str, str, int]]:
    """(module, file, line) for unguarded imports that are neither stdlib nor local. The module is the top-level
    name, or for a namespace shared by several distributions (``google``, ``azure``) the dotted name below it
    (``google.cloud.bigquery``; ``from google import genai`` is ``google.genai``)."""
    from checks.imports import NAMESPACE_TOPS, _checked_modules

    out = []
    roots = [app.dir, ""] if app.dir else [""]
    for module in app.modules:
        root = "" if module.root_only else app.dir
        for ref in imports_of(ctx.project, module.path, root):
            if ref.guard or ref.level or not ref.module:
                continue
            top = ref.top
            if top in sys.stdlib_module_names or top == "__future__":
                continue
            if resolve_module(ctx.project, top, roots) is not None:
                continue
            if top in NAMESPACE_TOPS:
                for name in _checked_modules(ref):
                    out.append((name, module.path, ref.line))
                continue
            out.append((top, module.path, ref.line))
    return out


def streamlit_provides(module: str) -> bool:
    """Whether installing streamlit alone makes ``module`` importable (``google.protobuf`` yes, ``google.cloud``
    no)."""
    parts = module.split(".")
    return any(".".join(parts[:end]) in STREAMLIT_PROVIDED for end in range(1, len(parts) + 1))


def provided_by_winner(ctx: RuleContext, app: App) -> set[str]:
    """Canonical names of what the winning file installs for ``app``: its rows, the distributions its
    misnamed rows stand for (CP302 reports those lines: ``sklearn`` for scikit-learn), what a local project it
    installs declares (``-e .``), and what declared packages depend on (CP207)."""
    from checks.imports import provision
    from checks.requirements import requirement_name_table

    winner = app.winner
    if winner is None:
        return set()
    names = {r.name for r in winner.requirements if r.name}
    table = requirement_name_table()
    for req in winner.requirements:
        row = table.get(req.name) if req.name else None
        if row is not None:
            names.add(canonicalize_name(row["use"]))
    prov = provision(ctx, app)
    if prov is not None:
        names |= {d.name for d in prov.declared if d.state == "installed"}
        names |= set(prov.transitive)
    return names


@rule("CP101", "dep-file-missing", Severity.ERROR)
def dep_file_missing(ctx: RuleContext) -> Iterator[Finding]:
    """No dependency file next to the entrypoint or at the repository root.

    Severity: error when the app imports packages that streamlit does not bring in; warning when it only
    imports streamlit's own dependencies (pandas, numpy, altair, ...); note when it imports nothing else.
    Namespaces shared by several packages are checked below the shared name: streamlit's protobuf provides
    `google.protobuf`, not `google.cloud.bigquery`.

    ## Why is this bad?
    Community Cloud looks for `uv.lock`, `Pipfile`, `environment.yml`, `requirements.txt` or
    `pyproject.toml` next to the entrypoint, then at the root. Without one, only streamlit and its own
    dependencies are installed and every other import fails with `ModuleNotFoundError`.

    ## Example
    A repository with `app.py` doing `import plotly.express as px` and no `requirements.txt`.

    ## Fix
    Add a `requirements.txt` at the root (or next to the entrypoint) that lists every package the app
    imports, including a pinned `streamlit`.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/app-dependencies
    """
    for app in ctx.apps:
        if not app.exists or app.dependency_candidates:
            continue
        imports = third_party_imports(ctx, app)
        missing = [i for i in imports if not streamlit_provides(i[0])]
        where = f"next to {app.entrypoint} or at the repository root" if app.dir else "at the repository root"
        if missing:
            top, file, line = missing[0]
            names = [top, *sorted({m[0] for m in missing} - {top})]
            yield ctx.finding(
                f"No dependency file found {where}. Community Cloud will install only streamlit and its "
                f"dependencies, so \"import {top}\" ({file}:{line}) fails with ModuleNotFoundError"
                + (f" (also: {', '.join(names[1:6])})" if len(names) > 1 else "") + ".",
                app.entrypoint, app=app,
                fix="Add requirements.txt listing every package the app imports, with a pinned streamlit.")
        else:
            severity = Severity.WARNING if imports else Severity.NOTE
            yield ctx.finding(
                f"No dependency file found {where}. Community Cloud installs the newest streamlit and its "
                f"dependencies only; that is enough for this app today, but the version is not under your "
                f"control.", app.entrypoint, severity=severity, app=app,
                fix="Add requirements.txt with a pinned streamlit (e.g. streamlit==1.50.0) and the packages "
                    "you import.")


@rule("CP102", "dep-file-multiple", Severity.WARNING)
def dep_file_multiple(ctx: RuleContext) -> Iterator[Finding]:
    """Several dependency files could apply to an app; Cloud installs only the first by precedence.

    ## Why is this bad?
    Community Cloud uses exactly one file: in the entrypoint's folder first, then at the root, the first of
    `uv.lock`, `Pipfile`, `environment.yml`, `requirements.txt`, `pyproject.toml`. The others are ignored,
    and the build log only says "More than one requirements file detected". Edits to an ignored file have
    no effect on the deployed app. (A `pyproject.toml` that the winning file installs, with `-e .` in
    `requirements.txt`, is not ignored: the project and its dependencies are installed.)

    ## Example
    `requirements.txt` and a tooling `pyproject.toml` at the root: Cloud uses `requirements.txt`.
    `uv.lock` and `requirements.txt` at the root: Cloud runs `uv sync` and ignores `requirements.txt`.

    ## Fix
    Keep one dependency file per app, or make sure the intended one wins (put it next to the entrypoint,
    or remove the higher-ranked one). Confirm with the `Used:` line in the Cloud build log.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/app-dependencies
    """
    for app in ctx.apps:
        cands = app.dependency_candidates
        if not app.exists or len(cands) < 2:
            continue
        winner, ignored = cands[0], cands[1:]
        manager = MANAGERS[posixpath.basename(winner)]
        # A pyproject.toml beside a uv.lock is the lock's own project file, and one the winner installs
        # (-e . in requirements.txt) is installed with its dependencies: neither is a competing file.
        installed = {posixpath.join(i.folder, "pyproject.toml") if i.folder else "pyproject.toml"
                     for i in installed_projects(ctx.project, app.dir)}
        lock_project = posixpath.join(posixpath.dirname(winner), "pyproject.toml") \
            if posixpath.basename(winner) == "uv.lock" else None
        competing = [p for p in ignored if p not in installed and p != lock_project]
        if not competing:
            continue
        yield ctx.finding(
            f"Several dependency files apply to {app.entrypoint}: Community Cloud will install only {winner} "
            f"({manager}) and ignore {', '.join(competing)}.",
            winner, app=app,
            fix="Keep one dependency file per app, or move/remove files so the one you maintain wins.")


@rule("CP103", "dep-file-shadowed", Severity.ERROR)
def dep_file_shadowed(ctx: RuleContext) -> Iterator[Finding]:
    """An ignored dependency file declares packages that the file Cloud uses does not.

    ## Why is this bad?
    The usual story: a `uv.lock` (or a dev `environment.yml`) is committed next to the `requirements.txt`
    that holds the app's packages. Cloud switches to the higher-ranked file and the packages declared only
    in `requirements.txt` are never installed, so the app fails with `ModuleNotFoundError`. Packages the
    winning file provides another way are not reported: under a misnamed row (`sklearn` for `scikit-learn`,
    which CP302 reports), through a local project it installs (`-e .`), or as a dependency of a declared
    package (CP207).

    ## Example
    `uv.lock` for a CLI project at the root, `requirements.txt` with `PyGithub`: Cloud runs `uv sync`,
    `import github` fails.

    ## Fix
    Put the app's dependencies in the winning file (for uv: `[project].dependencies` or a group in
    `[tool.uv] default-groups`), or remove the shadowing file.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/app-dependencies
    - https://github.com/mrwadams/stride-gpt/pull/154
    """
    for app in ctx.apps:
        cands = app.dependency_candidates
        winner = app.winner
        if not app.exists or winner is None or len(cands) < 2:
            continue
        provided = provided_by_winner(ctx, app)
        imported: dict[str, tuple[str, int]] = {}
        for module, file, line in third_party_imports(ctx, app):
            imported.setdefault(module.split(".", 1)[0].lower(), (file, line))
        installed = {posixpath.join(i.folder, "pyproject.toml") if i.folder else "pyproject.toml"
                     for i in installed_projects(ctx.project, app.dir)}
        for other in cands[1:]:
            if posixpath.basename(winner.path) == "uv.lock" and other == posixpath.join(
                    posixpath.dirname(winner.path), "pyproject.toml"):
                continue
            if other in installed:
                continue  # installed by the winner (-e .): what it declares is provided
            parsed = parse_dependency_file(ctx.project, other)
            # Only what the app imports counts: a pip-freeze file next to a Pipfile lists transitive
            # packages the winner's resolver installs anyway.
            missing: list[tuple[str, str, str, int]] = []
            for req in parsed.named():
                if req.name in provided or req.name in ("python", "pip", "streamlit"):
                    continue
                hit = next((imported[n] for n in sorted(import_names(req.name)) if n in imported), None)
                if hit and all(m[0] != (req.raw_name or req.name) for m in missing):
                    missing.append((req.raw_name or req.name, req.name, *hit))
            if not missing:
                continue
            shown = ", ".join(f"{name} (imported at {file}:{line})" for name, _, file, line in missing[:5])
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            yield ctx.finding(
                f"Community Cloud installs {winner.path} ({winner.manager}), which does not provide {shown}{more}: "
                f"declared only in {other}, which Cloud ignores. These imports will fail with "
                f"ModuleNotFoundError.",
                other, app=app,
                fix=f"Move these packages into {winner.path}, or remove {winner.path} if {other} is the file "
                    f"you maintain.")


@rule("CP104", "dep-file-misnamed", Severity.WARNING)
def dep_file_misnamed(ctx: RuleContext) -> Iterator[Finding]:
    """A file that looks like a dependency file but is not named exactly as Cloud expects.

    Severity: error when the app has no recognised dependency file at all (then this file is what the
    author meant Cloud to install).

    ## Why is this bad?
    Cloud recognises only `uv.lock`, `Pipfile`, `environment.yml`, `requirements.txt` and `pyproject.toml`,
    spelled exactly so (Linux file names are case-sensitive). `requirement.txt`, `Requirements.txt` or
    `environment.yaml` are silently ignored.

    ## Example
    `requirement.txt` at the root.

    ## Fix
    Rename it (`git mv requirement.txt requirements.txt`).

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/app-dependencies
    """
    folders = {app.dir for app in ctx.apps} | {""}
    by_folder = {app.dir: app for app in ctx.apps}
    lower_known = {n.lower(): n for n in DEP_FILES}
    for folder in sorted(folders):
        for path in ctx.project.files_in(folder):
            name = posixpath.basename(path)
            wanted = MISNAMED.get(name) or MISNAMED.get(name.lower())
            if wanted is None and name.lower() in lower_known and name not in DEP_FILES:
                wanted = lower_known[name.lower()]  # wrong letter case
            if wanted is None:
                continue
            target = posixpath.join(folder, wanted) if folder else wanted
            if ctx.project.exists(target):
                continue
            apps = [by_folder[folder]] if folder in by_folder else ctx.apps
            no_file = all(not a.dependency_candidates for a in apps) if apps else True
            yield ctx.finding(
                f"{path} is not a file Community Cloud reads: it only recognises uv.lock, Pipfile, "
                f"environment.yml, requirements.txt and pyproject.toml, spelled exactly so."
                + (" No recognised dependency file exists, so none of these packages will be installed."
                   if no_file else ""),
                path, severity=Severity.ERROR if no_file else None,
                fix=f"Rename it to {wanted} (git mv \"{path}\" \"{target}\").")


@rule("CP105", "dep-pyproject-not-poetry", Severity.ERROR)
def dep_pyproject_not_poetry(ctx: RuleContext) -> Iterator[Finding]:
    """`pyproject.toml` is the file Cloud uses, but it is not a Poetry project.

    ## Why is this bad?
    Cloud installs a winning `pyproject.toml` with Poetry. A PEP 621 project (`[project]` only, as written
    by uv, PDM, Hatch or setuptools) without `[tool.poetry]` fails to install or installs nothing.

    ## Example
    ```toml
    [project]
    name = "my-app"
    dependencies = ["streamlit", "plotly"]
    ```
    with no `requirements.txt` and no `uv.lock`.

    ## Fix
    Add a `requirements.txt` (it ranks above `pyproject.toml`), commit `uv.lock` for a uv project (it ranks
    first), or convert the file to Poetry.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/app-dependencies
    - https://github.com/streamlit/streamlit/issues/9148
    """
    for app in ctx.apps:
        winner = app.winner
        if not app.exists or winner is None or winner.filename != "pyproject.toml":
            continue
        data = ctx.project.toml(winner.path)
        if data is None:
            continue
        tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
        if isinstance(tool.get("poetry"), dict):
            continue
        used = next((t for t in ("uv", "pdm", "hatch", "flit", "setuptools") if t in tool), None)
        what = f"it is a {used} project" if used else "it has no [tool.poetry] section"
        yield ctx.finding(
            f"Community Cloud installs {winner.path} with Poetry, but {what}; the install is expected to fail "
            f"or to install nothing.", winner.path, app=app,
            fix="Add a requirements.txt (it ranks above pyproject.toml) or commit uv.lock (it ranks first).")


@rule("CP106", "dep-poetry-root-package", Severity.ERROR)
def dep_poetry_root_package(ctx: RuleContext) -> Iterator[Finding]:
    """A Poetry project Cloud installs tries to install itself, but there is no package to install.

    ## Why is this bad?
    `poetry install` installs the project as a package unless `package-mode = false`. When no folder
    matches the project name (and no `packages = [...]` is given), Poetry fails with
    "... does not contain any element" and the deploy stops.

    ## Example
    ```toml
    [tool.poetry]
    name = "sales-dashboard"
    ```
    and no `sales_dashboard/` folder.

    ## Fix
    Add `package-mode = false` under `[tool.poetry]` (Poetry 1.8 and later), or add a `requirements.txt`.

    ## References
    - https://github.com/streamlit/streamlit/issues/6117
    - https://python-poetry.org/docs/basic-usage/#operating-modes
    """
    for app in ctx.apps:
        winner = app.winner
        if not app.exists or winner is None or winner.filename != "pyproject.toml":
            continue
        data = ctx.project.toml(winner.path) or {}
        poetry = data.get("tool", {}).get("poetry") if isinstance(data.get("tool"), dict) else None
        if not isinstance(poetry, dict) or poetry.get("package-mode") is False or "packages" in poetry:
            continue
        name = poetry.get("name") or (data.get("project") or {}).get("name")
        if not isinstance(name, str):
            continue
        base = posixpath.dirname(winner.path)
        module = re.sub(r"[-.]+", "_", name).lower()
        candidates = [module, f"src/{module}", f"{module}.py", f"src/{module}.py"]
        if any(ctx.project.is_dir(posixpath.join(base, c)) or ctx.project.exists(posixpath.join(base, c))
               for c in candidates):
            continue
        from preflight.depfiles import key_line

        text = ctx.project.text(winner.path)
        line = key_line(text.text, "name", "tool.poetry") if text else None
        yield ctx.finding(
            f"Poetry will try to install the project \"{name}\" itself, but there is no {module}/ package; "
            f"\"poetry install\" fails on Community Cloud.", winner.path, line, app=app,
            fix="Add package-mode = false under [tool.poetry].")


@rule("CP107", "dep-uv-lock-without-project", Severity.ERROR)
def dep_uv_lock_without_project(ctx: RuleContext) -> Iterator[Finding]:
    """`uv.lock` is the file Cloud uses, but no `pyproject.toml` sits beside it.

    ## Why is this bad?
    Cloud installs a winning `uv.lock` with `uv sync`, which needs the project's `pyproject.toml` in the
    same folder. Without it, `uv sync` fails and nothing is installed.

    ## Example
    `app/uv.lock` next to the entrypoint, `pyproject.toml` only at the root.

    ## Fix
    Commit `uv.lock` in the same folder as its `pyproject.toml`, or delete the stray lock file.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/app-dependencies
    - https://docs.astral.sh/uv/concepts/projects/sync/
    """
    for app in ctx.apps:
        winner = app.winner
        if not app.exists or winner is None or winner.filename != "uv.lock":
            continue
        project_file = posixpath.join(posixpath.dirname(winner.path), "pyproject.toml")
        if not ctx.project.exists(project_file):
            yield ctx.finding(
                f"Community Cloud runs \"uv sync\" for {winner.path}, but there is no {project_file} beside it, "
                f"so the install fails.", winner.path, app=app,
                fix=f"Commit {project_file}, or remove {winner.path} so another dependency file is used.")


_CONDA_WINDOWS = {"vc", "vs2015_runtime", "vc14_runtime", "ucrt", "msys2-conda-epoch", "menuinst", "wincertstore",
                  "win_inet_pton", "pywin32", "pywinpty", "pywin32-ctypes", "winpty"}
_CONDA_MACOS = {"libcxx", "appscript", "pyobjc-core", "pyobjc-framework-cocoa"}


@rule("CP108", "dep-conda-export", Severity.ERROR)
def dep_conda_export(ctx: RuleContext) -> Iterator[Finding]:
    """`environment.yml` produced by `conda env export` on Windows or macOS.

    Severity: error for build strings and platform-only packages; warning for a lone `prefix:` line.

    ## Why is this bad?
    A full export pins build strings (`numpy=1.26.4=py311h...`) and platform packages (`vc`, `ucrt`,
    `libcxx`) that do not exist for Linux, so conda cannot solve the environment on Community Cloud.

    ## Example
    ```yaml
    dependencies:
      - numpy=1.26.4=py311hdab7c0b_0
      - vc=14.2=h21ff451_1
    prefix: C:\\Users\\me\\miniconda3\\envs\\app
    ```

    ## Fix
    Regenerate with `conda env export --from-history` (no builds, no prefix), or switch to
    `requirements.txt`.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/app-dependencies
    - https://docs.conda.io/projects/conda/en/stable/user-guide/tasks/manage-environments.html#exporting-an-environment-file-across-platforms
    """
    for app in ctx.apps:
        winner = app.winner
        if not app.exists or winner is None or winner.filename != "environment.yml":
            continue
        text = ctx.project.text(winner.path)
        if text is None:
            continue
        for req in winner.requirements:
            if req.kind != "conda":
                continue
            spec = req.text.strip()
            parts = spec.split("=")
            name = req.raw_name.lower()
            if name in _CONDA_WINDOWS or name.startswith("m2w64-") or name in _CONDA_MACOS:
                platform = "Windows" if name not in _CONDA_MACOS else "macOS"
                yield ctx.finding(
                    f"\"{spec}\" is a {platform}-only conda package; conda cannot solve it on Community Cloud's "
                    f"Linux.", winner.path, req.line, app=app,
                    fix="Regenerate with conda env export --from-history, or remove the line.")
            elif len(parts) >= 3 and parts[2]:
                yield ctx.finding(
                    f"\"{spec}\" pins a platform-specific conda build string ({parts[2]}); conda cannot solve it "
                    f"on Community Cloud's Linux.", winner.path, req.line, app=app,
                    fix="Regenerate with conda env export --from-history (no build strings).")
        for number, line in enumerate(text.lines, start=1):
            if line.startswith("prefix:"):
                yield ctx.finding(
                    "The prefix: line is the path of the environment on the machine that exported it; it "
                    "means nothing on Community Cloud.", winner.path, number, severity=Severity.WARNING, app=app,
                    fix="Delete the prefix: line (conda env export --from-history omits it).")


RULES = (dep_file_missing, dep_file_multiple, dep_file_shadowed, dep_file_misnamed, dep_pyproject_not_poetry,
         dep_poetry_root_package, dep_uv_lock_without_project, dep_conda_export)
