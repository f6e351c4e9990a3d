#!/usr/bin/env python3
"""Regenerate ``preflight/data/requires_dist.json.gz``: distribution -> version -> its Requires-Dist.

Rule CP207 uses it to tell "undeclared, and nothing installs it" (CP201) from "undeclared, but a declared
package depends on it" (the import works on Community Cloud, for now).

Two sources, both recorded per project in the output:

1. ``local-index``: the wheel ``METADATA`` of every project in the file-based package indexes of pip's own
   configuration (``index-url``, ``extra-index-url`` and ``find-links`` values that are local ``file://`` URLs
   or folders).  Every version those indexes hold is kept; for each version one wheel is read (``py3-none-any``
   first).  Only the zip's ``*.dist-info/METADATA`` member is read, nothing is installed or imported.
2. ``pypi-json``: single look-ups on the PyPI JSON API (``<index>/<name>/json`` or ``<index>/<name>/<version>/json``,
   ``<index>`` being pip's built-in ``PyPI.pypi_url``, so no registry host is written here), for the few projects
   named with ``--pypi NAME[==VERSION]``.  At most ``MAX_LOOKUPS`` per run: this is not a crawler, and bulk
   look-ups on the public index are not allowed by the project's rules.  Entries looked up earlier are kept
   from the existing output (``--drop-pypi`` forgets them), so a rerun does not repeat look-ups.  The JSON API
   answers only for a project's newest release here, and its ``requires_dist`` is empty for old uploads whose
   wheels do declare dependencies (``imblearn`` 0.0): such answers are not stored.
3. ``wheel``: the ``METADATA`` of wheel files given with ``--wheel PATH``, fetched one at a time with
   ``pip download NAME==VERSION --no-deps`` (for a pinned older release, or when the JSON API has no
   Requires-Dist).  They count as look-ups too.

Output (gzip of compact JSON, ``mtime`` 0)::

    {"meta": {"generated": "YYYY-MM-DD", "source": "...", "local_index": [...], "pypi_lookups": [...],
              "projects": N, "versions": M},
     "projects": {"<canonical name>": {"name": "Display", "from": "local-index" | "pypi-json" | "wheel",
                                       "versions": {"1.2.3": ["Requires-Dist line", ...], ...},
                                       "looked_up": ["1.2.3"]}}}      # versions from look-ups (kept on reruns)

Usage::

    python3 scripts/update_requires_dist.py [--pypi streamlit-webrtc --pypi ultralytics==8.0.183 ...]
        [--wheel ultralytics-8.0.183-py3-none-any.whl ...] [--index PATH_OR_FILE_URL ...] [--output PATH]
        [--date YYYY-MM-DD]

Only the standard library, ``packaging`` and pip's configuration reader are used.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email.parser
import gzip
import html.parser
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "preflight" / "data" / "requires_dist.json.gz"
USER_AGENT = "cloud-preflight-data-updater/1 (python urllib)"
TIMEOUT = 20
MAX_LOOKUPS = 30
MAX_METADATA = 4 * 1024 * 1024


# --------------------------------------------------------------------------------------------- local indexes

def pip_local_indexes() -> list[Path]:
    """Folders of pip's configured indexes and find-links that are on this machine (``file://`` or a path)."""
    from pip._internal.configuration import Configuration

    configuration = Configuration(isolated=False)
    configuration.load()
    values: list[str] = []
    for key in ("global.index-url", ":env:.index-url", "global.extra-index-url", ":env:.extra-index-url",
                "global.find-links", ":env:.find-links"):
        try:
            values += str(configuration.get_value(key)).split()
        except Exception:  # noqa: BLE001 - pip raises ConfigurationError for missing keys
            continue
    out: list[Path] = []
    for value in values:
        path = _local_path(value)
        if path is not None and path.is_dir() and path not in out:
            out.append(path)
    return out


def _local_path(value: str) -> Path | None:
    if value.startswith("file:"):
        return Path(urllib.request.url2pathname(urllib.parse.urlparse(value).path))
    if "://" in value:
        return None
    return Path(value)


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def wheels_in(index: Path) -> dict[str, list[Path]]:
    """canonical project -> wheel files, for a PEP 503 folder (``<project>/index.html``) or a flat folder."""
    out: dict[str, list[Path]] = {}
    for entry in sorted(index.iterdir()):
        if entry.is_dir():
            page = entry / "index.html"
            if not page.is_file():
                continue
            parser = _Links()
            parser.feed(page.read_text(encoding="utf-8", errors="replace"))
            for href in parser.hrefs:
                target = href.split("#", 1)[0]
                if not target.endswith(".whl") or "://" in target and not target.startswith("file:"):
                    continue
                path = _local_path(target) if target.startswith("file:") else (entry / urllib.parse.unquote(target))
                if path is not None and path.resolve().is_file():
                    _add_wheel(out, path.resolve())
        elif entry.name.endswith(".whl") and entry.is_file():
            _add_wheel(out, entry)
    return out


