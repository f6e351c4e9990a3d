"""Fuzzing the parsers that read the checked repository: requirements files, TOML, YAML, packages.txt
(targets in tests/fuzz/targets.py, seed corpus in tests/fuzz/corpus/).

Two bounded runs in the suite, about a minute together on a 2-core machine:

- hypothesis, derandomized: seed-corpus mutations (byte edits, grammar tokens, splices, long repeats) and raw
  bytes, ``FUZZ_EXAMPLES`` per target, each example within a 10 s deadline (a catastrophic regex would fail it);
- tests/fuzz/run_fuzz.py for ``CLOUD_PREFLIGHT_FUZZ_SECONDS`` (default 8) per target, two at a time, with a fixed
  seed (a slower machine explores a prefix of the same sequence): atheris, coverage-guided, where it is installed
  (the ``test`` extra pins it for the Pythons it has wheels for), else the script's PRNG mutator.

The longer run is the same script: ``python tests/fuzz/run_fuzz.py --seconds 3600`` (docs/reliability.md).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT
from tests.fuzz.run_fuzz import TOKENS, have_atheris
from tests.fuzz.targets import TARGETS, seeds
from tests.output_invariants import Case

FUZZ_EXAMPLES = int(os.environ.get("CLOUD_PREFLIGHT_FUZZ_EXAMPLES", "400"))
FUZZ_SECONDS = float(os.environ.get("CLOUD_PREFLIGHT_FUZZ_SECONDS", "8"))

FUZZ_TARGETS = [
    Case("requirements", "requirements.txt (and a file it includes): `-r`/`-c` loops and escapes, options, URLs, "
         "markers, hashes, continuations, NUL and invalid UTF-8, UTF-16",
         "every line a row of a known kind with its line number, names canonical; every rule runs"),
    Case("toml", "the same bytes as `.streamlit/config.toml`, `Pipfile`, `pyproject.toml`, `uv.lock` and as "
         "cloud-preflight config", "read exactly as tomllib reads it, or a parse error with a line inside the "
         "file; config errors are one line; every rule runs"),
    Case("yaml", "environment.yml: anchors, aliases, tags (`!!python/object`), flow style, several documents, "
         "tabs", "the safe loader or a parse error, never a constructed object; every rule runs"),
    Case("packages", "packages.txt: commands, pins, comments, URLs, non-ASCII, UTF-16, CRLF",
         "each non-blank line a Debian name or a problem with its line; every rule runs"),
]


@st.composite
def fuzz_inputs(draw, target: str) -> bytes:
    corpus, tokens = seeds(target), TOKENS[target]
    data = bytearray(draw(st.sampled_from(corpus)))
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.integers(0, 5))
        at = draw(st.integers(0, len(data)))
        if op == 0 and data:
            index = min(at, len(data) - 1)
            data[index] ^= 1 << draw(st.integers(0, 7))
        elif op == 1:
            data[at:at] = draw(st.binary(min_size=1, max_size=4))
        elif op == 2 and data:
            del data[at:at + draw(st.integers(1, 16))]
        elif op == 3:
            data[at:at] = draw(st.sampled_from(tokens))
        elif op == 4:
            other = draw(st.sampled_from(corpus))
            start = draw(st.integers(0, len(other)))
            data[at:at] = other[start:start + draw(st.integers(1, 64))]
        else:
            data[at:at] = draw(st.sampled_from(tokens)) * draw(st.integers(2, 300))
    return bytes(data)


def _strategy(target: str) -> st.SearchStrategy[bytes]:
    return st.one_of(fuzz_inputs(target), st.binary(max_size=256),
                     st.lists(st.sampled_from(TOKENS[target]), max_size=40).map(b"".join))


@pytest.mark.parametrize("target", list(TARGETS))
def test_fuzz_with_hypothesis(target):
    @settings(max_examples=FUZZ_EXAMPLES, deadline=timedelta(seconds=10), derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=_strategy(target))
    def run(data: bytes) -> None:
        TARGETS[target](data)

    run()


def test_the_seed_corpus_passes():
    for target, run in TARGETS.items():
        corpus = seeds(target)
        assert len(corpus) >= 8, target
        for data in corpus:
            run(data)


def test_bounded_fuzz_run():
    """The standalone script, time-bounded: coverage-guided with atheris where installed."""
    engine = "atheris" if have_atheris() else "random"
    proc = subprocess.run([sys.executable, str(ROOT / "tests" / "fuzz" / "run_fuzz.py"), "--seconds",
                           str(FUZZ_SECONDS), "--jobs", "2", "--engine", engine, "--seed", "1"],
                          capture_output=True, text=True, timeout=FUZZ_SECONDS * 4 + 240, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[:8000] + proc.stderr[-4000:]
    counts = {t: int(n) for t, n in re.findall(r"^(\w+): (\d+) executions", proc.stdout, flags=re.MULTILINE)
              if t != "total"}
    assert set(counts) == set(TARGETS), proc.stdout
    assert all(n > 0 for n in counts.values()), counts
    print(f"fuzz ({engine}, {FUZZ_SECONDS:.0f} s per target): {proc.stdout.strip().splitlines()[-1]}")


KNOWN_FAILURES = ROOT / "tests" / "fuzz" / "known_failures"


# Inputs that once crashed a parser live in the seed corpus (tests/fuzz/corpus/), so every run replays them;
# this folder holds only crashes not fixed yet (none today).
@pytest.mark.parametrize("path", sorted(p for p in KNOWN_FAILURES.rglob("*") if p.is_file()) or [None],
                         ids=lambda p: f"{p.parent.name}/{p.name}" if p else "none")
def test_known_failures(path):
    if path is None:
        assert not KNOWN_FAILURES.exists() or not any(p.is_file() for p in KNOWN_FAILURES.rglob("*"))
        return
    TARGETS[path.parent.name](path.read_bytes())
