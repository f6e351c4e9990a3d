"""Rule, the @rule decorator and RuleContext.

A rule is a plain function ``def name(ctx: RuleContext) -> Iterator[Finding]`` decorated with
``@rule("CP101", "dep-file-multiple", Severity.WARNING)``. Its docstring is its documentation: a one-line
summary, then ``## Why is this bad?``, ``## Example``, ``## Fix`` and ``## References``. Findings are built only
through ``ctx.finding(...)``, which stamps the rule's code, name and severity so a rule cannot mislabel them.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from preflight.model import Finding, Location, Severity

if TYPE_CHECKING:
    from preflight.apps import App
    from preflight.config import Config
    from preflight.project import Project

CODE_RE = re.compile(r"^CP\d{3}$")
NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
REQUIRED_SECTIONS = ("## Why is this bad?", "## Example", "## Fix", "## References")

RuleFunc = Callable[["RuleContext"], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    func: RuleFunc = field(compare=False, repr=False)
    # Rules in a later phase run after every earlier rule (the parse-error rule reports what others parsed).
    phase: int = 0

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.func.__doc__ or "")

    @property
    def summary(self) -> str:
        return self.doc.split("\n", 1)[0].strip()

    @property
    def family(self) -> str:
        return self.func.__module__.rsplit(".", 1)[-1]

    @property
    def anchor(self) -> str:
        return f"{self.code.lower()}-{self.name}"


def rule(code: str, name: str, severity: Severity, *, phase: int = 0) -> Callable[[RuleFunc], Rule]:
    """Declare a rule. The decorated object is a :class:`Rule`; call ``rule.func`` to run it."""
    if not CODE_RE.match(code):
        raise ValueError(f"rule code {code!r} must look like CP123")
    if not NAME_RE.match(name):
        raise ValueError(f"rule name {name!r} must be kebab-case")

    def wrap(func: RuleFunc) -> Rule:
        return Rule(code, name, severity, func, phase)

    return wrap


class RuleContext:
    """What a rule sees: the project, the apps (one per entrypoint) and the config."""

    def __init__(self, project: Project, apps: list[App], config: Config, current: Rule):
        self.project = project
        self.apps = apps
        self.config = config
        self.rule = current

    def finding(
        self,
        message: str,
        path: str,
        line: int | None = None,
        column: int | None = None,
        *,
        end_line: int | None = None,
        end_column: int | None = None,
        fix: str | None = None,
        severity: Severity | None = None,
        app: App | None = None,
    ) -> Finding:
        """Build a finding for the running rule. ``severity`` may only be given where the rule's docs say so."""
        return Finding(
            code=self.rule.code,
            name=self.rule.name,
            severity=severity or self.rule.severity,
            message=message,
            location=Location(path, line, column, end_line, end_column),
            fix=fix,
            entrypoints=(app.entrypoint,) if app is not None else (),
        )


def run_rule(current: Rule, ctx: RuleContext) -> Iterator[Finding]:
    yield from current.func(ctx)
