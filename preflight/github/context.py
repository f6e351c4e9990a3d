"""The run's context: which event, which repository, which pull request, from ``GITHUB_*`` and the event payload.

The runner writes the webhook payload to ``GITHUB_EVENT_PATH`` (``/github/workflow/event.json`` in a Docker
action) and sets ``GITHUB_EVENT_NAME``, ``GITHUB_REPOSITORY``, ``GITHUB_API_URL`` (GitHub Enterprise Server:
``https://HOST/api/v3``) and the rest. Everything here is read defensively: a missing or malformed payload gives
an empty context (no pull request, so no comment), never an exception.

Events: ``pull_request`` and ``pull_request_target`` carry ``pull_request`` (its number is the issue number for
comments; the head repository differs from the base one for a fork, and is null when the fork was deleted);
``push`` carries ``after``; ``merge_group`` carries ``merge_group.head_sha``; ``workflow_dispatch`` only ``ref``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_SERVER_URL = "https://github.com"
PULL_REQUEST_EVENTS = frozenset({"pull_request", "pull_request_target"})


@dataclass(frozen=True)
class Context:
    event_name: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    repository: str = ""  # owner/name
    api_url: str = DEFAULT_API_URL
    server_url: str = DEFAULT_SERVER_URL
    workspace: str = "."
    sha: str = ""
    ref: str = ""
    run_id: str = ""
    pr_number: int | None = None
    head_sha: str = ""
    head_repository: str | None = None  # owner/name of the PR's head; None when the fork was deleted
    base_ref: str = ""
    payload_error: str | None = None  # why the payload could not be read, for a debug line

    @property
    def is_pull_request(self) -> bool:
        return self.pr_number is not None

    @property
    def is_fork(self) -> bool:
        """A pull request whose head lives in another repository (its GITHUB_TOKEN is read-only on
        ``pull_request``)."""
        return self.is_pull_request and (self.head_repository or "").lower() != self.repository.lower()

    @property
    def run_url(self) -> str:
        if not (self.repository and self.run_id):
            return ""
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"


def dig(data: Any, *keys: str) -> Any:
    """``data[k1][k2]...`` through untrusted payload JSON; None where a level is missing or not a mapping."""
    for key in keys:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def as_str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def load_payload(path: str | None) -> tuple[dict[str, Any], str | None]:
    """The event payload at ``path`` ({} and the reason when it is missing or not a JSON object)."""
    if not path:
        return {}, "GITHUB_EVENT_PATH is not set"
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return {}, f"cannot read the event payload: {exc.__class__.__name__}"
    if not isinstance(data, dict):
        return {}, "the event payload is not a JSON object"
    return data, None


def from_env(environ: Mapping[str, str] | None = None) -> Context:
    env = os.environ if environ is None else environ
    payload, error = load_payload(env.get("GITHUB_EVENT_PATH"))
    event = env.get("GITHUB_EVENT_NAME", "")
    repository = as_str(dig(payload, "repository", "full_name")) or env.get("GITHUB_REPOSITORY", "")
    pr_number = None
    head_sha = ""
    head_repository = None
    base_ref = ""
    if event in PULL_REQUEST_EVENTS:
        pr = payload.get("pull_request")
        number = dig(pr, "number") if isinstance(pr, Mapping) else None
        if number is None:
            number = payload.get("number")
        if isinstance(number, int) and not isinstance(number, bool) and number > 0:
            pr_number = number
        head_sha = as_str(dig(pr, "head", "sha"))
        head_repository = as_str(dig(pr, "head", "repo", "full_name")) or None
        base_ref = as_str(dig(pr, "base", "ref"))
    elif event == "push":
        head_sha = as_str(payload.get("after"))
    elif event == "merge_group":
        head_sha = as_str(dig(payload, "merge_group", "head_sha"))
        base_ref = as_str(dig(payload, "merge_group", "base_ref"))
    return Context(
        event_name=event,
        payload=payload,
        repository=repository,
        api_url=(env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/"),
        server_url=(env.get("GITHUB_SERVER_URL") or DEFAULT_SERVER_URL).rstrip("/"),
        workspace=env.get("GITHUB_WORKSPACE") or ".",
        sha=env.get("GITHUB_SHA", ""),
        ref=env.get("GITHUB_REF", ""),
        run_id=env.get("GITHUB_RUN_ID", ""),
        pr_number=pr_number,
        head_sha=head_sha or env.get("GITHUB_SHA", ""),
        head_repository=head_repository,
        base_ref=base_ref,
        payload_error=error,
    )
