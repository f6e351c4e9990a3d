"""Import names <-> distribution names, from the dated table in ``preflight/data/import_names.toml``.

Most distributions are imported under their own name with ``-`` as ``_`` (``python-dateutil`` is the
exception that proves the rule); the table holds the exceptions people actually hit. This is the seed of the
import map: nothing here is guessed from installing or running a package.
"""

from __future__ import annotations

from functools import cache

from packaging.utils import canonicalize_name

from preflight import data


@cache
def _reverse() -> dict[str, set[str]]:
    """canonical distribution name -> import names (top-level) known to come from it."""
    table = data.toml("import_names.toml")
    out: dict[str, set[str]] = {}
    for module, dist in table.get("import-to-distribution", {}).items():
        if isinstance(dist, str):
            out.setdefault(canonicalize_name(dist), set()).add(module.split(".", 1)[0])
    for module, dists in table.get("import-also-provided-by", {}).items():
        for dist in dists if isinstance(dists, list) else []:
            if isinstance(dist, str):
                out.setdefault(canonicalize_name(dist), set()).add(module.split(".", 1)[0])
    return out


def import_names(distribution: str) -> set[str]:
    """Top-level import names a distribution is expected to provide (lower-case)."""
    canonical = canonicalize_name(distribution)
    names = {canonical.replace("-", "_"), canonical.replace("-", "")}
    if canonical.startswith("python-"):
        names.add(canonical[len("python-"):].replace("-", "_"))
    names |= _reverse().get(canonical, set())
    return {n.lower() for n in names}


@cache
def _forward() -> dict[str, list[str]]:
    """import name (top-level or dotted namespace prefix) -> distributions that provide it, best first."""
    table = data.toml("import_names.toml")
    out: dict[str, list[str]] = {}
    for module, dist in table.get("import-to-distribution", {}).items():
        if isinstance(dist, str):
            out.setdefault(module, []).append(dist)
    for module, dists in table.get("import-also-provided-by", {}).items():
        for dist in dists if isinstance(dists, list) else []:
            if isinstance(dist, str) and dist not in out.setdefault(module, []):
                out[module].append(dist)
    return out


def candidates(module: str) -> list[str]:
    """Distributions that provide the dotted ``module`` (longest known prefix wins), best first.

    Empty when nothing is known: the caller may still assume the distribution is named like the import.
    """
    table = _forward()
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        hit = table.get(".".join(parts[:end]))
        if hit:
            return list(hit)
    return []
