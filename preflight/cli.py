"""The local command line.

    cloud-preflight [PATH] [options]      check the repository at PATH (default: .)
    cloud-preflight explain CODE          print a rule's documentation
    cloud-preflight rules                 list every rule

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 usage or internal error (one line
on stderr says why).
"""

from __future__ import annotations

import argparse
import os
import sys

from preflight import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 too; keep the one-line contract
        print(f"cloud-preflight: error: {message} (see 'cloud-preflight --help')", file=sys.stderr)
        raise SystemExit(EXIT_ERROR)


def _check_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cloud-preflight",
        description="Predict, file and line, whether a Streamlit app will deploy and run on Streamlit "
                    "Community Cloud. The repository is read as data; none of its code is run.",
        epilog="Other commands: 'cloud-preflight explain CODE', 'cloud-preflight rules'.",
    )
    parser.add_argument("path", nargs="?", default=".", help="repository to check (default: .)")
    parser.add_argument("-e", "--entrypoint", action="append", default=[], metavar="FILE",
                        help="entrypoint as configured on Cloud, relative to the repository root (repeatable; "
                             "default: detected)")
    parser.add_argument("--config", metavar="FILE", help="config file (default: .github/cloud-preflight.toml, "
                                                         "then [tool.cloud-preflight] in pyproject.toml)")
    parser.add_argument("-f", "--format", default="text", choices=("text", "json", "sarif", "markdown", "github"))
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of stdout")
    parser.add_argument("--fail-on", choices=("note", "warning", "error", "never"),
                        help="lowest severity that makes the exit code 1 (default: error)")
    parser.add_argument("--select", action="append", metavar="CODES",
                        help="only these rule codes or prefixes, comma-separated (e.g. CP1,CP301)")
    parser.add_argument("--ignore", action="append", metavar="CODES", help="skip these rule codes or prefixes")
    parser.add_argument("--python-version", metavar="X.Y",
                        help="the Python version you deploy with on Cloud (default: Cloud's current default)")
    parser.add_argument("--resolve", action="store_true", default=None,
                        help="also resolve the dependency file with uv for Cloud's Python on x86-64 Linux, wheels "
                             "only (needs the package index; results cached)")
    parser.add_argument("--resolve-timeout", type=float, metavar="SECONDS",
                        help="stop resolving after SECONDS (default: 60)")
    parser.add_argument("--cache-dir", metavar="DIR",
                        help="cache of per-file facts and resolutions (default: $CLOUD_PREFLIGHT_CACHE_DIR, else "
                             ".cloud-preflight-cache/ in the repository)")
    parser.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    parser.add_argument("--no-git", action="store_true",
                        help="list files by walking the folder (honouring .gitignore) instead of git ls-files")
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    parser.add_argument("--version", action="version", version=f"cloud-preflight {__version__}")
    return parser


