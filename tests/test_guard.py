"""The deploy-rate guard's decisions and its activity client, against the fake GitHub whose clock and activity
list the tests set (every request checked against GitHub's OpenAPI description): the window and its boundary,
waiting on a fake clock, pagination, both answer shapes, every API failure, pushes found by SHA, which events
and branches are guarded."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from preflight import guard
from preflight.github.activity import (
    Activity,
    ActivityClient,
    Snapshot,
    covers_window,
    next_cursor,
    parse_server_time,
    parse_timestamp,
)
from preflight.github.rest import GitHubError
from tests.action_harness import (
    fake_github_fixture,  # noqa: F401 - the fake_github fixture
    webhook,
)

REPO = "octo-org/octo-repo"
NOW = 1_800_000_000  # the fake GitHub's clock: 2027-01-15 08:00:00 UTC
SECONDARY = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
             "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}


class Clock:
    """The runner's monotonic clock and sleep, and GitHub's clock with them: a sleep passes instantly and moves
    both on."""

    def __init__(self, fake=None) -> None:
        self.now = 1000.0
        self.slept: list[float] = []
        self.fake = fake

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        if self.fake is not None:
            self.fake.advance(seconds)


@pytest.fixture
def fake(fake_github):
    fake_github.now = NOW
    return fake_github


def client(fake, clock: Clock, **kw) -> ActivityClient:
    kw.setdefault("seconds_between_writes", None)
    return ActivityClient("ghs_token", kw.pop("url", fake.url), clock=clock, sleeper=clock.sleep, **kw)


def run(fake, role: str = "merge", mode: str = "check", *, sha: str = "", per_page: int = 10,
        clock: Clock | None = None, lint_fails: bool = False, **settings) -> tuple[guard.Outcome, Clock]:
    clock = clock or Clock(fake)
    api = client(fake, clock, **{k: settings.pop(k) for k in ("timeout", "url", "budget") if k in settings})
    target = guard.Target(role, "main", mode, sha)
    outcome = guard.run(target, guard.Settings(**settings),
                        lambda enough: api.snapshot(REPO, "main", enough=enough, per_page=per_page),
                        sleep=clock.sleep, lint_fails=lint_fails)
    return outcome, clock


def updates(fake, *ages: float, **kw) -> list[dict]:
    return [fake.add_activity(REPO, ago=age, **kw) for age in ages]


def activity_calls(fake) -> list[dict]:
    return [r for r in fake.requests if r["operation"] == "repos/list-activities"]


# -- the window --------------------------------------------------------------------------------------------------
def test_four_updates_in_the_window_pass(fake):
    updates(fake, 50, 40, 30, 20, 61, 90)
    outcome, clock = run(fake)
    assert (outcome.status, outcome.count, outcome.fails_check, outcome.annotation) == ("pass", 4, False, None)
    assert "update 5 of at most 5" in outcome.text and clock.slept == []
    assert len(activity_calls(fake)) == 1


def test_five_updates_make_the_next_one_fail_in_check_mode(fake):
    updates(fake, 50, 40, 30, 20, 10)
    outcome, _ = run(fake, mode="check")
    assert (outcome.status, outcome.count, outcome.fails_check, outcome.annotation) == ("fail", 5, True, "error")
    # the slot opens when the fifth newest (50 s old) turns 60 s old: in 10 s
    assert "A slot opens at 08:00:10 UTC (in 10 s)" in outcome.text and "guard: wait" in outcome.text


def test_five_updates_make_the_next_one_wait_the_right_time(fake):
    updates(fake, 50, 40, 30, 20, 10)
    outcome, clock = run(fake, mode="wait")
    assert clock.slept == [10]
    assert (outcome.status, outcome.count, outcome.waited, outcome.fails_check) == ("pass", 4, 10, False)
    assert "Waited 10 s" in outcome.text
    assert len(activity_calls(fake)) == 2  # looked again after the wait


@pytest.mark.parametrize("age,count", [(60, 4), (59, 5), (61, 4)])
def test_an_update_exactly_60_seconds_old_has_left_the_window(fake, age, count):
    updates(fake, age, 40, 30, 20, 10)
    outcome, _ = run(fake)
    assert outcome.count == count and outcome.fails_check is (count == 5)


def test_the_boundary_in_the_decision():
    now = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)
    items = tuple(Activity(i, "push", now - timedelta(seconds=s)) for i, s in enumerate((10, 20, 30, 40, 60)))
    assert guard.decide_slot(Snapshot(items, now), 5).count == 4
    items = items[:-1] + (Activity(9, "push", now - timedelta(seconds=59, microseconds=999_999)),)
    decision = guard.decide_slot(Snapshot(items, now), 5)
    assert decision.count == 5 and not decision.has_slot and decision.wait == 1


def test_a_clock_behind_counts_future_updates_and_deletions_do_not_count():
    now = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)
    items = (Activity(1, "push", now + timedelta(seconds=3)), Activity(2, "branch_deletion", now),
             Activity(3, "merge_queue_merge", now), Activity(4, "something_new", now))
    assert guard.decide_slot(Snapshot(items, now), 5).count == 3


def test_updates_landing_during_the_wait_make_it_wait_again(fake):
    updates(fake, 50, 40, 30, 20, 10)
    updates(fake, -5)  # lands 5 s from now, during the first wait
    outcome, clock = run(fake, mode="wait")
    # after 10 s: 40, 30, 20, 10 (now 50, 40, 30, 20) and the new one (5 s old): five again; the oldest leaves in 10 s
    assert clock.slept == [10, 10] and outcome.status == "pass" and outcome.waited == 20


def test_a_wait_that_would_pass_max_wait_fails_at_once(fake):
    updates(fake, 20, 15, 10, 5, 1)
    outcome, clock = run(fake, mode="wait", max_wait=30)
    assert clock.slept == [] and outcome.status == "fail" and outcome.fails_check
    assert "max-wait-seconds" in outcome.text and "(40 s)" not in outcome.text and "in 40 s" in outcome.text
    assert "re-queue the pull request" in outcome.text


def test_waiting_is_bounded_in_total(fake):
    updates(fake, 50, 40, 30, 20, 10)
    for landing in range(5, 300, 10):  # a busy branch: a new update every 10 s
        updates(fake, -landing)
    outcome, clock = run(fake, mode="wait", max_wait=45)
    assert sum(clock.slept) == outcome.waited <= 45 and outcome.status == "fail"


def test_no_wait_when_the_check_fails_on_its_findings_anyway(fake):
    updates(fake, 50, 40, 30, 20, 10)
    outcome, clock = run(fake, mode="wait", lint_fails=True)
    assert clock.slept == [] and outcome.status == "pass" and not outcome.fails_check
    assert "fails on its findings anyway" in outcome.text


def test_pull_request_reports_and_never_fails_by_default(fake):
    updates(fake, 50, 40, 30, 20, 10)
    outcome, _ = run(fake, role="pull_request", mode="report")
    assert outcome.status == "pass" and not outcome.fails_check and outcome.count == 5
    assert "a merge now would be update 6" in outcome.text and "merge queue" in outcome.text


def test_a_job_of_its_own_gets_a_slot(fake):
    updates(fake, 50, 40, 30, 20, 10)
    checked, _ = run(fake, role="update", mode="check")
    assert checked.fails_check and "a push by this job now" in checked.text
    waited, clock = run(fake, role="update", mode="wait")
    assert waited.status == "pass" and clock.slept == [10]


def test_a_lower_limit(fake):
    updates(fake, 50, 40, 30, 20)
    assert run(fake, limit=4)[0].fails_check
    assert not run(fake, limit=5)[0].fails_check


# -- pagination and shapes ---------------------------------------------------------------------------------------
def test_pagination_goes_only_as_far_as_the_window_needs(fake):
    updates(fake, *range(200, 60, -10))  # fourteen old ones
    updates(fake, 55, 45, 35, 25, 15, 5)  # six in the window
    outcome, _ = run(fake, per_page=4)
    assert outcome.count == 6
    calls = activity_calls(fake)
    assert len(calls) == 2  # 4 + 4 items: the eighth is 75 s old, so the window is covered
    first, second = (c["query"] for c in calls)
    assert first == {"ref": "refs/heads/main", "direction": "desc", "per_page": "4"}
    assert set(second) == {"ref", "direction", "per_page", "after"} and second["after"]


def test_one_page_when_it_covers_the_window(fake):
    updates(fake, 50, 40, 70, 80)
    assert run(fake)[0].count == 2
    assert len(activity_calls(fake)) == 1


def test_the_last_page_has_no_next_link(fake):
    updates(fake, 30, 20, 10)
    assert run(fake, per_page=3)[0].count == 3
    [call] = activity_calls(fake)  # a full page, all in the window, but no rel="next": the list has ended


@pytest.mark.parametrize("shape", ["documented", "legacy"])
def test_both_answer_shapes(fake, shape):
    fake.activity_shape = shape
    updates(fake, 50, 40, 30, 20, activity_type="force_push")
    updates(fake, 10, activity_type="merge_queue_merge")
    outcome, _ = run(fake, mode="check")
    assert outcome.count == 5 and outcome.fails_check


def test_activity_parses_both_shapes():
    documented = {"id": 1, "after": "a" * 40, "timestamp": "2027-01-15T07:59:50Z", "activity_type": "pr_merge",
                  "actor": {"login": "octocat"}}
    legacy = {"id": 2, "after": "b" * 40, "pushed_at": "2027-01-15T07:59:50Z", "push_type": "force",
              "pusher": {"login": "hubot"}}
    assert Activity.from_json(documented).kind == "pr_merge" and Activity.from_json(documented).actor == "octocat"
    parsed = Activity.from_json(legacy)
    assert (parsed.kind, parsed.actor, parsed.at.isoformat()) == ("force_push", "hubot", "2027-01-15T07:59:50+00:00")
    assert Activity.from_json({**legacy, "push_type": "normal"}).kind == "push"
    for bad in ({"id": 3}, {"timestamp": "yesterday", "activity_type": "push"}, {"timestamp": "2027-01-15T07:59:50"},
                {"timestamp": "2027-01-15T07:59:50Z"}, [1]):
        with pytest.raises(ValueError):
            Activity.from_json(bad)


def test_times():
    assert parse_timestamp("2027-01-15T07:59:50+01:00").hour == 6
    assert parse_server_time("Fri, 15 Jan 2027 08:00:00 GMT") == datetime(2027, 1, 15, 8, tzinfo=UTC)
    for bad in (None, "", "soon"):
        with pytest.raises(ValueError):
            parse_server_time(bad)


def test_next_cursor():
    link = ('<https://api.github.com/repositories/1/activity?per_page=10&after=Y3Vy>; rel="next", '
            '<https://api.github.com/repositories/1/activity?before=Zm9v>; rel="prev"')
    assert next_cursor(link) == {"after": "Y3Vy"}
    assert next_cursor('<https://x/activity?before=Zm9v>; rel="prev"') is None
    assert next_cursor(None) is None and next_cursor('<https://x/activity?page=2>; rel="next"') is None


def test_other_branches_are_not_counted(fake):
    updates(fake, 50, 40, 30, 20, 10, ref="refs/heads/feature")
    updates(fake, 5)
    assert run(fake)[0].count == 1


def test_requests_keep_to_the_contract_and_the_pinned_version(fake):
    updates(fake, 10)
    run(fake)
    [call] = activity_calls(fake)
    assert call["errors"] == [] and call["response_errors"] == []
    assert call["headers"]["x-github-api-version"] == "2022-11-28"
    assert call["headers"]["accept"] == "application/vnd.github+json"
    assert call["template"] == "/repos/{owner}/{repo}/activity"


@pytest.mark.parametrize("query,needle", [
    ("direction=sideways", "query parameter direction"),
    ("per_page=ten", "query parameter per_page"),
    ("since=2027-01-01", "query parameter 'since' is not declared"),
    ("activity_type=commit", "query parameter activity_type"),
])
def test_the_fake_rejects_activity_requests_outside_the_contract(fake, query, needle):
    from tests.test_action_contract import send

    status, _ = send(fake.url, "GET", f"/repos/{REPO}/activity?{query}")
    assert status == 422
    assert any(needle in error for error in fake.requests[-1]["errors"])
    fake.requests.clear()  # seen: the fixture checks the others


def test_the_fake_checks_its_legacy_answers_in_the_documented_shape(fake):
    fake.activity_shape = "legacy"
    updates(fake, 10)
    fake.activities[REPO][0]["activity_type"] = "teleport"
    run(fake)
    assert any("activity_type" in e for e in activity_calls(fake)[0]["response_errors"])
    fake.requests.clear()


# -- pushes --------------------------------------------------------------------------------------------------------
def test_a_sixth_push_in_a_minute_is_an_error_saying_what_to_do(fake):
    updates(fake, 58, 50, 40, 30, 20)
    [push] = updates(fake, 15)
    updates(fake, 5)  # a later push does not change this one's place
    outcome, _ = run(fake, role="push", sha=push["after"])
    assert (outcome.status, outcome.count, outcome.annotation, outcome.fails_check) == ("fail", 6, "error", True)
    assert push["after"][:12] in outcome.text and "may not have picked up this commit" in outcome.text
    # now: 58, 50, 40, 30, 20, 15, 5 s old; a new push is within the limit once the fifth newest (40 s) leaves
    assert "The window clears at 08:00:20 UTC (in 20 s): push again after that" in outcome.text
    assert "reboot the app" in outcome.text


def test_a_fifth_push_is_applied(fake):
    updates(fake, 59, 40, 30, 20)
    [push] = updates(fake, 10)
    outcome, _ = run(fake, role="push", sha=push["after"])
    assert (outcome.status, outcome.count, outcome.annotation) == ("pass", 5, None)


def test_the_minute_before_the_push_not_before_now(fake):
    """The push landed 3 minutes ago (a queued run): the updates around it count, not the ones since."""
    updates(fake, 235, 230, 225, 220, 215)
    [push] = updates(fake, 180)
    updates(fake, 100, 30)
    outcome, _ = run(fake, role="push", sha=push["after"], per_page=3)
    assert outcome.count == 6 and outcome.fails_check
    assert "The window has cleared: push again now" in outcome.text
    assert len(activity_calls(fake)) == 3  # 30, 100, the push; 215, 220, 225; 230, 235 (a short page: the end)


def test_a_push_not_in_the_list_yet_is_looked_up_again(fake):
    sha = "c" * 40
    updates(fake, 10)
    fake.add_activity(REPO, ago=-3, after=sha)  # recorded 3 s from now
    outcome, clock = run(fake, role="push", sha=sha)
    assert clock.slept == [2, 2] and outcome.status == "pass" and outcome.count == 2


def test_a_push_never_found_follows_the_api_error_policy(fake):
    updates(fake, 10)
    warned, clock = run(fake, role="push", sha="d" * 40)
    assert warned.status == "api-error" and warned.annotation == "warning" and not warned.fails_check
    assert "not among the branch's 1 latest activities" in warned.text and clock.slept == [2, 2]
    failed, _ = run(fake, role="push", sha="d" * 40, on_api_error="fail")
    assert failed.fails_check and failed.annotation == "error"


# -- API failures --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fault,needle", [
    ({"status": 401, "body": {"message": "Bad credentials"}}, "HTTP 401 (Bad credentials)"),
    ({"status": 403, "body": {"message": "Resource not accessible by integration"}}, "HTTP 403"),
    ({"status": 404, "body": {"message": "Not Found"}}, "HTTP 404"),
    ({"status": 500, "body": {"message": "Server Error"}, "times": 10}, "still failing after 3 retries"),
    ({"status": 503, "body": {"message": "Unavailable"}, "times": 10}, "still failing after 3 retries"),
    ({"status": 200, "raw": "[{\"id\": 1,"}, "not valid JSON"),
    ({"status": 200, "raw": "<html>maintenance</html>"}, "not a list of activities"),
    ({"status": 200, "raw": "[{\"id\": 1}]"}, "an item has no timestamp"),
    ({"status": 200, "raw": "{\"message\": \"ok\"}"}, "not a list of activities"),
    ({"status": 200, "body": [], "headers": {"Date": None}}, "cannot read GitHub's clock (no Date header)"),
    ({"status": 200, "body": [], "headers": {"Date": "yesterday"}}, "cannot read GitHub's clock"),
])
@pytest.mark.parametrize("policy", ["warn", "fail"])
def test_api_failures_follow_the_policy(fake, fault, needle, policy):
    fake.add_fault(operation="repos/list-activities", **fault)
    outcome, _ = run(fake, on_api_error=policy)
    assert outcome.status == "api-error" and needle in outcome.text and outcome.count is None
    assert outcome.fails_check is (policy == "fail")
    assert outcome.annotation == ("error" if policy == "fail" else "warning")
    assert f"guard-on-api-error: {policy}" in outcome.text


def test_5xx_once_is_retried(fake):
    fake.add_fault(operation="repos/list-activities", status=502, body={"message": "Bad Gateway"})
    updates(fake, 10)
    outcome, clock = run(fake)
    assert outcome.status == "pass" and outcome.count == 1
    assert [c["status"] for c in activity_calls(fake)] == [502, 200]


def test_secondary_rate_limit_honours_retry_after(fake):
    fake.add_fault(operation="repos/list-activities", status=403, headers={"retry-after": "7"}, body=SECONDARY)
    updates(fake, 10)
    outcome, clock = run(fake)
    assert clock.slept == [7.0] and outcome.status == "pass" and outcome.count == 1
    assert outcome.waited == 0  # a rate-limit retry is not a wait for a slot


def test_429_with_retry_after(fake):
    fake.add_fault(operation="repos/list-activities", status=429, headers={"Retry-After": "3"},
                   body={"message": "Too Many Requests"})
    outcome, clock = run(fake)
    assert clock.slept == [3.0] and outcome.status == "pass"


def test_a_rate_limit_longer_than_the_budget_gives_up(fake):
    fake.add_fault(operation="repos/list-activities", status=403, headers={"retry-after": "3600"}, body=SECONDARY)
    outcome, clock = run(fake, budget=90)
    assert outcome.status == "api-error" and "budget" in outcome.text and clock.slept == []


def test_timeout(fake):
    """A request that gets no answer ends at the request timeout (PyGithub takes whole seconds: 1 s here, the
    only real wait of these tests) and, the time budget spent, is not retried."""
    fake.add_fault(operation="repos/list-activities", status=200, body=[], delay=2, times=10)
    started = time.monotonic()
    api = ActivityClient("t", fake.url, timeout=1, budget=0.5)
    outcome = guard.run(guard.Target("merge", "main", "check"), guard.Settings(),
                        lambda enough: api.snapshot(REPO, "main", enough=enough), sleep=Clock().sleep)
    assert outcome.status == "api-error" and time.monotonic() - started < 2.5
    assert "in time" in outcome.text or "budget" in outcome.text


def test_connection_refused():
    clock = Clock()
    api = ActivityClient("t", "http://127.0.0.1:9", clock=clock, sleeper=clock.sleep, timeout=2)
    target = guard.Target("merge", "main", "wait")
    started = time.monotonic()
    outcome = guard.run(target, guard.Settings(), lambda enough: api.snapshot(REPO, "main", enough=enough),
                        sleep=clock.sleep)
    assert outcome.status == "api-error" and "list activity: ConnectionError" in outcome.text
    assert clock.slept and time.monotonic() - started < 3  # retried, with the backoff on the fake clock


def test_an_error_during_the_wait_keeps_the_seconds_waited():
    now = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)
    full = Snapshot(tuple(Activity(i, "push", now - timedelta(seconds=s)) for i, s in enumerate((10, 20, 30, 40, 50))),
                    now)
    answers = [full]

    def fetch(enough):
        if answers:
            return answers.pop()
        raise GitHubError("list activity: HTTP 502 (Bad Gateway)")

    clock = Clock()
    outcome = guard.run(guard.Target("merge", "main", "wait"), guard.Settings(), fetch, sleep=clock.sleep)
    assert outcome.status == "api-error" and outcome.waited == 10 and clock.slept == [10]
    assert "HTTP 502" in outcome.text


def test_summary_escapes_what_comes_from_outside():
    target = guard.Target("merge", "main`<b>@team", "check")
    outcome = guard.api_error(target, guard.Settings(), "HTTP 500 (<script>alert(1)</script> @octocat [x](y))")
    md = outcome.summary()
    assert "<script>" not in md and "&lt;script&gt;" in md and "@<!-- -->octocat" in md
    assert "``main`<b>@team``" in md and md.startswith("#### :warning: Deploy-rate guard")
    assert outcome.message.startswith("Deploy-rate guard: could not count the updates to `main`<b>@team`")


# -- which runs are guarded ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("pattern,branch,matches", [
    ("main", "main", True), ("main", "main2", False), ("refs/heads/main", "main", True),
    ("release/*", "release/1.0", True), ("release/*", "release/1.0/hotfix", False),
    ("release/**", "release/1.0/hotfix", True), ("*", "feature/x", False), ("**", "feature/x", True),
    ("v1.?", "v1.2", False), ("prod+", "prod+", True), ("[ab]", "a", False),
])
def test_branch_patterns(pattern, branch, matches):
    assert guard.is_deploy_branch(branch, [pattern]) is matches


@pytest.mark.parametrize("role,given,effective", [
    ("merge", "", "wait"), ("merge", "check", "check"), ("pull_request", "", "report"),
    ("pull_request", "check", "check"), ("pull_request", "wait", "wait"), ("push", "", "check"),
    ("push", "wait", "check"), ("update", "", "check"), ("update", "wait", "wait"), ("merge", "off", "off"),
])
def test_effective_modes(role, given, effective):
    assert guard.effective_mode(role, given) == effective


def test_targets_from_real_payloads():
    settings = guard.Settings()
    merge = guard.target_for("merge_group", webhook("merge_group", "checks_requested"), settings)
    assert merge == guard.Target("merge", "main", "wait")
    pr = guard.target_for("pull_request", webhook("pull_request", "opened"), settings)
    assert pr == guard.Target("pull_request", "master", "report")
    dispatch = guard.target_for("workflow_dispatch", webhook("workflow_dispatch"), settings,
                                github_ref="refs/heads/ignored")
    assert dispatch == guard.Target("update", "main", "check")
    schedule = guard.target_for("schedule", {"schedule": "*/5 * * * *"},
                                guard.Settings(mode="wait", branches=("main",)), github_ref="refs/heads/main")
    assert schedule == guard.Target("update", "main", "wait")
    tag = guard.target_for("push", webhook("push"), settings)
    assert isinstance(tag, guard.Skip) and "`refs/tags/simple-tag`, not a branch" in tag.text
    push = webhook("push")
    push.update(ref="refs/heads/master", deleted=False)
    assert guard.target_for("push", push, settings) == guard.Target("push", "master", "check", push["after"])
    push.update(deleted=True, after="0" * 40)
    assert "deleted" in guard.target_for("push", push, settings).text


def test_targets_skipped():
    payload = webhook("merge_group", "checks_requested")
    off = guard.target_for("merge_group", payload, guard.Settings(mode="off"))
    assert isinstance(off, guard.Skip) and "guard: off" in off.text
    other = guard.target_for("merge_group", payload, guard.Settings(branches=("production", "release/*")))
    assert isinstance(other, guard.Skip)
    assert other.text == ("nothing to do: `main` is not a deploy branch (deploy branches: `production`, "
                          "`release/*`).")
    no_default = guard.target_for("schedule", {}, guard.Settings(), github_ref="refs/heads/main")
    assert isinstance(no_default, guard.Skip) and "deploy-branches" in no_default.text
    assert guard.skipped(off).summary().startswith("#### :information_source: Deploy-rate guard")


def test_window_covered():
    now = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)
    assert not covers_window((), now)
    assert not covers_window((Activity(1, "push", now - timedelta(seconds=59)),), now)
    assert covers_window((Activity(1, "push", now - timedelta(seconds=60)),), now)


def test_pages_are_bounded(fake):
    updates(fake, 50, 40, 30, 20, 10)
    clock = Clock(fake)
    snapshot = client(fake, clock).snapshot(REPO, "main", enough=covers_window, per_page=1, max_pages=2)
    assert len(snapshot.activities) == 2 and len(activity_calls(fake)) == 2


def test_the_fakes_control_api_for_activity_and_clock(fake):
    from tests.test_action_contract import send

    assert send(fake.url, "POST", "/_fake/clock", {"now": NOW + 100}, token=None)[0] == 200
    status, item = send(fake.url, "POST", "/_fake/activities",
                        {"repository": REPO, "ago": 30, "activity_type": "pr_merge", "after": "e" * 40}, token=None)
    assert status == 201 and item["timestamp"] == "2027-01-15T08:01:10Z" and item["after"] == "e" * 40
    assert send(fake.url, "POST", "/_fake/clock", {"advance": 5}, token=None)[1] == {"now": NOW + 105}
    assert run(fake)[0].count == 1
    assert send(fake.url, "POST", "/_fake/reset", token=None)[0] == 200 and fake.activities == {}
