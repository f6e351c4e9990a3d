"""Resource bounds: wall time and peak memory of the real command line (a subprocess, its peak RSS read with
``resource.getrusage(RUSAGE_CHILDREN)`` in a wrapper process of its own) on a 100,000-file repository, on files
too large to read and on Python written to exhaust memory; the per-file size limit's note in every output of the
Action.

The bounds asserted are generous (CI runs on 2 cores next to other jobs); the numbers measured are printed
(``pytest -s``) and stated in docs/reliability.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from preflight.project import MAX_PARSE_BYTES, PYTHON_MAX_TOKENS
from tests.conftest import ROOT
from tests.output_invariants import Case

MAX_SECONDS = 120
MAX_RSS_MB = 1024

BOUNDS = [
    Case("100,000 files, walked", "100,000 small files: an app with 20 pages, 100 apps in subfolders (each with "
         "its requirements.txt and a helper), 20,000 Python modules, 79,678 data files; `--no-git`",
         f"all listed and checked; bound asserted: under {MAX_SECONDS} s and {MAX_RSS_MB} MB peak RSS"),
    Case("100,000 files, from git", "the same repository committed, listed with `git ls-files`",
         f"the same; under {MAX_SECONDS} s and {MAX_RSS_MB} MB"),
    Case("files too large to read", "three sparse 50 MB files (requirements.txt, an imported module, data) and "
         "a 50 MB pyproject.toml", "never read (only stat): skipped with a note; under 300 MB peak RSS"),
    Case("Python that exhausts memory", "10 modules of 2 MB of `x=1` lines (an AST of about 650 MB each) and 20 "
         "modules of 100,000 tokens, all entrypoints", f"a module over {PYTHON_MAX_TOKENS:,} tokens is not "
         "parsed (skipped with a note); the 20 others are all checked, one tree at a time; "
         f"under {MAX_RSS_MB} MB (before: 13.5 GB and 33 s for 20 such 2 MB files)"),
    Case("2,000 entrypoints", "2,000 modules that import streamlit, in 2 folders", "each checked as an app; "
         "under 60 s"),
]

MEASURE = textwrap.dedent("""
    import json, resource, subprocess, sys, time
    started = time.monotonic()
    proc = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seconds = time.monotonic() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    sys.stderr.buffer.write(proc.stderr)
    sys.stdout.write(json.dumps({"code": proc.returncode, "seconds": seconds, "rss_mb": usage.ru_maxrss / 1024,
                                 "stdout": proc.stdout.decode("utf-8")}))
""")


def measure(*args: str) -> dict:
    """Run the command line on ``args`` in a fresh wrapper: exit code, wall seconds, peak RSS (MB), stdout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CLOUD_PREFLIGHT_TODAY": "2026-09-01"}
    proc = subprocess.run([sys.executable, "-c", MEASURE, sys.executable, "-P", "-m", "preflight", *args],
                          capture_output=True, text=True, env=env, timeout=MAX_SECONDS * 3)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["code"] in (0, 1), proc.stderr[-3000:]
    return result


def _write(root: Path, rel: str, body: str) -> None:
    with open(root / rel, "w", encoding="utf-8") as fh:
        fh.write(body)


def generate_100k(root: Path) -> int:
    """The 100,000-file repository (about 5 s on a local disk)."""
    for folder in ("pages", "lib", "apps"):
        (root / folder).mkdir(parents=True)
    _write(root, "streamlit_app.py", "import streamlit as st\nimport pandas as pd\nfrom lib.m00000 import x\n"
                                     "st.image('data/d000/f020000.csv')\n")
    _write(root, "requirements.txt", "streamlit==1.50.0\npandas\n")
    count = 2
    for i in range(20):
        _write(root, f"pages/{i}_page.py", f"import streamlit as st\nst.title('{i}')\n")
        count += 1
    for a in range(100):
        folder = f"apps/app_{a:03}"
        (root / folder).mkdir()
        _write(root, f"{folder}/streamlit_app.py", "import streamlit as st\nimport helper\nst.write(helper.X)\n")
        _write(root, f"{folder}/helper.py", "X = 1\n")
        _write(root, f"{folder}/requirements.txt", "streamlit\nnumpy\n")
        count += 3
    i = 0
    while count < 100_000:
        if i < 20_000:
            _write(root, f"lib/m{i:05}.py", f"x = {i}\n")
        else:
            folder = root / "data" / f"d{(i - 20_000) // 1000:03}"
            if (i - 20_000) % 1000 == 0:
                folder.mkdir(parents=True)
            _write(folder, f"f{i:06}.csv", "a,b\n1,2\n")
        i += 1
        count += 1
    return count


@pytest.fixture(scope="session")
def repo_100k(tmp_path_factory) -> Path:
    """Generated once per session and committed to git (so both listings can be measured)."""
    root = tmp_path_factory.mktemp("repo100k")
    assert generate_100k(root) == 100_000
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "-C", str(root)]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "100k"]):
        subprocess.run(git + args, check=True, capture_output=True, timeout=300)
    return root


@pytest.mark.parametrize("listing", ["walk", "git"])
def test_100k_files_time_and_memory(repo_100k, listing):
    args = [str(repo_100k), "--format", "json"] + (["--no-git"] if listing == "walk" else [])
    result = measure(*args)
    report = json.loads(result["stdout"])
    print(f"\n100,000 files ({listing}): {result['seconds']:.1f} s, {result['rss_mb']:.0f} MB peak RSS, "
          f"{len(report['entrypoints'])} entrypoints, {len(report['findings'])} findings")
    assert report["summary"]["files"] == 100_000
    assert len(report["entrypoints"]) == 101
    assert result["seconds"] < MAX_SECONDS and result["rss_mb"] < MAX_RSS_MB, result


