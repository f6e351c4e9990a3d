"""The rule registry: codes and names unique and stable, every rule documented and covered by fixtures."""

from __future__ import annotations

import re

import pytest

from checks import ALL_RULES
from preflight.rules import REQUIRED_SECTIONS
from tests.test_fixtures import RULE_CASES, load_case


def test_codes_and_names_unique():
    codes = [r.code for r in ALL_RULES]
    names = [r.name for r in ALL_RULES]
    assert len(codes) == len(set(codes)), sorted(c for c in codes if codes.count(c) > 1)
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


def test_family_matches_module():
    families = {"parsing": "CP0", "dependency_files": "CP1", "imports": "CP2", "requirements": "CP3",
                "resolution": "CP3", "system_packages": "CP4", "python_version": "CP5", "streamlit_version": "CP5",
                "streamlit_config": "CP6", "paths": "CP7", "guard": "CP8"}
    for current in ALL_RULES:
        assert current.code.startswith(families[current.family]), (current.code, current.family)


@pytest.mark.parametrize("current", ALL_RULES, ids=[r.code for r in ALL_RULES])
def test_rule_documented(current):
    doc = current.doc
    assert current.summary and current.summary.endswith("."), f"{current.code}: one-line summary ending in '.'"
    for section in REQUIRED_SECTIONS:
        assert section in doc, f"{current.code} lacks {section!r}"
    refs = doc.split("## References", 1)[1]
    assert re.search(r"https://", refs), f"{current.code}: References must link a source"


def _cases_for(code: str, kind: str) -> list[str]:
    out = []
    for case in RULE_CASES:
        meta = load_case(case)
        rules = meta["rule"] if isinstance(meta["rule"], list) else [meta["rule"]]
        if code in rules and meta.get("kind", "fires") == kind:
            out.append(case.name)
    return out


# Rules whose firing case cannot be a committed fixture (a file over GitHub's 100 MB limit), with the test
# module that makes the case at run time instead.
# CP363 needs the cache of an earlier run and a newer release on the index between two runs.
FIRES_IN_UNIT_TEST = {"CP711": "tests/test_paths_sizes.py", "CP363": "tests/test_resolve.py"}


@pytest.mark.parametrize("current", ALL_RULES, ids=[r.code for r in ALL_RULES])
def test_rule_has_firing_case_and_near_miss(current):
    if current.code in FIRES_IN_UNIT_TEST:
        from tests.conftest import ROOT

        source = (ROOT / FIRES_IN_UNIT_TEST[current.code]).read_text(encoding="utf-8")
        assert current.code in source, f"{FIRES_IN_UNIT_TEST[current.code]} must exercise {current.code}"
    else:
        assert _cases_for(current.code, "fires"), f"{current.code}: no fixture where it fires"
    assert _cases_for(current.code, "near-miss"), f"{current.code}: no near-miss fixture"
