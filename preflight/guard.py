"""The deploy-rate guard: Community Cloud applies at most five updates a minute from GitHub to an app's branch.

Streamlit's documentation: "Community Cloud rate limits app updates from GitHub to no more than five per
minute." A sixth update inside a minute is not applied: the app silently stays behind its branch. The guard counts
the updates to a deploy branch in the trailing 60 seconds (preflight.github.activity: GitHub's repository
activity API, GitHub's own clock) and, by event:

- ``merge_group`` (the merge queue's check, run just before the queue updates the branch): ``wait`` (the default)
  waits until this merge would be at most the ``limit``-th update in the window, at most ``max_wait`` seconds in
  all, then passes, and fails when no slot opens in time; ``check`` fails at once when there is no slot.
- ``push`` (the update has happened): finds this push in the activity (by its ``after`` SHA) and counts the
  updates in the 60 seconds before it; beyond the limit, an error saying the app may not have picked up this
  commit, when the window clears and what to do. ``check`` and ``wait`` do the same here: there is nothing to
  wait for.
- ``pull_request``/``pull_request_target`` targeting a deploy branch: by default reports the current rate and
  never fails; ``check`` fails and ``wait`` waits when a merge now would be over the limit.
- any other event on a deploy branch (``workflow_dispatch``, ``schedule``: a promote or release job that pushes
  to the branch itself): ``check`` (the default) fails when there is no slot now; ``wait`` waits for one.
- a branch that is not a deploy branch, a tag, ``guard: off``: nothing, and the summary says so.

The window: an update counts while it is less than 60 seconds old by GitHub's clock; one exactly 60 seconds old
has left it. A wait lasts until the ``limit``-th newest update in the window turns 60 seconds old, rounded up to
whole seconds, then the guard looks again (updates may have landed meanwhile).

API failures (and a push the activity list does not show) follow ``on_api_error``: ``warn`` (a warning; the
check's result does not depend on the guard) or ``fail``.

Decisions are pure functions of the activity list, GitHub's time and the limit (``decide_slot``,
``decide_push``); ``run`` drives them with the fetching and the sleeping passed in, so tests run it on a fake
clock. Messages come in two renderings: plain text (log, annotation) and Markdown with every value from the
event or from GitHub escaped (job summary).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from preflight.github.activity import (
    WINDOW,
    Activity,
    Snapshot,
    covers_push,
    covers_window,
    find_push,
    in_window,
    seconds_until,
    slot_opens,
)
from preflight.github.context import as_str, dig
from preflight.github.rest import GitHubError
from preflight.report import markdown

MODES = ("off", "check", "wait")  # the input; empty: automatic (wait on merge_group, see effective_mode)
ON_API_ERROR = ("warn", "fail")
DEFAULT_LIMIT = 5
DEFAULT_MAX_WAIT = 300
MAX_WAIT_LIMIT = 6 * 3600  # a job on a GitHub-hosted runner runs at most six hours
PUSH_LOOKUPS = 3  # a push not in the activity list yet is looked up this many times ...
PUSH_LOOKUP_PAUSE = 2  # ... this many seconds apart
PULL_REQUEST_EVENTS = frozenset({"pull_request", "pull_request_target"})
WINDOW_SECONDS = int(WINDOW.total_seconds())

Enough = Callable[[Sequence[Activity], datetime], bool]
Fetch = Callable[[Enough], Snapshot]


@dataclass(frozen=True)
class Settings:
    mode: str = ""  # "", off, check, wait
    limit: int = DEFAULT_LIMIT
    max_wait: int = DEFAULT_MAX_WAIT
    on_api_error: str = "warn"
    branches: tuple[str, ...] = ()  # glob patterns; empty: the repository's default branch


@dataclass(frozen=True)
class Target:
    """What this run guards: ``role`` merge (merge_group), push, pull_request or update (any other event, a job
    that may push itself); ``mode`` is the effective one: check, wait or report."""

    role: str
    branch: str
    mode: str
    sha: str = ""


@dataclass(frozen=True)
class Skip:
    """The guard does nothing; ``text`` (plain) and ``markdown`` say why."""

    text: str
    markdown: str


# -- which branch, which mode ------------------------------------------------------------------------------------
def short_branch(ref: str) -> str | None:
    """``refs/heads/main`` -> ``main``; None for any other full ref (a tag, ``refs/pull/...``)."""
    if ref.startswith("refs/heads/"):
        return ref[len("refs/heads/"):] or None
    if ref.startswith("refs/"):
        return None
    return ref or None


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """A branch pattern as in a workflow's ``on.push.branches``, reduced to its two wildcards: ``*`` matches any
    characters but ``/``, ``**`` any characters; everything else is literal. ``refs/heads/`` is optional."""
    pattern = pattern.strip()
    if pattern.startswith("refs/heads/"):
        pattern = pattern[len("refs/heads/"):]
    parts = re.split(r"(\*\*|\*)", pattern)
    regex = "".join(".*" if part == "**" else "[^/]*" if part == "*" else re.escape(part) for part in parts)
    return re.compile(f"^{regex}$")


def is_deploy_branch(branch: str, patterns: Sequence[str]) -> bool:
    return any(pattern_regex(p).match(branch) for p in patterns if p.strip())


def effective_mode(role: str, mode: str) -> str:
    """check, wait, report or off, from the ``guard`` input (empty: automatic) and what the event is."""
    if mode == "off":
        return "off"
    if role == "push":
        return "check"  # the update has happened: nothing to wait for
    if mode:
        return mode
    return {"merge": "wait", "pull_request": "report"}.get(role, "check")


def target_for(event_name: str, payload: Mapping[str, Any], settings: Settings, *, github_ref: str = "",
               github_sha: str = "") -> Target | Skip:
    """The branch this run may update, and how to guard it; Skip when there is nothing to guard. ``github_ref``
    and ``github_sha``: GITHUB_REF and GITHUB_SHA, for events whose payload does not say."""
    sha = ""
    if event_name == "merge_group":
        role, ref = "merge", as_str(dig(payload, "merge_group", "base_ref"))
    elif event_name == "push":
        role, ref = "push", as_str(payload.get("ref")) or github_ref
        sha = as_str(payload.get("after")) or github_sha
    elif event_name in PULL_REQUEST_EVENTS:
        role, ref = "pull_request", as_str(dig(payload, "pull_request", "base", "ref"))
    else:
        role = "update"
        ref = as_str(payload.get("ref"))
        ref = ref if ref.startswith("refs/heads/") else github_ref
    if settings.mode == "off":
        return _skip("off (`guard: off`).")
    branch = short_branch(ref)
    if branch is None:
        return _skip("nothing to do: this run is for {ref}, not a branch.", code={"ref": ref or "no ref"})
    patterns = settings.branches
    if not patterns:
        default = as_str(dig(payload, "repository", "default_branch"))
        if not default:
            return _skip("nothing to do: the event payload does not name the repository's default branch; set "
                         "`deploy-branches` to the branches your apps deploy from.")
        patterns = (default,)
    if not is_deploy_branch(branch, patterns):
        listed = ", ".join(f"{{p{i}}}" for i in range(len(patterns)))
        return _skip(f"nothing to do: {{branch}} is not a deploy branch (deploy branches: {listed}).",
                     code={"branch": branch, **{f"p{i}": p for i, p in enumerate(patterns)}})
    if role == "push" and (payload.get("deleted") is True or set(sha) == {"0"}):
        return _skip("nothing to do: this push deleted {branch}.", code={"branch": branch})
    return Target(role, branch, effective_mode(role, settings.mode), sha)


# -- decisions (pure) --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Decision:
    """``count`` updates in the window that matters; ``opens``: when one more update would be within the limit
    (``now`` when it already is)."""

    count: int
    limit: int
    now: datetime
    opens: datetime

    @property
    def has_slot(self) -> bool:
        return self.count < self.limit

    @property
    def wait(self) -> int:
        return seconds_until(self.opens, self.now)


def decide_slot(snapshot: Snapshot, limit: int) -> Decision:
    """Would one more update now be at most the ``limit``-th in the trailing 60 seconds, and if not, when?"""
    recent = in_window(snapshot.activities, snapshot.now)
    return Decision(len(recent), limit, snapshot.now, slot_opens(recent, snapshot.now, limit))


def decide_push(snapshot: Snapshot, index: int, limit: int) -> Decision:
    """The push at ``index``: ``count`` is its place among the updates of the 60 seconds up to it (itself
    included; beyond ``limit``, Community Cloud does not apply it); ``opens`` is when the window clears now."""
    activities = snapshot.activities
    push = activities[index]
    earlier = [a for a in activities[index + 1:] if a.is_update and push.at - a.at < WINDOW]
    recent = in_window(activities, snapshot.now)
    return Decision(len(earlier) + 1, limit, snapshot.now, slot_opens(recent, snapshot.now, limit))


# -- outcome -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    """``status``: skipped, pass, fail or api-error. ``count``: updates in the trailing minute (for a push: its
    place among them), None when not counted. ``waited``: seconds waited for a slot. ``annotation``: error,
    warning or None."""

    status: str
    text: str
    markdown: str
    count: int | None = None
    waited: int = 0
    fails_check: bool = False
    annotation: str | None = None

    @property
    def message(self) -> str:
        return f"Deploy-rate guard: {self.text}"

    def summary(self) -> str:
        """The job summary's section (Markdown)."""
        icon = {"pass": ":white_check_mark:", "fail": ":x:", "skipped": ":information_source:"}.get(
            self.status, ":x:" if self.fails_check else ":warning:")
        return f"#### {icon} Deploy-rate guard\n\n{self.markdown}\n"


