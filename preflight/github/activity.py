"""A branch's recent updates, from GitHub's repository activity API, and how many fall in a trailing minute.

``GET /repos/{owner}/{repo}/activity?ref=refs/heads/BRANCH&direction=desc`` lists what moved the branch, newest
first, with the time GitHub recorded it: pushes, force pushes, pull-request merges, merge-queue merges, branch
creations and deletions. That time is when the update reached GitHub, which is what Community Cloud reacts to.
Not used, on purpose: the Events API (GitHub documents a latency of 30 s to 6 h) and commit dates (a rebase or
an old commit pushed now carries an old date; one push of ten commits is one update).

- **Which activities count**: every one that moves the branch's tip, i.e. all but ``branch_deletion``:
  ``push``, ``force_push``, ``pr_merge``, ``merge_queue_merge``, ``branch_creation``, and types GitHub may add
  later (counting an unknown one errs on the side of waiting).
- **Two shapes**: the documented one (``timestamp``, ``activity_type``, ``actor``) and the older one that
  GitHub's OpenAPI example still shows (``pushed_at``, ``push_type`` with ``normal``/``force``, ``pusher``).
- **Whose clock**: every time is compared with the GitHub server's, from the answer's ``Date`` header (the first
  page's), never with the runner's.
- **The window**: an update counts when it is less than 60 seconds older than the server's time; one exactly
  60 seconds old has left the window.
- **Pages**: cursor pagination (``after``, from the ``Link`` header's ``rel="next"``), page after page only until
  the caller's ``enough`` says the list covers what it needs, at most ``MAX_PAGES``.

The requests go through RestClient (PyGithub's requester with the pinned API version, bounded retries and time
budget); failures reach the caller as one ``GitHubError``, including an answer that is not JSON, not a list of
activities or has no ``Date`` header.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from preflight.github.rest import GitHubError, RestClient, _checked

WINDOW = timedelta(seconds=60)
NOT_UPDATES = frozenset({"branch_deletion"})
LEGACY_PUSH_TYPES = {"normal": "push", "force": "force_push"}  # the older shape's push_type
PER_PAGE = 10  # five updates a minute: one page nearly always covers the window and what came just before it
MAX_PAGES = 20
CURSORS = ("after", "before")
_LINK_RE = re.compile(r'<([^>]*)>\s*;\s*rel="([^"]*)"')


@dataclass(frozen=True)
class Activity:
    """One recorded change of the branch. ``at`` is GitHub's time (timezone-aware, UTC)."""

    id: int
    kind: str
    at: datetime
    after: str = ""
    before: str = ""
    ref: str = ""
    actor: str = ""

    @property
    def is_update(self) -> bool:
        """Did it move the branch's tip (an update Community Cloud picks up)?"""
        return self.kind not in NOT_UPDATES

    @classmethod
    def from_json(cls, raw: Any) -> Activity:
        """Either shape; ValueError when the item has no usable time or type."""
        if not isinstance(raw, dict):
            raise ValueError("an item is not an object")
        stamp = raw.get("timestamp", raw.get("pushed_at"))
        if not isinstance(stamp, str):
            raise ValueError("an item has no timestamp")
        at = parse_timestamp(stamp)
        kind = raw.get("activity_type")
        if kind is None and isinstance(raw.get("push_type"), str):
            kind = LEGACY_PUSH_TYPES.get(raw["push_type"], raw["push_type"])
        if not isinstance(kind, str) or not kind:
            raise ValueError("an item has no activity_type")
        person = raw.get("actor", raw.get("pusher"))
        actor = person.get("login") if isinstance(person, dict) else None
        identifier = raw.get("id")
        return cls(
            id=identifier if isinstance(identifier, int) and not isinstance(identifier, bool) else 0,
            kind=kind,
            at=at,
            after=_text(raw.get("after")),
            before=_text(raw.get("before")),
            ref=_text(raw.get("ref")),
            actor=actor if isinstance(actor, str) else "",
        )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def parse_timestamp(text: str) -> datetime:
    """An ISO 8601 time as GitHub writes it (``2026-09-01T12:00:00Z``), as an aware UTC datetime."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone")
    return value.astimezone(UTC)


def parse_server_time(header: str | None) -> datetime:
    """The HTTP ``Date`` header (``Tue, 01 Sep 2026 12:00:00 GMT``) as an aware UTC datetime."""
    if not header:
        raise ValueError("no Date header")
    try:
        value = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        raise ValueError(f"invalid Date header {header[:60]!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@dataclass(frozen=True)
class Snapshot:
    """The branch's activities, newest first, as far back as was needed, and the server's time."""

    activities: tuple[Activity, ...]
    now: datetime


# -- counting ----------------------------------------------------------------------------------------------------
def in_window(activities: Sequence[Activity], end: datetime, window: timedelta = WINDOW) -> list[Activity]:
    """The updates less than ``window`` older than ``end`` (newest first); later ones (a clock that is behind)
    count too. One exactly ``window`` old has left."""
    return [a for a in activities if a.is_update and end - a.at < window]


def slot_opens(recent: Sequence[Activity], now: datetime, limit: int, window: timedelta = WINDOW) -> datetime:
    """When one more update would be at most the ``limit``-th in the window: ``now`` when it already would,
    else when the ``limit``-th newest of ``recent`` (the updates in the window, newest first) leaves it."""
    if len(recent) < limit:
        return now
    return max(now, recent[limit - 1].at + window)


def seconds_until(moment: datetime, now: datetime) -> int:
    """Whole seconds from ``now`` to ``moment`` (rounded up; 0 when it has passed)."""
    return max(0, math.ceil((moment - now).total_seconds()))


def find_push(activities: Sequence[Activity], sha: str) -> int | None:
    """Index of the newest activity that moved the branch to ``sha``."""
    sha = sha.lower()
    for index, activity in enumerate(activities):
        if activity.after.lower() == sha and activity.is_update:
            return index
    return None


def covers_window(activities: Sequence[Activity], now: datetime) -> bool:
    """``enough`` for counting the trailing window: the list reaches back to an activity that has left it."""
    return bool(activities) and now - activities[-1].at >= WINDOW


def covers_push(sha: str) -> Callable[[Sequence[Activity], datetime], bool]:
    """``enough`` for placing one push: it is in the list, and so is everything in the minute before it."""

    def enough(activities: Sequence[Activity], now: datetime) -> bool:
        index = find_push(activities, sha)
        return index is not None and activities[index].at - activities[-1].at >= WINDOW

    return enough


# -- the API -------------------------------------------------------------------------------------------------------
def next_cursor(link: str | None) -> dict[str, str] | None:
    """The cursor (``after`` or ``before``) of the ``Link`` header's ``rel="next"`` URL, None when there is none."""
    for url, rel in _LINK_RE.findall(link or ""):
        if "next" in rel.split():
            query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
            cursor = {name: query[name] for name in CURSORS if query.get(name)}
            return cursor or None
    return None


