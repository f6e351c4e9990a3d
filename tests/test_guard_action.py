"""The deploy-rate guard through entrypoint.py, as the runner runs it: real webhook payloads, the fake GitHub's
clock and activity (every request checked against GitHub's OpenAPI description), the guard's clock and sleep
replaced so nothing really waits; outputs, annotations, job summary and exit code."""

from __future__ import annotations

import pytest

import entrypoint
from tests.action_harness import (
    fake_github_fixture,  # noqa: F401 - the fake_github fixture
    run_action,
    webhook,
    write_app,
)
from tests.test_guard import NOW, Clock

CLEAN = "streamlit==1.40.0\n"


@pytest.fixture
def fake(fake_github, monkeypatch):
    """The fake GitHub at a fixed time, and the guard's sleep moving its clock on."""
    fake_github.now = NOW
    clock = Clock(fake_github)
    monkeypatch.setattr(entrypoint, "CLOCK", clock)
    monkeypatch.setattr(entrypoint, "SLEEP", clock.sleep)
    fake_github.guard_clock = clock
    return fake_github


def payload_for(event: str) -> dict:
    if event == "merge_group":
        return webhook("merge_group", "checks_requested")  # octo-org/octo-repo, base main (the default branch)
    if event == "workflow_dispatch":
        return webhook("workflow_dispatch")  # octo-org/octo-repo, ref main
    if event == "pull_request":
        return webhook("pull_request", "opened")  # Codertocat/Hello-World, base master (the default branch)
    push = webhook("push")  # a tag in the example: made a push to the default branch
    push.update(ref="refs/heads/master", created=False, deleted=False)
    return push


def seed(fake, event: str, *ages: float, ref: str | None = None) -> list[dict]:
    payload = payload_for(event)
    branch = ref or ("refs/heads/master" if event in ("push", "pull_request") else "refs/heads/main")
    return [fake.add_activity(payload["repository"]["full_name"], ago=age, ref=branch) for age in ages]


def act(tmp_path, monkeypatch, fake, event: str, *, requirements: str = CLEAN, payload: dict | None = None,
        inputs: dict[str, str] | None = None, workspace=None):
    workspace = workspace or write_app(tmp_path / "ws", requirements=requirements)
    return run_action(tmp_path, monkeypatch, workspace=workspace, event=event,
                      payload=payload or payload_for(event), api_url=fake.url,
                      inputs={"guard": "", **(inputs or {})})  # the default, whatever the harness's is


def guard_annotations(run) -> list:
    return [a for a in run.log.annotations if a.message.startswith("Deploy-rate guard:")]


def activity_calls(fake) -> list[dict]:
    return [r for r in fake.requests if r["operation"] == "repos/list-activities"]


def test_merge_group_with_four_updates_passes(tmp_path, monkeypatch, fake):
    seed(fake, "merge_group", 50, 40, 30, 20, 70)
    run = act(tmp_path, monkeypatch, fake, "merge_group")
    assert run.code == 0 and run.outputs["verdict"] == "pass"
    assert run.outputs["updates-last-minute"] == "4" and run.outputs["guard-waited-seconds"] == "0"
    assert guard_annotations(run) == [] and fake.guard_clock.slept == []
    # the lint verdict first, then the guard's section
    assert run.summary.startswith("### :white_check_mark: cloud-preflight")
    assert "#### :white_check_mark: Deploy-rate guard" in run.summary and "update 5 of at most 5" in run.summary
    assert [c["query"]["ref"] for c in activity_calls(fake)] == ["refs/heads/main"]


def test_merge_group_waits_for_a_slot_by_default(tmp_path, monkeypatch, fake):
    seed(fake, "merge_group", 45, 40, 30, 20, 10)
    run = act(tmp_path, monkeypatch, fake, "merge_group")
    assert fake.guard_clock.slept == [15]
    assert run.code == 0 and run.outputs["guard-waited-seconds"] == "15"
    assert run.outputs["updates-last-minute"] == "4"
    assert "waiting 15 s for a slot" in run.stdout and "Waited 15 s" in run.summary
    assert len(activity_calls(fake)) == 2