def _say(template: str, *, code: Mapping[str, str] | None = None,
         prose: Mapping[str, str] | None = None) -> tuple[str, str]:
    """``template`` (our own words, valid Markdown) with values from the event or GitHub: plain text, Markdown."""
    code, prose = code or {}, prose or {}
    plain = template.format(**{k: f"`{v}`" for k, v in code.items()}, **prose)
    rich = template.format(**{k: markdown.code(v) for k, v in code.items()},
                           **{k: markdown.escape(v) for k, v in prose.items()})
    return plain, rich


def _skip(template: str, *, code: Mapping[str, str] | None = None) -> Skip:
    return Skip(*_say(template, code=code))


def skipped(skip: Skip) -> Outcome:
    return Outcome("skipped", skip.text, skip.markdown)


def _time(moment: datetime) -> str:
    return moment.strftime("%H:%M:%S UTC")


def _updates(count: int) -> str:
    return f"{count} update" + ("" if count == 1 else "s")


def _rate(decision: Decision) -> str:
    return (f"{_updates(decision.count)} to {{branch}} in the last {WINDOW_SECONDS} s (GitHub's clock: "
            f"{_time(decision.now)})")


def _opens(decision: Decision) -> str:
    return f"{_time(decision.opens)} (in {decision.wait} s)"


