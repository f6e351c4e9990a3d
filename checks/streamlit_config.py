"""CP6xx: `.streamlit/config.toml` and secrets.

Community Cloud reads one config file, `.streamlit/config.toml` at the repository root (Streamlit >= 1.46 also
reads one next to the entrypoint), forces five of its options and manages the self-hosting ones itself.
Secrets belong in App settings -> Secrets, never in the repository.

Secret values are never printed: secrets files are not even read (only their names matter), and other
credential files are read only to decide whether they hold something secret. Messages name keys and options,
never values (booleans of the options Cloud forces excepted).
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from preflight import data
from preflight.model import Finding, Severity
from preflight.rules import RuleContext, rule

if TYPE_CHECKING:
    from preflight.apps import App

ROOT_CONFIG = ".streamlit/config.toml"

# Top-level sections Streamlit's config system knows (lib/streamlit/config.py `_create_section`), including
# ones that recent versions removed but that old configs still carry ([deprecation], [s3]): those produce
# per-option warnings in Streamlit, not a lost section.
SECTIONS = frozenset({"global", "logger", "client", "runner", "server", "browser", "ui", "mapbox", "magic",
                      "theme", "secrets", "deprecation", "s3"})

# Well-known options and the TOML type Streamlit expects (config reference, config-toml.md, and
# lib/streamlit/config.py). Only used for type checks and to recognise Streamlit settings; an option
# missing here is never reported as unknown.
BOOL, INT, STR, LIST = "a boolean (true/false)", "an integer", "a string", "an array"
OPTIONS: dict[str, tuple[str, ...]] = {
    "global.disableWatchdogWarning": (BOOL,),
    "global.disableWidgetStateDuplicationWarning": (BOOL,),
    "global.showWarningOnDirectExecution": (BOOL,),
    "global.suppressDeprecationWarnings": (BOOL,),
    "logger.level": (STR,),
    "logger.messageFormat": (STR,),
    "client.showErrorDetails": (BOOL, STR),
    "client.toolbarMode": (STR,),
    "client.showSidebarNavigation": (BOOL,),
    "runner.magicEnabled": (BOOL,),
    "runner.fastReruns": (BOOL,),
    "runner.postScriptGC": (BOOL,),
    "runner.enforceSerializableSessionState": (BOOL,),
    "runner.enumCoercion": (STR,),
    "server.folderWatchBlacklist": (LIST,),
    "server.fileWatcherType": (STR,),
    "server.cookieSecret": (STR,),
    "server.headless": (BOOL,),
    "server.runOnSave": (BOOL,),
    "server.address": (STR,),
    "server.port": (INT,),
    "server.baseUrlPath": (STR,),
    "server.enableCORS": (BOOL,),
    "server.corsAllowedOrigins": (LIST,),
    "server.enableXsrfProtection": (BOOL,),
    "server.maxUploadSize": (INT,),
    "server.maxMessageSize": (INT,),
    "server.enableArrowTruncation": (BOOL,),
    "server.enableWebsocketCompression": (BOOL,),
    "server.enableStaticServing": (BOOL,),
    "server.disconnectedSessionTTL": (INT,),
    "server.sslCertFile": (STR,),
    "server.sslKeyFile": (STR,),
    "browser.serverAddress": (STR,),
    "browser.gatherUsageStats": (BOOL,),
    "browser.serverPort": (INT,),
    "ui.hideTopBar": (BOOL,),
    "mapbox.token": (STR,),
    "magic.displayRootDocString": (BOOL,),
    "magic.displayLastExprIfNoSemicolon": (BOOL,),
    "theme.base": (STR,),
    "theme.primaryColor": (STR,),
    "theme.backgroundColor": (STR,),
    "theme.secondaryBackgroundColor": (STR,),
    "theme.textColor": (STR,),
    "theme.font": (STR,),
    "secrets.files": (LIST,),
}
# Options too generic to tell a Streamlit config from another tool's config.toml.
_GENERIC = frozenset({"server.port", "server.address", "server.baseUrlPath", "logger.level", "logger.messageFormat",
                      "server.cookieSecret", "theme.font", "theme.base", "mapbox.token"})
SHOW_ERROR_DETAILS_VALUES = {"full": True, "stacktrace": True, "type": True, "none": False}

# Misnamed config files: names inside a `.streamlit/` folder, folder names that are not `.streamlit`.
_MISNAMED_IN_FOLDER = frozenset({"configuration.toml", "config.tml", "config.toml.txt", "config.txt", "config.tom",
                                 "config.yaml", "config.yml", "configs.toml", "conf.toml", "config"})
_MISNAMED_FOLDERS = frozenset({"streamlit", ".streamlit", "_streamlit", "streamlit_config", ".streamlit_config"})

# Files from other platforms (CFG-007). Aptfile and runtime.txt are left to CP4xx / CP5xx.
HEROKU_FILES = frozenset({"setup.sh", "Procfile"})
OTHER_PLATFORM_FILES = frozenset({"Dockerfile", "docker-compose.yml", "docker-compose.yaml", "compose.yml",
                                  "compose.yaml", "render.yaml", "app.yaml", "nixpacks.toml", "fly.toml",
                                  "heroku.yml"})

_SECRET_NAME_RE = re.compile(r"(KEY|SECRET|TOKEN|PASSW|PWD|CREDENTIAL|AUTH|PRIVATE|DSN|DATABASE_URL|CONN)",
                             re.IGNORECASE)
_PLACEHOLDER_RE = re.compile(
    r"^(|<.*>|\$\{?\w*\}?|x+|\.+|\*+|-+|your[-_ ].*|.*[-_ ]here|changeme|change[-_]me|todo|tbd|replace[-_ ]?me|"
    r"placeholder|none|null|dummy|example.*|fake.*|test|secret|password)$", re.IGNORECASE)
_DOTENV_LINE_RE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$")


# ---------------------------------------------------------------------------------------------------- TOML lines

@dataclass(frozen=True)
class TomlKey:
    """A key or table header in a TOML text: absolute dotted path and 1-based line."""

    path: tuple[str, ...]
    line: int
    header: bool       # a [table] or [[array]] line
    top_level: bool    # a key written before the first table header


def _skip_string(s: str, i: int) -> int:
    """Index after the single-line string starting at s[i]."""
    quote, j = s[i], i + 1
    while j < len(s) and s[j] != quote:
        j += 2 if quote == '"' and s[j] == "\\" else 1
    return j + 1


def _consume(s: str, i: int, depth: int, multiline: str | None) -> tuple[int, str | None]:
    """Scan a value from s[i]; returns the bracket depth and open multi-line string delimiter at line end."""
    n = len(s)
    while i < n:
        if multiline:
            j = s.find(multiline, i)
            if j < 0:
                return depth, multiline
            i = j + 3
            while i < n and s[i] == multiline[0]:
                i += 1
            multiline = None
            continue
        c = s[i]
        if c == "#":
            break
        if s.startswith('"""', i) or s.startswith("'''", i):
            multiline, i = s[i:i + 3], i + 3
            continue
        if c in "\"'":
            i = _skip_string(s, i)
            continue
        if c in "[{":
            depth += 1
        elif c in "]}":
            depth = max(0, depth - 1)
        i += 1
    return depth, multiline


