"""The Action's image end to end: the real Dockerfile, built and run the way the GitHub runner runs a Docker action.

- Base image: a minimal Debian made here with debootstrap (tests/container/debian-base.sh) and imported into
  podman, because no image registry is reachable; tagged with a hash of the script and reused while it exists.
- Build: ``podman build`` of the repository's Dockerfile with ``BASE_IMAGE`` set to that image, the host's
  ``/etc/ssl/certs`` mounted read-only (at /run/host-certs; ``PIP_CERT`` names its bundle, so pip trusts what
  the host trusts) and ``--network host``; podman's layer cache makes a rebuild after a source change take
  seconds.
- Run, as ``ContainerActionHandler`` does: the workspace at ``/github/workspace`` (also the working folder),
  ``/github/home``, ``/github/workflow/event.json`` (a real payload from the npm package
  ``@octokit/webhooks-examples``), ``/github/file_commands`` with the empty ``GITHUB_OUTPUT`` and
  ``GITHUB_STEP_SUMMARY`` files, every input of action.yml as ``INPUT_<NAME>`` with hyphens kept and defaults
  applied, the ``GITHUB_*`` and ``RUNNER_*`` variables, and ``--network host`` so that ``GITHUB_API_URL`` can
  point at the loopback fake GitHub API (tests/github_fake.py, which checks every request against GitHub's
  OpenAPI description).
- The runner's side is read back as the runner reads it: workflow commands from stdout (``stop-commands``
  honoured, properties split and unescaped as ``ActionCommand.TryParseV2`` does), the outputs file as
  ``name=value`` or heredoc entries, the summary file as it is.

On these machines podman runs containers only with the runc runtime and no default ulimits (crun and the
default ``RLIMIT_NOFILE`` fail with "operation not permitted"), so the test writes a containers.conf that says
so and points ``CONTAINERS_CONF`` at it. Podman, runc and debootstrap come from Debian's packages (.ci/run
installs them). Without them, or when podman cannot start a container, the test fails under ``CI=true`` with
the reason and is skipped elsewhere.

The runs: a pull request (annotations, summary, outputs, the sticky comment three times), a push, and a merge
queue's ``merge_group`` check whose deploy-rate guard waits for a slot by GitHub's clock.

Select with ``pytest -m container``; deselect with ``-m "not container"``. The timings and the image size are
written to the terminal at the end of the module. One test here needs no container: requirements-action.txt,
which the image installs with ``--require-hashes``, must pin what pyproject.toml asks for.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.action_harness import webhook
from tests.actions_runner import StepLog, read_outputs, run_step

ROOT = Path(__file__).resolve().parent.parent
HELPERS = ROOT / "tests" / "container"
BASE_SCRIPT = HELPERS / "debian-base.sh"
SUITE = "bookworm"
BASE_REPOSITORY = "localhost/cloud-preflight-test/debian-base"
IMAGE_REPOSITORY = "localhost/cloud-preflight-test/action"
OPENAPI = ROOT / "node_modules" / "@octokit" / "openapi" / "generated" / "api.github.com.json"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
TOKEN = "ghs_containertest0000000000000000000000"  # shaped like an installation token; the fake takes any
IN_CI = os.environ.get("CI") == "true"

# The image may add at most this much to its base: 150 MB (the limit, decimal megabytes as `docker images`
# shows them) minus debian:bookworm-slim, the default BASE_IMAGE (74.8 MB). The base made here is a few
# megabytes larger than the published one, so the whole test image is not the number to hold to 150 MB.
IMAGE_LIMIT = 150_000_000
PUBLISHED_BASE_SIZE = 74_800_000
ADDED_BUDGET = IMAGE_LIMIT - PUBLISHED_BASE_SIZE

container = pytest.mark.container


def _unavailable(reason: str) -> None:
    """The machine cannot run the test: fail loudly in CI, skip elsewhere."""
    if IN_CI:
        pytest.fail(f"the container test cannot run on this machine: {reason}", pytrace=False)
    pytest.skip(f"container test not run: {reason}")


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


# -- podman ---------------------------------------------------------------------------------------------------
@dataclass
class Podman:
    conf: Path

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "CONTAINERS_CONF": str(self.conf)}

    def __call__(self, *args: str, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(["podman", "--runtime", "runc", *args], env=self.env, capture_output=True,
                              text=True, timeout=timeout, check=False)
        if check and proc.returncode != 0:
            pytest.fail(f"podman {' '.join(args[:2])} exited {proc.returncode}:\n{_tail(proc.stderr or proc.stdout)}",
                        pytrace=False)
        return proc


@dataclass
class Timings:
    steps: list[tuple[str, str]] = field(default_factory=list)

    def add(self, what: str, value: str) -> None:
        self.steps.append((what, value))


@pytest.fixture(scope="module")
def timings(request: pytest.FixtureRequest):
    found = Timings()
    start = time.monotonic()
    yield found
    found.add("module", f"{time.monotonic() - start:.1f} s")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None and found.steps:
        with capture.global_and_fixture_disabled():
            reporter.write_line("\ncontainer test: " + ", ".join(f"{what} {value}" for what, value in found.steps))


@pytest.fixture(scope="module")
def podman(tmp_path_factory: pytest.TempPathFactory) -> Podman:
    missing = [tool for tool in ("podman", "runc") if shutil.which(tool) is None]
    if missing:
        _unavailable(f"{' and '.join(missing)} not installed (apt-get install podman runc debootstrap)")
    conf = tmp_path_factory.mktemp("podman") / "containers.conf"
    conf.write_text('[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n', encoding="utf-8")
    return Podman(conf)


@pytest.fixture(scope="module")
def base_image(podman: Podman, timings: Timings) -> str:
    """The debootstrapped Debian base, made once per version of debian-base.sh and kept in podman's store."""
    digest = hashlib.sha256(BASE_SCRIPT.read_bytes()).hexdigest()[:12]
    tag = f"{BASE_REPOSITORY}:{SUITE}-{digest}"
    if podman("image", "exists", tag, check=False).returncode == 0:
        timings.add("base", "cached")
    else:
        if os.geteuid() != 0:
            _unavailable("debootstrap needs root to make the base image")
        if shutil.which("debootstrap") is None:
            _unavailable("debootstrap not installed (apt-get install debootstrap)")
        start = time.monotonic()
        proc = subprocess.run(["bash", str(BASE_SCRIPT), tag, SUITE], env=podman.env, capture_output=True,
                              text=True, timeout=1200, check=False)
        assert proc.returncode == 0, f"debian-base.sh failed:\n{_tail(proc.stderr + proc.stdout)}"
        timings.add("base", f"{time.monotonic() - start:.1f} s (debootstrap)")
        # Bases made by earlier versions of the script are not used again.
        listed = podman("images", "--format", "{{.Repository}}:{{.Tag}}", BASE_REPOSITORY, check=False).stdout
        for old in set(listed.split()) - {tag}:
            podman("rmi", old, check=False)
    # Can this machine start a container at all? This is where crun, ulimits or a missing kernel feature show.
    probe = podman("run", "--rm", "--network", "host", tag, "true", timeout=120, check=False)
    if probe.returncode != 0:
        _unavailable(f"podman cannot start a container: {_tail(probe.stderr, 5)}")
    return tag


