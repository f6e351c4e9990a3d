"""Behaviour of the command line: exit codes, options, config discovery, suppression, colour.

Repositories are built under tmp_path. Checks that run rules select the few they rely on (CP0, CP1), so rules
other engineers add do not change these results.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checks import ALL_RULES
from preflight import __version__
from tests.conftest import run_cli

APP = 'import streamlit as st\n\nst.write("hi")\n'
PLOTLY_APP = 'import streamlit as st\nimport plotly.express as px\n\nst.plotly_chart(px.line())\n'
BROKEN_APP = 'import streamlit as st\nprint "x"\n'  # Python 2 syntax: CP001 on line 2


def make_repo(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def clean(tmp_path):
    return make_repo(tmp_path / "clean", {"app.py": APP, "requirements.txt": "streamlit==1.40.0\n"})


@pytest.fixture
def missing_deps(tmp_path):
    """app.py imports plotly and there is no dependency file: CP101 (error) on the whole of app.py."""
    return make_repo(tmp_path / "missing", {"app.py": PLOTLY_APP})


@pytest.fixture
def broken(tmp_path):
    """A syntax error on line 2 of app.py: CP001 (error) at app.py:2."""
    return make_repo(tmp_path / "broken", {"app.py": BROKEN_APP, "requirements.txt": "streamlit==1.40.0\n"})


def check(repo: Path, *args: str) -> tuple[int, str, str]:
    return run_cli([str(repo), "--no-git", *args])


def codes_in(stdout_json: str) -> list[tuple[str, str, int | None]]:
    return [(f["code"], f["path"], f["line"]) for f in json.loads(stdout_json)["findings"]]


def assert_one_line_error(err: str, *needles: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("cloud-preflight: error: "), err
    for needle in needles:
        assert needle in lines[0], (needle, err)


# --- exit codes -------------------------------------------------------------------------------------------


def test_exit_0_when_clean(clean):
    code, out, err = check(clean, "--select", "CP0,CP1")
    assert code == 0, out + err
    assert err == ""
    assert "OK: 0 errors, 0 warnings, 0 notes" in out


def test_exit_1_on_error_findings(missing_deps):
    code, out, err = check(missing_deps, "--select", "CP101")
    assert code == 1, out + err
    assert "CP101" in out and "FAIL:" in out
    assert err == ""


def test_exit_2_missing_path(tmp_path):
    code, out, err = run_cli([str(tmp_path / "nope"), "--no-git"])
    assert code == 2 and out == ""
    assert_one_line_error(err, "is not a folder")


def test_exit_2_path_is_a_file(clean):
    code, _, err = run_cli([str(clean / "app.py")])
    assert code == 2
    assert_one_line_error(err, "is not a folder")


def test_exit_2_unknown_config_key_names_it(clean):
    make_repo(clean, {".github/cloud-preflight.toml": 'select = ["CP1"]\nfail_on = "warning"\n'})
    code, out, err = check(clean)
    assert code == 2 and out == ""
    assert_one_line_error(err, "'fail_on'", ".github/cloud-preflight.toml")


@pytest.mark.parametrize("value", ["XX1", "CP1234", "E501", "CP1;CP2"])
def test_exit_2_bad_select_value(clean, value):
    code, out, err = check(clean, "--select", value)
    assert code == 2 and out == ""
    assert_one_line_error(err, "not a rule code or prefix")


def test_exit_2_bad_ignore_value(clean):
    code, _, err = check(clean, "--ignore", "nonsense")
    assert code == 2
    assert_one_line_error(err, "not a rule code or prefix")


def test_exit_2_unknown_format(clean):
    code, out, err = check(clean, "--format", "xml")
    assert code == 2 and out == ""
    assert_one_line_error(err, "--format", "'xml'")


def test_exit_2_unknown_option(clean):
    code, _, err = check(clean, "--frobnicate")
    assert code == 2
    assert_one_line_error(err, "--frobnicate")


def test_exit_2_invalid_config_toml(clean):
    make_repo(clean, {".github/cloud-preflight.toml": "select = [\n"})
    code, _, err = check(clean)
    assert code == 2
    assert_one_line_error(err, "invalid TOML")


def test_exit_2_missing_explicit_config(clean):
    code, _, err = check(clean, "--config", "nope.toml")
    assert code == 2
    assert_one_line_error(err, "nope.toml", "does not exist")


# --- --fail-on and severities -----------------------------------------------------------------------------


@pytest.fixture
def warning_only(tmp_path):
    """CP101 made a warning by the config's severity table."""
    return make_repo(tmp_path / "warn", {"app.py": PLOTLY_APP,
                                          ".github/cloud-preflight.toml": '[severity]\nCP101 = "warning"\n'})