def _split_key(s: str) -> tuple[str, ...] | None:
    parts: list[str] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c in " \t.":
            i += 1
        elif c in "\"'":
            end = _skip_string(s, i)
            parts.append(s[i + 1:end - 1])
            i = end
        else:
            match = re.match(r"[A-Za-z0-9_-]+", s[i:])
            if not match:
                return None
            parts.append(match.group())
            i += match.end()
    return tuple(parts) or None


def _find_outside_quotes(s: str, wanted: str, start: int = 0) -> int:
    i = start
    while i < len(s):
        if s[i] in "\"'":
            i = _skip_string(s, i)
            continue
        if s[i] == wanted:
            return i
        i += 1
    return -1


def scan_toml_keys(text: str) -> list[TomlKey]:
    """Keys and table headers with their lines, tolerant of anything it does not understand."""
    out: list[TomlKey] = []
    table: tuple[str, ...] = ()
    depth, multiline, seen_header = 0, None, False
    for number, raw in enumerate(text.splitlines(), 1):
        if depth or multiline:
            depth, multiline = _consume(raw, 0, depth, multiline)
            continue
        s = raw.strip()
        if not s or s.startswith("#"):
            continue
        if s.startswith("["):
            start = 2 if s.startswith("[[") else 1
            close = _find_outside_quotes(s, "]", start)
            key = _split_key(s[start:close]) if close > 0 else None
            if key is not None:
                table, seen_header = key, True
                out.append(TomlKey(key, number, True, False))
            continue
        eq = _find_outside_quotes(s, "=")
        if eq < 0:
            continue
        key = _split_key(s[:eq])
        if key is None:
            continue
        out.append(TomlKey(table + key, number, False, not seen_header))
        depth, multiline = _consume(s, eq + 1, 0, None)
    return out


def key_line(keys: list[TomlKey], path: tuple[str, ...]) -> int | None:
    """Line of the key ``path``; for a key inside an inline table, the line of that table's key."""
    best: TomlKey | None = None
    for key in keys:
        if key.header:
            continue
        if key.path == path:
            return key.line
        if path[:len(key.path)] == key.path and (best is None or len(key.path) > len(best.path)):
            best = key
    return best.line if best else None


def section_line(keys: list[TomlKey], section: str) -> int | None:
    """Line of ``[section]`` (or of the first key under it)."""
    for key in keys:
        if key.path[:1] == (section,):
            return key.line
    return None


# ---------------------------------------------------------------------------------------------------- helpers

@dataclass(frozen=True)
class ConfigDoc:
    path: str
    data: dict
    keys: list[TomlKey]
    apps: list[App]


def _since(name: str) -> Any:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(str(data.cloud().get(name, "1.46.0")))
    except InvalidVersion:
        return Version("1.46.0")


def _reads_entry_config(app: App) -> bool:
    version = app.streamlit.version
    return version is not None and version >= _since("entrypoint-relative-config-since")


def _config_docs(ctx: RuleContext) -> Iterator[ConfigDoc]:
    """The config files Streamlit will read on Cloud: the root one (every app), and for apps on
    Streamlit >= 1.46 the one next to the entrypoint. Unparsable files are left to CP001."""
    apps = [a for a in ctx.apps if a.exists]
    wanted: dict[str, list[App]] = {}
    if ctx.project.exists(ROOT_CONFIG):
        wanted[ROOT_CONFIG] = apps
    for app in apps:
        if app.dir and _reads_entry_config(app):
            path = posixpath.join(app.dir, ROOT_CONFIG)
            if ctx.project.exists(path):
                wanted.setdefault(path, []).append(app)
    for path in sorted(wanted):
        parsed = ctx.project.toml(path)
        text = ctx.project.text(path)
        if not isinstance(parsed, dict) or text is None:
            continue
        yield ConfigDoc(path, parsed, scan_toml_keys(text.text), wanted[path])


