"""Markdown for the job summary, the PR comment and ``--format markdown``.

Everything that comes from the repository (paths, messages quoting file contents) is escaped so it renders as
text: in prose and table cells Markdown punctuation gets a backslash, ``<``, ``>`` and ``&`` become entities,
``@`` cannot start a mention, URLs do not become links and newlines become spaces, so a file named ``<script>``
or ``[x](javascript:...)`` renders as those characters. Paths go in code spans, where nothing is interpreted; only
``|`` is escaped there inside tables (GitHub splits table rows before it reads code spans).

GitHub limits a job summary to 1 MiB per step and a comment to 65,536 characters: ``max_chars`` (and
``max_bytes``) make the output fit by trimming the full list first, then the table, with a line saying how many
findings were left out.
"""

from __future__ import annotations

import html
import re

from preflight.model import DOCS_URL, Finding, Severity
from preflight.report import Report, counts_phrase

ICONS = {Severity.ERROR: ":x:", Severity.WARNING: ":warning:", Severity.NOTE: ":information_source:"}
TABLE_LIMIT = 50
# GitHub's limits, for callers: a comment body (characters) and a step's job summary (bytes). Leave room for
# whatever the caller adds around the report (a marker comment, a heading).
COMMENT_MAX_CHARS = 65_536
SUMMARY_MAX_BYTES = 1024 * 1024
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~$-])")  # not < > &: they become entities
_BACKTICKS = re.compile(r"`+")
# What GitHub's autolink extension turns into a live link in plain text (a URL quoted from a requirements file
# would become a link posted by the bot): a backslash before the last character of '://' or 'www.' prevents it.
_AUTOLINK = re.compile(r"://|(?<![A-Za-z0-9])www\.", re.IGNORECASE)


def escape(text: str) -> str:
    """Escape untrusted text for a Markdown table cell or paragraph."""
    text = " ".join(text.split())  # newlines and tabs would break tables
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _AUTOLINK.sub(lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], text)  # :/\/ and www\.
    text = html.escape(text, quote=False)  # after the backslashes, so entities stay intact
    return text.replace("@", "@<!-- -->")  # no accidental @mentions


def code(text: str, *, in_table: bool = False) -> str:
    """Untrusted text as an inline code span (shown verbatim: no links, HTML, mentions or entities)."""
    text = " ".join(text.split())
    if not text:
        return ""
    if in_table:
        text = text.replace("|", "\\|")
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text[0] in "` " or text[-1] in "` " else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def verdict_line(report: Report) -> str:
    if report.failed:
        return f"### :x: cloud-preflight: this app is likely to fail on Community Cloud ({counts_phrase(report)})"
    if report.findings:
        return f"### :white_check_mark: cloud-preflight: no blocking problems ({counts_phrase(report)})"
    return "### :white_check_mark: cloud-preflight: all clear, nothing to report"


def _where(finding: Finding, *, in_table: bool) -> str:
    loc = finding.location
    return code(loc.path + ("" if loc.line is None else f":{loc.line}"), in_table=in_table)


def _head(report: Report) -> list[str]:
    out = [verdict_line(report), ""]
    if report.apps:
        out.append("| Entrypoint | Dependency file Cloud uses | Streamlit |")
        out.append("|---|---|---|")
        for app in report.apps:
            dep = "not found" if not app.exists else (
                f"{code(app.dependency_file, in_table=True)} ({escape(app.manager or '')})"
                if app.dependency_file else "none")
            if app.exists and app.ignored_files:
                dep += " — ignored: " + ", ".join(code(p, in_table=True) for p in app.ignored_files)
            out.append(f"| {code(app.entrypoint, in_table=True)} | {dep} | {escape(app.streamlit or '')} |")
        out.append("")
    return out


def _row(finding: Finding) -> str:
    return (f"| {ICONS[finding.severity]} | [{finding.code}]({finding.url}) | {_where(finding, in_table=True)} | "
            f"{escape(finding.message)} |")


