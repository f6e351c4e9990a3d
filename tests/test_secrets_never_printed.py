"""Secret values never reach any report: canaries in secrets.toml, .env, config.toml and credential files must
appear in none of the outputs, in every format, while the CP6xx rules about those files do fire."""

from __future__ import annotations

import io
import json

import pytest

from tests.action_harness import fake_github_fixture  # noqa: F401 - the fake_github fixture
from tests.conftest import run_cli

CANARIES = (
    "sk-CANARY0secrets0toml0value",
    "ghp_CANARY0secrets0toml0nested",
    "sk-proj-CANARY0dotenv0value",
    "hf_CANARY0dotenv0quoted",
    "CANARY0cookie0secret",
    "ghp_CANARY0config0section",
    "sk-CANARY0config0toplevel",
    "CANARY0service0account0key",
    "CANARY0pem0body",
    "CANARY0broken0secrets",
)
FORMATS = ("text", "json", "sarif", "markdown", "github")


def _write(root, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def leaky_repo(tmp_path):
    root = tmp_path / "repo"
    _write(root, "streamlit_app.py",
           'import streamlit as st\nfrom dotenv import load_dotenv\n\nload_dotenv()\n'
           'key = st.secrets["OPENAI_API_KEY"]\nst.write("ok")\n')
    _write(root, "requirements.txt", "streamlit==1.55.0\npython-dotenv\n")
    _write(root, ".gitignore", "__pycache__/\n")
    _write(root, ".streamlit/secrets.toml",
           f'OPENAI_API_KEY = "{CANARIES[0]}"\n\n[github]\ntoken = "{CANARIES[1]}"\n')
    _write(root, ".env", f"OPENAI_API_KEY={CANARIES[2]}\nHF_TOKEN=\"{CANARIES[3]}\"\n")
    _write(root, ".streamlit/config.toml",
           f'OPENAI_API_KEY = "{CANARIES[6]}"\n\n[server]\ncookieSecret = "{CANARIES[4]}"\n'
           f'enableXsrfProtection = false\n\n[openai]\napi_key = "{CANARIES[5]}"\n')
    _write(root, "service_account.json",
           json.dumps({"type": "service_account", "private_key": f"-----BEGIN PRIVATE KEY-----{CANARIES[7]}"}))
    _write(root, "keys/app.pem", f"-----BEGIN PRIVATE KEY-----\n{CANARIES[8]}\n-----END PRIVATE KEY-----\n")
    # A broken secrets file in a sub-app: nothing may parse it and quote it back in an error.
    _write(root, "other/.streamlit/secrets.toml", f'password = "{CANARIES[9]}\n[[[\n')
    return root


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_secret_value_in_any_format(leaky_repo, fmt):
    code, out, err = run_cli([str(leaky_repo), "--no-git", "--color", "never", "--format", fmt])
    assert "internal error" not in err, err
    for canary in CANARIES:
        assert canary not in out, f"{canary} leaked into --format {fmt}"
        assert canary not in err, f"{canary} leaked into stderr with --format {fmt}"
    assert code == 1


def test_secret_rules_fire_on_the_leaky_repo(leaky_repo):
    _code, out, _err = run_cli([str(leaky_repo), "--no-git", "--color", "never", "--format", "json"])
    codes = {(f["code"], f["path"]) for f in json.loads(out)["findings"]}
    for expected in (("CP609", ".streamlit/secrets.toml"), ("CP609", "other/.streamlit/secrets.toml"),
                     ("CP610", ".env"), ("CP610", "service_account.json"), ("CP610", "keys/app.pem"),
                     ("CP603", ".streamlit/config.toml"), ("CP604", ".streamlit/config.toml"),
                     ("CP606", ".streamlit/config.toml"), ("CP607", ".streamlit/config.toml")):
        assert expected in codes, (expected, sorted(codes))


def test_invalid_config_toml_does_not_echo_values(tmp_path):
    root = tmp_path / "repo"
    _write(root, "streamlit_app.py", "import streamlit as st\nst.write(1)\n")
    _write(root, "requirements.txt", "streamlit==1.55.0\n")
    _write(root, ".streamlit/config.toml", f'[server]\ncookieSecret = "{CANARIES[4]}" trailing\n')
    for fmt in FORMATS:
        _code, out, err = run_cli([str(root), "--no-git", "--color", "never", "--format", fmt])
        assert "internal error" not in err, err
        assert CANARIES[4] not in out + err


# --- the Action's outputs -------------------------------------------------------------------------------------


def test_no_secret_value_in_any_action_output(leaky_repo, tmp_path, monkeypatch, fake_github):
    """entrypoint.py as the runner runs it, on a pull request, with the comment, SARIF and PyGithub's debug
    logging on: no canary in stdout, stderr, the job summary, the comment, the outputs, the report JSON, the SARIF
    file, any request sent to GitHub or any log record; the token only in its ``::add-mask::`` line."""
    import logging

    from tests.action_harness import TOKEN, run_action, webhook

    records = io.StringIO()
    handler = logging.StreamHandler(records)
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        run = run_action(tmp_path, monkeypatch, workspace=leaky_repo, event="pull_request",
                         payload=webhook("pull_request", "opened"), api_url=fake_github.url,
                         inputs={"comment": "always", "sarif-file": "out.sarif", "guard": "off"})
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    assert run.code == 1 and run.outputs["verdict"] == "fail"
    assert "CP609" in run.summary  # the secrets rules did fire
    (body,) = [c["body"] for cs in fake_github.comments.values() for c in cs]
    texts = {
        "stdout": run.stdout.replace(f"::add-mask::{TOKEN}\n", "", 1), "stderr": run.stderr,
        "summary": run.summary, "comment": body, "outputs": json.dumps(run.outputs),
        "report.json": (leaky_repo / run.outputs["report-json"]).read_text(encoding="utf-8"),
        "sarif": (leaky_repo / "out.sarif").read_text(encoding="utf-8"),
        "requests": json.dumps(fake_github.requests), "logs": records.getvalue(),
    }
    assert texts["logs"], "debug logging captured nothing: the check below would be vacuous"
    assert run.stdout.startswith(f"::add-mask::{TOKEN}\n")
    for name, text in texts.items():
        for secret in (*CANARIES, TOKEN):
            assert secret not in text, f"{secret} leaked into {name}"
