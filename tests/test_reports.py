"""Report goldens and behaviour: one hand-built list of findings, hostile strings included, rendered by every
reporter. ``UPDATE_GOLDEN=1`` rewrites tests/report_goldens/<format>.txt; review the diff like code."""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote

import pytest

from preflight.model import DOCS_URL, Finding, Location, Severity
from preflight.report import FORMATS, AppInfo, Report, render
from preflight.report import github as github_report
from preflight.report import markdown as markdown_report
from tests.conftest import ROOT

GOLDENS = Path(__file__).resolve().parent / "report_goldens"
SCHEMA = Path(__file__).resolve().parent / "data" / "sarif-schema-2.1.0.json"

LONG_NAME = "pages/" + "very_long_name_" * 20 + ".py"
HOSTILE_PATH = "pages/evil\nname\r::error::x%0A,y:z `tick` <script>alert(1)</script>].py"
HOSTILE_MESSAGE = ("line one\nline two\r::error file=x::pwned %0A 100% a,b:c `code` <script>alert(1)</script> "
                   "] [x](javascript:alert(1)) @mention | pipe | ünïcødé 📈 ##[error]old")


def F(code, name, severity, message, path, line=None, column=None, fix=None, **kw):  # noqa: N802
    return Finding(code, name, severity, message, Location(path, line, column, kw.get("end_line"),
                                                               kw.get("end_column")), fix,
                   tuple(kw.get("entrypoints", ())))


FINDINGS = tuple(sorted([
    F("CP101", "dep-file-missing", Severity.ERROR,
      "No dependency file: Community Cloud installs only Streamlit, so `import pandas` fails.",
      "streamlit_app.py", fix="Add requirements.txt next to the entrypoint.", entrypoints=["streamlit_app.py"]),
    F("CP001", "unparsable-file", Severity.ERROR, "invalid syntax; Streamlit stops with this SyntaxError.",
      "app/main.py", 12, 5, fix="Fix the syntax at this line.", end_line=12, end_column=9),
    F("CP102", "dep-file-multiple", Severity.WARNING, HOSTILE_MESSAGE, HOSTILE_PATH, 3,
      fix="Fix: | pipes | and @someone [y](javascript:alert(2))"),
    F("CP102", "dep-file-multiple", Severity.WARNING, "Several dependency files; Cloud uses uv.lock.",
      "sub dir/requirements.txt", 1),
    F("CP104", "dep-file-misnamed", Severity.NOTE, "Named requirement.txt; Cloud looks for requirements.txt.",
      "requirement.txt"),
    F("CP104", "dep-file-misnamed", Severity.NOTE, "A very long path.", LONG_NAME, 2),
    F("CP001", "unparsable-file", Severity.ERROR, "Non-ASCII path: ünïcødé.", "données/página 📈.py", 7),
], key=Finding.sort_key))

APPS = (
    AppInfo("streamlit_app.py", True, None, None, (), "streamlit (newest (not declared))"),
    AppInfo("app/<b>main</b>|x.py", True, "app/requirements.txt", "uv", ("Pipfile", "pyproject|x.toml"),
            "streamlit 1.40.0 (pinned)"),
)

REPORT = Report(FINDINGS, APPS, suppressed=2, skipped=(("big|file`.csv", "larger than 10 MB; not read"),),
                files=42, fail_on=Severity.ERROR, version="9.9.9")


def _render(fmt: str, report: Report = REPORT) -> str:
    return render(fmt, report)


# --- goldens ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_golden(fmt):
    actual = _render(fmt)
    path = GOLDENS / f"{fmt}.txt"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="")
    assert path.is_file(), f"{path} missing: run with UPDATE_GOLDEN=1 and review it"
    assert actual == path.read_bytes().decode("utf-8")


def test_every_format_renders_an_empty_report():
    empty = Report((), (), files=0, version="9.9.9")
    for fmt in FORMATS:
        assert isinstance(_render(fmt, empty), str)
    assert _render("github", empty) == ""


def test_unknown_format():
    with pytest.raises(ValueError, match="unknown format"):
        render("xml", REPORT)


# --- text -------------------------------------------------------------------------------------------------


def test_text_has_no_raw_control_characters_or_command_lines():
    text = _render("text")
    for line in text.split("\n"):
        assert "\r" not in line and "\x1b" not in line
        assert not line.lstrip().startswith("::"), line
        assert "##[" not in line, line


def test_text_color_only_when_asked():
    assert "\x1b[" not in render("text", REPORT)
    assert "\x1b[31m" in render("text", REPORT, color=True)


