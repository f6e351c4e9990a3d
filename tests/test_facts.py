"""Per-module facts (preflight/facts.py): extracted once, the same from the cache, from workers and serially;
the cache is keyed by content, survives corruption, and a committed cache folder is never trusted."""

from __future__ import annotations

import json
import signal
import subprocess

import pytest

import checks  # noqa: F401 - registers every extractor
from preflight import facts
from preflight.cli import main
from preflight.project import Project

APP = "import streamlit as st\nimport pandas as pd\nfrom lib.helpers import load\nst.image('assets/a.png')\n"
PAGE = ("import streamlit as st\nimport cv2\nimport requests\n\nwith open('data/t.csv') as fh:\n"
        "    st.experimental_rerun()\n")


def _repo(root, pages: int = 3):
    (root / "lib").mkdir(parents=True)
    (root / "pages").mkdir()
    (root / "assets").mkdir()
    (root / "streamlit_app.py").write_text(APP)
    (root / "lib" / "__init__.py").write_text("")
    (root / "lib" / "helpers.py").write_text("import json\n\ndef load(x):\n    return json.dumps(x)\n")
    for i in range(pages):
        (root / "pages" / f"p{i:04}.py").write_text(PAGE + f"# page {i}\n")
    (root / "broken.py").write_text("print 'python 2'\n")
    (root / "requirements.txt").write_text("streamlit==1.40.0\npandas\n")
    return root


def _run(root, *args: str) -> tuple[int, dict]:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([str(root), "--no-git", "--format", "json", *args])
    report = json.loads(out.getvalue())
    report.pop("tool", None)
    return code, report


def test_cached_run_reports_exactly_what_a_fresh_run_reports(tmp_path):
    root = _repo(tmp_path / "repo")
    cache = tmp_path / "cache"
    fresh = _run(root, "--no-cache")
    first = _run(root, "--cache-dir", str(cache))
    files = list((cache / "facts").glob("facts-*.marshal"))
    assert len(files) == 1 and files[0].stat().st_size > 0
    second = _run(root, "--cache-dir", str(cache))
    assert fresh == first == second
    assert fresh[1]["findings"], "the repository has findings to compare"
    assert (cache / ".gitignore").read_text().strip().endswith("*") and (cache / "CACHEDIR.TAG").is_file()


def test_a_changed_file_is_extracted_again(tmp_path, monkeypatch):
    root = _repo(tmp_path / "repo")
    cache = tmp_path / "cache"
    _run(root, "--cache-dir", str(cache))
    extracted: list[str] = []
    real = facts.extract
    monkeypatch.setattr(facts, "extract", lambda path, data, families=None: (
        extracted.append(path), real(path, data, families))[1])
    (root / "pages" / "p0001.py").write_text(PAGE + "import scipy\n")
    code, report = _run(root, "--cache-dir", str(cache))
    assert extracted == ["pages/p0001.py"]
    assert any(f["code"] == "CP201" and "scipy" in f["message"] for f in report["findings"])


@pytest.mark.parametrize("garbage", [b"", b"\x00\x01 not marshal", b"\xfb" * 10_000])
def test_a_corrupt_cache_file_is_ignored_and_replaced(tmp_path, garbage):
    root = _repo(tmp_path / "repo")
    cache = tmp_path / "cache"
    fresh = _run(root, "--no-cache")
    _run(root, "--cache-dir", str(cache))
    (target,) = (cache / "facts").glob("facts-*.marshal")
    target.write_bytes(garbage)
    assert _run(root, "--cache-dir", str(cache)) == fresh
    import marshal

    assert len(marshal.loads(target.read_bytes())) == 7  # rewritten with every module's entry


