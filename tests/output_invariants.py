"""What must hold for every output of every run, whatever the repository holds; shared by the hostile-repository,
property-based and Action tests.

- no exception escapes: the engine reports no internal error;
- text: the runner reads no line as a workflow command; every character is printable (no terminal escapes);
- github: every line is a workflow command (tests/actions_runner.py reads it as the runner does), and the runner
  reads exactly the annotations we planned: same kind, file, lines, title and message, nothing injected;
- markdown (job summary, comment): rendered by GitHub's renderer (cmarkgfm, raw HTML let through as GitHub's
  sanitizer would see it), only our own tags and links are live, no mention, and every path reads back verbatim;
  within GitHub's size limits when given;
- JSON parses and carries the exact paths; SARIF validates against the SARIF 2.1.0 schema with URIs that decode
  to the paths.
"""

from __future__ import annotations

import contextlib
import json
import re
import signal
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

from preflight.model import DOCS_URL
from preflight.report import FORMATS, Report, render
from tests.actions_runner import (
    ISSUE_COMMANDS,
    run_step,  # splits lines where the runner does (LF, CR, CRLF)
)

SARIF_SCHEMA = Path(__file__).resolve().parent / "data" / "sarif-schema-2.1.0.json"

# Tags our Markdown may produce (from Markdown syntax or the few raw tags the renderer writes), and their
# attributes. Anything else live in the HTML came from the repository.
ALLOWED_TAGS = {"h3": set(), "h4": set(), "p": set(), "table": set(), "thead": set(), "tbody": set(), "tr": set(),
                "th": {"align"}, "td": {"align"}, "code": set(), "a": {"href"}, "details": set(), "summary": set(),
                "sub": set(), "ul": set(), "li": set(), "strong": set(), "em": set(), "br": set()}
_MENTION_RE = re.compile(r"(?<![\w`/.])@[A-Za-z0-9]")


@dataclass(frozen=True)
class Case:
    """One row of a table in docs/reliability.md: what was tried and the defined outcome, in words."""

    id: str
    tried: str
    outcome: str


def run_engine(root: Path, *, use_git: bool = False, entrypoints: tuple[str, ...] = ()) -> Report:
    """The engine on ``root`` with the config it discovers, as the CLI runs it; no rule may crash."""
    from checks import ALL_RULES, DEFAULT_OFF
    from preflight.cli import build_report
    from preflight.config import load_config
    from preflight.engine import run
    from preflight.project import Project

    config = load_config(root).with_overrides(entrypoints=entrypoints or None)
    result = run(Project(root, use_git=use_git, exclude=config.exclude), ALL_RULES, config, DEFAULT_OFF)
    assert not result.internal_errors, "\n".join(result.internal_errors)
    return build_report(result, config)


def render_all(report: Report) -> dict[str, str]:
    return {fmt: render(fmt, report) for fmt in FORMATS}


def check_all(report: Report, outputs: dict[str, str]) -> None:
    check_text(outputs["text"])
    check_github(outputs["github"], report)
    check_markdown(outputs["markdown"], report)
    check_json(outputs["json"], report)
    check_sarif(outputs["sarif"], report)


def check_report(root: Path, **kw) -> tuple[Report, dict[str, str]]:
    """Run the engine, render every format and check every invariant; returns the report and the outputs."""
    report = run_engine(root, **kw)
    outputs = render_all(report)
    check_all(report, outputs)
    return report, outputs


# --------------------------------------------------------------------------------------------------- text


def check_text(out: str) -> None:
    log = run_step(out)
    assert log.commands == [], f"the runner reads a command from the text report: {log.commands[0]}"
    for line in out.split("\n"):
        assert line.isprintable(), f"unprintable character in {line!r}"


# --------------------------------------------------------------------------------------------------- github


def check_github(out: str, report: Report) -> None:
    from preflight.report import github

    planned = github.annotations(report)
    log = run_step(out)
    assert log.plain == [], f"not a workflow command: {log.plain[0]!r}"
    assert [c.name for c in log.commands] == [a.kind for a in planned]
    assert all(c.name in ISSUE_COMMANDS for c in log.commands)
    assert log.dropped == [], "more than 10 annotations of one severity"
    for seen, meant in zip(log.annotations, planned, strict=True):
        props = meant.properties
        assert seen.kind == meant.kind
        assert seen.message == meant.message, (seen.message, meant.message)
        assert seen.file == props.get("file"), (seen.file, props.get("file"))
        assert seen.title == props.get("title")
        assert seen.line == props.get("line")
        assert seen.col == props.get("col") and seen.end_line == props.get("endLine")