def _item(finding: Finding) -> str:
    line = f"- {ICONS[finding.severity]} **[{finding.code}]({finding.url})** {_where(finding, in_table=False)}: " \
           f"{escape(finding.message)}"
    if finding.fix:
        line += f" *Fix:* {escape(finding.fix)}"
    return line


def _assemble(report: Report, head: list[str], rows: list[str], items: list[str], skipped: list[str]) -> str:
    total = len(report.findings)
    out = list(head)
    if report.findings:
        out.append("| | Rule | Location | Message |")
        out.append("|---|---|---|---|")
        out += rows
        if total > len(rows):
            more = total - len(rows)
            out.append(f"\n{more} more finding{'s are' if more != 1 else ' is'} not in this table"
                       + (" but in the full list below." if len(items) == total else "."))
        out.append("")
        out.append(f"<details><summary>All {total} findings, with fixes</summary>\n")
        out += items
        if len(items) < total:
            left = total - len(items)
            out.append(f"\n{left} finding{'s were' if left != 1 else ' was'} left out of this list to fit "
                       f"GitHub's size limit; run cloud-preflight with `--format json` for all of them.")
        out.append("\n</details>")
        out.append("")
    if report.skipped:
        n = len(report.skipped)
        out.append(f"<details><summary>{n} file{'' if n == 1 else 's'} skipped</summary>\n")
        out += skipped
        if len(skipped) < len(report.skipped):
            out.append(f"\n{len(report.skipped) - len(skipped)} more left out to fit GitHub's size limit.")
        out.append("\n</details>\n")
    out.append(f"<sub>cloud-preflight {escape(report.version)} · {report.files} files · fails on "
               f"{report.fail_on_label} · [rules]({DOCS_URL})</sub>")
    return "\n".join(out) + "\n"


def render(report: Report, *, limit: int = TABLE_LIMIT, max_chars: int | None = None,
           max_bytes: int | None = None) -> str:
    """The report as GitHub-flavoured Markdown, at most ``max_chars`` characters and ``max_bytes`` UTF-8 bytes.

    When it would be longer, the full list (under ``<details>``) is trimmed first, then the skipped-files list,
    then the table; each trimmed list says how many entries it left out.
    """
    head = _head(report)
    rows = [_row(f) for f in report.findings[:limit]]
    items = [_item(f) for f in report.findings]
    skipped = [f"- {code(p)}: {escape(r)}" for p, r in report.skipped]

    def fits(text: str) -> bool:
        return (max_chars is None or len(text) <= max_chars) and \
            (max_bytes is None or len(text.encode("utf-8")) <= max_bytes)

    def build(n_rows: int, n_items: int, n_skipped: int) -> str:
        return _assemble(report, head, rows[:n_rows], items[:n_items], skipped[:n_skipped])

    text = build(len(rows), len(items), len(skipped))
    if fits(text):
        return text
    # Trim in order: the full list, the skipped files, the table. Each count is the largest that still fits
    # (the size grows with the count, so a binary search finds it).
    counts = [len(rows), len(items), len(skipped)]
    for index in (1, 2, 0):
        counts[index] = 0
        if fits(build(*counts)):
            lo, hi = 0, [len(rows), len(items), len(skipped)][index]
            while lo < hi:
                mid = (lo + hi + 1) // 2
                trial = list(counts)
                trial[index] = mid
                if fits(build(*trial)):
                    lo = mid
                else:
                    hi = mid - 1
            counts[index] = lo
            return build(*counts)
    # Even the verdict, the entrypoints and the footer are too long: drop whole lines from the end.
    note = "\n(cut to fit GitHub's size limit)\n"
    lines = build(*counts).split("\n")
    while lines and not fits("\n".join(lines) + note):
        lines.pop()
    return "\n".join(lines) + note if lines else note[: max_chars or len(note)]
