#!/usr/bin/env python3
"""Benchmark cloud-preflight side by side with deptry and FawltyDeps, in one run, alternating.

    python3 bench/run.py [--sizes 1000,10000,50000] [--runs 3] [--work DIR] [--skip-peers]

For each size, ``../shared/bench/make_repo.py`` (or ``--make-repo``) generates a Streamlit-shaped repository
(committed to git, as Cloud clones it; its .venv/ and node_modules/ stay untracked). Each tool then runs
``--runs`` times, the tools interleaved (A B C A B C ...) so machine noise hits all of them alike, and the
median wall time, CPU time (user+sys of the child) and peak RSS are kept. cloud-preflight runs with every
rule that is on by default. deptry 0.25.x and FawltyDeps 0.20.x are installed, pinned, in their own
virtualenvs under the work folder. The run also times ``cloud-preflight examples/hello-cloud`` and
``cloud-preflight --version``, and a warm run: the cache of an earlier run, after one page changed. Each
cold cloud-preflight run starts from an empty cache folder.

Writes docs/performance.md (the table) and docs/performance.png (time vs modules, matplotlib) unless
``--no-write``; the JSON it prints is kept in ``bench/last-run.json`` so that ``--from-json`` can rewrite the docs
without measuring again. Nothing here runs in CI: numbers depend on the machine; the docs say which machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MAKE_REPO = ROOT.parent / "shared" / "bench" / "make_repo.py"
PEERS = {"deptry": "deptry==0.25.*", "fawltydeps": "fawltydeps==0.20.*"}


def sh(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def make_repo(make: Path, size: int, work: Path) -> Path:
    repo = work / f"repo-{size}"
    if (repo / ".git").is_dir():
        return repo
    shutil.rmtree(repo, ignore_errors=True)
    sh([sys.executable, str(make), str(repo), "--files", str(size)])
    (repo / ".gitignore").write_text(".venv/\nnode_modules/\n")
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com",
           "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.com"}
    sh(["git", "init", "-q", str(repo)])
    sh(["git", "-C", str(repo), "add", "-A"])
    sh(["git", "-C", str(repo), "commit", "-qm", "bench"], env=env)
    return repo


def peer_venv(work: Path, name: str) -> Path:
    venv = work / f"venv-{name}"
    exe = venv / "bin" / name
    if not exe.exists():
        sh([sys.executable, "-m", "venv", str(venv)])
        sh([str(venv / "bin" / "pip"), "install", "-q", PEERS[name]])
    return exe


# Exit codes that mean "ran and reported": cloud-preflight 0/1, deptry 0/1, FawltyDeps 0-4 (3: undeclared found).
OK_CODES = {0, 1, 2, 3, 4}


def measure(cmd: list[str], cwd: Path | None = None) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, peak RSS KiB) of one run of ``cmd``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    ok = {0, 1} if Path(cmd[0]).name == "cloud-preflight" else OK_CODES
    if proc.returncode not in ok:
        raise RuntimeError(f"{cmd[0]} exited {proc.returncode}: {proc.stderr[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss  # ru_maxrss of children is the max over all children so far


def peak_rss(cmd: list[str], cwd: Path | None = None) -> int:
    """Peak RSS (KiB) of one run, measured in a fresh process so earlier runs do not mask it."""
    probe = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
             "stderr=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, *cmd], cwd=cwd, capture_output=True, text=True)
    return int(out.stdout.strip() or 0)


def _cli() -> str:
    """The installed ``cloud-preflight`` script beside this Python (not a version manager's shell shim, whose
    start-up would be timed too)."""
    beside = Path(sys.executable).parent / "cloud-preflight"
    return str(beside) if beside.is_file() else shutil.which("cloud-preflight") or "cloud-preflight"


def tool_commands(repo: Path, work: Path, skip_peers: bool) -> dict[str, list[str]]:
    cli = _cli()
    cmds = {"cloud-preflight": [cli, str(repo), "--format", "json"]}
    if not skip_peers:
        cmds["deptry"] = [str(peer_venv(work, "deptry")), str(repo), "--requirements-files", "requirements.txt"]
        cmds["fawltydeps"] = [str(peer_venv(work, "fawltydeps")), "--code", str(repo),
                              "--deps", str(repo / "requirements.txt"), "--json"]
    return cmds


def _cold(cmd: list[str], work: Path) -> list[str]:
    """cloud-preflight with an empty cache folder: a cold run (it still writes the cache, as a first CI run does)."""
    if Path(cmd[0]).name != "cloud-preflight":
        return cmd
    cache = work / "cache-cold"
    shutil.rmtree(cache, ignore_errors=True)
    return [*cmd, "--cache-dir", str(cache)]


def bench_size(repo: Path, work: Path, runs: int, skip_peers: bool) -> dict[str, dict[str, float]]:
    cmds = tool_commands(repo, work, skip_peers)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in cmds}
    for _ in range(runs):
        for name, cmd in cmds.items():  # interleaved
            wall, cpu, _rss = measure(_cold(cmd, work), cwd=repo)
            samples[name].append((wall, cpu))
    return {name: {"wall": statistics.median(w for w, _ in s), "cpu": statistics.median(c for _, c in s),
                   "rss_mb": peak_rss(_cold(cmds[name], work), cwd=repo) / 1024} for name, s in samples.items()}


def warm_after_change(repo: Path, work: Path, runs: int) -> float:
    """Median wall time of cloud-preflight with the cache of an earlier run, after one page changed (each run
    changes it differently, so each run re-parses exactly one module)."""
    cli = _cli()
    cache = work / "cache-warm"
    shutil.rmtree(cache, ignore_errors=True)
    cmd = [cli, str(repo), "--format", "json", "--cache-dir", str(cache)]
    measure(cmd, cwd=repo)  # fills the cache
    page = sorted((repo / "pages").glob("*.py"))[0]
    original = page.read_bytes()
    walls = []
    try:
        for i in range(runs):
            page.write_bytes(original + f"\n# bench change {i} {time.time()}\n".encode())
            walls.append(measure(cmd, cwd=repo)[0])
    finally:
        page.write_bytes(original)
    return statistics.median(walls)


def small_timings(runs: int) -> dict[str, float]:
    cli = _cli()
    example = [measure([cli, str(ROOT / "examples" / "hello-cloud")])[0] for _ in range(runs * 3)]
    version = [measure([cli, "--version"])[0] for _ in range(runs * 3)]
    return {"examples": statistics.median(example), "version": statistics.median(version)}


_FLOOR = """
import ast, subprocess, sys, time
from _symtable import symtable
files = subprocess.run(["git", "ls-files", "-z", "*.py"], capture_output=True, check=True).stdout.split(b"\\0")
data = [open(f, "rb").read() for f in files if f]
start = time.process_time()
for d in data:
    ast.parse(d)
