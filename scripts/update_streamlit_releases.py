#!/usr/bin/env python3
"""Regenerate ``preflight/data/streamlit_releases.json`` from PyPI.

For every ``streamlit`` release >= 0.80 on PyPI it records:

* ``date`` -- the earliest upload time of the release's files (UTC, ``YYYY-MM-DD``);
* ``requires_python`` -- ``Requires-Python`` as PyPI's JSON gives it ("" when the release declares none);
* ``requires_dist`` -- the ``Requires-Dist`` metadata, list of strings exactly as PyPI gives them;
* ``yanked`` -- true when every file of the release is yanked.

Sources, all on the PyPI registry (stdlib ``urllib`` only, bounded time-outs and retries):

1. the project JSON document (``<index>/pypi/streamlit/json``) -- the release list, upload times, Requires-Python, yanked flags.
   (Its ``info.requires_dist`` describes only the newest release and has been seen stale, so it is used only
   as a cross-check.)
2. the per-version JSON documents (``<index>/pypi/streamlit/<version>/json``) -- Requires-Dist per release.  Some networks (including
   the one this project's machines use) answer 404 for these per-version documents; the script then falls
   back to
3. the ``*.dist-info/METADATA`` file of each release's wheel on PyPI's file host, read with HTTP range
   requests (only the zip's central directory and the METADATA member are transferred, ~100 KB per release);
   if the server ignores range requests, the whole wheel is downloaded instead.

The index is the one pip uses: ``--index-base``, else pip's built-in default (``pip._internal.models.index.PyPI``),
so no registry host is written in this repository.

Releases are immutable, so by default Requires-Dist/Requires-Python already recorded in the existing data
file are reused and only new releases are fetched; ``--full`` fetches everything again.  Dates and yanked
flags always come from the fresh project document.

Usage::

    python3 scripts/update_streamlit_releases.py [--full] [--output PATH] [--min-version 0.80]
"""

from __future__ import annotations

import argparse
import datetime as dt
import email.parser
import io
import json
import struct
import sys
import time
import urllib.error
import urllib.request
import zipfile
import zlib
from pathlib import Path
from urllib.parse import urljoin

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version


def _pip_index_base() -> str:
    """The JSON API base of the index pip talks to by default (e.g. "https://<host>/pypi")."""
    from pip._internal.models.index import PyPI  # pip knows its default index; we do not hard-code it

    return PyPI.pypi_url


PROJECT_URL = ""  # set in main() from --index-base
VERSION_URL = ""
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "preflight" / "data" / "streamlit_releases.json"
USER_AGENT = "cloud-preflight-data-updater/1 (python urllib)"
TIMEOUT = 30
RETRIES = 4


class NotFound(Exception):
    pass


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """GET with retries; 404 raises NotFound at once (a 'no' is final)."""
    last: Exception | None = None
    for attempt in range(RETRIES):
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            if exc.code in (403, 404, 410):
                raise NotFound(f"{url}: HTTP {exc.code}") from exc
            last = exc
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            last = exc
        time.sleep(2 ** attempt)
    raise RuntimeError(f"{url}: giving up after {RETRIES} attempts: {last}")


def _get_json(url: str) -> dict:
    return json.loads(_get(url, {"Accept": "application/json"})[1])


def _range(url: str, start: int, end: int, total: int) -> bytes:
    """Bytes start..end (inclusive) of url; the whole file if the server ignores Range."""
    status, body = _get(url, {"Range": f"bytes={start}-{end}"})
    if status == 206:
        return body
    if len(body) == total:  # server sent everything
        return body[start:end + 1]
    raise RuntimeError(f"{url}: unexpected range answer {status} ({len(body)} bytes)")


