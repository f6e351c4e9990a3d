"""What the GitHub Actions runner makes of a step's stdout and file commands, ported for the tests.

Ported from actions/runner: ``src/Runner.Common/ActionCommand.cs`` (``TryParseV2`` and the old ``##[`` form
``TryParse``, with their unescape maps), ``src/Runner.Worker/ActionCommandManager.cs`` (``stop-commands`` and
its resume token; ``IssueCommandExtension.ValidateLinesAndColumns``; the 10 annotations per severity per step
kept by ``ExecutionContext``) and the file-command parser for ``GITHUB_OUTPUT`` (``name=value`` or
``name<<DELIMITER`` ... ``DELIMITER``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

REGISTERED = {"error", "warning", "notice", "debug", "group", "endgroup", "add-mask", "echo", "add-matcher",
              "remove-matcher", "save-state", "set-output", "set-env", "add-path", "stop-commands"}
ISSUE_COMMANDS = ("error", "warning", "notice")
MAX_PER_TYPE = 10
MAX_MESSAGE = 4096
# StreamReader.ReadLine (src/Runner.Sdk/ProcessInvoker.cs, StartReadStream) ends a line at CRLF, CR or LF only;
# str.splitlines() would also break at \x0b, \x0c, \x1c-\x1e, \x85, \u2028 and \u2029.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")

_UNESCAPE_DATA = (("%0D", "\r"), ("%0A", "\n"), ("%25", "%"))
_UNESCAPE_PROPERTY = (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%"))
_UNESCAPE_V1 = (("%3B", ";"), ("%0D", "\r"), ("%0A", "\n"), ("%5D", "]"), ("%25", "%"))


def _unescape(text: str, table: tuple[tuple[str, str], ...]) -> str:
    for escaped, plain in table:
        text = text.replace(escaped, plain)
    return text


@dataclass
class Command:
    name: str
    properties: dict[str, str] = field(default_factory=dict)
    data: str = ""


def parse_v2(line: str, registered: set[str]) -> Command | None:
    message = line.lstrip()
    if not message.startswith("::"):
        return None
    end = message.find("::", 2)
    if end < 0:
        return None
    info = message[2:end]
    space = info.find(" ")
    name = info if space < 0 else info[:space]
    if name.lower() not in registered:
        return None
    command = Command(name.lower())
    if space > 0:
        for prop in (p for p in info[space + 1:].strip().split(",") if p):
            pair = [part for part in prop.split("=", 1) if part]
            if len(pair) == 2:
                command.properties[pair[0].lower()] = _unescape(pair[1], _UNESCAPE_PROPERTY)
    command.data = _unescape(message[end + 2:], _UNESCAPE_DATA)
    return command


def parse_v1(line: str, registered: set[str]) -> Command | None:
    start = line.find("##[")
    if start < 0:
        return None
    close = line.find("]", start)
    if close < 0:
        return None
    info = line[start + 3:close]
    space = info.find(" ")
    name = info if space < 0 else info[:space]
    if name.lower() not in registered:
        return None
    command = Command(name.lower())
    if space > 0:
        for prop in (p for p in info[space + 1:].split(";") if p):
            pair = [part for part in prop.split("=", 1) if part]
            if len(pair) == 2:
                command.properties[pair[0].lower()] = _unescape(pair[1], _UNESCAPE_V1)
    command.data = _unescape(line[close + 1:], _UNESCAPE_V1)
    return command


@dataclass
class Annotation:
    kind: str
    message: str
    file: str | None = None
    line: int | None = None
    end_line: int | None = None
    col: int | None = None
    end_col: int | None = None
    title: str | None = None


def _validate(props: dict[str, str]) -> dict[str, str]:
    """IssueCommandExtension.ValidateLinesAndColumns."""
    def num(key: str) -> int | None:
        value = props.get(key)
        try:
            return int(value) if value is not None else None
        except ValueError:
            return None

    line, end_line, col, end_col = num("line"), num("endline"), num("col"), num("endcolumn")
    if end_line is not None and line is None:
        props["line"], line = props["endline"], end_line
    if end_col is not None and col is None:
        props["col"], col = props["endcolumn"], end_col
    has_col = col is not None or end_col is not None
    if line is None and has_col:
        props.pop("col", None)
        props.pop("endcolumn", None)
    if end_line is not None and props.get("line") != props.get("endline") and has_col:
        props.pop("col", None)
        props.pop("endcolumn", None)
    if line is not None and end_line is not None and end_line < line:
        props.pop("line", None)
        props.pop("endline", None)
    if col is not None and end_col is not None and end_col < col:
        props.pop("col", None)
        props.pop("endcolumn", None)
    return props


@dataclass
class StepLog:
    annotations: list[Annotation] = field(default_factory=list)  # the ones that become annotations
    dropped: list[Annotation] = field(default_factory=list)  # over the per-severity limit: only logged
    masks: list[str] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)  # every command processed
    plain: list[str] = field(default_factory=list)  # lines shown as text (commands excluded)


def split_lines(text: str) -> list[str]:
    """A step's stdout as the runner reads it: lines end at CRLF, CR or LF; a final line break ends the last line
    (it does not start an empty one)."""
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def run_step(stdout: str) -> StepLog:
    """What the runner does with a step's stdout, line by line."""
    log = StepLog()
    registered = set(REGISTERED)
    stop_token: str | None = None
    counts = dict.fromkeys(ISSUE_COMMANDS, 0)
    for line in split_lines(stdout):
        command = parse_v2(line, registered) or parse_v1(line, registered)
        if command is None:
            log.plain.append(line)
            continue
        if stop_token is not None:
            if command.name == stop_token.lower():
                registered.discard(stop_token.lower())
                stop_token = None
            else:
                log.plain.append(line)
            continue
        log.commands.append(command)
        if command.name == "stop-commands":
            stop_token = command.data
            registered.add(stop_token.lower())
        elif command.name == "add-mask":
            log.masks.append(command.data)
        elif command.name in ISSUE_COMMANDS:
            props = _validate(dict(command.properties))

            def num(key: str, props: dict[str, str] = props) -> int | None:
                return int(props[key]) if props.get(key, "").isdigit() else None

            annotation = Annotation(command.name, command.data[:MAX_MESSAGE], props.get("file"), num("line"),
                                    num("endline"), num("col"), num("endcolumn"), props.get("title"))
            counts[command.name] += 1
            (log.annotations if counts[command.name] <= MAX_PER_TYPE else log.dropped).append(annotation)
    return log


def read_outputs(text: str) -> dict[str, str]:
    """The runner's reading of a GITHUB_OUTPUT file (FileCommandManager: key=value or heredoc)."""
    outputs: dict[str, str] = {}
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line:
            continue
        equals = line.find("=")
        heredoc = line.find("<<")
        if equals >= 0 and (heredoc < 0 or equals < heredoc):
            outputs[line[:equals]] = line[equals + 1:]
            continue
        if heredoc < 0:
            raise ValueError(f"invalid output line {line!r}")
        name, delimiter = line[:heredoc], line[heredoc + 2:]
        if not name or not delimiter:
            raise ValueError(f"invalid heredoc line {line!r}")
        value: list[str] = []
        while True:
            if index >= len(lines):
                raise ValueError(f"no closing delimiter {delimiter!r} for {name}")
            current = lines[index]
            index += 1
            if current == delimiter:
                break
            value.append(current)
        outputs[name] = "\n".join(value)
    return outputs
