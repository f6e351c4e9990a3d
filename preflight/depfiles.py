"""Dependency files: which one Cloud uses, and what it declares.

Community Cloud looks in the entrypoint's folder first, then the repository root; in each place the first of
``uv.lock``, ``Pipfile``, ``environment.yml``, ``requirements.txt``, ``pyproject.toml`` wins and only that file is
installed. Every parser here turns a file into :class:`Requirement` rows with the line they came from; a line
that cannot be understood becomes a row of kind ``invalid``, never an exception.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as PackagingRequirement
from packaging.specifiers import InvalidSpecifier
from packaging.utils import canonicalize_name

if TYPE_CHECKING:
    from preflight.project import Project

DEP_FILES = ("uv.lock", "Pipfile", "environment.yml", "requirements.txt", "pyproject.toml")
MANAGERS = {
    "uv.lock": "uv-sync",
    "Pipfile": "pipenv",
    "environment.yml": "conda",
    "requirements.txt": "uv",
    "pyproject.toml": "poetry",
}
MAX_INCLUDE_DEPTH = 10


@dataclass(frozen=True)
class Requirement:
    """One declared dependency (or option line) with where it was written.

    ``kind`` is one of: ``name`` (a plain PEP 508 name with optional specifier), ``url`` (``name @ url`` or a
    bare URL, VCS included), ``path`` (a local path or ``file:`` URL), ``editable`` (``-e ...``), ``include``
    (``-r``), ``constraint`` (``-c``), ``option`` (``--index-url`` and friends), ``conda`` (a conda spec in
    environment.yml), ``python`` (a Python-version declaration) and ``invalid``.
    """

    kind: str
    path: str
    line: int | None
    text: str
    name: str = ""  # canonical distribution name ("" when there is none)
    raw_name: str = ""
    specifier: str = ""
    marker: str | None = None
    extras: tuple[str, ...] = ()
    url: str | None = None
    section: str = "main"  # "main", or e.g. "dev-packages", "group:dev", "extra:docs"
    error: str | None = None

    @property
    def is_runtime(self) -> bool:
        """Installed by Cloud's default install (not a dev group or optional extra)."""
        return self.section == "main"


@dataclass
class DependencyFile:
    """A parsed dependency file (with its ``-r`` includes for requirements.txt)."""

    path: str
    requirements: list[Requirement] = field(default_factory=list)
    # (including file, line, target as written, resolved repo path or None when it is a URL)
    includes: list[tuple[str, int, str, str | None]] = field(default_factory=list)
    python: str | None = None  # a Python version/specifier the file declares, if any

    @property
    def filename(self) -> str:
        return posixpath.basename(self.path)

    @property
    def manager(self) -> str:
        return MANAGERS.get(self.filename, "?")

    def named(self, *, runtime_only: bool = True) -> list[Requirement]:
        return [r for r in self.requirements if r.name and (r.is_runtime or not runtime_only)]

    def find(self, name: str, *, runtime_only: bool = True) -> Requirement | None:
        wanted = canonicalize_name(name)
        for req in self.named(runtime_only=runtime_only):
            if req.name == wanted:
                return req
        return None


def candidates(project: Project, entry_dir: str) -> list[str]:
    """Recognised dependency files Cloud would consider for an entrypoint in ``entry_dir``, winner first."""
    out: list[str] = []
    folders = [entry_dir, ""] if entry_dir else [""]
    for folder in folders:
        for name in DEP_FILES:
            path = posixpath.join(folder, name) if folder else name
            if project.exists(path) and path not in out:
                out.append(path)
    return out


# --------------------------------------------------------------------------- requirements.txt

