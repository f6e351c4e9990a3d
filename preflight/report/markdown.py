"""Markdown for the job summary, the PR comment and ``--format markdown``.

Everything that comes from the repository (paths, messages quoting file contents) is escaped: Markdown
punctuation gets a backslash, HTML special characters become entities, and newlines become spaces, so a file
named ``<script>`` or ``[x](javascript:...)`` renders as text.
"""

from __future__ import annotations

import html
import re

from preflight.model import DOCS_URL, Severity
from preflight.report import Report, counts_phrase

ICONS = {Severity.ERROR: ":x:", Severity.WARNING: ":warning:", Severity.NOTE: ":information_source:"}
TABLE_LIMIT = 50
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")


def escape(text: str) -> str:
    """Escape untrusted text for a Markdown table cell or paragraph."""
    text = " ".join(text.split())  # newlines and tabs would break tables
    text = html.escape(text, quote=True)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return text.replace("@", "@<!-- -->")  # no accidental @mentions


def verdict_line(report: Report) -> str:
    if report.failed:
        return f"### :x: cloud-preflight: this app is likely to fail on Community Cloud ({counts_phrase(report)})"
    if report.findings:
        return f"### :white_check_mark: cloud-preflight: no blocking problems ({counts_phrase(report)})"
    return "### :white_check_mark: cloud-preflight: all clear, nothing to report"


def render(report: Report, *, limit: int = TABLE_LIMIT) -> str:
    out = [verdict_line(report), ""]
    if report.apps:
        out.append("| Entrypoint | Dependency file Cloud uses | Streamlit |")
        out.append("|---|---|---|")
        for app in report.apps:
            dep = "not found" if not app.exists else (
                f"`{escape(app.dependency_file)}` ({escape(app.manager or '')})" if app.dependency_file else "none")
            if app.ignored_files:
                dep += " — ignored: " + ", ".join(f"`{escape(p)}`" for p in app.ignored_files)
            out.append(f"| `{escape(app.entrypoint)}` | {dep} | {escape(app.streamlit or '')} |")
        out.append("")
    if report.findings:
        out.append("| | Rule | Location | Message |")
        out.append("|---|---|---|---|")
        for finding in report.findings[:limit]:
            loc = finding.location
            where = escape(loc.path) + ("" if loc.line is None else f":{loc.line}")
            out.append(f"| {ICONS[finding.severity]} | [{finding.code}]({DOCS_URL}#{finding.code.lower()}-"
                       f"{finding.name}) | `{where}` | {escape(finding.message)} |")
        if len(report.findings) > limit:
            out.append(f"\n{len(report.findings) - limit} more findings are in the full list below.")
        out.append("")
        out.append(f"<details><summary>All {len(report.findings)} findings, with fixes</summary>\n")
        for finding in report.findings:
            loc = finding.location
            where = escape(loc.path) + ("" if loc.line is None else f":{loc.line}")
            line = f"- {ICONS[finding.severity]} **{finding.code}** `{where}`: {escape(finding.message)}"
            if finding.fix:
                line += f" *Fix:* {escape(finding.fix)}"
            out.append(line)
        out.append("\n</details>")
        out.append("")
    if report.skipped:
        out.append(f"<details><summary>{len(report.skipped)} files skipped</summary>\n")
        out += [f"- `{escape(p)}`: {escape(r)}" for p, r in report.skipped]
        out.append("\n</details>\n")
    out.append(f"<sub>cloud-preflight {escape(report.version)} · {report.files} files · fails on "
               f"{report.fail_on_label} · [rules]({DOCS_URL})</sub>")
    return "\n".join(out) + "\n"
