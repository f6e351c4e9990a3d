"""--resolve (preflight/resolve.py, checks/resolution.py) against a local package index made by the tests.

Every package here is a tiny real wheel (or sdist) written by tests/resolve/index.py with chosen names, versions,
Python and platform tags, served over loopback HTTP as a PEP 503 simple index (UV_INDEX_URL, as a CI would set
it) or read from a folder in the checked repository (``--find-links``). uv itself runs; nothing leaves the
machine. Each finding fires on a case and stays silent on its near miss.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from preflight import cachedir, resolve
from tests.conftest import run_cli
from tests.resolve.index import Index, serve

pytestmark = pytest.mark.skipif(resolve.find_uv() is None, reason="uv is not installed (pip install -e .)")

CP311 = "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64"
CP314 = "cp314-cp314-manylinux_2_27_x86_64.manylinux_2_28_x86_64"
PYTHON = "3.14"


def _packages(index: Index) -> None:
    index.add("numpy", "1.24.4", tags=(CP311,), sdist=True)  # an old pin: wheels for 3.11 only
    index.add("numpy", "2.3.0", tags=(CP311, CP314))
    index.add("purepkg", "1.0", sdist=True)  # sdist only: built on Cloud without trouble
    index.add("winonly", "1.0", tags=("cp314-cp314-win_amd64",))
    index.add("newpy", "1.0", requires_python=">=3.8")
    index.add("newpy", "2.0", requires_python=">=3.15")  # dropped the Python Cloud runs
    index.add("oldpy", "1.0", requires_python=">=3.8,<3.12")  # capped below it
    index.add("oldpy", "2.0", requires_python=">=3.8")
    index.add("alpha", "1.0", requires=("beta<2",))
    index.add("beta", "1.5")
    index.add("beta", "2.0")
    index.add("yankme", "1.0", yanked="broken build")
    index.add("yankme", "1.1")
    index.add("majorpkg", "1.4")
    index.add("streamlit", "1.34.0", requires=("protobuf<5,>=3.20",))
    index.add("protobuf", "4.25.0")
    index.add("protobuf", "5.27.0")


@pytest.fixture(scope="module")
def index_url(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("index")
    index = Index(root)
    _packages(index)
    index.simple()
    with serve(root) as url:
        yield f"{url}/simple", index


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, index_url):
    """Only the test index: no developer's uv or pip settings."""
    for key in list(os.environ):
        if key.startswith(("UV_", "PIP_", cachedir.CACHE_DIR_ENV)):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("UV_INDEX_URL", index_url[0])
    monkeypatch.setenv("CLOUD_PREFLIGHT_TODAY", "2026-11-01")
    return index_url[1]


@pytest.fixture
def uv_calls(monkeypatch: pytest.MonkeyPatch):
    calls: list[list[str]] = []
    real = resolve.run_uv

    def counting(args, **kwargs):
        calls.append(list(args))
        return real(args, **kwargs)

    monkeypatch.setattr(resolve, "run_uv", counting)
    return calls


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    repo = tmp_path / "repo"
    for name, text in {"streamlit_app.py": "import streamlit as st\n", **files}.items():
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return repo


def _check(repo: Path, *extra: str, cache: Path | None = None) -> tuple[int, list[dict]]:
    args = [str(repo), "--no-git", "--resolve", "--python-version", PYTHON, "--format", "json", *extra]
    args += ["--cache-dir", str(cache)] if cache is not None else ["--no-cache"]
    code, out, err = run_cli(args)
    assert code in (0, 1), err
    return code, json.loads(out)["findings"]


def _codes(findings: list[dict], prefix: str = "CP36") -> list[tuple[str, str, int | None]]:
    return sorted((f["code"], f["path"], f["line"]) for f in findings if f["code"].startswith(prefix))


def _one(findings: list[dict], code: str) -> dict:
    found = [f for f in findings if f["code"] == code]
    assert len(found) == 1, [(f["code"], f["message"]) for f in findings]
    return found[0]


