"""GitHub workflow commands (annotations).

Data is escaped (``%``, CR, LF) and properties also (``:`` and ``,``), exactly as actions/toolkit's
``command.ts`` does. Errors come first; at most 10 annotations per severity (GitHub renders no more per step),
then one notice that points to the job summary. Whole-file findings are annotated on line 1 so they show in
"Files changed".
"""

from __future__ import annotations

from preflight.model import Severity
from preflight.report import Report

PER_SEVERITY = 10
COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, message: str, **props: object) -> str:
    rendered = ",".join(f"{k}={escape_property(str(v))}" for k, v in props.items() if v is not None)
    return f"::{kind}{' ' + rendered if rendered else ''}::{escape_data(message)}"


def render(report: Report, *, per_severity: int = PER_SEVERITY) -> str:
    lines = []
    left_out = 0
    for severity in (Severity.ERROR, Severity.WARNING, Severity.NOTE):
        group = [f for f in report.findings if f.severity == severity]
        for finding in group[:per_severity]:
            loc = finding.location
            message = finding.message + (f"\nFix: {finding.fix}" if finding.fix else "")
            lines.append(command(COMMANDS[severity], message, file=loc.path, line=loc.line or 1,
                                 col=loc.column, endLine=loc.end_line, endColumn=loc.end_column,
                                 title=f"{finding.code} {finding.name}"))
        left_out += max(0, len(group) - per_severity)
    if left_out:
        lines.append(command("notice", f"{left_out} more findings are not annotated; see the job summary for "
                                       f"the full list.", title="cloud-preflight"))
    return "\n".join(lines) + ("\n" if lines else "")