def _option(doc_data: dict, key: str) -> tuple[bool, Any]:
    section, _, name = key.partition(".")
    table = doc_data.get(section)
    if not isinstance(table, dict) or name not in table:
        return False, None
    return True, table[name]


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return STR
    if isinstance(value, list):
        return LIST
    if isinstance(value, dict):
        return "a table"
    return "a date or time"


def _toml_bool(value: bool) -> str:
    return "true" if value else "false"


def _line_of(text: str, needle: str) -> int | None:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else None


def _streamlit_options_in(text: str) -> set[str]:
    """Known Streamlit options set in a TOML text (section.option), found without parsing it."""
    found = set()
    for key in scan_toml_keys(text):
        if not key.header and len(key.path) == 2:
            name = ".".join(key.path)
            if name in OPTIONS:
                found.add(name)
    return found


# ---------------------------------------------------------------------------------------------------- CFG-001

def _looks_like_streamlit_config(text: str) -> bool:
    return bool(_streamlit_options_in(text) - _GENERIC)


@rule("CP601", "config-misnamed", Severity.ERROR)
def config_misnamed(ctx: RuleContext) -> Iterator[Finding]:
    """A Streamlit config file with the wrong name or folder, which nothing reads.

    Severity: error; warning when a correctly named root `.streamlit/config.toml` also exists (then this file
    is probably a stale copy, but edits to it still have no effect).

    ## Why is this bad?
    Streamlit reads only `.streamlit/config.toml` (lower case, leading dot, `.toml`), and Community Cloud only
    the one at the repository root. `.streamlit/configuration.toml` (a typo in Cloud's own docs),
    `.streamlit/Config.toml`, `config.tml`, `streamlit/config.toml` without the dot, or a bare `config.toml`
    at the root are silently ignored: the theme, upload limit and other settings never apply.

    ## Example
    `config.toml` at the repository root containing `[theme]` and `primaryColor = "#F63366"`.

    ## Fix
    Move and rename it: `git mv config.toml .streamlit/config.toml`.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/file-organization
    - https://docs.streamlit.io/develop/api-reference/configuration/config.toml
    """
    project = ctx.project
    app_dirs = {a.dir for a in ctx.apps} | {""}
    root_bytes = project.read_bytes(ROOT_CONFIG) if project.exists(ROOT_CONFIG) else None
    for path in project.files:
        folder, name = posixpath.split(path)
        parent = posixpath.basename(folder)
        lower = name.lower()
        if parent == ".streamlit":
            if name == "config.toml" or not (lower in _MISNAMED_IN_FOLDER or lower == "config.toml"):
                continue
        elif parent.lower() in _MISNAMED_FOLDERS:
            if lower not in _MISNAMED_IN_FOLDER and lower != "config.toml":
                continue
        elif name == "config.toml" and folder in app_dirs:
            text = project.text(path)
            if text is None or not _looks_like_streamlit_config(text.text):
                continue
        else:
            continue
        severity = None
        if root_bytes is not None:
            if project.read_bytes(path) == root_bytes:
                continue
            severity = Severity.WARNING
        yield ctx.finding(
            f"{path} is never read. The file must be named exactly .streamlit/config.toml (lower case, leading "
            f"dot) at the repository root"
            + (", where a different config file already exists; edits to this one have no effect."
               if severity else "; none of its settings apply on Community Cloud."),
            path, severity=severity,
            fix=(f"Merge what you need into {ROOT_CONFIG} and delete {path}." if severity else
                 f"Move it: git mv \"{path}\" {ROOT_CONFIG}"))


@rule("CP602", "config-not-at-root", Severity.WARNING)
def config_not_at_root(ctx: RuleContext) -> Iterator[Finding]:
    """A `.streamlit/config.toml` outside the repository root, which Community Cloud does not recognise.

    Severity: warning; note when the file sits next to the entrypoint and the app gets Streamlit 1.46 or
    later, which also reads an entrypoint-relative `.streamlit/config.toml`.

    ## Why is this bad?
    Cloud runs `streamlit run <entrypoint>` from the repository root, and Streamlit before 1.46 reads only
    `$CWD/.streamlit/config.toml`. A config next to an entrypoint in a sub-folder (which works locally when
    you `cd` there first) is ignored: the theme, `maxUploadSize` and other settings are lost. Streamlit 1.46
    added a script-level config file, but Cloud's docs still say only the root file is recognised. An
    identical copy at the root is not reported.

    ## Example
    `app/.streamlit/config.toml` with `app/main.py` as entrypoint and `streamlit==1.40.0`.

    ## Fix
    Move it to `.streamlit/config.toml` at the root (or copy it there), or pin `streamlit>=1.46`.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/file-organization
    - https://github.com/streamlit/streamlit/pull/10173
    """
    project = ctx.project
    root_bytes = project.read_bytes(ROOT_CONFIG) if project.exists(ROOT_CONFIG) else None
    since = _since("entrypoint-relative-config-since")
    for path in project.files:
        if not path.endswith("/" + ROOT_CONFIG):
            continue
        folder = path[: -len("/" + ROOT_CONFIG)]
        if root_bytes is not None and project.read_bytes(path) == root_bytes:
            continue
        apps = [a for a in ctx.apps if a.exists and a.dir == folder]
        differs = " and differs from the root one" if root_bytes is not None else ""
        if apps and all(_reads_entry_config(a) for a in apps):
            shown = apps[0].streamlit.version
            yield ctx.finding(
                f"{path} is not the root {ROOT_CONFIG}{differs}. Community Cloud's docs recognise only the "
                f"root file; Streamlit {since} and later (this app gets {shown}) also read the one next to the "
                f"entrypoint, so its settings are only honoured by streamlit >= {since}.",
                path, severity=Severity.NOTE, app=apps[0],
                fix=f"Keep the settings in {ROOT_CONFIG} as well, or keep streamlit pinned to >= {since}.")
            continue
        why = (f"it is not next to an entrypoint, and Streamlit reads .streamlit/ only in the working directory "
               f"(the repository root on Cloud) and, from {since}, in the entrypoint's folder" if not apps else
               f"this app gets {apps[0].streamlit.describe}, and only Streamlit {since} and later also read "
               f".streamlit/ next to the entrypoint")
        yield ctx.finding(
            f"{path} is not the root {ROOT_CONFIG}{differs}. Community Cloud recognises only one config file, "
            f"at the repository root; settings here (theme, maxUploadSize, ...) are ignored: {why}.",
            path, app=apps[0] if apps else None,
            fix=f"Move it to the repository root: git mv \"{path}\" {ROOT_CONFIG} (merge it if one exists).")


