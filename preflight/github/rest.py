"""The GitHub REST client: PyGithub, with a pinned API version, bounded retries and a bounded total time.

- Base URL from ``GITHUB_API_URL`` (``https://HOST/api/v3`` on GitHub Enterprise Server).
- ``X-GitHub-Api-Version: 2022-11-28`` on every request: the version every GitHub Enterprise Server still
  supported serves too, so the same requests work on both.
- Retries (``BoundedRetry``, built on PyGithub's ``GithubRetry``): rate limits (403 with ``retry-after`` or a
  rate-limit message, 429) honour ``retry-after``, else ``x-ratelimit-reset``, else wait a minute (GitHub's advice
  for secondary limits); 5xx is retried with exponential backoff, except for POST, which is not idempotent (a
  comment created by a request that then failed would be posted twice). GET, POST and PATCH are the methods
  retried (PyGithub's own list has no PATCH: an update of the comment would never be retried). Every wait must fit
  in what is left of the time budget: a wait that does not fit ends the call at once, as a ``GitHubError``. A call
  started after the budget is spent fails the same way, so the time spent on GitHub is at most the budget plus one
  request timeout.
- Every failure reaches callers as one ``GitHubError`` with the HTTP status (None when there was no answer).

The token is sent only in the ``Authorization`` header and never appears in an exception message here.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from preflight import __version__

API_VERSION = "2022-11-28"
MEDIA_TYPE = "application/vnd.github+json"
REQUEST_TIMEOUT = 15  # seconds (PyGithub takes whole seconds), per request (connect and read)
TOTAL_BUDGET = 90.0  # seconds for all of a run's calls, retries and waits included
MAX_RETRIES = 3
SECONDARY_RATE_WAIT = 60.0  # GitHub: "wait for at least one minute before retrying" without retry-after
SECONDS_BETWEEN_WRITES = 1.0  # GitHub: pause at least one second between mutating requests
PER_PAGE = 100
MAX_PAGES = 30  # 3,000 comments: a pull request with more is not worth more calls


class GitHubError(Exception):
    """A GitHub API call failed. ``status`` is the HTTP status, None when there was no answer (timeout, refused
    connection, time budget spent)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status

    @property
    def is_permission(self) -> bool:
        """The token may not do this: 401/403 (a read-only token, as on a fork PR) or 404 (GitHub answers 404 for
        what a token cannot see)."""
        return self.status in (401, 403, 404)


class BudgetExceeded(Exception):
    """Raised inside a request when the next wait would not fit in the time budget."""


def _retry_class() -> type:
    """``BoundedRetry`` (built lazily: PyGithub is an optional dependency, the ``action`` extra)."""
    from github.GithubRetry import GithubRetry

    class BoundedRetry(GithubRetry):
        """GithubRetry whose waits are bounded by a deadline, and which never repeats a POST after a 5xx or a
        read error (the comment may already exist)."""

        def __init__(self, *, deadline: float, clock: Callable[[], float] = time.monotonic,
                     sleeper: Callable[[float], None] = time.sleep, notify: Callable[[str], None] | None = None,
                     **kwargs: Any) -> None:
            self.deadline = deadline
            self.clock = clock
            self.sleeper = sleeper
            self.notify = notify
            kwargs.setdefault("status_forcelist", [429, *range(500, 600)])
            # GithubRetry's default adds GET and POST to urllib3's list, which has no PATCH: updating the comment
            # would never be retried. PATCH is idempotent here (the same body again); POST is held back on 5xx and
            # read errors below.
            kwargs.setdefault("allowed_methods", frozenset({"GET", "POST", "PATCH"}))
            super().__init__(**kwargs)

        def new(self, **kw: Any) -> BoundedRetry:
            kw.update(deadline=self.deadline, clock=self.clock, sleeper=self.sleeper, notify=self.notify)
            return super().new(**kw)

        def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
            if method == "POST" and status_code >= 500:
                return False
            return super().is_retry(method, status_code, has_retry_after)

        def increment(self, method=None, url=None, response=None, error=None, _pool=None,  # type: ignore[override]
                      _stacktrace=None):
            if error is not None and method == "POST" and self._is_read_error(error):
                raise error  # the request was sent: repeating it could post the comment twice
            if self.clock() >= self.deadline:
                raise BudgetExceeded("the time budget for GitHub API calls is spent")
            return super().increment(method, url, response, error, _pool, _stacktrace)

        def sleep(self, response=None) -> None:  # type: ignore[override]
            wait = self.get_retry_after(response) if response is not None else None
            if wait is None:
                wait = self.get_backoff_time()
            left = self.deadline - self.clock()
            if wait > left:
                raise BudgetExceeded(f"GitHub asked to wait {wait:.0f} s; only {max(left, 0):.0f} s of the time "
                                     f"budget are left")
            if wait > 0:
                if self.notify is not None:
                    status = getattr(response, "status", None)
                    self.notify(f"GitHub API: retrying in {wait:.0f} s" + (f" (HTTP {status})" if status else ""))
                self.sleeper(wait)

    return BoundedRetry