parse = time.process_time() - start
start = time.process_time()
for d in data:
    symtable(d.decode("utf-8"), "<bench>", "exec")
print(parse, time.process_time() - start, len(data))
"""


def parse_floor(repo: Path) -> dict[str, float]:
    """CPU seconds, single-threaded, of CPython's exact syntax checks over every committed module of ``repo``:
    ``ast.parse`` (the issue's yardstick) and ``symtable`` (the cheapest: the same parser, without building Python
    objects for the tree)."""
    out = subprocess.run([sys.executable, "-c", _FLOOR], cwd=repo, capture_output=True, text=True, check=True)
    parse, symtable, count = out.stdout.split()
    return {"parse_floor": float(parse), "symtable_floor": float(symtable), "parse_floor_modules": int(count)}


def write_docs(results: dict[int, dict[str, dict[str, float]]], small: dict[str, float], runs: int) -> None:
    lines = [
        "# Performance",
        "",
        f"Measured {dt.date.today().isoformat()} by `python3 bench/run.py` on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; median of {runs} interleaved runs per tool. "
        "Repositories made by `shared/bench/make_repo.py --files N` and committed to git; cloud-preflight runs "
        "every rule that is on by default. Regenerate with `python3 bench/run.py`.",
        "",
        "| modules | tool | wall (s) | CPU (s) | peak RSS (MB) | wall vs deptry |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for size, tools in sorted(results.items()):
        base = tools.get("deptry", {}).get("wall")
        for name, row in tools.items():
            ratio = f"{row['wall'] / base:.2f}" if base else ""
            lines.append(f"| {size:,} | {name} | {row['wall']:.2f} | {row['cpu']:.2f} | {row['rss_mb']:.0f} "
                         f"| {ratio} |")
    lines += ["", "Cold: an empty cache folder (the run extracts every module's facts on every core and writes the "
              "cache). Peak RSS is that of the largest process (cloud-preflight's forked workers share the parent's "
              "pages and each holds one syntax tree at a time).", ""]
    if "warm" in small:
        lines.append(f"- warm cache after one changed page, {small['warm_size']:,} modules: {small['warm']:.2f} s")
    lines += [f"- `cloud-preflight examples/hello-cloud`: {small['examples']:.3f} s",
              f"- `cloud-preflight --version`: {small['version']:.3f} s", ""]
    lines += _targets(results, small)
    lines += _how(results, small)
    lines += ["![time vs modules](performance.png)", ""]
    (ROOT / "docs" / "performance.md").write_text("\n".join(lines), encoding="utf-8")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot (pip install matplotlib)", file=sys.stderr)
        return
    fig, ax = plt.subplots(figsize=(6, 4))
    for name in next(iter(results.values())):
        sizes = sorted(results)
        ax.plot(sizes, [results[s][name]["wall"] for s in sizes], marker="o", label=name)
    ax.set_xlabel("app modules")
    ax.set_ylabel("wall time (s)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    ax.set_title("cloud-preflight vs deptry vs FawltyDeps")
    fig.tight_layout()
    fig.savefig(ROOT / "docs" / "performance.png", dpi=100)


def _targets(results: dict[int, dict[str, dict[str, float]]], small: dict[str, float]) -> list[str]:
    """Issue 7's targets, each with the measured value and whether it holds."""
    rows = []

    def row(target: str, value: str, ok: bool | None) -> None:
        rows.append(f"| {target} | {value} | {'met' if ok else 'missed' if ok is not None else 'not measured'} |")

    ours = {size: tools.get("cloud-preflight", {}) for size, tools in results.items()}
    ten = results.get(10000, {})
    if "deptry" in ten and ours.get(10000):
        ratio = ours[10000]["wall"] / ten["deptry"]["wall"]
        row("10k modules, cold: wall <= 0.5 x deptry", f"{ratio:.2f} x", ratio <= 0.5)
    if ours.get(50000):
        row("50k modules: peak RSS <= 300 MB", f"{ours[50000]['rss_mb']:.0f} MB", ours[50000]["rss_mb"] <= 300)
        if ours.get(10000):
            growth = ours[50000]["wall"] / ours[10000]["wall"]
            row("50k / 10k wall time <= 5.5", f"{growth:.2f}", growth <= 5.5)
    if "warm" in small and ours.get(small["warm_size"]):
        share = small["warm"] / ours[small["warm_size"]]["wall"]
        row("warm cache after one change <= 10 % of cold", f"{share:.0%}", share <= 0.10)
    row("examples/ end to end <= 0.3 s", f"{small['examples']:.3f} s", small["examples"] <= 0.3)
    row("--version <= 0.1 s", f"{small['version']:.3f} s", small["version"] <= 0.1)
    return ["| target (issue 7) | measured | |", "|---|---:|---|", *rows, ""]


