#!/usr/bin/env bash
# Regenerate requirements-action.txt: the Action image's Python packages, every one pinned with the hashes
# of all its files on the package index, installed in the Dockerfile with
# `pip install --require-hashes --no-deps --only-binary :all:`.
#
#   bash tests/container/requirements-action.sh
#
# Inputs: pyproject.toml's runtime dependencies, its `action` extra, and its build backend (setuptools,
# needed to install the project itself without build isolation). The index is pip's default one: this
# machine's own pip configuration (local wheel folders, extra indexes, constraints) is ignored so that
# the hashes are those of the files a clean machine downloads.
#
# Left out on purpose: cryptography. PyGithub asks for PyJWT's optional crypto backend, which only signs
# GitHub App JWTs; the Action authenticates with a token, PyJWT imports the backend only when present,
# and leaving it out keeps 16 MB out of the image (tests/test_container.py runs the comment flow).
set -euo pipefail
cd "$(dirname "$0")/../.."

tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
export PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1
unset PIP_FIND_LINKS PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_CONSTRAINT PIP_NO_INDEX

python3 -m venv "$tools/venv"
"$tools/venv/bin/python" -m pip install --quiet 'pip-tools==7.6.2'
CUSTOM_COMPILE_COMMAND='bash tests/container/requirements-action.sh' \
  "$tools/venv/bin/pip-compile" --quiet --no-emit-index-url --no-emit-find-links --strip-extras \
  --generate-hashes --extra action --build-deps-for wheel \
  --unsafe-package cryptography --no-allow-unsafe \
  --output-file "$tools/requirements-action.txt" pyproject.toml
# pip-compile warns that what it left out is not pinned; --no-deps makes that moot, so say why instead.
python3 - "$tools/requirements-action.txt" requirements-action.txt <<'PY'
import sys

text = open(sys.argv[1], encoding="utf-8").read()
head, sep, _ = text.partition("\n# WARNING: The following packages were not pinned")
note = "\n# Left out on purpose: cryptography (see tests/container/requirements-action.sh).\n" if sep else ""
open(sys.argv[2], "w", encoding="utf-8").write(head.rstrip("\n") + "\n" + note)
PY
echo "wrote requirements-action.txt"
