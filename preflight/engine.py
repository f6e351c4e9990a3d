"""run(project, rules, config) -> Result: every enabled rule once, findings deduplicated, suppressed and sorted."""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from preflight.apps import App, build_apps
from preflight.cachedir import cache_dir_for
from preflight.config import Config
from preflight.model import Finding, Severity
from preflight.project import Project, Skipped
from preflight.rules import Rule, RuleContext
from preflight.suppress import is_suppressed


@dataclass
class Result:
    findings: list[Finding]
    apps: list[App]
    suppressed: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    files: int = 0
    listing: str = "git"
    # A rule that crashed is a bug in cloud-preflight, not in the user's repo: the other rules still run,
    # and the CLI exits 2 after the report, naming the rule.
    internal_errors: list[str] = field(default_factory=list)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def fails(self, threshold: Severity) -> bool:
        return any(f.severity >= threshold for f in self.findings)


def run(project: Project, rules: Sequence[Rule], config: Config,
        default_off: frozenset[str] = frozenset(), progress: Callable[[str], None] | None = None) -> Result:
    """Run every enabled rule once. Codes in ``default_off`` run only when ``select`` names them exactly.
    The facts of every Python module are extracted first (cached in the cache folder, on every core);
    ``progress`` is told about long work."""
    from preflight import distributions

    distributions.set_overrides({k: list(v) for k, v in config.import_map.items()})  # validated by config
    cache_root = cache_dir_for(project, config)
    project.prefetch_facts(cache_root / "facts" if cache_root is not None else None, progress)
    apps = build_apps(project, config.entrypoints)
    for app in apps:  # syntax errors and not-parsed notes of every module an app runs, whatever rules run
        for module in app.modules if app.exists else ():
            project.check_python(module.path)
    merged: dict[tuple, Finding] = {}
    internal_errors: list[str] = []
    enabled = [r for r in rules if config.enabled(r.code) and (r.code not in default_off or r.code in config.select)]
    for current in sorted(enabled, key=lambda r: (r.phase, r.code)):
        ctx = RuleContext(project, apps, config, current)
        try:
            produced = list(current.func(ctx))
        except Exception as exc:  # noqa: BLE001 - a crashing rule is our bug: name it, keep going
            internal_errors.append(f"rule {current.code} ({current.name}) crashed: "
                                   f"{exc.__class__.__name__}: {exc}\n{traceback.format_exc()}")
            continue
        for finding in produced:
            if finding.code in config.severity:
                finding = replace(finding, severity=config.severity[finding.code])
            key = (finding.code, finding.location, finding.message)
            if key in merged:
                previous = merged[key]
                entrypoints = tuple(sorted(set(previous.entrypoints) | set(finding.entrypoints)))
                merged[key] = replace(previous, entrypoints=entrypoints)
            else:
                merged[key] = finding
    kept, suppressed = [], 0
    for finding in merged.values():
        if is_suppressed(finding, project, config):
            suppressed += 1
        else:
            kept.append(finding)
    kept.sort(key=Finding.sort_key)
    return Result(kept, apps, suppressed, sorted(project.skipped, key=lambda s: s.path), len(project.files),
                  project.listing_source, internal_errors)
