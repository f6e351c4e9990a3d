"""Suppression: inline ``# preflight: ignore[CP201] reason`` comments and per-file ignores from config.

Codes are required inside the brackets (``ignore[]`` and a bare ``# preflight: ignore`` do nothing), so a
suppression always says what it silences. ``# noqa`` is never read: it belongs to other tools.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from preflight.model import Finding

if TYPE_CHECKING:
    from preflight.config import Config
    from preflight.project import Project

INLINE_RE = re.compile(r"#\s*preflight:\s*ignore\[([A-Za-z0-9,\s]+)\]")


def inline_codes(line_text: str) -> set[str]:
    """Codes named by a ``# preflight: ignore[...]`` comment on this line."""
    codes: set[str] = set()
    for match in INLINE_RE.finditer(line_text):
        codes.update(c.strip().upper() for c in match.group(1).split(",") if c.strip())
    return codes


def is_suppressed(finding: Finding, project: Project, config: Config) -> bool:
    loc = finding.location
    if config.per_file_ignores:
        from preflight.project import gitignore_spec

        for glob, codes in config.per_file_ignores.items():
            if any(finding.code.startswith(c) for c in codes) and gitignore_spec([glob]).match_file(loc.path):
                return True
    if loc.line is None:
        return False
    text = project.text(loc.path) if project.exists(loc.path) else None
    if text is None:
        return False
    return finding.code in inline_codes(text.line(loc.line))
