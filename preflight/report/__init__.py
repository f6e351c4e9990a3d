"""Pure reporters: (findings, run facts) -> str. Only the CLI, entrypoint.py and preflight/github do I/O."""

from __future__ import annotations

from dataclasses import dataclass, field

from preflight.model import Finding, Severity

FORMATS = ("text", "json", "sarif", "markdown", "github")


@dataclass(frozen=True)
class AppInfo:
    """What was checked for one entrypoint (for the report header)."""

    entrypoint: str
    exists: bool = True
    dependency_file: str | None = None
    manager: str | None = None
    ignored_files: tuple[str, ...] = ()
    streamlit: str | None = None


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]
    apps: tuple[AppInfo, ...] = ()
    suppressed: int = 0
    skipped: tuple[tuple[str, str], ...] = ()
    files: int = 0
    fail_on: Severity | None = Severity.ERROR  # None: never fail
    version: str = "0"
    extra: dict = field(default_factory=dict)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def failed(self) -> bool:
        return self.fail_on is not None and any(f.severity >= self.fail_on for f in self.findings)

    @property
    def fail_on_label(self) -> str:
        return self.fail_on.label if self.fail_on is not None else "never"



def counts_phrase(report: Report) -> str:
    parts = []
    for severity, word in ((Severity.ERROR, "error"), (Severity.WARNING, "warning"), (Severity.NOTE, "note")):
        n = report.count(severity)
        parts.append(f"{n} {word}{'' if n == 1 else 's'}")
    text = ", ".join(parts)
    if report.suppressed:
        text += f" ({report.suppressed} suppressed)"
    return text


def render(fmt: str, report: Report, *, color: bool = False) -> str:
    if fmt == "text":
        from preflight.report.text import render as r

        return r(report, color=color)
    if fmt == "json":
        from preflight.report.json import render as r
    elif fmt == "sarif":
        from preflight.report.sarif import render as r
    elif fmt == "markdown":
        from preflight.report.markdown import render as r
    elif fmt == "github":
        from preflight.report.github import render as r
    else:
        raise ValueError(f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})")
    return r(report)
