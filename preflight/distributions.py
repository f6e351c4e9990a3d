"""Import names <-> distribution names.

Three layers, later ones first in the answers:

1. the generated map ``preflight/data/import_map.json.gz`` (``scripts/update_import_map.py``): for the most used
   PyPI projects, the import names their wheels provide, read from the wheels' file lists, providers ordered
   by popularity.  It is compressed: an import name without dots that equals its distribution's normalised
   name and that no other scanned distribution provides is not listed (``implied``); it resolves all the same.
2. the hand-curated table ``preflight/data/import_names.toml``: its rows win and come first.
3. overrides from the user's configuration (``set_overrides``): they replace what is known for that name.

Most distributions are imported under their own name with ``-`` as ``_``; what is here are the exceptions and,
for scanned distributions, the facts.  Nothing is guessed from installing or running a package.  The map is
loaded on first use, once.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from packaging.utils import canonicalize_name

from preflight import data

MAP_FILE = "import_map.json.gz"

_overrides: dict[str, list[str]] = {}


def _key(distribution: str) -> str:
    """Canonical name of a distribution string that may carry extras (``psycopg[binary]``)."""
    return canonicalize_name(distribution.split("[", 1)[0].strip())


@dataclass(frozen=True)
class _Scanned:
    meta: dict[str, Any] = field(default_factory=dict)
    imports: dict[str, list[str]] = field(default_factory=dict)  # import name -> display names, most used first
    implied: dict[str, str] = field(default_factory=dict)  # canonical name -> display name (imported as itself)
    spelling: dict[str, str] = field(default_factory=dict)  # canonical -> display, every scanned distribution
    rank: dict[str, int] = field(default_factory=dict)  # canonical -> popularity (0 = most used)
    sdist_only: frozenset[str] = frozenset()  # canonical names
    unread: frozenset[str] = frozenset()  # ranked, but files not read: exist, import names unknown


def _map_bytes() -> bytes | None:
    try:
        return resources.files(data.__name__).joinpath(MAP_FILE).read_bytes()
    except (FileNotFoundError, OSError):
        return None


@cache
def _scanned() -> _Scanned:
    """The generated map, decoded once."""
    raw = _map_bytes()
    if not raw:
        return _Scanned()
    try:
        document = json.loads(gzip.decompress(raw))
    except (OSError, ValueError):
        return _Scanned()
    names: list[str] = document.get("distributions", [])
    imports = {module: [names[i] for i in indexes] for module, indexes in document.get("imports", {}).items()}
    implied = {canonicalize_name(names[i]): names[i] for i in document.get("implied", [])}
    spelling: dict[str, str] = {}
    rank: dict[str, int] = {}
    for index, name in enumerate(names):
        canonical = canonicalize_name(name)
        spelling.setdefault(canonical, name)
        rank.setdefault(canonical, index)
    return _Scanned(document.get("meta", {}), imports, implied, spelling, rank,
                    frozenset(canonicalize_name(n) for n in document.get("sdist_only", [])),
                    frozenset(canonicalize_name(n) for n in document.get("unread", [])))


@cache
def _hand() -> dict[str, list[str]]:
    """import name -> distributions from ``import_names.toml``, its preferred one first."""
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


def _merge(*lists: list[str]) -> list[str]:
    """Concatenation without repeats (``PyYAML`` repeats ``pyyaml``; ``psycopg[binary]`` and ``psycopg`` differ)."""
    out: list[str] = []
    seen: set[str] = set()
    for names in lists:
        for name in names:
            base, bracket, extras = name.partition("[")
            key = canonicalize_name(base.strip()) + bracket + extras.replace(" ", "").lower()
            if key not in seen:
                seen.add(key)
                out.append(name)
    return out


@cache
def _forward() -> dict[str, list[str]]:
    """import name (top-level or dotted namespace prefix) -> distributions that provide it, best first."""
    scanned = _scanned()
    out = dict(scanned.imports)
    for module, dists in _hand().items():
        # a hand row names the distribution as the scan spells it (PyYAML for pyyaml), extras kept
        spelled = [d if "[" in d else scanned.spelling.get(_key(d), d) for d in dists]
        out[module] = _merge(spelled, out.get(module, []))
    for module, dists in _overrides.items():
        out[module] = list(dists)
    return out


@cache
def _namespaces() -> dict[str, list[str]]:
    """dotted prefix that is no entry itself (``google.cloud``) -> providers of the entries below it."""
    table = _forward()
    rank = _scanned().rank
    below: dict[str, list[str]] = {}
    for module, dists in table.items():
        parts = module.split(".")
        for end in range(1, len(parts)):
            prefix = ".".join(parts[:end])
            if prefix not in table:
                below.setdefault(prefix, []).extend(dists)
    return {prefix: sorted(_merge(dists), key=lambda d: rank.get(_key(d), len(rank)))
            for prefix, dists in below.items()}


@cache
def _reverse() -> dict[str, set[str]]:
    """canonical distribution name -> import names (top-level) known to come from it."""
    out: dict[str, set[str]] = {}
    for module, dists in _forward().items():
        for dist in dists:
            out.setdefault(_key(dist), set()).add(module.split(".", 1)[0])
    for canonical in _scanned().implied:
        out.setdefault(canonical, set()).add(canonical.replace("-", "_"))
    return out


def candidates(module: str) -> list[str]:
    """Distributions that provide the dotted ``module`` (longest known prefix wins), best first.

    Empty when nothing is known: the caller may still assume the distribution is named like the import.  A
    namespace itself (``google.cloud``) is not provided by any one distribution: see ``providers_below``.
    """
    table = _forward()
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        key = ".".join(parts[:end])
        hit = table.get(key)
        if hit:
            return list(hit)
        if end == 1:
            implied = _scanned().implied.get(canonicalize_name(key))
            if implied:
                return [implied]
    return []


def providers_below(namespace: str) -> list[str]:
    """Distributions that provide modules below the dotted ``namespace`` (``google.cloud`` ->
    google-cloud-storage, googleapis-common-protos, ...), most used first; empty when ``namespace`` is itself
    a known entry or nothing is known below it."""
    return list(_namespaces().get(namespace, []))


def import_names(distribution: str) -> set[str]:
    """Top-level import names a distribution is expected to provide (lower-case)."""
    canonical = _key(distribution)
    names = {canonical.replace("-", "_"), canonical.replace("-", "")}
    if canonical.startswith("python-"):
        names.add(canonical[len("python-"):].replace("-", "_"))
    names |= _reverse().get(canonical, set())
    return {n.lower() for n in names}


def provides(distribution: str) -> list[str] | None:
    """The import names (dotted for namespace packages, as spelled) the scanned wheel of ``distribution``
    provides, with overrides applied; None when the distribution was not scanned."""
    canonical = _key(distribution)
    scanned = _scanned()
    if canonical not in scanned.spelling:
        return None
    names = {module for module, dists in _forward().items() if any(_key(d) == canonical for d in dists)}
    if canonical in scanned.implied:
        names.add(canonical.replace("-", "_"))
    return sorted(names)


def is_known_distribution(name: str) -> bool:
    """True when the generated map's input lists ``name``: one of the most downloaded PyPI projects (see
    ``map_meta()["ranking"]``), scanned or not.  False says "not among them", not "not on PyPI"."""
    scanned = _scanned()
    canonical = _key(name)
    return canonical in scanned.spelling or canonical in scanned.sdist_only or canonical in scanned.unread


def is_scanned_distribution(name: str) -> bool:
    """True when the map read the files of ``name``'s wheel, so ``provides(name)`` is a fact."""
    return _key(name) in _scanned().spelling


def map_meta() -> dict[str, Any]:
    """The generated map's meta: ``generated`` (date), ``source`` and ``ranking`` (words), counts."""
    return dict(_scanned().meta)


def set_overrides(mapping: dict[str, str | list[str]] | None) -> None:
    """User overrides (config key ``import-map``): import name -> distribution or list of distributions.

    They replace what the map and the hand table say for that exact name (prefixes still apply: an override
    for ``acme`` answers ``acme.tools`` too).  ``None`` or ``{}`` removes them.  Raises ValueError naming the
    first bad entry.
    """
    clean: dict[str, list[str]] = {}
    for module, value in (mapping or {}).items():
        if not isinstance(module, str) or not all(p.isidentifier() for p in module.split(".")):
            raise ValueError(f"import-map: {module!r} is not an import name")
        dists = [value] if isinstance(value, str) else value
        if not isinstance(dists, list) or not dists or not all(isinstance(d, str) and d.strip() for d in dists):
            raise ValueError(f"import-map: {module!r} must map to a distribution name or a non-empty list of them")
        clean[module] = [d.strip() for d in dists]
    _overrides.clear()
    _overrides.update(clean)
    for cached in (_forward, _namespaces, _reverse):
        cached.cache_clear()