# ---------------------------------------------------------------------------------------------------- CFG-002

@rule("CP603", "config-key-outside-section", Severity.ERROR)
def config_key_outside_section(ctx: RuleContext) -> Iterator[Finding]:
    """An option in `.streamlit/config.toml` is written before any `[section]` header.

    ## Why is this bad?
    Streamlit reads the file as `{section: {option: value}}`. A bare `primaryColor = "#F63366"` at the top
    is not inside `[theme]`: Streamlit up to 1.39 crashes at start-up reading it, later versions log
    "Error parsing config toml" and ignore the whole file. Dotted keys (`theme.primaryColor = ...`) and
    inline tables are fine.

    ## Example
    ```toml
    primaryColor = "#F63366"
    [theme]
    base = "dark"
    ```

    ## Fix
    Put every option under its section header (`[theme]`, `[server]`, ...).

    ## References
    - https://docs.streamlit.io/develop/api-reference/configuration/config.toml
    """
    by_name: dict[str, list[str]] = {}
    for option in OPTIONS:
        section, _, name = option.partition(".")
        by_name.setdefault(name, []).append(section)
    for doc in _config_docs(ctx):
        for key, value in doc.data.items():
            if isinstance(value, dict):
                continue
            line = key_line(doc.keys, (key,))
            sections = by_name.get(key, [])
            secretish = bool(_SECRET_NAME_RE.search(key)) and not sections
            hint = (" It looks like a secret: secrets belong in App settings -> Secrets, not in config.toml."
                    if secretish else "")
            if secretish:
                fix = (f"Remove \"{key}\" from {doc.path}, put it in App settings -> Secrets (read it with "
                       f"st.secrets), and rotate it: the committed value is public.")
            elif len(sections) == 1:
                fix = f"Move \"{key}\" under [{sections[0]}] (or write it as {sections[0]}.{key})."
            else:
                fix = f"Move \"{key}\" under the [section] it belongs to, or remove it."
            yield ctx.finding(
                f"\"{key}\" is outside any [section] in {doc.path}. Streamlit cannot read a config file like "
                f"this: up to 1.39 it crashes at start-up, later versions log \"Error parsing config toml\" and "
                f"ignore the whole file.{hint}",
                doc.path, line, fix=fix)


@rule("CP604", "config-unknown-section", Severity.WARNING)
def config_unknown_section(ctx: RuleContext) -> Iterator[Finding]:
    """A section in `.streamlit/config.toml` that is not a Streamlit config section.

    ## Why is this bad?
    Streamlit only knows its own sections (`[theme]`, `[server]`, `[client]`, `[runner]`, `[browser]`,
    `[logger]`, `[global]`, `[ui]`, `[magic]`, `[mapbox]`, `[secrets]`). Every option under another section is
    ignored with the log line `"x.y" is not a valid config option`. Often these are secrets or connection
    settings that belong in `secrets.toml` (App settings -> Secrets on Cloud), or `[general] email` copied
    from `credentials.toml`.

    ## Example
    ```toml
    [connections.db]
    url = "..."
    ```

    ## Fix
    Remove the section; move secrets and `[connections.*]` to App settings -> Secrets (read them with
    `st.secrets` / `st.connection`).

    ## References
    - https://docs.streamlit.io/develop/api-reference/configuration/config.toml
    - https://github.com/streamlit/streamlit/issues/6948
    """
    for doc in _config_docs(ctx):
        for section, value in doc.data.items():
            if not isinstance(value, dict) or section in SECTIONS:
                continue
            secretish = section in ("connections", "auth") or _SECRET_NAME_RE.search(section) \
                or any(isinstance(k, str) and _SECRET_NAME_RE.search(k) for k in value)
            hint = (" If these are secrets or connection settings, they belong in App settings -> Secrets "
                    "(secrets.toml), not in config.toml, which is committed." if secretish else "")
            yield ctx.finding(
                f"[{section}] in {doc.path} is not a Streamlit config section; Streamlit ignores every option "
                f"in it and logs \"is not a valid config option\".{hint}",
                doc.path, section_line(doc.keys, section),
                fix="Remove the section" + (", and put secrets in App settings -> Secrets on Community Cloud."
                                            if secretish else " (Streamlit has no custom config sections)."))


