"""Bad input never crashes the tool: every format, on a repository full of broken and hostile files.

(The full hostile-repository suite with property-based tests is a later piece of work; this keeps the
basics honest from the start.)
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli

HOSTILE_NAMES = ["new\nline.py", "a::error::b.py", "100%.csv", "com,ma.txt", "co:lon.txt", "back`tick.md",
                 "<script>alert(1)</script>.py", "br]acket.py", "x" * 200 + ".py", "ünïcödé.py", "sp ace.py"]


@pytest.fixture
def hostile_repo(tmp_path):
    repo = tmp_path / "repo"
    (repo / "pages").mkdir(parents=True)
    files = {
        "streamlit_app.py": "import streamlit as st\nimport helpers\nst.image('missing.png')\n"
                            "st.experimental_rerun()\nopen('data\\\\x.csv')\n",
        "helpers.py": 'print "python 2"\n',
        "pages/binary.py": b"\x00\x01\x02import streamlit\xff\xfe",
        "pages/latin1.py": "# caf\xe9\nimport streamlit as st\n".encode("latin-1"),
        "pages/utf16.py": "import streamlit as st\n".encode("utf-16"),
        "requirements.txt": b"\xff\xfestreamlit\x00==1.0\n\x00\x00garbage \xc3\x28\n"
                            b"-r nowhere.txt\n-r requirements.txt\n",
        "Pipfile": "[packages\nbroken = ",
        "pyproject.toml": "[tool.poetry]\nname = 3\n[tool.poetry.dependencies]\nstreamlit = {version = 5}\n",
        "environment.yml": "dependencies: !!python/object/apply:os.system ['echo pwned']\n",
        "uv.lock": "package = 'not a list'\n",
        "packages.txt": b"\xff\xfelib\x00gl1\r\n\r\n",
        ".streamlit/config.toml": "[server\nport = ",
        ".streamlit/secrets.toml": 'token = "ghp_CANARYSECRET000000000000000000000000"\n',
        ".gitignore": "[\n!\n**/***\n",
        "runtime.txt": "\x00\x00",
        ".python-version": "not-a-version\n",
    }
    for name in HOSTILE_NAMES:
        files[name] = "import streamlit as st\n"
    for rel, content in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    deep = repo
    for i in range(200):
        deep = deep / f"d{i}"
    deep.mkdir(parents=True)
    (deep / "deep.py").write_text("import streamlit as st\n")
    return repo


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "markdown", "github"])
def test_no_crash_no_leak_no_injection(hostile_repo, fmt):
    code, out, err = run_cli([str(hostile_repo), "--no-git", "--format", fmt])
    assert code in (0, 1), err
    assert err == ""
    assert "CANARYSECRET" not in out
    if fmt in ("json", "sarif"):
        json.loads(out)
    if fmt == "github":
        for line in out.splitlines():
            assert line.startswith(("::error ", "::warning ", "::notice ")), line
    if fmt == "text":
        # a file name cannot start a workflow command in a CI log
        assert not any(line.lstrip().startswith("::") for line in out.splitlines())


def test_yaml_tags_are_never_constructed(hostile_repo, tmp_path):
    run_cli([str(hostile_repo), "--no-git", "--format", "json"])
    assert not (tmp_path / "pwned").exists()