@pytest.fixture(scope="module")
def image(podman: Podman, base_image: str, timings: Timings, tmp_path_factory: pytest.TempPathFactory):
    """The Action's image, tagged for this session only (two sessions may build at once) and untagged at the
    end: podman keeps every build step's layer, so the next build reuses them all the same."""
    tag = f"{IMAGE_REPOSITORY}:{uuid.uuid4().hex[:12]}"
    args = ["build", "--pull=never", "--network", "host", "--file", str(ROOT / "Dockerfile"),
            "--build-arg", f"BASE_IMAGE={base_image}", "--tag", tag]
    if HOST_CA_BUNDLE.is_file():
        # Mounted elsewhere than /etc/ssl/certs: the build stage installs ca-certificates, which writes there.
        args += ["--volume", f"{HOST_CA_BUNDLE.parent}:/run/host-certs:ro",
                 "--build-arg", f"PIP_CERT=/run/host-certs/{HOST_CA_BUNDLE.name}"]
    start = time.monotonic()
    proc = podman(*args, str(ROOT), timeout=1800, check=False)
    log = tmp_path_factory.mktemp("build") / "build.log"
    log.write_text(proc.stdout + proc.stderr, encoding="utf-8")
    assert proc.returncode == 0, f"podman build failed (full log: {log}):\n{_tail(proc.stdout + proc.stderr, 60)}"
    timings.add("build", f"{time.monotonic() - start:.1f} s")
    yield tag
    podman("rmi", tag, check=False)