# --------------------------------------------------------------------------------------------------- markdown


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.bad: list[str] = []
        self.code: list[str] = []
        self.text: list[str] = []
        self._in_code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        allowed = ALLOWED_TAGS.get(tag)
        if allowed is None:
            self.bad.append(f"<{tag}>")
            return
        for name, value in attrs:
            if name not in allowed:
                self.bad.append(f"<{tag} {name}=...>")
            elif name == "href" and not (value or "").startswith(DOCS_URL):
                self.bad.append(f"link to {value!r}")
        if tag == "code":
            self._in_code += 1
            self.code.append("")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "code":
            self._in_code -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "code" and self._in_code:
            self._in_code -= 1

    def handle_data(self, data: str) -> None:
        if self._in_code:
            self.code[-1] += data
        else:
            self.text.append(data)


def markdown_html(text: str) -> _Html:
    """GitHub's Markdown extensions without ``tagfilter`` and with raw HTML let through: any tag the escaping
    missed shows up here, even one GitHub's own filter would have caught."""
    import cmarkgfm  # in the test extra: a missing one must fail, not skip
    from cmarkgfm.cmark import Options

    html = cmarkgfm.markdown_to_html_with_extensions(
        text, options=Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_GITHUB_PRE_LANG,
        extensions=["table", "autolink", "strikethrough", "tasklist"])
    parsed = _Html()
    parsed.feed(html)
    parsed.close()
    return parsed


def check_markdown(text: str, report: Report, *, max_chars: int | None = None, max_bytes: int | None = None,
                   complete: bool | None = None) -> None:
    """``complete``: every finding's path must read back (default: when no limit was given)."""
    assert "\r" not in text
    if max_chars is not None:
        assert len(text) <= max_chars
    if max_bytes is not None:
        assert len(text.encode("utf-8")) <= max_bytes
    html = markdown_html(text)
    assert html.bad == [], f"live HTML from the repository: {html.bad}"
    for chunk in html.text:
        assert not _MENTION_RE.search(chunk), f"a mention: {chunk!r}"
    if complete is None:
        complete = max_chars is None and max_bytes is None
    if complete:
        shown = set(html.code)
        for finding in report.findings:
            loc = finding.location
            where = " ".join((loc.path + ("" if loc.line is None else f":{loc.line}")).split())
            assert where in shown or not where, f"{where!r} does not read back from the Markdown"


# --------------------------------------------------------------------------------------------------- json, sarif


def check_json(out: str, report: Report) -> dict:
    data = json.loads(out)
    assert [f["path"] for f in data["findings"]] == [f.location.path for f in report.findings]
    assert [s["path"] for s in data["skipped"]] == [p for p, _ in report.skipped]
    return data


@cache
def _sarif_validator():
    import jsonschema

    return jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))


def check_sarif(out: str, report: Report) -> dict:
    data = json.loads(out)
    errors = sorted(_sarif_validator().iter_errors(data), key=str)
    assert not errors, errors[0]
    results = data["runs"][0]["results"]
    assert len(results) == len(report.findings)
    for result, finding in zip(results, report.findings, strict=True):
        (location,) = result["locations"]
        uri = location["physicalLocation"]["artifactLocation"]["uri"]
        path = finding.location.path
        while path.startswith("./"):
            path = path[2:]
        assert unquote(uri) == path.lstrip("/"), (uri, finding.location.path)
        assert not any(ch.isspace() for ch in uri), uri
        assert result["message"]["text"]
    return data


# --------------------------------------------------------------------------------------------------- helpers


def assert_absent(needles: Iterable[str], texts: dict[str, str]) -> None:
    """No needle (a canary secret) appears in any of the named texts."""
    for needle in needles:
        for name, text in texts.items():
            assert needle not in text, f"{needle!r} leaked into {name}"


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Fail (TimeoutError) instead of hanging, e.g. on a FIFO someone opens for reading."""

    def expired(signum, frame):  # noqa: ARG001
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