def test_fail_on_default_is_error(warning_only):
    code, out, _ = check(warning_only, "--select", "CP101")
    assert code == 0 and "warning CP101" in out


@pytest.mark.parametrize(("fail_on", "expected"), [("error", 0), ("warning", 1), ("note", 1), ("never", 0)])
def test_fail_on_with_a_warning(warning_only, fail_on, expected):
    code, out, _ = check(warning_only, "--select", "CP101", "--fail-on", fail_on)
    assert code == expected, out


@pytest.mark.parametrize(("fail_on", "expected"), [("error", 0), ("warning", 0), ("note", 1), ("never", 0)])
def test_fail_on_with_a_note(tmp_path, fail_on, expected):
    repo = make_repo(tmp_path / "note", {"app.py": PLOTLY_APP,
                                         ".github/cloud-preflight.toml": '[severity]\nCP101 = "note"\n'})
    code, out, _ = check(repo, "--select", "CP101", "--fail-on", fail_on)
    assert code == expected, out
    assert "note    CP101" in out


def test_fail_on_never_with_errors(missing_deps):
    code, out, _ = check(missing_deps, "--select", "CP101", "--fail-on", "never")
    assert code == 0
    assert "OK: 1 error" in out and "fails on never" in out


def test_fail_on_from_config_and_command_line_wins(warning_only):
    make_repo(warning_only, {".github/cloud-preflight.toml": 'fail-on = "warning"\n[severity]\nCP101 = "warning"\n'})
    assert check(warning_only, "--select", "CP101")[0] == 1
    # --fail-on error on the command line wins over the config, although it is the default
    assert check(warning_only, "--select", "CP101", "--fail-on", "error")[0] == 0


def test_fail_on_never_in_config(missing_deps):
    make_repo(missing_deps, {".github/cloud-preflight.toml": 'fail-on = "never"\n'})
    code, out, _ = check(missing_deps, "--select", "CP101")
    assert code == 0 and "CP101" in out


def test_fail_on_bad_value_in_config(missing_deps):
    make_repo(missing_deps, {".github/cloud-preflight.toml": 'fail-on = "sometimes"\n'})
    code, _, err = check(missing_deps)
    assert code == 2
    assert_one_line_error(err, "fail-on", "never")


def test_bad_fail_on_argument(clean):
    code, _, err = check(clean, "--fail-on", "warn")
    assert code == 2
    assert_one_line_error(err, "--fail-on")


# --- formats and output -----------------------------------------------------------------------------------


