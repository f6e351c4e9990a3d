"""SARIF 2.1.0 for github/codeql-action/upload-sarif. Paths are repo-relative with no leading './'.

Files the scan did not read are ``toolExecutionNotifications`` (level note) of the run's one invocation.
"""

from __future__ import annotations

import json

from preflight.model import DOCS_URL, Severity
from preflight.report import Report

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}


def _uri(path: str) -> str:
    """A repo-relative URI reference: no leading './' or '/', spaces and other reserved characters %-encoded."""
    from urllib.parse import quote

    while path.startswith("./"):
        path = path[2:]
    return quote(path.lstrip("/"), safe="/")


def as_dict(report: Report) -> dict:
    from checks import RULES_BY_CODE

    rule_ids = sorted({f.code for f in report.findings})
    rules = []
    for code in rule_ids:
        meta = RULES_BY_CODE.get(code)
        name = meta.name if meta else code
        rules.append({
            "id": code,
            "name": name,
            "shortDescription": {"text": meta.summary if meta else code},
            "helpUri": f"{DOCS_URL}#{code.lower()}-{name}",
            "defaultConfiguration": {"level": LEVELS[meta.severity] if meta else "warning"},
        })
    index = {code: i for i, code in enumerate(rule_ids)}
    results = []
    for finding in report.findings:
        loc = finding.location
        region = {"startLine": loc.line or 1}
        if loc.column:
            region["startColumn"] = loc.column
        if loc.end_line:
            region["endLine"] = loc.end_line
        if loc.end_column:
            region["endColumn"] = loc.end_column
        text = finding.message + (f" Fix: {finding.fix}" if finding.fix else "")
        results.append({
            "ruleId": finding.code,
            "ruleIndex": index[finding.code],
            "level": LEVELS[finding.severity],
            "message": {"text": text},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": _uri(loc.path), "uriBaseId": "%SRCROOT%"},
                "region": region,
            }}],
            "partialFingerprints": {"cloudPreflight/v1": f"{finding.code}:{loc.path}:{finding.message}"},
        })
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "cloud-preflight", "version": report.version,
                                "informationUri": DOCS_URL.rsplit("/blob/", 1)[0], "rules": rules}},
            "columnKind": "unicodeCodePoints",  # our columns count characters; say so, leave no default to guess
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The repository root."}}},
            "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": [
                {"level": "note", "message": {"text": f"{path} was not checked: {reason}"},
                 "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(path),
                                                                          "uriBaseId": "%SRCROOT%"}}}]}
                for path, reason in report.skipped]}],
            "results": results,
        }],
    }


def render(report: Report) -> str:
    return json.dumps(as_dict(report), indent=2, ensure_ascii=False) + "\n"
