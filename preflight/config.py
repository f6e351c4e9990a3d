"""Config discovery and validation.

Discovery: ``--config`` (or the Action's ``config`` input), then ``.github/cloud-preflight.toml``, then
``[tool.cloud-preflight]`` in the root ``pyproject.toml``. Keys are kebab-case; unknown keys are an error that
names the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from preflight.model import Severity

CONFIG_PATH = ".github/cloud-preflight.toml"
CODE_OR_PREFIX_RE = re.compile(r"^CP\d{0,3}$")
PYTHON_RE = re.compile(r"^3\.\d{1,2}$")
MAX_RESOLVE_TIMEOUT = 3600


class ConfigError(Exception):
    """A config problem the user must fix; the message is one line and names the file and key."""


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] = ("CP",)
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    entrypoints: tuple[str, ...] = ()
    fail_on: Severity | None = Severity.ERROR  # None: never fail
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    deploy_branches: tuple[str, ...] = ()
    severity: dict[str, Severity] = field(default_factory=dict)
    python_version: str | None = None
    import_map: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Resolve the dependency file with uv for Cloud's Python and Linux (preflight/resolve.py, CP36x).
    resolve: bool = False
    resolve_timeout: float = 60.0
    cache_dir: str | None = None  # CLI only: None = $CLOUD_PREFLIGHT_CACHE_DIR or the default, "" = no cache
    source: str | None = None

    def enabled(self, code: str) -> bool:
        selected = any(code.startswith(prefix) for prefix in self.select)
        return selected and not any(code.startswith(prefix) for prefix in self.ignore)

    def with_overrides(self, **changes: Any) -> Config:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _codes(value: Any, where: str) -> tuple[str, ...]:
    items = _strings(value, where)
    for item in items:
        if not CODE_OR_PREFIX_RE.match(item):
            raise ConfigError(f"{where}: {item!r} is not a rule code or prefix (like CP301 or CP3)")
    return items


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of strings")
    return tuple(value)


def _severity(value: Any, where: str) -> Severity:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected one of note, warning, error")
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def parse_config(data: dict[str, Any], source: str) -> Config:
    """Validate a config table. Every error names ``source`` and the key."""
    kwargs: dict[str, Any] = {"source": source}
    for key, value in data.items():
        where = f"{source}: {key}"
        if key == "select":
            kwargs["select"] = _codes(value, where)
        elif key == "ignore":
            kwargs["ignore"] = _codes(value, where)
        elif key == "exclude":
            kwargs["exclude"] = _strings(value, where)
        elif key == "entrypoints":
            kwargs["entrypoints"] = _strings(value, where)
        elif key == "fail-on":
            if isinstance(value, str) and value.strip().lower() == "never":
                kwargs["fail_on"] = None
            else:
                try:
                    kwargs["fail_on"] = _severity(value, where)
                except ConfigError:
                    raise ConfigError(f"{where}: expected one of note, warning, error, never") from None
        elif key == "deploy-branches":
            kwargs["deploy_branches"] = _strings(value, where)
        elif key == "python-version":
            if not isinstance(value, str) or not PYTHON_RE.match(value):
                raise ConfigError(f"{where}: expected a Python minor version such as \"3.12\"")
            kwargs["python_version"] = value
        elif key == "resolve":
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: expected true or false")
            kwargs["resolve"] = value
        elif key == "resolve-timeout":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= MAX_RESOLVE_TIMEOUT:
                raise ConfigError(f"{where}: expected a number of seconds between 1 and {MAX_RESOLVE_TIMEOUT}")
            kwargs["resolve_timeout"] = float(value)
        elif key == "import-map":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: expected a table of import-name = \"distribution\" (or a list)")
            mapping = {}
            for module, dists in value.items():
                names = [dists] if isinstance(dists, str) else dists
                if not isinstance(names, list) or not names or not all(isinstance(d, str) and d for d in names):
                    raise ConfigError(f"{where}.{module}: expected a distribution name or a list of them")
                if not all(part.isidentifier() for part in str(module).split(".")):
                    raise ConfigError(f"{where}: {module!r} is not an import name")
                mapping[str(module)] = tuple(names)
            kwargs["import_map"] = mapping
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: expected a table of glob = [codes]")
            kwargs["per_file_ignores"] = {
                str(glob): _codes(codes, f"{where}.{glob}") for glob, codes in value.items()
            }
        elif key == "severity":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: expected a table of CODE = \"note|warning|error\"")
            severities = {}
            for code, sev in value.items():
                if not re.match(r"^CP\d{3}$", str(code)):
                    raise ConfigError(f"{where}: {code!r} is not a rule code (like CP301)")
                severities[str(code)] = _severity(sev, f"{where}.{code}")
            kwargs["severity"] = severities
        else:
            raise ConfigError(f"{source}: unknown key {key!r} (known: {', '.join(KNOWN_KEYS)})")
    return Config(**kwargs)


KNOWN_KEYS = ("select", "ignore", "exclude", "entrypoints", "fail-on", "per-file-ignores", "deploy-branches",
              "severity", "python-version", "import-map", "resolve", "resolve-timeout")


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        import tomllib
    except ModuleNotFoundError:  # pragma: no cover
        import tomli as tomllib  # type: ignore[no-redef]
    from preflight.project import MAX_PARSE_BYTES

    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_PARSE_BYTES + 1)
        if len(data) > MAX_PARSE_BYTES:
            raise ConfigError(f"{path}: larger than {MAX_PARSE_BYTES // (1024 * 1024)} MiB, not read")
        return tomllib.loads(data.decode("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
        raise ConfigError(f"{path}: cannot be read ({reason or exc.__class__.__name__})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML (nested too deeply)") from None


def _in_repository(path: Path, root: Path) -> bool:
    """A regular file whose real path is inside the checked folder: no symlink on the way leads out of it."""
    try:
        return path.is_file() and not path.is_symlink() and path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        return False


def load_config(root: Path, explicit: str | None = None) -> Config:
    """Find and validate the config for the repository at ``root``."""
    if explicit:
        path = Path(explicit)
        if not path.is_absolute() and not path.exists():
            path = root / explicit
        if not path.is_file():
            raise ConfigError(f"config file {explicit!r} does not exist")
        data = _load_toml(path)
        if path.name == "pyproject.toml":
            data = data.get("tool", {}).get("cloud-preflight", {})
        return parse_config(data, str(explicit))
    dedicated = root / CONFIG_PATH
    if _in_repository(dedicated, root):
        return parse_config(_load_toml(dedicated), CONFIG_PATH)
    pyproject = root / "pyproject.toml"
    if _in_repository(pyproject, root):
        try:
            data = _load_toml(pyproject)
        except ConfigError:
            return Config()  # an invalid pyproject.toml is reported as a finding, not a config error
        table = data.get("tool", {}).get("cloud-preflight") if isinstance(data.get("tool"), dict) else None
        if isinstance(table, dict):
            return parse_config(table, "pyproject.toml [tool.cloud-preflight]")
    return Config()