def _add_wheel(out: dict[str, list[Path]], path: Path) -> None:
    try:
        name, _version, _build, _tags = parse_wheel_filename(path.name)
    except InvalidWheelFilename:
        return
    out.setdefault(canonicalize_name(name), []).append(path)


def _wheel_rank(path: Path) -> tuple:
    """py3-none-any first, then CPython 3.11 Linux x86-64, then anything."""
    _name, _version, _build, tags = parse_wheel_filename(path.name)
    texts = {str(t) for t in tags}
    if any(t.endswith("-none-any") for t in texts):
        return (0, path.name)
    if any(t.startswith("cp311-") and "x86_64" in t and "linux" in t for t in texts):
        return (1, path.name)
    if any("x86_64" in t and "linux" in t for t in texts):
        return (2, path.name)
    return (3, path.name)


def read_metadata(path: Path) -> tuple[str, str, list[str]] | None:
    """(Name, Version, Requires-Dist lines) from a wheel's METADATA, or None when it cannot be read."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = [i for i in archive.infolist()
                       if i.filename.count("/") == 1 and i.filename.endswith(".dist-info/METADATA")]
            if not members or members[0].file_size > MAX_METADATA:
                return None
            raw = archive.read(members[0])
    except (OSError, zipfile.BadZipFile, KeyError):
        return None
    return _parse_metadata(raw.decode("utf-8", errors="replace"))


def _parse_metadata(text: str) -> tuple[str, str, list[str]] | None:
    headers = email.parser.HeaderParser().parsestr(text)
    name, version = headers.get("Name"), headers.get("Version")
    if not name or not version:
        return None
    return str(name), str(version), [str(r).strip() for r in headers.get_all("Requires-Dist") or [] if str(r).strip()]


def scan_local(indexes: list[Path]) -> dict[str, dict]:
    projects: dict[str, dict] = {}
    wheels: dict[str, list[Path]] = {}
    for index in indexes:
        for canonical, paths in wheels_in(index).items():
            wheels.setdefault(canonical, []).extend(p for p in paths if p not in wheels.get(canonical, []))
    for canonical, paths in sorted(wheels.items()):
        by_version: dict[str, list[Path]] = {}
        for path in paths:
            version = str(parse_wheel_filename(path.name)[1])
            by_version.setdefault(version, []).append(path)
        for version, candidates in by_version.items():
            for path in sorted(candidates, key=_wheel_rank):
                found = read_metadata(path)
                if found is None:
                    continue
                name, _meta_version, requires = found
                row = projects.setdefault(canonical, {"name": name, "from": "local-index", "versions": {}})
                row["versions"][version] = _clean(requires)
                break
    return projects


def _clean(requires: list[str]) -> list[str]:
    """Parseable requirement lines, as written (markers kept: the reader evaluates them for Cloud)."""
    out = []
    for text in requires:
        try:
            Requirement(text)
        except InvalidRequirement:
            continue
        out.append(text)
    return out


# --------------------------------------------------------------------------------------------- PyPI look-ups

def pypi_lookup(base: str, spec: str) -> tuple[str, dict] | None:
    """One JSON API request for ``name`` or ``name==version``: (canonical, row) or None when not found."""
    name, _, version = spec.partition("==")
    url = f"{base.rstrip('/')}/{urllib.parse.quote(name.strip())}/"
    url += f"{urllib.parse.quote(version.strip())}/json" if version.strip() else "json"
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - pip's own index URL
            document = json.load(response)
    except urllib.error.HTTPError as exc:
        if exc.code in (404, 410):
            return None
        raise
    info = document.get("info") or {}
    display, found = info.get("name") or name, info.get("version")
    if not found:
        return None
    if info.get("requires_dist") is None:
        print(f"  {spec}: the JSON API gives no Requires-Dist for {display} {found}; not stored (read its wheel "
              f"with --wheel instead)", file=sys.stderr)
        return None
    return canonicalize_name(display), {"name": display, "from": "pypi-json",
                                        "versions": {found: _clean(list(info.get("requires_dist") or []))}}


def _add(row: dict, version: str, requires: list[str], *, looked_up: bool) -> None:
    row["versions"][version] = requires
    if looked_up and version not in row.setdefault("looked_up", []):
        row["looked_up"].append(version)


# --------------------------------------------------------------------------------------------- output

def load_existing(path: Path) -> dict:
    try:
        return json.loads(gzip.decompress(path.read_bytes()))
    except (OSError, ValueError):
        return {}


def write_output(path: Path, document: dict) -> int:
    raw = json.dumps(document, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode("utf-8")
    packed = gzip.compress(raw, compresslevel=9, mtime=0)
    path.write_bytes(packed)
    return len(packed)


def _sorted_versions(versions: dict[str, list[str]]) -> dict[str, list[str]]:
    def key(text: str):
        try:
            return (0, Version(text))
        except InvalidVersion:
            return (-1, text)
    return {v: versions[v] for v in sorted(versions, key=key)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--index", action="append", default=[],
                        help="a local index folder or file:// URL (default: the local ones in pip's configuration)")
    parser.add_argument("--pypi", action="append", default=[], metavar="NAME[==VERSION]",
                        help=f"look this project up on the PyPI JSON API (at most {MAX_LOOKUPS} per run)")
    parser.add_argument("--wheel", action="append", default=[], type=Path, metavar="PATH",
                        help="read Requires-Dist from this wheel file (from pip download NAME==VERSION --no-deps)")
    parser.add_argument("--drop-pypi", action="store_true", help="forget look-ups kept from the existing output")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--date", default=dt.date.today().isoformat(), help="meta.generated (default: today)")
    args = parser.parse_args(argv)
    if len(args.pypi) + len(args.wheel) > MAX_LOOKUPS:
        parser.error(f"--pypi: at most {MAX_LOOKUPS} look-ups per run (this script is not a crawler)")

    indexes = [p for p in (_local_path(v) for v in args.index) if p is not None] or pip_local_indexes()
    if not indexes:
        parser.error("no local index: pip's configuration names no file:// index or find-links folder; pass --index")
    projects = scan_local(indexes)
    local_count = len(projects)
    print(f"{local_count} projects read from {', '.join(str(p) for p in indexes)}", file=sys.stderr)

    existing = load_existing(args.output)
    lookups: list[str] = []
    if not args.drop_pypi:
        # Versions looked up earlier are kept (a project of the local index may have one more from a look-up).
        for canonical, row in (existing.get("projects") or {}).items():
            looked_up = row.get("looked_up") or []
            if not looked_up:
                continue
            target = projects.setdefault(canonical, {"name": row.get("name", canonical), "from": row.get("from"),
                                                     "versions": {}})
            for version in looked_up:
                if version in (row.get("versions") or {}):
                    _add(target, version, row["versions"][version], looked_up=True)
        lookups = [s for s in (existing.get("meta") or {}).get("pypi_lookups", [])
                   if canonicalize_name(s.split("==", 1)[0]) in projects]
    if args.pypi:
        from pip._internal.models.index import PyPI  # pip knows its default index; no host written here

        for spec in args.pypi:
            found = pypi_lookup(PyPI.pypi_url, spec)
            if found is None:
                print(f"  not found: {spec}", file=sys.stderr)
                continue
            canonical, row = found
            version, requires = next(iter(row["versions"].items()))
            target = projects.setdefault(canonical, {"name": row["name"], "from": "pypi-json", "versions": {}})
            _add(target, version, requires, looked_up=True)
            lookups.append(f"{row['name']}=={version}")
    for path in args.wheel:
        found = read_metadata(path)
        if found is None:
            parser.error(f"--wheel {path}: no readable METADATA")
        name, version, requires = found
        target = projects.setdefault(canonicalize_name(name), {"name": name, "from": "wheel", "versions": {}})
        _add(target, version, _clean(requires), looked_up=True)
        lookups.append(f"{name}=={version}")
    for row in projects.values():
        row["versions"] = _sorted_versions(row["versions"])
        if row.get("looked_up"):
            row["looked_up"] = list(_sorted_versions({v: [] for v in row["looked_up"]}))
    lookups = sorted(set(lookups), key=str.lower)
    document = {
        "meta": {
            "generated": args.date,
            "source": ("Requires-Dist of wheel METADATA from the local copy of PyPI in pip's configured file "
                       "indexes (every version it holds), plus single look-ups of PyPI projects (pypi_lookups: "
                       "the JSON API, or the METADATA of one wheel fetched with pip download --no-deps)"),
            "local_index": [str(p) for p in indexes],
            "pypi_lookups": lookups,
            "projects": len(projects),
            "versions": sum(len(r["versions"]) for r in projects.values()),
        },
        "projects": dict(sorted(projects.items())),
    }
    size = write_output(args.output, document)
    print(f"wrote {args.output} ({size:,} bytes gzipped): {len(projects)} projects "
          f"({local_count} from the local index, {len(lookups)} looked up), "
          f"{document['meta']['versions']} versions", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
