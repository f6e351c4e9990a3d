#!/usr/bin/env python3
"""Regenerate ``preflight/data/debian_packages.txt.gz``: package names in Debian ``main`` for Cloud's releases.

For each release (default: bookworm and trixie, the releases seen in Community Cloud build logs) the script
downloads ``dists/<release>/main/binary-amd64/Packages.xz`` and ``.../binary-all/Packages.xz`` from a Debian
mirror (default: the first Debian mirror in apt's sources on this machine, so no host is written here), checks each
file's SHA256 against the release's ``InRelease`` (whose OpenPGP signature is verified with ``gpgv`` and the
Debian archive keyring when both are installed), and collects

* every ``Package:`` name, and
* every virtual name from the ``Provides:`` fields (version constraints such as ``(= 1.2)`` dropped),

because ``apt-get install NAME`` accepts both (a purely virtual name with a single provider is installed
through that provider).

Output (gzip of UTF-8 text, read by ``preflight.data.debian_packages()``)::

    # comment lines: generated date, mirror, index URLs and their Release dates / versions
    [bookworm]
    <one name per line, sorted>
    [trixie]
    ...

Usage::

    python3 scripts/update_debian_packages.py [--mirror URL] [--release bookworm --release trixie] [--output PATH]

Only the standard library is used (urllib, lzma, gzip, hashlib); time-outs are bounded and requests retried.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import lzma
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path


def apt_mirror() -> str | None:
    """The first ``.../debian`` URI in apt's sources (one-line or deb822 format), or None."""
    candidates = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for path in candidates:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for match in re.finditer(r"(?:^deb\s+(?:\[[^\]]*\]\s+)?|^URIs:\s*)(\S+/debian)/?\s", text, re.MULTILINE):
            return match.group(1)
    return None
DEFAULT_RELEASES = ["bookworm", "trixie"]
ARCHES = ["amd64", "all"]
COMPONENT = "main"
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "preflight" / "data" / "debian_packages.txt.gz"
KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
TIMEOUT = 60
RETRIES = 4


def _get(url: str) -> bytes:
    last: Exception | None = None
    for attempt in range(RETRIES):
        try:
            request = urllib.request.Request(url, headers={"User-Agent": "cloud-preflight-data-updater/1"})
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            if exc.code in (403, 404, 410):
                raise
            last = exc
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            last = exc
        time.sleep(2 ** attempt)
    raise RuntimeError(f"{url}: giving up after {RETRIES} attempts: {last}")


def _verify_signature(inrelease: bytes, url: str) -> str:
    gpgv = shutil.which("gpgv")
    if not gpgv or not KEYRING.exists():
        return "signature not checked (gpgv or keyring missing)"
    with tempfile.NamedTemporaryFile(suffix=".InRelease", delete=False) as handle:
        handle.write(inrelease)
        path = handle.name
    try:
        result = subprocess.run([gpgv, "--keyring", str(KEYRING), path], capture_output=True, text=True, timeout=60)
    finally:
        os.unlink(path)
    if result.returncode != 0:
        raise RuntimeError(f"{url}: OpenPGP signature check failed:\n{result.stderr}")
    return "signature verified"


def _release_info(mirror: str, release: str) -> tuple[dict[str, str], dict[str, str], str]:
    """(fields, sha256 by path, signature status) from dists/<release>/InRelease."""
    url = f"{mirror}/dists/{release}/InRelease"
    raw = _get(url)
    status = _verify_signature(raw, url)
    text = raw.decode("utf-8", "replace")
    fields: dict[str, str] = {}
    sums: dict[str, str] = {}
    section = None
    for line in text.splitlines():
        if line.startswith("-----BEGIN PGP SIGNATURE"):
            break
        if line.startswith(" ") and section == "SHA256":
            digest, _size, path = line.split()
            sums[path] = digest
        elif ":" in line and not line.startswith(" "):
            key, _, value = line.partition(":")
            section = key
            fields[key] = value.strip()
    return fields, sums, status


def _names(packages_text: str) -> tuple[set[str], set[str]]:
    """(package names, provided virtual names) from a Packages index."""
    packages: set[str] = set()
    provides: set[str] = set()
    field = None
    for line in packages_text.splitlines():
        if not line:
            field = None
            continue
        if line[0] in " \t":
            value = line  # continuation of the previous field
        else:
            field, _, value = line.partition(":")
        if field == "Package":
            packages.add(value.strip())
        elif field == "Provides":
            for item in value.split(","):
                name = re.sub(r"\(.*?\)", "", item).strip()
                name = name.split(":")[0].strip()  # drop :any style arch qualifiers, if any
                if name:
                    provides.add(name)
    return packages, provides


def collect(mirror: str, release: str) -> tuple[set[str], list[str]]:
    fields, sums, status = _release_info(mirror, release)
    header = [f"{release}: {mirror}/dists/{release}/InRelease -- {fields.get('Origin', '?')} "
              f"{fields.get('Version', '')} ({fields.get('Suite', '?')}), Date: {fields.get('Date', '?')}; {status}"]
    names: set[str] = set()
    for arch in ARCHES:
        path = f"{COMPONENT}/binary-{arch}/Packages.xz"
        url = f"{mirror}/dists/{release}/{path}"
        raw = _get(url)
        digest = hashlib.sha256(raw).hexdigest()
        if path in sums and sums[path] != digest:
            raise RuntimeError(f"{url}: SHA256 {digest} does not match InRelease {sums[path]}")
        checked = "sha256 ok" if path in sums else "sha256 not listed in InRelease"
        packages, provides = _names(lzma.decompress(raw).decode("utf-8", "replace"))
        names |= packages | provides
        header.append(f"  {url} ({checked}): {len(packages)} packages, {len(provides)} provided names")
        print(header[-1], file=sys.stderr)
    return names, header


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", default=None, help="Debian mirror URL (default: the one in apt's sources)")
    parser.add_argument("--release", action="append", help="Debian codename (repeatable)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    mirror = (args.mirror or apt_mirror() or "").rstrip("/")
    if not mirror:
        print("no Debian mirror in apt's sources; pass --mirror URL", file=sys.stderr)
        return 2
    releases = args.release or DEFAULT_RELEASES

    body: list[str] = []
    comments = [
        "# Debian 'main' package names (binary packages + virtual names from Provides:), amd64 and all",
        f"# generated: {dt.datetime.now(dt.UTC).date().isoformat()} by scripts/update_debian_packages.py",
        f"# source: {mirror} Packages indexes listed below",
    ]
    for release in releases:
        names, header = collect(mirror, release)
        comments += [f"# {line}" for line in header]
        comments.append(f"#   -> {len(names)} names in [{release}]")
        body.append(f"[{release}]")
        body += sorted(names)
    # The header names the mirror generically: registry hosts are not written into this repository.
    text = "\n".join(c.replace(mirror, "<the Debian mirror from apt's sources>") for c in comments) + "\n"
    text += "\n".join(body) + "\n"
    args.output.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
    print(f"wrote {args.output} ({args.output.stat().st_size} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