# --- github workflow commands -----------------------------------------------------------------------------

COMMAND_RE = re.compile(r"^::(error|warning|notice)(?: ([^:]*))?::(.*)$")
PROPERTY_RE = re.compile(r"^(file|line|col|endLine|endColumn|title)=([^,:\r\n]*)$")


def _parse_commands(text: str) -> list[tuple[str, dict[str, str], str]]:
    assert text.endswith("\n")
    out = []
    for line in text[:-1].split("\n"):
        assert "\r" not in line
        match = COMMAND_RE.match(line)
        assert match, f"not a workflow command: {line!r}"
        props = {}
        for part in (match.group(2) or "").split(","):
            if not part:
                continue
            prop = PROPERTY_RE.match(part)
            assert prop, f"bad property {part!r} in {line!r}"
            props[prop.group(1)] = prop.group(2)
        out.append((match.group(1), props, match.group(3)))
    return out


def _unescape(text: str) -> str:
    return (text.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",")
            .replace("%25", "%"))


def test_github_commands_well_formed_and_escaped():
    commands = _parse_commands(_render("github"))
    assert len(commands) == len(FINDINGS) + 1  # and one notice naming the skipped file
    assert commands[-1] == ("notice", {"title": "cloud-preflight"},
                            "1 file was not checked: big|file`.csv (larger than 10 MB; not read).")
    hostile = [c for c in commands if _unescape(c[1].get("file", "")) == HOSTILE_PATH]
    assert len(hostile) == 1
    kind, props, data = hostile[0]
    assert kind == "warning"
    assert "%3A%3Aerror%3A%3Ax%250A%2Cy%3Az" in props["file"]
    assert _unescape(data).startswith(HOSTILE_MESSAGE)
    assert "\n" not in data and "\r" not in data
    assert props["title"] == "CP102 dep-file-multiple"


def test_github_order_and_whole_file_line_1():
    commands = _parse_commands(_render("github"))
    kinds = [k for k, _, _ in commands]
    rank = {"error": 0, "warning": 1, "notice": 2}
    assert kinds == sorted(kinds, key=rank.__getitem__)
    by_file = {_unescape(p["file"]): p for _, p, _ in commands if "file" in p}
    assert by_file["streamlit_app.py"]["line"] == "1"
    assert "col" not in by_file["streamlit_app.py"]
    assert by_file["requirement.txt"]["line"] == "1"
    assert by_file["app/main.py"] == {"file": "app/main.py", "line": "12", "col": "5", "endLine": "12",
                                      "endColumn": "9", "title": "CP001 unparsable-file"}


def _many(n_errors: int, n_warnings: int, n_notes: int) -> Report:
    findings = []
    for severity, n in ((Severity.ERROR, n_errors), (Severity.WARNING, n_warnings), (Severity.NOTE, n_notes)):
        findings += [F("CP102", "dep-file-multiple", severity, f"{severity.label} {i}", f"f{i:03}.txt", i + 1)
                     for i in range(n)]
    return Report(tuple(sorted(findings, key=Finding.sort_key)))


@pytest.mark.parametrize(("errors", "warnings", "notes"), [(25, 12, 30), (3, 0, 11), (11, 0, 0), (10, 10, 10),
                                                         (0, 0, 10)])
def test_github_at_most_10_per_severity_then_one_summary_notice(errors, warnings, notes):
    commands = _parse_commands(github_report.render(_many(errors, warnings, notes)))
    kinds = [k for k, _, _ in commands]
    for kind in ("error", "warning", "notice"):
        assert kinds.count(kind) <= 10, kind
    overflow = errors > 10 or warnings > 10 or notes > 10
    pointers = [c for c in commands if c[1].get("title") == "cloud-preflight"]
    if not overflow:
        assert not pointers and len(commands) == errors + warnings + notes
        return
    assert len(pointers) == 1 and commands[-1] is pointers[0] and commands[-1][0] == "notice"
    shown = len(commands) - 1
    left_out = errors + warnings + notes - shown
    assert left_out > 0
    assert f"{left_out} more finding" in pointers[0][2] and "job summary" in pointers[0][2]
    assert kinds.count("error") == min(errors, 10) and kinds.count("warning") == min(warnings, 10)


def test_github_long_message_is_cut():
    long = replace(FINDINGS[0], message="x" * 10_000, fix=None)
    (_, _, data), = _parse_commands(github_report.render(Report((long,))))
    assert len(data) <= github_report.MESSAGE_LIMIT and data.endswith("…")


# --- markdown ---------------------------------------------------------------------------------------------