# -- the runner's side ----------------------------------------------------------------------------------------
@dataclass
class RunResult:
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    workspace: Path

    @property
    def log(self) -> StepLog:
        """What the runner makes of stdout (tests/actions_runner.py, ported from actions/runner)."""
        return run_step(self.stdout)

    def report(self) -> dict[str, Any]:
        return json.loads((self.workspace / self.outputs["report-json"]).read_text(encoding="utf-8"))

    def explain(self) -> str:
        return f"exit {self.returncode}\n--- stdout\n{_tail(self.stdout, 80)}\n--- stderr\n{_tail(self.stderr, 40)}"


def _action_inputs(overrides: dict[str, str]) -> dict[str, str]:
    """INPUT_* as the runner sets them: every input action.yml declares, with its default unless the step sets
    it (``${{ github.token }}`` is the job's token); the name upper-cased, spaces to ``_``, hyphens kept."""
    import yaml

    metadata = ROOT / "action.yml"
    if metadata.is_file():
        declared = yaml.safe_load(metadata.read_text(encoding="utf-8")).get("inputs") or {}
    else:  # not written yet: the inputs entrypoint.py reads, with the token the job would pass
        declared = {name: {} for name in ("path", "config", "entrypoints", "fail-on", "comment", "annotations",
                                          "summary", "sarif-file", "python-version")}
        declared["github-token"] = {"default": "${{ github.token }}"}
    values: dict[str, str] = {}
    for name, spec in declared.items():
        default = str((spec or {}).get("default", "") or "")
        if re.fullmatch(r"\$\{\{\s*github\.token\s*\}\}", default):
            default = TOKEN
        assert "${{" not in default, f"input {name}: the test does not evaluate the default {default!r}"
        values[name] = default
    unknown = sorted(set(overrides) - set(declared))
    assert not unknown, f"the test sets inputs action.yml does not declare: {unknown}"
    if "resolve" in values and "resolve" not in overrides:
        values["resolve"] = "false"  # resolution needs a package index; these runs reach only loopback
    values.update(overrides)
    return {f"INPUT_{name.replace(' ', '_').upper()}": value for name, value in values.items()}