@rule("CP605", "config-value-type", Severity.WARNING)
def config_value_type(ctx: RuleContext) -> Iterator[Finding]:
    """A well-known option in `.streamlit/config.toml` has a value of the wrong type.

    ## Why is this bad?
    Streamlit stores config values as written, without converting them. `headless = "false"` is a non-empty
    string, so it counts as true; `maxUploadSize = "500"` is a string where a number of megabytes is
    expected. The app then behaves differently from what the file says.

    ## Example
    ```toml
    [server]
    runOnSave = "false"
    maxUploadSize = "500"
    ```

    ## Fix
    Write booleans as `true`/`false` and numbers without quotes.

    ## References
    - https://docs.streamlit.io/develop/api-reference/configuration/config.toml
    """
    for doc in _config_docs(ctx):
        for option, expected in OPTIONS.items():
            present, value = _option(doc.data, option)
            if not present:
                continue
            actual = _type_of(value)
            if actual in expected or (INT in expected and actual == "a number"):
                continue
            section, _, name = option.partition(".")
            yield ctx.finding(
                f"{option} should be {' or '.join(expected)}, but {doc.path} gives {actual}; Streamlit uses the "
                f"value as written, so the setting does not behave as intended.",
                doc.path, key_line(doc.keys, (section, name)),
                fix=f"Write {name} as {expected[0]}" + (", without quotes." if expected[0] in (BOOL, INT) else "."))


# ---------------------------------------------------------------------------------------------------- CFG-003

_FORCED_WARNING = frozenset({"server.enableXsrfProtection", "client.showErrorDetails"})
_FORCED_EFFECT = {
    "client.showErrorDetails": " Visitors see \"The original error message is redacted to prevent data leaks\" "
                               "instead of the error; the full traceback is in Manage app -> logs.",
    "server.enableXsrfProtection": " XSRF protection stays on there, so whatever turning it off was meant to fix "
                                   "(often uploads behind a proxy) is not fixed on Cloud.",
    "server.runOnSave": " The app reruns for connected viewers whenever a push updates its files.",
    "runner.fastReruns": "",
    "browser.gatherUsageStats": "",
}


@rule("CP606", "config-cloud-forced-option", Severity.NOTE)
def config_cloud_forced_option(ctx: RuleContext) -> Iterator[Finding]:
    """`.streamlit/config.toml` sets an option that Community Cloud overrides.

    Severity: warning for `server.enableXsrfProtection` and `client.showErrorDetails`, note for
    `runner.fastReruns`, `server.runOnSave` and `browser.gatherUsageStats`.

    ## Why is this bad?
    Cloud forces `client.showErrorDetails = false`, `runner.fastReruns = true`, `server.runOnSave = true`,
    `server.enableXsrfProtection = true` and `browser.gatherUsageStats = true`, whatever the config says.
    A different value works locally and has no effect on Cloud: with `showErrorDetails` visitors see a
    redacted error; with `enableXsrfProtection = false` the protection stays on.

    ## Example
    ```toml
    [server]
    enableXsrfProtection = false
    ```

    ## Fix
    Remove the option, or design the app for Cloud's value.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/status-and-limitations
    """
    forced = data.cloud().get("forced-config")
    if not isinstance(forced, dict):
        return
    for doc in _config_docs(ctx):
        for option, cloud_value in sorted(forced.items()):
            present, value = _option(doc.data, option)
            if not present or not isinstance(cloud_value, bool):
                continue
            if isinstance(value, bool):
                effective, shown = value, _toml_bool(value)
            elif option == "client.showErrorDetails" and isinstance(value, str) \
                    and value.lower() in SHOW_ERROR_DETAILS_VALUES:
                effective, shown = SHOW_ERROR_DETAILS_VALUES[value.lower()], f"\"{value}\""
            else:
                continue  # wrong type: CP605
            if effective == cloud_value:
                continue
            section, _, name = option.partition(".")
            yield ctx.finding(
                f"Community Cloud overrides {option} = {_toml_bool(cloud_value)}; your value {shown} has no "
                f"effect there.{_FORCED_EFFECT.get(option, '')}",
                doc.path, key_line(doc.keys, (section, name)),
                severity=Severity.WARNING if option in _FORCED_WARNING else None,
                fix=f"Remove {name} from {doc.path}, or design the app for {option} = "
                    f"{_toml_bool(cloud_value)}.")


# ---------------------------------------------------------------------------------------------------- CFG-004

@rule("CP607", "config-self-hosting-option", Severity.NOTE)
def config_self_hosting_option(ctx: RuleContext) -> Iterator[Finding]:
    """`.streamlit/config.toml` sets a self-hosting option that Community Cloud manages itself.

    Severity: warning for a non-empty `server.baseUrlPath` and for a committed `server.cookieSecret`; note
    for the rest (`server.port`, `server.address`, `server.headless`, `server.enableCORS = false`,
    `server.sslCertFile`, ...).

    ## Why is this bad?
    Cloud runs the server and routes traffic to it; port, address, TLS and CORS are its business. These
    settings are at best unneeded there. A base URL path is risky: the app is served at the root of its
    `streamlit.app` address, and a base path is known to break routing, static files and components
    (Cloud's handling of these keys is not documented, so this is inferred). `server.enableCORS = false` is
    overridden to true anyway while XSRF protection is on, which Cloud forces. A cookie secret in a
    committed file is not secret.

    ## Example
    ```toml
    [server]
    port = 8080
    baseUrlPath = "dashboard"
    ```

    ## Fix
    Remove these options from the committed config; pass them as command-line flags or environment variables
    where you self-host.

    ## References
    - https://docs.streamlit.io/develop/api-reference/configuration/config.toml
    - https://github.com/streamlit/streamlit/issues/521
    """
    options = data.cloud().get("self-hosting-options")
    if not isinstance(options, list):
        return
    for doc in _config_docs(ctx):
        for option in options:
            if not isinstance(option, str) or "." not in option:
                continue
            present, value = _option(doc.data, option)
            if not present or value in ("", "/", [], None):
                continue
            if option == "server.enableCORS" and value is True:
                continue
            section, _, name = option.partition(".")
            severity, extra = None, " not needed"
            if option == "server.baseUrlPath":
                severity = Severity.WARNING
                extra = (" risky: Cloud serves the app at the root of its streamlit.app address, and a base URL "
                         "path is known to break routing, static files and components")
            elif option == "server.cookieSecret":
                severity = Severity.WARNING
                extra = (" not needed, and a cookie secret committed to the repository is not secret (its value "
                         "is not shown here)")
            elif option == "server.enableCORS":
                extra = (" not needed (Streamlit also overrides enableCORS to true while XSRF protection is on, "
                         "which Cloud forces)")
            yield ctx.finding(
                f"{option} is a self-hosting setting; Community Cloud runs the server and routes traffic itself, "
                f"so this is{extra}. Keep it out of the config used for Cloud.",
                doc.path, key_line(doc.keys, (section, name)), severity=severity,
                fix=f"Remove {name} from {doc.path}; where you self-host, pass --{option} on the command line "
                    f"instead.")


