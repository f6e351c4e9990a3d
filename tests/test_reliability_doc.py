"""docs/reliability.md is kept in sync with the test suite: its tables are generated from the case lists the
tests run (hostile repositories, properties, fuzz targets, API faults, resource bounds, canaries). Each table sits
between ``<!-- generated: NAME -->`` and ``<!-- end: NAME -->``; ``UPDATE_GOLDEN=1`` rewrites them in place (the
prose around them is written by hand). Review the diff like code."""

from __future__ import annotations

import os
import re

from tests.conftest import ROOT
from tests.output_invariants import Case

DOC = ROOT / "docs" / "reliability.md"
BLOCK_RE = re.compile(r"(<!-- generated: (?P<name>[a-z-]+) -->\n)(?P<body>.*?)(<!-- end: (?P=name) -->)", re.S)


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _table(header: tuple[str, str, str], cases: list[Case]) -> str:
    lines = [f"| {header[0]} | {header[1]} | {header[2]} |", "|---|---|---|"]
    lines += [f"| {_cell(c.id)} | {_cell(c.tried)} | {_cell(c.outcome)} |" for c in cases]
    return "\n".join(lines) + "\n"


def blocks() -> dict[str, str]:
    from tests import test_api_faults, test_fuzz_parsers, test_hostile_repos, test_invariants, test_resource_bounds
    from tests.fuzz.targets import seeds
    from tests.test_no_execution import CANARY_FILES, PTH_FILES
    from tests.test_secrets_never_printed import CANARIES, FORMATS

    hostile = [h.case for h in test_hostile_repos.HOSTILE] + test_hostile_repos.GIT_CASES + \
        test_hostile_repos.CONFIG_CASES
    properties = [Case(c.id, c.tried, f"{c.outcome} ({test_invariants.EXAMPLES_PER_PROPERTY[c.id]} examples "
                                      f"per run)") for c in test_invariants.PROPERTIES]
    fuzz = [Case(c.id, f"{c.tried} ({len(seeds(c.id))} seeds)", c.outcome) for c in test_fuzz_parsers.FUZZ_TARGETS]
    canaries = ", ".join(f"`{name}`" for name in [*CANARY_FILES, *PTH_FILES])
    return {
        "hostile": _table(("case", "input", "outcome"), hostile),
        "properties": _table(("level", "generated", "invariants"), properties),
        "fuzz": _table(("target", "input", "checked on every execution"), fuzz),
        "faults": _table(("fault", "injected", "outcome"), [f.case for f in test_api_faults.FAULTS]),
        "bounds": _table(("case", "input", "outcome"), test_resource_bounds.BOUNDS),
        "canaries": f"{len(CANARY_FILES) + len(PTH_FILES)} canary files, each writing a marker when run: "
                    f"{canaries}; plus `pyproject.toml` naming the in-tree build backend and `-e .` in "
                    f"requirements.txt. {len(CANARIES)} secret canaries checked in {len(FORMATS)} formats "
                    f"({', '.join(FORMATS)}) and in every output of the Action.\n",
    }


def test_reliability_doc_is_in_sync():
    text = DOC.read_text(encoding="utf-8")
    expected = blocks()
    found = {m.group("name"): m.group("body") for m in BLOCK_RE.finditer(text)}
    if os.environ.get("UPDATE_GOLDEN") == "1":
        text = BLOCK_RE.sub(lambda m: m.group(1) + expected.get(m.group("name"), m.group("body")) + m.group(4), text)
        DOC.write_text(text, encoding="utf-8")
        found = {m.group("name"): m.group("body") for m in BLOCK_RE.finditer(text)}
    assert set(found) == set(expected), f"blocks in the doc: {sorted(found)}; generated: {sorted(expected)}"
    for name, body in expected.items():
        assert found[name] == body, f"docs/reliability.md block {name!r} is stale: run UPDATE_GOLDEN=1 " \
                                    f"python -m pytest tests/test_reliability_doc.py and review the diff"