def _github_env(event_name: str, payload: dict[str, Any], api_url: str, guid: str) -> dict[str, str]:
    """The GITHUB_*/RUNNER_* variables a Docker action gets, consistent with the payload."""
    repository = payload["repository"]
    pull = payload.get("pull_request")
    if pull:
        ref, ref_name = f"refs/pull/{pull['number']}/merge", f"{pull['number']}/merge"
        head_ref, base_ref, ref_type = pull["head"]["ref"], pull["base"]["ref"], "branch"
        sha = hashlib.sha1(f"merge {pull['head']['sha']}".encode()).hexdigest()  # the test merge commit
    else:
        ref = payload.get("ref") or f"refs/heads/{repository.get('default_branch', 'main')}"
        ref_name, head_ref, base_ref = ref.split("/", 2)[-1], "", ""
        ref_type = "tag" if ref.startswith("refs/tags/") else "branch"
        sha = payload.get("after") or hashlib.sha1(ref.encode()).hexdigest()
    server = api_url.rsplit("/api/v3", 1)[0] if api_url.endswith("/api/v3") else "https://github.com"
    commands = "/github/file_commands"
    return {
        "HOME": "/github/home",
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_JOB": "preflight",
        "GITHUB_REF": ref,
        "GITHUB_REF_NAME": ref_name,
        "GITHUB_REF_TYPE": ref_type,
        "GITHUB_REF_PROTECTED": "false",
        "GITHUB_SHA": sha,
        "GITHUB_HEAD_REF": head_ref,
        "GITHUB_BASE_REF": base_ref,
        "GITHUB_REPOSITORY": repository["full_name"],
        "GITHUB_REPOSITORY_ID": str(repository["id"]),
        "GITHUB_REPOSITORY_OWNER": repository["owner"]["login"],
        "GITHUB_REPOSITORY_OWNER_ID": str(repository["owner"]["id"]),
        "GITHUB_RUN_ID": "4242424242",
        "GITHUB_RUN_NUMBER": "7",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_RETENTION_DAYS": "90",
        "GITHUB_ACTOR": payload["sender"]["login"],
        "GITHUB_ACTOR_ID": str(payload["sender"]["id"]),
        "GITHUB_TRIGGERING_ACTOR": payload["sender"]["login"],
        "GITHUB_WORKFLOW": "preflight",
        "GITHUB_WORKFLOW_REF": f"{repository['full_name']}/.github/workflows/preflight.yml@{ref}",
        "GITHUB_WORKFLOW_SHA": sha,
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": "/github/workflow/event.json",
        "GITHUB_SERVER_URL": server,
        "GITHUB_API_URL": api_url,
        "GITHUB_GRAPHQL_URL": f"{api_url}/graphql",
        "GITHUB_WORKSPACE": "/github/workspace",
        "GITHUB_ACTION": "__cloud-preflight_cloud-preflight",
        "GITHUB_ACTION_REPOSITORY": "cloud-preflight/cloud-preflight",
        "GITHUB_ACTION_REF": "v1",
        "GITHUB_OUTPUT": f"{commands}/set_output_{guid}",
        "GITHUB_STEP_SUMMARY": f"{commands}/step_summary_{guid}",
        "GITHUB_ENV": f"{commands}/set_env_{guid}",
        "GITHUB_PATH": f"{commands}/add_path_{guid}",
        "GITHUB_STATE": f"{commands}/save_state_{guid}",
        "RUNNER_OS": "Linux",
        "RUNNER_ARCH": "X64",
        "RUNNER_NAME": "GitHub Actions 2",
        "RUNNER_ENVIRONMENT": "github-hosted",
        "RUNNER_TOOL_CACHE": "/opt/hostedtoolcache",
        "RUNNER_TEMP": "/github/runner_temp",
        "RUNNER_WORKSPACE": "/home/runner/work/Hello-World",
    }


def run_action(podman: Podman, image: str, workspace: Path, scratch: Path, *, event_name: str,
               payload: dict[str, Any], inputs: dict[str, str], api_url: str,
               job_env: dict[str, str] | None = None) -> RunResult:
    """One step running the Action; ``job_env``: the workflow's own ``env:``, which the runner passes too."""
    guid = str(uuid.uuid4())
    home, workflow, commands, temp = (scratch / name for name in ("home", "workflow", "file_commands", "temp"))
    for folder in (home, workflow, commands, temp):
        folder.mkdir(parents=True)
    (workflow / "event.json").write_text(json.dumps(payload, indent=2), encoding="utf-8")
    for prefix in ("set_output", "step_summary", "set_env", "add_path", "save_state"):
        (commands / f"{prefix}_{guid}").touch()
    env = {**(job_env or {}), **_action_inputs(inputs), **_github_env(event_name, payload, api_url, guid)}
    args = ["run", "--rm", "--network", "host", "--workdir", "/github/workspace"]
    for name, value in env.items():
        args += ["--env", f"{name}={value}"]
    for source, target in ((home, "/github/home"), (workflow, "/github/workflow"),
                           (commands, "/github/file_commands"), (temp, "/github/runner_temp"),
                           (workspace, "/github/workspace")):
        args += ["--volume", f"{source}:{target}"]
    proc = podman(*args, image, timeout=300, check=False)
    outputs = read_outputs((commands / f"set_output_{guid}").read_text(encoding="utf-8"))
    summary = (commands / f"step_summary_{guid}").read_text(encoding="utf-8")
    return RunResult(proc.returncode, proc.stdout, proc.stderr, outputs, summary, workspace)