def test_files_too_large_to_read(tmp_path):
    _write(tmp_path, "streamlit_app.py", "import streamlit as st\nimport big_module\n")
    for rel in ("requirements.txt", "big_module.py", "data.csv", "pyproject.toml"):
        with open(tmp_path / rel, "wb") as fh:
            fh.truncate(50 * 1024 * 1024)
    result = measure(str(tmp_path), "--no-git", "--format", "json")
    skipped = {s["path"]: s["reason"] for s in json.loads(result["stdout"])["skipped"]}
    print(f"\n50 MB files: {result['seconds']:.1f} s, {result['rss_mb']:.0f} MB peak RSS")
    for rel in ("requirements.txt", "big_module.py", "pyproject.toml"):
        assert skipped[rel] == f"larger than {MAX_PARSE_BYTES // (1024 * 1024)} MiB, not parsed"
    assert result["rss_mb"] < 300 and result["seconds"] < 60, result


def test_python_that_would_exhaust_memory(tmp_path):
    dense = "import streamlit as st\n" + "x=1\n" * (2 * 1024 * 1024 // 4 - 8)  # 1.5 million tokens
    medium = "import streamlit as st\n" + "x=1\n" * 33_000  # about 100,000 tokens
    for i in range(10):
        _write(tmp_path, f"dense_{i}.py", dense)
    for i in range(20):
        _write(tmp_path, f"medium_{i:02}.py", medium)
    result = measure(str(tmp_path), "--no-git", "--format", "json")
    skipped = {s["path"]: s["reason"] for s in json.loads(result["stdout"])["skipped"]}
    print(f"\nPython bombs: {result['seconds']:.1f} s, {result['rss_mb']:.0f} MB peak RSS, {len(skipped)} skipped")
    assert all("more than the 300,000 one module may have" in skipped[f"dense_{i}.py"] for i in range(10))
    # Each tree is dropped once its facts are extracted, so every module under the per-module limit is parsed
    # (2 million tokens in all) and memory still holds one tree per worker at a time.
    assert not [p for p in skipped if p.startswith("medium_")], skipped
    assert result["rss_mb"] < MAX_RSS_MB and result["seconds"] < MAX_SECONDS, result


def test_2000_entrypoints(tmp_path):
    for i in range(2000):
        folder = tmp_path / f"d{i // 1000}"
        folder.mkdir(exist_ok=True)
        _write(folder, f"app{i:04}.py", "import streamlit as st\nst.write(1)\n")
    result = measure(str(tmp_path), "--no-git", "--format", "json")
    print(f"\n2,000 entrypoints: {result['seconds']:.1f} s, {result['rss_mb']:.0f} MB peak RSS")
    assert len(json.loads(result["stdout"])["entrypoints"]) == 2000
    assert result["seconds"] < 60 and result["rss_mb"] < MAX_RSS_MB, result


def test_entrypoint_detection_is_linear(tmp_path, monkeypatch):
    """Counted, not timed: the substring searches detection makes grow with the files, not files x candidates
    (500 and 1,000 entrypoints; each file is also searched a fixed number of times by the facts' prefilters)."""
    from preflight import apps
    from preflight.project import Project

    def searches_for(n: int) -> int:
        folder = tmp_path / str(n)
        folder.mkdir()
        for i in range(n):
            _write(folder, f"app{i:04}.py", "import streamlit as st\nimport os\nst.write(1)\n")
        count = [0]

        class Counting(bytes):
            def __contains__(self, item):  # noqa: D105
                count[0] += 1
                return super().__contains__(item)

        project = Project(folder, use_git=False)
        original = project.read_bytes
        monkeypatch.setattr(project, "read_bytes", lambda path, *a, **k: (
            Counting(data) if (data := original(path, *a, **k)) is not None else None))
        assert len(apps.detect_entrypoints(project)) == n
        return count[0]

    small, large = searches_for(500), searches_for(1000)
    assert large <= 2.1 * small, f"{small:,} searches for 500 files, {large:,} for 1,000"
    assert large < 100 * 1000, f"{large:,} substring searches for 1,000 files"


def test_the_size_limit_note_reaches_every_action_output(tmp_path, monkeypatch):
    """A file over the limit is named in the log, an annotation, the job summary, the report JSON and SARIF."""
    from tests.action_harness import run_action, webhook, write_app

    workspace = write_app(tmp_path / "ws")
    with open(workspace / "requirements.txt", "wb") as fh:
        fh.truncate(MAX_PARSE_BYTES + 1)
    run = run_action(tmp_path, monkeypatch, workspace=workspace, event="push", payload=webhook("push"),
                     inputs={"sarif-file": "out.sarif", "guard": "off"})
    note = "larger than 2 MiB, not parsed"
    assert f"skipped requirements.txt: {note}" in run.stdout
    assert any(a.kind == "notice" and f"requirements.txt ({note})" in a.message for a in run.log.annotations)
    assert f"`requirements.txt`: {note}" in run.summary
    report = json.loads((workspace / run.outputs["report-json"]).read_text(encoding="utf-8"))
    assert {"path": "requirements.txt", "reason": note} in report["skipped"]
    sarif = json.loads((workspace / "out.sarif").read_text(encoding="utf-8"))
    notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["message"]["text"] for n in notes] == [f"requirements.txt was not checked: {note}"]