def _metadata_from_wheel(url: str, size: int) -> str:
    """The text of *.dist-info/METADATA in the remote wheel, reading as little as possible."""
    tail_len = min(size, 65536)
    tail = _range(url, size - tail_len, size - 1, size)
    eocd = tail.rfind(b"PK\x05\x06")
    if eocd < 0:
        return _metadata_full_download(url)
    cd_size, cd_offset = struct.unpack("<II", tail[eocd + 12:eocd + 20])
    if cd_offset == 0xFFFFFFFF or cd_size == 0xFFFFFFFF:  # zip64: not expected for wheels
        return _metadata_full_download(url)
    tail_start = size - tail_len
    if cd_offset >= tail_start:
        cd = tail[cd_offset - tail_start:cd_offset - tail_start + cd_size]
    else:
        cd = _range(url, cd_offset, cd_offset + cd_size - 1, size)
    pos = 0
    while pos + 46 <= len(cd) and cd[pos:pos + 4] == b"PK\x01\x02":
        (method, comp_size, name_len, extra_len, comment_len, local_offset) = (
            struct.unpack("<H", cd[pos + 10:pos + 12])[0],
            struct.unpack("<I", cd[pos + 20:pos + 24])[0],
            *struct.unpack("<HHH", cd[pos + 28:pos + 34]),
            struct.unpack("<I", cd[pos + 42:pos + 46])[0],
        )
        name = cd[pos + 46:pos + 46 + name_len].decode("utf-8", "replace")
        pos += 46 + name_len + extra_len + comment_len
        parts = name.split("/")
        if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
            # local header (30 bytes + name + extra) precedes the data; over-read a little for the extra field
            chunk = _range(url, local_offset, min(size - 1, local_offset + 30 + name_len + 1024 + comp_size), size)
            if chunk[:4] != b"PK\x03\x04":
                return _metadata_full_download(url)
            local_name_len, local_extra_len = struct.unpack("<HH", chunk[26:30])
            start = 30 + local_name_len + local_extra_len
            data = chunk[start:start + comp_size]
            if method == 0:
                raw = data
            elif method == 8:
                raw = zlib.decompressobj(-15).decompress(data)
            else:
                return _metadata_full_download(url)
            return raw.decode("utf-8")
    return _metadata_full_download(url)


def _metadata_full_download(url: str) -> str:
    _, body = _get(url)
    with zipfile.ZipFile(io.BytesIO(body)) as wheel:
        for name in wheel.namelist():
            parts = name.split("/")
            if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
                return wheel.read(name).decode("utf-8")
    raise RuntimeError(f"{url}: no METADATA in wheel")


def _parse_metadata(text: str) -> tuple[str, list[str]]:
    message = email.parser.HeaderParser().parsestr(text)
    return (message.get("Requires-Python") or "").strip(), [r.strip() for r in message.get_all("Requires-Dist") or []]


def _pick_wheel(files: list[dict]) -> dict | None:
    wheels = [f for f in files if f.get("packagetype") == "bdist_wheel"]
    wheels.sort(key=lambda f: (f.get("yanked", False), f.get("upload_time_iso_8601", "")))
    return wheels[0] if wheels else None