HOSTILE_PAGE = "app/pages/1_100%0A,a:b.py"
SHADOWS = ("json", "yaml", "github", "preflight", "checks", "actions_toolkit", "entrypoint")
SHADOW_MARK = "IMPORTED-FROM-WORKSPACE"


def make_workspace(example: str, where: Path, *, hostile: bool = False) -> Path:
    """A checkout of an example: its files, owned by another user than the container's root, as the runner's
    workspace is (uid 1001)."""
    workspace = where / "workspace"
    shutil.copytree(ROOT / "examples" / example, workspace)
    if hostile:
        # A page whose name has every character workflow-command properties must escape, and a finding in it;
        # a requirement line that is a workflow command, quoted by the finding about it.
        page = workspace / HOSTILE_PAGE
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text("import streamlit as st\n\nst.experimental_rerun()\n", encoding="utf-8")
        with open(workspace / "requirements.txt", "a", encoding="utf-8") as requirements:
            requirements.write("::error file=app/main.py,line=1::pwned\n")
        # Modules named like the ones the Action imports, in the working folder: never to be imported.
        for module in SHADOWS:
            (workspace / f"{module}.py").write_text(
                f"open('/github/workspace/{SHADOW_MARK}', 'w').write({module!r})\nraise SystemExit(99)\n",
                encoding="utf-8")
    if os.geteuid() == 0:
        for path in [workspace, *workspace.rglob("*")]:
            os.chown(path, 1001, 1001, follow_symlinks=False)
    return workspace


# -- checks shared by the runs -------------------------------------------------------------------------------
RANK = {"error": 0, "warning": 1, "notice": 2}
COMMAND_OF = {"error": "error", "warning": "warning", "note": "notice"}  # report severity -> workflow command


def check_annotations(run: RunResult) -> None:
    """The annotations the runner makes are the report's findings, errors first, none over GitHub's limit."""
    report = run.report()
    findings = {(f["path"], f["line"] or 1, f"{f['code']} {f['name']}", COMMAND_OF[f["severity"]])
                for f in report["findings"]}
    log = run.log
    assert log.dropped == [], f"over 10 annotations of one severity: {[a.title for a in log.dropped]}"
    from_findings = [a for a in log.annotations if a.file]
    kinds = [a.kind for a in from_findings]
    assert kinds == sorted(kinds, key=RANK.__getitem__), f"findings not annotated errors first: {kinds}"
    for annotation in from_findings:
        assert (run.workspace / annotation.file).is_file(), f"annotation for a file not in the workspace: {annotation}"
        assert annotation.line is not None and annotation.line >= 1, annotation
        key = (annotation.file, annotation.line, annotation.title, annotation.kind)
        assert key in findings, f"annotation {key} is not a finding of the report"
    # The Action's own annotations (no file): the pointer to the summary, a skipped comment; all titled.
    for annotation in log.annotations:
        assert annotation.file or annotation.title == "cloud-preflight", annotation
    assert not any("pwned" == a.message for a in log.annotations), "a quoted workflow command became one"


def check_outputs_and_summary(run: RunResult) -> None:
    report = run.report()
    counts = report["summary"]
    assert run.outputs["errors"] == str(counts["errors"])
    assert run.outputs["warnings"] == str(counts["warnings"])
    assert run.outputs["notes"] == str(counts["notes"])
    assert run.outputs["verdict"] == report["verdict"]
    lines = [line for line in run.summary.splitlines() if line.strip()]
    assert lines, "the job summary is empty"
    assert lines[0].startswith("#"), f"the summary does not start with the verdict: {lines[0]!r}"
    assert (":x:" in lines[0]) == (report["verdict"] == "fail"), lines[0]
    assert len(run.summary.encode("utf-8")) < 1024 * 1024
    for finding in report["findings"][:20]:
        assert f"docs/rules.md#{finding['code'].lower()}-{finding['name']}" in run.summary, finding["code"]


