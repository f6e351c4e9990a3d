"""Annotations as the Action writes them (through actions_toolkit.core) and as the runner reads them back
(tests/actions_runner.py, ported from actions/runner): escaping of hostile file names and messages, errors first,
at most 10 per severity, the pointer to the summary, whole-file findings on line 1."""

from __future__ import annotations

import io
import os
from contextlib import redirect_stdout
from dataclasses import replace
from pathlib import Path

import pytest

import entrypoint
from preflight.model import Finding, Location, Severity
from preflight.report import Report
from preflight.report import github as github_report
from tests.actions_runner import run_step
from tests.test_reports import FINDINGS, HOSTILE_MESSAGE, HOSTILE_PATH, REPORT

GOLDEN = Path(__file__).resolve().parent / "action_goldens" / "annotations.txt"
HOSTILE_NAMES = ["a%b.py", "line\nbreak.py", "carriage\rreturn.py", "co:lon.py", "com,ma.py", "dou::ble.py",
                 "::error::inject.py", "%0A%25.py", "[x](javascript:alert(1)).py", "<img src=x onerror=alert(1)>.py",
                 "*bold* _it_ `code` | pipe.py", "title=x,line=9.py"]


def emit(report: Report, reserved=None) -> str:
    """What entrypoint.py prints for the annotations of ``report``."""
    from actions_toolkit import core

    out = io.StringIO()
    with redirect_stdout(out):
        for annotation in github_report.annotations(report, reserved=reserved):
            entrypoint._emit(core, annotation.kind, annotation.message, annotation.properties)
    return out.getvalue()


def finding(path: str, line: int | None = 3, severity: Severity = Severity.ERROR, message: str = "msg",
            **kw) -> Finding:
    return Finding("CP301", "req-stdlib", severity, message, Location(path, line, kw.get("column"),
                                                                      kw.get("end_line"), kw.get("end_column")),
                   kw.get("fix"))


def test_golden():
    actual = emit(REPORT)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(actual, encoding="utf-8", newline="")
    assert GOLDEN.is_file(), f"{GOLDEN} missing: run with UPDATE_GOLDEN=1 and review it"
    assert actual == GOLDEN.read_bytes().decode("utf-8")


def test_the_runner_reads_the_same_annotations_from_the_toolkit_and_our_renderer():
    """The toolkit writes unset properties as empty ones; the runner drops them, so both are the same."""
    assert run_step(emit(REPORT)).annotations == run_step(github_report.render(REPORT)).annotations
    assert len(run_step(emit(REPORT)).annotations) == len(FINDINGS) + 1  # and the skipped-files notice


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_file_names_round_trip(name):
    message = f"{name} is bad: 100% sure,\nreally: ::warning::no"
    report = Report((finding(name, 4, message=message, column=2, end_line=4, end_column=5),))
    log = run_step(emit(report))
    [annotation] = log.annotations
    assert (annotation.kind, annotation.file, annotation.line, annotation.col, annotation.end_col) == \
        ("error", name, 4, 2, 5)
    assert annotation.message == message and annotation.title == "CP301 req-stdlib"
    assert log.plain == [] and len(log.commands) == 1


def test_hostile_report_round_trips():
    log = run_step(emit(REPORT))
    hostile = [a for a in log.annotations if a.file == HOSTILE_PATH]
    assert len(hostile) == 1 and hostile[0].message.startswith(HOSTILE_MESSAGE)
    assert [a.kind for a in log.annotations] == sorted((a.kind for a in log.annotations),
                                                       key=["error", "warning", "notice"].index)


def test_whole_file_findings_on_line_1_without_columns():
    log = run_step(emit(Report((finding("requirements.txt", None, column=3),))))
    [annotation] = log.annotations
    assert (annotation.line, annotation.col, annotation.end_line) == (1, None, None)


def test_at_most_10_per_severity_then_one_notice():
    findings = [finding(f"f{i:02}.py", severity=Severity.ERROR) for i in range(25)]
    findings += [finding(f"w{i}.py", severity=Severity.WARNING) for i in range(3)]
    findings += [finding(f"n{i:02}.py", severity=Severity.NOTE) for i in range(12)]
    log = run_step(emit(Report(tuple(findings))))
    counts = {kind: sum(a.kind == kind for a in log.annotations) for kind in ("error", "warning", "notice")}
    assert counts == {"error": 10, "warning": 3, "notice": 10} and log.dropped == []
    pointer = log.annotations[-1]
    assert pointer.kind == "notice" and pointer.file is None and "18 more findings" in pointer.message
    assert "job summary" in pointer.message
    assert [a.kind for a in log.annotations][:10] == ["error"] * 10


def test_a_reserved_warning_slot_stays_free():
    findings = tuple(finding(f"w{i:02}.py", severity=Severity.WARNING) for i in range(12))
    planned = github_report.annotations(Report(findings), reserved={Severity.WARNING: 1})
    assert sum(a.kind == "warning" for a in planned) == 9
    assert "3 more findings" in planned[-1].message


def test_long_messages_are_cut_to_what_the_runner_keeps():
    [annotation] = run_step(emit(Report((finding("x.py", message="x" * 10_000),)))).annotations
    assert len(annotation.message) == 4096 and annotation.message.endswith("…")


def test_multi_line_ranges_drop_columns_as_the_runner_does():
    report = Report((finding("x.py", 3, column=2, end_line=5, end_column=1),))
    [annotation] = run_step(emit(report)).annotations
    assert (annotation.line, annotation.end_line, annotation.col) == (3, 5, None)


def test_only_the_core_module_of_the_toolkit_is_imported():
    import sys

    emit(REPORT)
    assert "actions_toolkit.core" in sys.modules and "actions_toolkit.github" not in sys.modules


def test_our_tests_package_is_not_shadowed_by_the_toolkits():
    """actions-toolkit's wheel installs a top-level ``tests`` package; ours must win."""
    import tests

    assert Path(tests.__file__).resolve().parent == Path(__file__).resolve().parent


def test_rebase_prefixes_every_path():
    rebased = entrypoint._rebase(REPORT, "apps/a")
    assert all(f.location.path.startswith("apps/a/") for f in rebased.findings)
    assert rebased.apps[1].dependency_file == "apps/a/app/requirements.txt"
    assert rebased.skipped[0][0].startswith("apps/a/")
    assert entrypoint._rebase(REPORT, "") is REPORT
    assert replace(REPORT) == REPORT
