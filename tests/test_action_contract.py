"""The contract check itself: the fake GitHub (tests/github_fake.py) must reject what GitHub's OpenAPI
description does not allow, or the Action's contract tests would prove nothing. Also its standalone mode, which
the container test uses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from urllib.error import HTTPError

import pytest

from tests.action_harness import ROOT, need_node_modules
from tests.github_fake import FakeGitHub


def send(url: str, method: str, path: str, body: object = None, token: str | None = "t",
         raw: bytes | None = None) -> tuple[int, object]:
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(url + path, data=data, method=method)
    if token:
        request.add_header("Authorization", f"token {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except HTTPError as exc:
        text = exc.read()
        return exc.code, json.loads(text) if text else None


@pytest.fixture
def fake():
    need_node_modules()
    with FakeGitHub() as server:
        yield server


@pytest.mark.parametrize("method,path,body,needle", [
    ("GET", "/repos/o/r/issues/1/commentz", None, "no operation"),
    ("PUT", "/repos/o/r/issues/1/comments", {"body": "x"}, "no operation"),
    ("GET", "/repos/o/r/issues/1/comments?per_page=100&sort=asc", None, "query parameter 'sort' is not declared"),
    ("GET", "/repos/o/r/issues/1/comments?per_page=many", None, "query parameter per_page"),
    ("GET", "/repos/o/r/issues/one/comments", None, "path parameter issue_number"),
    ("POST", "/repos/o/r/issues/1/comments", {"body": 12}, "body: body: 12 is not of type 'string'"),
    ("POST", "/repos/o/r/issues/1/comments", {"text": "x"}, "'body' is a required property"),
    ("POST", "/repos/o/r/issues/1/comments", None, "the request body is required"),
    ("PATCH", "/repos/o/r/issues/comments/5", {"body": None}, "None is not of type 'string'"),
    ("GET", "/user", {"x": 1}, "takes no request body"),
])
def test_requests_outside_the_contract_are_recorded_as_errors(fake, method, path, body, needle):
    status, _ = send(fake.url, method, path, body)
    assert status in (404, 422)
    [record] = fake.requests
    assert any(needle in error for error in record["errors"]), record["errors"]
    assert fake.contract_errors()


def test_requests_within_the_contract_pass(fake):
    assert send(fake.url, "POST", "/repos/o/r/issues/1/comments", {"body": "hi"})[0] == 201
    assert send(fake.url, "GET", "/repos/o/r/issues/1/comments?per_page=100&page=1")[0] == 200
    assert send(fake.url, "PATCH", "/repos/o/r/issues/comments/1001", {"body": "edited"})[0] == 200
    assert send(fake.url, "GET", "/user")[0] == 403  # like GITHUB_TOKEN
    assert fake.contract_errors() == []


def test_missing_token_is_401(fake):
    assert send(fake.url, "GET", "/user", token=None)[0] == 401


def test_canned_answers_are_checked_against_the_response_schemas(fake):
    fake.add_fault(operation="issues/create-comment", status=201, body={"id": "not a number"})
    send(fake.url, "POST", "/repos/o/r/issues/1/comments", {"body": "hi"})
    assert any("response 201" in e for e in fake.requests[-1]["response_errors"])
    fake.add_fault(operation="issues/create-comment", status=418, body={})
    send(fake.url, "POST", "/repos/o/r/issues/1/comments", {"body": "hi"})
    assert fake.requests[-1]["response_errors"] == ["status 418 is not declared for issues/create-comment"]


def test_nullable_schemas_accept_null(fake):
    comment = fake.seed_comment("o/r", 1, "x")
    assert comment["performed_via_github_app"] is None and comment["minimized"] is None
    assert send(fake.url, "GET", "/repos/o/r/issues/1/comments")[0] == 200
    assert fake.contract_errors() == []


def test_ghes_prefix_and_pagination_links(fake):
    for i in range(3):
        fake.seed_comment("o/r", 1, f"c{i}", prefix="/api/v3")
    request = urllib.request.Request(fake.url + "/api/v3/repos/o/r/issues/1/comments?per_page=2&page=1")
    request.add_header("Authorization", "Bearer t")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert 'page=2>; rel="next"' in response.headers["Link"] and "/api/v3/repos/" in response.headers["Link"]
        assert len(json.loads(response.read())) == 2
    assert fake.requests[-1]["api_prefix"] == "/api/v3"


def test_control_api(fake):
    assert send(fake.url, "POST", "/_fake/faults", {"operation": "users/get-authenticated", "status": 500,
                                                     "body": {"message": "x"}}, token=None)[0] == 201
    assert send(fake.url, "GET", "/user")[0] == 500
    assert send(fake.url, "POST", "/_fake/comments", {"repository": "o/r", "number": 1, "body": "seed"},
                token=None)[0] == 201
    status, comments = send(fake.url, "GET", "/_fake/comments", token=None)
    assert status == 200 and [c["body"] for c in comments] == ["seed"]
    status, records = send(fake.url, "GET", "/_fake/requests", token=None)
    assert [r["operation"] for r in records] == ["users/get-authenticated"]
    assert send(fake.url, "POST", "/_fake/reset", token=None)[0] == 200 and fake.requests == []


def test_standalone_server_records_requests(tmp_path):
    need_node_modules()
    record = tmp_path / "requests.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "tests.github_fake", "--port", "0", "--record", str(record),
                             "--login", "octocat"], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:")
        url = line.split(" ")[-1]
        status, user = send(url, "GET", "/user", token="secret-token-value")
        assert status == 200 and user["login"] == "octocat"
        send(url, "POST", "/repos/o/r/issues/3/comments", {"body": "hello"})
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    records = [json.loads(line) for line in record.read_text().splitlines()]
    assert [(r["operation"], r["status"], r["errors"]) for r in records] == [
        ("users/get-authenticated", 200, []), ("issues/create-comment", 201, [])]
    assert "secret-token-value" not in record.read_text()