# ---------------------------------------------------------------------------------------------------- CFG-005

@rule("CP608", "config-static-folder-missing", Severity.ERROR)
def config_static_folder_missing(ctx: RuleContext) -> Iterator[Finding]:
    """`server.enableStaticServing = true`, but there is no `static/` folder next to the entrypoint.

    Severity: error when the app's code refers to `app/static/` URLs; warning otherwise.

    ## Why is this bad?
    Streamlit serves files from `./static/` relative to the entrypoint (not the repository root) at
    `app/static/<name>`. Without that folder every such URL returns 404 on Cloud: images and downloads in
    `st.markdown`/`st.html` are broken. A `static/` folder at the root does not help an entrypoint in a
    sub-folder.

    ## Example
    `app/main.py` as entrypoint, `static/logo.png` at the root, `[server] enableStaticServing = true`.

    ## Fix
    Put the files in a `static/` folder next to the entrypoint and refer to them as `app/static/<name>`,
    or use `st.image` for images.

    ## References
    - https://docs.streamlit.io/develop/concepts/configuration/serving-static-files
    """
    for doc in _config_docs(ctx):
        present, value = _option(doc.data, "server.enableStaticServing")
        if not present or value is not True:
            continue
        line = key_line(doc.keys, ("server", "enableStaticServing"))
        for app in doc.apps:
            folder = posixpath.join(app.dir, "static") if app.dir else "static"
            if ctx.project.is_dir(folder):
                continue
            uses = any(b"app/static/" in (ctx.project.read_bytes(m.path) or b"") for m in app.modules)
            at_root = " (static/ at the repository root is not served for this entrypoint)" \
                if app.dir and ctx.project.is_dir("static") else ""
            yield ctx.finding(
                f"server.enableStaticServing = true, but there is no {folder}/ folder next to {app.entrypoint}"
                f"{at_root}: Streamlit serves only static/ beside the entrypoint, so app/static/... URLs return 404 "
                f"on Community Cloud.", doc.path, line, app=app,
                severity=None if uses else Severity.WARNING,
                fix=f"Create {folder}/ with the files and refer to them as app/static/<name>, or use st.image.")


# ---------------------------------------------------------------------------------------------------- SEC-001

@rule("CP609", "secrets-file-committed", Severity.ERROR)
def secrets_file_committed(ctx: RuleContext) -> Iterator[Finding]:
    """A `.streamlit/secrets.toml` is committed to the repository.

    ## Why is this bad?
    Anyone who can read the repository (public for most Community Cloud apps) can read the secrets, and they
    stay in git history after deletion. A committed `secrets.toml` can also shadow the secrets set in the
    Cloud UI. cloud-preflight never reads or prints its contents.

    ## Example
    `.streamlit/secrets.toml` with `OPENAI_API_KEY = "..."` in git.

    ## Fix
    `git rm --cached .streamlit/secrets.toml`, add it to `.gitignore`, rotate every credential it held, and
    paste its contents into App settings -> Secrets. Keep a `secrets.toml.example` with placeholders instead.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/secrets-management
    - https://github.com/streamlit/streamlit/issues/2796
    """
    for path in ctx.project.files:
        folder, name = posixpath.split(path)
        if name != "secrets.toml" or posixpath.basename(folder) != ".streamlit":
            continue
        yield ctx.finding(
            f"{path} is committed. Secrets must not be in the repository (public apps expose them); on Community "
            f"Cloud paste its contents into App settings -> Secrets instead. A committed file can also shadow the "
            f"secrets you set in the Cloud UI.",
            path,
            fix=f"git rm --cached \"{path}\", add {path} to .gitignore, rotate every credential "
                f"it held (it stays in git history), and paste it into App settings -> Secrets.")


def _dotenv_has_secret(text: str) -> bool:
    for line in text.splitlines():
        match = _DOTENV_LINE_RE.match(line)
        if not match or not _SECRET_NAME_RE.search(match.group(1)):
            continue
        value = match.group(2).strip()
        if value and value[0] in "\"'":
            end = value.find(value[0], 1)
            value = value[1:end] if end > 0 else value[1:]
        else:
            value = value.split(" #", 1)[0].strip()
        if not _PLACEHOLDER_RE.match(value.strip()):
            return True
    return False