# -- CP360 no wheel -------------------------------------------------------------------------------------------
def test_no_wheel_names_the_newest_version_with_one(tmp_path, env):
    repo = _repo(tmp_path, {"requirements.txt": "streamlit==1.34.0\npurepkg==1.0\nnumpy==1.24.4\n"})
    _code, findings = _check(repo)
    assert _codes(findings) == [("CP360", "requirements.txt", 3)]
    message = _one(findings, "CP360")["message"]
    assert "numpy==1.24.4 has no wheel for Python 3.14" in message
    assert "x86-64 Linux wheels only for cp311" in message and "newest numpy with such a wheel is 2.3.0" in message


def test_no_wheel_near_miss_sdist_only_and_new_enough_pin(tmp_path, env):
    repo = _repo(tmp_path, {"requirements.txt": "streamlit==1.34.0\npurepkg==1.0\nnumpy==2.3.0\n"})
    assert _codes(_check(repo)[1]) == []


def test_no_wheel_for_the_platform_and_a_marker_that_skips_linux(tmp_path, env):
    repo = _repo(tmp_path, {"requirements.txt": "winonly==1.0\n"})
    message = _one(_check(repo)[1], "CP360")["message"]
    assert "wheels only for win" in message and "No winonly release has such a wheel" in message
    repo = _repo(tmp_path / "2", {"requirements.txt": 'winonly==1.0 ; sys_platform == "win32"\n'})
    assert _codes(_check(repo)[1]) == []


def test_requires_python_excludes_clouds_python(tmp_path, env):
    """uv judges a release's Requires-Python by its lower bound (it ignores upper bounds such as <3.12)."""
    repo = _repo(tmp_path, {"requirements.txt": "newpy==2.0\n"})
    message = _one(_check(repo)[1], "CP360")["message"]
    assert "requires Python >=3.15" in message
    assert "No newpy release from 2.0 on has a release for Python 3.14; the newest older one is 1.0" in message
    repo = _repo(tmp_path / "2", {"requirements.txt": "newpy>=1.0\n"})
    assert _codes(_check(repo)[1]) == []


def test_requires_python_upper_bound_of_a_pin(tmp_path, env):
    """uv itself ignores upper bounds; the pin is judged from the index's data-requires-python."""
    repo = _repo(tmp_path, {"requirements.txt": "oldpy==1.0\n"})
    message = _one(_check(repo)[1], "CP360")["message"]
    assert "oldpy==1.0 requires Python >=3.8,<3.12" in message and "newest oldpy" in message
    repo = _repo(tmp_path / "2", {"requirements.txt": "oldpy==2.0\n"})
    assert _codes(_check(repo)[1]) == []


def test_python_of_the_deploy_dialog_decides(tmp_path, env):
    repo = _repo(tmp_path, {"requirements.txt": "numpy==1.24.4\n"})
    code, out, err = run_cli([str(repo), "--no-git", "--resolve", "--python-version", "3.11", "--no-cache",
                              "--format", "json"])
    assert [f for f in json.loads(out)["findings"] if f["code"].startswith("CP36")] == [], err


# -- CP361 missing, not found, yanked -------------------------------------------------------------------------
def test_version_that_does_not_exist(tmp_path, env):
    repo = _repo(tmp_path, {"requirements.txt": "numpy==1.99\nnosuchpkg==1.0\n"})
    findings = _check(repo)[1]
    assert _codes(findings) == [("CP361", "requirements.txt", 1), ("CP361", "requirements.txt", 2)]
    messages = sorted(f["message"] for f in findings if f["code"] == "CP361")
    assert "has no package named nosuchpkg" in messages[0]
    assert "There is no numpy==1.99" in messages[1] and "2.3.0" in messages[1]


def test_yanked_pin_is_a_warning_and_the_next_release_is_silent(tmp_path, env):
    repo = _repo(tmp_path, {"requirements.txt": "yankme==1.0\n"})
    finding = _one(_check(repo)[1], "CP361")
    assert finding["severity"] == "warning" and "yankme 1.0 is yanked" in finding["message"]
    assert "broken build" in finding["message"]
    repo = _repo(tmp_path / "2", {"requirements.txt": "yankme==1.1\n"})
    assert _codes(_check(repo)[1]) == []


