"""action.yml and .github/workflows: valid against check-jsonschema's vendored GitHub schemas, no high or medium
zizmor finding, third-party actions pinned by commit, and the inputs and outputs the same in action.yml,
entrypoint.py, the reusable workflow and the README."""

from __future__ import annotations

import json
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
    assert set(call["inputs"]) == set(action["inputs"]) - {"github-token"}
    for name, spec in call["inputs"].items():
        assert spec["default"] == action["inputs"][name]["default"], name
    assert set(call["secrets"]) == {"token"}
    assert set(call["outputs"]) <= set(action["outputs"])
    [job] = workflow["jobs"].values()
    assert job["name"] == "cloud-preflight"
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    step = next(s for s in job["steps"] if s.get("uses", "").startswith(OWN_ACTION + "@"))
    assert set(step["with"]) == set(action["inputs"])
    assert step["with"]["github-token"] == "${{ secrets.token || github.token }}"


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