def test_wrongly_shaped_cache_entries_are_not_used(tmp_path):
    """A cache file of the right name holding other shapes (a list, entries that are not family -> bytes)."""
    import marshal

    root = _repo(tmp_path / "repo")
    cache = tmp_path / "cache"
    fresh = _run(root, "--no-cache")
    _run(root, "--cache-dir", str(cache))
    (target,) = (cache / "facts").glob("facts-*.marshal")
    entries = marshal.loads(target.read_bytes())
    target.write_bytes(marshal.dumps({key: {"imports": 42} for key in entries}))
    assert _run(root, "--cache-dir", str(cache)) == fresh
    target.write_bytes(marshal.dumps([1, 2, 3]))
    assert _run(root, "--cache-dir", str(cache)) == fresh


def test_a_read_only_cache_folder_does_not_fail_the_run(tmp_path):
    root = _repo(tmp_path / "repo")
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "facts").write_text("a file where the folder should be")
    fresh = _run(root, "--no-cache")
    assert _run(root, "--cache-dir", str(cache)) == fresh


def test_a_cache_folder_the_repository_commits_is_never_read(tmp_path, monkeypatch):
    """A pull request could commit facts that hide its problems: a committed cache folder is not trusted."""
    root = _repo(tmp_path / "repo")
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    planted = root / ".cloud-preflight-cache" / "facts"
    planted.mkdir(parents=True)
    (planted / "facts-planted.marshal").write_bytes(b"planted")
    subprocess.run(["git", "init", "-q", str(root)], check=True, env=env)
    subprocess.run(["git", "-C", str(root), "add", "-A", "-f"], check=True, env=env)
    subprocess.run(["git", "-C", str(root), "commit", "-qm", "x"], check=True, env=env)
    project = Project(root)
    assert project._cache_is_committed(root / ".cloud-preflight-cache" / "facts")
    loaded: list = []
    monkeypatch.setattr(facts, "DiskCache", lambda folder: loaded.append(folder))
    project.prefetch_facts(root / ".cloud-preflight-cache" / "facts")
    assert loaded == [] and project.fact("streamlit_app.py", "imports")
    assert not Project(root)._cache_is_committed(tmp_path / "elsewhere")


def test_workers_extract_what_a_serial_run_extracts(tmp_path, monkeypatch):
    root = _repo(tmp_path / "repo", pages=facts.PARALLEL_MIN + 50)
    serial = Project(root, use_git=False)
    monkeypatch.setattr(facts, "workers", lambda: 1)
    serial.prefetch_facts(None)
    monkeypatch.setattr(facts, "workers", lambda: 2)
    calls: list[int] = []
    real_parallel = facts._parallel
    monkeypatch.setattr(facts, "_parallel", lambda project, paths, n: (
        calls.append(len(paths)), real_parallel(project, paths, n))[1])
    parallel = Project(root, use_git=False)
    parallel.prefetch_facts(None)
    assert calls and calls[0] >= facts.PARALLEL_MIN
    assert serial._facts == parallel._facts and len(parallel._facts) > facts.PARALLEL_MIN


def test_a_syntax_error_is_a_fact_and_reported_only_for_modules_an_app_runs(tmp_path):
    root = _repo(tmp_path / "repo")
    (root / "lib" / "helpers.py").write_text("def load(x)\n    return x\n")  # imported: reported
    code, report = _run(root, "--cache-dir", str(tmp_path / "cache"))
    broken = {f["path"] for f in report["findings"] if f["code"] == "CP001"}
    assert broken == {"lib/helpers.py"}  # broken.py is not imported by any app
    again = _run(root, "--cache-dir", str(tmp_path / "cache"))
    assert again == (code, report)


def test_an_extractor_that_crashes_is_reported_as_the_reading_rule_crashing(tmp_path, monkeypatch):
    root = _repo(tmp_path / "repo")

    def broken(path, tree, data):
        raise ValueError("boom")

    monkeypatch.setitem(facts.EXTRACTORS, "paths", broken)
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main([str(root), "--no-git", "--no-cache", "--format", "json"])
    assert code == 2
    assert "paths extractor on" in err.getvalue() and "ValueError: boom" in err.getvalue()


def _git(root, *args: str) -> None:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "HOME": str(root.parent), "PATH": "/usr/bin:/bin"}
    subprocess.run(["git", "-C", str(root), *args], check=True, env=env, capture_output=True)