def _split_codes(values: list[str] | None) -> tuple[str, ...] | None:
    if not values:
        return None
    return tuple(c.strip().upper() for v in values for c in v.split(",") if c.strip())


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["explain"]:
            return _explain(argv[1:])
        if argv[:1] == ["rules"]:
            return _rules(argv[1:])
        return _check(argv)
    except KeyboardInterrupt:
        print("cloud-preflight: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_OK
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - a bug of ours outside the rules: exit 2 with one line, not 1
        print(f"cloud-preflight: internal error (please report it): {exc.__class__.__name__}: {exc}",
              file=sys.stderr)
        return EXIT_ERROR


def _check(argv: list[str]) -> int:
    args = _check_parser().parse_args(argv)
    from dataclasses import replace
    from pathlib import Path

    from preflight.config import ConfigError, load_config, parse_config

    root = Path(args.path)
    if not root.is_dir():
        print(f"cloud-preflight: error: {args.path!r} is not a folder", file=sys.stderr)
        return EXIT_ERROR
    try:
        config = load_config(root, args.config)
        overrides: dict = {}
        if args.entrypoint:
            overrides["entrypoints"] = tuple(args.entrypoint)
        cli_table: dict = {}
        if args.fail_on:
            cli_table["fail-on"] = args.fail_on
        if args.python_version:
            cli_table["python-version"] = args.python_version
        if args.select:
            cli_table["select"] = list(_split_codes(args.select) or ())
        if args.ignore:
            cli_table["ignore"] = list(config.ignore) + list(_split_codes(args.ignore) or ())
        if args.resolve:
            cli_table["resolve"] = True
        if args.resolve_timeout is not None:
            cli_table["resolve-timeout"] = args.resolve_timeout
        if cli_table:
            # What is given on the command line wins over the config file, even when it equals the default.
            parsed = parse_config(cli_table, "command line")
            given = {"fail-on": "fail_on", "python-version": "python_version", "select": "select",
                     "ignore": "ignore", "resolve": "resolve", "resolve-timeout": "resolve_timeout"}
            replaced = {attr: getattr(parsed, attr) for key, attr in given.items() if key in cli_table}
            config = replace(config, **replaced)
        if args.no_cache or args.cache_dir is not None:
            overrides["cache_dir"] = "" if args.no_cache else args.cache_dir
        config = config.with_overrides(**overrides)
    except ConfigError as exc:
        print(f"cloud-preflight: error: {exc}", file=sys.stderr)
        return EXIT_ERROR

    import gc

    from checks import ALL_RULES, DEFAULT_OFF
    from preflight.engine import run
    from preflight.project import Project
    from preflight.report import render

    # A run makes many small objects that live to its end (facts, import records) and few cycles: the cycle
    # collector's default thresholds would rescan them all dozens of times (about 4 % of a warm 10k-module run).
    gc.set_threshold(100_000, 50, 100)
    project = Project(root, use_git=not args.no_git, exclude=config.exclude)
    progress = (lambda line: print(f"cloud-preflight: {line} ...", file=sys.stderr, flush=True)) \
        if sys.stderr.isatty() else None
    result = run(project, ALL_RULES, config, DEFAULT_OFF, progress)
    report = build_report(result, config)
    color = args.color == "always" or (args.color == "auto" and args.output is None and sys.stdout.isatty()
                                       and not os.environ.get("NO_COLOR"))
    text = render(args.format, report, color=color)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"cloud-preflight: error: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
            return EXIT_ERROR
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    if result.internal_errors:
        for error in result.internal_errors:
            print(f"cloud-preflight: internal error (please report it): {error}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_FINDINGS if report.failed else EXIT_OK


def build_report(result, config):  # type: ignore[no-untyped-def]
    """Engine result -> the pure data reporters render."""
    from preflight.report import AppInfo, Report

    apps = []
    for app in result.apps:
        winner = app.winner if app.exists else None
        apps.append(AppInfo(
            entrypoint=app.entrypoint,
            exists=app.exists,
            dependency_file=winner.path if winner else None,
            manager=winner.manager if winner else None,
            ignored_files=tuple(app.dependency_candidates[1:]) if app.exists else (),
            streamlit=app.streamlit.describe if app.exists else None,
        ))
    return Report(
        findings=tuple(result.findings),
        apps=tuple(apps),
        suppressed=result.suppressed,
        skipped=tuple((s.path, s.reason) for s in result.skipped),
        files=result.files,
        fail_on=config.fail_on,
        version=__version__,
    )


def _explain(argv: list[str]) -> int:
    if len(argv) != 1:
        print("cloud-preflight: error: usage: cloud-preflight explain CODE", file=sys.stderr)
        return EXIT_ERROR
    from checks import ALL_RULES

    wanted = argv[0].strip()
    for current in ALL_RULES:
        if wanted.upper() == current.code or wanted.lower() == current.name:
            print(f"{current.code} {current.name} ({current.severity.label})\n")
            print(current.doc)
            return EXIT_OK
    print(f"cloud-preflight: error: no rule {wanted!r} (see 'cloud-preflight rules')", file=sys.stderr)
    return EXIT_ERROR


def _rules(argv: list[str]) -> int:
    if argv:
        print("cloud-preflight: error: usage: cloud-preflight rules", file=sys.stderr)
        return EXIT_ERROR
    from checks import ALL_RULES

    for current in sorted(ALL_RULES, key=lambda r: r.code):
        print(f"{current.code}  {current.severity.label:<7}  {current.name:<32}  {current.summary}")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