def _credential_kind(ctx: RuleContext, path: str) -> str | None:
    """What secret the file holds, or None. Reads the file only to decide; never returns any of its content."""
    name = posixpath.basename(path)
    lower = name.lower()
    if name == ".env":
        text = ctx.project.text(path)
        return "environment variables with secret-looking names" if text and _dotenv_has_secret(text.text) \
            else None
    if lower.endswith(".json") and (lower == "credentials.json" or lower.startswith(
            ("service_account", "service-account", "serviceaccount", "client_secret"))):
        raw = ctx.project.read_bytes(path) or b""
        if b'"private_key"' in raw:
            return "a service-account private key"
        if b'"client_secret"' in raw:
            return "an OAuth client secret"
        if b'"refresh_token"' in raw:
            return "an OAuth refresh token"
        return None
    if lower.endswith((".pem", ".key")):
        raw = ctx.project.read_bytes(path) or b""
        return "a private key" if b"PRIVATE KEY-----" in raw else None
    return None


@rule("CP610", "credential-file-committed", Severity.ERROR)
def credential_file_committed(ctx: RuleContext) -> Iterator[Finding]:
    """A file holding credentials (`.env`, `credentials.json`, `service_account*.json`, a private key) is committed.

    ## Why is this bad?
    Community Cloud apps are usually deployed from public repositories: anyone can copy the credentials, and
    they stay in git history after deletion. Only files that hold something secret are reported: a `.env`
    with a non-placeholder value for a name like `*_KEY`/`*_TOKEN`/`*PASSWORD*`, a Google service-account or
    OAuth client JSON with its secret, a `.pem`/`.key` with a private key (certificates are fine).
    cloud-preflight never prints the values.

    ## Example
    `.env` with `OPENAI_API_KEY=...` committed next to `app.py`.

    ## Fix
    `git rm --cached` the file, add it to `.gitignore`, rotate the credential, and put it in App settings ->
    Secrets (root-level keys are also exported as environment variables). Commit a `.env.example` with
    placeholders if others need the names.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/secrets-management
    - https://docs.streamlit.io/develop/concepts/connections/secrets-management
    """
    for path in ctx.project.files:
        kind = _credential_kind(ctx, path)
        if kind is None:
            continue
        yield ctx.finding(
            f"{path} is committed and holds {kind} (values not shown); anyone who can read the repository can use "
            f"them, and they stay in git history. On Community Cloud, put them in App settings -> Secrets.",
            path,
            fix=f"git rm --cached \"{path}\", add it to .gitignore, rotate the credential, and move it to App "
                f"settings -> Secrets (read it with st.secrets or os.environ).")


# ---------------------------------------------------------------------------------------------------- SEC-001 b

def _secrets_use(ctx: RuleContext, path: str) -> int | None:
    """First line where ``path`` reads st.secrets, or None."""
    if not ctx.project.mentions(path, b"secrets"):
        return None  # byte-level prefilter: no mention, no use
    tree = ctx.project.python(path)
    if tree is None:
        return None
    aliases: set[str] = set()
    direct: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            aliases.update(a.asname or a.name for a in node.names if a.name == "streamlit")
        elif isinstance(node, ast.ImportFrom) and node.module == "streamlit" and not node.level:
            direct.update(a.asname or a.name for a in node.names if a.name == "secrets")
    if not aliases and not direct:
        return None
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "secrets" and isinstance(node.value, ast.Name) \
                and node.value.id in aliases:
            lines.append(node.lineno)
        elif isinstance(node, ast.Name) and node.id in direct and isinstance(node.ctx, ast.Load):
            lines.append(node.lineno)
    return min(lines) if lines else None


def _gitignore_covers_secrets(ctx: RuleContext) -> bool:
    from preflight.project import gitignore_spec

    for ignore_file, probe in ((".gitignore", ".streamlit/secrets.toml"), (".streamlit/.gitignore", "secrets.toml")):
        if not ctx.project.exists(ignore_file):
            continue
        text = ctx.project.text(ignore_file)
        if text is None:
            continue
        try:
            spec = gitignore_spec(text.text.splitlines())
        except Exception:  # noqa: BLE001 - a malformed pattern must not crash the rule
            continue
        if spec.match_file(probe):
            return True
    return False


@rule("CP611", "secrets-not-gitignored", Severity.WARNING)
def secrets_not_gitignored(ctx: RuleContext) -> Iterator[Finding]:
    """The app reads `st.secrets`, but `.gitignore` does not exclude `.streamlit/secrets.toml`.

    ## Why is this bad?
    Running the app locally needs a `.streamlit/secrets.toml`. Without a `.gitignore` entry, the next
    `git add .` commits it, and the secrets become public (Community Cloud apps are usually deployed from
    public repositories). Streamlit's docs ask you to keep `.gitignore` updated for this reason.

    ## Example
    `app.py` reads `st.secrets["OPENAI_API_KEY"]`; `.gitignore` lists only `__pycache__/`.

    ## Fix
    Add `.streamlit/secrets.toml` to `.gitignore`.

    ## References
    - https://docs.streamlit.io/develop/concepts/connections/secrets-management
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/secrets-management
    """
    if ctx.project.exists(".streamlit/secrets.toml"):
        return  # committed already: CP609 says what to do
    first: tuple[str, int, App] | None = None
    for app in ctx.apps:
        if not app.exists:
            continue
        for module in app.modules:
            line = _secrets_use(ctx, module.path)
            if line is not None:
                first = (module.path, line, app)
                break
        if first:
            break
    if first is None or _gitignore_covers_secrets(ctx):
        return
    path, line, app = first
    has_gitignore = ctx.project.exists(".gitignore")
    yield ctx.finding(
        f".gitignore does not exclude .streamlit/secrets.toml, and {path}:{line} reads st.secrets; add it so local "
        f"secrets are never pushed (on Community Cloud they go in App settings -> Secrets).",
        ".gitignore" if has_gitignore else path, None if has_gitignore else line, app=app,
        fix="Add the line .streamlit/secrets.toml to .gitignore" + ("" if has_gitignore else " (create the file)")
            + ".")


