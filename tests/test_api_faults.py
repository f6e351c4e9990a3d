"""GitHub API faults, each with a defined, documented and tested outcome, at two levels:

1. the sticky comment (preflight.github.comment.upsert through the REST client) against the OpenAPI-validated fake
   GitHub: the outcome, the requests made (retries bounded in count), the waits (bounded by the time budget, on
   a fake clock) and the warning;
2. the whole Action (entrypoint.py as the runner runs it) under the same fault: the exit code, the outputs
   (``comment-url`` aside), the annotations (the one comment warning aside), the job summary and the report are
   exactly those of a run with ``comment: never``; the token appears only in ``::add-mask::``.

tests/test_action_comment.py covers the comment logic in depth (identity, pagination, minimized comments, a
primary rate limit's reset); this is the fault table of docs/reliability.md, one row per case.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from preflight.github import comment
from preflight.github import rest as rest_module
from preflight.github.rest import MAX_RETRIES, TOTAL_BUDGET, RestClient
from tests.action_harness import TOKEN, fake_github_fixture, run_action, webhook, write_app  # noqa: F401
from tests.github_fake import Clock
from tests.output_invariants import Case

REPO, PR = "octo-org/octo-repo", 7
MARKER = comment.MARKER
DOCS = "https://docs.github.com/rest"
SECONDARY = {"message": "You have exceeded a secondary rate limit and have been temporarily blocked from content "
                        "creation. Please retry your request again later.",
             "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}
TOO_LONG = {"message": "Validation Failed", "documentation_url": DOCS,
            "errors": [{"resource": "IssueComment", "code": "custom", "field": "body",
                        "message": "body is too long (maximum is 65536 characters)"}]}


def _error(message: str) -> dict[str, str]:
    return {"message": message, "documentation_url": DOCS}


@dataclass(frozen=True)
class Fault:
    case: Case
    faults: list[dict[str, Any]] = field(default_factory=list)
    action: str = "skipped"  # the comment's outcome
    warning: str | None = None  # a phrase the warning must have
    existing: bool = False  # our comment exists already (the run updates it)
    slept: list[float] | None = None  # the waits, on the fake clock (None: not checked)
    max_requests: int = 6
    unreachable: bool = False  # the API's address refuses connections
    timeout: int | None = None  # the client's request timeout (real seconds)
    budget: float | None = None


FAULTS = [
    Fault(Case("timeout", "the API accepts the connection and does not answer (3 s against a 1 s request "
               "timeout, 0.5 s budget)", "skipped with one warning once the time budget is spent: GitHub is "
               "given at most the budget plus one request timeout"),
          [dict(operation="issues/list-comments", status=200, body=[], delay=3, times=10)],
          warning="time budget", timeout=1, budget=0.5, max_requests=3),
    Fault(Case("timeout on create", "creating the comment does not answer in time (2 s against 1 s)",
               "not repeated (it may have been created); skipped with one warning: did not answer in time"),
          [dict(operation="issues/create-comment", status=201, body=None, delay=2, times=10)],
          warning="did not answer in time", timeout=1, budget=10, max_requests=3),
    Fault(Case("connection refused", "nothing listens at GITHUB_API_URL",
               f"the first request retried {MAX_RETRIES} times with backoff (2 s, 4 s), then skipped with one "
               f"warning"),
          unreachable=True, warning="ConnectionError", slept=[2.0, 4.0], max_requests=0),
    Fault(Case("500, persistent", "every list request answers 500",
               f"reads retried {MAX_RETRIES} times with backoff (2 s, 4 s), then skipped with one warning"),
          [dict(operation="issues/list-comments", status=500, times=20, body=_error("Server Error"))],
          warning=f"still failing after {MAX_RETRIES} retries", slept=[2.0, 4.0], max_requests=5),
    Fault(Case("502, once", "one list request answers 502 Bad Gateway",
               "retried at once, then created as usual"),
          [dict(operation="issues/list-comments", status=502, body=_error("Bad Gateway"))],
          action="created", slept=[]),
    Fault(Case("503 on create", "creating the comment answers 503",
               "not retried (a POST may have created it: never post twice); skipped with one warning"),
          [dict(operation="issues/create-comment", status=503, times=20, body=_error("Service Unavailable"))],
          warning="HTTP 503", slept=[]),
    Fault(Case("503 on update", "updating our comment answers 503 once",
               "retried at once (a PATCH with the same body may be repeated), then updated"),
          [dict(operation="issues/update-comment", status=503, body=_error("Service Unavailable"))],
          action="updated", existing=True, slept=[], max_requests=4),
    Fault(Case("503 on update, persistent", "updating our comment answers 503 every time",
               f"retried {MAX_RETRIES} times with backoff (2 s, 4 s), then skipped with one warning; the old "
               f"comment stays"),
          [dict(operation="issues/update-comment", status=503, times=20, body=_error("Service Unavailable"))],
          warning=f"still failing after {MAX_RETRIES} retries", existing=True, slept=[2.0, 4.0], max_requests=6),
    Fault(Case("503 on GET /user", "the identity request answers 503 every time",
               f"retried {MAX_RETRIES} times with backoff, then skipped with one warning"),
          [dict(operation="users/get-authenticated", status=503, times=20, body=_error("Service Unavailable"))],
          warning=f"still failing after {MAX_RETRIES} retries", slept=[2.0, 4.0], max_requests=4),
    Fault(Case("403 secondary rate limit", "creating answers 403 secondary rate limit with `retry-after: 7`",
               "waits the 7 s GitHub asks (on the time budget), then created"),
          [dict(operation="issues/create-comment", status=403, headers={"retry-after": "7"}, body=SECONDARY)],
          action="created", slept=[7.0]),
    Fault(Case("403 secondary rate limit, persistent", "creating answers 403 secondary rate limit with "
               "`retry-after: 20` every time", f"waits 20 s {MAX_RETRIES} times (60 s, within the "
               f"{TOTAL_BUDGET:.0f} s budget), then skipped with one warning"),
          [dict(operation="issues/create-comment", status=403, headers={"retry-after": "20"}, times=20,
                body=SECONDARY)],
          warning=f"still failing after {MAX_RETRIES} retries", slept=[20.0, 20.0, 20.0], max_requests=6),
    Fault(Case("retry-after beyond the budget", "creating answers 403 with `retry-after: 3600`",
               "no wait at all: skipped at once, the warning says the budget"),
          [dict(operation="issues/create-comment", status=403, headers={"retry-after": "3600"}, body=SECONDARY)],
          warning="budget", slept=[]),
    Fault(Case("429", "listing answers 429 with `Retry-After: 3`", "waits 3 s, then created"),
          [dict(operation="issues/list-comments", status=429, headers={"Retry-After": "3"},
                body=_error("Too Many Requests"))],
          action="created", slept=[3.0]),
    Fault(Case("401 bad token", "every request answers 401 Bad credentials",
               "no retry and no further request; skipped with one warning: GitHub rejected the token (HTTP 401), "
               "check the github-token input"),
          [dict(status=401, times=20, body=_error("Bad credentials"))],
          warning="GitHub rejected the token (GET /user: HTTP 401 (Bad credentials)); check the github-token input",
          slept=[], max_requests=1),
    Fault(Case("403 read-only token (fork)", "a pull request from a fork: GITHUB_TOKEN may read, not write "
               "(403 Resource not accessible by integration)",
               "skipped with one warning that says so (fork: read-only token)"),
          [dict(operation="issues/create-comment", status=403, body=_error("Resource not accessible by integration"))],
          warning="fork gets a read-only GITHUB_TOKEN", slept=[]),
    Fault(Case("404 pull request gone", "listing answers 404 (the pull request or repository is gone, or hidden "
               "from the token)", "skipped with one warning naming HTTP 404"),
          [dict(operation="issues/list-comments", status=404, body=_error("Not Found"))], warning="HTTP 404",
          slept=[]),
    Fault(Case("404 on create", "creating answers 404", "skipped with one warning naming HTTP 404"),
          [dict(operation="issues/create-comment", status=404, body=_error("Not Found"))], warning="HTTP 404",
          slept=[]),
    Fault(Case("410 gone", "listing answers 410 (issues disabled, or the pull request deleted)",
               "skipped with one warning naming HTTP 410; no retry"),
          [dict(operation="issues/list-comments", status=410, body=_error("Gone"))], warning="HTTP 410", slept=[]),
    Fault(Case("422 body too long, create", "creating answers 422 `body is too long (maximum is 65536 "
               "characters)`", "not retried; skipped with one warning (HTTP 422). The body is built under the "
               "limit, so this is GitHub changing it"),
          [dict(operation="issues/create-comment", status=422, body=TOO_LONG)], warning="HTTP 422", slept=[]),
    Fault(Case("422 body too long, update", "updating our comment answers 422", "skipped with one warning "
               "(HTTP 422); the old comment stays"),
          [dict(operation="issues/update-comment", status=422, body=TOO_LONG)], warning="HTTP 422", slept=[],
          existing=True),
]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed when the block ends: connections are refused


def _client(url: str, clock: Clock, fault: Fault) -> RestClient:
    kw: dict[str, Any] = {"seconds_between_writes": None}
    if fault.timeout is not None:
        kw["timeout"] = fault.timeout
    if fault.budget is not None:
        kw["budget"], clock = fault.budget, None  # a real clock: the timeout really passes
    else:
        kw.update(clock=clock, sleeper=clock.sleep)
    return RestClient("ghs_faulty_token", url, **kw)


@pytest.mark.parametrize("fault", FAULTS, ids=[f.case.id.replace(" ", "-") for f in FAULTS])
def test_comment_under_fault(fault: Fault, fake_github):
    if fault.existing:
        fake_github.seed_comment(REPO, PR, f"{MARKER}\nold")
    for spec in fault.faults:
        fake_github.add_fault(**spec)
    url = f"http://127.0.0.1:{_closed_port()}" if fault.unreachable else fake_github.url
    clock = Clock()
    started = time.monotonic()
    outcome = comment.upsert(_client(url, clock, fault), REPO, PR, comment.compose(MARKER, "3 errors"),
                             marker=MARKER, mode="auto", has_findings=True, fork="fork" in fault.case.id)
    elapsed = time.monotonic() - started
    assert outcome.action == fault.action, outcome
    if fault.warning is not None:
        assert outcome.warning and fault.warning in outcome.warning, outcome.warning
        assert outcome.url == ""
    else:
        assert outcome.warning is None
    if fault.slept is not None:
        assert clock.slept == fault.slept
    assert sum(clock.slept) <= TOTAL_BUDGET
    assert len(fake_github.requests) <= fault.max_requests, fake_github.calls()
    per_request = {}
    for request in fake_github.requests:
        key = (request["method"], request["operation"])
        per_request[key] = per_request.get(key, 0) + 1
    assert all(n <= 1 + MAX_RETRIES for n in per_request.values()), per_request
    assert [r["method"] for r in fake_github.requests].count("POST") <= (1 + MAX_RETRIES if "rate" in
                                                                         fault.case.id else 1)
    assert elapsed < (fault.budget or 0) + (fault.timeout or 0) + 5
    if fault.existing:  # updated in place, or left as it was
        body = comment.compose(MARKER, "3 errors") if fault.action == "updated" else f"{MARKER}\nold"
        assert [c["body"] for c in fake_github.comments[(REPO, PR)]] == [body]


# --------------------------------------------------------------------------------------------------- the Action


def _patched_client(monkeypatch, clock: Clock, fault: Fault) -> None:
    """entrypoint.py builds its RestClient at run time: give it the fake clock and the fault's timeout."""
    original = rest_module.RestClient

    class FastClient(original):  # type: ignore[misc, valid-type]
        def __init__(self, token: str, api_url: str, **kw: Any) -> None:
            kw.setdefault("seconds_between_writes", None)
            if fault.timeout is not None:
                kw["timeout"] = fault.timeout
            if fault.budget is not None:
                kw["budget"] = fault.budget
            else:
                kw.update(clock=clock, sleeper=clock.sleep)
            super().__init__(token, api_url, **kw)

    monkeypatch.setattr(rest_module, "RestClient", FastClient)