def _how(results: dict[int, dict[str, dict[str, float]]], small: dict[str, float]) -> list[str]:
    lines = [
        "## How", "",
        "The repository is listed once (`git ls-files`). Every Python module is parsed once, by forked workers on "
        "every core; registered extractors (`preflight/facts.py`, next to the rules that need them) turn its tree "
        "into compact facts (imports, Streamlit API uses, path uses, called names, the words rules prefilter on), "
        "and the tree and the module's bytes are let go. The rules read facts only (a few byte-prefiltered cases "
        "parse one module again). Facts are cached in `.cloud-preflight-cache/facts/`, keyed by each module's path "
        "and git's blob hash (unchanged committed files are not even read on a warm run; `git diff-files` finds "
        "work-tree edits, which are hashed from their bytes) and by a hash of cloud-preflight's own code and data, "
        "so a re-run parses only the modules that changed; the reusable workflow restores the default branch's "
        "cache on pull requests.", ""]
    floor = small.get("parse_floor")
    symtable = small.get("symtable_floor")
    deptry = results.get(10000, {}).get("deptry", {}).get("wall")
    ours = results.get(10000, {}).get("cloud-preflight", {}).get("wall")
    if floor and symtable and deptry and ours:
        modules = int(small["parse_floor_modules"])
        cores = os.cpu_count() or 1
        lines += [
            "## Why the cold 10k target is missed", "",
            f"CP001 reports a syntax error in any module an app runs (all {modules:,} modules here), and the only "
            f"exact verdict is CPython's own parser. Measured by this harness, single-threaded, on the 10k "
            f"repository: `ast.parse` of every module takes {floor:.2f} s of CPU ({floor / modules * 1e3:.2f} ms a "
            f"module); `symtable`, the cheapest exact check the standard library has (the same parser, without "
            f"Python objects for the tree), {symtable:.2f} s ({symtable / modules * 1e3:.2f} ms a module). Spread "
            f"perfectly over {cores} cores, the syntax check alone takes {symtable / cores:.2f} s: "
            f"{symtable / cores / deptry:.2f} x deptry's {deptry:.2f} s, where the target is 0.5 x "
            f"({deptry / 2:.2f} s), before a file is listed or a rule runs. deptry parses with ruff's Rust parser "
            f"and skips a module it cannot parse with a warning; it reports no syntax errors. "
            f"A cold cloud-preflight run takes {ours:.1f} s: the parse, then the "
            "extractors' walks over each tree (path uses about 0.8 ms a module, Streamlit API uses 0.6 ms, imports "
            "0.2 ms). The target needs a decision outside the code: check syntax without CPython's parser (a "
            "native parser such as ruff's, about 25 MB, which the image's 150 MB budget does not hold), or stop "
            "checking the syntax of every module on a cold run, or a different target. Meanwhile the cold path is "
            "linear, parallel and lean in memory, and the warm path (a pull request changes a few modules) is what "
            "CI runs after the first build of the default branch.", ""]
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,50000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "cloud-preflight-bench")
    ap.add_argument("--make-repo", type=Path, default=DEFAULT_MAKE_REPO)
    ap.add_argument("--skip-peers", action="store_true", help="time cloud-preflight only")
    ap.add_argument("--no-write", action="store_true", help="print, do not write docs/")
    ap.add_argument("--from-json", type=Path, metavar="FILE",
                    help="write docs/ from the JSON an earlier run printed (adds the parse floor if missing)")
    args = ap.parse_args()
    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        results = {int(k): v for k, v in saved["results"].items()}
        small = saved["small"]
        if "symtable_floor" not in small:
            small.update(parse_floor(args.work / f"repo-{small.get('warm_size', 10000)}"))
            args.from_json.write_text(json.dumps(saved, indent=1) + "\n")
        write_docs(results, small, saved.get("runs", args.runs))
        return 0
    if not args.make_repo.is_file():
        print(f"make_repo.py not found at {args.make_repo}; pass --make-repo", file=sys.stderr)
        return 2
    args.work.mkdir(parents=True, exist_ok=True)
    results: dict[int, dict[str, dict[str, float]]] = {}
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"[bench] generating {size:,} modules ...", file=sys.stderr, flush=True)
        repo = make_repo(args.make_repo, size, args.work)
        print(f"[bench] timing {size:,} modules ({args.runs} runs per tool) ...", file=sys.stderr, flush=True)
        results[size] = bench_size(repo, args.work, args.runs, args.skip_peers)
        print(json.dumps({size: results[size]}, indent=1), file=sys.stderr, flush=True)
    small = small_timings(args.runs)
    warm_size = 10000 if 10000 in results else max(results)
    print(f"[bench] warm cache after one change, {warm_size:,} modules ...", file=sys.stderr, flush=True)
    small["warm"] = warm_after_change(args.work / f"repo-{warm_size}", args.work, args.runs)
    small["warm_size"] = warm_size
    small.update(parse_floor(args.work / f"repo-{warm_size}"))
    print(json.dumps({"results": results, "small": small, "runs": args.runs}, indent=1))
    if not args.no_write:
        write_docs(results, small, args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