def _waited(waited: int) -> str:
    return f" Waited {waited} s for it." if waited else ""


def _outcome(status: str, template: str, target: Target, *, count: int | None, waited: int = 0,
             fails: bool = False, annotation: str | None = None) -> Outcome:
    text, rich = _say(template, code={"branch": target.branch, "sha": target.sha[:12]})
    return Outcome(status, text, rich, count, waited, fails, annotation)


def api_error(target: Target, settings: Settings, reason: str, *, waited: int = 0) -> Outcome:
    fail = settings.on_api_error == "fail"
    consequence = ("Failing the check (`guard-on-api-error: fail`)." if fail else
                   "The check's result does not depend on it (`guard-on-api-error: warn`).")
    text, rich = _say("could not count the updates to {branch}: {reason}. " + consequence,
                      code={"branch": target.branch}, prose={"reason": reason})
    return Outcome("api-error", text, rich, None, waited, fail, "error" if fail else "warning")


# -- the guard ---------------------------------------------------------------------------------------------------
def run(target: Target, settings: Settings, fetch: Fetch, *, sleep: Callable[[float], None],
        notify: Callable[[str], None] | None = None, lint_fails: bool = False) -> Outcome:
    """Guard ``target``: ``fetch(enough)`` lists the branch's activity (raising GitHubError), ``sleep(seconds)``
    waits. ``lint_fails``: the check fails on its findings anyway, so waiting would only delay that."""
    if target.role == "push":
        return _guard_push(target, settings, fetch, sleep, notify or _quiet)
    return _guard_slot(target, settings, fetch, sleep, notify or _quiet, lint_fails)


