"""Hostile repositories, built at test time under tmp_path: each must be checked without a crash, a hang, a read
outside the repository, a leaked canary or an injected command, and with the outcome its case names.

Every case runs the engine once, renders all five formats and checks the shared invariants
(tests/output_invariants.py); then its own expectations. The list of cases is the table in docs/reliability.md
(tests/test_reliability_doc.py keeps the two in sync).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from preflight.project import MAX_PARSE_BYTES
from preflight.report import Report
from tests.conftest import ROOT, run_cli
from tests.output_invariants import Case, assert_absent, check_report, time_limit

OUTSIDE_CANARY = "CANARY0outside0the0repo"
APP = "import streamlit as st\n\nst.title('hello')\n"
HOSTILE_NAMES = [
    "new\nline.py", "carriage\rreturn.py", "a::error::b.py", "::warning file=x,line=1::pwned.py", "100%.py",
    "%0A%25.py", "com,ma.py", "co:lon.py", "back`tick`.py", "<script>alert(1)</script>.py", "br]acket[.py",
    "##[error]old.py", "@octocat.py", "[x](javascript:alert(1)).py", "pi|pe.py", " leading space.py",
    "-rf.py", "tab\there.py", "esc\x1b[31mred.py", "rtl\u202eyp.exe.py", "ünïcödé 📈.py", "#1.py",
    "https:www.evil.example.py", "x" * 240 + ".py",
]


@dataclass(frozen=True)
class Hostile:
    case: Case
    build: Callable[[Path, Path], None]  # (repo, outside) -> None
    expect: Callable[[Path, Report, dict[str, str]], None]
    args: tuple[str, ...] = ()  # entrypoints


def _write(root: Path, rel: str, content: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def _codes(report: Report, path: str | None = None) -> set[str]:
    return {f.code for f in report.findings if path is None or f.location.path == path}


def _skipped(report: Report) -> dict[str, str]:
    return dict(report.skipped)


def _sparse(path: Path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.truncate(size)


def rmtree(path: Path) -> None:
    """shutil.rmtree without recursion (it recurses per level before Python 3.12: the 1,000-level tree broke
    pytest's own clean-up); links and FIFOs are removed, never followed."""
    folders, stack = [], [str(path)]
    while stack:
        folder = stack.pop()
        folders.append(folder)
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    os.unlink(entry.path)
    for folder in reversed(folders):
        os.rmdir(folder)


@pytest.fixture
def scratch(tmp_path: Path):
    """(repo, outside) folders, removed without recursion afterwards."""
    repo, outside = tmp_path / "repo", tmp_path / "outside"
    repo.mkdir()
    outside.mkdir()
    yield repo, outside
    for folder in (repo, outside):
        if folder.exists():
            rmtree(folder)


def _deep(repo: Path, levels: int) -> str:
    """A chain of ``levels`` nested folders (made one by one: os.makedirs recurses per level)."""
    rel = "."
    for _ in range(levels):
        rel += "/d"
        os.mkdir(repo / rel)
    return rel[2:]


# --------------------------------------------------------------------------------------------------- cases


def build_symlink_files(repo: Path, outside: Path) -> None:
    _write(repo, "streamlit_app.py", APP + "import helpers\n")
    _write(outside, "secret.txt", f"token = {OUTSIDE_CANARY}\n")
    _write(outside, "reqs.txt", f"{OUTSIDE_CANARY} === not a requirement\n")
    _write(outside, "helpers.py", f"print '{OUTSIDE_CANARY}'\n")
    (repo / "leak.txt").symlink_to(outside / "secret.txt")
    (repo / "requirements.txt").symlink_to(outside / "reqs.txt")
    (repo / "helpers.py").symlink_to(os.path.relpath(outside / "helpers.py", repo))


def expect_symlink_files(repo: Path, report: Report, outputs: dict[str, str]) -> None:
    for link in ("leak.txt", "requirements.txt", "helpers.py"):
        assert "CP002" in _codes(report, link), link
    assert "symlink pointing outside" in _skipped(report)["requirements.txt"]
    assert "CP001" not in _codes(report, "helpers.py")  # the Python 2 file outside was never parsed


def build_symlink_folders(repo: Path, outside: Path) -> None:
    _write(repo, "streamlit_app.py", APP)
    _write(repo, "requirements.txt", "streamlit\n")
    _write(outside, "pages/1_Page.py", f"print '{OUTSIDE_CANARY}'\n")
    _write(outside, "github/cloud-preflight.toml", 'select = ["CP9"]\n')  # would silence every rule
    (repo / "pages").symlink_to(outside / "pages", target_is_directory=True)
    (repo / ".github").symlink_to(outside / "github", target_is_directory=True)
    (repo / "root").symlink_to("/", target_is_directory=True)


def expect_symlink_folders(repo: Path, report: Report, outputs: dict[str, str]) -> None:
    for link in ("pages", ".github", "root"):
        assert "CP002" in _codes(report, link), link
    assert report.files == 5  # the links are entries, never descended
    assert "CP551" in _codes(report)  # the config behind the .github link was not read
    assert "CP001" not in _codes(report)


def build_symlink_loops(repo: Path, outside: Path) -> None:
    _write(repo, "streamlit_app.py", APP + "st.image('loop_a')\nopen('up/x.csv')\n")
    _write(repo, "requirements.txt", "streamlit==1.50.0\n")
    (repo / "loop_a").symlink_to("loop_b")
    (repo / "loop_b").symlink_to("loop_a")
    (repo / "self").symlink_to(".", target_is_directory=True)
    (repo / "up").symlink_to("..", target_is_directory=True)
    (repo / "dangling.py").symlink_to("nowhere.py")
    (repo / "chain.txt").symlink_to("loop_a")


def expect_symlink_loops(repo: Path, report: Report, outputs: dict[str, str]) -> None:
    assert "CP002" in _codes(report, "up")
    assert "CP002" not in _codes(report, "self")  # a link to the repository itself stays inside it


def build_fifos(repo: Path, outside: Path) -> None:
    _write(repo, "streamlit_app.py", APP + "import helpers\nst.image('logo.png')\n")
    for rel in ("requirements.txt", "packages.txt", ".streamlit/config.toml", "helpers.py", ".gitignore",
                "logo.png", "pages/1_Page.py", ".python-version"):
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(repo / rel)


def expect_fifos(repo: Path, report: Report, outputs: dict[str, str]) -> None:
    skipped = _skipped(report)
    for rel in ("requirements.txt", "packages.txt", "helpers.py"):
        assert skipped.get(rel) == "not a regular file", (rel, skipped)


def build_large_files(repo: Path, outside: Path) -> None:
    _write(repo, "streamlit_app.py", APP + "import big_module\nst.image('data/big.csv')\n")
    _sparse(repo / "requirements.txt", 50 * 1024 * 1024)
    _sparse(repo / "big_module.py", 50 * 1024 * 1024)
    _sparse(repo / "data" / "big.csv", 50 * 1024 * 1024)
    _sparse(repo / ".streamlit" / "config.toml", MAX_PARSE_BYTES + 1)


def expect_large_files(repo: Path, report: Report, outputs: dict[str, str]) -> None:
    skipped = _skipped(report)
    for rel in ("requirements.txt", "big_module.py", ".streamlit/config.toml"):
        assert skipped.get(rel) == "larger than 2 MiB, not parsed", (rel, skipped)
    # the note is in every format
    assert "skipped requirements.txt: larger than 2 MiB, not parsed" in outputs["text"]
    assert {"path": "requirements.txt", "reason": "larger than 2 MiB, not parsed"} in \
        json.loads(outputs["json"])["skipped"]
    notes = json.loads(outputs["sarif"])["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert "requirements.txt was not checked: larger than 2 MiB, not parsed" in [n["message"]["text"] for n in notes]
    assert "- `requirements.txt`: larger than 2 MiB, not parsed" in outputs["markdown"]
    assert "requirements.txt (larger than 2 MiB, not parsed)" in outputs["github"].splitlines()[-1]


def build_binary(repo: Path, outside: Path) -> None:
    noise = bytes(range(256)) * 4
    _write(repo, "streamlit_app.py", APP + "import helpers\n")
    for rel in ("helpers.py", "requirements.txt", "packages.txt", ".streamlit/config.toml", "runtime.txt",
                ".python-version", "pages/1_Page.py"):
        _write(repo, rel, b"\x00\xff" + noise)
    _write(repo, "sub/environment.yml", noise)
    _write(repo, "sub/app.py", APP)
    _write(repo, "other/Pipfile", b"[packages]\n\xff\xfe\x00 = '*'\n")
    _write(repo, "other/app.py", APP)
    _write(repo, "third/pyproject.toml", b"[tool.poetry]\x00\xff\n")
    _write(repo, "third/app.py", APP)


def expect_binary(repo: Path, report: Report, outputs: dict[str, str]) -> None:
    assert len(report.apps) == 4
    assert {"CP001"} <= _codes(report, "third/pyproject.toml")


def build_encodings(repo: Path, outside: Path) -> None:
    _write(repo, "streamlit_app.py", "\ufeffimport streamlit as st\nimport latin, utf16\nst.title('café')\n")
    _write(repo, "latin.py", "# -*- coding: utf-8 -*-\nname = 'café'\n".encode("latin-1"))
    _write(repo, "utf16.py", "import os\nname = 'café'\n".encode("utf-16"))
    _write(repo, "requirements.txt", "streamlit==1.50.0\n# café\npandas\n".encode("utf-16"))
    _write(repo, "packages.txt", "libgl1\n".encode("utf-16-le"))  # UTF-16 without a BOM
    _write(repo, "sub/app.py", APP)
    _write(repo, "sub/requirements.txt", "streamlit==1.50.0\n# café\n".encode("latin-1"))
    _write(repo, ".streamlit/config.toml", '[theme]\nfont = "café"\n'.encode("utf-32"))


def expect_encodings(repo: Path, report: Report, outputs: dict[str, str]) -> None:
    assert "CP308" in _codes(report, "requirements.txt")  # UTF-16: Cloud's installer cannot read it
    assert "CP308" in _codes(report, "sub/requirements.txt")  # latin-1
    assert "CP001" in _codes(report, "latin.py")  # declares UTF-8, is latin-1: a SyntaxError on Cloud
    assert "CP403" in _codes(report, "packages.txt")


PY2 = {
    "print_statement.py": ('import os\n\nprint "hello"\n', 3),
    "exec_statement.py": ('exec "x = 1"\n', 1),
    "except_comma.py": ("try:\n    pass\nexcept ValueError, e:\n    pass\n", 3),
    "backticks.py": ("x = 1\ny = `x`\n", 2),
    "octal.py": ("mode = 0777\n", 1),
    "ur_string.py": ("s = ur'x'\n", 1),
    "raise_comma.py": ('raise ValueError, "x"\n', 1),
}


def build_python2(repo: Path, outside: Path) -> None:
    _write(repo, "streamlit_app.py", APP + "".join(f"import {name[:-3]}\n" for name in PY2))
    _write(repo, "requirements.txt", "streamlit==1.50.0\n")
    for name, (source, _line) in PY2.items():
        _write(repo, name, source)


def expect_python2(repo: Path, report: Report, outputs: dict[str, str]) -> None:
    for name, (_source, line) in PY2.items():
        found = [f for f in report.findings if f.code == "CP001" and f.location.path == name]
        assert found and found[0].location.line == line, (name, found)


def build_deep_tree(repo: Path, outside: Path) -> None:
    rel = _deep(repo, 1000)
    _write(repo, f"{rel}/streamlit_app.py", APP + "import helper\n")
    _write(repo, f"{rel}/helper.py", "import missing_module_xyz\n")
    _write(repo, f"{rel}/requirements.txt", "streamlit==1.50.0\nos\n")


def expect_deep_tree(repo: Path, report: Report, outputs: dict[str, str]) -> None:
    deep = "/".join(["d"] * 1000)
    assert report.files == 3
    assert report.apps and report.apps[0].entrypoint == f"{deep}/streamlit_app.py"
    assert "CP301" in _codes(report, f"{deep}/requirements.txt")


def build_deep_nesting(repo: Path, outside: Path) -> None:
    _write(repo, "streamlit_app.py", APP + "import chain, parens, wide\n")
    _write(repo, "chain.py", "x = " + "+".join(["1"] * 100_000) + "\n")
    _write(repo, "parens.py", "x = " + "(" * 300 + ")" * 300 + "\n")
    _write(repo, "wide.py", "x = [" + "1," * 200_000 + "]\n")
    _write(repo, "requirements.txt", "streamlit==1.50.0\n-r a.txt\n")
    for i, name in enumerate("abcdefghijklmnopqrst"):
        _write(repo, f"{name}.txt", f"-r {'abcdefghijklmnopqrst'[i + 1] if i < 19 else 'requirements'}.txt\n")
    _write(repo, ".streamlit/config.toml", "a = " + "[" * 5000 + "]" * 5000 + "\n")
    _write(repo, "conda/app.py", APP)
    _write(repo, "conda/environment.yml", "dependencies: " + "[" * 5000 + "]" * 5000 + "\n")
    laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        laughs.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    laughs += ["name: *i", "channels: *i", "dependencies: [*i, {pip: *i}]"]
    _write(repo, "laughs/app.py", APP)
    _write(repo, "laughs/environment.yml", "\n".join(laughs) + "\n")


def expect_deep_nesting(repo: Path, report: Report, outputs: dict[str, str]) -> None:
    for path in ("chain.py", "parens.py", ".streamlit/config.toml", "conda/environment.yml"):
        assert "CP001" in _codes(report, path), path
    assert "CP001" not in _codes(report, "wide.py")  # wide is fine: 200,000 items, no nesting


def build_hostile_names(repo: Path, outside: Path, *, root_app: bool = True) -> None:
    if root_app:
        _write(repo, "streamlit_app.py", APP)
        _write(repo, "requirements.txt", "streamlit==1.50.0\n")
    for name in HOSTILE_NAMES:
        _write(repo, f"pages/{name}", APP + "st.image('no_such_image.png')\n")
        folder = name.replace(".py", "")
        _write(repo, f"{folder}/streamlit_app.py", APP)
        _write(repo, f"{folder}/requirements.txt", "streamlit==1.50.0\nos\n")


def expect_hostile_names(repo: Path, report: Report, outputs: dict[str, str]) -> None:
    paths = {f.location.path for f in report.findings}
    for name in HOSTILE_NAMES:
        assert f"pages/{name}" in paths, name
        assert f"{name.replace('.py', '')}/requirements.txt" in paths, name


def build_long_names(repo: Path, outside: Path) -> None:
    _write(repo, "streamlit_app.py", APP + "open('" + "n" * 200 + ".csv')\n")
    _write(repo, "requirements.txt", "streamlit==1.50.0\n")
    folder = "/".join(f"{i:02}" + "f" * 250 for i in range(15))  # 15 x 252 characters: a 3,800-character path
    _write(repo, f"{folder}/streamlit_app.py", APP)
    _write(repo, f"{folder}/requirements.txt", "os\n")
    _write(repo, "n" * 251 + ".py", APP)  # 255 bytes, the longest name Linux allows


def expect_long_names(repo: Path, report: Report, outputs: dict[str, str]) -> None:
    assert max(len(f.location.path) for f in report.findings) > 3_800
    assert "CP704" in _codes(report, "streamlit_app.py")


def build_non_utf8_names(repo: Path, outside: Path) -> None:
    _write(repo, "streamlit_app.py", APP)
    _write(repo, "requirements.txt", "streamlit==1.50.0\n")
    os.mkdir(os.path.join(os.fsencode(repo), b"d\xe9j\xe0"))
    for raw in (b"\xff\xfe.py", b"d\xe9j\xe0/app.py", b"latin1-\xe9.txt"):
        with open(os.path.join(os.fsencode(repo), raw), "wb") as fh:
            fh.write(APP.encode())


def expect_non_utf8_names(repo: Path, report: Report, outputs: dict[str, str]) -> None:
    skipped = _skipped(report)
    assert skipped == {"\\xff\\xfe.py": "the file name is not valid UTF-8 (not checked)",
                       "d\\xe9j\\xe0": "the file name is not valid UTF-8 (not checked)",
                       "latin1-\\xe9.txt": "the file name is not valid UTF-8 (not checked)"}
    # what a terminal or a log gets: the real process, its real stdout encoding
    for fmt in ("text", "json", "sarif", "markdown", "github"):
        proc = subprocess.run([sys.executable, "-P", "-m", "preflight", str(repo), "--no-git", "--format", fmt],
                              capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
        assert proc.returncode in (0, 1), proc.stderr.decode("utf-8", "replace")
        assert proc.stderr == b""
        proc.stdout.decode("utf-8")  # strict: valid UTF-8


def build_empty(repo: Path, outside: Path) -> None:
    _write(repo, ".gitignore", "*\n")
    _write(repo, "ignored.py", APP)


def expect_empty(repo: Path, report: Report, outputs: dict[str, str]) -> None:
    assert report.files == 0 and report.apps == () and report.findings == ()
    assert run_cli([str(repo), "--no-git"])[0] == 0


def build_many_findings(repo: Path, outside: Path) -> None:
    stdlib = ["os", "sys", "json", "re", "math", "time", "random", "pathlib", "typing", "collections"]
    _write(repo, "streamlit_app.py", APP)
    _write(repo, "requirements.txt", "streamlit==1.50.0\n" + "".join(f"{stdlib[i % 10]}\n" for i in range(3000)))
    for i in range(300):
        _write(repo, f"pages/{i}_page.py", APP + f"st.image('missing_{i}.png')\n")


def expect_many_findings(repo: Path, report: Report, outputs: dict[str, str]) -> None:
    from preflight.report import markdown
    from tests.output_invariants import check_markdown

    assert len(report.findings) >= 3000
    lines = outputs["github"].splitlines()
    assert len(lines) <= 30 and "more findings are not annotated" in lines[-1]
    comment = markdown.render(report, max_chars=markdown.COMMENT_MAX_CHARS - 40)
    check_markdown(comment, report, max_chars=markdown.COMMENT_MAX_CHARS - 40)
    summary = markdown.render(report, max_bytes=markdown.SUMMARY_MAX_BYTES)
    check_markdown(summary, report, max_bytes=markdown.SUMMARY_MAX_BYTES)


def build_bad_config(repo: Path, outside: Path) -> None:
    _write(repo, "streamlit_app.py", APP)
    _write(repo, ".github/cloud-preflight.toml", b"select = [\xff\xfe\x00\n")


def expect_bad_config(repo: Path, report: Report, outputs: dict[str, str]) -> None:
    pass  # checked by test_bad_config_files_exit_2_with_one_line


HOSTILE = [
    Hostile(Case("symlinks to files outside", "`leak.txt`, `requirements.txt` and an imported module are symlinks "
                 "to files outside the repository, holding a canary and Python 2",
                 "never followed (no canary in any output, no CP001): CP002 on each link, the dependency file "
                 "listed as skipped"), build_symlink_files, expect_symlink_files),
    Hostile(Case("symlinks to folders outside", "`pages/`, `.github/` (with a config that would silence every "
                 "rule) and `root/` are symlinks to folders outside, one of them `/`",
                 "never descended, the outside config never read: CP002 on each link"),
            build_symlink_folders, expect_symlink_folders),
    Hostile(Case("symlink loops", "`a -> b -> a`, `self -> .`, `up -> ..`, a dangling link, a chain into a loop",
                 "no hang; `up` is CP002, `self` is not (it stays inside)"), build_symlink_loops,
            expect_symlink_loops),
    Hostile(Case("FIFOs", "named pipes as `requirements.txt`, `packages.txt`, `.streamlit/config.toml`, an "
                 "imported module, a page, `.gitignore`, an image the app opens, `.python-version`",
                 "never opened (no hang): skipped as `not a regular file`"), build_fifos, expect_fifos),
    Hostile(Case("50 MB files", "sparse 50 MB `requirements.txt`, imported module and data file; a config.toml "
                 "1 byte over the limit", "not read (2 MiB limit per file): a note for each skipped file in "
                 "every format (text, JSON, SARIF notification, Markdown, github notice)"),
            build_large_files, expect_large_files),
    Hostile(Case("binary content", "NUL and 0xFF bytes in `.py`, `requirements.txt`, `packages.txt`, "
                 "`config.toml`, `environment.yml`, `Pipfile`, `pyproject.toml`, `runtime.txt`",
                 "findings, never an exception: CP001 where a parser rejects the file"), build_binary,
            expect_binary),
    Hostile(Case("text encodings", "latin-1 and UTF-16/UTF-32 (with BOM) requirements, modules and config; "
                 "UTF-16 without BOM `packages.txt`; a UTF-8 BOM entrypoint",
                 "CP308 (requirements not UTF-8), CP403 (packages.txt), CP001 for the latin-1 module that "
                 "declares UTF-8"), build_encodings, expect_encodings),
    Hostile(Case("Python 2 syntax", "print and exec statements, `except E, e`, backticks, `0777`, `ur''`, "
                 "`raise E, msg`", "CP001 on the first bad line of each module"), build_python2, expect_python2),
    Hostile(Case("1,000-level deep tree", "an app 1,000 folders down (`d/d/.../d`, 2,000 characters)",
                 "listed and checked like any app (the walk is iterative)"), build_deep_tree, expect_deep_tree),
    Hostile(Case("deep nesting in files", "100,000-term expression, 300 nested parentheses, 5,000 nested TOML "
                 "and YAML arrays, a YAML alias bomb, a 20-file `-r` include cycle",
                 "CP001 `nested too deeply`; the alias bomb and the cycle end quickly"), build_deep_nesting,
            expect_deep_nesting),
    Hostile(Case("hostile file names", "newline, CR, `::`, `::warning file=x::`, `%`, `%0A`, `,`, `:`, backticks, "
                 "`<script>`, `]`, `##[error]`, `@mention`, `[x](javascript:)`, `|`, ESC, RTL override, "
                 "emoji, a 244-character name, as pages and as folders",
                 "every name round-trips exactly in JSON, SARIF and annotations; escaped in text and Markdown; "
                 "nothing injected"), build_hostile_names, expect_hostile_names),
    Hostile(Case("very long paths", "a 255-byte file name, a 3,800-character path of 15 folders",
                 "checked and reported like any other path"), build_long_names, expect_long_names),
    Hostile(Case("names that are not UTF-8", "`\\xff\\xfe.py`, a folder `d\\xe9j\\xe0/`, `latin1-\\xe9.txt`",
                 "not checked, listed as skipped with the bytes escaped; stdout stays valid UTF-8 in every "
                 "format"), build_non_utf8_names, expect_non_utf8_names),
    Hostile(Case("nothing to check", "every file ignored by `.gitignore`", "exit 0, no findings"), build_empty,
            expect_empty),
    Hostile(Case("thousands of findings", "3,000 standard-library requirements, 300 pages with a missing image",
                 "10 annotations per severity then one pointer notice; comment and summary within GitHub's "
                 "limits and still safe"), build_many_findings, expect_many_findings),
]


@pytest.mark.parametrize("hostile", HOSTILE, ids=[h.case.id.replace(" ", "-") for h in HOSTILE])
def test_hostile_repository(hostile: Hostile, scratch: tuple[Path, Path]):
    repo, outside = scratch
    hostile.build(repo, outside)
    with time_limit(120):
        report, outputs = check_report(repo, entrypoints=hostile.args)
        hostile.expect(repo, report, outputs)
        assert_absent([OUTSIDE_CANARY], outputs)
        code, out, err = run_cli([str(repo), "--no-git", "--format", "json"])
    assert code in (0, 1) and err == "", err
    assert OUTSIDE_CANARY not in out


# --------------------------------------------------------------------------------------------------- git mode


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "-C", str(repo), *args],
                   check=True, capture_output=True, timeout=120)


GIT_CASES = [
    Case("a committed hostile repository", "the hostile names, symlinks out of the repository and binary files "
         "committed to git, listed with `git ls-files`", "the same outcomes as without git"),
    Case("git config that runs a command", "`.git/config` sets `core.fsmonitor` to a command (git runs it for "
         "`ls-files`)", "never run: git is called with `-c core.fsmonitor=false`"),
    Case("a folder swapped for a symlink", "git lists `data/streamlit_app.py`, but `data/` in the work tree is now "
         "a symlink out of the repository", "not read: skipped as inside a folder that is a symlink"),
]


def test_git_listing_of_a_hostile_repository(tmp_path: Path):
    repo, outside, markers = tmp_path / "repo", tmp_path / "outside", tmp_path / "markers"
    for folder in (repo, outside, markers):
        folder.mkdir()
    build_symlink_files(repo, outside)
    build_hostile_names(repo, outside, root_app=False)
    _write(repo, "pages/binary.py", b"\x00\xff" * 100)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "hostile")
    _write(outside, "data/requirements.txt", f"{OUTSIDE_CANARY}===\n")
    _write(repo, "data/streamlit_app.py", APP)
    _write(repo, "data/requirements.txt", "streamlit==1.50.0\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "data")
    for path in (repo / "data").iterdir():
        path.unlink()
    (repo / "data").rmdir()
    (repo / "data").symlink_to(outside / "data", target_is_directory=True)
    _git(repo, "config", "core.fsmonitor", f"touch {markers / 'fsmonitor-ran'}; false")
    subprocess.run(["git", "-C", str(repo), "ls-files"], capture_output=True, check=True, timeout=60)
    assert [p.name for p in markers.iterdir()] == ["fsmonitor-ran"]  # control: plain git runs it
    (markers / "fsmonitor-ran").unlink()

    with time_limit(120):
        report, outputs = check_report(repo, use_git=True)
    assert list(markers.iterdir()) == []
    expect_hostile_names(repo, report, outputs)
    expect_symlink_files(repo, report, outputs)
    assert _skipped(report)["data/streamlit_app.py"] == \
        "inside a folder that is a symlink pointing outside the repository (not followed)"
    assert_absent([OUTSIDE_CANARY], outputs)


# --------------------------------------------------------------------------------------------------- bad config

CONFIG_CASES = [
    Case("binary config file", "`.github/cloud-preflight.toml` holds NUL and 0xFF bytes",
         "exit 2, one line on stderr naming the file; the Action's verdict is `error`"),
    Case("huge config file", "a 3 MB `.github/cloud-preflight.toml`",
         "exit 2, one line: larger than 2 MiB, not read"),
    Case("huge pyproject.toml", "a 50 MB `pyproject.toml` at the root (config discovery reads it)",
         "not read (no config from it), listed as skipped; the run stays fast"),
]


@pytest.mark.parametrize("content, needle", [(b"select = [\xff\xfe\x00\n", "cannot be read (not UTF-8)"),
                                             (b"# x\n" * (3 * 1024 * 1024 // 4), "larger than 2 MiB, not read")])
def test_bad_config_files_exit_2_with_one_line(tmp_path: Path, content: bytes, needle: str):
    _write(tmp_path, "streamlit_app.py", APP)
    _write(tmp_path, ".github/cloud-preflight.toml", content)
    code, out, err = run_cli([str(tmp_path), "--no-git"])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and needle in err and ".github/cloud-preflight.toml" in err, err


def test_huge_pyproject_is_not_read_for_config(tmp_path: Path):
    _write(tmp_path, "streamlit_app.py", APP)
    _sparse(tmp_path / "pyproject.toml", 50 * 1024 * 1024)
    with time_limit(30):
        report, _ = check_report(tmp_path)
    assert _skipped(report)["pyproject.toml"] == "larger than 2 MiB, not parsed"


def test_a_crash_outside_the_rules_is_exit_2_with_one_line(tmp_path, monkeypatch):
    from preflight.project import Project

    def broken(self):
        raise RuntimeError("listing failed")

    _write(tmp_path, "streamlit_app.py", APP)
    monkeypatch.setattr(Project, "files", property(broken))
    try:
        code, out, err = run_cli([str(tmp_path), "--no-git"])
    except RuntimeError:
        code, err = None, ""
    assert code == 2 and err.count("\n") == 1 and "internal error" in err
