"""The checked repository is data: none of its code may run, in-process or in a fresh interpreter.

Every canary below writes a marker file when executed. After a full check (all rules, every format) no
marker may exist. The repo is built to look attractive to a careless implementation: the entrypoint and the
modules it imports, pages, setup.py, conftest.py, sitecustomize.py/usercustomize.py, a .pth file, and
packages named like ours (checks/, preflight/) that would shadow cloud-preflight if the working directory
were on sys.path.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

CANARY_FILES = [
    "streamlit_app.py", "helpers.py", "pages/1_Page.py", "setup.py", "conftest.py", "sitecustomize.py",
    "usercustomize.py", "checks/__init__.py", "preflight/__init__.py", "preflight/cli.py", "yaml.py",
    "packaging/__init__.py", "pathspec/__init__.py", "tomllib.py",
    # in subfolders, where a tool that puts a folder on sys.path (or runs pytest there) would pick them up
    "app/sitecustomize.py", "app/usercustomize.py", "app/conftest.py", "tests/conftest.py", "app/__main__.py",
    "pages/__init__.py", "streamlit/__init__.py", "github/__init__.py", "noxfile.py", "docs/conf.py",
    # the in-tree build backend pyproject.toml names: pip would import it to build `-e .`
    "backend/evil_backend.py",
]
PTH_FILES = ["evil.pth", "app/evil.pth", "lib/python3.11/site-packages/evil.pth", "pages/evil.pth"]


def canary(marker_dir: Path, name: str) -> str:
    marker = marker_dir / ("executed-" + name.replace("/", "_"))
    return f"import pathlib\npathlib.Path({str(marker)!r}).write_text('ran')\n"


@pytest.fixture
def hostile_repo(tmp_path: Path) -> tuple[Path, Path]:
    repo, markers = tmp_path / "repo", tmp_path / "markers"
    markers.mkdir()
    for name in CANARY_FILES:
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        body = canary(markers, name)
        if name == "streamlit_app.py":
            body = "import streamlit as st\nimport helpers\nimport yaml\n" + body + "st.image('logo.png')\n"
        path.write_text(body)
    for name in PTH_FILES:  # a .pth line that starts with "import" is executed by site.py
        marker = markers / ("executed-" + name.replace("/", "_"))
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(f"import pathlib; pathlib.Path({str(marker)!r}).write_text('x')\n")
    (repo / "requirements.txt").write_text("streamlit==1.50.0\n-e .\npyyaml\n")
    (repo / "pyproject.toml").write_text('[build-system]\nrequires = []\nbuild-backend = "evil_backend"\n'
                                         'backend-path = ["backend"]\n[project]\nname = "evil"\nversion = "1"\n')
    return repo, markers


FORMATS = ["text", "json", "sarif", "markdown", "github"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_in_process_run_executes_nothing(hostile_repo, fmt):
    repo, markers = hostile_repo
    code, out, err = run_cli([str(repo), "--no-git", "--format", fmt])
    assert code in (0, 1), err
    assert "internal error" not in err
    assert sorted(p.name for p in markers.iterdir()) == []


def test_fresh_interpreter_in_the_repo_executes_nothing(hostile_repo):
    """As a developer runs it: a new Python started inside the checked repository."""
    repo, markers = hostile_repo
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-P", "-m", "preflight", ".", "--no-git", "--format", "json"],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    assert '"findings"' in proc.stdout
    assert sorted(p.name for p in markers.iterdir()) == []


def test_canaries_would_be_detected(hostile_repo):
    """Control: executing one canary really writes its marker, so the tests above can fail."""
    repo, markers = hostile_repo
    subprocess.run([sys.executable, str(repo / "helpers.py")], check=True, timeout=60)
    assert [p.name for p in markers.iterdir()] == ["executed-helpers.py"]


def test_the_action_executes_nothing(hostile_repo, tmp_path, monkeypatch):
    """entrypoint.py on the canary repository (a push: no API call), SARIF included."""
    from tests.action_harness import run_action, webhook

    repo, markers = hostile_repo
    run = run_action(tmp_path, monkeypatch, workspace=repo, event="push", payload=webhook("push"),
                     inputs={"sarif-file": "out.sarif", "guard": "off"})
    assert run.code in (0, 1), run.stdout[-2000:]
    assert sorted(p.name for p in markers.iterdir()) == []


def test_every_kind_of_canary_would_be_detected(hostile_repo):
    """Control: a .pth file, a build backend and a sitecustomize really run when Python is given the chance."""
    repo, markers = hostile_repo
    site_dir = repo / "app"
    code = f"import site; site.addsitedir({str(site_dir)!r})"
    subprocess.run([sys.executable, "-S", "-c", code], check=True, timeout=60)
    subprocess.run([sys.executable, "-c", "import evil_backend"], cwd=repo / "backend", check=True, timeout=60)
    subprocess.run([sys.executable, "-c", "import sitecustomize"], cwd=site_dir, check=True, timeout=60,
                   env={**os.environ, "PYTHONPATH": str(site_dir)})
    ran = sorted(p.name for p in markers.iterdir())
    assert {"executed-app_evil.pth", "executed-backend_evil_backend.py", "executed-app_sitecustomize.py"} <= set(ran)