# -- the tests ------------------------------------------------------------------------------------------------
@container
def test_image_is_small_and_runs_as_the_runner_expects(podman: Podman, image: str, base_image: str,
                                                       timings: Timings) -> None:
    info = json.loads(podman("image", "inspect", image).stdout)[0]
    base = json.loads(podman("image", "inspect", base_image).stdout)[0]
    added = info["Size"] - base["Size"]
    timings.add("image", f"{info['Size'] / 1e6:.1f} MB ({added / 1e6:.1f} MB over the base)")
    assert added <= ADDED_BUDGET, (
        f"the image adds {added / 1e6:.1f} MB to its base: with debian:bookworm-slim "
        f"({PUBLISHED_BASE_SIZE / 1e6:.1f} MB) it would be {(added + PUBLISHED_BASE_SIZE) / 1e6:.1f} MB, over 150 MB")
    config = info["Config"]
    assert config.get("User", "") in ("", "root", "0"), "GitHub runs Docker actions as root: no USER"
    entrypoint = config["Entrypoint"]
    assert entrypoint[0].startswith("/") and entrypoint[-1] == "/app/entrypoint.py", entrypoint
    assert "-I" in entrypoint or "-P" in entrypoint, f"the workspace must stay off sys.path: {entrypoint}"
    assert "PYTHONDONTWRITEBYTECODE=1" in config.get("Env", [])
    # Python >= 3.11; no compilers, no pip in the runtime environment, no pip cache.
    probe = podman("run", "--rm", "--entrypoint", "/bin/sh", image, "-c",
                   "/opt/venv/bin/python -c 'import sys; assert sys.version_info >= (3, 11), sys.version' && "
                   "for t in gcc cc make pip pip3 /opt/venv/bin/pip; do command -v $t; done; "
                   "ls -A /root/.cache 2>/dev/null; true", check=False)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "", f"dev tools or pip caches in the image:\n{probe.stdout}"


@pytest.fixture(scope="module")
def fake_github():
    """The loopback fake GitHub API, or None when GitHub's OpenAPI description is not installed."""
    if not OPENAPI.is_file():
        if IN_CI:
            pytest.fail(f"{OPENAPI.relative_to(ROOT)} is missing: run `npm ci`", pytrace=False)
        yield None
        return
    from tests.github_fake import FakeGitHub

    with FakeGitHub() as fake:
        yield fake


def _comments(fake, repository: str, number: int) -> list[dict[str, Any]]:
    return list(fake.comments.get((repository, number), []))


