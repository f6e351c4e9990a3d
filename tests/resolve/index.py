"""A local package index made of tiny real distributions, for the resolution tests (no network).

``Index(root).add(name, version, tags=..., requires=..., requires_python=..., sdist=...)`` writes a real wheel
(a zip with ``METADATA``, ``WHEEL`` and ``RECORD``; no code) and optionally an sdist, into ``root/files``.
``index.simple()`` writes a PEP 503 simple index for them (``root/simple/<name>/index.html``), where a
version can be marked yanked (PEP 592). ``serve(index)`` serves ``root`` over loopback HTTP.
"""

from __future__ import annotations

import base64
import hashlib
import html
import http.server
import io
import re
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

_EPOCH = 1577836800  # 2020-01-01: fixed times, so the same package is the same bytes


def _entry(path: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


@dataclass
class Index:
    root: Path
    yanked: dict[str, str] = field(default_factory=dict)  # file name -> reason
    requires_python: dict[str, str] = field(default_factory=dict)  # file name -> Requires-Python

    @property
    def files(self) -> Path:
        path = self.root / "files"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def add(self, name: str, version: str, *, tags: tuple[str, ...] = ("py3-none-any",),
            requires: tuple[str, ...] = (), requires_python: str | None = None, sdist: bool = False,
            yanked: str | None = None) -> list[Path]:
        """Write one wheel per tag (``cp311-cp311-manylinux_2_17_x86_64`` ...) and an sdist when asked."""
        dist = re.sub(r"[-_.]+", "_", name)
        meta = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
        if requires_python:
            meta.append(f"Requires-Python: {requires_python}")
        meta += [f"Requires-Dist: {r}" for r in requires]
        metadata = ("\n".join(meta) + "\n").encode()
        written = []
        for tag in tags:
            filename = f"{dist}-{version}-{tag}.whl"
            info = f"{dist}-{version}.dist-info"
            wheel = (f"Wheel-Version: 1.0\nGenerator: cloud-preflight-tests\nRoot-Is-Purelib: "
                     f"{'true' if tag.endswith('-none-any') else 'false'}\nTag: {tag}\n").encode()
            module = f"{dist.lower()}/__init__.py"
            body = b""
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
                records = []
                for path, data in ((module, body), (f"{info}/METADATA", metadata), (f"{info}/WHEEL", wheel)):
                    zf.writestr(_entry(path), data)
                    records.append(_record_line(path, data))
                records.append(f"{info}/RECORD,,")
                zf.writestr(_entry(f"{info}/RECORD"), "\n".join(records) + "\n")
            target = self.files / filename
            target.write_bytes(buffer.getvalue())
            written.append(target)
        if sdist:
            filename = f"{dist}-{version}.tar.gz"
            buffer = io.BytesIO()
            with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=9) as tf:
                data = metadata
                member = tarfile.TarInfo(f"{dist}-{version}/PKG-INFO")
                member.size, member.mtime = len(data), _EPOCH
                tf.addfile(member, io.BytesIO(data))
            target = self.files / filename
            target.write_bytes(buffer.getvalue())
            written.append(target)
        for path in written:
            if yanked is not None:
                self.yanked[path.name] = yanked
            if requires_python:
                self.requires_python[path.name] = requires_python
        return written

    def simple(self) -> Path:
        """A PEP 503 simple index over ``files`` (links relative to the project page)."""
        by_project: dict[str, list[Path]] = {}
        for path in sorted(self.files.iterdir()):
            project = _normal(path.name.split("-", 1)[0])
            by_project.setdefault(project, []).append(path)
        simple = self.root / "simple"
        simple.mkdir(parents=True, exist_ok=True)
        links = []
        for project, paths in sorted(by_project.items()):
            rows = []
            for path in paths:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                attrs = ""
                if path.name in self.requires_python:
                    attrs += f' data-requires-python="{html.escape(self.requires_python[path.name])}"'
                if path.name in self.yanked:
                    attrs += f' data-yanked="{html.escape(self.yanked[path.name])}"'
                rows.append(f'<a href="../../files/{path.name}#sha256={digest}"{attrs}>{path.name}</a><br/>')
            page = simple / project
            page.mkdir(exist_ok=True)
            (page / "index.html").write_text("<!DOCTYPE html><html><body>\n" + "\n".join(rows) + "\n</body></html>\n",
                                             encoding="utf-8")
            links.append(f'<a href="{project}/">{project}</a><br/>')
        (simple / "index.html").write_text("<!DOCTYPE html><html><body>\n" + "\n".join(links) + "\n</body></html>\n",
                                           encoding="utf-8")
        return simple


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's signature
        pass


@contextmanager
def serve(root: Path) -> Iterator[str]:
    """Serve ``root`` on a free loopback port; yields the base URL."""

    def handler(*args, **kwargs):  # type: ignore[no-untyped-def]
        return _QuietHandler(*args, directory=str(root), **kwargs)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