@dataclass(frozen=True)
class Comment:
    """An issue (pull request) comment, with what the sticky-comment logic needs."""

    id: int
    body: str
    login: str
    user_type: str
    html_url: str
    app_slug: str | None = None  # the GitHub App it was made through (performed_via_github_app)
    minimized: bool = False

    @classmethod
    def from_json(cls, raw: Any) -> Comment:
        raw = raw if isinstance(raw, dict) else {}
        user = raw.get("user") if isinstance(raw.get("user"), dict) else {}
        app = raw.get("performed_via_github_app") if isinstance(raw.get("performed_via_github_app"), dict) else {}
        return cls(
            id=int(raw.get("id") or 0),
            body=raw.get("body") or "",
            login=user.get("login") or "",
            user_type=user.get("type") or "",
            html_url=raw.get("html_url") or "",
            app_slug=app.get("slug") or None,
            minimized=bool(raw.get("minimized")),
        )


class RestClient:
    """The handful of REST calls the Action makes, through PyGithub's requester (plain JSON in and out: the
    object layer would fetch each listed comment again to complete it)."""

    def __init__(self, token: str, api_url: str, *, timeout: int = REQUEST_TIMEOUT,
                 budget: float = TOTAL_BUDGET, retries: int = MAX_RETRIES,
                 secondary_rate_wait: float = SECONDARY_RATE_WAIT,
                 seconds_between_writes: float | None = SECONDS_BETWEEN_WRITES,
                 clock: Callable[[], float] = time.monotonic, sleeper: Callable[[float], None] = time.sleep,
                 notify: Callable[[str], None] | None = None):
        import logging

        from github import Auth, Github

        # PyGithub logs each retried request to stderr at INFO; BoundedRetry says what matters through notify.
        logging.getLogger("github").setLevel(logging.WARNING)
        self._clock = clock
        self._deadline = clock() + budget
        retry = _retry_class()(deadline=self._deadline, clock=clock, sleeper=sleeper, notify=notify,
                               total=retries, backoff_factor=1.0, secondary_rate_wait=secondary_rate_wait,
                               max_rate_limit_wait=budget)
        self._github = Github(
            base_url=api_url.rstrip("/"),
            auth=Auth.Token(token),
            timeout=timeout,
            user_agent=f"cloud-preflight/{__version__}",
            per_page=PER_PAGE,
            retry=retry,
            seconds_between_requests=None,
            seconds_between_writes=seconds_between_writes,
            lazy=True,
            api_version=API_VERSION,
        )

    def close(self) -> None:
        self._github.close()

    def _request(self, what: str, verb: str, url: str, *, parameters: dict[str, Any] | None = None,
                 body: dict[str, Any] | None = None) -> Any:
        return self._exchange(what, verb, url, parameters=parameters, body=body)[1]

    def _exchange(self, what: str, verb: str, url: str, *, parameters: dict[str, Any] | None = None,
                  body: dict[str, Any] | None = None) -> tuple[dict[str, Any], Any]:
        """One call: (the answer's headers, lower-cased; its parsed JSON). Every failure is a GitHubError."""
        import requests
        from github import GithubException

        if self._clock() >= self._deadline:
            raise GitHubError(f"{what}: the time budget for GitHub API calls is spent")
        try:
            headers, data = self._github.requester.requestJsonAndCheck(verb, url, parameters=parameters,
                                                                       input=body, headers={"Accept": MEDIA_TYPE})
            return {str(k).lower(): v for k, v in (headers or {}).items()}, data
        except GithubException as exc:
            message = exc.data.get("message") if isinstance(exc.data, dict) else None
            raise GitHubError(f"{what}: HTTP {exc.status}" + (f" ({message})" if message else ""),
                              exc.status) from None
        except BudgetExceeded as exc:
            raise GitHubError(f"{what}: {exc}") from None
        except requests.exceptions.RetryError as exc:
            raise GitHubError(f"{what}: still failing after {MAX_RETRIES} retries ({_reason(exc)})") from None
        except requests.exceptions.Timeout:
            raise GitHubError(f"{what}: GitHub did not answer in time") from None
        except requests.exceptions.RequestException as exc:
            raise GitHubError(f"{what}: {exc.__class__.__name__}") from None
        except ValueError:  # a body that starts like JSON and is not (PyGithub's json.loads)
            raise GitHubError(f"{what}: the answer is not valid JSON") from None

    def authenticated_login(self) -> str:
        """``GET /user``: the token's own login. GITHUB_TOKEN and other GitHub App installation tokens get 403
        ("Resource not accessible by integration"), raised as a GitHubError like any failure."""
        data = self._request("GET /user", "GET", "/user")
        login = data.get("login") if isinstance(data, dict) else None
        if not isinstance(login, str) or not login:
            raise GitHubError("GET /user: the answer has no login")
        return login

    def issue_comments(self, repository: str, number: int) -> Iterator[Comment]:
        """``GET /repos/{owner}/{repo}/issues/{number}/comments``, page after page (at most MAX_PAGES)."""
        url = f"/repos/{_checked(repository)}/issues/{int(number)}/comments"
        for page in range(1, MAX_PAGES + 1):
            items = self._request("list comments", "GET", url, parameters={"per_page": PER_PAGE, "page": page})
            if not isinstance(items, list):
                raise GitHubError("list comments: the answer is not a list")
            for item in items:
                yield Comment.from_json(item)
            if len(items) < PER_PAGE:
                return

    def create_issue_comment(self, repository: str, number: int, body: str) -> Comment:
        """``POST /repos/{owner}/{repo}/issues/{number}/comments``."""
        url = f"/repos/{_checked(repository)}/issues/{int(number)}/comments"
        return Comment.from_json(self._request("create comment", "POST", url, body={"body": body}))

    def update_issue_comment(self, repository: str, comment: Comment, body: str) -> Comment:
        """``PATCH /repos/{owner}/{repo}/issues/comments/{id}``."""
        url = f"/repos/{_checked(repository)}/issues/comments/{int(comment.id)}"
        return Comment.from_json(self._request("update comment", "PATCH", url, body={"body": body}))


_REPOSITORY_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


def valid_repository(repository: str) -> bool:
    return bool(_REPOSITORY_RE.match(repository))


def _checked(repository: str) -> str:
    if not valid_repository(repository):
        raise GitHubError(f"{repository!r} is not an owner/name repository")
    return repository


def _reason(exc: Exception) -> str:
    reason = exc.args[0] if exc.args else exc
    inner = getattr(reason, "reason", None)
    return str(inner or reason)
