# The Action's image. GitHub runs it as root, mounts the workspace at /github/workspace and makes that the
# working directory, so nothing here uses USER or relies on WORKDIR.
#
# BASE_IMAGE is any Debian-based image. Without Python >= 3.11 (debian:*-slim, a debootstrapped Debian)
# Debian's own python3 is installed (bookworm: 3.11); an image that has one (python:3.1x-slim) keeps it.
# The default is debian:bookworm-slim pinned by digest: the OCI image index (amd64, arm64, ...) that tag
# resolved to in builds of 2026-09 (Debian 12 with libc6 2.36-9+deb12u14); re-pin deliberately with
# `docker buildx imagetools inspect debian:bookworm-slim`. Debian's python3 rather than python:3.12-slim:
# tests/test_container.py can only build FROM a debootstrapped bookworm, so these are the steps it tests, and
# it leaves room under the 150 MB limit (about 142 MB; python:3.12-slim alone is about 124 MB).
ARG BASE_IMAGE=debian:bookworm-slim@sha256:3783cc01769c7b2b1b83a5c5ad96c815348e28ed7da68e2e3687004faa906251

FROM ${BASE_IMAGE} AS python
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# When Debian's python3 is installed here, its standard library is kept as bytecode only (sourceless .pyc;
# py_compile.py stays for Debian's package scripts) and without pydoc_data, test, lib2to3 and idlelib: about
# 12 MB less, which makes room for uv.
RUN set -eu; \
    if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then \
        apt-get update; \
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3; \
        apt-get clean; \
        rm -rf /var/lib/apt/lists/* /var/log/apt /var/log/dpkg.log /var/cache/debconf/*-old; \
        stdlib=$(python3 -c 'import sysconfig; print(sysconfig.get_path("stdlib"))'); \
        rm -rf "$stdlib/pydoc_data" "$stdlib/test" "$stdlib/lib2to3" "$stdlib/idlelib" "$stdlib/turtledemo"; \
        python3 -m compileall -q -b -j 0 --invalidation-mode unchecked-hash -x '/(site|dist)-packages/' "$stdlib"; \
        find "$stdlib" -name __pycache__ -prune -exec rm -rf {} +; \
        find "$stdlib" -name '*.py' -not -path '*-packages/*' -not -name py_compile.py -delete; \
    fi; \
    python3 -c 'import sys; assert sys.version_info >= (3, 11), sys.version'

# The virtual environment is made here, with pip; the image gets the environment without pip.
FROM python AS build
# PIP_CERT: a CA bundle for pip when the build goes through a TLS-inspecting proxy (the tests mount the
# host's /etc/ssl/certs read-only at another path, since ca-certificates is installed here, and name its bundle).
ARG PIP_CERT
RUN set -eu; \
    if ! python3 -c 'import ensurepip' 2>/dev/null; then \
        apt-get update; \
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-venv; \
    fi; \
    python3 -m venv /opt/venv
COPY requirements-action.txt /src/
RUN set -eu; \
    if [ -z "${PIP_CERT:-}" ]; then unset PIP_CERT; fi; \
    /opt/venv/bin/python -m pip install --no-cache-dir --disable-pip-version-check --no-compile \
        --require-hashes --no-deps --only-binary :all: -r /src/requirements-action.txt
COPY pyproject.toml README.md /src/
COPY preflight /src/preflight
COPY checks /src/checks
# uv (for --resolve) is a 38 MB binary: the image keeps it xz-compressed (12 MB) and preflight/resolve.py unpacks
# it to a temporary folder on first use (about 0.6 s); CLOUD_PREFLIGHT_UV names the file. The installed
# packages become sourceless bytecode, like the standard library.
RUN set -eu; \
    /opt/venv/bin/python -m pip install --no-cache-dir --disable-pip-version-check --no-compile \
        --no-index --no-deps --no-build-isolation /src; \
    /opt/venv/bin/python -m pip uninstall --yes --disable-pip-version-check setuptools pip; \
    rm -f /opt/venv/bin/activate* /opt/venv/bin/Activate.ps1; \
    /opt/venv/bin/python -c 'import lzma, sys; lzma.open(sys.argv[1] + ".xz", "wb", preset=6).write(open(sys.argv[1], "rb").read())' /opt/venv/bin/uv; \
    rm -f /opt/venv/bin/uv /opt/venv/bin/uvx; \
    /opt/venv/bin/python -m compileall -q -b -j 0 --invalidation-mode unchecked-hash /opt/venv/lib; \
    find /opt/venv/lib -name __pycache__ -prune -exec rm -rf {} +; \
    find /opt/venv/lib -name '*.py' -delete

FROM python
ENV CLOUD_PREFLIGHT_UV=/opt/venv/bin/uv.xz
COPY --from=build /opt/venv /opt/venv
COPY entrypoint.py /app/entrypoint.py
# -I: neither the workspace (the working directory) nor PYTHON* variables, user site-packages or the
# script's folder reach sys.path; -B: nothing written next to the code; -X utf8: UTF-8 in and out whatever
# the locale.
ENTRYPOINT ["/opt/venv/bin/python", "-I", "-B", "-X", "utf8", "/app/entrypoint.py"]
