"""Golden-file tests: every tests/fixtures/<case>/repo is checked and compared with <case>/expected.txt.

<case>/case.toml (optional) says what the case is for and how to run it:
    rule = "CP101"          # the rule this case exercises
    kind = "fires"          # or "near-miss": the rule must (not) appear in the output
    args = ["--entrypoint", "app/main.py"]
    env = { CLOUD_PREFLIGHT_TODAY = "2026-09-01" }   # for cases that depend on the date
UPDATE_GOLDEN=1 rewrites expected.txt; review the diff like code.
"""

from __future__ import annotations

import os
import tomllib

import pytest

from tests.conftest import FIXTURES, run_cli

CASES = sorted(p for p in FIXTURES.iterdir() if (p / "repo").is_dir()) if FIXTURES.is_dir() else []


def load_case(case):
    path = case / "case.toml"
    return tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def render_case(case) -> str:
    meta = load_case(case)
    args = [str(case / "repo"), "--no-git", "--color", "never", *meta.get("args", [])]
    saved = {k: os.environ.get(k) for k in meta.get("env", {})}
    os.environ.update(meta.get("env", {}))
    try:
        code, out, err = run_cli(args)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    assert "internal error" not in err, err
    return out + f"exit: {code}\n"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden(case):
    actual = render_case(case)
    expected_path = case / "expected.txt"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        expected_path.write_text(actual, encoding="utf-8")
    assert expected_path.is_file(), f"{expected_path} missing: run with UPDATE_GOLDEN=1 and review it"
    assert actual == expected_path.read_text(encoding="utf-8")


RULE_CASES = [c for c in CASES if "rule" in load_case(c)]


@pytest.mark.parametrize("case", RULE_CASES, ids=[c.name for c in RULE_CASES])
def test_case_purpose(case):
    """A 'fires' case shows its rule; a 'near-miss' case does not."""
    meta = load_case(case)
    output = (case / "expected.txt").read_text(encoding="utf-8")
    codes = meta["rule"] if isinstance(meta["rule"], list) else [meta["rule"]]
    for code in codes:
        if meta.get("kind", "fires") == "fires":
            assert f" {code} " in output, f"{case.name}: expected {code} to fire"
        else:
            assert f" {code} " not in output, f"{case.name}: {code} must not fire on this near miss"