class ActivityClient(RestClient):
    """RestClient plus the activity list, which needs the answer's headers (``Date``, ``Link``)."""

    def snapshot(self, repository: str, branch: str, *,
                 enough: Callable[[Sequence[Activity], datetime], bool],
                 per_page: int = PER_PAGE, max_pages: int = MAX_PAGES) -> Snapshot:
        """The branch's activities, newest first, page after page until ``enough(activities, now)`` (``now``:
        the server's time) is true, the list ends or ``max_pages`` pages were read."""
        what = "list activity"
        url = f"/repos/{_checked(repository)}/activity"
        base = {"ref": f"refs/heads/{branch}", "direction": "desc", "per_page": per_page}
        activities: list[Activity] = []
        now: datetime | None = None
        cursor: dict[str, str] = {}
        for _ in range(max_pages):
            headers, data = self._exchange(what, "GET", url, parameters={**base, **cursor})
            if now is None:
                try:
                    now = parse_server_time(headers.get("date"))
                except ValueError as exc:
                    raise GitHubError(f"{what}: cannot read GitHub's clock ({exc})") from None
            if not isinstance(data, list):
                raise GitHubError(f"{what}: the answer is not a list of activities")
            try:
                activities.extend(Activity.from_json(item) for item in data)
            except ValueError as exc:
                raise GitHubError(f"{what}: the answer is not a list of activities ({exc})") from None
            activities.sort(key=lambda a: a.at, reverse=True)  # stable: GitHub's order among equal times
            following = next_cursor(headers.get("link"))
            if enough(activities, now) or following is None or len(data) < per_page:
                break
            cursor = following
        assert now is not None
        return Snapshot(tuple(activities), now)