def test_merge_group_check_fails_and_says_when(tmp_path, monkeypatch, fake):
    seed(fake, "merge_group", 45, 40, 30, 20, 10)
    run = act(tmp_path, monkeypatch, fake, "merge_group", inputs={"guard": "check"})
    assert run.code == 1 and run.outputs["verdict"] == "fail" and run.outputs["errors"] == "0"
    [error] = guard_annotations(run)
    assert error.kind == "error" and error.title == "cloud-preflight" and error.file is None
    assert "A slot opens at 08:00:15 UTC (in 15 s)" in error.message
    # the guard's verdict is the run's: its section comes first; the report itself still passes
    assert run.summary.startswith("#### :x: Deploy-rate guard")
    assert "### :white_check_mark: cloud-preflight" in run.summary
    assert fake.guard_clock.slept == []


def test_merge_group_does_not_wait_when_the_findings_fail_the_check(tmp_path, monkeypatch, fake):
    seed(fake, "merge_group", 45, 40, 30, 20, 10)
    run = act(tmp_path, monkeypatch, fake, "merge_group", requirements="streamlit==1.40.0\nos\n")
    assert run.code == 1 and fake.guard_clock.slept == [] and run.outputs["guard-waited-seconds"] == "0"
    assert "fails on its findings anyway" in run.summary and guard_annotations(run) == []


def test_a_wait_longer_than_max_wait_fails(tmp_path, monkeypatch, fake):
    seed(fake, "merge_group", 45, 40, 30, 20, 10)
    run = act(tmp_path, monkeypatch, fake, "merge_group", inputs={"max-wait-seconds": "10"})
    assert run.code == 1 and fake.guard_clock.slept == []
    assert "max-wait-seconds" in guard_annotations(run)[0].message


def test_push_over_the_limit_is_an_error_with_what_to_do(tmp_path, monkeypatch, fake):
    payload = payload_for("push")
    seed(fake, "push", 50, 40, 30, 20, 15)
    fake.add_activity(payload["repository"]["full_name"], ago=10, ref="refs/heads/master", after=payload["after"])
    run = act(tmp_path, monkeypatch, fake, "push", payload=payload)
    assert run.code == 1 and run.outputs["updates-last-minute"] == "6"
    [error] = guard_annotations(run)
    assert error.kind == "error" and payload["after"][:12] in error.message
    assert "may not have picked up this commit" in error.message and "08:00:20 UTC (in 20 s)" in error.message
    assert "push again after that" in error.message and "reboot the app" in error.message
    assert run.summary.startswith("#### :x: Deploy-rate guard") and "may not have picked up" in run.summary


def test_push_within_the_limit_passes(tmp_path, monkeypatch, fake):
    payload = payload_for("push")
    seed(fake, "push", 50, 40, 30, 20)
    fake.add_activity(payload["repository"]["full_name"], ago=10, ref="refs/heads/master", after=payload["after"])
    run = act(tmp_path, monkeypatch, fake, "push", payload=payload, inputs={"guard": "wait"})
    assert run.code == 0 and run.outputs["updates-last-minute"] == "5" and guard_annotations(run) == []
    assert fake.guard_clock.slept == []


def test_pull_request_reports_the_rate_and_fails_only_when_asked(tmp_path, monkeypatch, fake):
    seed(fake, "pull_request", 45, 40, 30, 20, 10)
    reported = act(tmp_path, monkeypatch, fake, "pull_request", inputs={"comment": "never"})
    assert reported.code == 0 and reported.outputs["updates-last-minute"] == "5"
    assert "5 updates to `master` in the last 60 s" in reported.summary and guard_annotations(reported) == []
    checked = act(tmp_path, monkeypatch, fake, "pull_request", inputs={"comment": "never", "guard": "check"})
    assert checked.code == 1 and guard_annotations(checked)[0].kind == "error"


def test_pull_request_with_a_comment_reads_the_activity_first(tmp_path, monkeypatch, fake):
    seed(fake, "pull_request", 10)
    run = act(tmp_path, monkeypatch, fake, "pull_request", requirements="streamlit==1.40.0\nos\n")
    assert run.code == 1 and run.outputs["comment-url"]
    assert fake.calls() == ["GET repos/list-activities", "GET users/get-authenticated", "GET issues/list-comments",
                            "POST issues/create-comment"]


def test_a_job_of_its_own_waits_for_a_slot(tmp_path, monkeypatch, fake):
    seed(fake, "workflow_dispatch", 58, 40, 30, 20, 10)
    run = act(tmp_path, monkeypatch, fake, "workflow_dispatch", inputs={"guard": "wait"})
    assert run.code == 0 and fake.guard_clock.slept == [2] and run.outputs["guard-waited-seconds"] == "2"
    checked = act(tmp_path, monkeypatch, fake, "workflow_dispatch")  # the default there: check
    assert checked.code == 0  # 2 s later the window has room again


