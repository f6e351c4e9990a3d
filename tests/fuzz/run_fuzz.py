#!/usr/bin/env python3
"""Fuzz the parsers that read the checked repository (tests/fuzz/targets.py), for as long as you like.

    python tests/fuzz/run_fuzz.py                      # every target, 60 s each
    python tests/fuzz/run_fuzz.py --seconds 3600 toml  # one target, an hour
    python tests/fuzz/run_fuzz.py --engine random      # without atheris

With atheris installed (the ``test`` extra pins it where it has wheels) each target runs coverage-guided in its
own process (libFuzzer: ``-max_total_time``, a 30 s limit per input so a hang is a failure, a 2 GiB RSS limit),
starting from the seed corpus in tests/fuzz/corpus/<target>/; inputs that reach new code are kept in a scratch
folder (``--keep DIR`` to keep them), the seed corpus is never written. Without atheris, ``--engine random``
mutates the seeds with a seeded PRNG (byte flips, inserts, deletes, splices, grammar tokens) for the same time.

Prints one line per target: ``<target>: N executions in S s, 0 failures``; exits 1 on the first failure, with
the input that caused it saved as ``crash-*`` (atheris) or ``failure-*.bin`` (random) in the scratch folder.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

TOKENS = {
    "requirements": [b"==", b">=", b"~=", b"!=", b"===", b";", b"@", b"[", b"]", b",", b"-r ", b"-c ", b"-e ",
                     b"--index-url ", b"--hash=sha256:", b"#", b" #", b"\\\n", b"git+https://", b"://", b"#egg=",
                     b"python_version < '3.9'", b"sys_platform == 'win32'", b"file:", b"./", b"../", b".whl",
                     b"+cu118", b"*", b"\r", b"\n", b"\x00", b"\xff", b"\xef\xbb\xbf", b"streamlit", b"os"],
    "toml": [b"[", b"]", b"[[", b"]]", b"=", b'"', b"'", b'"""', b"'''", b"{", b"}", b",", b".", b"\\u00e9",
             b"\\", b"#", b"\n", b"\r\n", b"true", b"1979-05-27", b"0x", b"inf", b"nan", b"[server]", b"[packages]",
             b"[tool.poetry.dependencies]", b"[tool.cloud-preflight]", b"python", b"streamlit", b"\x00", b"\xff"],
    "yaml": [b"- ", b": ", b"&a ", b"*a", b"!!", b"!!python/object:os.system", b"{", b"}", b"[", b"]", b",",
             b"---\n", b"...\n", b"|\n", b">\n", b"<<: ", b"\t", b"  ", b"\n", b"'", b'"', b"?", b"%YAML 1.1\n",
             b"dependencies:", b"pip:", b"python=3.9", b"\x00", b"\xff"],
    "packages": [b"\n", b"\r\n", b" ", b"#", b"=", b":amd64", b"apt-get install -y ", b"sudo ", b"-", b"/", b".deb",
                 b"://", b"libgl1", b"python3-", b"\xc3\xa9", b"\x00", b"\xff", b"\t", b"~", b"+"],
}


