"""entrypoint.py as the runner runs it: INPUT_* with hyphens, real event payloads (pull_request, a fork's pull
request, pull_request_target, push, merge_group, workflow_dispatch), the file commands, the exit code."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.action_harness import (
    ROOT,
    TOKEN,
    fake_github_fixture,  # noqa: F401 - the fake_github fixture
    fork_of,
    run_action,
    webhook,
    write_app,
)
from tests.actions_runner import run_step

REPO = "Codertocat/Hello-World"  # the repository of the webhook examples
PR = 2


def test_pull_request_annotations_summary_outputs_comment(tmp_path, monkeypatch, fake_github):
    workspace = write_app(tmp_path / "ws")
    run = run_action(tmp_path, monkeypatch, workspace=workspace, event="pull_request",
                     payload=webhook("pull_request", "opened"), api_url=fake_github.url)
    assert run.code == 1
    # annotations: errors first, on the requirement lines, titled with the rule
    kinds = [a.kind for a in run.annotations()]
    assert kinds == sorted(kinds, key=["error", "warning", "notice"].index)
    errors = {(a.file, a.line, a.title) for a in run.annotations("error")}
    assert ("requirements.txt", 2, "CP301 req-stdlib") in errors
    assert ("requirements.txt", 3, "CP302 req-import-name") in errors
    # outputs
    assert run.outputs["verdict"] == "fail"
    assert run.outputs["errors"] == str(len(run.annotations("error")))
    assert set(run.outputs) == {"errors", "warnings", "notes", "verdict", "report-json", "sarif-file",
                                "comment-url", "updates-last-minute", "guard-waited-seconds"}
    report = json.loads((workspace / run.outputs["report-json"]).read_text())
    assert report["verdict"] == "fail" and report["summary"]["errors"] == int(run.outputs["errors"])
    assert run.outputs["sarif-file"] == ""
    # summary: verdict first, links to the rules' docs, what was checked
    assert run.summary.startswith("### :x: cloud-preflight")
    assert "docs/rules.md#cp301-req-stdlib" in run.summary
    assert "`streamlit_app.py`" in run.summary and "`requirements.txt`" in run.summary
    # the deploy-rate guard reads the base branch's activity (the default branch: reported, never failed), then
    # one comment, by the token's author, with the marker
    assert fake_github.calls() == ["GET repos/list-activities", "GET users/get-authenticated",
                                   "GET issues/list-comments", "POST issues/create-comment"]
    assert run.outputs["updates-last-minute"] == "0" and "Deploy-rate guard" in run.summary
    comments = fake_github.comments[(REPO, PR)]
    assert len(comments) == 1 and comments[0]["body"].startswith("<!-- cloud-preflight:comment -->\n### :x:")
    assert run.outputs["comment-url"] == comments[0]["html_url"]
    # the API version is pinned on every request
    assert {r["headers"]["x-github-api-version"] for r in fake_github.requests} == {"2022-11-28"}


def test_second_run_leaves_the_comment_then_fix_turns_it_all_clear(tmp_path, monkeypatch, fake_github):
    workspace = write_app(tmp_path / "ws")
    payload = webhook("pull_request", "synchronize")
    first = run_action(tmp_path, monkeypatch, workspace=workspace, event="pull_request", payload=payload,
                       api_url=fake_github.url)
    second = run_action(tmp_path, monkeypatch, workspace=workspace, event="pull_request", payload=payload,
                        api_url=fake_github.url)
    assert [r["method"] for r in fake_github.requests].count("POST") == 1
    assert [r["method"] for r in fake_github.requests].count("PATCH") == 0  # unchanged: not rewritten
    assert first.outputs["comment-url"] == second.outputs["comment-url"]

    write_app(workspace, requirements="streamlit==1.40.0\n")  # the findings are fixed
    fixed = run_action(tmp_path, monkeypatch, workspace=workspace, event="pull_request", payload=payload,
                       api_url=fake_github.url)
    assert fixed.code == 0 and fixed.outputs["verdict"] == "pass"
    comments = fake_github.comments[(REPO, PR)]
    assert len(comments) == 1
    assert "all clear" in comments[0]["body"] and fixed.outputs["comment-url"] == first.outputs["comment-url"]
    assert fake_github.calls()[-1] == "PATCH issues/update-comment"


def test_clean_pull_request_creates_no_comment_with_auto(tmp_path, monkeypatch, fake_github):
    workspace = write_app(tmp_path / "ws", requirements="streamlit==1.40.0\n")
    run = run_action(tmp_path, monkeypatch, workspace=workspace, event="pull_request",
                     payload=webhook("pull_request", "opened"), api_url=fake_github.url)
    assert run.code == 0 and run.outputs["verdict"] == "pass" and run.outputs["comment-url"] == ""
    assert "POST" not in {r["method"] for r in fake_github.requests}
    assert run.summary.startswith("### :white_check_mark: cloud-preflight: all clear")


def test_comment_always_and_never(tmp_path, monkeypatch, fake_github):
    workspace = write_app(tmp_path / "ws", requirements="streamlit==1.40.0\n")
    payload = webhook("pull_request", "opened")
    never = run_action(tmp_path, monkeypatch, workspace=workspace, event="pull_request", payload=payload,
                       api_url=fake_github.url, inputs={"comment": "never"})
    assert fake_github.calls() == ["GET repos/list-activities"]  # the deploy-rate guard's; no comment call
    assert never.outputs["comment-url"] == ""
    always = run_action(tmp_path, monkeypatch, workspace=workspace, event="pull_request", payload=payload,
                        api_url=fake_github.url, inputs={"comment": "always"})
    assert "all clear" in fake_github.comments[(REPO, PR)][0]["body"]
    assert always.outputs["comment-url"]


def test_fork_pull_request_skips_the_comment_with_one_warning(tmp_path, monkeypatch, fake_github):
    fake_github.read_only = True  # a fork's pull request gets a read-only GITHUB_TOKEN
    workspace = write_app(tmp_path / "ws")
    run = run_action(tmp_path, monkeypatch, workspace=workspace, event="pull_request",
                     payload=fork_of(webhook("pull_request", "opened")), api_url=fake_github.url)
    assert run.code == 1  # the check still fails on the findings
    warnings = [a for a in run.annotations("warning") if a.title == "cloud-preflight"]
    assert len(warnings) == 1 and "fork" in warnings[0].message and "read-only" in warnings[0].message
    assert run.annotations("error")  # the findings are still annotated
    assert run.summary.startswith("### :x:") and run.outputs["comment-url"] == ""
    assert fake_github.calls()[-1] == "POST issues/create-comment"


def test_pull_request_target_comments(tmp_path, monkeypatch, fake_github):
    workspace = write_app(tmp_path / "ws")
    run = run_action(tmp_path, monkeypatch, workspace=workspace, event="pull_request_target",
                     payload=fork_of(webhook("pull_request", "opened")), api_url=fake_github.url)
    assert run.code == 1 and run.outputs["comment-url"]


@pytest.mark.parametrize("event,action", [("push", None), ("merge_group", "checks_requested"),
                                          ("workflow_dispatch", None)])
def test_events_without_a_pull_request_make_no_comment_call(tmp_path, monkeypatch, fake_github, event, action):
    workspace = write_app(tmp_path / "ws")
    payload = webhook(event, action)
    run = run_action(tmp_path, monkeypatch, workspace=workspace, event=event, payload=payload,
                     api_url=fake_github.url, inputs={"comment": "always"})
    assert run.code == 1 and run.outputs["verdict"] == "fail" and run.outputs["comment-url"] == ""
    # on their default branch merge_group and workflow_dispatch run the deploy-rate guard: activity reads only
    assert {r["operation"] for r in fake_github.requests} <= {"repos/list-activities"}
    assert run.annotations("error") and run.summary.startswith("### :x:")
    if event == "merge_group":
        assert payload["merge_group"]["head_sha"][:12] in run.summary


@pytest.mark.parametrize("fail_on,code", [("never", 0), ("error", 1), ("warning", 1), ("note", 1)])
def test_fail_on_input(tmp_path, monkeypatch, fail_on, code):
    workspace = write_app(tmp_path / "ws")
    run = run_action(tmp_path, monkeypatch, workspace=workspace, event="push", payload=webhook("push"),
                     inputs={"fail-on": fail_on})
    assert run.code == code and run.outputs["verdict"] == ("pass" if code == 0 else "fail")


def test_only_warnings_pass_with_default_fail_on(tmp_path, monkeypatch):
    workspace = write_app(tmp_path / "ws", requirements="streamlit==1.40.0\n")
    (workspace / "packages.txt").write_text("libgl1-mesa-glx\n", encoding="utf-8")
    run = run_action(tmp_path, monkeypatch, workspace=workspace, event="push", payload=webhook("push"))
    assert run.outputs["errors"] == "0" and run.outputs["warnings"] != "0"
    assert run.code == 0
    warned = run_action(tmp_path, monkeypatch, workspace=workspace, event="push", payload=webhook("push"),
                        inputs={"fail-on": "warning"})
    assert warned.code == 1


@pytest.mark.parametrize("inputs,needle", [
    ({"fail-on": "sometimes"}, "input fail-on"),
    ({"comment": "maybe"}, "input comment"),
    ({"annotations": "yes"}, "input annotations"),
    ({"path": "../outside"}, "outside the workspace"),
    ({"path": "missing"}, "not a folder"),
    ({"config": "nope.toml"}, "does not exist"),
    ({"python-version": "2.7.1"}, "python-version"),
])
def test_bad_input_is_exit_2_with_one_error(tmp_path, monkeypatch, inputs, needle):
    workspace = write_app(tmp_path / "ws")
    run = run_action(tmp_path, monkeypatch, workspace=workspace, event="push", payload=webhook("push"),
                     inputs=inputs)
    assert run.code == 2
    [error] = run.annotations("error")
    assert needle in error.message and run.outputs["verdict"] == "error"
    assert "could not run" in run.summary


def test_config_error_names_the_key(tmp_path, monkeypatch):
    workspace = write_app(tmp_path / "ws")
    (workspace / ".github").mkdir()
    (workspace / ".github" / "cloud-preflight.toml").write_text("colour = 'red'\n", encoding="utf-8")
    run = run_action(tmp_path, monkeypatch, workspace=workspace, event="push", payload=webhook("push"))
    assert run.code == 2 and "colour" in run.annotations("error")[0].message


def test_path_input_reports_workspace_relative_paths(tmp_path, monkeypatch, fake_github):
    workspace = tmp_path / "ws"
    write_app(workspace, folder="apps/shop")
    run = run_action(tmp_path, monkeypatch, workspace=workspace, event="pull_request",
                     payload=webhook("pull_request", "opened"), api_url=fake_github.url,
                     inputs={"path": "apps/shop", "sarif-file": "results/preflight.sarif"})
    assert {a.file for a in run.annotations("error")} == {"apps/shop/requirements.txt"}
    sarif = json.loads((workspace / "results" / "preflight.sarif").read_text())
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]}
    assert uris == {"apps/shop/requirements.txt"}
    assert run.outputs["sarif-file"] == "results/preflight.sarif"
    # a second check of another folder keeps its own comment
    body = fake_github.comments[(REPO, PR)][0]["body"]
    assert body.startswith("<!-- cloud-preflight:comment:") and "`apps/shop/requirements.txt" in body


def test_entrypoints_and_config_inputs(tmp_path, monkeypatch):
    workspace = tmp_path / "ws"
    write_app(workspace, folder="app")
    (workspace / "ci").mkdir()
    (workspace / "ci" / "preflight.toml").write_text('ignore = ["CP302"]\n', encoding="utf-8")
    run = run_action(tmp_path, monkeypatch, workspace=workspace, event="push", payload=webhook("push"),
                     inputs={"entrypoints": "app/streamlit_app.py", "config": "ci/preflight.toml"})
    titles = {a.title for a in run.annotations()}
    assert "CP301 req-stdlib" in titles and "CP302 req-import-name" not in titles
    assert "`app/streamlit_app.py`" in run.summary


def test_annotations_and_summary_can_be_turned_off(tmp_path, monkeypatch):
    workspace = write_app(tmp_path / "ws")
    run = run_action(tmp_path, monkeypatch, workspace=workspace, event="push", payload=webhook("push"),
                     inputs={"annotations": "false", "summary": "false"})
    assert run.code == 1 and run.annotations() == [] and run.summary == ""


def test_missing_payload_still_checks(tmp_path, monkeypatch, fake_github):
    workspace = write_app(tmp_path / "ws")
    run = run_action(tmp_path, monkeypatch, workspace=workspace, event="pull_request", payload=None,
                     api_url=fake_github.url, env={"GITHUB_EVENT_PATH": str(tmp_path / "absent.json")})
    assert run.code == 1 and fake_github.requests == []


def test_ghes_api_url(tmp_path, monkeypatch, fake_github):
    workspace = write_app(tmp_path / "ws")
    run = run_action(tmp_path, monkeypatch, workspace=workspace, event="pull_request",
                     payload=webhook("pull_request", "opened"), api_url=fake_github.url + "/api/v3")
    assert run.outputs["comment-url"]
    assert {r["api_prefix"] for r in fake_github.requests} == {"/api/v3"}


def test_token_is_masked_first_and_never_printed(tmp_path, monkeypatch, fake_github):
    fake_github.read_only = True
    workspace = write_app(tmp_path / "ws")
    run = run_action(tmp_path, monkeypatch, workspace=workspace, event="pull_request",
                     payload=fork_of(webhook("pull_request", "opened")), api_url=fake_github.url,
                     inputs={"sarif-file": "x.sarif"})
    first = run.stdout.splitlines()[0]
    assert first == f"::add-mask::{TOKEN}" and run.log.masks == [TOKEN]
    assert run.stdout.count(TOKEN) == 1 and TOKEN not in run.stderr
    written = [run.summary, json.dumps(run.outputs), json.dumps(fake_github.requests)]
    assert not any(TOKEN in text for text in written)
    # Every file the run left in the workspace, the binary facts cache included.
    assert not any(TOKEN.encode() in p.read_bytes() for p in run.workspace.rglob("*") if p.is_file())
    assert {r["headers"]["authorization"] for r in fake_github.requests} == {"token"}


def test_untrusted_text_is_printed_with_commands_stopped(tmp_path, monkeypatch):
    workspace = tmp_path / "ws"
    hostile = "d\n::error::pwned\n##[error]old"
    write_app(workspace, folder=hostile)
    run = run_action(tmp_path, monkeypatch, workspace=workspace, event="push", payload=webhook("push"))
    # the hostile folder name reaches the log, yet the only commands are ours
    assert "pwned" in run.stdout
    assert all(a.title and (a.title.startswith("CP") or a.title == "cloud-preflight") for a in run.log.annotations)
    assert {a.file for a in run.annotations("error")} == {f"{hostile}/requirements.txt"}
    assert not any(a.message == "pwned" for a in run.log.annotations)


def test_runs_as_a_script(tmp_path):
    """The image runs `python entrypoint.py`: same result as in-process, from any working folder."""
    workspace = write_app(tmp_path / "ws")
    files = tmp_path / "files"
    files.mkdir()
    (files / "out").write_text("")
    event = tmp_path / "event.json"
    event.write_text(json.dumps(webhook("push")))
    env = {"PATH": "/usr/bin:/bin", "GITHUB_WORKSPACE": str(workspace), "GITHUB_EVENT_NAME": "push",
           "GITHUB_EVENT_PATH": str(event), "GITHUB_OUTPUT": str(files / "out"), "INPUT_FAIL-ON": "error",
           "INPUT_GITHUB-TOKEN": TOKEN, "CLOUD_PREFLIGHT_TODAY": "2026-09-01", "GITHUB_API_URL": "http://127.0.0.1:9"}
    proc = subprocess.run([sys.executable, str(ROOT / "entrypoint.py")], cwd=workspace, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith(f"::add-mask::{TOKEN}\n") and "::error " in proc.stdout
    assert "verdict<<ghadelimiter_" in (files / "out").read_text()


def test_a_crashing_rule_is_exit_2_and_says_so(tmp_path, monkeypatch):
    import checks
    from preflight.model import Severity
    from preflight.rules import Rule

    def crash(ctx):
        raise RuntimeError("boom\n::error::not a command")

    monkeypatch.setattr(checks, "ALL_RULES", (*checks.ALL_RULES, Rule("CP999", "crash", Severity.ERROR, crash)))
    workspace = write_app(tmp_path / "ws")
    run = run_action(tmp_path, monkeypatch, workspace=workspace, event="push", payload=webhook("push"))
    assert run.code == 2 and run.outputs["verdict"] == "error"
    internal = [a for a in run.annotations("error") if a.title == "cloud-preflight"]
    assert len(internal) == 1 and "CP999" in internal[0].message and "boom" in internal[0].message
    assert not any(a.message == "not a command" for a in run.log.annotations)  # the traceback is in stop-commands
    assert any(a.title == "CP301 req-stdlib" for a in run.annotations("error"))  # the other rules still ran


def test_a_crash_is_exit_2_not_1(tmp_path, monkeypatch, capsys):
    import entrypoint

    def boom():
        raise ValueError("::error::from a path")

    monkeypatch.setattr(entrypoint, "main", boom)
    assert entrypoint.entry() == 2
    log = run_step(capsys.readouterr().out)
    assert [(a.kind, a.message) for a in log.annotations] == [("error", "internal error, please report it: "
                                                                        "ValueError")]


def test_long_work_says_so_in_the_log_and_the_cache_makes_the_next_run_quiet(tmp_path, monkeypatch):
    """A repository of many modules gets a progress line (plain text, our words and counts only) and a facts
    cache in the workspace; the next run finds every module there and says nothing about parsing."""
    from preflight import facts
    from preflight.cachedir import CACHE_DIR_ENV

    monkeypatch.delenv(CACHE_DIR_ENV, raising=False)  # the default place: the workspace
    workspace = write_app(tmp_path / "ws")
    (workspace / "pages").mkdir()
    for i in range(facts.PARALLEL_MIN + 5):
        (workspace / "pages" / f"p{i:04}.py").write_text("import streamlit as st\nst.write(1)\n")
    first = run_action(tmp_path, monkeypatch, workspace=workspace, event="push", payload=webhook("push"),
                       inputs={"guard": "off"})
    progress = [line for line in first.log.plain if line.startswith("cloud-preflight: parsing ")]
    assert len(progress) == 1 and f"{facts.PARALLEL_MIN + 6:,} Python modules" in progress[0], progress
    assert list((workspace / ".cloud-preflight-cache" / "facts").glob("facts-*.marshal"))
    second = run_action(tmp_path, monkeypatch, workspace=workspace, event="push", payload=webhook("push"),
                        inputs={"guard": "off"})
    assert not [line for line in second.log.plain if line.startswith("cloud-preflight: parsing ")]
    assert second.outputs["verdict"] == first.outputs["verdict"]