# -- CP362 conflicts ------------------------------------------------------------------------------------------
def test_conflict_names_both_pins_and_the_range(tmp_path, env):
    repo = _repo(tmp_path, {"requirements.txt": "alpha==1.0\nbeta==2.0\n"})
    finding = _one(_check(repo)[1], "CP362")
    assert (finding["path"], finding["line"]) == ("requirements.txt", 2)
    assert "beta==2.0 cannot be installed together with alpha==1.0 (requirements.txt:1)" in finding["message"]
    assert "alpha==1.0 requires beta<2" in finding["message"]
    repo = _repo(tmp_path / "2", {"requirements.txt": "alpha==1.0\nbeta==1.5\n"})
    assert _codes(_check(repo)[1]) == []


def test_streamlit_range_conflict_is_left_to_cp554(tmp_path, env):
    """The static rule knows streamlit 1.34.0's ranges: it reports the pin, the resolution stays silent there."""
    repo = _repo(tmp_path, {"requirements.txt": "streamlit==1.34.0\nprotobuf==5.27.0\n"})
    findings = _check(repo)[1]
    assert _codes(findings, "CP554") == [("CP554", "requirements.txt", 2)]
    assert _codes(findings) == []
    # With CP554 ignored, the resolution says it, with Streamlit's range (on Python 3.12, where CP557 does not
    # already judge streamlit 1.34.0).
    code, out, err = run_cli([str(repo), "--no-git", "--resolve", "--python-version", "3.12", "--no-cache",
                              "--format", "json", "--ignore", "CP554"])
    findings = json.loads(out)["findings"]
    message = _one(findings, "CP362")["message"]
    assert "streamlit==1.34.0 requires protobuf>=3.20,<5" in message


def test_streamlit_added_when_the_file_does_not_list_it(tmp_path, env):
    repo = _repo(tmp_path, {"requirements.txt": "protobuf==5.27.0\n"})
    findings = _check(repo, "--ignore", "CP554")[1]
    message = _one(findings, "CP362")["message"]
    assert "streamlit (Community Cloud installs it; requirements.txt does not list it)" in message


# -- file kinds -----------------------------------------------------------------------------------------------
def test_includes_constraints_and_markers(tmp_path, env):
    repo = _repo(tmp_path, {
        "requirements.txt": "-r base.txt\n-c constraints.txt\nwinonly==1.0; platform_system == 'Windows'\n",
        "base.txt": "numpy\n",
        "constraints.txt": "numpy==1.24.4\n",
    })
    assert _codes(_check(repo)[1]) == [("CP360", "constraints.txt", 1)]


def test_pipfile_lock_pins_are_reported_at_the_lock(tmp_path, env):
    lock = json.dumps({"_meta": {}, "default": {"numpy": {"version": "==1.24.4"},
                                                "streamlit": {"version": "==1.34.0"}}, "develop": {}}, indent=4)
    repo = _repo(tmp_path, {"Pipfile": '[packages]\nnumpy = "*"\nstreamlit = "==1.34.0"\n', "Pipfile.lock": lock})
    findings = _check(repo)[1]
    assert _codes(findings) == [("CP360", "Pipfile.lock", 4)]
    assert "numpy 1.24.4 (locked in Pipfile.lock)" in _one(findings, "CP360")["message"]
    # A stale lock (the Pipfile asks for what it does not lock) is locked again by pipenv: not used.
    stale = _repo(tmp_path / "stale", {"Pipfile": '[packages]\nnumpy = ">=2"\nstreamlit = "==1.34.0"\n',
                                       "Pipfile.lock": lock})
    assert _codes(_check(stale)[1]) == []


def test_poetry_pyproject(tmp_path, env):
    repo = _repo(tmp_path, {"pyproject.toml": '[tool.poetry]\nname = "app"\nversion = "0.1.0"\npackage-mode = false\n\n'
                                              '[tool.poetry.dependencies]\npython = "^3.11"\nnumpy = "1.24.4"\n'})
    assert _codes(_check(repo)[1]) == [("CP360", "pyproject.toml", 8)]


def test_uv_lock_versions_constrain_the_project(tmp_path, env):
    lock = ('version = 1\nrequires-python = ">=3.11"\n\n[[package]]\nname = "app"\nversion = "0.1.0"\n'
            'source = { virtual = "." }\n\n[[package]]\nname = "numpy"\nversion = "1.24.4"\n'
            'source = { registry = "https://example.invalid/simple" }\n')
    repo = _repo(tmp_path, {"pyproject.toml": '[project]\nname = "app"\nversion = "0.1.0"\ndependencies = ["numpy"]\n',
                            "uv.lock": lock})
    assert _codes(_check(repo)[1]) == [("CP360", "uv.lock", 10)]


