"""Plain frozen data: severities, locations and findings."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

DOCS_URL = "https://github.com/cloud-preflight/cloud-preflight/blob/main/docs/rules.md"


class Severity(enum.IntEnum):
    """Three levels, mapping 1:1 to GitHub notice/warning/error and SARIF note/warning/error."""

    NOTE = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Accepts note/notice/info, warning, error (case-insensitive)."""
        key = text.strip().lower()
        aliases = {"note": cls.NOTE, "notice": cls.NOTE, "info": cls.NOTE, "warning": cls.WARNING,
                   "warn": cls.WARNING, "error": cls.ERROR}
        if key not in aliases:
            raise ValueError(f"unknown severity {text!r} (expected note, warning or error)")
        return aliases[key]


@dataclass(frozen=True, order=True)
class Location:
    """A repo-relative POSIX path and 1-based positions; line None means the whole file."""

    path: str
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None

    def sort_key(self) -> tuple:
        return (self.path, self.line or 0, self.column or 0)

    def __str__(self) -> str:
        if self.line is None:
            return self.path
        if self.column is None:
            return f"{self.path}:{self.line}"
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    severity: Severity
    message: str
    location: Location
    fix: str | None = None
    # Entrypoints whose app this finding concerns (empty for repo-wide findings).
    entrypoints: tuple[str, ...] = field(default=())

    @property
    def url(self) -> str:
        return f"{DOCS_URL}#{self.code.lower()}-{self.name}"

    def sort_key(self) -> tuple:
        return (*self.location.sort_key(), self.code, self.message)

    def to_dict(self) -> dict:
        loc = self.location
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.label,
            "message": self.message,
            "fix": self.fix,
            "path": loc.path,
            "line": loc.line,
            "column": loc.column,
            "end_line": loc.end_line,
            "end_column": loc.end_column,
            "entrypoints": list(self.entrypoints),
            "url": self.url,
        }
