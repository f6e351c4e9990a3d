#!/usr/bin/env python3
"""Regenerate ``preflight/data/import_map.json.gz``: import name -> the distributions that provide it.

Input: ``--top FILE``, the distributions to scan, most used first -- either a text file (one name a line, ``#``
comments) or a TSV whose header has a ``rank`` column (rows without a rank are skipped, the rest sorted by
rank; a ``month`` column, if present, dates the ranking in the output's meta).

For every distribution the script reads the file list of one wheel of its newest non-yanked release:

1. Where from.  By default the PyPI JSON API (``<index>/<name>/json``, ``<index>`` being pip's built-in
   ``PyPI.pypi_url``, so no registry host is written here): the release's files and the project's display name.
   ``--simple-index URL`` (repeatable) reads PEP 503 "simple" index pages instead (``http(s)://`` or ``file://``);
   ``--simple-index-from-pip`` uses the index URLs in pip's own configuration (``index-url``/``extra-index-url``).
   A name that no simple index lists is left out (not a failure), so a later run with another source can add it.
2. Which wheel.  ``py3-none-any`` first, else a CPython 3 manylinux x86_64 wheel (cp311, then abi3, then the
   newest), else any wheel.  A release without a wheel is recorded as ``sdist-only``.
3. The file list, from the wheel's zip central directory read with HTTP range requests: the last 64 KiB (the
   end-of-central-directory record, zip64 aware), then the central directory if it starts earlier.  The
   ``*.dist-info/top_level.txt`` (a cross-check) and the start of ``METADATA`` (the display ``Name``) are read
   too, usually from the same 64 KiB.  A server that ignores ``Range`` gets the wheel read whole only up to
   ``--max-download`` bytes; bigger wheels are then skipped as failures.

Import names come from the file list: top-level packages (folders holding ``.py``/``.so``/``.pyd`` files) and
top-level modules (``*.py``, ``*.so``, ``*.pyd`` at the root; ``.data/purelib`` and ``.data/platlib`` count as the
root), excluding ``*.dist-info``, other ``*.data`` folders, ``__pycache__``, test/doc/example folders and
names that are not identifiers (``foo-stubs``, ``numpy.libs``).  A folder without ``__init__`` is a namespace
package (``google/``, ``azure/``, ``jaraco/``): the script goes down to the first folder with an ``__init__`` or
to a folder that holds modules itself, and records the dotted name (``google.cloud.storage``).

Raw results (the filtered file list, version, wheel name) are cached in a JSON file outside the repository
(``--cache``, default ``$XDG_CACHE_HOME/cloud-preflight/import_map_cache.json``), so a rerun fetches only what
is missing; failures are not cached.  ``--offline`` rebuilds the output from the cache alone.

Output (gzip of compact JSON, read by ``preflight.distributions``)::

    {"meta": {"generated", "source", "ranking", "count", "entries", "distributions_scanned", "sdist_only",
              "failures", "not_in_source", "compression", ...},
     "distributions": ["boto3", "packaging", ...],      # scanned, most used first; display names
     "imports": {"yaml": [14], "google.cloud.storage": [523], ...},  # indexes into distributions
     "implied": [0, 1, ...],                            # see meta.compression
     "sdist_only": ["...", ...],                        # newest release has no wheel
     "unread": ["...", ...]}                            # in the input, files not read (canonical names)

Usage::

    python3 scripts/update_import_map.py --top RANKING.tsv [--limit 8000] [--workers 16]
        [--simple-index URL ... | --simple-index-from-pip] [--cache PATH] [--output PATH] [--date YYYY-MM-DD]

Only the standard library and ``packaging`` are used; every request has a 20 s time-out and bounded retries.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email.parser
import gzip
import html.parser
import json
import os
import struct
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from packaging.tags import Tag
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "preflight" / "data" / "import_map.json.gz"
USER_AGENT = "cloud-preflight-data-updater/1 (python urllib)"
TIMEOUT = 20
ATTEMPTS = 3
TAIL = 65536
MAX_DOWNLOAD = 50 * 1024 * 1024  # only when a server ignores Range
CACHE_VERSION = 1
MAX_DEPTH = 5  # dotted names are at most this deep (google.cloud.storage is 3, opentelemetry.exporter.otlp.proto.http 5)

# Top-level names that wheels ship by mistake; never import names of the distribution that ships them
# (unless the distribution is named so).
JUNK_PACKAGES = frozenset({"tests", "test", "testing", "docs", "doc", "examples", "example", "benchmarks",
                           "benchmark", "build", "dist", "scripts", "tools", "utils", "src", "setup", "typings",
                           "__pycache__"})
# Namespaces that several distributions share, some of them with a pkg_resources-style __init__.py; names are
# recorded below them.  Others are found from the data: a name that another distribution goes deeper into.
KNOWN_NAMESPACES = frozenset({"google", "google.cloud", "azure", "azure.mgmt", "backports", "zope", "jaraco",
                              "sphinxcontrib", "nvidia", "mpl_toolkits", "opentelemetry",
                              "opentelemetry.instrumentation", "opentelemetry.exporter", "ruamel", "flufl"})
JUNK_MODULES = frozenset({"setup", "conftest", "noxfile", "__init__", "__main__"})
CODE_SUFFIXES = (".py", ".so", ".pyd")


# --------------------------------------------------------------------------------------------- HTTP / files

class NotFound(Exception):
    """A final 'no' (404/410): not retried."""


class Failure(Exception):
    """Could not read what was needed; the distribution is counted as a failure (and retried next run)."""


def _request(url: str, headers: dict[str, str] | None = None):
    """urlopen with retries for time-outs, 429 and 5xx; 404/410 raise NotFound at once."""
    last: Exception | None = None
    for attempt in range(ATTEMPTS):
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **(headers or {})})
        try:
            return urllib.request.urlopen(request, timeout=TIMEOUT)
        except urllib.error.HTTPError as exc:
            if exc.code in (404, 410):
                raise NotFound(f"HTTP {exc.code}") from exc
            if exc.code not in (408, 429) and exc.code < 500:
                raise Failure(f"HTTP {exc.code} for {url}") from exc
            last = exc
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            last = exc
        time.sleep(1.5 * 2 ** attempt)
    raise Failure(f"{url}: giving up after {ATTEMPTS} attempts: {last}")


def _get(url: str, headers: dict[str, str] | None = None) -> bytes:
    last: Exception | None = None
    for _ in range(ATTEMPTS):
        try:
            with _request(url, headers) as response:
                return response.read()
        except (TimeoutError, ConnectionError, OSError) as exc:  # a body cut short
            last = exc
    raise Failure(f"{url}: body not read after {ATTEMPTS} attempts: {last}")


class Reader:
    """Random access to a remote (HTTP range requests) or local (file://) wheel."""

    def __init__(self, url: str, max_download: int = MAX_DOWNLOAD):
        self.url = url.split("#", 1)[0]
        self.max_download = max_download
        self.requests = 0
        self._whole: bytes | None = None
        self._path = Path(urllib.request.url2pathname(urllib.parse.urlparse(self.url).path)) \
            if self.url.startswith("file:") else None

    def tail(self, length: int) -> tuple[bytes, int]:
        """The last ``length`` bytes and the total size."""
        if self._path is not None:
            size = self._path.stat().st_size
            with self._path.open("rb") as fh:
                fh.seek(max(0, size - length))
                return fh.read(), size
        return self._ranged(f"bytes=-{length}", tail=length)

    def read(self, offset: int, length: int) -> bytes:
        if length <= 0:
            return b""
        if self._path is not None:
            with self._path.open("rb") as fh:
                fh.seek(offset)
                return fh.read(length)
        if self._whole is not None:
            return self._whole[offset:offset + length]
        body, _ = self._ranged(f"bytes={offset}-{offset + length - 1}", start=offset, length=length)
        return body

    def _ranged(self, spec: str, tail: int = 0, start: int = 0, length: int = 0) -> tuple[bytes, int]:
        last: Exception | None = None
        for _ in range(ATTEMPTS):
            self.requests += 1
            try:
                with _request(self.url, {"Range": spec}) as response:
                    if response.status == 206:
                        body = response.read()
                        total = _content_range_total(response.headers.get("Content-Range", ""))
                        if total is None:
                            raise Failure(f"{self.url}: 206 without a usable Content-Range")
                        return body, total
                    # 200: the server ignored Range; read the whole file only when it is small
                    declared = response.headers.get("Content-Length")
                    if declared and declared.isdigit() and int(declared) > self.max_download:
                        raise Failure(f"server ignores Range and the wheel has {declared} bytes (cap "
                                      f"{self.max_download})")
                    body = response.read(self.max_download + 1)
                    if len(body) > self.max_download:
                        raise Failure(f"server ignores Range and the wheel exceeds {self.max_download} bytes")
                    self._whole = body
                    if tail:
                        return body[-tail:], len(body)
                    return body[start:start + length], len(body)
            except (TimeoutError, ConnectionError) as exc:
                last = exc
        raise Failure(f"{self.url}: range read failed: {last}")


def _content_range_total(value: str) -> int | None:
    # "bytes 100-199/12345"
    try:
        return int(value.rsplit("/", 1)[1])
    except (IndexError, ValueError):
        return None


# --------------------------------------------------------------------------------------------- zip

@dataclass(frozen=True)
class Member:
    name: str
    method: int
    compressed: int
    size: int
    offset: int  # of the local file header


class RemoteZip:
    """Central directory and selected members of a zip, read through a ``Reader`` with as few requests as possible."""

    def __init__(self, reader: Reader):
        self.reader = reader
        self._tail, self.size = reader.tail(TAIL)
        self._tail_start = self.size - len(self._tail)
        self.members = self._central_directory()

    def _get(self, offset: int, length: int) -> bytes:
        if offset >= self._tail_start and offset + length <= self.size:
            return self._tail[offset - self._tail_start:offset - self._tail_start + length]
        return self.reader.read(offset, length)

    def _central_directory(self) -> list[Member]:
        tail = self._tail
        eocd = tail.rfind(b"PK\x05\x06")
        if eocd < 0 or len(tail) - eocd < 22:
            raise Failure("no end-of-central-directory record (not a zip?)")
        _, _, _, count, cd_size, cd_offset, _ = struct.unpack("<HHHHIIH", tail[eocd + 4:eocd + 22])
        if 0xFFFFFFFF in (cd_size, cd_offset) or count == 0xFFFF:
            locator = eocd - 20
            if locator < 0 or tail[locator:locator + 4] != b"PK\x06\x07":
                raise Failure("zip64 archive without a zip64 locator")
            (record_offset,) = struct.unpack("<Q", tail[locator + 8:locator + 16])
            record = self._get(record_offset, 56)
            if record[:4] != b"PK\x06\x06":
                raise Failure("bad zip64 end-of-central-directory record")
            count, cd_size, cd_offset = struct.unpack("<QQQ", record[32:56])
        if cd_offset + cd_size > self.size:
            raise Failure("central directory beyond the end of the file")
        cd = self._get(cd_offset, cd_size)
        members: list[Member] = []
        pos = 0
        while pos + 46 <= len(cd) and cd[pos:pos + 4] == b"PK\x01\x02":
            flags, method = struct.unpack("<HH", cd[pos + 8:pos + 12])
            compressed, size = struct.unpack("<II", cd[pos + 20:pos + 28])
            name_len, extra_len, comment_len = struct.unpack("<HHH", cd[pos + 28:pos + 34])
            (offset,) = struct.unpack("<I", cd[pos + 42:pos + 46])
            raw_name = cd[pos + 46:pos + 46 + name_len]
            extra = cd[pos + 46 + name_len:pos + 46 + name_len + extra_len]
            if 0xFFFFFFFF in (compressed, size, offset):
                size, compressed, offset = _zip64_extra(extra, size, compressed, offset)
            name = raw_name.decode("utf-8" if flags & 0x800 else "cp437", "replace")
            members.append(Member(name, method, compressed, size, offset))
            pos += 46 + name_len + extra_len + comment_len
        if not members and count:
            raise Failure("empty or unreadable central directory")
        return members

    def read_member(self, member: Member, limit: int | None = None) -> bytes:
        """The member's bytes (decompressed); only the first ``limit`` compressed bytes when given."""
        want = member.compressed if limit is None else min(limit, member.compressed)
        head = self._get(member.offset, 30 + len(member.name.encode()) + 256 + want)
        if head[:4] != b"PK\x03\x04":
            raise Failure(f"bad local header for {member.name}")
        name_len, extra_len = struct.unpack("<HH", head[26:30])
        start = 30 + name_len + extra_len
        data = head[start:start + want]
        if len(data) < want:
            data = self._get(member.offset + start, want)
        if member.method == 0:
            return data
        if member.method == 8:
            return zlib.decompressobj(-15).decompress(data)
        raise Failure(f"{member.name}: compression method {member.method} not supported")


def _zip64_extra(extra: bytes, size: int, compressed: int, offset: int) -> tuple[int, int, int]:
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack("<HH", extra[pos:pos + 4])
        if tag == 0x0001:
            body = extra[pos + 4:pos + 4 + length]
            values = [struct.unpack("<Q", body[i:i + 8])[0] for i in range(0, len(body) - 7, 8)]
            if size == 0xFFFFFFFF and values:
                size = values.pop(0)
            if compressed == 0xFFFFFFFF and values:
                compressed = values.pop(0)
            if offset == 0xFFFFFFFF and values:
                offset = values.pop(0)
            break
        pos += 4 + length
    return size, compressed, offset


# --------------------------------------------------------------------------------------------- wheels

def wheel_preference(filename: str) -> tuple[int, int]:
    """Lower is better: (class, rank within class)."""
    try:
        _, _, _, tags = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        return (3, 0)
    tags = frozenset(tags)
    if any(t.abi == "none" and t.platform == "any" and t.interpreter.startswith("py3") for t in tags):
        return (0, 0)
    linux = [t for t in tags if t.interpreter.startswith("cp3") and "linux" in t.platform and
             t.platform.endswith("x86_64")]
    if linux:
        if Tag("cp311", "cp311", "") in {Tag(t.interpreter, t.abi, "") for t in linux}:
            return (1, 0)
        if any(t.abi == "abi3" for t in linux):
            return (1, 1)
        newest = max(int(t.interpreter[3:] or 0) for t in linux if t.interpreter[3:].isdigit())
        return (1, 100 - newest)
    return (2, 0)


def pick_wheel(files: Iterable[dict]) -> dict | None:
    """files: dicts with at least "filename" (and optionally "yanked")."""
    wheels = [f for f in files if f["filename"].endswith(".whl") and not f.get("yanked")]
    if not wheels:
        return None
    return min(wheels, key=lambda f: (wheel_preference(f["filename"]), f["filename"]))


def _version_of(filename: str) -> Version | None:
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        return parse_sdist_filename(filename)[1]
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None


def newest_release(files: list[dict]) -> list[dict]:
    """The non-yanked files of the newest final release (pre-releases only when there is nothing else)."""
    by_version: dict[Version, list[dict]] = {}
    for f in files:
        if f.get("yanked"):
            continue
        version = _version_of(f["filename"])
        if version is not None:
            by_version.setdefault(version, []).append(f)
    if not by_version:
        return []
    finals = [v for v in by_version if not v.is_prerelease and not v.is_devrelease]
    return by_version[max(finals or by_version)]


# --------------------------------------------------------------------------------------------- sources

def _read_wheel(url: str, max_download: int) -> dict:
    reader = Reader(url, max_download)
    archive = RemoteZip(reader)
    names = [m.name for m in archive.members]
    out: dict = {"paths": filter_paths(names)}
    top_level = next((m for m in archive.members if _dist_info_file(m.name) == "top_level.txt"), None)
    if top_level is not None and top_level.size < 65536:
        text = archive.read_member(top_level).decode("utf-8", "replace")
        out["top_level"] = sorted({ln.strip() for ln in text.splitlines() if ln.strip()})
    metadata = next((m for m in archive.members if _dist_info_file(m.name) == "METADATA"), None)
    if metadata is not None:
        head = archive.read_member(metadata, limit=16384).decode("utf-8", "replace")
        name = email.parser.HeaderParser().parsestr(head.split("\n\n", 1)[0] + "\n").get("Name")
        if name:
            out["metadata_name"] = name.strip()
    out["requests"] = reader.requests
    return out


def _dist_info_file(name: str) -> str | None:
    parts = name.split("/")
    return parts[1] if len(parts) == 2 and parts[0].endswith(".dist-info") else None


class PyPIJSON:
    via = "PyPI JSON API"

    def __init__(self, base: str, max_download: int):
        self.base = base.rstrip("/")
        self.max_download = max_download

    def fetch(self, name: str) -> dict | None:
        url = f"{self.base}/{name}/json"
        try:
            project = json.loads(_get(url, {"Accept": "application/json"}))
        except NotFound:
            return {"status": "not-found"}
        info = project.get("info") or {}
        files = [f for f in project.get("urls") or [] if not f.get("yanked")]
        version = info.get("version") or ""
        if not files:  # newest release yanked or empty: the newest release that has files left
            releases = project.get("releases") or {}
            flat = [f for fs in releases.values() for f in fs]
            files = newest_release(flat)
            version = str(_version_of(files[0]["filename"])) if files else version
        entry = {"name": info.get("name") or name, "version": version}
        if not files:
            return {**entry, "status": "no-files"}
        wheel = pick_wheel(files)
        if wheel is None:
            return {**entry, "status": "sdist-only"}
        read = _read_wheel(urllib.parse.urljoin(url, wheel["url"]), self.max_download)  # URLs may be relative
        read.pop("metadata_name", None)  # the JSON's name is the project's display name
        return {**entry, "status": "ok", "wheel": wheel["filename"], **read}


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[dict] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            attributes = dict(attrs)
            href = attributes.get("href")
            if href:
                self.links.append({"href": href, "yanked": "data-yanked" in attributes})


class SimpleIndex:
    via = "PEP 503 simple index"

    def __init__(self, urls: list[str], max_download: int):
        self.urls = [u.rstrip("/") + "/" for u in urls]
        self.max_download = max_download

    def _page(self, base: str, name: str) -> tuple[str, bytes] | None:
        url = f"{base}{name}/"
        if url.startswith("file:"):
            path = Path(urllib.request.url2pathname(urllib.parse.urlparse(url).path))
            for candidate in (path / "index.html", path):
                if candidate.is_file():
                    return candidate.as_uri(), candidate.read_bytes()
            return None
        try:
            return url, _get(url, {"Accept": "text/html"})
        except NotFound:
            return None

    def fetch(self, name: str) -> dict | None:
        files: list[dict] = []
        for base in self.urls:
            page = self._page(base, name)
            if page is None:
                continue
            page_url, body = page
            parser = _Links()
            parser.feed(body.decode("utf-8", "replace"))
            for link in parser.links:
                url = urllib.parse.urljoin(page_url, link["href"]).split("#", 1)[0]
                filename = urllib.parse.unquote(url.rsplit("/", 1)[-1])
                files.append({"filename": filename, "url": url, "yanked": link["yanked"]})
        if not files:
            return None  # not in these indexes: leave it to another source
        release = newest_release(files)
        if not release:
            return {"name": name, "version": "", "status": "no-files"}
        version = str(_version_of(release[0]["filename"]))
        wheel = pick_wheel(release)
        if wheel is None:
            return {"name": name, "version": version, "status": "sdist-only"}
        read = _read_wheel(wheel["url"], self.max_download)
        display = read.pop("metadata_name", None)
        if not display or canonicalize_name(display) != name:
            display = name
        return {"name": display, "version": version, "status": "ok", "wheel": wheel["filename"], **read}


def pip_index_urls() -> list[str]:
    """index-url and extra-index-url from pip's configuration (files and PIP_* environment), in pip's order."""
    from pip._internal.configuration import Configuration

    configuration = Configuration(isolated=False)
    configuration.load()
    urls: list[str] = []
    for key in ("global.index-url", ":env:.index-url", "global.extra-index-url", ":env:.extra-index-url"):
        try:
            value = configuration.get_value(key)
        except Exception:  # noqa: BLE001 - pip raises ConfigurationError for missing keys
            continue
        urls.extend(u for u in str(value).split() if u not in urls)
    return urls


# --------------------------------------------------------------------------------------------- file list -> names

def filter_paths(names: Iterable[str]) -> list[str]:
    """What the cache keeps of a wheel's file list: code files up to MAX_DEPTH + 1 parts, deeper ones as
    ``a/b/c/d/`` folder markers (enough to tell a folder holds code)."""
    keep: set[str] = set()
    for name in names:
        if name.endswith("/") or not name.endswith(CODE_SUFFIXES):
            continue
        parts = name.split("/")
        if len(parts) > MAX_DEPTH + 1:
            keep.add("/".join(parts[:MAX_DEPTH]) + "/")
        else:
            keep.add(name)
    return sorted(keep)


def _identifier(text: str) -> bool:
    return text.isidentifier()


def _module_name(filename: str) -> str | None:
    """``x`` for ``x.py``, ``x.pyd``, ``x.cpython-311-x86_64-linux-gnu.so``; None for other files and for plain
    shared libraries (``libfoo.so``: loaded by extension modules, not importable names)."""
    if not filename.endswith(CODE_SUFFIXES):
        return None
    stem = filename.split(".", 1)[0]
    if filename == f"{stem}.so" and stem.startswith("lib"):
        return None
    if not _identifier(stem) or stem.endswith("__mypyc"):  # mypyc's hashed helper modules
        return None
    return stem


def import_names_from_paths(paths: Iterable[str], distribution: str = "",
                            namespaces: Iterable[str] = KNOWN_NAMESPACES) -> list[str]:
    """Import names (top-level, or dotted for namespace packages) a wheel with these files provides.

    ``namespaces``: dotted folders to treat as shared namespaces even when this wheel ships an ``__init__`` in
    them (pkg_resources-style namespace packages such as ``backports/__init__.py``).
    """
    own = canonicalize_name(distribution) if distribution else ""
    shared = {tuple(n.split(".")) for n in namespaces}
    known = {tuple(n.split(".")) for n in KNOWN_NAMESPACES}
    files: set[tuple[str, ...]] = set()
    code_dirs: set[tuple[str, ...]] = set()
    for path in paths:
        parts = tuple(path.split("/"))
        if parts and parts[0].endswith(".data"):
            if len(parts) > 2 and parts[1] in ("purelib", "platlib"):
                parts = parts[2:]
            else:
                continue
        if not parts or parts[0].endswith((".dist-info", ".egg-info")) or "__pycache__" in parts:
            continue
        is_dir_marker = parts[-1] == ""
        if is_dir_marker:
            parts = parts[:-1]
        elif _module_name(parts[-1]) is None:
            continue
        else:
            files.add(parts)
        for i in range(1, len(parts) + (1 if is_dir_marker else 0)):
            code_dirs.add(parts[:i])

    def junk(name: str, table: frozenset[str]) -> bool:
        return name in table and canonicalize_name(name) != own

    inits = {f[:-1] for f in files if _module_name(f[-1]) == "__init__"}
    modules_in: dict[tuple[str, ...], set[str]] = {}
    for f in files:
        stem = _module_name(f[-1])
        if stem and stem not in JUNK_MODULES:
            modules_in.setdefault(f[:-1], set()).add(stem)
    children: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for folder in code_dirs:
        children.setdefault(folder[:-1], []).append(folder)

    found: set[str] = set()

    def walk(folder: tuple[str, ...]) -> None:
        # A folder with an __init__ is a package.  A folder without one that holds modules itself is a namespace
        # package this distribution fills: recorded as is (its modules are found by prefix).  A folder that only
        # holds folders (google/, azure/) is gone into.  A shared namespace (known, or found in the data) is
        # gone into too, its own modules recorded one by one; the folder itself is recorded for the
        # distribution named like it, or whose __init__ it is (unless known to be a pkg_resources-style one).
        dotted = ".".join(folder)
        if folder in shared and len(folder) < MAX_DEPTH:
            if (folder in inits and folder not in known) or canonicalize_name(dotted) == own:
                found.add(dotted)
                return
            found.update(f"{dotted}.{stem}" for stem in modules_in.get(folder, ()) if stem != "__init__")
        elif folder in inits or folder in modules_in or len(folder) >= MAX_DEPTH:
            found.add(dotted)
            return
        for child in sorted(children.get(folder, ())):
            if _identifier(child[-1]) and child[-1] not in JUNK_PACKAGES:
                walk(child)

    for stem in modules_in.get((), ()):
        if not junk(stem, JUNK_MODULES):
            found.add(stem)
    for folder in children.get((), ()):
        if _identifier(folder[0]) and not junk(folder[0], JUNK_PACKAGES):
            walk(folder)
    return sorted(found)


# --------------------------------------------------------------------------------------------- input, cache, output

@dataclass
class TopList:
    names: list[str]  # canonical, most used first
    ranking: str = ""  # words for meta, when the input says when the ranking was taken


def read_top(path: Path, limit: int | None) -> TopList:
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t") if lines else []
    names: list[str] = []
    ranking = ""
    rank_col = next((i for i, h in enumerate(header) if "rank" in h.lower()), None)
    if len(header) > 1 and rank_col is not None:
        name_col = next((i for i, h in enumerate(header) if h.strip().lower() in ("name", "project", "package")), 0)
        month_col = next((i for i, h in enumerate(header) if h.strip().lower() == "month"), None)
        rows = []
        months = set()
        for line in lines[1:]:
            cells = line.split("\t")
            if len(cells) <= max(rank_col, name_col) or not cells[rank_col].strip().isdigit():
                continue
            rows.append((int(cells[rank_col]), cells[name_col].strip()))
            if month_col is not None and len(cells) > month_col and cells[month_col].strip():
                months.add(cells[month_col].strip())
        rows.sort()
        names = [n for _, n in rows]
        top = header[rank_col].strip()
        digits = "".join(ch if ch.isdigit() else " " for ch in top).split()
        size = f"{int(digits[0]):,}" if digits else f"{len(names):,}"
        ranking = f"PyPI download ranking of the {size} most downloaded projects ({len(names):,} ranked rows)"
        if months:
            ranking += f", list taken in {max(months)} (the newest release month it records)"
    else:
        for line in lines:
            text = line.split("#", 1)[0].strip()
            if text:
                names.append(text.split()[0])
    seen: set[str] = set()
    unique = []
    for name in names:
        canonical = canonicalize_name(name)
        if canonical not in seen:
            seen.add(canonical)
            unique.append(canonical)
    return TopList(unique[:limit] if limit else unique, ranking)


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cloud-preflight" / "import_map_cache.json"


def load_cache(path: Path) -> dict[str, dict]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if raw.get("version") != CACHE_VERSION:
        return {}
    return raw.get("entries", {})


def save_cache(path: Path, entries: dict[str, dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"version": CACHE_VERSION, "entries": entries}, separators=(",", ":")),
                   encoding="utf-8")
    tmp.replace(path)


