"""Readable grouped output for a terminal (colour only when asked: the CLI asks on a TTY)."""

from __future__ import annotations

from itertools import groupby

from preflight.model import Severity
from preflight.report import Report, counts_phrase

_COLORS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.NOTE: "\033[36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def _clean(text: str) -> str:
    """Untrusted text on one line, with control characters made visible (no terminal escapes).

    ``##[`` is shown as ``#\\x23[`` so a file name cannot smuggle an old-style workflow command into a GitHub
    Actions log (the runner looks for it anywhere in a line).
    """
    cleaned = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
    return cleaned.replace("##[", "#\\x23[")


def _line_start(text: str) -> str:
    """Untrusted text that begins a line: a leading ``::`` would be read as a workflow command in Actions."""
    cleaned = _clean(text)
    stripped = cleaned.lstrip()
    if stripped.startswith("::"):
        return cleaned[: len(cleaned) - len(stripped)] + "\\x3a" + stripped[1:]
    return cleaned


def render(report: Report, *, color: bool = False) -> str:
    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    lines: list[str] = []
    if report.apps:
        lines.append("Checked " + ("1 entrypoint:" if len(report.apps) == 1 else f"{len(report.apps)} entrypoints:"))
        for app in report.apps:
            if not app.exists:
                lines.append(f"  {_line_start(app.entrypoint)}  (not found)")
                continue
            dep = f"{_clean(app.dependency_file)} ({app.manager})" if app.dependency_file else "no dependency file"
            parts = [dep]
            if app.streamlit:
                parts.append(_clean(app.streamlit))
            lines.append(f"  {_line_start(app.entrypoint)}  ->  " + "; ".join(parts))
    else:
        lines.append("No entrypoint found (no file imports streamlit); pass --entrypoint PATH.")
    lines.append("")
    for path, group in groupby(report.findings, key=lambda f: f.location.path):
        lines.append(paint(_line_start(path), _BOLD))
        for finding in group:
            loc = finding.location
            where = "" if loc.line is None else f"{loc.line}" + ("" if loc.column is None else f":{loc.column}")
            sev = paint(f"{finding.severity.label:<7}", _COLORS[finding.severity])
            lines.append(f"  {where:>7} {sev} {finding.code} {_clean(finding.message)} [{finding.name}]")
            if finding.fix:
                lines.append(paint(f"{'':>17}fix: {_clean(finding.fix)}", _DIM))
        lines.append("")
    for path, reason in report.skipped:
        lines.append(paint(f"skipped {_clean(path)}: {_clean(reason)}", _DIM))
    if report.skipped:
        lines.append("")
    verdict = "FAIL" if report.failed else "OK"
    lines.append(f"{verdict}: {counts_phrase(report)} in {report.files} files"
                 f" (fails on {report.fail_on_label} or worse).")
    return "\n".join(lines) + "\n"
