"""The sticky comment and the REST client against the fake GitHub (every request checked against GitHub's
OpenAPI description): create, update, unchanged, all-clear, whose comment is ours, fork 403, rate limits with
retry-after, 5xx, timeouts, all within a bounded time."""

from __future__ import annotations

import time

import pytest

from preflight.github import comment
from preflight.github.rest import API_VERSION, RestClient
from tests.action_harness import fake_github_fixture  # noqa: F401 - the fake_github fixture
from tests.github_fake import Clock

REPO, PR = "octo-org/octo-repo", 7
MARKER = comment.MARKER
SECONDARY = {"message": "You have exceeded a secondary rate limit and have been temporarily blocked from content "
                        "creation. Please retry your request again later.",
             "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}


def client(fake, clock: Clock | None = None, **kw) -> RestClient:
    kw.setdefault("seconds_between_writes", None)
    if clock is not None:
        kw.update(clock=clock, sleeper=clock.sleep)
    return RestClient("ghs_token", fake.url, **kw)


def upsert(fake, body: str = "findings", *, mode: str = "auto", has_findings: bool = True, fork: bool = False,
           **kw) -> comment.Outcome:
    return comment.upsert(client(fake, **kw), REPO, PR, comment.compose(MARKER, body), marker=MARKER, mode=mode,
                          has_findings=has_findings, fork=fork)


def bodies(fake) -> list[str]:
    return [c["body"] for c in fake.comments.get((REPO, PR), [])]


def test_create_then_unchanged_then_update_then_all_clear(fake_github):
    created = upsert(fake_github, "3 errors")
    first_id = fake_github.comments[(REPO, PR)][0]["id"]
    assert created.action == "created" and created.url.endswith(f"#issuecomment-{first_id}")
    assert upsert(fake_github, "3 errors").action == "unchanged"
    assert upsert(fake_github, "2 errors").action == "updated"
    cleared = upsert(fake_github, "all clear", has_findings=False)
    assert cleared.action == "updated" and cleared.url == created.url
    assert bodies(fake_github) == [f"{MARKER}\nall clear"]
    methods = [r["method"] for r in fake_github.requests]
    assert methods.count("POST") == 1 and methods.count("PATCH") == 2


def test_nothing_to_say_and_no_comment_yet(fake_github):
    assert upsert(fake_github, "all clear", has_findings=False).action == "not-needed"
    assert upsert(fake_github, "all clear", has_findings=False, mode="always").action == "created"


def test_never_makes_no_call(fake_github):
    assert upsert(fake_github, mode="never").action == "not-needed"
    assert fake_github.requests == []


def test_unchanged_ignores_line_endings_and_outer_whitespace(fake_github):
    fake_github.seed_comment(REPO, PR, f"{MARKER}\r\nsame\r\n")
    assert upsert(fake_github, "same").action == "unchanged"


def test_a_marker_quoted_by_someone_else_is_never_edited(fake_github):
    fake_github.seed_comment(REPO, PR, f"quoting: {MARKER}", login="mallory", user_type="User")
    fake_github.seed_comment(REPO, PR, f"{MARKER}\nold", login="other-app[bot]", user_type="Bot")
    outcome = upsert(fake_github, "new")
    assert outcome.action == "created"
    assert bodies(fake_github) == [f"quoting: {MARKER}", f"{MARKER}\nold", f"{MARKER}\nnew"]


def test_minimized_comment_is_not_reused(fake_github):
    fake_github.seed_comment(REPO, PR, f"{MARKER}\nold", minimized=True)
    assert upsert(fake_github, "new").action == "created"


def test_personal_access_token_identity(fake_github):
    fake_github.login = "octocat"
    fake_github.seed_comment(REPO, PR, f"{MARKER}\nby the bot")  # not this token's
    fake_github.seed_comment(REPO, PR, f"{MARKER}\nmine", login="octocat", user_type="User")
    assert upsert(fake_github, "updated").action == "updated"
    assert bodies(fake_github) == [f"{MARKER}\nby the bot", f"{MARKER}\nupdated"]


def test_github_app_installation_token_identity(fake_github):
    fake_github.bot = "preflight-bot[bot]"
    fake_github.seed_comment(REPO, PR, f"{MARKER}\nold", login="preflight-bot[bot]", user_type="Bot",
                             app_slug="preflight-bot")
    assert upsert(fake_github, "new").action == "updated"


def test_paginates_to_find_its_comment(fake_github):
    for i in range(150):
        fake_github.seed_comment(REPO, PR, f"chatter {i}", login="someone", user_type="User")
    fake_github.seed_comment(REPO, PR, f"{MARKER}\nold")
    assert upsert(fake_github, "new").action == "updated"
    pages = [r["query"].get("page") for r in fake_github.requests if r["operation"] == "issues/list-comments"]
    assert pages == ["1", "2"]


@pytest.mark.parametrize("fork,needle", [(True, "fork gets a read-only GITHUB_TOKEN"),
                                         (False, "pull-requests: write")])
def test_read_only_token_skips_with_a_warning(fake_github, fork, needle):
    fake_github.read_only = True
    outcome = upsert(fake_github, fork=fork)
    assert outcome.action == "skipped" and needle in outcome.warning and "HTTP 403" in outcome.warning
    assert outcome.url == ""


def test_update_forbidden_is_skipped(fake_github):
    fake_github.seed_comment(REPO, PR, f"{MARKER}\nold")
    fake_github.read_only = True
    assert upsert(fake_github, "new").action == "skipped"


def test_404_on_list_is_skipped(fake_github):
    fake_github.add_fault(operation="issues/list-comments", status=404, body={"message": "Not Found"})
    outcome = upsert(fake_github)
    assert outcome.action == "skipped" and "HTTP 404" in outcome.warning


def test_secondary_rate_limit_honours_retry_after(fake_github):
    fake_github.add_fault(operation="issues/create-comment", status=403, headers={"retry-after": "7"},
                          body=SECONDARY)
    clock = Clock()
    outcome = upsert(fake_github, clock=clock)
    assert outcome.action == "created" and clock.slept == [7.0]
    assert [r["status"] for r in fake_github.requests if r["method"] == "POST"] == [403, 201]
    assert len(bodies(fake_github)) == 1


def test_secondary_rate_limit_without_retry_after_waits_a_minute(fake_github):
    fake_github.add_fault(operation="issues/create-comment", status=403, body=SECONDARY)
    clock = Clock()
    assert upsert(fake_github, clock=clock).action == "created"
    assert clock.slept == [60.0]


def test_429_with_retry_after_on_a_read(fake_github):
    fake_github.add_fault(operation="issues/list-comments", status=429, headers={"Retry-After": "3"},
                          body={"message": "Too Many Requests"})
    clock = Clock()
    assert upsert(fake_github, clock=clock).action == "created" and clock.slept == [3.0]


def test_a_wait_longer_than_the_budget_gives_up_at_once(fake_github):
    fake_github.add_fault(operation="issues/create-comment", status=403, headers={"retry-after": "3600"},
                          body=SECONDARY)
    clock = Clock()
    outcome = upsert(fake_github, clock=clock, budget=90)
    assert outcome.action == "skipped" and "budget" in outcome.warning and clock.slept == []


def test_primary_rate_limit_waits_for_the_reset(fake_github):
    reset = int(time.time()) + 5
    fake_github.add_fault(operation="issues/list-comments", status=403,
                          headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
                          body={"message": "API rate limit exceeded for installation ID 1."})
    clock = Clock()
    assert upsert(fake_github, clock=clock).action == "created"
    assert len(clock.slept) == 1 and 3 <= clock.slept[0] <= 7


def test_5xx_on_a_read_is_retried_with_backoff(fake_github):
    fake_github.add_fault(operation="issues/list-comments", status=502, times=2, body={"message": "Bad Gateway"})
    clock = Clock()
    assert upsert(fake_github, clock=clock).action == "created"
    assert len([r for r in fake_github.requests if r["operation"] == "issues/list-comments"]) == 3
    assert clock.slept == [2.0]  # urllib3: no wait before the first retry, then backoff_factor * 2


def test_5xx_that_persists_is_skipped(fake_github):
    fake_github.add_fault(operation="issues/list-comments", status=500, times=10,
                          body={"message": "Server Error"})
    clock = Clock()
    outcome = upsert(fake_github, clock=clock)
    assert outcome.action == "skipped" and "500" in outcome.warning
    assert len([r for r in fake_github.requests if r["operation"] == "issues/list-comments"]) == 4


def test_5xx_on_create_is_not_retried(fake_github):
    """A POST that failed with 500 may still have created the comment: never post it twice."""
    fake_github.add_fault(operation="issues/create-comment", status=500, times=10, body={"message": "boom"})
    outcome = upsert(fake_github, clock=Clock())
    assert outcome.action == "skipped" and "HTTP 500" in outcome.warning
    assert [r["method"] for r in fake_github.requests].count("POST") == 1


def test_a_slow_api_is_bounded_in_time(fake_github):
    fake_github.add_fault(operation="issues/list-comments", status=200, body=[], delay=3, times=10)
    started = time.monotonic()
    outcome = upsert(fake_github, timeout=1, budget=0.5)
    elapsed = time.monotonic() - started
    assert outcome.action == "skipped" and outcome.warning
    assert elapsed < 0.5 + 1 + 1  # the budget plus one request timeout, with slack
    assert [r["method"] for r in fake_github.requests].count("POST") == 0


def test_a_slow_create_is_not_repeated(fake_github):
    fake_github.add_fault(operation="issues/create-comment", status=201, delay=2, times=10,
                          body=fake_github.seed_comment("x/y", 1, "shape"))
    outcome = upsert(fake_github, timeout=1, budget=10)
    assert outcome.action == "skipped" and "in time" in outcome.warning
    assert [r["method"] for r in fake_github.requests].count("POST") == 1


def test_unreachable_api_is_skipped_quickly():
    clock = Clock()
    started = time.monotonic()
    api = RestClient("t", "http://127.0.0.1:9", clock=clock, sleeper=clock.sleep, timeout=2)
    outcome = comment.upsert(api, REPO, PR, "x", marker=MARKER, mode="auto", has_findings=True)
    assert outcome.action == "skipped" and time.monotonic() - started < 5


def test_spent_budget_makes_no_call(fake_github):
    clock = Clock()
    api = client(fake_github, clock, budget=10)
    clock.now += 11
    outcome = comment.upsert(api, REPO, PR, "x", marker=MARKER, mode="auto", has_findings=True)
    assert outcome.action == "skipped" and "budget" in outcome.warning and fake_github.requests == []


def test_headers(fake_github):
    upsert(fake_github)
    for request in fake_github.requests:
        assert request["headers"]["x-github-api-version"] == API_VERSION
        assert request["headers"]["accept"] == "application/vnd.github+json"
        assert request["headers"]["user-agent"].startswith("cloud-preflight/")


def test_marker_per_path():
    assert comment.marker_for(".") == comment.marker_for("./") == comment.marker_for("") == MARKER
    assert comment.marker_for("apps/a") == comment.marker_for("./apps/a/") != comment.marker_for("apps/b")
    assert "-->" not in comment.marker_for("x-->y")[:-3]


def test_invalid_repository_name_makes_no_call(fake_github):
    api = client(fake_github)
    outcome = comment.upsert(api, "../../etc", PR, "x", marker=MARKER, mode="auto", has_findings=True)
    assert outcome.action == "skipped" and fake_github.requests == []


def test_github_actions_bot_comment_wins_over_another_apps(fake_github):
    fake_github.seed_comment(REPO, PR, f"{MARKER}\napp", login="other-app[bot]", user_type="Bot",
                             app_slug="other-app")
    fake_github.seed_comment(REPO, PR, f"{MARKER}\nours")
    assert upsert(fake_github, "new").action == "updated"
    assert bodies(fake_github) == [f"{MARKER}\napp", f"{MARKER}\nnew"]


def test_another_apps_comment_that_cannot_be_edited_leads_to_our_own(fake_github):
    fake_github.seed_comment(REPO, PR, f"{MARKER}\napp", login="other-app[bot]", user_type="Bot",
                             app_slug="other-app")
    assert upsert(fake_github, "new").action == "created"
    assert bodies(fake_github) == [f"{MARKER}\napp", f"{MARKER}\nnew"]