def test_format_json_parses(missing_deps):
    code, out, _ = check(missing_deps, "--select", "CP101", "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert data["verdict"] == "fail" and data["summary"]["errors"] == 1
    assert codes_in(out) == [("CP101", "app.py", None)]
    assert data["entrypoints"][0]["entrypoint"] == "app.py"


@pytest.mark.parametrize("fmt", ["sarif", "markdown", "github", "text"])
def test_every_format_runs(missing_deps, fmt):
    code, out, err = check(missing_deps, "--select", "CP101", "--format", fmt)
    assert code == 1 and err == "" and "CP101" in out
    if fmt == "sarif":
        assert json.loads(out)["version"] == "2.1.0"
    if fmt == "github":
        assert out.startswith("::error file=app.py,line=1,")


def test_output_file(missing_deps, tmp_path):
    target = tmp_path / "report.json"
    code, out, err = check(missing_deps, "--select", "CP101", "--format", "json", "--output", str(target))
    assert code == 1 and out == "" and err == ""
    assert codes_in(target.read_text(encoding="utf-8")) == [("CP101", "app.py", None)]


def test_output_file_unwritable(missing_deps, tmp_path):
    code, out, err = check(missing_deps, "--output", str(tmp_path / "no" / "such" / "dir" / "r.txt"))
    assert code == 2 and out == ""
    assert_one_line_error(err, "cannot write")


def test_no_color_by_default_when_not_a_tty(missing_deps):
    _, out, _ = check(missing_deps, "--select", "CP101")
    assert "\x1b[" not in out


def test_color_always(missing_deps):
    _, out, _ = check(missing_deps, "--select", "CP101", "--color", "always")
    assert "\x1b[31m" in out


def test_color_never(missing_deps):
    _, out, _ = check(missing_deps, "--select", "CP101", "--color", "never")
    assert "\x1b[" not in out


def test_color_always_not_applied_to_json(missing_deps):
    _, out, _ = check(missing_deps, "--select", "CP101", "--color", "always", "--format", "json")
    assert "\x1b[" not in out
    json.loads(out)


# --- version, explain, rules --------------------------------------------------------------------------------


def test_version():
    code, out, _ = run_cli(["--version"])
    assert code == 0
    assert out.strip() == f"cloud-preflight {__version__}"


def test_help():
    code, out, _ = run_cli(["--help"])
    assert code == 0 and "usage: cloud-preflight" in out and "explain CODE" in out


@pytest.mark.parametrize("wanted", ["CP101", "cp101", "dep-file-missing"])
def test_explain_prints_the_docstring(wanted):
    code, out, err = run_cli(["explain", wanted])
    assert code == 0 and err == ""
    rule = next(r for r in ALL_RULES if r.code == "CP101")
    assert out.startswith(f"CP101 dep-file-missing ({rule.severity.label})\n")
    assert rule.doc in out
    assert "## Why is this bad?" in out


def test_explain_unknown_rule():
    code, out, err = run_cli(["explain", "CP999"])
    assert code == 2 and out == ""
    assert_one_line_error(err, "CP999")


def test_explain_needs_one_argument():
    code, _, err = run_cli(["explain"])
    assert code == 2
    assert_one_line_error(err, "usage")


def test_rules_lists_every_rule():
    code, out, err = run_cli(["rules"])
    assert code == 0 and err == ""
    lines = out.strip().splitlines()
    assert len(lines) == len(ALL_RULES)
    listed = [line.split()[0] for line in lines]
    assert listed == sorted(r.code for r in ALL_RULES)
    for rule in ALL_RULES:
        line = lines[listed.index(rule.code)]
        assert rule.name in line and rule.severity.label in line and rule.summary in line


def test_rules_takes_no_arguments():
    code, _, err = run_cli(["rules", "extra"])
    assert code == 2
    assert_one_line_error(err)


# --- config discovery ---------------------------------------------------------------------------------------


def test_config_dedicated_file(missing_deps):
    make_repo(missing_deps, {".github/cloud-preflight.toml": 'ignore = ["CP101"]\n'})
    code, out, _ = check(missing_deps, "--select", "CP1", "--format", "json")
    assert code == 0 and codes_in(out) == []


def test_config_pyproject_table(broken):
    make_repo(broken, {"pyproject.toml": '[tool.cloud-preflight]\nignore = ["CP001"]\n'})
    code, out, _ = check(broken, "--select", "CP0", "--format", "json")
    assert code == 0 and codes_in(out) == []


def test_config_dedicated_file_wins_over_pyproject(broken):
    make_repo(broken, {
        ".github/cloud-preflight.toml": 'select = ["CP0"]\n',
        "pyproject.toml": '[tool.cloud-preflight]\nignore = ["CP001"]\n',
    })
    _, out, _ = check(broken, "--format", "json")
    assert codes_in(out) == [("CP001", "app.py", 2)]


def test_config_unknown_key_in_pyproject_names_it(missing_deps):
    make_repo(missing_deps, {"pyproject.toml": '[tool.cloud-preflight]\nselekt = ["CP1"]\n'})
    code, out, err = check(missing_deps)
    assert code == 2 and out == ""
    assert_one_line_error(err, "'selekt'", "pyproject.toml [tool.cloud-preflight]")


def test_pyproject_without_our_table_is_fine(clean):
    make_repo(clean, {"pyproject.toml": '[tool.black]\nline-length = 100\n'})
    code, _, err = check(clean, "--select", "CP0")
    assert code == 0 and err == ""


def test_explicit_config_file(missing_deps, tmp_path):
    config = tmp_path / "elsewhere.toml"
    config.write_text('ignore = ["CP101"]\n', encoding="utf-8")
    make_repo(missing_deps, {".github/cloud-preflight.toml": 'select = ["CP101"]\n'})
    code, out, _ = check(missing_deps, "--select", "CP1", "--config", str(config), "--format", "json")
    assert code == 0 and codes_in(out) == []


# --- select / ignore ----------------------------------------------------------------------------------------


def test_select_and_ignore(missing_deps):
    _, out, _ = check(missing_deps, "--select", "CP1", "--format", "json")
    assert ("CP101", "app.py", None) in codes_in(out)
    _, out, _ = check(missing_deps, "--select", "CP1", "--ignore", "CP101", "--format", "json")
    assert "CP101" not in {c for c, _, _ in codes_in(out)}
    _, out, _ = check(missing_deps, "--select", "CP0", "--format", "json")
    assert codes_in(out) == []


def test_select_prefix_lower_case_and_repeated(missing_deps):
    _, out, _ = check(missing_deps, "--select", "cp0", "--select", "cp10", "--format", "json")
    assert ("CP101", "app.py", None) in codes_in(out)


def test_command_line_select_wins_over_config(missing_deps):
    make_repo(missing_deps, {".github/cloud-preflight.toml": 'select = ["CP0"]\n'})
    _, out, _ = check(missing_deps, "--format", "json")
    assert "CP101" not in {c for c, _, _ in codes_in(out)}
    _, out, _ = check(missing_deps, "--select", "CP", "--format", "json")
    assert ("CP101", "app.py", None) in codes_in(out)


def test_command_line_ignore_adds_to_config(broken):
    make_repo(broken, {".github/cloud-preflight.toml": 'ignore = ["CP1"]\n'})
    _, out, _ = check(broken, "--select", "CP0,CP1", "--format", "json")
    assert codes_in(out) == [("CP001", "app.py", 2)]
    _, out, _ = check(broken, "--select", "CP0,CP1", "--ignore", "CP001", "--format", "json")
    assert codes_in(out) == []


# --- suppression --------------------------------------------------------------------------------------------


def test_finding_on_a_line(broken):
    code, out, _ = check(broken, "--select", "CP0,CP1", "--format", "json")
    assert code == 1
    assert codes_in(out) == [("CP001", "app.py", 2)]


def test_inline_suppression(broken):
    make_repo(broken, {"app.py": 'import streamlit as st\nprint "x"  # preflight: ignore[CP001] py2 on purpose\n'})
    code, out, _ = check(broken, "--select", "CP0,CP1", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["findings"] == [] and data["summary"]["suppressed"] == 1
    _, text, _ = check(broken, "--select", "CP0,CP1")
    assert "(1 suppressed)" in text


@pytest.mark.parametrize("comment", [
    "# preflight: ignore[CP101] other code",   # another code
    "# preflight: ignore[] nothing",           # codes are required
    "# preflight: ignore",                     # bare
    "# noqa",                                  # other tools' comments are not read
    "# noqa: CP001",
])
def test_inline_suppression_needs_the_right_code(broken, comment):
    make_repo(broken, {"app.py": f'import streamlit as st\nprint "x"  {comment}\n'})
    code, out, _ = check(broken, "--select", "CP0,CP1", "--format", "json")
    assert code == 1 and codes_in(out) == [("CP001", "app.py", 2)]


def test_inline_suppression_on_another_line_does_nothing(broken):
    make_repo(broken, {"app.py": 'import streamlit as st  # preflight: ignore[CP001]\nprint "x"\n'})
    code, out, _ = check(broken, "--select", "CP0,CP1", "--format", "json")
    assert code == 1 and codes_in(out) == [("CP001", "app.py", 2)]


def test_inline_suppression_several_codes(broken):
    make_repo(broken, {"app.py": 'import streamlit as st\nprint "x"  # preflight: ignore[CP301, cp001]\n'})
    code, out, _ = check(broken, "--select", "CP0,CP1", "--format", "json")
    assert code == 0 and codes_in(out) == []


def test_per_file_ignores(broken):
    make_repo(broken, {".github/cloud-preflight.toml": '[per-file-ignores]\n"app.py" = ["CP0"]\n'})
    code, out, _ = check(broken, "--select", "CP0,CP1", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["findings"] == [] and data["summary"]["suppressed"] == 1


def test_per_file_ignores_other_glob_does_not_apply(broken):
    make_repo(broken, {".github/cloud-preflight.toml": '[per-file-ignores]\n"pages/*.py" = ["CP001"]\n'})
    code, out, _ = check(broken, "--select", "CP0,CP1", "--format", "json")
    assert code == 1 and codes_in(out) == [("CP001", "app.py", 2)]


def test_per_file_ignores_bad_code(broken):
    make_repo(broken, {".github/cloud-preflight.toml": '[per-file-ignores]\n"app.py" = ["all"]\n'})
    code, _, err = check(broken)
    assert code == 2
    assert_one_line_error(err, "per-file-ignores", "'all'")


# --- entrypoints ----------------------------------------------------------------------------------------------


def test_entrypoint_option(tmp_path):
    repo = make_repo(tmp_path / "ep", {"apps/one.py": APP, "apps/requirements.txt": "streamlit==1.40.0\n"})
    code, out, _ = check(repo, "--select", "CP101", "--entrypoint", "apps/one.py", "--format", "json")
    data = json.loads(out)
    assert [e["entrypoint"] for e in data["entrypoints"]] == ["apps/one.py"]
    assert data["entrypoints"][0]["dependency_file"] == "apps/requirements.txt"
    assert code == 0
