"""The project model: what is listed, what is read, and what is never followed."""

from __future__ import annotations

import os
import subprocess

import pytest

from preflight.project import MAX_PARSE_BYTES, Project, decode_bytes


def write(root, rel, content=b"x\n"):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def git(root, *args):
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})


def test_git_listing_is_what_cloud_clones(tmp_path):
    write(tmp_path, "app.py", "import streamlit\n")
    write(tmp_path, "data/a.csv")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "app.py", "data/a.csv")
    write(tmp_path, "untracked.py")
    project = Project(tmp_path)
    assert project.files == ("app.py", "data/a.csv")
    assert project.listing_source == "git"


def test_walk_skips_virtualenvs_node_modules_and_honours_gitignore(tmp_path):
    write(tmp_path, "app.py")
    write(tmp_path, ".venv/lib/site.py")
    write(tmp_path, "env/pyvenv.cfg")
    write(tmp_path, "env/lib/x.py")
    write(tmp_path, "node_modules/pkg/index.js")
    write(tmp_path, "pkg/__pycache__/m.cpython-311.pyc")
    write(tmp_path, ".git/config")
    write(tmp_path, ".gitignore", "*.log\nbuild/\n")
    write(tmp_path, "sub/.gitignore", "secret.txt\n")
    write(tmp_path, "debug.log")
    write(tmp_path, "build/out.py")
    write(tmp_path, "sub/secret.txt")
    write(tmp_path, "sub/keep.txt")
    project = Project(tmp_path, use_git=False)
    assert project.files == (".gitignore", "app.py", "sub/.gitignore", "sub/keep.txt")
    assert project.listing_source == "walk"


def test_symlinks_are_never_followed_out_of_the_repo(tmp_path):
    outside = tmp_path / "outside"
    write(outside, "secret.txt", "TOP SECRET")
    repo = tmp_path / "repo"
    write(repo, "data/inside.csv", "a,b\n")
    (repo / "leak.txt").symlink_to(outside / "secret.txt")
    (repo / "leakdir").symlink_to(outside)
    (repo / "alias.csv").symlink_to(repo / "data/inside.csv")
    project = Project(repo, use_git=False)
    assert "leakdir/secret.txt" not in project.files
    assert project.read_bytes("leak.txt") is None
    assert project.read_bytes("leakdir") is None
    assert project.read_bytes("alias.csv") == b"a,b\n"
    assert project.symlink_target("leak.txt") == ""
    assert project.symlink_target("alias.csv") == "data/inside.csv"
    assert any(s.path == "leak.txt" and "outside" in s.reason for s in project.skipped)


def test_large_and_special_files_are_skipped_with_a_note(tmp_path):
    big = write(tmp_path, "big.py")
    with open(big, "r+b") as fh:
        fh.truncate(MAX_PARSE_BYTES + 1)
    os.mkfifo(tmp_path / "pipe.txt")
    project = Project(tmp_path, use_git=False)
    assert project.read_bytes("big.py") is None
    assert project.size("big.py") == MAX_PARSE_BYTES + 1
    assert project.read_bytes("pipe.txt") is None  # never blocks on a FIFO
    reasons = {s.path: s.reason for s in project.skipped}
    assert "larger than" in reasons["big.py"] and "regular" in reasons["pipe.txt"]


@pytest.mark.parametrize("data, encoding, bom, binary", [
    ("streamlit==1.0\n".encode("utf-16"), "utf-16", True, False),
    (b"\xef\xbb\xbfstreamlit\n", "utf-8", True, False),
    ("caf\xe9\n".encode("latin-1"), "latin-1", False, False),
    (b"s\x00t\x00r\x00", "binary", False, True),
    (b"plain\n", "utf-8", False, False),
])
def test_decoding_records_what_it_found(data, encoding, bom, binary):
    text = decode_bytes(data)
    assert (text.encoding, text.bom, text.binary) == (encoding, bom, binary)


def test_parse_errors_are_recorded_not_raised(tmp_path):
    write(tmp_path, "py2.py", 'print "hello"\n')
    write(tmp_path, "nul.py", b"x = 1\x00\n")
    write(tmp_path, "bad.toml", "a = [\n")
    write(tmp_path, "bad.yml", "a: [\n")
    write(tmp_path, "deep.py", "x = " + "(" * 5000 + ")" * 5000 + "\n")
    project = Project(tmp_path, use_git=False)
    assert project.python("py2.py") is None
    assert project.python("nul.py") is None
    assert project.toml("bad.toml") is None
    assert project.yaml("bad.yml") is None
    project.python("deep.py")  # must not raise (RecursionError/MemoryError are caught)
    errors = project.parse_errors
    assert errors["py2.py"].line == 1 and errors["bad.toml"].kind == "toml" and errors["bad.yml"].kind == "yaml"


def test_each_file_is_read_once(tmp_path, monkeypatch):
    write(tmp_path, "app.py", "import streamlit\n")
    project = Project(tmp_path, use_git=False)
    calls = []
    real_open = open

    def counting_open(path, *args, **kwargs):
        calls.append(str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", counting_open)
    for _ in range(3):
        project.python("app.py")
        project.text("app.py")
        project.read_bytes("app.py")
    assert [c for c in calls if c.endswith("app.py")] == [str(tmp_path / "app.py")]