def _outside_code_spans(line: str) -> str:
    """The line with inline code spans removed (what GitHub would interpret as Markdown/HTML)."""
    out, i = [], 0
    while i < len(line):
        if line[i] == "`":
            j = i
            while j < len(line) and line[j] == "`":
                j += 1
            fence = line[i:j]
            end = line.find(fence, j)
            while end != -1 and (line[end + len(fence):end + len(fence) + 1] == "`"):
                end = line.find(fence, end + len(fence) + 1)
            if end == -1:
                out.append(fence)
                i = j
                continue
            i = end + len(fence)
            continue
        if line[i] == "\\" and i + 1 < len(line):
            i += 2
            continue
        out.append(line[i])
        i += 1
    return "".join(out)


def _cells(row: str) -> int:
    """Columns in a GFM table row: '|' not escaped by a backslash separates cells."""
    assert row.startswith("|") and row.endswith("|"), row
    return len(re.findall(r"(?<!\\)\|", row)) - 1


def test_markdown_tables_keep_their_columns():
    text = _render("markdown")
    table_rows = [line for line in text.split("\n") if line.startswith("|")]
    assert table_rows
    widths = []
    current = None
    for line in text.split("\n"):
        if line.startswith("|"):
            if current is None:
                current = _cells(line)
            assert _cells(line) == current, line
        else:
            if current is not None:
                widths.append(current)
            current = None
    assert widths == [3, 4]


def test_markdown_has_no_live_html_links_or_mentions():
    text = _render("markdown")
    assert "\r" not in text
    for line in text.split("\n"):
        live = _outside_code_spans(line)  # code spans show their text verbatim: no HTML, links or mentions
        assert "<script" not in live.lower(), line
        assert "](javascript:" not in live.lower(), line
        assert not re.search(r"(?<![\w`])@[A-Za-z0-9]", live), line  # '@<!-- -->x' is not a mention
        assert "<b>" not in live, line
    assert "@<!-- -->mention" in text
    assert "&lt;script&gt;" in text
    # the hostile message is on one line in the table and in the list
    assert sum("line one line two" in line for line in text.split("\n")) == 2


def test_markdown_links_rule_docs():
    text = _render("markdown")
    assert f"[CP101]({DOCS_URL}#cp101-dep-file-missing)" in text


def test_markdown_code_span_escaping():
    assert markdown_report.code("a`b") == "``a`b``"
    assert markdown_report.code("`x`") == "`` `x` ``"
    assert markdown_report.code("a|b", in_table=True) == "`a\\|b`"
    assert markdown_report.code("a|b") == "`a|b`"
    assert markdown_report.code("a\nb") == "`a b`"


def _huge(n: int) -> Report:
    findings = [F("CP102", "dep-file-multiple", (Severity.ERROR, Severity.WARNING, Severity.NOTE)[i % 3],
                  f"Finding number {i}: Community Cloud will install uv.lock and ignore requirements.txt " * 2,
                  f"apps/app_{i:05}/requirements.txt", i % 50 + 1, fix="Delete the files Cloud ignores.")
                for i in range(n)]
    return Report(tuple(sorted(findings, key=Finding.sort_key)), APPS, files=n)


@pytest.mark.parametrize(("max_chars", "max_bytes"), [(markdown_report.COMMENT_MAX_CHARS, None),
                                                      (None, markdown_report.SUMMARY_MAX_BYTES),
                                                      (20_000, None)])
def test_markdown_fits_size_limits_with_5000_findings(max_chars, max_bytes):
    report = _huge(5000)
    full = markdown_report.render(report)
    assert len(full.encode()) > 1024 * 1024  # the untrimmed report would not fit either limit
    text = markdown_report.render(report, max_chars=max_chars, max_bytes=max_bytes)
    if max_chars:
        assert len(text) <= max_chars
    if max_bytes:
        assert len(text.encode("utf-8")) <= max_bytes
    assert text.startswith(markdown_report.verdict_line(report))
    rows = [line for line in text.split("\n") if line.startswith("| :")]
    assert len(rows) == markdown_report.TABLE_LIMIT  # the table is kept whole
    items = [line for line in text.split("\n") if line.startswith("- :")]
    assert 0 < len(items) < 5000
    match = re.search(r"(\d+) findings were left out of this list to fit GitHub's size limit", text)
    assert match and int(match.group(1)) == 5000 - len(items)
    assert text.rstrip().endswith("</sub>")
    assert text.count("<details>") == text.count("</details>")