_OPTION_WITH_VALUE = {
    "-r": "include", "--requirement": "include",
    "-c": "constraint", "--constraint": "constraint",
    "-e": "editable", "--editable": "editable",
    "-i": "option", "--index-url": "option", "--extra-index-url": "option", "-f": "option",
    "--find-links": "option", "--trusted-host": "option", "--no-binary": "option", "--only-binary": "option",
    "--platform": "option", "--python-version": "option", "--implementation": "option", "--abi": "option",
}
_URL_RE = re.compile(r"^(git\+|hg\+|svn\+|bzr\+)?[a-zA-Z][a-zA-Z0-9+.-]*://")
_PATHLIKE_RE = re.compile(r"^(\.{1,2}(/|\\|\[|$)|/|~|[A-Za-z]:[\\/]|file:)")
_NAMED_REFERENCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@")


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Join backslash continuations and strip comments, keeping the first physical line number."""
    out: list[tuple[int, str]] = []
    buf = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not buf:
            start = number
        line = raw
        if line.lstrip().startswith("#"):
            line = ""
        else:
            line = re.sub(r"(^|\s)#.*$", "", line)
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        if buf.strip():
            out.append((start, buf.strip()))
        buf = ""
    if buf.strip():
        out.append((start, buf.strip()))
    return out


def parse_requirement_line(text: str, path: str, line: int | None, section: str = "main") -> Requirement:
    """Classify one logical requirements.txt line (without comment)."""
    head, _, rest = text.partition(" ")
    if "=" in head and head.startswith("--"):
        head, _, value = head.partition("=")
        rest = (value + " " + rest).strip()
    if head in _OPTION_WITH_VALUE:
        kind = _OPTION_WITH_VALUE[head]
        value = rest.strip().split(" ", 1)[0] if rest.strip() else ""
        if kind == "editable":
            return _requirement_from_target(value, path, line, text, section, editable=True)
        return Requirement(kind, path, line, text, url=value or None, section=section,
                           error=None if value else f"{head} needs a value")
    if head.startswith("-"):
        return Requirement("option", path, line, text, section=section)
    # Per-requirement options (--hash=..., --config-settings) follow the requirement.
    spec = re.split(r"\s+--?[a-zA-Z]", " " + text)[0].strip() if " -" in text else text
    return _requirement_from_target(spec, path, line, text, section)


def _requirement_from_target(spec: str, path: str, line: int | None, text: str, section: str,
                             editable: bool = False) -> Requirement:
    kind = "editable" if editable else None
    if _URL_RE.match(spec) and "@" not in spec.split("://", 1)[0]:
        egg = re.search(r"#egg=([A-Za-z0-9._-]+)", spec)
        name = canonicalize_name(egg.group(1)) if egg else ""
        if _PATHLIKE_RE.match(spec):
            return Requirement(kind or "path", path, line, text, name=name, url=spec, section=section)
        return Requirement(kind or "url", path, line, text, name=name, raw_name=egg.group(1) if egg else "",
                           url=spec, section=section)
    if _PATHLIKE_RE.match(spec) or (spec.endswith((".whl", ".tar.gz", ".zip")) and "/" in spec
                                    and not _NAMED_REFERENCE_RE.match(spec)):
        return Requirement(kind or "path", path, line, text, url=spec, section=section)
    try:
        parsed = PackagingRequirement(spec)
    except (InvalidRequirement, InvalidSpecifier) as exc:  # packaging raises either for a bad specifier
        return Requirement("invalid", path, line, text, section=section, error=str(exc).splitlines()[0])
    url = parsed.url
    if url is not None:
        kind = kind or ("path" if url.startswith("file:") or _PATHLIKE_RE.match(url) else "url")
    return Requirement(
        kind or "name", path, line, text,
        name=canonicalize_name(parsed.name), raw_name=parsed.name, specifier=str(parsed.specifier),
        marker=str(parsed.marker) if parsed.marker else None, extras=tuple(sorted(parsed.extras)), url=url,
        section=section,
    )


def parse_requirements_txt(project: Project, path: str, _seen: frozenset[str] = frozenset(),
                           _depth: int = 0) -> DependencyFile:
    result = DependencyFile(path)
    text = project.text(path)
    if text is None:
        return result
    for number, logical in _logical_lines(text.text):
        req = parse_requirement_line(logical, path, number)
        result.requirements.append(req)
        if req.kind in ("include", "constraint") and req.url:
            target = req.url
            if _URL_RE.match(target):
                result.includes.append((path, number, target, None))
                continue
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target.replace("\\", "/")))
            result.includes.append((path, number, target, resolved))
            if (req.kind == "include" and project.exists(resolved) and resolved not in _seen
                    and _depth < MAX_INCLUDE_DEPTH):
                child = parse_requirements_txt(project, resolved, _seen | {path}, _depth + 1)
                result.requirements.extend(child.requirements)
                result.includes.extend(child.includes)
    return result


# --------------------------------------------------------------------------- TOML-based files


def key_line(text: str, key: str, section: str | None = None) -> int | None:
    """1-based line where ``key = ...`` (or ``"key" = ...``) is written, optionally inside ``[section]``."""
    in_section = section is None
    key_re = re.compile(r'^\s*["\']?' + re.escape(key) + r'["\']?\s*=', re.IGNORECASE)
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if section is not None and stripped.startswith("["):
            in_section = stripped.strip("[] ").replace('"', "").replace("'", "") == section
            continue
        if in_section and key_re.match(line):
            return number
    return None


def string_line(text: str, needle: str, start: int = 1) -> int | None:
    """1-based line (from ``start``) of the first line that contains ``needle`` inside quotes or as a list item."""
    for number, line in enumerate(text.splitlines()[start - 1:], start=start):
        if needle in line:
            return number
    return None


def poetry_to_pep440(spec: str) -> str:
    """Poetry constraint -> PEP 440 specifier: ``^1.2`` -> ``>=1.2,<2.0``, ``~1.2`` -> ``>=1.2,<1.3``,
    bare ``1.2.3`` -> ``==1.2.3``, ``*`` -> ''. Constraints with ``||`` are returned unchanged."""
    spec = spec.strip()
    if spec in ("", "*") or "||" in spec or "|" in spec:
        return "" if spec in ("", "*") else spec
    out = []
    for part in re.split(r"\s*,\s*|\s+(?=[<>=!~^])", spec):
        part = part.strip()
        match = re.fullmatch(r"([\^~])\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?(.*)", part)
        if match and not part.startswith("~="):
            op, major, minor, patch, _rest = match.groups()
            lower = ".".join(x for x in (major, minor, patch) if x is not None)
            if op == "^":
                if int(major) > 0 or minor is None:
                    upper = f"{int(major) + 1}.0"
                elif int(minor) > 0 or patch is None:
                    upper = f"0.{int(minor) + 1}"
                else:
                    upper = f"0.0.{int(patch) + 1}"
            else:
                upper = f"{major}.{int(minor) + 1}" if minor is not None else f"{int(major) + 1}.0"
            out += [f">={lower}", f"<{upper}"]
        elif re.fullmatch(r"\d+(\.\d+)*(\.\*)?([a-z]+\d*)?", part):
            out.append(f"=={part}")
        elif part:
            out.append(part)
    return ",".join(out)


def _pipfile_version(text: str) -> str:
    """Pipfile version: ``*`` is any version, and pipenv reads a bare ``1.9.2`` as ``==1.9.2``."""
    text = text.strip()
    if text in ("*", ""):
        return ""
    if re.fullmatch(r"\d+(\.\d+)*(\.\*)?", text):
        return f"=={text}"
    return text


_PEP508_MARKER_KEYS = ("os_name", "sys_platform", "platform_machine", "platform_system", "platform_release",
                       "python_version", "python_full_version", "implementation_name")


def _pipfile_spec(name: str, value: Any, poetry: bool = False) -> tuple[str, str | None, str | None, tuple[str, ...]]:
    """(specifier, url, marker, extras) from a Pipfile/Poetry value."""
    if isinstance(value, dict) and isinstance(value.get("version"), str):
        version = value["version"]
        value = {**value, "version": poetry_to_pep440(version) if poetry else _pipfile_version(version)}
    if isinstance(value, str):
        if poetry:
            return (poetry_to_pep440(value), None, None, ())
        return (_pipfile_version(value), None, None, ())
    if isinstance(value, dict):
        url = None
        for key in ("git", "path", "url", "file"):
            if isinstance(value.get(key), str):
                url = value[key] if key != "git" else "git+" + value[key]
        version = value.get("version", "")
        markers = [value["markers"]] if isinstance(value.get("markers"), str) else []
        for key in _PEP508_MARKER_KEYS:  # Pipfile: sys_platform = "== 'win32'"
            if isinstance(value.get(key), str) and not (poetry and key == "python"):
                markers.append(f"{key} {value[key]}")
        if poetry and isinstance(value.get("platform"), str):
            markers.append(f"sys_platform == {value['platform']!r}")
        if poetry and isinstance(value.get("python"), str):
            python = poetry_to_pep440(value["python"])
            markers += [f"python_version {m[:2] if m[1] in '=<>' else m[:1]} {m.lstrip('<>=!~')!r}"
                        for m in python.split(",") if m and m[0] in "<>=!~"]
        marker = " and ".join(f"({m})" if len(markers) > 1 else m for m in markers) or None
        extras = tuple(str(e) for e in value.get("extras", []) if isinstance(e, str)) \
            if isinstance(value.get("extras"), list) else ()
        return ("" if not isinstance(version, str) or version.strip() == "*" else version.strip(), url, marker, extras)
    if isinstance(value, list):  # Poetry multiple-constraint dependencies
        return ("", None, None, ())
    return ("", None, None, ())


def _mapping_requirements(path: str, text: str, table: Any, section_name: str, section_label: str,
                          *, skip: tuple[str, ...] = (), poetry: bool = False) -> list[Requirement]:
    out: list[Requirement] = []
    if not isinstance(table, dict):
        return out
    for raw_name, value in table.items():
        if raw_name.lower() in skip:
            continue
        spec, url, marker, extras = _pipfile_spec(raw_name, value, poetry)
        line = key_line(text, raw_name, section_name)
        kind = "name" if url is None else ("path" if not url.startswith(("git+", "http")) else "url")
        section = section_label
        if poetry and isinstance(value, dict) and value.get("optional") is True and section == "main":
            section = "optional"  # installed only through an extra (poetry install -E ...)
        out.append(Requirement(kind, path, line, (text.splitlines()[line - 1].strip() if line else raw_name),
                               name=canonicalize_name(raw_name), raw_name=raw_name, specifier=spec,
                               marker=marker, extras=extras, url=url, section=section))
    return out


def parse_pipfile(project: Project, path: str) -> DependencyFile:
    result = DependencyFile(path)
    data = project.toml(path)
    text = project.text(path)
    if data is None or text is None:
        return result
    result.requirements += _mapping_requirements(path, text.text, data.get("packages"), "packages", "main")
    result.requirements += _mapping_requirements(path, text.text, data.get("dev-packages"), "dev-packages",
                                                 "dev-packages")
    requires = data.get("requires")
    if isinstance(requires, dict):
        version = requires.get("python_full_version") or requires.get("python_version")
        if isinstance(version, str):
            result.python = version
            line = key_line(text.text, "python_version", "requires") or key_line(text.text, "python_full_version")
            result.requirements.append(Requirement("python", path, line, f"python_version = {version}",
                                                   specifier=version))
    return result


def parse_pyproject(project: Project, path: str) -> DependencyFile:
    result = DependencyFile(path)
    data = project.toml(path)
    text = project.text(path)
    if data is None or text is None:
        return result
    body = text.text
    tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
    poetry = tool.get("poetry") if isinstance(tool.get("poetry"), dict) else None
    if poetry is not None:
        deps = poetry.get("dependencies")
        result.requirements += _mapping_requirements(path, body, deps, "tool.poetry.dependencies", "main",
                                                     skip=("python",), poetry=True)
        if isinstance(deps, dict) and isinstance(deps.get("python"), str):
            result.python = deps["python"]
        result.requirements += _mapping_requirements(path, body, poetry.get("dev-dependencies"),
                                                     "tool.poetry.dev-dependencies", "group:dev", poetry=True)
        groups = poetry.get("group") if isinstance(poetry.get("group"), dict) else {}
        for group, table in groups.items():
            if isinstance(table, dict):
                label = "main" if group == "main" else f"group:{group}"
                result.requirements += _mapping_requirements(
                    path, body, table.get("dependencies"), f"tool.poetry.group.{group}.dependencies", label,
                    poetry=True)
    proj = data.get("project") if isinstance(data.get("project"), dict) else None
    if proj is not None:
        if isinstance(proj.get("requires-python"), str) and result.python is None:
            result.python = proj["requires-python"]
        result.requirements += _pep508_list(path, body, proj.get("dependencies"), "main")
        optional = proj.get("optional-dependencies")
        if isinstance(optional, dict):
            for extra, items in optional.items():
                result.requirements += _pep508_list(path, body, items, f"extra:{extra}")
    groups = data.get("dependency-groups")
    if isinstance(groups, dict):
        uv = tool.get("uv") if isinstance(tool.get("uv"), dict) else {}
        default_groups = uv.get("default-groups", ["dev"])
        for group, items in groups.items():
            label = "main" if isinstance(default_groups, list) and group in default_groups else f"group:{group}"
            if default_groups == "all":
                label = "main"
            result.requirements += _pep508_list(path, body, items, label)
    return result


def _pep508_list(path: str, body: str, items: Any, section: str) -> list[Requirement]:
    out: list[Requirement] = []
    if not isinstance(items, list):
        return out
    cursor = 1
    for item in items:
        if not isinstance(item, str):
            continue  # {include-group = "..."} tables
        line = string_line(body, f'"{item}"', cursor) or string_line(body, f"'{item}'", cursor)
        if line:
            cursor = line
        out.append(_requirement_from_target(item.strip(), path, line, item, section))
    return out


def parse_uv_lock(project: Project, path: str) -> DependencyFile:
    """A uv.lock: every locked package is installed (default groups), pinned to its locked version."""
    result = DependencyFile(path)
    data = project.toml(path)
    text = project.text(path)
    if data is None or text is None:
        return result
    packages = data.get("package")
    if isinstance(data.get("requires-python"), str):
        result.python = data["requires-python"]
    if not isinstance(packages, list):
        return result
    lines = text.text.splitlines()
    name_lines = {}
    for number, line in enumerate(lines, start=1):
        match = re.match(r'^name = "([^"]+)"', line)
        if match and number > 1 and lines[number - 2].strip() == "[[package]]":
            name_lines.setdefault(match.group(1), number)
    for package in packages:
        if not isinstance(package, dict) or not isinstance(package.get("name"), str):
            continue
        source = package.get("source") if isinstance(package.get("source"), dict) else {}
        if "virtual" in source or "editable" in source:
            continue  # the project itself
        name = package["name"]
        version = package.get("version") if isinstance(package.get("version"), str) else ""
        line = name_lines.get(name)
        result.requirements.append(Requirement(
            "name", path, line, f"{name} {version}".strip(), name=canonicalize_name(name), raw_name=name,
            specifier=f"=={version}" if version else "", url=source.get("git") or source.get("url"),
        ))
    return result


# --------------------------------------------------------------------------- environment.yml


def list_item_line(text: str, item: str, start: int = 1) -> int | None:
    """1-based line (from ``start``) of the YAML list item ``- item`` (optionally quoted)."""
    pattern = re.compile(r"^\s*-\s*[\"']?" + re.escape(item.strip()) + r"[\"']?\s*(#.*)?$")
    for number, line in enumerate(text.splitlines()[start - 1:], start=start):
        if pattern.match(line):
            return number
    return string_line(text, item, start)


def parse_environment_yml(project: Project, path: str) -> DependencyFile:
    result = DependencyFile(path)
    data = project.yaml(path)
    text = project.text(path)
    if not isinstance(data, dict) or text is None:
        return result
    deps = data.get("dependencies")
    if not isinstance(deps, list):
        return result
    body = text.text
    cursor = next((n for n, ln in enumerate(body.splitlines(), start=1) if ln.startswith("dependencies")), 1)
    for item in deps:
        if isinstance(item, str):
            line = list_item_line(body, item, cursor)
            cursor = line or cursor
            token = re.split(r"[=<>!~ \[]", item.strip(), maxsplit=1)[0]
            name = token.split("::", 1)[-1]
            spec = item.strip()[len(token):]
            if name.lower() == "python":
                result.python = spec.strip().lstrip("=") or None
                result.requirements.append(Requirement("python", path, line, item, specifier=result.python or ""))
                continue
            result.requirements.append(Requirement("conda", path, line, item, name=canonicalize_name(name),
                                                   raw_name=name, specifier=conda_to_pep440(spec)))
        elif isinstance(item, dict) and isinstance(item.get("pip"), list):
            for pip_item in item["pip"]:
                if not isinstance(pip_item, str):
                    continue
                line = list_item_line(body, pip_item, cursor)
                cursor = line or cursor
                result.requirements.append(parse_requirement_line(pip_item.strip(), path, line))
    return result


def conda_to_pep440(spec: str) -> str:
    """Conda match spec version part -> PEP 440: ``=1.5`` -> ``==1.5.*``, ``==1.5`` stays, ``>=1,<2`` stays.
    A build string (``=1.5=py311_0``) is dropped; anything unreadable is returned stripped."""
    spec = spec.strip().replace(" ", "")
    if not spec:
        return ""
    if spec.startswith("=") and not spec.startswith("=="):
        version = spec[1:].split("=", 1)[0]
        return f"=={version}" if version.endswith("*") else f"=={version}.*"
    if spec.startswith("==") and spec.count("=") > 2:
        return "==" + spec[2:].split("=", 1)[0]
    return spec


PARSERS = {
    "requirements.txt": parse_requirements_txt,
    "Pipfile": parse_pipfile,
    "pyproject.toml": parse_pyproject,
    "uv.lock": parse_uv_lock,
    "environment.yml": parse_environment_yml,
}


def parse_dependency_file(project: Project, path: str) -> DependencyFile:
    """Parse any recognised dependency file (cached on the project)."""
    cache: dict[str, DependencyFile] = project.__dict__.setdefault("_depfile_cache", {})
    if path not in cache:
        parser = PARSERS.get(posixpath.basename(path), parse_requirements_txt)
        cache[path] = parser(project, path)
    return cache[path]
