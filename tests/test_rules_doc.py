"""docs/rules.md is generated from the rules' docstrings and must not drift; its anchors match Finding.url."""

from __future__ import annotations

import importlib.util
import re

import pytest

from checks import ALL_RULES
from preflight.model import DOCS_URL, Finding, Location, Severity
from tests.conftest import ROOT

RULES_MD = ROOT / "docs" / "rules.md"


def _load_generator():
    spec = importlib.util.spec_from_file_location("gen_rules_doc", ROOT / "scripts" / "gen_rules_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _load_generator()


def test_rules_doc_is_up_to_date():
    expected = gen.generate()
    actual = RULES_MD.read_text(encoding="utf-8") if RULES_MD.is_file() else ""
    assert actual == expected, "docs/rules.md is out of date: run `python scripts/gen_rules_doc.py`"


@pytest.mark.parametrize("current", ALL_RULES, ids=[r.code for r in ALL_RULES])
def test_heading_anchor_matches_finding_url(current):
    text = gen.generate()
    heading = f"{current.code} {current.name}"
    assert f"\n## {heading}\n" in text
    anchor = gen.github_anchor(heading)
    assert anchor == current.anchor == f"{current.code.lower()}-{current.name}"
    finding = Finding(current.code, current.name, current.severity, "m", Location("a.py"))
    assert finding.url == f"{DOCS_URL}#{anchor}"
    assert f"| [{current.code}](#{anchor}) | `{current.name}` | {current.severity.label} |" in text


def test_github_anchor_algorithm():
    assert gen.github_anchor("CP101 dep-file-missing") == "cp101-dep-file-missing"
    assert gen.github_anchor("Why is this bad?") == "why-is-this-bad"
    assert gen.github_anchor("A `code` & Thing") == "a-code--thing"


def test_rule_anchors_unique_and_no_other_heading_collides():
    text = gen.generate()
    anchors = [gen.github_anchor(m) for m in re.findall(r"^#{1,6} (.+)$", text, flags=re.MULTILINE)]
    rule_anchors = [r.anchor for r in ALL_RULES]
    for anchor in rule_anchors:
        assert anchors.count(anchor) == 1, anchor


def test_docstring_sections_are_nested_under_the_rule():
    text = gen.generate()
    level2 = re.findall(r"^## (.+)$", text, flags=re.MULTILINE)
    assert level2 == [f"{r.code} {r.name}" for r in sorted(ALL_RULES, key=lambda r: r.code)]


def test_demote_headings_leaves_code_fences_alone():
    src = "## Why\ntext\n```python\n## not a heading\n# comment\n```\n## Fix"
    assert gen.demote_headings(src) == "### Why\ntext\n```python\n## not a heading\n# comment\n```\n### Fix"


def test_summary_pipes_are_escaped():
    class Fake:
        code, name, severity, anchor, summary = "CP999", "fake-rule", Severity.NOTE, "cp999-fake-rule", "a | b."
        doc = "a | b.\n\n## Why is this bad?\nx"

        class func:  # noqa: N801 - stands in for the rule function
            __module__ = "checks.fake"

    text = gen.generate([Fake])
    assert "| [CP999](#cp999-fake-rule) | `fake-rule` | note | a \\| b. |" in text


def test_check_mode_exit_codes(tmp_path, capsys):
    out = tmp_path / "rules.md"
    assert gen.main(["--output", str(out)]) == 0
    assert gen.main(["--check", "--output", str(out)]) == 0
    out.write_text(out.read_text(encoding="utf-8") + "drift\n", encoding="utf-8")
    assert gen.main(["--check", "--output", str(out)]) == 1
    assert "run `python scripts/gen_rules_doc.py`" in capsys.readouterr().err
    assert gen.main(["--check", "--output", str(tmp_path / "missing.md")]) == 1
