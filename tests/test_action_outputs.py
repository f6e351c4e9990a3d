"""Step outputs in the runner's multiline-safe format, and the size limits of the job summary (1 MiB per step)
and of a comment (65,536 characters)."""

from __future__ import annotations

from types import SimpleNamespace

import entrypoint
from preflight.github import comment
from preflight.model import Finding, Location, Severity
from preflight.report import AppInfo, Report, markdown
from tests.action_harness import run_action, webhook, write_app
from tests.actions_runner import read_outputs


def big_report(n: int = 6000) -> Report:
    findings = tuple(
        Finding("CP301", "req-stdlib", Severity.ERROR, f"ünïcødé 📈 <b>{i}</b> " + "x" * 300,
                Location(f"pages/page_{i:05}|`x`.py", i + 1), fix="y" * 200)
        for i in range(n))
    return Report(findings, (AppInfo("streamlit_app.py", True, "requirements.txt", "uv"),), files=n)


def test_outputs_survive_newlines_and_delimiter_lookalikes(tmp_path, monkeypatch):
    from actions_toolkit import core

    out = tmp_path / "output"
    out.write_text("")
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    values = {"plain": "3", "multi": "line 1\nline 2\n\nghadelimiter_fake\nEOF", "eq": "a=b<<c", "empty": ""}
    entrypoint._set_outputs(core, values)
    text = out.read_text()
    assert read_outputs(text) == values
    assert text.count("<<ghadelimiter_") == len(values)  # every value uses a fresh random delimiter


def test_no_output_file_writes_nothing(monkeypatch, capsys):
    from actions_toolkit import core

    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    entrypoint._set_outputs(core, {"verdict": "pass"})
    assert "set-output" not in capsys.readouterr().out  # no retired ::set-output command


def test_summary_stays_under_1_mib(tmp_path):
    context = SimpleNamespace(head_sha="a" * 40, event_name="pull_request", pr_number=12)
    inputs = entrypoint.Inputs(path="apps/<x>")
    text = entrypoint._summary_text(big_report(), context, inputs, markdown.SUMMARY_MAX_BYTES)
    size = len(text.encode("utf-8"))
    assert 0.9 * markdown.SUMMARY_MAX_BYTES < size <= markdown.SUMMARY_MAX_BYTES
    assert text.startswith("### :x: cloud-preflight") and "left out" in text
    assert text.rstrip().endswith("(pull\\_request #12)</sub>")


def test_summary_budget_counts_what_the_step_already_wrote(tmp_path, monkeypatch):
    workspace = write_app(tmp_path / "ws")
    original = entrypoint._summary_text
    seen = {}

    def spy(report, ctx, inputs, budget):
        seen["budget"] = budget
        return original(report, ctx, inputs, budget)

    monkeypatch.setattr(entrypoint, "_summary_text", spy)
    before = "# 📈 earlier\n" * 1000
    run = run_action(tmp_path, monkeypatch, workspace=workspace, event="push", payload=webhook("push"),
                     summary_before=before)
    assert seen["budget"] == markdown.SUMMARY_MAX_BYTES - len(before.encode("utf-8"))
    assert run.summary.startswith(before) and run.summary[len(before):].startswith("### :x:")


def test_comment_stays_under_65536_characters():
    marker = comment.marker_for("apps/shop")
    body = comment.compose(marker, markdown.render(big_report(),
                                                   max_chars=markdown.COMMENT_MAX_CHARS - len(marker) - 1))
    assert len(body) <= markdown.COMMENT_MAX_CHARS and body.startswith(marker + "\n### :x:")
    assert "left out" in body
