"""GitHub workflow commands (annotations).

Data is escaped (``%``, CR, LF) and properties also (``:`` and ``,``), exactly as actions/toolkit's
``command.ts`` does. Errors come first, then warnings, then notices. The runner turns at most 10 commands per
severity per step into annotations, so at most 10 of each are written; when some are left out, one notice (which
counts as a notice, so only 9 findings of severity note are written then) says how many and points to the job
summary. Whole-file findings are annotated on line 1 so they show in "Files changed". Messages longer than the
runner keeps (4,096 characters) are cut with an ellipsis. The files the scan did not read (too large, not a
regular file, a symlink leaving the repository) are named in one more notice, which also takes a notice slot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from preflight.model import Location, Severity
from preflight.report import Report

PER_SEVERITY = 10
MESSAGE_LIMIT = 4096  # the runner truncates annotation messages to this many characters
COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}
ORDER = (Severity.ERROR, Severity.WARNING, Severity.NOTE)


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, message: str, **props: object) -> str:
    rendered = ",".join(f"{k}={escape_property(str(v))}" for k, v in props.items() if v is not None)
    return f"::{kind}{' ' + rendered if rendered else ''}::{escape_data(message)}"


def _shorten(text: str, limit: int = MESSAGE_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Annotation:
    """One workflow command: ``kind`` is error, warning or notice; ``properties`` in the runner's names
    (file, line, col, endLine, endColumn, title), None for absent ones."""

    kind: str
    message: str
    properties: dict[str, object]

    def command(self) -> str:
        return command(self.kind, self.message, **self.properties)


def annotations(report: Report, *, per_severity: int = PER_SEVERITY,
                reserved: Mapping[Severity, int] | None = None, skipped_notice: bool = True) -> list[Annotation]:
    """The annotations to write, in order: errors, warnings, notices, then the pointer to the summary.

    ``reserved`` keeps slots free for annotations the caller writes itself (the Action keeps one warning for a
    comment it could not post). ``skipped_notice`` adds one notice naming the files that were not read.
    """
    groups = {severity: [f for f in report.findings if f.severity == severity] for severity in ORDER}
    budget = {s: max(0, per_severity - (reserved or {}).get(s, 0)) for s in ORDER}
    skipped = _skipped_notice(report) if skipped_notice else None
    if skipped is not None:
        budget[Severity.NOTE] = max(0, budget[Severity.NOTE] - 1)
    overflow = any(len(groups[s]) > budget[s] for s in ORDER)
    if overflow:
        budget[Severity.NOTE] = max(0, budget[Severity.NOTE] - 1)  # keep a notice slot for the pointer to the summary
    out = []
    left_out = 0
    for severity in ORDER:
        group = groups[severity]
        for finding in group[: budget[severity]]:
            loc = finding.location
            message = finding.message + (f"\nFix: {finding.fix}" if finding.fix else "")
            out.append(Annotation(COMMANDS[severity], _shorten(message), {
                "file": loc.path, **_position(loc), "title": f"{finding.code} {finding.name}"}))
        left_out += max(0, len(group) - budget[severity])
    if skipped is not None:
        out.append(skipped)
    if left_out:
        noun = "finding is" if left_out == 1 else "findings are"
        out.append(Annotation("notice", f"{left_out} more {noun} not annotated (GitHub shows at most "
                                        f"{per_severity} annotations per severity); see the job summary for the "
                                        f"full list.", {"title": "cloud-preflight"}))
    return out


def _position(loc: Location) -> dict[str, int | None]:
    """line, col, endLine, endColumn as the runner keeps them (IssueCommandExtension.ValidateLinesAndColumns
    drops columns on a multi-line range and ranges that end before they start): so the annotation the runner
    makes is exactly the one planned. A whole-file finding goes on line 1."""
    if loc.line is None:
        return {"line": 1, "col": None, "endLine": None, "endColumn": None}
    end_line = loc.end_line if loc.end_line is not None and loc.end_line >= loc.line else None
    col, end_col = loc.column, loc.end_column
    if (end_line is not None and end_line != loc.line) or col is None or (end_col is not None and end_col < col):
        col, end_col = (col if end_line in (None, loc.line) else None), None
    return {"line": loc.line, "col": col, "endLine": end_line, "endColumn": end_col}


def _skipped_notice(report: Report, shown: int = 5) -> Annotation | None:
    """One notice naming the files that were not read (the first ``shown`` of them), or None."""
    if not report.skipped:
        return None
    n = len(report.skipped)
    listed = "; ".join(f"{path} ({reason})" for path, reason in report.skipped[:shown])
    more = f"; and {n - shown} more" if n > shown else ""
    noun = "file was" if n == 1 else "files were"
    return Annotation("notice", _shorten(f"{n} {noun} not checked: {listed}{more}."), {"title": "cloud-preflight"})


def render(report: Report, *, per_severity: int = PER_SEVERITY) -> str:
    lines = [a.command() for a in annotations(report, per_severity=per_severity)]
    return "\n".join(lines) + ("\n" if lines else "")
