#!/usr/bin/env python3
"""The Action's entry point: GitHub inputs and context -> run -> annotations, summary, comment, outputs.

This first version maps the basic inputs to the CLI and prints workflow-command annotations; the full
Action (job summary, sticky comment, outputs, SARIF, guard) is built on it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _input(name: str, default: str = "") -> str:
    # The runner keeps hyphens in input names: INPUT_FAIL-ON.
    return os.environ.get(f"INPUT_{name.upper()}", default).strip()


def main() -> int:
    from preflight.cli import main as cli_main

    workspace = os.environ.get("GITHUB_WORKSPACE", ".")
    args = [os.path.join(workspace, _input("path", ".")), "--format", "github"]
    for entry in filter(None, (e.strip() for e in _input("entrypoints").replace(",", "\n").splitlines())):
        args += ["--entrypoint", entry]
    if _input("config"):
        args += ["--config", _input("config")]
    if _input("fail-on"):
        args += ["--fail-on", _input("fail-on")]
    return cli_main(args)


if __name__ == "__main__":
    raise SystemExit(main())