def _run(tmp_path, monkeypatch, fake, fault: Fault | None, comment_mode: str):
    workspace = write_app(tmp_path / "ws")
    payload = webhook("pull_request", "opened")
    if fault is not None and fault.existing:
        fake.seed_comment(payload["repository"]["full_name"], payload["number"], f"{MARKER}\nold")
    for spec in (fault.faults if fault else []):
        fake.add_fault(**spec)
    url = fake.url if fault is not None and not fault.unreachable else f"http://127.0.0.1:{_closed_port()}"
    if fault is not None:
        _patched_client(monkeypatch, Clock(), fault)
    return run_action(tmp_path, monkeypatch, workspace=workspace, event="pull_request", payload=payload,
                      api_url=url, inputs={"comment": comment_mode, "sarif-file": "out.sarif", "guard": "off"})


def _facts(run) -> dict[str, Any]:
    """What the check's result is made of, with the comment's own traces taken out."""
    annotations = [a for a in run.log.annotations if "comment" not in a.message]
    outputs = {k: v for k, v in run.outputs.items() if k != "comment-url"}
    report = json.loads((run.workspace / run.outputs["report-json"]).read_text(encoding="utf-8"))
    sarif = (run.workspace / "out.sarif").read_text(encoding="utf-8")
    return {"code": run.code, "outputs": outputs, "annotations": annotations, "summary": run.summary,
            "report": report, "sarif": sarif}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """The run without a comment (``comment: never``): what every faulty run must equal."""
    mp = pytest.MonkeyPatch()
    try:
        return _facts(_run(tmp_path_factory.mktemp("baseline"), mp, None, None, "never"))
    finally:
        mp.undo()