@container
def test_pull_request_runs_like_on_the_runner(podman: Podman, image: str, fake_github, timings: Timings,
                                               tmp_path: Path) -> None:
    """needs-fixes on a pull request: annotations, summary, outputs, exit 1, one comment; then the same again
    (the comment is neither duplicated nor rewritten); then the fixed app (the same comment becomes the
    all-clear)."""
    payload = webhook("pull_request", "opened")
    repository, number = payload["repository"]["full_name"], payload["pull_request"]["number"]
    if fake_github is None:
        api_url, comment = "http://127.0.0.1:9", "never"  # nothing listens there: no call may be made
    else:
        api_url, comment = fake_github.url, "auto"
    inputs = {"fail-on": "error", "comment": comment}

    start = time.monotonic()
    # The job's env puts the workspace on PYTHONPATH, as Python projects' workflows often do.
    first = run_action(podman, image, make_workspace("needs-fixes", tmp_path / "1", hostile=True),
                       tmp_path / "1", event_name="pull_request", payload=payload, inputs=inputs, api_url=api_url,
                       job_env={"PYTHONPATH": "/github/workspace"})
    timings.add("first run", f"{time.monotonic() - start:.1f} s")
    assert first.returncode == 1, first.explain()
    assert not (first.workspace / SHADOW_MARK).exists(), "the Action imported a module from the workspace"
    assert TOKEN not in first.stdout.replace(f"::add-mask::{TOKEN}", "") and TOKEN not in first.stderr
    check_annotations(first)
    check_outputs_and_summary(first)
    errors = [a for a in first.log.annotations if a.kind == "error"]
    assert any(a.file == "requirements.txt" and a.line == 2 and (a.title or "").startswith("CP301 ")
               for a in errors), first.explain()
    # The hostile file name, escaped on stdout, is the real name again once the runner has unescaped it.
    assert any(a.file == HOSTILE_PAGE for a in errors), first.explain()
    assert re.search(r"^::error [^\n]*file=app/pages/1_100%250A%2Ca%3Ab\.py[,:]", first.stdout, re.M), first.explain()
    assert first.outputs["verdict"] == "fail"

    if fake_github is None:
        pytest.skip("GitHub's OpenAPI description is not installed (npm ci): the sticky comment was not tested; "
                    "annotations, summary, outputs and exit code were")
    assert fake_github.contract_errors() == []
    comments = _comments(fake_github, repository, number)
    assert len(comments) == 1, first.explain()
    sticky_id, first_body = comments[0]["id"], comments[0]["body"]
    assert first_body.startswith("<!-- cloud-preflight:comment -->"), first_body[:200]
    assert first.outputs["comment-url"] == comments[0]["html_url"]
    assert "CP301" in first_body and ":x:" in first_body.splitlines()[1]

    # The same findings again: the same comment, not rewritten.
    calls_before = len(fake_github.requests)
    second = run_action(podman, image, make_workspace("needs-fixes", tmp_path / "2", hostile=True),
                        tmp_path / "2", event_name="pull_request", payload=payload, inputs=inputs, api_url=api_url)
    assert second.returncode == 1, second.explain()
    new_calls = [f"{r['method']} {r['operation']}" for r in fake_github.requests[calls_before:]]
    assert "POST issues/create-comment" not in new_calls, new_calls
    assert "PATCH issues/update-comment" not in new_calls, new_calls
    assert [c["id"] for c in _comments(fake_github, repository, number)] == [sticky_id]

    # Fixed: exit 0, and the same comment says so.
    calls_before = len(fake_github.requests)
    third = run_action(podman, image, make_workspace("hello-cloud", tmp_path / "3"), tmp_path / "3",
                       event_name="pull_request", payload=payload, inputs=inputs, api_url=api_url)
    assert third.returncode == 0, third.explain()
    check_annotations(third)
    check_outputs_and_summary(third)
    assert third.outputs["verdict"] == "pass"
    new_calls = [f"{r['method']} {r['operation']}" for r in fake_github.requests[calls_before:]]
    assert "PATCH issues/update-comment" in new_calls and "POST issues/create-comment" not in new_calls, new_calls
    comments = _comments(fake_github, repository, number)
    assert [c["id"] for c in comments] == [sticky_id]
    body = comments[0]["body"]
    assert body.startswith("<!-- cloud-preflight:comment -->") and body != first_body
    assert ":white_check_mark:" in body.splitlines()[1] and "CP301" not in body, body[:300]
    assert fake_github.contract_errors() == []


@container
def test_push_of_a_clean_app_passes_without_calling_github(podman: Podman, image: str, fake_github,
                                                           tmp_path: Path) -> None:
    payload = webhook("push")
    api_url = fake_github.url if fake_github is not None else "http://127.0.0.1:9"
    calls_before = len(fake_github.requests) if fake_github is not None else 0
    run = run_action(podman, image, make_workspace("hello-cloud", tmp_path), tmp_path, event_name="push",
                     payload=payload, inputs={"fail-on": "warning"}, api_url=api_url)
    assert run.returncode == 0, run.explain()
    check_annotations(run)
    check_outputs_and_summary(run)
    assert run.outputs["verdict"] == "pass" and run.outputs["errors"] == "0"
    assert run.outputs["comment-url"] == ""
    if fake_github is not None:
        assert fake_github.requests[calls_before:] == [], "a push has no pull request to comment on"