# ---------------------------------------------------------------------------------------------------- CFG-007

def _env_to_option() -> dict[str, str]:
    out = {}
    for option in OPTIONS:
        section, _, name = option.partition(".")
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()
        out[f"STREAMLIT_{section.upper()}_{snake}"] = option
    return out


def _settings_in(text: str, writes_config: bool) -> set[str]:
    """Streamlit options a script or deploy file sets: --section.option flags, STREAMLIT_* variables, and (for
    scripts that write a config.toml) `option = value` lines under a [section] header."""
    found = {f"{s}.{o}" for s, o in re.findall(r"--([a-z]+)\.([A-Za-z]+)", text) if f"{s}.{o}" in OPTIONS}
    env = _env_to_option()
    found |= {env[v] for v in re.findall(r"\bSTREAMLIT_[A-Z_]+\b", text) if v in env}
    if writes_config:
        sections = set(re.findall(r"\[([a-z]+)\]", text)) & SECTIONS
        names = set(re.findall(r"\b([A-Za-z]+)\s*=", text))
        found |= {f"{s}.{n}" for s in sections for n in names if f"{s}.{n}" in OPTIONS}
    return found


@rule("CP612", "config-other-platform-file", Severity.NOTE)
def config_other_platform_file(ctx: RuleContext) -> Iterator[Finding]:
    """A deploy file from another platform (Heroku `setup.sh`/`Procfile`, Dockerfile, ...) configures Streamlit.

    Severity: note; warning when `setup.sh` writes a `config.toml` with settings (theme, upload size, ...) and
    the repository has no root `.streamlit/config.toml`. Dockerfiles and other platforms' files are reported
    only when they set Streamlit options that the root config lacks (self-hosting options excepted).

    ## Why is this bad?
    Community Cloud only reads the dependency file, `packages.txt` and `.streamlit/config.toml`; it runs
    `streamlit run <entrypoint>` itself. `setup.sh` and `Procfile` (the Heroku recipe) never run, and
    `--theme.base` flags or `STREAMLIT_*` variables in a Dockerfile do not apply there.

    ## Example
    `setup.sh` writing `~/.streamlit/config.toml` with `[theme]` settings, started from `Procfile`.

    ## Fix
    Move the settings into `.streamlit/config.toml` at the repository root and apt packages into
    `packages.txt`; delete the Heroku files if you no longer deploy there.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/file-organization
    - https://github.com/streamlit/streamlit/issues/10590
    """
    root_options: set[str] = set()
    has_root_config = ctx.project.exists(ROOT_CONFIG)
    if has_root_config:
        text = ctx.project.text(ROOT_CONFIG)
        if text is not None:
            root_options = _streamlit_options_in(text.text)
    listed = data.cloud().get("self-hosting-options")
    hosting = {o for o in listed if isinstance(o, str)} if isinstance(listed, list) else set()
    folders = {a.dir for a in ctx.apps} | {""}
    for folder in sorted(folders):
        for path in ctx.project.files_in(folder):
            name = posixpath.basename(path)
            if name not in HEROKU_FILES and name not in OTHER_PLATFORM_FILES:
                continue
            text_file = ctx.project.text(path)
            if text_file is None or "streamlit" not in text_file.text.lower():
                continue
            text = text_file.text
            writes_config = name == "setup.sh" and "config.toml" in text
            lost = sorted(_settings_in(text, writes_config) - hosting - root_options)
            shown = ", ".join(lost[:5]) + (f" and {len(lost) - 5} more" if len(lost) > 5 else "")
            if name in HEROKU_FILES:
                if writes_config:
                    what = (f"The config.toml it writes ({shown}) will not exist there" if lost else
                            "The config.toml it writes will not exist there (its self-hosting settings are not "
                            "needed on Cloud)")
                    line = _line_of(text, "config.toml")
                elif name == "Procfile":
                    what = "Its start command will not run; Cloud runs streamlit run <entrypoint> itself" + (
                        f", without the settings it passes ({shown})" if lost else "")
                    line = _line_of(text, "streamlit")
                else:
                    what = "Nothing it does will happen there" + (f", including {shown}" if lost else "")
                    line = _line_of(text, "streamlit")
                severity = Severity.WARNING if writes_config and lost and not has_root_config else None
            else:
                if not lost:
                    continue
                what = f"The Streamlit settings it sets ({shown}) will not apply there"
                line = None
                severity = None
            yield ctx.finding(
                f"{path} is not used by Community Cloud (it only reads the dependency file, packages.txt and "
                f".streamlit/config.toml). {what}.", path, line, severity=severity,
                fix=(f"Put {shown} in {ROOT_CONFIG} at the repository root." if lost else
                     "Nothing to move for Cloud; delete the file if you no longer deploy to that platform."))


RULES = (
    config_misnamed,
    config_not_at_root,
    config_key_outside_section,
    config_unknown_section,
    config_value_type,
    config_cloud_forced_option,
    config_self_hosting_option,
    config_static_folder_missing,
    secrets_file_committed,
    credential_file_committed,
    secrets_not_gitignored,
    config_other_platform_file,
)
