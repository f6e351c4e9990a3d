"""Runs entrypoint.py the way the runner does, in-process: INPUT_* (hyphens kept), GITHUB_* and the file
commands in a temporary folder, a real webhook payload from ``@octokit/webhooks-examples``; then reads what the
runner would (tests/actions_runner.py)."""

from __future__ import annotations

import copy
import io
import json
import os
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from tests.actions_runner import StepLog, read_outputs, run_step

ROOT = Path(__file__).resolve().parent.parent
WEBHOOK_EXAMPLES = ROOT / "node_modules" / "@octokit" / "webhooks-examples" / "api.github.com" / "index.json"
TOKEN = "ghs_FAKEtoken0123456789abcdefABCDEF012345"
TODAY = "2026-09-01"


def need_node_modules() -> None:
    if not WEBHOOK_EXAMPLES.is_file() and not os.environ.get("CI"):
        pytest.skip("node_modules missing: run `npm ci` at the repository root")


@lru_cache(maxsize=1)
def _examples() -> dict[str, Any]:
    need_node_modules()
    return {entry["name"]: entry for entry in json.loads(WEBHOOK_EXAMPLES.read_text(encoding="utf-8"))}


def webhook(event: str, action: str | None = None) -> dict[str, Any]:
    """The first real example payload of ``event`` (with ``action``), as GitHub sent it."""
    for example in _examples()[event]["examples"]:
        if action is None or example.get("action") == action:
            return copy.deepcopy(example)
    raise LookupError(f"no {event}/{action} example")


def fork_of(payload: dict[str, Any], owner: str = "forker") -> dict[str, Any]:
    """The same real pull_request payload, opened from a fork: the head repository is a copy of the base one
    under another owner (no example in the package comes from a fork)."""
    payload = copy.deepcopy(payload)
    base = payload["repository"]
    head = copy.deepcopy(base)
    head["full_name"] = f"{owner}/{base['name']}"
    head["fork"] = True
    head["owner"] = {**head["owner"], "login": owner}
    payload["pull_request"]["head"]["repo"] = head
    payload["pull_request"]["head"]["label"] = f"{owner}:{payload['pull_request']['head']['ref']}"
    return payload


def write_app(root: Path, requirements: str = "streamlit==1.40.0\nos\nsklearn\n", folder: str = "") -> Path:
    """A tiny Streamlit app whose requirements.txt has the given lines."""
    app = root / folder if folder else root
    app.mkdir(parents=True, exist_ok=True)
    (app / "streamlit_app.py").write_text("import streamlit as st\n\nst.title('hi')\n", encoding="utf-8")
    (app / "requirements.txt").write_text(requirements, encoding="utf-8")
    return app


@dataclass
class ActionRun:
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    log: StepLog
    workspace: Path

    def annotations(self, kind: str | None = None) -> list:
        return [a for a in self.log.annotations if kind is None or a.kind == kind]


def run_action(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, workspace: Path, event: str,
               payload: dict[str, Any] | None, api_url: str = "http://127.0.0.1:9",
               inputs: dict[str, str] | None = None, env: dict[str, str] | None = None,
               summary_before: str = "") -> ActionRun:
    """Run entrypoint.main() with the runner's environment; returns what the runner would see."""
    import entrypoint

    files = tmp_path / "file_commands"
    files.mkdir(exist_ok=True)
    output_file, summary_file = files / "output", files / "step_summary"
    output_file.write_text("", encoding="utf-8")
    summary_file.write_text(summary_before, encoding="utf-8")  # what earlier commands of the step wrote
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(payload if payload is not None else {}), encoding="utf-8")
    for name in list(os.environ):
        if name.startswith(("INPUT_", "GITHUB_")):
            monkeypatch.delenv(name)
    defaults = {"path": ".", "config": "", "entrypoints": "", "fail-on": "", "comment": "auto",
                "annotations": "true", "summary": "true", "sarif-file": "", "github-token": TOKEN,
                "python-version": "",
                # Resolution asks a package index (tests/test_resolve.py covers it offline); here it stays off.
                "resolve": "false"}
    for name, value in {**defaults, **(inputs or {})}.items():
        monkeypatch.setenv(f"INPUT_{name.replace(' ', '_').upper()}", value)
    repository = (payload or {}).get("repository", {}).get("full_name", "octo-org/octo-repo")
    runner_env = {
        "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_WORKSPACE": str(workspace), "GITHUB_OUTPUT": str(output_file),
        "GITHUB_STEP_SUMMARY": str(summary_file), "GITHUB_API_URL": api_url, "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": repository, "GITHUB_SHA": "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
        "GITHUB_REF": "refs/pull/2/merge", "GITHUB_RUN_ID": "42", "RUNNER_TEMP": str(tmp_path / "runner_temp"),
        "CLOUD_PREFLIGHT_TODAY": TODAY,
    }
    for name, value in {**runner_env, **(env or {})}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(workspace)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = entrypoint.main()
        except SystemExit as exc:  # pragma: no cover - main() returns its code
            code = int(exc.code or 0)
    sys.stdout.flush()
    stdout = out.getvalue()
    return ActionRun(code, stdout, err.getvalue(), read_outputs(output_file.read_text(encoding="utf-8")),
                     summary_file.read_text(encoding="utf-8"), run_step(stdout), workspace)


@pytest.fixture(name="fake_github")
def fake_github_fixture():
    """A fake GitHub API on loopback; at the end, every request must have kept to GitHub's OpenAPI contract."""
    from tests.github_fake import FakeGitHub

    need_node_modules()
    with FakeGitHub() as fake:
        yield fake
    errors = fake.contract_errors()
    assert not errors, "\n".join(errors)
