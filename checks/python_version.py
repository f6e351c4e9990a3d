"""(family under construction)"""

from __future__ import annotations

from preflight.rules import Rule

RULES: tuple[Rule, ...] = ()
