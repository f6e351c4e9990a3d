#!/usr/bin/env python3
"""The Action's entry point: GitHub inputs and context -> run -> annotations, summary, comment, outputs.

The runner starts the container with the workspace mounted at ``/github/workspace`` (also the working folder and
``GITHUB_WORKSPACE``), every input as ``INPUT_<NAME>`` with hyphens kept (``INPUT_FAIL-ON``), the event payload
at ``GITHUB_EVENT_PATH`` and the file commands ``GITHUB_OUTPUT`` and ``GITHUB_STEP_SUMMARY``. Then:

1. the token is masked (``::add-mask::``) before anything is printed; it is never printed or written anywhere;
2. the engine checks ``path`` (relative to the workspace) exactly as the command line does;
3. the log gets the text report, inside ``::stop-commands::`` so no file name or message can be read as a
   workflow command;
4. annotations: errors first, at most 10 per severity, then one notice pointing at the job summary; whole-file
   findings on line 1 (the plan is ``preflight.report.github.annotations``);
5. the JSON report is written to ``.cloud-preflight-cache/report.json`` in the workspace (a path relative to the
   workspace is valid in the later steps, which run outside this container), the SARIF file when asked;
6. the deploy-rate guard (preflight.guard) on a deploy branch: counts the branch's updates in the trailing
   minute, and on ``merge_group`` waits for a slot; its one annotation (an error, or a warning when the API
   fails and ``guard-on-api-error`` is ``warn``) has a slot kept free among the findings' annotations;
7. the job summary (verdict first, the findings with links to docs/rules.md, what was checked), under 1 MiB,
   with the guard's section after it, or first when the guard fails the check;
8. on a pull request, the sticky comment (preflight.github.comment): skipped with one warning when the token may
   not write it; the check's result never depends on it;
9. the outputs, and the exit code: 0 nothing at or above ``fail-on`` and the guard did not fail, 1 findings at
   or above it or the guard failed, 2 bad input, bad config or an internal error.

Why annotations go through ``actions_toolkit.core`` and not our own ``preflight/report/github.py`` renderer:
the toolkit's ``error``/``warning``/``notice(message, title=, file=, start_line=, end_line=, start_column=,
end_column=)`` write exactly the runner's properties (``title, file, line, endLine, col, endColumn``) and escape
them as the runner unescapes them (``command.py``: data ``% CR LF``; properties also ``: ,``). Its one quirk is
that it writes unset properties as empty ones (``endLine=,col=``); the runner drops a property without a value
(``ActionCommand.TryParseV2`` splits on ``=`` with ``RemoveEmptyEntries``), so the annotation is the same, and
tests/test_action_annotations.py checks that a port of the runner's parser reads the same annotations from both.
Budgeting (10 per severity, the pointer notice, line 1, 4,096 characters) is ours, in one pure function shared
with ``--format github``. Only ``actions_toolkit.core`` is imported: ``actions_toolkit.github`` rewrites
``sys.path`` when imported.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
REPORT_DIR = ".cloud-preflight-cache"  # in the workspace; preflight.project never lists it
REPORT_JSON = f"{REPORT_DIR}/report.json"
FAIL_ON = ("note", "warning", "error", "never")
TITLE = "cloud-preflight"
# The deploy-rate guard's clock and sleep; the tests replace them, so nothing really waits there.
CLOCK: Callable[[], float] = time.monotonic
SLEEP: Callable[[float], None] = time.sleep


class InputError(Exception):
    """An input the user must fix; the message names the input."""


@dataclass(frozen=True)
class Inputs:
    path: str = "."
    config: str = ""
    entrypoints: tuple[str, ...] = ()
    fail_on: str = ""
    comment: str = "auto"
    annotations: bool = True
    summary: bool = True
    sarif_file: str = ""
    token: str = ""
    python_version: str = ""
    resolve: bool = True
    resolve_timeout: int = 60
    deploy_branches: tuple[str, ...] = ()
    guard: str = ""
    max_updates: int = 5
    max_wait: int = 300
    guard_on_api_error: str = "warn"


def _core() -> Any:
    from actions_toolkit import core  # never actions_toolkit.github (it rewrites sys.path on import)

    return core


def _boolean(core: Any, name: str, default: bool) -> bool:
    if not core.get_input(name):
        return default
    try:
        return core.get_boolean_input(name)
    except TypeError:
        raise InputError(f"input {name}: expected true or false, got {core.get_input(name)!r}") from None


def _integer(name: str, text: str, default: int, lowest: int, highest: int) -> int:
    text = text.strip()
    if not text:
        return default
    if not text.isdigit() or not lowest <= int(text) <= highest:
        raise InputError(f"input {name}: expected a whole number from {lowest} to {highest}, got {text!r}")
    return int(text)


def _list(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for line in text.splitlines() for item in line.split(",") if item.strip())


def read_inputs(core: Any) -> Inputs:
    from preflight import guard

    fail_on = core.get_input("fail-on").lower()
    if fail_on and fail_on not in FAIL_ON:
        raise InputError(f"input fail-on: expected one of {', '.join(FAIL_ON)}, got {fail_on!r}")
    comment = core.get_input("comment").lower() or "auto"
    if comment not in ("auto", "always", "never"):
        raise InputError(f"input comment: expected auto, always or never, got {comment!r}")
    mode = core.get_input("guard").strip().lower()
    if mode and mode not in guard.MODES:
        raise InputError(f"input guard: expected off, check or wait (or empty), got {mode!r}")
    on_api_error = core.get_input("guard-on-api-error").strip().lower() or "warn"
    if on_api_error not in guard.ON_API_ERROR:
        raise InputError(f"input guard-on-api-error: expected warn or fail, got {on_api_error!r}")
    return Inputs(
        path=core.get_input("path") or ".",
        config=core.get_input("config"),
        entrypoints=_list(core.get_input("entrypoints")),
        fail_on=fail_on,
        comment=comment,
        annotations=_boolean(core, "annotations", True),
        summary=_boolean(core, "summary", True),
        sarif_file=core.get_input("sarif-file"),
        token=core.get_input("github-token"),
        python_version=core.get_input("python-version"),
        resolve=_boolean(core, "resolve", True),
        resolve_timeout=_integer("resolve-timeout", core.get_input("resolve-timeout"), 60, 1, 3600),
        deploy_branches=_list(core.get_input("deploy-branches")),
        guard=mode,
        max_updates=_integer("max-updates-per-minute", core.get_input("max-updates-per-minute"),
                             guard.DEFAULT_LIMIT, 1, 100),
        max_wait=_integer("max-wait-seconds", core.get_input("max-wait-seconds"), guard.DEFAULT_MAX_WAIT, 0,
                          guard.MAX_WAIT_LIMIT),
        guard_on_api_error=on_api_error,
    )


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def _config(root: Path, workspace: Path, inputs: Inputs):  # -> preflight.config.Config
    from preflight.config import load_config, parse_config

    explicit = None
    if inputs.config:
        candidate = Path(inputs.config)
        explicit = str(candidate if candidate.is_absolute() else workspace / candidate)
        if not Path(explicit).is_file():
            explicit = inputs.config  # load_config also tries it relative to the checked folder
    config = load_config(root, explicit)
    table: dict[str, Any] = {}
    if inputs.fail_on:
        table["fail-on"] = inputs.fail_on
    if inputs.python_version:
        table["python-version"] = inputs.python_version
    if table:
        given = parse_config(table, "the action's inputs")
        attrs = {"fail-on": "fail_on", "python-version": "python_version"}
        config = replace(config, **{attrs[k]: getattr(given, attrs[k]) for k in table})
    if inputs.entrypoints:
        config = config.with_overrides(entrypoints=inputs.entrypoints)
    # Resolution with uv (CP36x) is on by default in the Action (the CLI needs --resolve).
    return replace(config, resolve=inputs.resolve, resolve_timeout=float(inputs.resolve_timeout))


def _rebase(report, prefix: str):  # -> Report with paths relative to the workspace, not the checked folder
    from preflight.report import AppInfo

    if not prefix:
        return report

    def join(path: str | None) -> str | None:
        return None if path is None else f"{prefix}/{path}"

    findings = tuple(replace(f, location=replace(f.location, path=join(f.location.path))) for f in report.findings)
    apps = tuple(AppInfo(join(a.entrypoint) or a.entrypoint, a.exists,
                         join(a.dependency_file), a.manager, tuple(join(p) for p in a.ignored_files), a.streamlit)
                 for a in report.apps)
    skipped = tuple((join(p), why) for p, why in report.skipped)
    return replace(report, findings=findings, apps=apps, skipped=skipped)


def _log_untrusted(title: str, text: str) -> None:
    """Print text that quotes the checked repository, with workflow commands off while it is printed."""
    token = uuid.uuid4().hex
    sys.stdout.write(f"::group::{title}\n::stop-commands::{token}\n")
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.write(f"::{token}::\n::endgroup::\n")
    sys.stdout.flush()


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _emit(core: Any, kind: str, message: str, properties: dict[str, object]) -> None:
    props = {k: v for k, v in properties.items() if v is not None}
    getattr(core, kind)(message, title=props.get("title"), file=props.get("file"), start_line=props.get("line"),
                        end_line=props.get("endLine"), start_column=props.get("col"),
                        end_column=props.get("endColumn"))


def _summary_text(report, ctx, inputs: Inputs, budget: int) -> str:
    from preflight.report import markdown

    checked = f"Checked {markdown.code(inputs.path)}"
    if ctx.head_sha:
        checked += f" at {markdown.code(ctx.head_sha[:12])}"
    if ctx.event_name:
        checked += f" ({markdown.escape(ctx.event_name)}" + (f" #{ctx.pr_number}" if ctx.pr_number else "") + ")"
    footer = f"\n<sub>{checked}</sub>\n"
    body = markdown.render(report, max_bytes=max(1024, budget - len(footer.encode("utf-8"))))
    return body + footer


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _set_outputs(core: Any, outputs: dict[str, str]) -> None:
    path = os.environ.get("GITHUB_OUTPUT")
    if not path:
        return  # not on a runner: nowhere to put them (the toolkit would fall back to the retired set-output)
    try:
        Path(path).touch(exist_ok=True)
        for name, value in outputs.items():
            core.set_output(name, value)
    except OSError as exc:
        core.warning(f"cannot write the step outputs: {exc.strerror}", title=TITLE)


def _fail_early(core: Any, message: str) -> int:
    core.error(message, title=TITLE)
    _set_outputs(core, {"verdict": "error", "errors": "", "warnings": "", "notes": "", "report-json": "",
                        "sarif-file": "", "comment-url": "", "updates-last-minute": "", "guard-waited-seconds": "0"})
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        from preflight.report import markdown

        try:
            with open(summary, "a", encoding="utf-8") as out:
                out.write(f"### :x: cloud-preflight could not run\n\n{markdown.escape(message)}\n")
        except OSError:
            pass
    return EXIT_ERROR


def main() -> int:
    core = _core()
    # Mask first: nothing may print the token before the runner knows to hide it.
    token = core.get_input("github-token")
    if token:
        core.set_secret(token)
    try:
        inputs = read_inputs(core)
    except InputError as exc:
        return _fail_early(core, str(exc))

    from preflight.config import ConfigError
    from preflight.github import context as github_context

    ctx = github_context.from_env()
    workspace = Path(ctx.workspace)
    root = workspace / inputs.path
    if not _inside(root, workspace):
        return _fail_early(core, f"input path: {inputs.path!r} is outside the workspace")
    if not root.is_dir():
        return _fail_early(core, f"input path: {inputs.path!r} is not a folder in the workspace")
    try:
        config = _config(root, workspace, inputs)
    except ConfigError as exc:
        return _fail_early(core, f"configuration: {exc}")

    from checks import ALL_RULES, DEFAULT_OFF
    from preflight.cli import build_report
    from preflight.engine import run
    from preflight.model import Severity
    from preflight.project import Project
    from preflight.report import github as github_report
    from preflight.report import json as json_report
    from preflight.report import markdown, sarif, text

    # Long work says so in the log (our own words and counts only: nothing from the repository).
    result = run(Project(root, exclude=config.exclude), ALL_RULES, config, DEFAULT_OFF,
                 progress=lambda line: print(f"cloud-preflight: {line} ...", flush=True))
    relative = root.resolve().relative_to(workspace.resolve()).as_posix()
    report = _rebase(build_report(result, config), "" if relative == "." else relative)

    print(f"cloud-preflight {report.version}: {len(report.findings)} findings in {report.files} files "
          f"(fails on {report.fail_on_label} or worse)")
    _log_untrusted("cloud-preflight report", text.render(report))
    if result.internal_errors:
        _log_untrusted("cloud-preflight internal errors", "\n".join(result.internal_errors))

    guarded = _guard(ctx, inputs, config, lint_fails=bool(result.internal_errors) or report.failed)
    print(" ".join(guarded.message.split()))  # one line: a reason quoted from the API cannot start a command

    wants_comment = ctx.is_pull_request and inputs.comment != "never"
    if inputs.annotations:
        reserved = {Severity.WARNING: 1} if wants_comment else {}
        if guarded.annotation:
            kept = Severity.ERROR if guarded.annotation == "error" else Severity.WARNING
            reserved[kept] = reserved.get(kept, 0) + 1
        for annotation in github_report.annotations(report, reserved=reserved):
            _emit(core, annotation.kind, annotation.message, annotation.properties)
    for error in result.internal_errors:
        core.error(f"internal error, please report it: {error.splitlines()[0]}", title=TITLE)
    if guarded.annotation:
        _emit(core, guarded.annotation, guarded.message, {"title": TITLE})

    outputs = {
        "errors": str(report.count(Severity.ERROR)),
        "warnings": str(report.count(Severity.WARNING)),
        "notes": str(report.count(Severity.NOTE)),
        "verdict": "error" if result.internal_errors else "fail" if report.failed or guarded.fails_check else "pass",
        "report-json": "",
        "sarif-file": "",
        "comment-url": "",
        "updates-last-minute": "" if guarded.count is None else str(guarded.count),
        "guard-waited-seconds": str(guarded.waited),
    }
    try:
        _write(workspace / REPORT_JSON, json_report.render(report))
        _write(workspace / REPORT_DIR / ".gitignore", "# written by cloud-preflight\n*\n")
        outputs["report-json"] = REPORT_JSON
    except OSError as exc:
        core.warning(f"cannot write {REPORT_JSON}: {exc.strerror}", title=TITLE)
    if inputs.sarif_file:
        target = Path(inputs.sarif_file)
        target = target if target.is_absolute() else workspace / target
        try:
            _write(target, sarif.render(report))
            outputs["sarif-file"] = inputs.sarif_file
        except OSError as exc:
            core.warning(f"cannot write the SARIF file {inputs.sarif_file!r}: {exc.strerror}", title=TITLE)

    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    if inputs.summary and summary_path:
        try:
            used = os.path.getsize(summary_path) if os.path.exists(summary_path) else 0
            if guarded.fails_check:  # the guard's verdict is the run's: its section comes first
                head = guarded.summary() + "\n"
                text = head + _summary_text(report, ctx, inputs, markdown.SUMMARY_MAX_BYTES - used - _size(head))
            else:
                text = _summary_text(report, ctx, inputs, markdown.SUMMARY_MAX_BYTES - used)
                tail = "\n" + guarded.summary()
                if used + _size(text) + _size(tail) <= markdown.SUMMARY_MAX_BYTES:  # a report that fills 1 MiB: no room
                    text += tail
            with open(summary_path, "a", encoding="utf-8") as out:
                out.write(text)
        except OSError as exc:
            core.warning(f"cannot write the job summary: {exc.strerror}", title=TITLE)

    if wants_comment:
        outcome = _comment(report, ctx, inputs)
        print(f"pull-request comment: {outcome.action}" + (f" ({outcome.url})" if outcome.url else ""))
        if outcome.warning:
            core.warning(outcome.warning, title=TITLE)
        outputs["comment-url"] = outcome.url

    _set_outputs(core, outputs)
    if result.internal_errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if report.failed or guarded.fails_check else EXIT_OK


def _guard(ctx, inputs: Inputs, config, *, lint_fails: bool):  # -> preflight.guard.Outcome
    """The deploy-rate guard for this run (nothing for branches that are not deploy branches)."""
    from preflight import guard
    from preflight.github.activity import ActivityClient
    from preflight.github.rest import TOTAL_BUDGET

    settings = guard.Settings(mode=inputs.guard, limit=inputs.max_updates, max_wait=inputs.max_wait,
                              on_api_error=inputs.guard_on_api_error,
                              branches=inputs.deploy_branches or config.deploy_branches)
    target = guard.target_for(ctx.event_name, ctx.payload, settings, github_ref=ctx.ref, github_sha=ctx.sha)
    if isinstance(target, guard.Skip):
        return guard.skipped(target)
    if not inputs.token:
        return guard.api_error(target, settings, "the github-token input is empty")
    # The API's time budget spans the waits too: each look after a wait must still be able to retry.
    client = ActivityClient(inputs.token, ctx.api_url, budget=TOTAL_BUDGET + settings.max_wait, clock=CLOCK,
                            sleeper=SLEEP, notify=print)
    try:
        return guard.run(target, settings,
                         lambda enough: client.snapshot(ctx.repository, target.branch, enough=enough),
                         sleep=SLEEP, notify=print, lint_fails=lint_fails)
    finally:
        client.close()


def _comment(report, ctx, inputs: Inputs):  # -> preflight.github.comment.Outcome
    from preflight.github import comment
    from preflight.github.rest import RestClient
    from preflight.report import markdown

    if not inputs.token:
        return comment.Outcome("skipped", warning="The pull-request comment was skipped: the github-token input "
                                                  "is empty.")
    marker = comment.marker_for(inputs.path)
    body = comment.compose(marker, markdown.render(report, max_chars=markdown.COMMENT_MAX_CHARS - len(marker) - 1))
    client = RestClient(inputs.token, ctx.api_url, notify=print)
    try:
        return comment.upsert(client, ctx.repository, ctx.pr_number, body, marker=marker, mode=inputs.comment,
                              has_findings=bool(report.findings), fork=ctx.is_fork)
    finally:
        client.close()


def entry() -> int:
    """main(), with any crash turned into exit code 2 (1 would read as "findings") and one error annotation."""
    try:
        return main()
    except Exception as exc:  # noqa: BLE001 - a bug in cloud-preflight, not in the user's repository
        import traceback

        _log_untrusted("cloud-preflight crashed", traceback.format_exc())  # may quote paths: commands off
        try:
            _core().error(f"internal error, please report it: {exc.__class__.__name__}", title=TITLE)
        except Exception:  # noqa: BLE001 - not even the toolkit: write the command by hand
            print(f"::error title={TITLE}::internal error, please report it: {exc.__class__.__name__}")
        return EXIT_ERROR


if __name__ == "__main__":
    raise SystemExit(entry())
