"""action.yml and .github/workflows: valid against check-jsonschema's vendored GitHub schemas, no high or medium
zizmor finding, third-party actions pinned by commit, and the inputs and outputs the same in action.yml,
entrypoint.py, the reusable workflow and the README."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
REUSABLE = ROOT / ".github" / "workflows" / "cloud-preflight.yml"
OWN_ACTION = "cloud-preflight/cloud-preflight"


def load(path: Path) -> dict:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)  # "on" stays a string key


def tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return found


def test_workflows_exist():
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "cloud-preflight.yml", "release.yml"}


@pytest.mark.parametrize("schema,files", [
    ("vendor.github-actions", [ACTION]),
    ("vendor.github-workflows", WORKFLOWS),
    ("custom.github-workflows-require-timeout", WORKFLOWS),
])
def test_check_jsonschema(schema, files):
    proc = subprocess.run([tool("check-jsonschema"), "--builtin-schema", schema, *map(str, files)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zizmor_finds_nothing_high_or_medium():
    proc = subprocess.run([tool("zizmor"), "--offline", "--format", "json", "--persona", "auditor",
                           str(ROOT / ".github" / "workflows"), str(ACTION)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    findings = json.loads(proc.stdout)
    serious = [(f["ident"], f["determinations"]["severity"], f["locations"][0]["symbolic"]["key"])
               for f in findings if f["determinations"]["severity"] in ("High", "Medium")]
    assert serious == [], proc.stderr[-2000:]


def _uses(node: object):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "uses" and isinstance(value, str):
                yield value
            else:
                yield from _uses(value)
    elif isinstance(node, list):
        for item in node:
            yield from _uses(item)


def test_third_party_actions_are_pinned_by_commit():
    for path in WORKFLOWS:
        text = path.read_text(encoding="utf-8")
        for ref in _uses(load(path)):
            if ref.startswith("./") or ref.split("@")[0] == OWN_ACTION:
                continue
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), f"{path.name}: {ref} is not pinned"
            assert re.search(re.escape(ref) + r" # v\d+\.\d+\.\d+", text), f"{path.name}: {ref} has no version"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for ref in re.findall(r"uses: (\S+)", readme):
        if ref.split("@")[0] in (OWN_ACTION, f"{OWN_ACTION}/.github/workflows/cloud-preflight.yml"):
            continue
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), f"README: {ref} is not pinned"


def test_action_metadata():
    action = load(ACTION)
    assert action["runs"] == {"using": "docker", "image": "Dockerfile"}
    assert action["branding"]["icon"] and action["branding"]["color"]
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"
    for name in action["inputs"]:
        assert re.fullmatch(r"[a-z][a-z0-9-]*", name)


def test_inputs_read_by_the_entrypoint_are_the_declared_ones():
    source = (ROOT / "entrypoint.py").read_text(encoding="utf-8")
    read = set(re.findall(r'get_input\("([a-z-]+)"\)', source))
    read |= set(re.findall(r'_boolean\(core, "([a-z-]+)"', source))
    assert read == set(load(ACTION)["inputs"])


def test_outputs_written_by_the_entrypoint_are_the_declared_ones():
    import entrypoint

    source = Path(entrypoint.__file__).read_text(encoding="utf-8")
    block = source[source.index("    outputs = {"):source.index("    }", source.index("    outputs = {"))]
    assert set(re.findall(r'"([a-z-]+)":', block)) == set(load(ACTION)["outputs"])


def test_reusable_workflow_mirrors_the_action():
    action, workflow = load(ACTION), load(REUSABLE)
    call = workflow["on"]["workflow_call"]
    assert set(call["inputs"]) == set(action["inputs"]) - {"github-token"} | {"cache"}  # cache: the workflow's own
    for name, spec in call["inputs"].items():
        if name != "cache":
            assert spec["default"] == action["inputs"][name]["default"], name
    assert set(call["secrets"]) == {"token"}
    assert set(call["outputs"]) <= set(action["outputs"])
    [job] = workflow["jobs"].values()
    assert job["name"] == "cloud-preflight"
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    step = next(s for s in job["steps"] if s.get("uses", "").startswith(OWN_ACTION + "@"))
    assert set(step["with"]) == set(action["inputs"])
    assert step["with"]["github-token"] == "${{ secrets.token || github.token }}"


def test_reusable_workflow_restores_the_facts_cache_and_saves_it_only_from_the_default_branch():
    """Restored before the check on every event, saved after it only on a push to the default branch (a pull
    request cannot write what other runs read), both off with ``cache: false``, same path and key."""
    workflow = load(REUSABLE)
    assert workflow["on"]["workflow_call"]["inputs"]["cache"] == {
        "description": workflow["on"]["workflow_call"]["inputs"]["cache"]["description"],
        "type": "boolean", "required": "false", "default": "true"}
    [job] = workflow["jobs"].values()
    names = [s.get("uses", s.get("id", "")).split("@")[0] for s in job["steps"]]
    assert names == ["actions/checkout", "actions/cache/restore", OWN_ACTION, "committed", "actions/cache/save"]
    restore, check, committed, save = job["steps"][1:]
    assert restore["uses"].split("@")[1] == save["uses"].split("@")[1]
    path = "${{ inputs.path }}/.cloud-preflight-cache/facts"
    assert restore["with"]["path"] == save["with"]["path"] == path
    assert restore["with"]["key"] == save["with"]["key"]
    assert "${{ github.sha }}" in save["with"]["key"]  # a new key every run: the newest save wins
    assert save["with"]["key"].startswith(restore["with"]["restore-keys"])
    assert restore["with"]["restore-keys"].startswith("cloud-preflight-facts-${{ runner.os }}-")
    assert check["with"]["path"] == "${{ inputs.path }}"  # the cache folder is in the checked folder
    assert restore["if"] == "${{ inputs.cache }}"
    for step in (committed, save):
        condition = " ".join(step["if"].split())
        for part in ("!cancelled()", "inputs.cache", "github.event_name == 'push'",
                     "github.ref == format('refs/heads/{0}', github.event.repository.default_branch)"):
            assert part in condition, part
        assert "||" not in condition
    # Not saved when the repository commits the cache folder, nor when that could not be told (fails closed).
    assert "steps.committed.outputs.files == 'none'" in " ".join(save["if"].split())
    assert committed["continue-on-error"] == "true" and "${{" not in committed["run"]


def test_the_committed_cache_check_fails_closed(tmp_path):
    """The workflow's own shell step, run as the runner runs it: 'none' only when git lists nothing there."""
    [job] = load(REUSABLE)["jobs"].values()
    script = next(s for s in job["steps"] if s.get("id") == "committed")["run"]
    repo = tmp_path / "repo"
    (repo / ".cloud-preflight-cache" / "facts").mkdir(parents=True)
    (repo / "app.py").write_text("", encoding="utf-8")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo)]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "app.py"], check=True)
    subprocess.run([*git, "commit", "-qm", "app"], check=True)

    def outputs() -> tuple[int, str]:
        out = tmp_path / "out"
        out.write_text("", encoding="utf-8")
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=repo,
                              env={"PATH": os.environ["PATH"], "HOME": str(tmp_path),
                                   "GIT_CEILING_DIRECTORIES": str(tmp_path),
                                   "FOLDER": "./.cloud-preflight-cache", "GITHUB_OUTPUT": str(out)},
                              capture_output=True, text=True, timeout=60)
        return proc.returncode, out.read_text(encoding="utf-8")

    (repo / ".cloud-preflight-cache" / "facts" / "facts-x.marshal").write_bytes(b"")  # restored, not committed
    assert outputs() == (0, "files=none\n")
    subprocess.run([*git, "add", "-f", ".cloud-preflight-cache/facts/facts-x.marshal"], check=True)
    assert outputs() == (0, "")  # committed: not saved
    (repo / ".git").rename(repo / ".git.off")
    code, written = outputs()
    assert code != 0 and written == ""  # no git repository: not saved