def _quiet(message: str) -> None:
    return None


def _guard_slot(target: Target, settings: Settings, fetch: Fetch, sleep: Callable[[float], None],
                notify: Callable[[str], None], lint_fails: bool) -> Outcome:
    limit, waited = settings.limit, 0
    what = {"merge": "this merge", "pull_request": "a merge now", "update": "a push by this job now"}[target.role]
    while True:
        try:
            decision = decide_slot(fetch(covers_window), limit)
        except GitHubError as exc:
            return api_error(target, settings, str(exc), waited=waited)
        rate, count = _rate(decision), decision.count
        if decision.has_slot:
            return _outcome("pass", f"{rate}: {what} would be update {count + 1} of at most {limit} a minute, "
                                    f"which Community Cloud applies.{_waited(waited)}",
                            target, count=count, waited=waited)
        over = (f"{rate}: {what} would be update {count + 1}, over Community Cloud's {limit} a minute, and the "
                f"app would not pick it up. A slot opens at {_opens(decision)}.")
        if target.mode == "report":
            return _outcome("pass", over + " A merge queue whose check runs this guard on `merge_group` spaces "
                                           "merges for you.", target, count=count)
        if target.mode == "check":
            hint = (" With `guard: wait` the check waits for it." if target.role != "pull_request" else
                    " Merge after that time.")
            return _outcome("fail", over + hint, target, count=count, fails=True, annotation="error")
        if lint_fails:
            return _outcome("pass", over + " Not waiting for it: the check fails on its findings anyway.",
                            target, count=count, waited=waited)
        if waited + decision.wait > settings.max_wait:
            again = "re-queue the pull request" if target.role == "merge" else "run the job again"
            return _outcome("fail", f"{rate}: no slot for {what} within `max-wait-seconds` ({settings.max_wait} "
                                    f"s); the next opens at {_opens(decision)}.{_waited(waited)} After that time, "
                                    f"{again}, or raise `max-wait-seconds`.",
                            target, count=count, waited=waited, fails=True, annotation="error")
        notify(f"deploy-rate guard: {_updates(count)} to {target.branch} in the last {WINDOW_SECONDS} s "
               f"(GitHub's clock: {_time(decision.now)}); waiting {decision.wait} s for a slot")
        sleep(decision.wait)
        waited += decision.wait


def _guard_push(target: Target, settings: Settings, fetch: Fetch, sleep: Callable[[float], None],
                notify: Callable[[str], None]) -> Outcome:
    limit = settings.limit
    for attempt in range(1, PUSH_LOOKUPS + 1):
        try:
            snapshot = fetch(covers_push(target.sha))
        except GitHubError as exc:
            return api_error(target, settings, str(exc))
        index = find_push(snapshot.activities, target.sha)
        if index is not None:
            break
        if attempt < PUSH_LOOKUPS:
            notify(f"deploy-rate guard: push {target.sha[:12]} is not in the activity of {target.branch} yet; "
                   f"looking again in {PUSH_LOOKUP_PAUSE} s")
            sleep(PUSH_LOOKUP_PAUSE)
    else:
        searched = len(snapshot.activities)
        return api_error(target, settings, f"this push ({target.sha[:12]}) is not among the branch's "
                                           f"{searched} latest activities")
    decision = decide_push(snapshot, index, limit)
    place = f"this push ({{sha}}) was update {decision.count} to {{branch}} within {WINDOW_SECONDS} s"
    if decision.count <= limit:
        return _outcome("pass", f"{place} (GitHub's clock), within Community Cloud's {limit} a minute.",
                        target, count=decision.count)
    clears = ("The window has cleared: push again now" if decision.wait == 0 else
              f"The window clears at {_opens(decision)}: push again after that")
    return _outcome("fail", f"{place} (GitHub's clock), over Community Cloud's {limit} a minute, so the app may "
                            f"not have picked up this commit. {clears} (an empty commit will do: `git commit "
                            f"--allow-empty`), or reboot the app from its menu on Community Cloud.",
                    target, count=decision.count, fails=True, annotation="error")
