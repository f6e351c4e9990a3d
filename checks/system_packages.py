"""CP4xx: system (apt) packages: packages.txt, Python packages that need Debian libraries, and code that
expects a desktop or installs software while the app runs.

Community Cloud reads ``packages.txt`` only at the repository root and hands every line to ``apt-get`` before the
Python install. The knowledge tables (which PyPI package needs which Debian package, Debian names that moved) are
in ``preflight/data/system_requirements.toml``; the Debian package lists in ``debian_packages.txt.gz`` and the
releases Cloud runs in ``cloud_platform.toml`` (``debian-releases``).
"""

from __future__ import annotations

import ast
import fnmatch
import posixpath
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from preflight import data
from preflight.imports import imports_of, resolve_module
from preflight.model import Finding, Severity
from preflight.pysource import call_names, calls
from preflight.rules import RuleContext, rule

if TYPE_CHECKING:
    from preflight.apps import App
    from preflight.depfiles import Requirement
    from preflight.project import Project

PACKAGES_TXT = "packages.txt"
# Names people give the file that Cloud does not read (compared case-insensitively, except the real name).
MISNAMED = frozenset({"package.txt", "packages.txt.txt", "packages.text", "package.text", "packages.txt.text",
                      "requirements-apt.txt", "requirements_apt.txt", "apt-packages.txt", "apt_packages.txt",
                      "apt-requirements.txt", "apt_requirements.txt", "system-packages.txt", "system_packages.txt",
                      "packages.txt"})
# Other platforms' apt lists (Binder's apt.txt, Heroku's Aptfile): reported only when there is no packages.txt.
OTHER_PLATFORMS = {"apt.txt": "Binder's apt.txt", "aptfile": "Heroku's Aptfile"}
DEBIAN_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$")
APT_COMMAND_WORDS = frozenset({"apt-get", "apt", "aptitude", "sudo", "install", "-y", "--yes", "-qq", "-q",
                               "--no-install-recommends", "update", "&&"})


# --------------------------------------------------------------------------------------------------- data


def _table() -> dict[str, Any]:
    raw = data.toml("system_requirements.toml")
    return raw if isinstance(raw, dict) else {}