def test_markdown_trims_the_table_when_the_list_is_not_enough():
    report = _huge(60)
    text = markdown_report.render(report, max_chars=3000)
    assert len(text) <= 3000
    rows = [line for line in text.split("\n") if line.startswith("| :")]
    assert 0 < len(rows) < 50
    assert f"{60 - len(rows)} more findings are not in this table." in text
    assert "60 findings were left out of this list" in text


def test_markdown_under_the_limit_is_unchanged():
    assert markdown_report.render(REPORT, max_chars=10**6) == markdown_report.render(REPORT)


def test_markdown_tiny_limit_still_bounded():
    text = markdown_report.render(_huge(10), max_chars=200)
    assert len(text) <= 200


# --- json -------------------------------------------------------------------------------------------------


def _documented_keys() -> dict[str, list[str]]:
    doc = (ROOT / "docs" / "json-format.md").read_text(encoding="utf-8")
    sections: dict[str, list[str]] = {}
    current = None
    for line in doc.split("\n"):
        if line.startswith("## "):
            current = line[3:].strip()
            continue
        match = re.match(r"^\| `([a-z_]+)` \|", line)
        if match and current:
            sections.setdefault(current, []).append(match.group(1))
    return sections


def test_json_matches_documented_keys():
    data = json.loads(_render("json"))
    documented = _documented_keys()
    assert list(data) == documented["Top level"]
    assert list(data["tool"]) == documented["tool"]
    assert list(data["summary"]) == documented["summary"]
    assert data["entrypoints"] and all(list(e) == documented["entrypoints[]"] for e in data["entrypoints"])
    assert data["findings"] and all(list(f) == documented["findings[]"] for f in data["findings"])
    assert data["skipped"] and all(list(s) == documented["skipped[]"] for s in data["skipped"])


def test_json_values():
    data = json.loads(_render("json"))
    assert data["schema_version"] == 1
    assert data["verdict"] == "fail" and data["fail_on"] == "error"
    assert data["summary"] == {"errors": 3, "warnings": 2, "notes": 2, "suppressed": 2, "files": 42}
    assert [f["path"] for f in data["findings"]] == [f.location.path for f in FINDINGS]
    assert any(f["message"] == HOSTILE_MESSAGE for f in data["findings"])  # data is exact, not escaped
    missing = next(f for f in data["findings"] if f["code"] == "CP101")
    assert missing["line"] is None and missing["entrypoints"] == ["streamlit_app.py"]
    assert missing["url"].endswith("#cp101-dep-file-missing")
    never = json.loads(_render("json", replace(REPORT, fail_on=None)))
    assert never["verdict"] == "pass" and never["fail_on"] == "never"


# --- sarif ------------------------------------------------------------------------------------------------


def test_sarif_validates_against_the_official_schema():
    import jsonschema  # in the test extra: a missing one must fail, not skip
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    for report in (REPORT, Report(()), _many(3, 2, 1)):
        data = json.loads(_render("sarif", report))
        jsonschema.validate(data, schema, cls=jsonschema.Draft4Validator)


def test_sarif_rules_uris_and_regions():
    data = json.loads(_render("sarif"))
    assert data["version"] == "2.1.0"
    run = data["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))
    assert len(run["results"]) == len(FINDINGS)
    for result in run["results"]:
        assert result["ruleId"] in ids
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        assert not uri.startswith(("./", "/")) and " " not in uri and "\n" not in uri
        assert unquote(uri) in {f.location.path for f in FINDINGS}
        assert physical["region"]["startLine"] >= 1
    for rule in rules:
        assert rule["helpUri"].endswith(f"#{rule['id'].lower()}-{rule['name']}")
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert "sub%20dir/requirements.txt" in uris


def test_sarif_strips_leading_dot_slash():
    finding = replace(FINDINGS[0], location=Location("./a b/c.py", 3))
    data = json.loads(_render("sarif", Report((finding,))))
    assert data["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "a%20b/c.py"


def test_markdown_renders_safely_with_cmark_gfm():
    """With GitHub's own renderer (cmarkgfm, optional): tables keep their cells, nothing hostile goes live."""
    import cmarkgfm
    from cmarkgfm.cmark import Options

    html = cmarkgfm.github_flavored_markdown_to_html(_render("markdown"), options=Options.CMARK_OPT_UNSAFE)
    assert "<script" not in html
    assert 'href="javascript' not in html
    assert html.count("<table>") == 2
    for row in re.findall(r"<tr>(.*?)</tr>", html, flags=re.DOTALL):
        assert row.count("<td>") + row.count("<th>") in (3, 4), row
    assert "<code>pages/evil name ::error::x%0A,y:z `tick` &lt;script&gt;alert(1)&lt;/script&gt;].py:3</code>" in html