@container
def test_merge_group_waits_for_a_slot(podman: Podman, image: str, fake_github, timings: Timings,
                                      tmp_path: Path) -> None:
    """The merge queue's check on a real ``merge_group`` payload, with action.yml's defaults (``guard`` empty:
    wait there): five updates to the queue's base branch in the last minute, the oldest 57 seconds old. The
    Action reads the branch's activity (each request checked against GitHub's OpenAPI description), waits by
    GitHub's clock (the fake's ``Date`` header, real time here) until this merge would be the fifth update, then
    passes. How long depends on when the container first looks, which the fake records."""
    if fake_github is None:
        pytest.skip("GitHub's OpenAPI description is not installed (npm ci): the deploy-rate guard was not tested")
    payload = webhook("merge_group", "checks_requested")
    repository, base = payload["repository"]["full_name"], payload["merge_group"]["base_ref"]
    oldest = fake_github.add_activity(repository, ago=57, ref=base, activity_type="merge_queue_merge")
    for ago in (45, 30, 20, 10):
        fake_github.add_activity(repository, ago=ago, ref=base, activity_type="merge_queue_merge")
    calls_before = len(fake_github.requests)
    start = time.monotonic()
    run = run_action(podman, image, make_workspace("hello-cloud", tmp_path), tmp_path, event_name="merge_group",
                     payload=payload, inputs={}, api_url=fake_github.url)
    timings.add("merge_group run", f"{time.monotonic() - start:.1f} s")
    assert run.returncode == 0, run.explain()
    check_annotations(run)
    check_outputs_and_summary(run)
    looks = [r for r in fake_github.requests[calls_before:] if r["operation"] == "repos/list-activities"]
    assert looks, run.explain()
    assert all(r["query"]["ref"] == base and r["headers"]["x-github-api-version"] == "2022-11-28" for r in looks)
    expected = max(0, oldest["_at"] + 60 - looks[0]["date"])  # the seconds left until the oldest leaves
    assert run.outputs["guard-waited-seconds"] == str(expected), run.explain()
    assert len(looks) == (2 if expected else 1), [r["date"] for r in looks]
    assert run.outputs["updates-last-minute"] == "4"
    assert "#### :white_check_mark: Deploy-rate guard" in run.summary
    assert fake_github.contract_errors() == []


def test_requirements_action_pins_what_pyproject_asks_for() -> None:
    """requirements-action.txt (tests/container/requirements-action.sh writes it) pins, with hashes, every
    runtime dependency, the ``action`` extra and the build backend, at versions pyproject.toml accepts."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = [Requirement(text) for text in (*project["project"]["dependencies"],
                                             *project["project"].get("optional-dependencies", {}).get("action", []),
                                             *project["build-system"]["requires"])]
    pins: dict[str, tuple[str, list[str]]] = {}
    text = (ROOT / "requirements-action.txt").read_text(encoding="utf-8").replace("\\\n", " ")
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        first, *rest = line.split()
        name, _, version = first.partition("==")
        assert version, f"not pinned with ==: {first}"
        hashes = [token.removeprefix("--hash=") for token in rest]
        assert hashes and all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in hashes), f"{first}: {rest}"
        pins[canonicalize_name(name)] = (version, hashes)
    image_python = {"python_version": "3.11", "python_full_version": "3.11.2"}  # Debian bookworm's python3
    for requirement in wanted:
        if requirement.marker is not None and not requirement.marker.evaluate(image_python):
            continue
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is missing: run bash tests/container/requirements-action.sh"
        assert requirement.specifier.contains(pins[name][0], prereleases=True), (
            f"requirements-action.txt pins {name}=={pins[name][0]}, pyproject.toml asks for {requirement}")