COMPRESSION = ("an import name without dots that equals its distribution's normalised name (PEP 503: lower case, "
               "runs of '-_.' as '-') and that no other scanned distribution provides is not listed under "
               "'imports'; its distribution's index is listed under 'implied' instead (import x -> distribution x, "
               "'_' read as '-')")


def derive_all(scanned: list[str], entries: dict[str, dict]) -> dict[str, list[str]]:
    """canonical distribution -> import names, with shared namespaces found across distributions: a name that
    another distribution goes deeper into (``backports`` with an ``__init__`` in one wheel, ``backports.x`` in
    another) is a namespace, and the names below it are recorded instead."""
    namespaces = set(KNOWN_NAMESPACES)
    while True:
        names = {c: import_names_from_paths(entries[c].get("paths", []), c, namespaces) for c in scanned}
        owners: dict[str, set[str]] = {}
        for canonical, provided in names.items():
            for name in provided:
                owners.setdefault(name, set()).add(canonical)
        found = set()
        for name, who in owners.items():
            parts = name.split(".")
            for end in range(1, len(parts)):
                prefix = ".".join(parts[:end])
                if prefix in owners and owners[prefix] - who and prefix not in namespaces:
                    found.add(prefix)
        if not found:
            return names
        namespaces |= found


def build(order: list[str], entries: dict[str, dict], generated: str, source: str, ranking: str,
          failures: int, not_in_source: int) -> dict:
    scanned = [c for c in order if entries.get(c, {}).get("status") == "ok"]
    derived = derive_all(scanned, entries)
    providers: dict[str, list[int]] = {}
    for index, canonical in enumerate(scanned):
        for name in derived[canonical]:
            providers.setdefault(name, []).append(index)
    imports: dict[str, list[int]] = {}
    implied: set[int] = set()
    for name, indexes in providers.items():
        if "." not in name and len(indexes) == 1 and canonicalize_name(name) == scanned[indexes[0]]:
            implied.add(indexes[0])
        else:
            imports[name] = indexes
    sdist_only = [entries[c].get("name", c) for c in order if entries.get(c, {}).get("status") == "sdist-only"]
    # the rest of the input (not read, or read with no files): names known to exist, import names unknown
    unread = [c for c in order if entries.get(c, {}).get("status") not in ("ok", "sdist-only", "not-found")]
    vias: dict[str, int] = {}
    for c in scanned:
        vias[entries[c].get("via", "?")] = vias.get(entries[c].get("via", "?"), 0) + 1
    meta = {
        "generated": generated,
        "source": source,
        "ranking": ranking,
        "read_from": {via: count for via, count in sorted(vias.items())},
        "count": len(providers),
        "entries": len(imports),
        "distributions_scanned": len(scanned),
        "sdist_only": len(sdist_only),
        "failures": failures,
        "not_in_source": not_in_source,
        "no_import_names": sum(1 for c in scanned if not derived[c]),
        "compression": COMPRESSION,
        "unread": "names of the input whose files were not read (failures, not in the source, no files): "
                  "known to exist, import names unknown",
        "generator": "scripts/update_import_map.py",
    }
    return {
        "meta": meta,
        "distributions": [entries[c].get("name") or c for c in scanned],
        "imports": dict(sorted(imports.items())),
        "implied": sorted(implied),
        "sdist_only": sdist_only,
        "unread": unread,
    }


