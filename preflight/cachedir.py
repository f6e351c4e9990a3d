"""Where cloud-preflight keeps its cache (facts of modules, resolutions), and the markers that keep it out of git
and backups. Shared by ``preflight.facts`` and ``preflight.resolve``; light to import (every run asks)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from preflight.config import Config
    from preflight.project import Project

CACHE_DIR_ENV = "CLOUD_PREFLIGHT_CACHE_DIR"
DEFAULT_CACHE_DIR = ".cloud-preflight-cache"


def cache_dir_for(project: Project, config: Config) -> Path | None:
    """The cache folder: config/CLI ``cache_dir``, else $CLOUD_PREFLIGHT_CACHE_DIR, else .cloud-preflight-cache/
    in the repository root. None when caching is off."""
    chosen = getattr(config, "cache_dir", None)
    if chosen == "":
        return None
    if chosen:
        return Path(chosen)
    env = os.environ.get(CACHE_DIR_ENV, "").strip()
    if env:
        return Path(env)
    return project.root / DEFAULT_CACHE_DIR


def prepare(folder: Path, part: str) -> Path:
    """Make ``folder/part`` and mark ``folder`` (a ``.gitignore`` of ``*`` so git never sees it, a
    ``CACHEDIR.TAG`` so backup tools skip it). Raises OSError (a read-only checkout)."""
    (folder / part).mkdir(parents=True, exist_ok=True)
    for name, text in ((".gitignore", "# made by cloud-preflight: its cache, never committed\n*\n"),
                       ("CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n# cloud-preflight's cache\n")):
        marker = folder / name
        if not marker.exists():
            marker.write_text(text, encoding="utf-8")
    return folder / part
