"""Property-based invariants (hypothesis) over generated file names and contents, at three levels:

1. reporters: arbitrary findings (any Unicode in paths, messages, fixes), every format, any size limit;
2. the engine: generated repositories of hostile names and contents, secrets canaries included;
3. the Action: entrypoint.py as the runner runs it, against the fake GitHub API, on generated repositories.

Each checks the shared invariants of tests/output_invariants.py: no exception escapes, no injected workflow
command, Markdown and HTML escaped in the summary and the comment, JSON and SARIF valid, no canary anywhere.

Examples are derandomized (the same ones on every run, so CI is reproducible) and counted; set
``CLOUD_PREFLIGHT_EXAMPLES_SCALE=10`` (for instance) for a longer, randomized run.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from preflight.config import ConfigError
from preflight.model import Finding, Location, Severity
from preflight.report import AppInfo, Report, markdown
from tests.conftest import run_cli
from tests.output_invariants import (
    Case,
    assert_absent,
    check_all,
    check_markdown,
    check_report,
    render_all,
)

SCALE = float(os.environ.get("CLOUD_PREFLIGHT_EXAMPLES_SCALE", "1"))
EXAMPLES_PER_PROPERTY = {"reporters": 300, "repositories": 400, "Action": 60}  # at scale 1 (docs/reliability.md)


def _settings(examples: int) -> settings:
    return settings(max_examples=max(1, int(examples * SCALE)), deadline=None, derandomize=SCALE == 1,
                    database=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much])


PROPERTIES = [
    Case("reporters", "arbitrary findings: any Unicode (control characters, surrogate-free) in paths, messages "
         "and fixes, 0 to 12 findings, skipped files, any comment/summary size limit",
         "every format renders; the runner reads exactly the planned annotations; no live HTML, link or mention "
         "in the Markdown; within the limit; JSON exact; SARIF schema-valid"),
    Case("repositories", "generated repositories: 1 to 8 files with hostile names (newline, `::`, `%`, `,`, `:`, "
         "backticks, `<script>`, `]`, ...) and contents (Python, requirements, packages.txt, TOML, YAML, binary) "
         "in UTF-8, UTF-16, latin-1; secrets canaries in `.streamlit/secrets.toml` and `.env`",
         "no internal error (exit 0 or 1, or 2 with one line for a bad config); the same output invariants; "
         "no canary in any format"),
    Case("Action", "entrypoint.py on a generated repository, on a pull request, against the fake GitHub API "
         "(the deploy-rate guard off)",
         "stdout: only commands we issued (add-mask, group, stop-commands and its resume token, annotations); "
         "job summary, comment, report JSON and SARIF safe and valid; no canary, the token only in add-mask"),
]

# --------------------------------------------------------------------------------------------------- strategies

HOSTILE_TOKENS = [
    "\n", "\r", "\r\n", "::", "::error::", "::warning file=a.py,line=1::x", "::stop-commands::x", "::add-mask::",
    "%", "%0A", "%25", "%3A", ",", ":", "`", "``", "<script>", "</script>", "<img src=x onerror=alert(1)>", "]",
    "[", "](javascript:alert(1))", "[x](https://evil.example)", "|", "@octocat", "#1", "##[error]", "&amp;",
    "&#x3C;", "*", "_", "~", "\\", "\t", " ", "é", "📈", "\u202e", "\x1b[31m", "\x07", "www.evil.example",
    "https://evil.example/x", "<!--", "-->", "${{ secrets.X }}", "$(id)", "{", "}", "!", "<", ">", "&", '"', "'",
    "<details>", "</details>", "<sub>", "---", "===", "\u2028", "\x85", "\ufeff",
]
_word = st.text(alphabet="abcxyz019_.-", min_size=1, max_size=6)
_hostile = st.lists(st.one_of(st.sampled_from(HOSTILE_TOKENS), _word), min_size=1, max_size=5).map("".join)
_name = _hostile.filter(lambda s: "/" not in s and "\x00" not in s and s not in (".", "..")
                        and len(s.encode()) < 120)
_ident = st.sampled_from(["os", "pandas", "numpy", "cv2", "sklearn", "yaml", "helpers", "utils", "torch",
                          "PIL", "dotenv", "not_a_pkg_zz", "streamlit", "plotly", "pages"])
_literal = _hostile.map(repr)
_py_line = st.one_of(
    st.just("import streamlit as st"), _ident.map("import {}".format), _ident.map("from {} import x".format),
    _literal.map("st.image({})".format), _literal.map("open({})".format), _literal.map("pd.read_csv({})".format),
    _literal.map("st.switch_page({})".format), _literal.map("st.Page({})".format),
    _literal.map("st.secrets[{}]".format), st.just("st.experimental_rerun()"), st.just('print "python 2"'),
    st.just("# preflight: ignore[CP704] reason"), _literal.map("x = {}".format), _hostile,
)
_req_line = st.one_of(
    st.sampled_from(["streamlit==1.40.0", "streamlit", "os", "sklearn", "torch==2.0.0+cu118", "pywin32",
                     "opencv-python", "-r other.txt", "pandas>=2", "numpy<1.25; python_version < '3.9'"]),
    _hostile, _hostile.map("-r {}".format), _hostile.map("-e {}".format), _hostile.map("git+https://{}".format),
    _hostile.map("./{}".format), _hostile.map("--index-url https://x/{}".format), _hostile.map("{}==1.0".format),
)
_apt_line = st.one_of(st.sampled_from(["libgl1", "ffmpeg", "apt-get install -y x", "python3-opencv",
                                       "libgl1-mesa-glx", "# comment"]), _hostile)
_toml_line = st.one_of(st.sampled_from(["[server]", "port = 8501", "[theme]", 'base = "dark"', "[client]",
                                        "headless = true", "[packages]", "[tool.poetry.dependencies]",
                                        'python = "^3.9"', '[[package]]', 'name = "streamlit"']),
                       _hostile.map("[{}]".format), _hostile.map('{!r} = 1'.format), _hostile.map('k = {!r}'.format),
                       _hostile)
_yaml_line = st.one_of(st.sampled_from(["dependencies:", "  - python=3.9", "  - pip:", "    - streamlit",
                                        "channels:", "  - conda-forge", "name: x"]),
                       _hostile.map("  - {}".format), _hostile.map("    - {}".format), _hostile)


def _text_of(lines: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    @st.composite
    def build(draw) -> bytes:
        body = draw(st.sampled_from(["\n", "\r\n"])).join(draw(st.lists(lines, max_size=12)))
        encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1"]))
        return body.encode(encoding, "replace")

    return st.one_of(build(), st.binary(max_size=64))


SECRETS = ("CANARY0prop0secrets0toml", "sk-CANARY0prop0dotenv", "ghp_CANARY0prop0nested0table")
FIXED_FILES = {
    ".streamlit/secrets.toml": f'api_key = "{SECRETS[0]}"\n[gh]\ntoken = "{SECRETS[2]}"\n'.encode(),
    ".env": f"OPENAI_API_KEY={SECRETS[1]}\n".encode(),
}


@st.composite
def repositories(draw) -> dict[str, bytes]:
    head = draw(st.sampled_from([b"import streamlit as st\n", b"import streamlit as st\nimport helpers\n", b""]))
    files: dict[str, bytes] = {"streamlit_app.py": head + draw(_text_of(_py_line))}
    for _ in range(draw(st.integers(0, 7))):
        kind = draw(st.sampled_from(["py", "page", "req", "apt", "config", "yaml", "pipfile", "folder-app",
                                     "data", "runtime"]))
        name = draw(_name)
        if kind == "py":
            files[f"{name}.py"] = draw(_text_of(_py_line))
        elif kind == "page":
            files[f"pages/{name}.py"] = draw(_text_of(_py_line))
        elif kind == "req":
            files[draw(st.sampled_from(["requirements.txt", f"{name}/requirements.txt", "other.txt"]))] = \
                draw(_text_of(_req_line))
        elif kind == "apt":
            files["packages.txt"] = draw(_text_of(_apt_line))
        elif kind == "config":
            files[draw(st.sampled_from([".streamlit/config.toml", "Pipfile", f"{name}/.streamlit/config.toml"]))] = \
                draw(_text_of(_toml_line))
        elif kind == "yaml":
            files[draw(st.sampled_from(["environment.yml", f"{name}/environment.yml"]))] = draw(_text_of(_yaml_line))
        elif kind == "pipfile":
            files["uv.lock"] = draw(_text_of(_toml_line))
        elif kind == "folder-app":
            files[f"{name}/streamlit_app.py"] = draw(_text_of(_py_line))
            files[f"{name}/requirements.txt"] = draw(_text_of(_req_line))
        elif kind == "data":
            files[name] = draw(st.binary(max_size=32))
        else:
            files[draw(st.sampled_from(["runtime.txt", ".python-version"]))] = draw(_text_of(_hostile.map(str)))
    files.update(FIXED_FILES)
    return files


def _materialize(files: dict[str, bytes], root: Path) -> None:
    for rel, content in files.items():
        path = root / rel
        if any(parent.is_file() for parent in path.parents) or path.is_dir():
            continue  # a name drawn for a file and for a folder: keep the first
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


@pytest.fixture(scope="module")
def scratch_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("properties")


# --------------------------------------------------------------------------------------------------- 1. reporters

_any_text = st.text(max_size=80)
_path = st.one_of(_any_text.filter(bool), _hostile, st.builds("{}/{}".format, _hostile, _hostile)).filter(
    lambda p: "\x00" not in p)  # no file system allows NUL in a name


@st.composite
def reports(draw) -> Report:
    findings = []
    for _ in range(draw(st.integers(0, 12))):
        line = draw(st.one_of(st.none(), st.integers(1, 10**6)))
        column = draw(st.one_of(st.none(), st.integers(1, 500))) if line else None
        end_line = draw(st.one_of(st.none(), st.integers(line, line + 5))) if line else None
        findings.append(Finding(
            draw(st.sampled_from(["CP001", "CP102", "CP301", "CP704", "CP609"])), "some-rule",
            draw(st.sampled_from(list(Severity))), draw(st.one_of(_any_text.filter(bool), _hostile)),
            Location(draw(_path), line, column, end_line, None), draw(st.one_of(st.none(), _any_text, _hostile)),
            tuple(draw(st.lists(_path, max_size=2)))))
    apps = tuple(AppInfo(draw(_path), draw(st.booleans()), draw(st.one_of(st.none(), _path)), "uv",
                         tuple(draw(st.lists(_path, max_size=2))), draw(st.one_of(st.none(), _any_text)))
                 for _ in range(draw(st.integers(0, 3))))
    skipped = tuple((draw(_path), draw(_any_text)) for _ in range(draw(st.integers(0, 3))))
    return Report(tuple(sorted(findings, key=Finding.sort_key)), apps, suppressed=draw(st.integers(0, 3)),
                  skipped=skipped, files=draw(st.integers(0, 10**6)),
                  fail_on=draw(st.sampled_from([None, *Severity])), version="9.9.9")


@_settings(EXAMPLES_PER_PROPERTY["reporters"])
@given(report=reports(), max_chars=st.integers(100, 70_000), max_bytes=st.integers(100, 2_000_000))
def test_reporters_keep_every_invariant(report, max_chars, max_bytes):
    check_all(report, render_all(report))
    check_markdown(markdown.render(report, max_chars=max_chars), report, max_chars=max_chars)
    check_markdown(markdown.render(report, max_bytes=max_bytes), report, max_bytes=max_bytes)


# --------------------------------------------------------------------------------------------------- 2. the engine


@_settings(EXAMPLES_PER_PROPERTY["repositories"])
@given(files=repositories())
def test_generated_repositories_keep_every_invariant(files, scratch_root):
    root = Path(tempfile.mkdtemp(dir=scratch_root))
    _materialize(files, root)
    try:
        report, outputs = check_report(root)
    except ConfigError:  # a generated pyproject.toml that is a bad cloud-preflight config: exit 2, one line
        code, out, err = run_cli([str(root), "--no-git"])
        assert code == 2 and out == "" and err.count("\n") == 1
        return
    assert_absent(SECRETS, outputs)
    code, out, err = run_cli([str(root), "--no-git", "--format", "json"])
    assert code in (0, 1) and err == "", err
    assert json.loads(out)["findings"] == json.loads(outputs["json"])["findings"]


# --------------------------------------------------------------------------------------------------- 3. the Action


@_settings(EXAMPLES_PER_PROPERTY["Action"])
@given(files=repositories())
def test_the_action_keeps_every_invariant(files, scratch_root, monkeypatch, fake_github):
    from tests.action_harness import TOKEN, run_action, webhook

    base = Path(tempfile.mkdtemp(dir=scratch_root))
    workspace = base / "ws"
    _materialize(files, workspace)
    fake_github.comments.clear()
    with monkeypatch.context() as patch:
        run = run_action(base, patch, workspace=workspace, event="pull_request",
                         payload=webhook("pull_request", "opened"), api_url=fake_github.url,
                         inputs={"sarif-file": "out.sarif", "comment": "always", "guard": "off"})
    assert run.code in (0, 1, 2) and "Traceback" not in run.stdout, run.stdout[-2000:]
    names = [c.name for c in run.log.commands]
    allowed = {"add-mask", "group", "endgroup", "stop-commands", "error", "warning", "notice"}
    assert set(names) <= allowed, names  # the resume token ends stop-commands and is no command itself
    assert names[0] == "add-mask" and run.log.masks == [TOKEN]
    for annotation in run.log.annotations:
        assert annotation.title and (annotation.title.startswith("CP") or annotation.title == "cloud-preflight")
    texts = {"stdout": run.stdout.replace(f"::add-mask::{TOKEN}", ""), "stderr": run.stderr,
             "summary": run.summary, "outputs": json.dumps(run.outputs)}
    if run.code == 2:  # a bad config: one error annotation, nothing else to check
        assert_absent([TOKEN, *SECRETS], texts)
        return
    texts["report.json"] = (workspace / run.outputs["report-json"]).read_text(encoding="utf-8")
    texts["sarif"] = (workspace / "out.sarif").read_text(encoding="utf-8")
    bodies = [c["body"] for cs in fake_github.comments.values() for c in cs]
    assert len(bodies) == 1
    texts["comment"] = bodies[0]
    assert_absent([TOKEN, *SECRETS], texts)
    json.loads(texts["report.json"])
    from tests.output_invariants import _sarif_validator

    assert not list(_sarif_validator().iter_errors(json.loads(texts["sarif"])))
    summary_report = Report(())  # the Markdown checks below do not need the findings (sizes are limited)
    check_markdown(run.summary, summary_report, max_bytes=markdown.SUMMARY_MAX_BYTES, complete=False)
    check_markdown(texts["comment"], summary_report, max_chars=markdown.COMMENT_MAX_CHARS, complete=False)


@pytest.fixture(name="fake_github", scope="module")
def module_fake_github():
    """One fake GitHub for all the Action's examples (comments cleared between them)."""
    from tests.action_harness import need_node_modules
    from tests.github_fake import FakeGitHub

    need_node_modules()
    with FakeGitHub() as fake:
        yield fake
    errors = fake.contract_errors()
    assert not errors, "\n".join(errors[:5])