def write_output(path: Path, document: dict) -> int:
    raw = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    packed = gzip.compress(raw, compresslevel=9, mtime=0)
    path.write_bytes(packed)
    return len(packed)


# --------------------------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--top", type=Path, required=True, help="distribution names, most used first (text or TSV)")
    parser.add_argument("--limit", type=int, help="scan only the first N names")
    parser.add_argument("--simple-index", action="append", default=[], metavar="URL",
                        help="read PEP 503 simple index pages (http(s):// or file://) instead of the JSON API")
    parser.add_argument("--simple-index-from-pip", action="store_true",
                        help="use the index URLs of pip's configuration as --simple-index")
    parser.add_argument("--index-base", help="JSON API base (default: pip's built-in PyPI.pypi_url)")
    parser.add_argument("--cache", type=Path, default=None,
                        help="raw results cache (default: $XDG_CACHE_HOME/cloud-preflight/import_map_cache.json)")
    parser.add_argument("--refresh", action="store_true", help="ignore cached results (they are overwritten)")
    parser.add_argument("--offline", action="store_true", help="build the output from the cache only")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--max-download", type=int, default=MAX_DOWNLOAD,
                        help="bytes to read at most from a server that ignores Range (default: %(default)s)")
    parser.add_argument("--date", default=dt.date.today().isoformat(), help="meta.generated (default: today)")
    parser.add_argument("--source-text", help="meta.source in words (default: built from the input and sources)")
    args = parser.parse_args(argv)

    top = read_top(args.top, args.limit)
    cache_path = args.cache or default_cache()
    entries = {} if args.refresh else load_cache(cache_path)
    simple = list(args.simple_index)
    if args.simple_index_from_pip:
        configured = pip_index_urls()
        if not configured:
            parser.error("--simple-index-from-pip: pip's configuration names no index-url or extra-index-url")
        simple += [u for u in configured if u not in simple]
    if simple:
        source = SimpleIndex(simple, args.max_download)
    else:
        if args.index_base:
            base = args.index_base
        else:
            from pip._internal.models.index import PyPI  # pip knows its default index; no host written here

            base = PyPI.pypi_url
        source = PyPIJSON(base, args.max_download)

    todo = [] if args.offline else [n for n in top.names if n not in entries or
                                    entries[n].get("status") == "ok" and entries[n].get("depth", 0) < MAX_DEPTH]
    cached = sum(1 for n in top.names if n in entries)
    print(f"{len(top.names)} distributions in the input, {cached} cached"
          + ("" if args.offline else f", {len(todo)} to read via {source.via}"), file=sys.stderr)
    started = time.monotonic()
    failures: dict[str, str] = {}
    not_in_source: set[str] = set()
    requests = 0
    lock = threading.Lock()
    done = 0

    def task(name: str) -> tuple[str, dict | None, str | None]:
        try:
            return name, source.fetch(name), None
        except Exception as exc:  # noqa: BLE001 - one odd project must not end a run of thousands
            return name, None, f"{type(exc).__name__}: {exc}"

    try:
        with ThreadPoolExecutor(max_workers=max(1, args.workers)) as pool:
            futures = [pool.submit(task, n) for n in todo]
            for future in as_completed(futures):
                name, entry, error = future.result()
                with lock:
                    done += 1
                    if error:
                        failures[name] = error
                    elif entry is None:
                        not_in_source.add(name)
                    else:
                        requests += entry.pop("requests", 0)
                        entry["via"] = source.via
                        entry["depth"] = MAX_DEPTH
                        entry["fetched"] = dt.date.today().isoformat()
                        entries[name] = entry
                    if done % 200 == 0 or done == len(todo):
                        elapsed = time.monotonic() - started
                        print(f"  {done}/{len(todo)} read in {elapsed:.0f} s ({len(failures)} failures, "
                              f"{len(not_in_source)} not in source, {requests} wheel range requests)",
                              file=sys.stderr)
                    if done % 200 == 0:
                        save_cache(cache_path, entries)
    finally:
        save_cache(cache_path, entries)

    for name, error in sorted(failures.items())[:30]:
        print(f"  failed: {name}: {error}", file=sys.stderr)
    if args.offline:
        not_in_source = {n for n in top.names if n not in entries}
    source_text = args.source_text or (
        "wheel file lists (zip central directories) of the newest release of each ranked project, read from "
        + " and ".join(sorted({e.get("via", "?") for n, e in entries.items() if n in set(top.names)})))
    document = build(top.names, entries, args.date, source_text, top.ranking, len(failures), len(not_in_source))
    size = write_output(args.output, document)
    meta = document["meta"]
    disagreements = 0
    derived = derive_all([n for n in top.names if entries.get(n, {}).get("status") == "ok"], entries)
    for canonical, names in derived.items():
        entry = entries[canonical]
        if entry.get("top_level") is not None:
            ours = {n.split(".", 1)[0] for n in names}
            theirs = {n.split("/", 1)[0] for n in entry["top_level"] if _identifier(n.split("/", 1)[0])}
            if ours != theirs:
                disagreements += 1
    print(f"wrote {args.output} ({size:,} bytes gzipped): {meta['count']} import names, {meta['entries']} listed, "
          f"{len(document['implied'])} implied; {meta['distributions_scanned']} distributions scanned, "
          f"{meta['sdist_only']} sdist-only, {meta['failures']} failures, {meta['not_in_source']} not in source; "
          f"{disagreements} differ from their top_level.txt; {time.monotonic() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