def fetch(min_version: Version, previous: dict[str, dict], full: bool,
          previous_how: str = "") -> tuple[dict[str, dict], list[str], str]:
    project = _get_json(PROJECT_URL)
    notes: list[str] = []
    releases: dict[str, dict] = {}
    per_version_json: bool | None = None  # decided by the first request
    method = set()
    spelled = [0]  # releases whose METADATA spells Requires-Python differently but equivalently
    for text, files in project["releases"].items():
        try:
            version = Version(text)
        except InvalidVersion:
            notes.append(f"skipped unparsable version {text!r}")
            continue
        if version < min_version:
            continue
        if not files:
            notes.append(f"{text}: no files on PyPI, skipped")
            continue
        date = min(f["upload_time_iso_8601"] for f in files)[:10]
        yanked = all(f.get("yanked", False) for f in files)
        file_rp = {f.get("requires_python") or "" for f in files}
        json_rp = sorted(file_rp)[-1] if len(file_rp) == 1 else ""
        if len(file_rp) > 1:
            notes.append(f"{text}: files disagree on Requires-Python {sorted(file_rp)}; recorded the METADATA value")
        old = previous.get(text)
        meta_rp: str | None = None
        if old and not full and "requires_dist" in old:
            requires_dist = list(old["requires_dist"])
            method.add(previous_how or "the previous data file")
        else:
            requires_dist = None
            if per_version_json is not False:
                try:
                    info = _get_json(VERSION_URL.format(version=text))["info"]
                    meta_rp, requires_dist = info.get("requires_python") or "", list(info.get("requires_dist") or [])
                    per_version_json = True
                    method.add("PyPI JSON API /pypi/streamlit/<version>/json")
                except (NotFound, RuntimeError) as exc:
                    if per_version_json is None:
                        notes.append(f"per-version JSON API not reachable ({exc}); reading wheel METADATA instead")
                    per_version_json = False
            if requires_dist is None:
                wheel = _pick_wheel(files)
                if wheel is None:
                    notes.append(f"{text}: no wheel, requires_dist unknown")
                    requires_dist = []
                else:
                    url = urljoin(PROJECT_URL, wheel["url"])  # some index mirrors serve relative file URLs
                    meta_rp, requires_dist = _parse_metadata(_metadata_from_wheel(url, wheel["size"]))
                    method.add("wheel *.dist-info/METADATA on PyPI's file host (HTTP range requests)")
                print(f"  {text}: {len(requires_dist)} requirements", file=sys.stderr)
        # Requires-Python as PyPI's JSON gives it (normalised specifier order); METADATA spells it as written
        requires_python = json_rp if len(file_rp) == 1 else (meta_rp or "")
        if meta_rp is not None and meta_rp != requires_python:
            if SpecifierSet(meta_rp) != SpecifierSet(requires_python):
                notes.append(f"{text}: METADATA Requires-Python {meta_rp!r} != PyPI's {requires_python!r}")
            else:
                spelled[0] += 1
        releases[text] = {"date": date, "requires_python": requires_python, "requires_dist": requires_dist,
                          "yanked": yanked}
    if spelled[0]:
        notes.append(f"{spelled[0]} releases: METADATA spells Requires-Python differently from PyPI's JSON "
                     "(same specifiers, other order/spacing); recorded PyPI's JSON value")
    latest = project["info"]["version"]
    if latest in releases and project["info"].get("requires_dist") is not None:
        if list(project["info"]["requires_dist"]) != releases[latest]["requires_dist"]:
            notes.append(f"{latest}: Requires-Dist read from the release differs from the project JSON's "
                         f"info.requires_dist (kept the release's own metadata): "
                         f"{sorted(set(project['info']['requires_dist']) ^ set(releases[latest]['requires_dist']))}")
    how = "; ".join(sorted(method)) or "n/a"
    return releases, notes, how


def dump(releases: dict[str, dict], meta: dict) -> str:
    """Compact, stable JSON: one release per line, releases oldest first, keys sorted inside each release."""
    ordered = sorted(releases, key=Version)
    lines = ["{", f'"meta": {json.dumps(meta, sort_keys=True, ensure_ascii=False)},', '"releases": {']
    for i, version in enumerate(ordered):
        comma = "," if i < len(ordered) - 1 else ""
        lines.append(f"{json.dumps(version)}: {json.dumps(releases[version], sort_keys=True, ensure_ascii=False)}{comma}")
    lines += ["}", "}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--index-base", default=None,
                        help="JSON API base of the package index (default: pip's default index + /pypi)")
    parser.add_argument("--min-version", default="0.80")
    parser.add_argument("--full", action="store_true", help="re-read every release's metadata from PyPI")
    args = parser.parse_args(argv)
    global PROJECT_URL, VERSION_URL
    base = (args.index_base or _pip_index_base()).rstrip("/")
    PROJECT_URL, VERSION_URL = f"{base}/streamlit/json", f"{base}/streamlit/{{version}}/json"

    previous: dict[str, dict] = {}
    previous_how = ""
    if args.output.exists() and not args.full:
        old = json.loads(args.output.read_text("utf-8"))
        previous, previous_how = old.get("releases", {}), old.get("meta", {}).get("requires-dist-source", "")
    releases, notes, how = fetch(Version(args.min_version), previous, args.full, previous_how)
    if not releases:
        print("no releases found; not writing", file=sys.stderr)
        return 1
    newest = max((Version(v) for v in releases if not Version(v).is_prerelease), default=None)
    meta = {
        "generated": dt.datetime.now(dt.UTC).date().isoformat(),
        "source": "PyPI: the project JSON API for streamlit (dates = earliest file upload, Requires-Python, yanked); "
                  f"Requires-Dist from {how}",
        "requires-dist-source": how,
        "generator": "scripts/update_streamlit_releases.py",
        "min-version": args.min_version,
        "newest": str(newest) if newest else "",
        "count": len(releases),
    }
    args.output.write_text(dump(releases, meta), "utf-8")
    for note in notes:
        print("note:", note, file=sys.stderr)
    print(f"wrote {args.output} ({len(releases)} releases, newest {newest})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
