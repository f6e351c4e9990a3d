"""CP2xx: imports vs the file Cloud installs (under construction)."""

from __future__ import annotations

from preflight.rules import Rule

RULES: tuple[Rule, ...] = ()
DEFAULT_OFF: set[str] = set()
