"""Fuzz targets for the parsers that read the checked repository: requirements files, TOML, YAML and
packages.txt. Each takes the bytes of one file and must never raise; it checks what the parser returns, then runs
every rule over a tiny in-memory repository holding that file (no rule may crash, no annotation may carry a line
break the runner would split on).

Shared by tests/test_fuzz_parsers.py (hypothesis, bounded, in CI) and tests/fuzz/run_fuzz.py (atheris,
coverage-guided, as long as you like). The seed corpus is tests/fuzz/corpus/<target>/.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from preflight.project import MAX_PARSE_BYTES, Project

CORPUS = Path(__file__).resolve().parent / "corpus"
APP = b"import streamlit as st\nimport pandas, yaml, cv2\nst.title('fuzz')\n"
KINDS = {"name", "url", "path", "editable", "include", "constraint", "option", "conda", "python", "invalid"}


class MemoryProject(Project):
    """A Project whose files live in a dict: the same decoding, parsing and caching, no disk."""

    def __init__(self, files: dict[str, bytes]):
        super().__init__("/nonexistent-cloud-preflight-fuzz", use_git=False)
        self._memory = files
        self.__dict__["files"] = tuple(sorted(files))

    def read_bytes(self, path: str, limit: int = MAX_PARSE_BYTES) -> bytes | None:
        data = self._memory.get(path)
        if data is None or len(data) > limit:
            return None
        return data

    def size(self, path: str) -> int | None:
        data = self._memory.get(path)
        return None if data is None else len(data)


def run_rules(files: dict[str, bytes]) -> None:
    """Every rule over the in-memory repository: none may crash; annotations stay one line each."""
    from checks import ALL_RULES, DEFAULT_OFF
    from preflight.cli import build_report
    from preflight.config import Config
    from preflight.engine import run
    from preflight.report import github, text

    config = Config()
    result = run(MemoryProject(files), ALL_RULES, config, DEFAULT_OFF)
    assert not result.internal_errors, result.internal_errors[0]
    report = build_report(result, config)
    for line in github.render(report).splitlines():
        assert line.startswith(("::error ", "::warning ", "::notice ")), line
    assert "\r" not in text.render(report)


def _line_count(project: Project, path: str) -> int:
    decoded = project.text(path)
    return len(decoded.text.splitlines()) if decoded is not None else 0


def requirements(data: bytes) -> None:
    from packaging.utils import canonicalize_name

    from preflight.depfiles import parse_dependency_file, parse_requirements_txt

    files = {"streamlit_app.py": APP, "requirements.txt": data, "other.txt": b"-r requirements.txt\nnumpy\n"}
    project = MemoryProject(files)
    parsed = parse_requirements_txt(project, "requirements.txt")
    lines = {path: _line_count(project, path) for path in files}
    for req in parsed.requirements:
        assert req.kind in KINDS, req
        assert req.path in files and req.line is not None and 1 <= req.line <= lines[req.path], req
        if req.name:
            assert req.name == canonicalize_name(req.name), req
        if req.kind == "name":
            assert req.name, req
    for including, line, _target, _resolved in parsed.includes:
        assert including in files and line >= 1  # (a resolved path outside the repository is never read)
    assert parse_dependency_file(project, "requirements.txt").requirements == parsed.requirements
    run_rules(files)


def toml(data: bytes) -> None:
    import tomllib

    from preflight.config import ConfigError, parse_config
    from preflight.depfiles import parse_pipfile, parse_pyproject, parse_uv_lock

    files = {"streamlit_app.py": APP, ".streamlit/config.toml": data, "Pipfile": data, "pyproject.toml": data,
             "sub/app.py": APP, "sub/uv.lock": data, "sub/pyproject.toml": data}
    project = MemoryProject(files)
    table = project.toml("Pipfile")
    decoded = project.text("Pipfile")
    try:
        expected = tomllib.loads(decoded.text) if decoded is not None else None
    except (tomllib.TOMLDecodeError, RecursionError):
        expected = None
    assert table == expected  # the project reads TOML exactly as tomllib does, or reports an error
    error = project.parse_errors.get("Pipfile")
    assert (error is None) == (table is not None or decoded is None), error
    if error is not None and error.line is not None:
        assert 1 <= error.line <= max(1, len(decoded.text.splitlines()) + 1), error
    parse_pipfile(project, "Pipfile")
    parse_pyproject(project, "pyproject.toml")
    parse_uv_lock(project, "sub/uv.lock")
    if isinstance(table, dict):
        for candidate in (table, table.get("tool", {}).get("cloud-preflight") if isinstance(table.get("tool"), dict)
                          else None):
            if isinstance(candidate, dict):
                try:
                    parse_config(candidate, "fuzz")
                except ConfigError as exc:
                    assert "\n" not in str(exc)
    run_rules(files)


def yaml(data: bytes) -> None:
    from preflight.depfiles import parse_environment_yml

    files = {"streamlit_app.py": APP, "environment.yml": data}
    project = MemoryProject(files)
    project.yaml("environment.yml")
    error = project.parse_errors.get("environment.yml")
    if error is not None and error.line is not None:
        assert error.line >= 1, error
    for req in parse_environment_yml(project, "environment.yml").requirements:
        assert req.kind in KINDS, req
    run_rules(files)


def packages(data: bytes) -> None:
    from checks.system_packages import DEBIAN_NAME_RE, apt_lines

    files = {"streamlit_app.py": APP, "requirements.txt": b"streamlit\nopencv-python\n", "packages.txt": data}
    project = MemoryProject(files)
    lines = apt_lines(project)
    assert lines is not None
    count = _line_count(project, "packages.txt")
    for apt in lines:
        assert 1 <= apt.line <= count, apt
        assert (apt.name is None) != (apt.problem is None), apt
        if apt.name is not None:
            assert DEBIAN_NAME_RE.match(apt.name.lower()) and not re.search(r"\s", apt.name), apt
    run_rules(files)


TARGETS: dict[str, Callable[[bytes], None]] = {"requirements": requirements, "toml": toml, "yaml": yaml,
                                               "packages": packages}


def seeds(target: str) -> list[bytes]:
    return [p.read_bytes() for p in sorted((CORPUS / target).iterdir()) if p.is_file()]