def _str_list(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _releases() -> list[tuple[str, data.PackageNames]]:
    """(codename, names) for the Debian releases Cloud runs, oldest first; [] when the data is missing."""
    lists = data.debian_packages()
    wanted = _str_list(data.cloud().get("debian-releases"))
    return [(name, lists[name]) for name in wanted if name in lists]


# --------------------------------------------------------------------------------------------------- packages.txt


@dataclass(frozen=True)
class AptLine:
    """One non-blank line of packages.txt: the package name when the line is a bare name, else the problem."""

    line: int
    text: str
    name: str | None
    problem: str | None = None
    fix: str | None = None


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _classify(number: int, raw: str) -> AptLine | None:
    text = raw.strip()
    if not text:
        return None
    raw = raw.rstrip("\r\n")

    def plain(problem: str, fix: str) -> AptLine:
        return AptLine(number, text, None, problem, fix)

    words = text.split()
    names = [w for w in words if w not in APT_COMMAND_WORDS and not w.startswith("-") and w != "#"]
    if text.startswith("#"):
        return plain("a comment", "Delete the comment line; explain packages in your README instead.")
    if "#" in text:
        before = text.split("#", 1)[0].strip()
        return plain("an inline comment", f"Keep only the package name on this line: {_clip(before, 40)}."
                     if before else "Delete the comment.")
    if any(ord(c) > 127 for c in raw):
        return plain("text with non-ASCII characters", "Use plain ASCII package names, one per line.")
    if "://" in text:
        return plain("a URL", "apt-get cannot install from a URL listed here; use a package from Debian main "
                              "or a PyPI package in your dependency file.")
    if len(words) > 1:
        if any(w in ("apt-get", "apt", "aptitude", "sudo", "install") for w in words):
            keep = [n for n in names if DEBIAN_NAME_RE.match(n)]
            return plain("an apt-get command", "Keep only the package names, one per line"
                         + (f" ({', '.join(keep[:5])})" if keep else "") + "; Cloud runs apt-get itself.")
        return plain("several names on one line", f"Put each package on its own line: {', '.join(words[:5])}.")
    word = text
    if word in APT_COMMAND_WORDS or word.startswith("-"):
        return plain("an apt-get command word", "Delete this line; Cloud runs apt-get itself.")
    if re.search(r"[=<>~!]", word):
        bare = re.split(r"[=<>~!]", word, maxsplit=1)[0]
        return plain("a version pin", f"Write the bare name ({bare}); Debian versions change with every "
                                      f"point release." if bare else "Write a bare package name.")
    if "/" in word or "\\" in word or word.endswith(".deb"):
        return plain("a path or release suffix", "Write a bare package name from Debian main.")
    if not DEBIAN_NAME_RE.match(word):
        if word.lower() != word and DEBIAN_NAME_RE.match(word.lower()):
            return AptLine(number, text, word)  # upper case: the unknown-name rule reports it
        return plain("a name with characters Debian does not allow",
                     "Debian package names use only lower-case letters, digits and + - . ; if this is a PyPI "
                     "package, list it in your dependency file instead.")
    return AptLine(number, text, word)


def apt_lines(project: Project, path: str = PACKAGES_TXT) -> list[AptLine] | None:
    """The non-blank lines of a packages.txt-style file (cached), or None when it cannot be read. A UTF-16 file
    (which apt cannot read at all) yields no lines."""
    cache: dict[str, list[AptLine] | None] = project.__dict__.setdefault("_apt_lines_cache", {})
    if path not in cache:
        text = project.text(path) if project.exists(path) else None
        if text is None:
            cache[path] = None
        elif text.binary or text.encoding.startswith(("utf-16", "utf-32")):
            cache[path] = []
        else:
            cache[path] = [c for n, raw in enumerate(text.text.splitlines(), start=1)
                           if (c := _classify(n, raw)) is not None]
    return cache[path]


def root_apt_names(project: Project) -> set[str]:
    """Package names in the root packages.txt (architecture qualifiers dropped)."""
    lines = apt_lines(project) or []
    return {line.name.split(":", 1)[0].lower() for line in lines if line.name}


def _listed(patterns: list[str], names: set[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns for name in names)


# --------------------------------------------------------------------------------------------------- needs


@dataclass(frozen=True)
class Need:
    """An apt package a Python requirement needs and packages.txt does not list."""

    req: Requirement
    apt: tuple[str, ...]  # what to add
    satisfied_by: tuple[str, ...]  # fnmatch patterns, any of which meets the need
    severity: Severity
    fails: str
    alternative: str
    rule: str  # "opencv" or "native"


def _opencv_needs_glib(req: Requirement, glib_since: str, newest: str) -> bool:
    """Whether the OpenCV that Cloud installs for ``req`` is at least ``glib_since`` (an unpinned or open-ended
    requirement gets the newest release)."""
    try:
        since = Version(glib_since)
        candidates = [Version(newest)]
    except InvalidVersion:
        return False
    try:
        spec = SpecifierSet(req.specifier or "")
    except InvalidSpecifier:
        return True
    for item in spec:
        if item.operator in ("==", "===") and "*" not in item.version:
            try:
                candidates.append(Version(item.version))
            except InvalidVersion:
                pass
    return any(v >= since and spec.contains(v, prereleases=True) for v in candidates)


def _allows(req: Requirement, since: str) -> bool:
    """Whether ``req`` lets the installer pick a release at or after ``since`` (unpinned counts as yes)."""
    if not req.specifier:
        return True
    try:
        spec = SpecifierSet(req.specifier)
        probes = [Version(since), Version("9999")]
    except (InvalidSpecifier, InvalidVersion):
        return True
    for item in spec:
        if item.operator in ("==", "===") and "*" not in item.version:
            try:
                probes.append(Version(item.version))
            except InvalidVersion:
                pass
    return any(v >= probes[0] and spec.contains(v, prereleases=True) for v in probes)


def _code_mentions(project: Project, app: App, needles: list[str]) -> bool:
    wanted = [n.encode() for n in needles if n]
    if not wanted:
        return False
    for module in app.modules:
        raw = project.read_bytes(module.path)
        if raw and any(n in raw for n in wanted):
            return True
    return False


def _conda_names(app: App) -> set[str]:
    winner = app.winner
    if winner is None:
        return set()
    return {r.name for r in winner.requirements if r.kind == "conda" and r.name}


def app_needs(project: Project, app: App) -> list[Need]:
    """Every apt need of the app's runtime requirements that the root packages.txt does not meet (cached)."""
    cache: dict[str, list[Need]] = project.__dict__.setdefault("_apt_needs_cache", {})
    if app.entrypoint in cache:
        return cache[app.entrypoint]
    out: list[Need] = []
    winner = app.winner if app.exists else None
    if winner is not None:
        names = root_apt_names(project)
        conda = _conda_names(app)
        declared = {r.name for r in winner.named()}
        table = _table()
        reqs = [r for r in winner.named() if r.kind != "conda"]
        opencv = table.get("opencv-gui") if isinstance(table.get("opencv-gui"), dict) else {}
        gui = {canonicalize_name(p) for p in _str_list(opencv.get("packages"))}
        libgl, glib = _str_list(opencv.get("libgl")), _str_list(opencv.get("glib"))
        for req in reqs:
            if req.name not in gui:
                continue
            missing = []
            if libgl and not _listed(libgl, names):
                missing.append("libgl1")
            if glib and not _listed(glib, names) and _opencv_needs_glib(
                    req, str(opencv.get("glib-since", "5")), str(opencv.get("newest", "5"))):
                missing.append("libglib2.0-0")
            if missing:
                out.append(Need(req, tuple(missing), tuple(libgl if "libgl1" in missing else glib), Severity.ERROR,
                                "", "", "opencv"))
        seen: set[int] = set()
        entries = table.get("needs") if isinstance(table.get("needs"), list) else []
        for req in reqs:
            for index, entry in enumerate(entries):
                if index in seen or not isinstance(entry, dict):
                    continue
                if req.name not in {canonicalize_name(p) for p in _str_list(entry.get("packages"))}:
                    continue
                apt = _str_list(entry.get("apt"))
                satisfied = _str_list(entry.get("satisfied-by")) or apt
                if not apt or _listed(satisfied, names) or conda & {*_str_list(entry.get("conda")), *satisfied}:
                    continue
                if declared & {canonicalize_name(p) for p in _str_list(entry.get("pip-alternatives"))}:
                    continue
                if isinstance(entry.get("wheels-since"), str) and _allows(req, entry["wheels-since"]):
                    continue
                if _code_mentions(project, app, _str_list(entry.get("unless-code"))):
                    continue
                seen.add(index)
                build = entry.get("need") == "build"
                severity = Severity.ERROR if build else Severity.WARNING
                if entry.get("inferred") is True:
                    severity = Severity(max(severity - 1, Severity.NOTE))
                out.append(Need(req, tuple(apt), tuple(satisfied), severity, str(entry.get("fails") or ""),
                                str(entry.get("alternative") or ""), "native"))
    cache[app.entrypoint] = out
    return out


def _unread_lists(ctx: RuleContext) -> list[tuple[str, list[AptLine], str]]:
    """(path, lines, kind) for apt lists Cloud does not read: packages.txt outside the root and misnamed files.
    kind is "moved" (next to an app), "elsewhere", "misnamed" or "other-platform"."""
    project = ctx.project
    cache = project.__dict__.get("_apt_unread_cache")
    if cache is not None:
        return cache
    out: list[tuple[str, list[AptLine], str]] = []
    app_dirs: set[str] = set()
    for app in ctx.apps:
        folder = app.dir
        while folder:
            app_dirs.add(folder)
            folder = posixpath.dirname(folder)
    has_root = project.exists(PACKAGES_TXT)
    for path in project.files:
        folder, base = posixpath.split(path)
        lower = base.lower()
        if path == PACKAGES_TXT:
            continue
        if base == PACKAGES_TXT:
            kind = "moved"
        elif lower in MISNAMED:
            kind = "misnamed"
        elif lower in OTHER_PLATFORMS and not has_root:
            kind = "other-platform"
        else:
            continue
        if folder and folder not in app_dirs:
            if kind != "moved" or has_root or any(part.startswith(".") for part in folder.split("/")):
                continue  # another tool's list (Docker, dev containers)
            kind = "elsewhere"  # reported only when it holds what an app needs
        lines = apt_lines(project, path)
        if lines is None:
            continue
        if kind != "moved" and not _looks_like_apt_list(lines, _releases()):
            continue
        out.append((path, lines, kind))
    project.__dict__["_apt_unread_cache"] = out
    return out


def _looks_like_apt_list(lines: list[AptLine], known: list[tuple[str, data.PackageNames]]) -> bool:
    """At least one line, and most lines, name a Debian package (a comment line does not count either way)."""
    if not known:
        return False
    candidates = [ln for ln in lines if not ln.text.startswith("#")]
    hits = 0
    for ln in candidates:
        first = ln.text.split()[0] if ln.text.split() else ""
        first = first.split(":", 1)[0].lower()
        if any(first in names for _, names in known):
            hits += 1
    return hits > 0 and hits * 2 >= len(candidates)


# --------------------------------------------------------------------------------------------------- rules


@rule("CP401", "apt-location", Severity.WARNING)
def apt_location(ctx: RuleContext) -> Iterator[Finding]:
    """An apt package list that Community Cloud does not read: not at the root, or misnamed.

    Severity: when the file lists a Debian package that a Python package of the app needs (CP406, CP407)
    and the root `packages.txt` does not, the severity of that need (error for a failing build or import,
    at least warning); warning otherwise. Binder's `apt.txt` and Heroku's
    `Aptfile` are reported only when there is no root `packages.txt`; a `packages.txt` in a folder that
    holds no entrypoint (a Docker build's list, say) only when it lists what an app needs.

    ## Why is this bad?
    Community Cloud reads `packages.txt` only from the repository root ("If packages.txt exists in the root
    directory of your repository we automatically detect it"), with exactly that name on a case-sensitive
    file system. A `packages.txt` next to an entrypoint in a sub-folder, a `package.txt`, `Packages.txt`,
    `apt.txt` or `Aptfile` is silently ignored: the packages are not installed and the app fails later with
    a missing library or executable.

    ## Example
    `app/packages.txt` containing `libgl1` next to `app/streamlit_app.py`.

    ## Fix
    Move the lines into `packages.txt` at the repository root (create it if needed).

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/app-dependencies
    """
    has_root = ctx.project.exists(PACKAGES_TXT)
    needs = [(app, need) for app in ctx.apps for need in app_needs(ctx.project, app)]
    for path, lines, kind in _unread_lists(ctx):
        names = {ln.name.split(":", 1)[0] for ln in lines if ln.name}
        met = [(app, need) for app, need in needs if _listed(list(need.satisfied_by), names)]
        if kind == "elsewhere" and not met:
            continue
        if kind in ("moved", "elsewhere"):
            what = f"{path} is not read: Community Cloud only reads packages.txt from the repository root"
        elif kind == "misnamed":
            what = f"{path} is not read: Community Cloud only reads a file named exactly packages.txt at the " \
                   f"repository root"
        else:
            label = OTHER_PLATFORMS[posixpath.basename(path).lower()]
            what = f"{path} ({label}) is not read: Community Cloud only reads packages.txt at the repository root"
        if met:
            app, need = met[0]
            listed = sorted(n for n in names if _listed(list(need.satisfied_by), {n}))
            what += (f", so {', '.join(listed)} needed by {need.req.raw_name or need.req.name} "
                     f"({need.req.path}:{need.req.line}) will not be installed")
        target = "Merge its lines into the root packages.txt" if has_root else "Move it to packages.txt at the " \
                                                                                "repository root"
        severity = max((need.severity for _, need in met), default=Severity.WARNING)
        yield ctx.finding(what + ".", path, severity=max(severity, Severity.WARNING),
                          fix=f"{target} (one Debian package name per line).")


@rule("CP402", "apt-format", Severity.ERROR)
def apt_format(ctx: RuleContext) -> Iterator[Finding]:
    """A `packages.txt` line that is not a bare Debian package name.

    ## Why is this bad?
    Community Cloud hands every line of `packages.txt` to `apt-get install`. A comment, an `apt-get install`
    command, several names on one line, a version pin (`pkg=1.2`, `pkg==1.2`), a URL or non-ASCII text is
    not a package name, so apt-get stops the build with "E: Unable to locate package …" or "E: Unsupported
    file … given on commandline". Blank lines are fine.

    ## Example
    ```text
    # needed for OpenCV
    sudo apt-get install -y libgl1
    ffmpeg=7:5.1
    ```

    ## Fix
    One bare package name per line, nothing else:
    ```text
    libgl1
    ffmpeg
    ```
    Put explanations in your README.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/app-dependencies
    """
    for line in apt_lines(ctx.project) or []:
        if line.problem is None:
            continue
        yield ctx.finding(
            f"\"{_clip(line.text)}\" is {line.problem}, not a Debian package name. Community Cloud hands every "
            f"line to apt-get, so this fails the build (\"E: Unable to locate package\").",
            PACKAGES_TXT, line.line, fix=line.fix)


@rule("CP403", "apt-encoding", Severity.ERROR)
def apt_encoding(ctx: RuleContext) -> Iterator[Finding]:
    """`packages.txt` is not plain text with Unix (LF) line endings.

    Severity: error for UTF-16/UTF-32 files and a UTF-8 byte-order mark, which corrupt the package names
    however the file is read; warning for Windows (CRLF) or old Mac (CR) line endings, which break the
    names only if Cloud's reader keeps the carriage return (seen on other platforms with the same
    one-name-per-line format, not yet in a Cloud log).

    ## Why is this bad?
    apt-get receives the raw text of each line. With CRLF line endings it is asked for `libgl1\\r` and
    reports "E: Unable to locate package"; a byte-order mark glues itself to the first name; a UTF-16 file
    (what Windows PowerShell's `>` writes) is unreadable.

    ## Example
    A `packages.txt` saved by Notepad with "Windows (CR LF)" or "UTF-8 with BOM".

    ## Fix
    Save it as UTF-8 without BOM and LF line endings (`dos2unix packages.txt`), and keep it that way with
    a `.gitattributes` line `packages.txt text eol=lf`.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/app-dependencies
    - https://github.com/heroku/heroku-buildpack-apt/issues/53
    """
    project = ctx.project
    if not project.exists(PACKAGES_TXT):
        return
    raw = project.read_bytes(PACKAGES_TXT)
    text = project.text(PACKAGES_TXT)
    if raw is None or text is None:
        return
    fix = "Save packages.txt as UTF-8 without BOM with LF line endings (dos2unix packages.txt); add " \
          "'packages.txt text eol=lf' to .gitattributes."
    if text.binary or text.encoding.startswith(("utf-16", "utf-32")):
        yield ctx.finding("packages.txt is not UTF-8 text (it looks like UTF-16, as Windows PowerShell writes it, "
                          "or binary data); apt-get cannot read a package name from it and the build fails.",
                          PACKAGES_TXT, fix=fix)
        return
    first = next((ln.name or ln.text for ln in apt_lines(project) or []), "pkg")
    if text.bom:
        yield ctx.finding(f"packages.txt starts with a UTF-8 byte-order mark; apt-get receives the first name "
                          f"as \"\\ufeff{_clip(first, 30)}\" and reports \"Unable to locate package\".",
                          PACKAGES_TXT, 1, fix=fix)
    if b"\r" in raw:
        number = raw[: raw.index(b"\r")].count(b"\n") + 1
        kind = "Windows (CRLF)" if b"\r\n" in raw else "old Mac (CR)"
        yield ctx.finding(f"packages.txt uses {kind} line endings; if apt-get receives \"{_clip(first, 30)}\\r\" "
                          f"it reports \"Unable to locate package\" and the build fails.",
                          PACKAGES_TXT, number, severity=Severity.WARNING, fix=fix)


@rule("CP404", "apt-unknown-package", Severity.ERROR)
def apt_unknown_package(ctx: RuleContext) -> Iterator[Finding]:
    """A `packages.txt` name that is not a package in the Debian release Community Cloud runs.

    Severity: error when the name is in none of the releases Cloud has been seen to run (and in particular
    not in the newest); warning when only an older release has it (it may still resolve on older images
    or from a leftover apt source, as `libgl1-mesa-glx` does from `bullseye-security`).

    ## Why is this bad?
    Cloud's image is Debian with only the `main` component configured (build logs: bookworm in 2025,
    trixie since 2026-07; the docs still say bullseye). Ubuntu names (`chromium-browser`,
    `libmysqlclient-dev`), packages Debian 13 removed (`libgl1-mesa-glx`, `libgconf-2-4`,
    `software-properties-common`), non-free packages and PyPI names make apt-get fail with "Unable to locate
    package" or "has no installation candidate", which stops the build.

    ## Example
    ```text
    chromium-browser
    libgl1-mesa-glx
    ```

    ## Fix
    Use the Debian name (`chromium`, `libgl1`), drop packages that are no longer needed, and list PyPI
    packages in the dependency file instead.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/status-and-limitations
    - https://github.com/CatchTheTornado/text-extract-api/issues/126
    """
    if not apt_lines(ctx.project):
        return  # no packages.txt: no names to look up
    releases = _releases()
    if not releases:
        return  # no package lists bundled: nothing to compare with
    newest, newest_names = releases[-1]
    replacements = _table().get("apt-replacements")
    replacements = replacements if isinstance(replacements, dict) else {}
    pypi = {r.name for app in ctx.apps if app.winner for r in app.winner.named()}
    for line in apt_lines(ctx.project) or []:
        if line.name is None:
            continue
        name = line.name.split(":", 1)[0]
        if name in newest_names:
            continue
        older = [codename for codename, names in releases[:-1] if name in names]
        hint = replacements.get(name) if isinstance(replacements.get(name), str) else None
        if name.lower() != name and name.lower() in newest_names:
            fix = f"Debian package names are lower case: write {name.lower()}."
        elif hint:
            fix = f"Remove the line{hint[len('nothing'):]}." if hint.startswith("nothing") else f"Use {hint}."
        elif canonicalize_name(name) in pypi or name in ("streamlit", "pip"):
            fix = f"\"{name}\" is a PyPI package: list it in your dependency file, not in packages.txt."
        else:
            fix = f"Find the Debian {newest} name (apt-cache search on a Debian {newest} system) or drop the line."
        if older:
            yield ctx.finding(
                f"\"{name}\" is in Debian {', '.join(older)} but not in {newest} main, which recent Community "
                f"Cloud builds use; apt-get may fail with \"has no installation candidate\".",
                PACKAGES_TXT, line.line, severity=Severity.WARNING, fix=fix)
        else:
            yield ctx.finding(
                f"\"{name}\" is not a package in Debian {newest} main (nor {', '.join(c for c, _ in releases[:-1])})"
                f", which Community Cloud uses; apt-get fails with \"Unable to locate package\" and the build "
                f"stops." if len(releases) > 1 else
                f"\"{name}\" is not a package in Debian {newest} main, which Community Cloud uses; apt-get fails "
                f"with \"Unable to locate package\" and the build stops.",
                PACKAGES_TXT, line.line, fix=fix)


@rule("CP405", "apt-python-package", Severity.WARNING)
def apt_python_package(ctx: RuleContext) -> Iterator[Finding]:
    """A `python3-*` Debian package in `packages.txt`, which the app's virtualenv cannot import.

    ## Why is this bad?
    Debian's `python3-opencv`, `python3-numpy` and friends install into the system Python
    (`/usr/lib/python3/dist-packages`). Community Cloud runs the app in its own virtualenv
    (`/home/adminuser/venv`), often with a different Python version, so `import cv2` still fails with
    `ModuleNotFoundError` and the apt step only adds build time.

    ## Example
    ```text
    python3-opencv
    ```

    ## Fix
    Remove the line and declare the PyPI package (`opencv-python-headless`) in the dependency file.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/app-dependencies
    """
    if not apt_lines(ctx.project):
        return  # no packages.txt
    releases = _releases()
    table = _table().get("python3-packages")
    table = table if isinstance(table, dict) else {}
    ignore = set(_str_list(table.get("ignore")))
    pypi = table.get("pypi") if isinstance(table.get("pypi"), dict) else {}
    winners = sorted({app.winner.path for app in ctx.apps if app.winner})
    target = winners[0] if len(winners) == 1 else "your dependency file"
    for line in apt_lines(ctx.project) or []:
        name = (line.name or "").split(":", 1)[0]
        if not name.startswith("python3-") or name in ignore or name.endswith(("-dev", "-dbg")):
            continue
        if releases and name not in releases[-1][1]:
            continue  # CP404 reports it
        instead = pypi.get(name) if isinstance(pypi.get(name), str) else name[len("python3-"):]
        fix = (f"Remove the line{instead[len('nothing'):]}." if instead.startswith("nothing") else
               f"Remove the line and declare {instead} in {target}.")
        yield ctx.finding(
            f"{name} installs into the system Python, not the app's virtualenv on Community Cloud, so the app "
            f"cannot import it.", PACKAGES_TXT, line.line, fix=fix)


@rule("CP406", "sys-opencv-gui", Severity.ERROR)
def sys_opencv_gui(ctx: RuleContext) -> Iterator[Finding]:
    """`opencv-python` (a GUI build) without the OpenGL/GLib libraries in `packages.txt`.

    ## Why is this bad?
    The `opencv-python` and `opencv-contrib-python` wheels link `libGL.so.1` (and, from OpenCV 5,
    `libgthread-2.0.so.0`), which the Community Cloud image does not have. `import cv2` fails with
    "ImportError: libGL.so.1: cannot open shared object file: No such file or directory". The `-headless`
    builds need neither and do everything a Streamlit app needs (no `cv2.imshow` windows on a server
    anyway).

    ## Example
    `requirements.txt` with `opencv-python` and no `packages.txt`.

    ## Fix
    Replace it with `opencv-python-headless` (or `opencv-contrib-python-headless`). If another package
    requires the GUI build, add `libgl1` and `libglib2.0-0` to `packages.txt` at the repository root.

    ## References
    - https://docs.streamlit.io/knowledge-base/dependencies/libgl
    - https://github.com/streamlit/streamlit/issues/5124
    - https://github.com/marceloprates/prettymaps/pull/148
    """
    headless = _table().get("opencv-gui", {})
    headless = headless.get("headless", {}) if isinstance(headless, dict) else {}
    headless = headless if isinstance(headless, dict) else {}
    for app in ctx.apps:
        for need in app_needs(ctx.project, app):
            if need.rule != "opencv":
                continue
            req = need.req
            pkg = req.raw_name or req.name
            lib = "libGL.so.1" if "libgl1" in need.apt else "libgthread-2.0.so.0"
            alt = headless.get(req.name) if isinstance(headless.get(req.name), str) else f"{req.name}-headless"
            unread = _unread_hint(ctx, need)
            yield ctx.finding(
                f"{pkg} needs the system OpenGL/GLib libraries ({', '.join(need.apt)} missing from packages.txt); "
                f"on Community Cloud \"import cv2\" fails with \"ImportError: {lib}: cannot open shared object "
                f"file\". Use {alt} instead.{unread}",
                req.path, req.line, app=app,
                fix=f"Replace {pkg} with {alt} in {req.path}; if another package needs {pkg}, add "
                    f"{' and '.join(need.apt)} to packages.txt at the repository root.")


def _unread_hint(ctx: RuleContext, need: Need) -> str:
    for path, lines, _kind in _unread_lists(ctx):
        names = {ln.name.split(":", 1)[0] for ln in lines if ln.name}
        if _listed(list(need.satisfied_by), names):
            return f" ({path} lists it, but Cloud does not read that file.)"
    return ""


@rule("CP407", "sys-native-deps", Severity.ERROR)
def sys_native_deps(ctx: RuleContext) -> Iterator[Finding]:
    """A Python package that needs Debian packages which `packages.txt` does not list.

    Severity: error when pip has to compile the package and the build fails (`mysqlclient`, `psycopg2`,
    `pyaudio`, `dlib`, `GDAL`, `pygraphviz` below 2.0); warning when only the import or the first call fails
    (`pdf2image`, `pytesseract`, `pydub`, `selenium`, `pyzbar`, `python-magic`, ...); one level lower where the
    need is inferred from the package's own docs rather than seen on Cloud (`weasyprint`, `pycairo`,
    `cairosvg`, `Wand`). The table is `preflight/data/system_requirements.toml`.

    ## Why is this bad?
    Community Cloud installs Python packages into a virtualenv on a minimal Debian image. Packages without
    wheels are compiled and need C headers (`mysql_config not found`, `pg_config executable not found`,
    `portaudio.h: No such file or directory`); others call an executable or load a shared library at run time
    (`PDFInfoNotInstalledError: Unable to get page count. Is poppler installed and in PATH?`,
    `TesseractNotFoundError`). Only Debian packages listed in the root `packages.txt` are installed.

    ## Example
    `requirements.txt` with `mysqlclient`, and no `packages.txt`.

    ## Fix
    Add the Debian packages to `packages.txt` at the repository root, one per line (for `mysqlclient`:
    `build-essential`, `pkg-config`, `default-libmysqlclient-dev`), or switch to the pure-Python or
    binary alternative named in the message (`pymysql`, `psycopg2-binary`, `pymupdf`, ...).

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/app-dependencies
    - https://github.com/streamlit/streamlit/issues/10590
    """
    newest: tuple[str, data.PackageNames] | None = None
    for app in ctx.apps:
        for need in app_needs(ctx.project, app):
            if need.rule != "native":
                continue
            req = need.req
            pkg = req.raw_name or req.name
            if newest is None:  # the lists are loaded only when an app needs a native package
                releases = _releases()
                newest = releases[-1] if releases else ("", data.PackageNames([]))
            gone = [a for a in need.apt if newest[0] and a not in newest[1]]
            alt = f"; or use {need.alternative}" if need.alternative else ""
            unread = _unread_hint(ctx, need)
            if gone and len(gone) == len(need.apt):
                yield ctx.finding(
                    f"{pkg} needs {', '.join(need.apt)}, which Debian {newest[0]} (the newest Community Cloud "
                    f"image) no longer ships: {need.fails}.{unread}",
                    req.path, req.line, severity=need.severity, app=app,
                    fix=f"Replace {pkg}" + (f" with {need.alternative}." if need.alternative else
                                            " with a package that needs no system binary."))
                continue
            yield ctx.finding(
                f"{pkg} needs system packages that Community Cloud does not install by default "
                f"({', '.join(need.apt)}): {need.fails}.{unread}",
                req.path, req.line, severity=need.severity, app=app,
                fix=f"Add {', '.join(need.apt)} to packages.txt at the repository root, one per line{alt}.")


@rule("CP408", "apt-unneeded", Severity.NOTE)
def apt_unneeded(ctx: RuleContext) -> Iterator[Finding]:
    """An empty `packages.txt`.

    ## Why is this bad?
    When `packages.txt` exists, Community Cloud runs an apt-get step on every build, even with nothing to
    install. That step has failed on its own (an expired `bullseye-security` Release file, a changed Debian
    codename), stopping deploys of apps that need no system package at all.

    ## Example
    A zero-byte `packages.txt` left over from a template.

    ## Fix
    Delete `packages.txt` until the app needs a Debian package.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/app-dependencies
    - https://github.com/streamlit/streamlit/issues/6838
    """
    project = ctx.project
    if not project.exists(PACKAGES_TXT):
        return
    text = project.text(PACKAGES_TXT)
    if text is None or text.binary or text.text.replace("\ufeff", "").strip():
        return
    yield ctx.finding("packages.txt is empty, but Community Cloud still runs an apt-get step for it on every "
                      "build; removing it removes a failure point.", PACKAGES_TXT,
                      fix="Delete packages.txt until the app needs a Debian package.")


# --------------------------------------------------------------------------------------------------- code


RUNNERS = frozenset({"os.system", "os.popen", "subprocess.run", "subprocess.call", "subprocess.check_call",
                     "subprocess.check_output", "subprocess.Popen", "subprocess.getoutput",
                     "subprocess.getstatusoutput"})
_INSTALLERS = RUNNERS | {"pip.main", "pip._internal.main", "pip._internal.cli.main.main"}
APT_PROGRAMS = frozenset({"apt-get", "apt", "aptitude", "dpkg"})
APT_ACTIONS = frozenset({"install", "reinstall", "update", "upgrade", "dist-upgrade", "full-upgrade", "build-dep",
                         "-i", "--install"})
PIP_PROGRAMS = frozenset({"pip", "pip3", "conda", "mamba", "micromamba"})
_PLACEHOLDER = "{…}"


def _string_of(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else _PLACEHOLDER
                       for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _string_of(node.left), _string_of(node.right)
        if left is not None or right is not None:
            return (left if left is not None else _PLACEHOLDER) + (right if right is not None else _PLACEHOLDER)
    return None


def _shown(node: ast.expr) -> str:
    """The command as the source writes it, expressions in braces."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str)
                       else "{" + ast.unparse(v.value if isinstance(v, ast.FormattedValue) else v) + "}"
                       for v in node.values)
    if isinstance(node, (ast.List, ast.Tuple)):
        return " ".join(_shown(e) for e in node.elts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _shown(node.left) + _shown(node.right)
    return "{" + ast.unparse(node) + "}"


def _command_words(node: ast.expr) -> tuple[str, list[list[str]]] | None:
    """(command as written, [words of each shell command]) for a string or an argv list."""
    if isinstance(node, (ast.List, ast.Tuple)):
        words = [_string_of(e) or _PLACEHOLDER for e in node.elts]
        if not any(w != _PLACEHOLDER for w in words):
            return None
        return _shown(node), [words]
    text = _string_of(node)
    if text is None:
        return None
    shown = _shown(node)
    try:
        tokens = shlex.split(text, posix=True)
    except ValueError:
        tokens = [t.strip("\"'") for t in text.split()]
    commands: list[list[str]] = [[]]
    for token in tokens:
        if token in ("&&", "||", ";", "|", "&"):
            commands.append([])
        elif token.endswith(";") and len(token) > 1:
            commands[-1].append(token[:-1])
            commands.append([])
        else:
            commands[-1].append(token)
    return shown, [c for c in commands if c]


def _installs(words: list[str]) -> tuple[str, list[str]] | None:
    """("apt" | "sudo" | "sudo-pip" | "pip", package names) when the command installs software (or uses sudo)."""
    while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
        words = words[1:]  # VAR=value prefixes
    sudo = bool(words) and posixpath.basename(words[0]) == "sudo"
    if sudo:
        words = [w for w in words[1:] if not w.startswith("-")] or words[1:]
    if not words:
        return ("sudo", []) if sudo else None
    program = posixpath.basename(words[0])
    rest = words[1:]
    if program in APT_PROGRAMS and any(w in APT_ACTIONS for w in rest):
        return "apt", _after(rest, APT_ACTIONS)
    pip_like = program in PIP_PROGRAMS or (program == "uv" and rest[:1] == ["pip"]) or (
        "-m" in rest and rest[rest.index("-m") + 1: rest.index("-m") + 2] == ["pip"])
    if pip_like and "install" in rest:
        return ("sudo-pip" if sudo else "pip"), _after(rest, {"install"})
    if sudo:
        return "sudo", []
    return None


def _after(words: list[str], actions: set[str] | frozenset[str]) -> list[str]:
    """Package names after the first action word (options, placeholders and requirement files dropped)."""
    start = next((i for i, w in enumerate(words) if w in actions), len(words))
    return [w for w in words[start + 1:] if not w.startswith("-") and _PLACEHOLDER not in w
            and not w.endswith((".txt", ".in")) and w not in actions]


@rule("CP409", "apt-at-runtime", Severity.ERROR)
def apt_at_runtime(ctx: RuleContext) -> Iterator[Finding]:
    """App code installs software while it runs (`apt-get`, `sudo`, `pip install` in a subprocess).

    Severity: error for `apt-get`/`apt`/`dpkg` installs and anything run with `sudo`, which cannot work on
    Cloud; warning for `pip`/`conda install`, which may work but is undone on every restart.

    ## Why is this bad?
    The app runs as an unprivileged user without sudo: `subprocess.run(["apt-get", "install", "-y",
    "ffmpeg"])` fails with "Permission denied" and `sudo` asks for a password nobody knows. Packages that a
    run-time `pip install` adds vanish when the app restarts or sleeps, slow down the first page load and
    may land in a different Python than the app's virtualenv.

    ## Example
    ```python
    os.system("apt-get install -y ffmpeg")
    subprocess.run(["pip", "install", "openai-whisper"])
    ```

    ## Fix
    List Debian packages in `packages.txt` at the repository root and Python packages in the dependency
    file; remove the install calls.

    ## References
    - https://github.com/streamlit/streamlit/issues/10590
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/app-dependencies
    """
    for app in ctx.apps:
        winner = app.winner.path if app.winner else "requirements.txt"
        for module in app.modules:
            for call, name in calls(ctx.project, module.path, _INSTALLERS):
                if name in ("pip.main", "pip._internal.main", "pip._internal.cli.main.main") and call.args:
                    parsed = _command_words(call.args[0])
                    if parsed and parsed[1] and parsed[1][0][:1] == ["install"]:
                        parsed = (parsed[0], [["pip", *parsed[1][0]]])
                    else:
                        continue
                elif name in RUNNERS and call.args:
                    parsed = _command_words(call.args[0])
                else:
                    continue
                if parsed is None:
                    continue
                shown, commands = parsed
                found = [f for words in commands if (f := _installs(words)) is not None]
                if not found:
                    continue
                kinds = {kind for kind, _ in found}
                packages = list(dict.fromkeys(p for _, names in found for p in names))
                listed = ", ".join(packages[:5])
                column = ctx.project.char_column(module.path, call.lineno, call.col_offset + 1)
                where = (module.path, call.lineno, column)
                if "apt" in kinds:
                    yield ctx.finding(
                        f"\"{_clip(shown)}\" installs system packages while the app runs; on Community Cloud this "
                        f"fails (no root or sudo: \"Permission denied\"), and anything installed would vanish on "
                        f"restart.", *where, app=app,
                        fix=f"List {listed or 'the Debian packages'} in packages.txt at the repository root (one per "
                            f"line) and remove this call.")
                elif kinds & {"sudo", "sudo-pip"}:
                    yield ctx.finding(
                        f"\"{_clip(shown)}\" runs sudo while the app runs; Community Cloud runs the app as an "
                        f"unprivileged user without sudo, so this fails.", *where, app=app,
                        fix=f"Declare {listed or 'the packages'} in {winner} and remove this call."
                        if "sudo-pip" in kinds
                        else "Remove sudo; write only where the app's user may (the repository folder, /tmp).")
                else:
                    yield ctx.finding(
                        f"\"{_clip(shown)}\" installs Python packages while the app runs; on Community Cloud they "
                        f"vanish on every restart, slow the first run and may land outside the app's virtualenv.",
                        *where, severity=Severity.WARNING, app=app,
                        fix=f"Declare {listed or 'the packages'} in {winner} and remove this call.")


WIDGETS = "st.button, st.text_input and other widgets"
# import -> (severity, what it needs, what to use instead)
GUI_IMPORTS = {
    "pyautogui": (Severity.ERROR, "a display (importing it fails with \"KeyError: 'DISPLAY'\")", WIDGETS),
    "pynput": (Severity.ERROR, "a display (importing it fails without an X server)", WIDGETS),
    "keyboard": (Severity.WARNING, "a local keyboard and root access", WIDGETS),
    "mouse": (Severity.WARNING, "a local mouse and root access", WIDGETS),
    "tkinter": (Severity.WARNING, "a display (tkinter.Tk() fails with \"no display name and no $DISPLAY "
                                  "environment variable\")", "st.file_uploader, st.download_button and other widgets"),
    "Tkinter": (Severity.WARNING, "a display", "st.file_uploader, st.download_button and other widgets"),
    "playsound": (Severity.WARNING, "speakers on the server", "st.audio"),
    "webview": (Severity.WARNING, "a display", "st.link_button or st.iframe"),
}
QT_PACKAGES = frozenset({"PyQt5", "PyQt6", "PySide2", "PySide6"})
# call -> (label, what it needs, what to use instead)
GUI_CALLS = {
    "cv2.imshow": ("cv2.imshow", "a display", "st.image"),
    "cv2.VideoCapture": ("cv2.VideoCapture(<camera index>)", "a camera attached to the server", "st.camera_input"),
    "webbrowser.open": ("webbrowser.open", "a browser on the server", "st.link_button"),
    "webbrowser.open_new": ("webbrowser.open_new", "a browser on the server", "st.link_button"),
    "webbrowser.open_new_tab": ("webbrowser.open_new_tab", "a browser on the server", "st.link_button"),
    "pygame.display.set_mode": ("pygame.display.set_mode", "a display", "st.image for the rendered frames"),
    "matplotlib.pyplot.show": ("plt.show()", "a display", "st.pyplot(fig)"),
}


@rule("CP410", "sys-desktop-gui", Severity.WARNING)
def sys_desktop_gui(ctx: RuleContext) -> Iterator[Finding]:
    """Code that needs a local display, keyboard, camera or speakers, which a Cloud server does not have.

    Severity: error for unguarded `pyautogui` and `pynput` imports, which fail at import time without a
    display; warning for `tkinter`, `keyboard`, `mouse`, `playsound`, `pywebview`, Qt widgets,
    `cv2.imshow`, `cv2.VideoCapture(0)`, `webbrowser.open`, `pygame.display.set_mode` and `plt.show()`
    (the last only in an app that never calls `st.pyplot`).

    ## Why is this bad?
    Community Cloud runs the app on a headless Linux server. There is no screen, keyboard, mouse, camera or
    speaker there, and the users are in a browser elsewhere: `import pyautogui` raises
    `KeyError: 'DISPLAY'`, `tkinter.Tk()` raises "no display name and no $DISPLAY environment variable",
    `cv2.VideoCapture(0)` finds no camera, and `webbrowser.open` or `plt.show()` silently do nothing.

    ## Example
    ```python
    from tkinter import filedialog
    path = filedialog.askopenfilename()
    ```

    ## Fix
    Use Streamlit's browser-side widgets: `st.file_uploader`, `st.camera_input`, `st.audio_input`,
    `st.image`, `st.pyplot`, `st.download_button`, `st.link_button`.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/status-and-limitations
    """
    for app in ctx.apps:
        roots = [app.dir, ""] if app.dir else [""]
        uses_st_pyplot = any("streamlit.pyplot" in call_names(ctx.project, m.path) for m in app.modules)
        for module in app.modules:
            root = "" if module.root_only else app.dir
            seen: set[tuple[int, str]] = set()
            for ref in imports_of(ctx.project, module.path, root):
                if ref.guard or ref.level or not ref.module:
                    continue
                top = ref.top
                qt_widgets = top in QT_PACKAGES and (ref.module.endswith(".QtWidgets")
                                                     or "QtWidgets" in ref.names or "QApplication" in ref.names)
                if top not in GUI_IMPORTS and not qt_widgets:
                    continue
                if resolve_module(ctx.project, top, roots) is not None or (ref.line, top) in seen:
                    continue
                seen.add((ref.line, top))
                severity, need, suggestion = GUI_IMPORTS.get(top, (Severity.WARNING, "a display", WIDGETS))
                label = f"{top}.QtWidgets" if qt_widgets else top
                yield ctx.finding(
                    f"{label} needs {need}. Community Cloud is a headless Linux server, so it fails or does nothing "
                    f"for your users.",
                    module.path, ref.line, ref.column, severity=severity, app=app,
                    fix=f"Replace {label} with {suggestion}.")
            for call, name in calls(ctx.project, module.path, GUI_CALLS):
                if name not in GUI_CALLS:
                    continue
                if name == "cv2.VideoCapture" and not (
                        call.args and isinstance(call.args[0], ast.Constant) and type(call.args[0].value) is int):
                    continue
                if name == "matplotlib.pyplot.show" and uses_st_pyplot:
                    continue
                label, need, suggestion = GUI_CALLS[name]
                yield ctx.finding(
                    f"{label} needs {need}. Community Cloud is a headless Linux server, so it fails or does nothing "
                    f"for your users.",
                    module.path, call.lineno, ctx.project.char_column(module.path, call.lineno, call.col_offset + 1),
                    app=app,
                    fix=f"Replace {label} with {suggestion}.")


RULES = (apt_location, apt_format, apt_encoding, apt_unknown_package, apt_python_package, sys_opencv_gui,
         sys_native_deps, apt_unneeded, apt_at_runtime, sys_desktop_gui)
