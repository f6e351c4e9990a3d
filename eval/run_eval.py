"""Score missing/misnamed-package detection against the hand-made labels in eval/repos.toml.

    python eval/run_eval.py --repos-dir DIR [--tools-dir DIR] [--only OWNER/NAME] [--markdown] [--raw-dir DIR]

DIR holds local clones named ``owner+name`` (see eval/README.md). Each labelled app is checked out at its
labelled commit (a temporary ``git worktree`` when the clone's HEAD is elsewhere) and run through:

- cloud-preflight (``cloud-preflight <dir> --entrypoint <ep> --format json``). Missing = CP101 and CP103 plus
  the CP2xx rules whose names say an import is missing/undeclared/unknown; misnamed = CP301 and CP302.
- deptry 0.25 and FawltyDeps 0.20, when ``--tools-dir`` holds ``deptry-venv`` / ``fawltydeps-venv``, run as a
  CI user would: no app dependencies installed, pointed at the file Cloud uses. Their DEP001 / undeclared
  reports are import names; they are mapped to distributions with the same table cloud-preflight uses
  (``preflight.distributions.candidates`` plus the table's import patterns) so no tool is penalised for the
  import-name/distribution gap. Neither reports misnamed requirements, so they are scored on missing only.

Scores are micro-averaged over all labels. A reported distribution that the labels list as ``transitive``
(imported, undeclared, but brought in by a declared package) is neither a true nor a false positive; it is
counted apart. Every false positive and false negative is listed.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from preflight import data as preflight_data  # noqa: E402
from preflight.distributions import candidates  # noqa: E402

MISSING_BASE = ("CP101", "CP103")
MISNAMED_CODES = ("CP301", "CP302")
MISSING_NAME_RE = re.compile(r"missing|undeclared|not-declared|unknown|not-installed|not-provided|not-found"
                             r"|not-on-path")
TIMEOUT = 300


# --------------------------------------------------------------------------- labels and names

@dataclass
class App:
    repo: str
    commit: str
    entrypoint: str
    dependency_file: str
    missing: set[str]
    misnamed: set[str]
    transitive: set[str]
    python: str | None = None
    notes: str = ""

    @property
    def key(self) -> str:
        return f"{self.repo}@{self.commit[:7]}:{self.entrypoint}"


def canon(name: str) -> str:
    return canonicalize_name(name.split("[", 1)[0].strip())


def load_labels(path: Path) -> list[App]:
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    apps = []
    for row in doc.get("app", []):
        # A local module the app imports but cannot import on Cloud counts under its top-level name.
        local = {canon(m.split(".", 1)[0]) for m in row.get("local_missing", [])}
        apps.append(App(row["repo"], row["commit"], row["entrypoint"], row.get("dependency_file", ""),
                        {canon(n) for n in row.get("missing", [])} | local,
                        {canon(n) for n in row.get("misnamed", [])},
                        {canon(n) for n in row.get("transitive", [])}, row.get("python"), row.get("notes", "")))
    return apps


def _patterns() -> list[tuple[str, str]]:
    table = preflight_data.toml("import_names.toml").get("import-patterns", {})
    return [(k, v["use"]) for k, v in table.items() if isinstance(v, dict) and isinstance(v.get("use"), str)]


def distributions_for(module: str) -> set[str]:
    """Every distribution an import of dotted ``module`` may come from (canonical names)."""
    out = {canon(d) for d in candidates(module)}
    for pattern, use in _patterns():
        prefix = pattern.rstrip("*")
        if module.startswith(prefix) and len(module) > len(prefix):
            rest = module[len(prefix):].split(".", 1)[0]
            out.add(canon(use.replace("*", rest.replace("_", "-"))))
    top = module.split(".", 1)[0]
    if not out:
        out.add(canon(top))
    return out


# --------------------------------------------------------------------------- checkouts

class Checkout:
    """The clone itself when HEAD is the labelled commit, else a temporary detached worktree."""

    def __init__(self, clone: Path, commit: str):
        self.clone, self.commit, self.tmp = clone, commit, None

    def __enter__(self) -> Path:
        head = _git(self.clone, "rev-parse", "HEAD").strip()
        if head == self.commit:
            return self.clone
        self.tmp = Path(tempfile.mkdtemp(prefix="eval-wt-")) / "tree"
        _git(self.clone, "worktree", "add", "-q", "--no-checkout", "--detach", str(self.tmp), self.commit)
        _git(self.tmp, "reset", "-q", check=False)
        _git(self.tmp, "checkout-index", "-a", "-f", check=False)  # blobs absent from a partial mirror are skipped
        return self.tmp

    def __exit__(self, *exc) -> None:
        if self.tmp is not None:
            _git(self.clone, "worktree", "remove", "--force", str(self.tmp), check=False)
            _git(self.clone, "worktree", "prune", check=False)
            shutil.rmtree(self.tmp.parent, ignore_errors=True)


def _git(cwd: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {proc.stderr.strip()}")
    return proc.stdout


# --------------------------------------------------------------------------- cloud-preflight

def preflight_missing_codes() -> tuple[list[str], dict[str, str]]:
    """CP101/CP103 plus the CP2xx rules whose names mean a missing or unknown import."""
    from checks import ALL_RULES

    cp2 = {r.code: r.name for r in ALL_RULES if r.code.startswith("CP2") and MISSING_NAME_RE.search(r.name)}
    return [*MISSING_BASE, *sorted(cp2)], cp2


def imported_at(tree_dir: Path, path: str, line: int | None, column: int | None) -> list[str]:
    """Dotted modules imported on ``path:line`` (the one at ``column`` when given)."""
    if not line:
        return []
    try:
        tree = ast.parse((tree_dir / path).read_bytes())
    except (OSError, SyntaxError, ValueError):
        return []
    hits: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) != line:
            continue
        if isinstance(node, ast.Import):
            hits += [(node.col_offset + 1, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            hits.append((node.col_offset + 1, node.module))
            hits += [(node.col_offset + 1, f"{node.module}.{a.name}") for a in node.names if a.name != "*"]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            hits.append((node.col_offset + 1, node.args[0].value))  # importlib.import_module("x")
    at_column = [m for c, m in hits if column and c == column]
    mods = at_column or [m for _, m in hits]
    return [m for m in mods if m.split(".", 1)[0] not in sys.stdlib_module_names]


def quoted(message: str) -> list[str]:
    return re.findall(r'"([^"]+)"', message)


def run_preflight(app: App, tree: Path, missing_codes: list[str]) -> dict:
    cmd = ["cloud-preflight", str(tree), "--entrypoint", app.entrypoint, "--format", "json", "--fail-on", "never",
           "--select", ",".join([*missing_codes, *MISNAMED_CODES])]
    if app.python:
        cmd += ["--python-version", app.python]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
    if proc.returncode not in (0, 1):
        return {"error": _last_line(proc.stderr) or f"exit {proc.returncode}", "missing": {}, "misnamed": {}}
    report = json.loads(proc.stdout)
    missing: dict[str, str] = {}
    misnamed: dict[str, str] = {}
    for f in report["findings"]:
        code, msg = f["code"], f["message"]
        where = f"{f['path']}:{f['line']}" if f["line"] else f["path"]
        if code in MISNAMED_CODES:
            names = quoted(msg)[:1] or [_requirement_at(tree, f["path"], f["line"])]
            for n in names:
                if n:
                    misnamed.setdefault(canon(n), f"{code} {where}")
        elif code == "CP101":
            names = re.findall(r'"import ([\w.]+)"', msg)
            also = re.search(r"\(also: ([^)]*)\)", msg)
            if also:
                names += [n.strip() for n in also.group(1).split(",") if n.strip()]
            for n in names:
                dists = distributions_for(n)
                missing.setdefault(_pick(dists, app), f"{code} {where} ({n})")
        elif code == "CP103":
            for n in re.findall(r"([A-Za-z0-9_.\-\[\]]+) \(imported at ", msg):
                missing.setdefault(canon(n), f"{code} {where}")
        elif code in missing_codes:
            named = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])? is not ", msg)
            mods = imported_at(tree, f["path"], f["line"], f["column"])
            if named:  # the distribution the finding names ("opencv-python-headless is not in ...")
                dists = {canon(named.group(1))}
                for m in mods:
                    dists |= distributions_for(m) if canon(named.group(1)) in distributions_for(m) else set()
                missing.setdefault(_pick(dists, app), f"{code} {where} ({', '.join(mods) or named.group(1)})")
                continue
            if not mods:  # not on an import line: fall back to names quoted in the message
                mods = [q for q in quoted(msg) if re.fullmatch(r"[A-Za-z_][\w.]*", q)][:1]
            for m in mods:
                missing.setdefault(_pick(distributions_for(m), app), f"{code} {where} ({m})")
    return {"missing": missing, "misnamed": misnamed, "entrypoints": report.get("entrypoints", [])}


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def _requirement_at(tree: Path, path: str, line: int | None) -> str:
    try:
        text = (tree / path).read_text(encoding="utf-8", errors="replace").splitlines()[(line or 1) - 1]
    except (OSError, IndexError):
        return ""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", text)
    return match.group(1) if match else ""


def _pick(dists: set[str], app: App) -> str:
    """The candidate that a label names, else the first one: scoring by distribution, not import name."""
    for labelled in (app.missing, app.transitive):
        hit = sorted(dists & labelled)
        if hit:
            return hit[0]
    return sorted(dists)[0]


# --------------------------------------------------------------------------- deptry / FawltyDeps

def scan_dir(tree: Path, app: App) -> Path:
    folder = os.path.dirname(app.entrypoint)
    return tree / folder if folder else tree


def tool_depfile(app: App, tool: str) -> tuple[str | None, str]:
    """(file to give the tool, note). uv.lock -> its pyproject.toml (the lock's source); unsupported -> None."""
    dep = app.dependency_file
    if not dep:
        return "", "no dependency file"
    name = os.path.basename(dep)
    if name == "uv.lock":
        return os.path.join(os.path.dirname(dep), "pyproject.toml"), "uv.lock read as its pyproject.toml"
    supported = {"deptry": ("requirements.txt", "pyproject.toml"),
                 "fawltydeps": ("requirements.txt", "pyproject.toml", "environment.yml")}[tool]
    if name in supported:
        return dep, ""
    return None, f"{name} not supported"


def run_deptry(venv: Path, app: App, tree: Path) -> dict:
    dep, note = tool_depfile(app, "deptry")
    if dep is None:
        return {"skipped": note}
    work = Path(tempfile.mkdtemp(prefix="eval-deptry-"))
    try:
        out = work / "out.json"
        cmd = [str(venv / "bin" / "deptry"), str(scan_dir(tree, app)), "--json-output", str(out), "--no-ansi"]
        if dep.endswith("pyproject.toml"):
            cmd += ["--config", str(tree / dep)]
        else:
            empty = work / "pyproject.toml"
            empty.write_text("")
            req = tree / dep if dep else work / "requirements.txt"
            if not dep:
                req.write_text("")
            cmd += ["--config", str(empty), "--requirements-files", str(req)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, cwd=tree)
        if not out.exists():
            return {"error": _last_line(proc.stderr or proc.stdout), "note": note}
        issues = json.loads(out.read_text())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    missing: dict[str, str] = {}
    for issue in issues:
        if issue.get("error", {}).get("code") == "DEP001":
            module = issue.get("module", "")
            missing.setdefault(_pick(distributions_for(module), app), f"DEP001 ({module})")
    return {"missing": missing, "note": note, "filtered": _without_streamlit_provided(missing)}


def run_fawltydeps(venv: Path, app: App, tree: Path) -> dict:
    dep, note = tool_depfile(app, "fawltydeps")
    if dep is None:
        return {"skipped": note}
    work = Path(tempfile.mkdtemp(prefix="eval-fd-"))
    try:
        deps = str(tree / dep) if dep else str(work / "requirements.txt")
        if not dep:
            Path(deps).write_text("")
        cmd = [str(venv / "bin" / "fawltydeps"), "--check-undeclared", "--json", "--code", str(scan_dir(tree, app)),
               "--deps", deps, "--pyenv", str(work)]
        if dep and os.path.basename(dep) not in ("requirements.txt", "pyproject.toml", "environment.yml"):
            cmd += ["--deps-parser-choice", "requirements.txt"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, cwd=tree)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return {"error": _last_line(proc.stderr or proc.stdout), "note": note}
    missing: dict[str, str] = {}
    for item in report.get("undeclared_deps", []):
        module = item.get("name", "")
        missing.setdefault(_pick(distributions_for(module), app), f"undeclared ({module})")
    return {"missing": missing, "note": note, "filtered": _without_streamlit_provided(missing)}


def _without_streamlit_provided(missing: dict[str, str]) -> dict[str, str]:
    """Reports minus imports that Cloud's streamlit install provides (the ignore list a CI user would add)."""
    from checks.dependency_files import STREAMLIT_PROVIDED

    out = {}
    for dist, why in missing.items():
        module = re.search(r"\(([^)]*)\)", why)
        top = module.group(1).split(".", 1)[0] if module else dist
        if top not in STREAMLIT_PROVIDED:
            out[dist] = why
    return out


# --------------------------------------------------------------------------- scoring

@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    transitive: int = 0
    apps: int = 0
    fps: list[str] = field(default_factory=list)
    fns: list[str] = field(default_factory=list)
    transitive_hits: list[str] = field(default_factory=list)
    tps: list[str] = field(default_factory=list)

    def add(self, app: App, reported: dict[str, str], labels: set[str], transitive: set[str]) -> None:
        self.apps += 1
        for dist, why in sorted(reported.items()):
            if dist in labels:
                self.tp += 1
                self.tps.append(f"{app.key}: {dist} [{why}]")
            elif dist in transitive:
                self.transitive += 1
                self.transitive_hits.append(f"{app.key}: {dist} [{why}]")
            else:
                self.fp += 1
                self.fps.append(f"{app.key}: {dist} [{why}]")
        for dist in sorted(labels - set(reported)):
            self.fn += 1
            self.fns.append(f"{app.key}: {dist}")

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def strict_precision(self) -> float | None:
        """Precision when a report of a transitively provided import counts as a false positive."""
        total = self.tp + self.fp + self.transitive
        return self.tp / total if total else None


def fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def render(scores: dict[str, dict[str, Score]], skipped: dict[str, list[str]], markdown: bool) -> str:
    lines = []
    header = ["tool", "kind", "apps", "TP", "FP", "FN", "transitive reports", "precision", "recall",
              "precision (transitive = FP)"]
    rows = []
    for tool, kinds in scores.items():
        for kind, s in kinds.items():
            rows.append([tool, kind, str(s.apps), str(s.tp), str(s.fp), str(s.fn), str(s.transitive),
                         fmt(s.precision), fmt(s.recall), fmt(s.strict_precision)])
    if markdown:
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        lines += ["| " + " | ".join(r) + " |" for r in rows]
    else:
        widths = [max(len(x) for x in col) for col in zip(header, *rows, strict=False)]
        for r in [header, *rows]:
            lines.append("  ".join(x.ljust(w) for x, w in zip(r, widths, strict=False)))
    for tool, kinds in scores.items():
        for kind, s in kinds.items():
            for title, items in (("true positives", s.tps), ("false positives", s.fps), ("false negatives", s.fns),
                                 ("reports of transitively provided imports", s.transitive_hits)):
                if items:
                    lines.append("")
                    lines.append(f"{tool} {kind} {title} ({len(items)}):")
                    lines += [f"- {i}" if markdown else f"  {i}" for i in items]
        if skipped.get(tool):
            lines.append("")
            lines.append(f"{tool}: not scored on {len(skipped[tool])} app(s):")
            lines += [f"- {i}" if markdown else f"  {i}" for i in skipped[tool]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--repos-dir", required=True, type=Path, help="folder with owner+name clones")
    parser.add_argument("--labels", type=Path, default=HERE / "repos.toml")
    parser.add_argument("--tools-dir", type=Path, help="folder with deptry-venv/ and fawltydeps-venv/")
    parser.add_argument("--only", action="append", default=[], help="owner/name to run (repeatable)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--raw-dir", type=Path, help="write each tool's mapped reports per app as JSON here")
    args = parser.parse_args(argv)
    args.repos_dir = args.repos_dir.resolve()
    if args.tools_dir:
        args.tools_dir = args.tools_dir.resolve()

    apps = [a for a in load_labels(args.labels) if not args.only or a.repo in args.only]
    missing_codes, cp2 = preflight_missing_codes()
    print(f"cloud-preflight missing codes: {', '.join(missing_codes)}"
          + ("" if cp2 else " (no CP2xx missing-import rule is registered yet)"), file=sys.stderr)
    tools: dict[str, Path] = {}
    if args.tools_dir:
        for tool in ("deptry", "fawltydeps"):
            venv = args.tools_dir / f"{tool}-venv"
            if (venv / "bin" / tool).exists():
                tools[tool] = venv
    scores: dict[str, dict[str, Score]] = {"cloud-preflight": {"missing": Score(), "misnamed": Score()}}
    for tool in tools:
        scores[tool] = {"missing": Score(), "missing, streamlit's deps ignored": Score()}
    skipped: dict[str, list[str]] = {t: [] for t in scores}
    raw: list[dict] = []
    for app in apps:
        clone = args.repos_dir / app.repo.replace("/", "+")
        if not (clone / ".git").exists():
            skipped["cloud-preflight"].append(f"{app.key}: no clone at {clone}")
            continue
        try:
            with Checkout(clone, app.commit) as tree:
                pf = run_preflight(app, tree, missing_codes)
                results = {"cloud-preflight": pf}
                for tool, venv in tools.items():
                    results[tool] = (run_deptry if tool == "deptry" else run_fawltydeps)(venv, app, tree)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            skipped["cloud-preflight"].append(f"{app.key}: {exc}")
            continue
        raw.append({"app": app.key, **{t: r for t, r in results.items()}})
        for tool, result in results.items():
            if "skipped" in result or "error" in result:
                skipped[tool].append(f"{app.key}: {result.get('skipped') or 'error: ' + result['error']}")
                continue
            scores[tool]["missing"].add(app, result["missing"], app.missing, app.transitive)
            if "filtered" in result:
                scores[tool]["missing, streamlit's deps ignored"].add(app, result["filtered"], app.missing,
                                                                       app.transitive)
            if tool == "cloud-preflight":
                scores[tool]["misnamed"].add(app, result["misnamed"], app.misnamed, set())
                used = [e.get("dependency_file") or "" for e in result.get("entrypoints", [])]
                if used and used[0] != app.dependency_file:
                    print(f"note: {app.key}: cloud-preflight picks {used[0]!r}, label says "
                          f"{app.dependency_file!r}", file=sys.stderr)
    if args.raw_dir:
        args.raw_dir.mkdir(parents=True, exist_ok=True)
        (args.raw_dir / "results.json").write_text(json.dumps(raw, indent=2, sort_keys=True))
    print(render(scores, skipped, args.markdown))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
