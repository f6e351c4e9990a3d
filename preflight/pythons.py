"""Which Python Community Cloud will run an app on, and which versions it offers on a given day.

Cloud offers the released CPython versions that are not end-of-life (judged from the dates in
``preflight/data/python_releases.toml``, not its status strings, which go stale) and defaults new apps to
``default-python`` in ``cloud_platform.toml``. The user may state the version they picked in the deploy
dialog (config ``python-version``, CLI ``--python-version``).

``today()`` is the real date unless ``CLOUD_PREFLIGHT_TODAY`` (YYYY-MM-DD) is set, so tests can pin it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from preflight import data

if TYPE_CHECKING:
    from preflight.config import Config

TODAY_ENV = "CLOUD_PREFLIGHT_TODAY"
NEAR_EOL_DAYS = 90
_VERSION_RE = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")


def today() -> date:
    """Today's date, or the date in ``CLOUD_PREFLIGHT_TODAY`` (YYYY-MM-DD) when set."""
    value = os.environ.get(TODAY_ENV, "").strip()
    if value:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    return date.today()


def key(minor: str) -> tuple[int, int]:
    major, _, rest = minor.partition(".")
    try:
        return int(major), int(rest)
    except ValueError:
        return (0, 0)


def offered(on: date) -> list[str]:
    """Minor versions Cloud offers on ``on``: released and not end-of-life (oldest first)."""
    out = []
    for version, release in data.python_releases().items():
        if release.first_release is None or release.first_release > on:
            continue
        if release.end_of_life is not None and release.end_of_life <= on:
            continue
        out.append(version)
    return sorted(out, key=key)


@dataclass(frozen=True)
class CloudPython:
    """The Python minor version Cloud will run, and how we know (for messages)."""

    version: str
    configured: bool

    @property
    def describe(self) -> str:
        if self.configured:
            return f"Python {self.version} (your python-version setting)"
        return f"Python {self.version} (Cloud's default)"


def cloud_python(config: Config) -> CloudPython | None:
    """The configured python-version when Cloud offers it, otherwise Cloud's default; None without data."""
    available = offered(today())
    configured = config.python_version
    if isinstance(configured, str) and configured in available:
        return CloudPython(configured, True)
    default = data.cloud().get("default-python")
    if not isinstance(default, str) or not _VERSION_RE.fullmatch(default):
        return None
    if available and default not in available and key(default) < key(available[0]):
        # The recorded default has reached end-of-life: Cloud will have moved on.
        return CloudPython(available[-1], False)
    return CloudPython(default, False)


@dataclass(frozen=True)
class Status:
    """Why a version is not (or soon no longer) offered: ``kind`` is eol, near-eol, prerelease or unknown."""

    kind: str
    text: str


def version_status(minor: str, on: date) -> Status | None:
    """None when Cloud offers ``minor`` on ``on`` and will for more than NEAR_EOL_DAYS days."""
    releases = data.python_releases()
    if not releases:
        return None
    release = releases.get(minor)
    if release is None:
        known = sorted(releases, key=key)
        if key(minor) < key(known[0]):
            return Status("eol", f"Python {minor} reached end-of-life long ago")
        return Status("unknown", f"Python {minor} is not a known Python release")
    if release.first_release is None or release.first_release > on:
        expected = f" (first release expected {release.first_release.isoformat()})" if release.first_release else ""
        return Status("prerelease", f"Python {minor} is not released yet{expected}")
    eol = release.end_of_life
    if eol is not None and eol <= on:
        return Status("eol", f"Python {minor} is end-of-life since {eol.isoformat()}")
    if eol is not None and eol - on <= timedelta(days=NEAR_EOL_DAYS):
        return Status("near-eol", f"Python {minor} reaches end-of-life on {eol.isoformat()} "
                                  f"(in {(eol - on).days} days)")
    return None