def mutate(rng: random.Random, data: bytes, seeds: list[bytes], tokens: list[bytes]) -> bytes:
    """A few random edits: the classic byte-level mutations plus grammar tokens and splices."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        op = rng.randrange(7)
        at = rng.randint(0, len(out))
        if op == 0 and out:
            out[min(at, len(out) - 1)] ^= 1 << rng.randrange(8)
        elif op == 1:
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
        elif op == 2 and out:
            del out[at:at + rng.randint(1, 16)]
        elif op == 3:
            out[at:at] = rng.choice(tokens)
        elif op == 4:
            other = rng.choice(seeds)
            start = rng.randint(0, len(other))
            out[at:at] = other[start:start + rng.randint(1, 64)]
        elif op == 5 and out:
            end = min(len(out), at + rng.randint(1, 32))
            out[at:at] = out[at:end] * rng.randint(1, 8)
        else:
            out[at:at] = rng.choice(tokens) * rng.randint(2, 200)  # nesting, long runs
    return bytes(out[:64 * 1024])


def fuzz_random(target: str, seconds: float, work: Path, seed: int = 0) -> int:
    """The PRNG mutator for ``seconds``; returns the number of executions (raises on a failure)."""
    from tests.fuzz.targets import TARGETS, seeds

    run, corpus = TARGETS[target], seeds(target)
    rng = random.Random(f"{target}:{seed}")
    deadline = time.monotonic() + seconds
    count = 0
    for data in corpus:  # the seeds themselves first
        _one(run, data, work, target)
        count += 1
    while time.monotonic() < deadline:
        _one(run, mutate(rng, rng.choice(corpus), corpus, TOKENS[target]), work, target)
        count += 1
    return count


def _one(run, data: bytes, work: Path, target: str) -> None:
    try:
        run(data)
    except BaseException:
        path = work / f"failure-{target}-{abs(hash(data)):x}.bin"
        path.write_bytes(data)
        sys.stderr.write(f"{target}: failure, input saved as {path}\n{traceback.format_exc()}")
        raise


def _child(target: str, seconds: float, work: Path, keep: Path, seed: int) -> None:
    """Runs inside the subprocess: libFuzzer takes over and exits the process when done."""
    import atheris

    # Coverage for cloud-preflight's own code (instrumenting every loaded library takes longer than a CI run):
    # import every module the targets reach inside the instrumenting context.
    with atheris.instrument_imports(include=["preflight", "checks"]):
        import checks  # noqa: F401
        import preflight.cli  # noqa: F401
        import preflight.config  # noqa: F401
        import preflight.depfiles  # noqa: F401
        import preflight.engine  # noqa: F401
        import preflight.report.github  # noqa: F401
        import preflight.report.text  # noqa: F401
    from tests.fuzz.targets import TARGETS
    run = TARGETS[target]
    args = [sys.argv[0], f"-seed={seed}", f"-max_total_time={max(1, int(seconds))}", "-timeout=30",
            "-rss_limit_mb=2048", "-max_len=16384", "-print_final_stats=1", f"-artifact_prefix={work}/", str(keep),
            str(HERE / "corpus" / target)]
    dictionary = work / f"{target}.dict"
    dictionary.write_text("".join(f'"{_dict_escape(t)}"\n' for t in TOKENS[target]), encoding="ascii")
    args.insert(1, f"-dict={dictionary}")
    atheris.Setup(args, run)
    atheris.Fuzz()


def _dict_escape(token: bytes) -> str:
    return "".join(chr(b) if 32 <= b < 127 and b not in (34, 92) else f"\\x{b:02X}" for b in token)


def fuzz_atheris(target: str, seconds: float, work: Path, keep: Path | None, seed: int = 0) -> int:
    """One subprocess per target; returns the executions libFuzzer reports (raises on a failure)."""
    keep_dir = keep / target if keep else work / f"{target}-found"
    keep_dir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", target, "--seconds",
                           str(seconds), "--work", str(work), "--keep", str(keep_dir), "--seed", str(seed)],
                          capture_output=True, text=True, timeout=seconds + 300, cwd=work)
    log = proc.stdout + proc.stderr
    done = re.search(r"Done (\d+) runs in (\d+) second", log)
    if proc.returncode != 0 or done is None:
        tail = "\n".join(log.splitlines()[-60:])
        raise RuntimeError(f"{target}: atheris exited {proc.returncode}\n{tail}")
    return int(done.group(1))


def have_atheris() -> bool:
    try:
        import atheris  # noqa: F401
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    from tests.fuzz.targets import TARGETS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", metavar="TARGET",
                        help=f"one or more of {', '.join(TARGETS)} (default: all)")
    parser.add_argument("--seconds", type=float, default=60.0, help="per target (default: 60)")
    parser.add_argument("--engine", choices=("auto", "atheris", "random"), default="auto")
    parser.add_argument("--keep", type=Path, help="keep the inputs atheris found interesting in this folder")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the mutations (atheris: 0 lets libFuzzer pick one; the random engine: as given)")
    parser.add_argument("--jobs", type=int, default=1, help="atheris targets run at a time (default: 1)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    unknown = [t for t in args.targets if t not in TARGETS]
    if unknown:
        parser.error(f"unknown target {unknown[0]!r} (choose from {', '.join(TARGETS)})")
    if args.child:
        _child(args.child, args.seconds, args.work, args.keep, args.seed)
        return 0
    engine = args.engine
    if engine == "auto":
        engine = "atheris" if have_atheris() else "random"
    elif engine == "atheris" and not have_atheris():
        print("atheris is not installed (pip install -e '.[test]')", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="cloud-preflight-fuzz-"))
    failed = False
    total = 0

    def one(target: str) -> tuple[str, int, float]:
        started = time.monotonic()
        if engine == "atheris":
            count = fuzz_atheris(target, args.seconds, work, args.keep, args.seed)
        else:
            count = fuzz_random(target, args.seconds, work, args.seed)
        return target, count, time.monotonic() - started

    # atheris runs each target in its own process: --jobs of them at a time (the random engine runs in this one)
    jobs = max(1, args.jobs) if engine == "atheris" else 1
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(one, target) for target in args.targets or list(TARGETS)]
        for future in futures:
            try:
                target, count, took = future.result()
            except Exception as exc:  # noqa: BLE001 - report, let the others finish, fail
                print(f"FAILED ({engine}); inputs and logs in {work}\n{exc}", flush=True)
                failed = True
                continue
            total += count
            print(f"{target}: {count} executions in {took:.0f} s, 0 failures ({engine})", flush=True)
    if not failed:
        print(f"total: {total} executions, 0 failures")
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