def test_environment_yml_pip_section_uses_its_python(tmp_path, env):
    text = "name: app\ndependencies:\n  - python=3.11\n  - pip\n  - pip:\n    - numpy==1.24.4\n"
    repo = _repo(tmp_path, {"environment.yml": text})
    assert _codes(_check(repo)[1]) == []
    repo = _repo(tmp_path / "2", {"environment.yml": text.replace("python=3.11", "python=3.14")})
    assert _codes(_check(repo)[1]) == [("CP360", "environment.yml", 6)]


def test_find_links_folder_inside_the_repository(tmp_path, env, monkeypatch):
    """--no-index and --find-links ./wheels in the file: the index in UV_INDEX_URL is not used."""
    text = "--no-index\n--find-links ./wheels\nstreamlit==1.34.0\nnumpy==1.24.4\n"
    repo = _repo(tmp_path, {"requirements.txt": text})
    local = Index(repo / "wheels-src")
    local.add("numpy", "1.24.4", tags=(CP311,), sdist=True)
    local.add("numpy", "2.0.1", tags=(CP314,))
    local.add("streamlit", "1.34.0")
    (local.files).rename(repo / "wheels")
    monkeypatch.setenv("UV_INDEX_URL", "http://127.0.0.1:9/simple")  # would be unreachable
    findings = _check(repo)[1]
    assert _codes(findings) == [("CP360", "requirements.txt", 4)]
    assert "is 2.0.1" in _one(findings, "CP360")["message"]


# -- CP363 new major since the last good resolution -----------------------------------------------------------
def test_new_major_of_an_unpinned_package(tmp_path, env, monkeypatch):
    cache = tmp_path / "cache"
    repo = _repo(tmp_path, {"requirements.txt": "streamlit==1.34.0\nmajorpkg\n"})
    pinned = _repo(tmp_path / "pinned", {"requirements.txt": "streamlit==1.34.0\nmajorpkg<2\n"})
    assert _codes(_check(repo, cache=cache)[1]) == []  # the first good resolution: the baseline
    assert _codes(_check(pinned, cache=cache)[1]) == []
    env.add("majorpkg", "2.0")
    env.simple()
    try:
        later = resolve._now() + timedelta(hours=resolve.CACHE_HOURS + 1)  # the cached answer has expired
        shutil.rmtree(cache / "uv")  # and so has uv's copy of the index page, by then
        monkeypatch.setattr(resolve, "_now", lambda: later)
        finding = _one(_check(repo, cache=cache)[1], "CP363")
        assert (finding["path"], finding["line"], finding["severity"]) == ("requirements.txt", 2, "note")
        assert "majorpkg now resolves to 2.0" in finding["message"] and "had 1.4" in finding["message"]
        assert _codes(_check(pinned, cache=cache)[1]) == []  # near miss: capped below 2
        # The note stays until the file changes (then the new resolution is the baseline).
        assert _codes(_check(repo, cache=cache)[1]) == [("CP363", "requirements.txt", 2)]
    finally:
        for path in env.files.glob("majorpkg-2.0*"):
            path.unlink()
        env.simple()


# -- CP364 unavailable, time limit, cache ---------------------------------------------------------------------
def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_index_is_one_warning_and_the_rest_runs(tmp_path, env, monkeypatch):
    monkeypatch.setenv("UV_INDEX_URL", f"http://127.0.0.1:{_closed_port()}/simple")
    repo = _repo(tmp_path, {"requirements.txt": "os\nnumpy==1.24.4\n",
                            "other/streamlit_app.py": "import streamlit as st\n",
                            "other/requirements.txt": "pandas==1.5.3\n"})
    code, findings = _check(repo)
    assert _codes(findings) == [("CP364", "other/requirements.txt", None)] or \
        _codes(findings) == [("CP364", "requirements.txt", None)]
    warning = _one(findings, "CP364")
    assert warning["severity"] == "warning" and "could not be reached" in warning["message"]
    assert any(f["code"] == "CP301" for f in findings), "the static checks still ran"
    assert code == 1  # CP301 is an error; the warning alone would not fail the run