@pytest.mark.parametrize("fault", FAULTS, ids=[f.case.id.replace(" ", "-") for f in FAULTS])
def test_the_check_never_depends_on_the_comment(fault: Fault, tmp_path, monkeypatch, fake_github, baseline):
    run = _run(tmp_path, monkeypatch, fake_github, fault, "auto")
    assert _facts(run) == baseline
    warnings = [a for a in run.log.annotations if "comment" in a.message]
    if fault.action == "skipped":
        assert len(warnings) == 1 and warnings[0].kind == "warning", warnings
        assert run.outputs["comment-url"] == ""
    else:
        assert warnings == [] and run.outputs["comment-url"]
    # the token: masked first, then never printed, logged or written
    assert run.stdout.startswith(f"::add-mask::{TOKEN}\n") and run.stdout.count(TOKEN) == 1
    assert TOKEN not in run.stderr + run.summary + json.dumps(run.outputs) + json.dumps(fake_github.requests)


# ------------------------------------------------------------------------------- once known gaps, now fixed

SECONDARY_ON_UPDATE = [dict(operation="issues/update-comment", status=403, headers={"retry-after": "5"},
                            body=SECONDARY)]


@pytest.mark.parametrize("faults", [
    SECONDARY_ON_UPDATE,
    [dict(operation="issues/update-comment", status=429, headers={"Retry-After": "2"},
          body=_error("Too Many Requests"))],
    [dict(operation="issues/update-comment", status=503, body=_error("Service Unavailable"))],
], ids=["403-secondary", "429", "503"])
def test_updating_the_comment_is_retried_like_creating_it(faults, fake_github):
    fake_github.seed_comment(REPO, PR, f"{MARKER}\nold")
    for spec in faults:
        fake_github.add_fault(**spec)
    clock = Clock()
    outcome = comment.upsert(RestClient("t", fake_github.url, clock=clock, sleeper=clock.sleep,
                                        seconds_between_writes=None), REPO, PR, comment.compose(MARKER, "new"),
                             marker=MARKER, mode="auto", has_findings=True)
    assert outcome.action == "updated", outcome
    assert [c["body"] for c in fake_github.comments[(REPO, PR)]] == [comment.compose(MARKER, "new")]
    assert [r["method"] for r in fake_github.requests].count("PATCH") == 2, fake_github.calls()


def test_a_bad_token_is_called_a_bad_token(fake_github):
    fake_github.add_fault(status=401, times=20, body=_error("Bad credentials"))
    outcome = comment.upsert(RestClient("t", fake_github.url, seconds_between_writes=None), REPO, PR, "x",
                             marker=MARKER, mode="auto", has_findings=True)
    assert outcome.action == "skipped" and outcome.url == ""
    assert "pull-requests: write" not in outcome.warning and "github-token" in outcome.warning, outcome.warning
    assert len(fake_github.requests) == 1, fake_github.calls()  # GET /user: nothing else is tried
