"""CP711 (files over GitHub's limits) and CP710 via .gitattributes, on repositories made under tmp_path.

Large files are sparse (``truncate``), so they take no disk space; they are never committed as fixtures.
"""

from __future__ import annotations

import json

from tests.conftest import run_cli

MIB = 1024 * 1024
APP = "import joblib\nimport streamlit as st\n\nmodel = joblib.load('model.joblib')\nst.write(model)\n"


def _repo(tmp_path, sizes: dict[str, int], extra: dict[str, str] | None = None):
    (tmp_path / "app.py").write_text(APP, encoding="utf-8")
    (tmp_path / "requirements.txt").write_text("streamlit==1.57.0\njoblib==1.5.2\n", encoding="utf-8")
    for name, size in sizes.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            fh.truncate(size)
    for name, text in (extra or {}).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def _findings(repo, *codes: str) -> list[dict]:
    code, out, err = run_cli([str(repo), "--no-git", "--format", "json", "--select", "CP7"])
    assert "internal error" not in err, err
    assert code in (0, 1), err
    return [f for f in json.loads(out)["findings"] if f["code"] in codes]


def test_file_over_100_mb_is_an_error(tmp_path):
    repo = _repo(tmp_path, {"model.joblib": 101 * MIB})
    [finding] = _findings(repo, "CP711")
    assert finding["severity"] == "error"
    assert finding["path"] == "model.joblib"
    assert finding["line"] is None
    assert "101 MB" in finding["message"] and "rejects files over 100 MB" in finding["message"]


def test_file_over_50_mb_is_a_warning(tmp_path):
    repo = _repo(tmp_path, {"model.joblib": 1024, "data/big.parquet": 60 * MIB})
    [finding] = _findings(repo, "CP711")
    assert finding["severity"] == "warning"
    assert finding["path"] == "data/big.parquet"


def test_files_under_the_limits_are_quiet(tmp_path):
    repo = _repo(tmp_path, {"model.joblib": 10 * MIB, "data/b.bin": 50 * MIB})
    assert _findings(repo, "CP711") == []


def test_lfs_tracked_large_file_is_not_reported_but_noted_when_loaded(tmp_path):
    repo = _repo(tmp_path, {"model.joblib": 150 * MIB},
                 {".gitattributes": "*.joblib filter=lfs diff=lfs merge=lfs -text\n"})
    assert _findings(repo, "CP711") == []
    [note] = _findings(repo, "CP710")
    assert note["severity"] == "note"
    assert (note["path"], note["line"]) == ("app.py", 4)
    assert note["message"].startswith("model.joblib is stored in Git LFS.")


def test_gitattributes_unset_filter_wins(tmp_path):
    repo = _repo(tmp_path, {"model.joblib": 101 * MIB},
                 {".gitattributes": "*.joblib filter=lfs diff=lfs merge=lfs -text\nmodel.joblib -filter\n"})
    assert [f["severity"] for f in _findings(repo, "CP711")] == ["error"]
    assert _findings(repo, "CP710") == []


def test_ignored_file_on_disk_is_a_warning_without_git(tmp_path):
    """Walking the folder hides ignored files; one that is on disk may have been committed with git add -f."""
    repo = _repo(tmp_path, {"models/model.joblib": 1024}, {".gitignore": "models/\n"})
    (repo / "app.py").write_text(APP.replace("'model.joblib'", "'models/model.joblib'"), encoding="utf-8")
    [finding] = _findings(repo, "CP704")
    assert finding["severity"] == "warning"
    assert "is on disk but ignored by .gitignore:1: models/" in finding["message"]


def test_ignored_file_not_on_disk_is_an_error(tmp_path):
    repo = _repo(tmp_path, {}, {".gitignore": "# models\nmodels/\n"})
    (repo / "app.py").write_text(APP.replace("'model.joblib'", "'models/model.joblib'"), encoding="utf-8")
    [finding] = _findings(repo, "CP704")
    assert finding["severity"] == "error"
    assert "(it is ignored by .gitignore:2: models/)" in finding["message"]


def test_git_listing_decides_what_is_committed(tmp_path):
    """With git, a tracked file counts even when .gitignore matches it; an untracked one does not."""
    import shutil
    import subprocess

    if shutil.which("git") is None:  # pragma: no cover
        import pytest

        pytest.skip("git not installed")
    repo = _repo(tmp_path, {"models/model.joblib": 1024, "models/other.joblib": 1024}, {".gitignore": "models/\n"})
    (repo / "app.py").write_text(APP.replace("'model.joblib'", "'models/model.joblib'")
                                 + "other = joblib.load('models/other.joblib')\n", encoding="utf-8")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-C", str(repo)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "app.py", "requirements.txt", ".gitignore"], check=True)
    subprocess.run([*git, "add", "-f", "models/model.joblib"], check=True)
    code, out, err = run_cli([str(repo), "--format", "json", "--select", "CP7"])
    assert "internal error" not in err, err
    findings = [f for f in json.loads(out)["findings"] if f["code"] == "CP704"]
    assert [(f["severity"], f["line"]) for f in findings] == [("error", 6)]
    assert "models/other.joblib" in findings[0]["message"]