def test_uv_missing_is_one_warning(tmp_path, env, monkeypatch):
    monkeypatch.setattr(resolve, "find_uv", lambda: None)
    repo = _repo(tmp_path, {"requirements.txt": "numpy==1.24.4\n"})
    assert "uv is not installed" in _one(_check(repo)[1], "CP364")["message"]


def test_time_limit_is_respected(tmp_path, env, monkeypatch):
    """An index that accepts connections and never answers: the run ends at resolve-timeout, with one warning."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    monkeypatch.setenv("UV_INDEX_URL", f"http://127.0.0.1:{server.getsockname()[1]}/simple")
    try:
        repo = _repo(tmp_path, {"requirements.txt": "numpy==1.24.4\n"})
        start = time.monotonic()
        findings = _check(repo, "--resolve-timeout", "2")[1]
        elapsed = time.monotonic() - start
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in accepted:
            conn.close()
        server.close()
    assert elapsed < 6, elapsed
    assert "time limit" in _one(findings, "CP364")["message"]


def test_second_run_is_served_from_the_cache(tmp_path, env, uv_calls):
    cache = tmp_path / "cache"
    repo = _repo(tmp_path, {"requirements.txt": "streamlit==1.34.0\nnumpy==1.24.4\nalpha==1.0\nbeta==2.0\n"})
    first = _check(repo, cache=cache)[1]
    assert len(uv_calls) >= 2
    calls = len(uv_calls)
    second = _check(repo, cache=cache)[1]
    assert len(uv_calls) == calls, "uv ran again although the file did not change"
    assert _codes(first) == _codes(second) == [("CP360", "requirements.txt", 2), ("CP362", "requirements.txt", 4)]
    assert (cache / ".gitignore").read_text(encoding="utf-8").strip().endswith("*")
    # A changed file is resolved again.
    (repo / "requirements.txt").write_text("streamlit==1.34.0\nnumpy==2.3.0\n", encoding="utf-8")
    assert _codes(_check(repo, cache=cache)[1]) == []
    assert len(uv_calls) > calls


def test_cache_folder_from_the_environment(tmp_path, env, monkeypatch):
    cache = tmp_path / "ci-cache"
    monkeypatch.setenv(cachedir.CACHE_DIR_ENV, str(cache))
    repo = _repo(tmp_path, {"requirements.txt": "numpy==2.3.0\n"})
    code, out, err = run_cli([str(repo), "--no-git", "--resolve", "--python-version", PYTHON])
    assert code == 0, out + err
    assert list((cache / "resolve").glob("*.json")) and not (repo / cachedir.DEFAULT_CACHE_DIR).exists()


def test_without_resolve_uv_never_runs(tmp_path, env, uv_calls):
    repo = _repo(tmp_path, {"requirements.txt": "numpy==1.24.4\n"})
    code, out, _err = run_cli([str(repo), "--no-git", "--python-version", PYTHON, "--format", "json"])
    assert uv_calls == [] and _codes(json.loads(out)["findings"]) == []


def test_resolve_config_keys_are_validated(tmp_path):
    from preflight.config import ConfigError, parse_config

    assert parse_config({"resolve": True, "resolve-timeout": 30}, "t").resolve_timeout == 30.0
    for bad in ({"resolve": "yes"}, {"resolve-timeout": 0}, {"resolve-timeout": "60"}):
        with pytest.raises(ConfigError):
            parse_config(bad, "t")


def test_index_settings_from_pip_variables():
    env = resolve.uv_environment({"PIP_INDEX_URL": "https://user:secret@mirror.invalid/simple",
                                  "PIP_EXTRA_INDEX_URL": "https://extra.invalid/simple", "UV_CONSTRAINT": "x.txt",
                                  "PATH": "/usr/bin"})
    assert env["UV_INDEX_URL"] == "https://user:secret@mirror.invalid/simple"
    assert env["UV_EXTRA_INDEX_URL"] == "https://extra.invalid/simple" and "UV_CONSTRAINT" not in env
    assert resolve.index_description(env, []) == "https://***@mirror.invalid/simple"
    kept = resolve.uv_environment({"UV_INDEX_URL": "https://a.invalid/simple", "PIP_INDEX_URL": "https://b.invalid"})
    assert kept["UV_INDEX_URL"] == "https://a.invalid/simple"
