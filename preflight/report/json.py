"""JSON report (documented in docs/json-format.md). Stable key order; version bumps on breaking changes."""

from __future__ import annotations

import json

from preflight.model import Severity
from preflight.report import Report

SCHEMA_VERSION = 1


def as_dict(report: Report) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "cloud-preflight", "version": report.version},
        "verdict": "fail" if report.failed else "pass",
        "fail_on": report.fail_on_label,
        "summary": {
            "errors": report.count(Severity.ERROR),
            "warnings": report.count(Severity.WARNING),
            "notes": report.count(Severity.NOTE),
            "suppressed": report.suppressed,
            "files": report.files,
        },
        "entrypoints": [
            {"entrypoint": a.entrypoint, "exists": a.exists, "dependency_file": a.dependency_file,
             "manager": a.manager, "ignored_dependency_files": list(a.ignored_files), "streamlit": a.streamlit}
            for a in report.apps
        ],
        "findings": [f.to_dict() for f in report.findings],
        "skipped": [{"path": p, "reason": r} for p, r in report.skipped],
    }


def render(report: Report) -> str:
    return json.dumps(as_dict(report), indent=2, ensure_ascii=False) + "\n"
