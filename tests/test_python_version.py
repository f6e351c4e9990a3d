"""Unit tests for checks/python_version.py: the date-dependent cases (CLOUD_PREFLIGHT_TODAY pins the day) and
the version-file readers. Fixture goldens cover only cases whose outcome does not change with the calendar."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from checks import python_version as pv
from preflight import pythons
from tests.conftest import run_cli

APP = 'import streamlit as st\n\nst.title("x")\n'


def make_repo(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def check(root: Path, *args: str) -> tuple[int, str]:
    code, out, err = run_cli([str(root), "--no-git", "--color", "never", "--select", "CP50", *args])
    assert "internal error" not in err, err
    return code, out


def lines_with(out: str, code: str) -> list[str]:
    return [line for line in out.splitlines() if f" {code} " in line]


# --------------------------------------------------------------------------- today()


def test_today_default(monkeypatch):
    monkeypatch.delenv(pythons.TODAY_ENV, raising=False)
    assert pv.today() == date.today()


def test_today_from_environment(monkeypatch):
    monkeypatch.setenv(pythons.TODAY_ENV, "2026-08-22")
    assert pv.today() == date(2026, 8, 22)


def test_today_ignores_invalid_value(monkeypatch):
    monkeypatch.setenv(pythons.TODAY_ENV, "next tuesday")
    assert pv.today() == date.today()


# --------------------------------------------------------------------------- status by date


def test_offered_on_research_date():
    assert pv.offered(date(2026, 8, 22)) == ["3.10", "3.11", "3.12", "3.13", "3.14"]


def test_offered_after_310_eol_and_315_release():
    assert pv.offered(date(2026, 11, 22)) == ["3.11", "3.12", "3.13", "3.14", "3.15"]


@pytest.mark.parametrize(("minor", "on", "kind"), [
    ("3.10", date(2026, 8, 1), "near-eol"),
    ("3.10", date(2026, 6, 1), None),
    ("3.10", date(2026, 10, 1), "eol"),
    ("3.8", date(2026, 8, 22), "eol"),
    ("2.7", date(2026, 8, 22), "eol"),
    ("3.15", date(2026, 8, 22), "prerelease"),
    ("3.15", date(2026, 11, 22), None),
    ("3.16", date(2026, 11, 22), "prerelease"),
    ("3.99", date(2026, 8, 22), "unknown"),
    ("3.14", date(2026, 8, 22), None),
])
def test_version_status(minor, on, kind):
    status = pv.version_status(minor, on)
    assert (status.kind if status else None) == kind


def test_near_eol_text_names_the_date():
    status = pv.version_status("3.10", date(2026, 8, 1))
    assert status is not None
    assert "2026-10-01" in status.text and "61 days" in status.text


# --------------------------------------------------------------------------- ranges


@pytest.mark.parametrize(("spec", "minor", "expected"), [
    (">=3.11", "3.14", True),
    (">=3.11,<3.13", "3.13", False),
    ("==3.12.*", "3.12", True),
    ("==3.12.4", "3.12", True),
    ("==3.12.4", "3.13", False),
    ("~=3.12.0", "3.13", False),
    ("<3.12.5", "3.12", True),
])
def test_allows(spec, minor, expected):
    assert pv.allows(SpecifierSet(spec), minor) is expected


@pytest.mark.parametrize(("spec", "expected"), [
    ("==3.12.*", "3.12"),
    ("~=3.11.2", "3.11"),
    (">=3.11,<3.12", "3.11"),
    (">=3.11", None),
    ("<3.0", None),
])
def test_pinned_minor(spec, expected):
    assert pv.pinned_minor(SpecifierSet(spec)) == expected


# --------------------------------------------------------------------------- readers (via the CLI)


@pytest.mark.parametrize(("name", "text", "version"), [
    ("runtime.txt", "python-3.13.1\n", "3.13"),
    ("runtime.txt", "\n# comment\nPython-3.13\n", "3.13"),
    ("runtime.txt", "3.13\n", "3.13"),
    (".python-version", "cpython-3.13.1-linux-x86_64-gnu\n", "3.13"),
    (".python-version", "3.13t\n", "3.13"),
    (".python-version", "3.14.0rc1\n", "3.14"),
    (".tool-versions", "python 3.13.2\n", "3.13"),
])
def test_readers_find_the_version(tmp_path, monkeypatch, name, text, version):
    monkeypatch.setenv(pythons.TODAY_ENV, "2026-08-22")
    repo = make_repo(tmp_path, {"app.py": APP, "requirements.txt": "streamlit==1.50.0\n", name: text})
    _, out = check(repo, "--python-version", "3.12")
    found = lines_with(out, "CP501")
    assert len(found) == 1 and f"asks for Python {version}" in found[0], out


@pytest.mark.parametrize(("name", "text"), [
    ("runtime.txt", "ruby-3.2\n"),
    (".python-version", "pypy3.10\n"),
    (".python-version", "system\n"),
    (".python-version", "miniconda3-latest\n"),
    (".tool-versions", "nodejs 20.1.0\n"),
    ("Pipfile", "[requires]\npython_version = 3.9\n"),  # a float, not a string
    ("Pipfile", 'requires = "3.9"\n'),
    ("Pipfile", "[requires\n"),  # invalid TOML: CP001's business
    ("environment.yml", "dependencies:\n  - python>=3.9\n"),
    ("environment.yml", "dependencies: python=3.9\n"),
    ("environment.yml", "- just a list\n"),
    ("pyproject.toml", "[project]\nrequires-python = 3.9\n"),
    ("pyproject.toml", '[project]\nrequires-python = "three"\n'),
    ("pyproject.toml", 'project = "x"\n'),
])
def test_readers_ignore_odd_input(tmp_path, monkeypatch, name, text):
    monkeypatch.setenv(pythons.TODAY_ENV, "2026-08-22")
    repo = make_repo(tmp_path, {"app.py": APP, "requirements.txt": "streamlit==1.50.0\n", name: text})
    _, out = check(repo)
    assert not lines_with(out, "CP501") and not lines_with(out, "CP502"), out


def test_environment_yml_forms(tmp_path, monkeypatch):
    monkeypatch.setenv(pythons.TODAY_ENV, "2026-08-22")
    repo = make_repo(tmp_path, {"app.py": APP, "environment.yml":
                                "dependencies:\n  - python==3.9.13=h123_0\n  - streamlit==1.40.0\n"})
    _, out = check(repo)
    assert "environment.yml:2" in out and "asks for Python 3.9" in out and " CP502 " in out


# --------------------------------------------------------------------------- CP502 over time


def test_near_eol_is_a_warning(tmp_path, monkeypatch):
    monkeypatch.setenv(pythons.TODAY_ENV, "2026-08-01")
    repo = make_repo(tmp_path, {"app.py": APP, "requirements.txt": "streamlit==1.50.0\n",
                                "runtime.txt": "python-3.10.14\n"})
    _, out = check(repo)
    found = lines_with(out, "CP502")
    assert len(found) == 1 and "warning" in found[0] and "reaches end-of-life on 2026-10-01" in found[0]


def test_same_file_after_eol(tmp_path, monkeypatch):
    monkeypatch.setenv(pythons.TODAY_ENV, "2026-10-02")
    repo = make_repo(tmp_path, {"app.py": APP, "requirements.txt": "streamlit==1.50.0\n",
                                "runtime.txt": "python-3.10.14\n"})
    _, out = check(repo)
    found = lines_with(out, "CP502")
    assert len(found) == 1 and "end-of-life since 2026-10-01" in found[0]
    assert not lines_with(out, "CP501")


def test_configured_prerelease_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv(pythons.TODAY_ENV, "2026-08-22")
    repo = make_repo(tmp_path, {"app.py": APP, "requirements.txt": "streamlit==1.50.0\n",
                                ".github/cloud-preflight.toml": 'python-version = "3.15"\n'})
    code, out = check(repo)
    found = lines_with(out, "CP502")
    assert len(found) == 1 and "error" in found[0] and "not released yet" in found[0], out
    assert ".github/cloud-preflight.toml" in out
    assert code == 1


def test_configured_prerelease_is_fine_once_released(tmp_path, monkeypatch):
    monkeypatch.setenv(pythons.TODAY_ENV, "2026-11-22")
    repo = make_repo(tmp_path, {"app.py": APP, "requirements.txt": "streamlit==1.50.0\n",
                                ".github/cloud-preflight.toml": 'python-version = "3.15"\n'})
    _, out = check(repo)
    assert not lines_with(out, "CP502"), out


def test_cli_value_overrides_file_location(tmp_path, monkeypatch):
    monkeypatch.setenv(pythons.TODAY_ENV, "2026-08-22")
    repo = make_repo(tmp_path, {"app.py": APP, "requirements.txt": "streamlit==1.50.0\n",
                                ".github/cloud-preflight.toml": 'python-version = "3.13"\n'})
    _, out = check(repo, "--python-version", "3.8")
    found = lines_with(out, "CP502")
    assert len(found) == 1 and "--python-version is 3.8" in found[0], out


# --------------------------------------------------------------------------- Cloud's Python


def test_unoffered_configured_version_falls_back_to_default(tmp_path, monkeypatch):
    monkeypatch.setenv(pythons.TODAY_ENV, "2026-11-22")
    repo = make_repo(tmp_path, {"app.py": APP + "import imghdr\n", "requirements.txt": "streamlit==1.50.0\n"})
    _, out = check(repo, "--python-version", "3.10")
    assert "Python 3.14 (Cloud's default)" in "".join(lines_with(out, "CP505")), out


def test_removed_in_313_not_reported_on_312(tmp_path, monkeypatch):
    monkeypatch.setenv(pythons.TODAY_ENV, "2026-08-22")
    repo = make_repo(tmp_path, {"app.py": APP + "import imghdr\nimport imp\n",
                                "requirements.txt": "streamlit==1.50.0\n"})
    _, out = check(repo, "--python-version", "3.12")
    found = lines_with(out, "CP505")
    assert len(found) == 1 and '"imp"' in found[0] and "your python-version setting" in found[0], out


def test_removed_stdlib_on_311_is_quiet(tmp_path, monkeypatch):
    monkeypatch.setenv(pythons.TODAY_ENV, "2026-08-22")
    repo = make_repo(tmp_path, {"app.py": APP + "import imghdr\nimport imp\nimport distutils\n",
                                "requirements.txt": "streamlit==1.50.0\n"})
    _, out = check(repo, "--python-version", "3.11")
    assert not lines_with(out, "CP505"), out


def test_removed_stdlib_only_in_reached_code(tmp_path, monkeypatch):
    monkeypatch.setenv(pythons.TODAY_ENV, "2026-08-22")
    repo = make_repo(tmp_path, {"app.py": APP, "requirements.txt": "streamlit==1.50.0\n",
                                "notebooks/old.py": "import imghdr\n"})
    _, out = check(repo, "--entrypoint", "app.py")
    assert not lines_with(out, "CP505"), out


# --------------------------------------------------------------------------- uv


def test_uv_range_excluding_every_offered_version(tmp_path, monkeypatch):
    monkeypatch.setenv(pythons.TODAY_ENV, "2026-08-22")
    repo = make_repo(tmp_path, {
        "app.py": APP,
        "pyproject.toml": '[project]\nname = "x"\nversion = "0"\nrequires-python = "<3.9"\n',
        "uv.lock": 'version = 1\nrequires-python = "<3.9"\n',
    })
    _, out = check(repo)
    assert len(lines_with(out, "CP503")) == 1
    assert "No Python that Cloud offers (3.10, 3.11, 3.12, 3.13, 3.14)" in out, out


def test_uv_range_from_lock_when_pyproject_has_none(tmp_path, monkeypatch):
    monkeypatch.setenv(pythons.TODAY_ENV, "2026-08-22")
    repo = make_repo(tmp_path, {
        "app.py": APP,
        "pyproject.toml": '[project]\nname = "x"\nversion = "0"\n',
        "uv.lock": 'version = 1\nrequires-python = ">=3.10, <3.12"\n',
    })
    _, out = check(repo, "--python-version", "3.13")
    found = lines_with(out, "CP503")
    assert len(found) == 1 and "your python-version setting" in found[0], out
    assert "uv.lock\n" in out and "deploy with Python 3.11 instead" in out


def test_uv_configured_version_inside_range_is_quiet(tmp_path, monkeypatch):
    monkeypatch.setenv(pythons.TODAY_ENV, "2026-08-22")
    repo = make_repo(tmp_path, {
        "app.py": APP,
        "pyproject.toml": '[project]\nname = "x"\nversion = "0"\nrequires-python = ">=3.11,<3.13"\n',
        "uv.lock": 'version = 1\nrequires-python = ">=3.11, <3.13"\n',
        ".python-version": "3.12\n",
    })
    _, out = check(repo, "--python-version", "3.12")
    assert not lines_with(out, "CP503") and not lines_with(out, "CP501"), out
