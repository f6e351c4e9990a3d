"""The bundled examples the README runs: the clean app is clean, the broken one shows its mistakes."""

from __future__ import annotations

import json

from tests.conftest import ROOT, run_cli


def test_hello_cloud_is_clean():
    code, out, err = run_cli([str(ROOT / "examples" / "hello-cloud"), "--no-git", "--format", "json"])
    report = json.loads(out)
    assert (code, err) == (0, "")
    assert report["findings"] == [] and report["summary"]["suppressed"] == 0
    assert [e["entrypoint"] for e in report["entrypoints"]] == ["streamlit_app.py"]
    assert report["entrypoints"][0]["dependency_file"] == "requirements.txt"


def test_needs_fixes_reports_the_usual_mistakes():
    code, out, _ = run_cli([str(ROOT / "examples" / "needs-fixes"), "--no-git", "--format", "json",
                            "--entrypoint", "app/main.py"])
    codes = {f["code"] for f in json.loads(out)["findings"]}
    assert code == 1
    assert {"CP301", "CP302", "CP402", "CP552", "CP703", "CP706"} <= codes