def test_release_rewrites_what_is_there():
    """release.yml's sed expressions must find the lines they pin."""
    action = ACTION.read_text(encoding="utf-8")
    assert len(re.findall(r"(?m)^  image: .*$", action)) == 1
    assert len(re.findall(rf"(?m)uses: {OWN_ACTION}@v[0-9]+$", REUSABLE.read_text(encoding="utf-8"))) == 1
    release = (ROOT / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8")
    assert "docker push" in release and "--force" in release and "@$DIGEST" in release


def test_readme_documents_every_input_with_its_default_and_every_output():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## GitHub Action"):readme.index("\n## ", readme.index("## GitHub Action") + 5)]
    action = load(ACTION)
    for name, spec in action["inputs"].items():
        default = spec.get("default", "")
        shown = f"`{default}`" if default else '`""`'
        assert f"| `{name}` | {shown} |" in section, name
    for name in action["outputs"]:
        assert f"`{name}`" in section, name
    assert "preflight / cloud-preflight" in section and "merge_group" in section
    assert "pull_request_target" in section and "pull-requests: write" in section


def test_zizmor_would_catch_a_dangerous_workflow(tmp_path):
    """The audit has teeth: an injectable, unpinned workflow is reported as high."""
    bad = tmp_path / "bad.yml"
    bad.write_text("on: pull_request_target\npermissions: write-all\njobs:\n  x:\n    runs-on: ubuntu-latest\n"
                   "    steps:\n      - uses: actions/checkout@v4\n"
                   "      - run: echo \"${{ github.event.pull_request.title }}\"\n", encoding="utf-8")
    proc = subprocess.run([tool("zizmor"), "--offline", "--no-config", "--format", "json", str(bad)],
                          capture_output=True, text=True, timeout=120)
    severities = {f["determinations"]["severity"] for f in json.loads(proc.stdout)}
    assert "High" in severities
