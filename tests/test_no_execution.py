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
]


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
    (repo / "evil.pth").write_text(f"import pathlib; pathlib.Path({str(markers / 'executed-pth')!r}).write_text('x')\n")
    (repo / "requirements.txt").write_text("streamlit==1.50.0\n-e .\npyyaml\n")
    (repo / "pyproject.toml").write_text('[build-system]\nrequires=["setuptools"]\n[project]\nname="evil"\n')
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
