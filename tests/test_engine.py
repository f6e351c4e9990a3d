"""The engine: selection, default-off rules, severity overrides, merging, crashing rules."""

from __future__ import annotations

from preflight.config import Config
from preflight.engine import run
from preflight.model import Severity
from preflight.project import Project
from preflight.rules import rule


@rule("CP901", "test-per-app", Severity.WARNING)
def per_app(ctx):
    """Test rule."""
    for app in ctx.apps:
        yield ctx.finding("same message for every app", "requirements.txt", 1, app=app)


@rule("CP902", "test-opinion", Severity.NOTE)
def opinion(ctx):
    """Test rule."""
    yield ctx.finding("an opinion", "requirements.txt")


@rule("CP903", "test-crash", Severity.ERROR)
def crash(ctx):
    """Test rule."""
    raise KeyError("boom")


def make(tmp_path):
    (tmp_path / "a.py").write_text("import streamlit as st\n")
    (tmp_path / "b.py").write_text("import streamlit as st\n")
    (tmp_path / "requirements.txt").write_text("streamlit\n")
    return Project(tmp_path, use_git=False)


def test_identical_findings_from_several_apps_merge(tmp_path):
    result = run(make(tmp_path), [per_app], Config())
    assert [(f.code, f.entrypoints) for f in result.findings] == [("CP901", ("a.py", "b.py"))]


def test_default_off_rules_need_an_exact_select(tmp_path):
    project = make(tmp_path)
    off = frozenset({"CP902"})
    assert [f.code for f in run(project, [opinion], Config(), off).findings] == []
    assert [f.code for f in run(project, [opinion], Config(select=("CP9",)), off).findings] == []
    assert [f.code for f in run(project, [opinion], Config(select=("CP902",)), off).findings] == ["CP902"]


def test_severity_override_and_ignore(tmp_path):
    project = make(tmp_path)
    result = run(project, [per_app, opinion], Config(severity={"CP901": Severity.ERROR}, ignore=("CP902",)))
    assert [(f.code, f.severity) for f in result.findings] == [("CP901", Severity.ERROR)]


def test_a_crashing_rule_is_reported_and_the_others_still_run(tmp_path):
    result = run(make(tmp_path), [crash, opinion], Config())
    assert [f.code for f in result.findings] == ["CP902"]
    assert len(result.internal_errors) == 1 and "CP903" in result.internal_errors[0]