def test_git_hashes_key_the_cache_and_work_tree_edits_are_seen(tmp_path, monkeypatch):
    """In a git work tree, committed files are keyed by git's blob hash (not read when cached); a file edited
    in the work tree (or staged) is read and keyed by its bytes."""
    root = _repo(tmp_path / "repo")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "x")
    cache = tmp_path / "cache"

    def run() -> dict:
        import contextlib
        import io

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            main([str(root), "--format", "json", "--cache-dir", str(cache)])
        return json.loads(out.getvalue())

    first = run()
    reads: list[str] = []  # files read while the facts are gathered
    prefetching = [False]
    real_read, real_prefetch = Project.read_bytes, Project.prefetch_facts

    def read(self, path, *a, **k):
        if prefetching[0]:
            reads.append(path)
        return real_read(self, path, *a, **k)

    def prefetch(self, *a, **k):
        prefetching[0] = True
        try:
            return real_prefetch(self, *a, **k)
        finally:
            prefetching[0] = False

    monkeypatch.setattr(Project, "read_bytes", read)
    monkeypatch.setattr(Project, "prefetch_facts", prefetch)
    assert run()["findings"] == first["findings"]
    assert reads == [], reads  # every module's facts found by git's blob hash: none read
    (root / "pages" / "p0001.py").write_text(PAGE + "import scipy\n")  # edited, not committed
    reads.clear()
    edited = run()
    assert "pages/p0001.py" in reads
    assert any(f["code"] == "CP201" and "scipy" in f["message"] for f in edited["findings"])
    _git(root, "add", "pages/p0001.py")  # staged: git's index hash is the new content
    assert run()["findings"] == edited["findings"]
    (root / "pages" / "p0001.py").write_text(PAGE)  # back as committed, index still staged
    assert not any("scipy" in f["message"] for f in run()["findings"])  # the work tree wins over the index


def test_no_process_pool_here_means_serial_extraction(tmp_path, monkeypatch):
    """Where a pool cannot be made (no /dev/shm in a container, no fork), the facts are extracted in-process."""
    import multiprocessing

    root = _repo(tmp_path / "repo", pages=facts.PARALLEL_MIN + 10)
    monkeypatch.setattr(facts, "workers", lambda: 2)

    def no_pool(method):
        raise OSError(38, "Function not implemented")

    monkeypatch.setattr(multiprocessing, "get_context", no_pool)
    project = Project(root, use_git=False)
    project.prefetch_facts(None)
    assert len(project._facts) == facts.PARALLEL_MIN + 10 + 4  # pages, app, helpers, __init__, broken.py
    assert project.fact("pages/p0003.py", "imports")[0][0] == "streamlit"


def test_a_worker_that_dies_does_not_hang_the_run(tmp_path, monkeypatch):
    """A worker killed mid-way (the kernel's OOM killer, say) makes the pool fail, not wait forever: the parent
    extracts in-process and the facts are complete."""
    import os

    root = _repo(tmp_path / "repo", pages=facts.PARALLEL_MIN + 10)
    monkeypatch.setattr(facts, "workers", lambda: 2)
    monkeypatch.setattr(facts, "_work", _dying_work)
    monkeypatch.setattr(_dying_work, "parent", os.getpid(), raising=False)
    project = Project(root, use_git=False)

    class Hang(BaseException):  # not an OSError: nothing on the way may take it for a missing pool
        pass

    def expired(signum, frame):  # noqa: ARG001
        raise Hang

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, 60)
    try:
        project.prefetch_facts(None)
    except Hang:
        pytest.fail("the run waited for a dead worker")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert len(project._facts) == facts.PARALLEL_MIN + 10 + 4


def _dying_work(paths: list[str]):
    """facts._work, except that a worker given pages/p0100.py dies at once (module level: workers get it by name)."""
    import os

    if os.getpid() != getattr(_dying_work, "parent", None) and "pages/p0100.py" in paths:
        os._exit(9)
    return _REAL_WORK(paths)


_REAL_WORK = facts._work