def test_other_branches_are_left_alone_and_the_summary_says_so(tmp_path, monkeypatch, fake):
    run = act(tmp_path, monkeypatch, fake, "merge_group", inputs={"deploy-branches": "production, release/**"})
    assert run.code == 0 and fake.requests == []
    assert run.outputs["updates-last-minute"] == "" and run.outputs["guard-waited-seconds"] == "0"
    assert "#### :information_source: Deploy-rate guard" in run.summary
    assert "`main` is not a deploy branch (deploy branches: `production`, `release/**`)" in run.summary


def test_deploy_branches_from_the_config_and_the_input_over_it(tmp_path, monkeypatch, fake):
    workspace = write_app(tmp_path / "ws", requirements=CLEAN)
    (workspace / ".github").mkdir()
    (workspace / ".github" / "cloud-preflight.toml").write_text('deploy-branches = ["release/**"]\n')
    skipped = act(tmp_path, monkeypatch, fake, "merge_group", workspace=workspace)
    assert fake.requests == [] and "not a deploy branch" in skipped.summary
    act(tmp_path, monkeypatch, fake, "merge_group", workspace=workspace, inputs={"deploy-branches": "ma*"})
    assert len(activity_calls(fake)) == 1


def test_guard_off(tmp_path, monkeypatch, fake):
    run = act(tmp_path, monkeypatch, fake, "merge_group", inputs={"guard": "off"})
    assert run.code == 0 and fake.requests == [] and "`guard: off`" in run.summary


@pytest.mark.parametrize("policy,code,kind", [("warn", 0, "warning"), ("fail", 1, "error")])
def test_api_failure_follows_guard_on_api_error(tmp_path, monkeypatch, fake, policy, code, kind):
    fake.add_fault(operation="repos/list-activities", status=403,
                   body={"message": "Resource not accessible by integration"})
    run = act(tmp_path, monkeypatch, fake, "merge_group", inputs={"guard-on-api-error": policy})
    assert run.code == code and run.outputs["verdict"] == ("pass" if code == 0 else "fail")
    [annotation] = guard_annotations(run)
    assert annotation.kind == kind and "HTTP 403 (Resource not accessible by integration)" in annotation.message
    assert "HTTP 403" in run.summary and run.outputs["updates-last-minute"] == ""


def test_an_empty_token_is_an_api_failure_without_a_request(tmp_path, monkeypatch, fake):
    run = act(tmp_path, monkeypatch, fake, "merge_group", inputs={"github-token": ""})
    assert run.code == 0 and fake.requests == []
    assert "github-token input is empty" in guard_annotations(run)[0].message


def test_the_guard_keeps_an_annotation_slot_among_many_findings(tmp_path, monkeypatch, fake):
    seed(fake, "merge_group", 45, 40, 30, 20, 10)
    stdlib = "\n".join(["streamlit==1.40.0", "os", "sys", "json", "re", "math", "time", "glob", "uuid", "csv",
                        "io", "abc", "copy", "enum"]) + "\n"
    run = act(tmp_path, monkeypatch, fake, "merge_group", requirements=stdlib, inputs={"guard": "check"})
    errors = [a for a in run.log.annotations if a.kind == "error"]
    assert len(errors) == 10 and run.log.dropped == []
    assert errors[-1].message.startswith("Deploy-rate guard:")


@pytest.mark.parametrize("inputs,needle", [
    ({"guard": "sometimes"}, "input guard"),
    ({"max-updates-per-minute": "0"}, "input max-updates-per-minute"),
    ({"max-updates-per-minute": "five"}, "input max-updates-per-minute"),
    ({"max-wait-seconds": "-1"}, "input max-wait-seconds"),
    ({"max-wait-seconds": "99999"}, "input max-wait-seconds"),
    ({"guard-on-api-error": "ignore"}, "input guard-on-api-error"),
])
def test_bad_guard_input_is_exit_2(tmp_path, monkeypatch, fake, inputs, needle):
    run = act(tmp_path, monkeypatch, fake, "merge_group", inputs=inputs)
    assert run.code == 2 and needle in run.annotations("error")[0].message and fake.requests == []
    assert run.outputs["updates-last-minute"] == "" and run.outputs["guard-waited-seconds"] == "0"
