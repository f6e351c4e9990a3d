"""Modules that are not ASCII: columns count characters, and identifiers are read the way Python reads them.

``ast`` counts columns in UTF-8 bytes (and Python 3.11/3.12 do so for some syntax errors too), while editors,
GitHub annotations and SARIF count characters; Python reads identifiers in NFKC form, so byte-level prefilters
must not skip a module that spells ``streamlit`` with full-width letters.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from preflight.facts import may_mention
from preflight.pysource import char_columns
from tests.conftest import run_cli

E3 = "\u00e9\u00e9\u00e9"  # three characters, six UTF-8 bytes


def check(tmp_path: Path, files: dict[str, str | bytes], *args: str) -> list[dict]:
    repo = tmp_path / "repo"
    for rel, content in {"requirements.txt": "streamlit==1.40.0\n", **files}.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    code, out, err = run_cli([str(repo), "--no-git", "--no-cache", "--format", "json", *args])
    assert code in (0, 1), err
    return json.loads(out)["findings"]


def where(findings: list[dict], code: str) -> list[tuple[int, int]]:
    return sorted((f["line"], f["column"]) for f in findings if f["code"] == code)


def col(line: str, text: str) -> int:
    """The 1-based character column of ``text`` in ``line``."""
    return line.index(text) + 1


def test_columns_count_characters_after_non_ascii_text(tmp_path):
    lines = ["import streamlit as st",
             f"st.title('{E3}'); st.experimental_rerun()",
             f"st.image('{E3}/missing.png'); st.image('missing2.png')",
             f"x = '{E3}'; import sklearn",
             f"y = '{E3}'; import cv2; cv2.imshow('w', None)"]
    findings = check(tmp_path, {"streamlit_app.py": "\n".join(lines) + "\n",
                                "requirements.txt": "streamlit==1.40.0\nopencv-python-headless\n"})
    assert (2, col(lines[1], "experimental_rerun")) in where(findings, "CP552")
    assert where(findings, "CP704") == [(3, 1), (3, col(lines[2], "st.image('missing2"))]
    assert where(findings, "CP201") == [(4, col(lines[3], "import sklearn"))]
    assert where(findings, "CP410") == [(5, col(lines[4], "cv2.imshow"))]


def test_ascii_columns_are_unchanged(tmp_path):
    findings = check(tmp_path, {"streamlit_app.py": "import streamlit as st\nst.title('x'); st.experimental_rerun()\n"})
    assert where(findings, "CP552") == [(2, 19)]


@pytest.mark.parametrize("source", [
    f"import streamlit as st\ns = '{E3}'; print 'x'\n",  # the parser's error (bytes on 3.11 and 3.12)
    f"import streamlit as st\ns = '{E3}'; print 'x'\n".encode("utf-8-sig"),  # with a BOM
])
def test_syntax_error_column_counts_characters(tmp_path, source):
    findings = check(tmp_path, {"streamlit_app.py": source})
    assert where(findings, "CP001") == [(2, col(f"s = '{E3}'; print 'x'", "print"))]


def test_latin1_module_columns(tmp_path):
    source = f"# -*- coding: latin-1 -*-\nimport streamlit as st\nst.title('{E3}'); st.image('gone.png')\n"
    findings = check(tmp_path, {"streamlit_app.py": source.encode("latin-1")})
    assert where(findings, "CP704") == [(3, col(source.splitlines()[2], "st.image"))]


def test_full_width_identifiers_are_what_python_reads(tmp_path):
    # "\uff53" is a full-width s, "\uff45" a full-width e: Python reads both identifiers in NFKC form, so this
    # module imports streamlit and calls st.experimental_rerun.
    app = "import \uff53treamlit as st\nst.title('x')\nst.\uff45xperimental_rerun()\n"
    findings = check(tmp_path, {"streamlit_app.py": app})
    assert not where(findings, "CP702"), "the entrypoint was not recognised"
    assert where(findings, "CP552") == [(3, 4)]


def test_may_mention_never_says_no_to_what_python_reads():
    assert may_mention(b"import streamlit", b"streamlit")
    assert not may_mention(b"import pandas", b"streamlit")
    assert may_mention("import \uff53treamlit".encode(), b"streamlit")
    assert not may_mention("import pandas  # \u00e9".encode(), b"streamlit")
    assert may_mention(b"# coding: latin-1\nimport \xe9", b"streamlit")  # not UTF-8: no prefilter


@pytest.mark.parametrize(("data", "line", "column", "expected"), [
    (b"abc\n", 1, 3, 3),  # ASCII: unchanged
    (f"'{E3}'; x\n".encode(), 1, 10, 7),
    (f"a\r\n'{E3}'; x\r\n".encode(), 2, 10, 7),  # CRLF
    (f"a\r'{E3}'; x\r".encode(), 2, 10, 7),  # old Mac line ends
    (f"a\x0cb\n'{E3}'; x\n".encode(), 2, 10, 7),  # a form feed is not a line end for Python
    (f"'{E3}'; x\n".encode("utf-8-sig"), 1, 10, 7),  # the BOM is not counted
    (f"'{E3}'\n".encode(), 9, 4, 4),  # out of range: unchanged
])
def test_char_columns(data, line, column, expected):
    assert char_columns(data)(line, column) == expected
