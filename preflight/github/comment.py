"""One sticky pull-request comment per check: found by a hidden marker and its author, edited in place.

- The body starts with a hidden marker, ``<!-- cloud-preflight:comment -->`` (with a hash of the ``path`` input
  when it is not the repository root, so two jobs that check two apps keep two comments). At the start, so a
  body cut to fit GitHub's limit still has it.
- Ours is the first comment that has the marker, is not minimized and was written by this token's own author:
  - a personal access token: ``GET /user`` names it;
  - GITHUB_TOKEN: ``GET /user`` is 403 for it (an App installation token), and its comments are by
    ``github-actions[bot]``, on github.com and on GitHub Enterprise Server alike;
  - another GitHub App's installation token (also 403 on ``GET /user``, so it cannot be told from GITHUB_TOKEN):
    a comment by a bot whose login is the slug of the App it was made through plus ``[bot]``, which is how GitHub
    names an App's bot user. A ``github-actions[bot]`` comment is preferred; an App bot's comment that this token
    may not edit belongs to another App, so ours is created instead.
  A comment by a person that quotes the marker is never edited.
- Unchanged body: no PATCH. Findings fixed: the comment becomes an all-clear (the body the report renders with no
  findings). No comment yet: created only when there are findings (``comment: auto``), always
  (``comment: always``); ``comment: never`` makes no call at all.
- A token that may not write (a pull request from a fork gets a read-only GITHUB_TOKEN; a workflow without
  ``pull-requests: write``), a token GitHub rejects (401: bad or expired; the warning points at the
  ``github-token`` input) or any API failure: the comment is skipped with one warning; the check's result never
  depends on it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from preflight.github.rest import Comment, GitHubError, RestClient, valid_repository

MODES = ("auto", "always", "never")
MARKER = "<!-- cloud-preflight:comment -->"
ACTIONS_BOT = "github-actions[bot]"


def marker_for(path: str) -> str:
    """The hidden marker for the check of ``path`` (the Action's ``path`` input, relative to the workspace)."""
    normalized = path.strip().strip("/") or "."
    while normalized.startswith("./"):
        normalized = normalized[2:] or "."
    if normalized == ".":
        return MARKER
    digest = hashlib.sha256(normalized.encode("utf-8")).hexdigest()[:12]
    return f"<!-- cloud-preflight:comment:{digest} -->"


def compose(marker: str, markdown: str) -> str:
    return f"{marker}\n{markdown}"


@dataclass(frozen=True)
class Identity:
    """Whose comments are ours: exact logins, and (for App installation tokens) App bots."""

    logins: frozenset[str]
    app_bots: bool = False

    def rank(self, comment: Comment) -> int | None:
        """0: written by this token's login; 1: by an App's bot (an installation token's, maybe ours); None."""
        if comment.login in self.logins:
            return 0
        if (self.app_bots and comment.user_type == "Bot" and comment.app_slug
                and comment.login == f"{comment.app_slug}[bot]"):
            return 1
        return None


def identify(client: RestClient) -> Identity:
    try:
        return Identity(frozenset({client.authenticated_login()}))
    except GitHubError as exc:
        if exc.status != 401 and exc.is_permission:  # an App installation token, GITHUB_TOKEN included
            return Identity(frozenset({ACTIONS_BOT}), app_bots=True)
        raise  # 401: the token itself is rejected (no other call would succeed)


@dataclass(frozen=True)
class Outcome:
    """What happened: ``created``, ``updated``, ``unchanged``, ``not-needed`` (no comment and nothing to say) or
    ``skipped`` (``warning`` says why, for one warning annotation)."""

    action: str
    url: str = ""
    warning: str | None = None


def _same(a: str, b: str) -> bool:
    return a.replace("\r\n", "\n").strip() == b.replace("\r\n", "\n").strip()


def upsert(client: RestClient, repository: str, number: int, body: str, *, marker: str, mode: str,
           has_findings: bool, fork: bool = False) -> Outcome:
    """Create, update or leave the sticky comment on pull request ``number``; never raises for API failures."""
    if mode == "never":
        return Outcome("not-needed")
    if not valid_repository(repository):
        return Outcome("skipped", warning=f"The pull-request comment was skipped: {repository!r} is not an "
                                          f"owner/name repository.")
    try:
        identity = identify(client)
        candidates = [(rank, index, c) for index, c in enumerate(client.issue_comments(repository, number))
                      if marker in c.body and not c.minimized and (rank := identity.rank(c)) is not None]
        ours = min(candidates, key=lambda item: item[:2])[2] if candidates else None
        if ours is not None:
            if _same(ours.body, body):
                return Outcome("unchanged", ours.html_url)
            try:
                updated = client.update_issue_comment(repository, ours, body)
                return Outcome("updated", updated.html_url or ours.html_url)
            except GitHubError as exc:
                if exc.status == 401 or not (exc.is_permission and identity.rank(ours) == 1):
                    raise
                # Another App's bot wrote that one, not this token: ours does not exist yet.
        if mode == "always" or has_findings:
            created = client.create_issue_comment(repository, number, body)
            return Outcome("created", created.html_url)
        return Outcome("not-needed")
    except GitHubError as exc:
        if exc.status == 401:  # the message is GitHub's ("Bad credentials"), never the token
            return Outcome("skipped", warning=f"The pull-request comment was skipped: GitHub rejected the token "
                                              f"({exc}); check the github-token input (a personal token may have "
                                              f"expired). The annotations and the job summary have the full "
                                              f"report.")
        if exc.is_permission:
            why = ("a pull request from a fork gets a read-only GITHUB_TOKEN" if fork else
                   "give the job `permissions: pull-requests: write`")
            return Outcome("skipped", warning=f"The pull-request comment was skipped: the token may not write "
                                              f"comments here ({why}; {exc}). The annotations and the job "
                                              f"summary have the full report.")
        return Outcome("skipped", warning=f"The pull-request comment was skipped: {exc}. The annotations and "
                                          f"the job summary have the full report.")
