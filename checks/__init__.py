"""The rules, one module per family. ALL_RULES is the explicit registry: a rule not listed here never runs.

Families (codes are stable forever):
  CP0xx files that cannot be read or parsed          checks/parsing.py
  CP1xx which dependency file Cloud uses             checks/dependency_files.py
  CP2xx imports vs the file Cloud installs           checks/imports.py
  CP3xx requirement contents (CP301-CP35x)          checks/requirements.py
        resolution on Cloud's Python/platform (CP36x-CP37x, --resolve)   checks/resolution.py
  CP4xx system and apt packages                      checks/system_packages.py
  CP5xx Python version (CP50x-CP52x)                checks/python_version.py
        Streamlit version and API (CP55x-CP59x)     checks/streamlit_version.py
  CP6xx .streamlit config and secrets                checks/streamlit_config.py
  CP7xx paths, files and entrypoints                 checks/paths.py
"""

from __future__ import annotations

from checks import (
    dependency_files,
    imports,
    parsing,
    paths,
    python_version,
    requirements,
    resolution,
    streamlit_config,
    streamlit_version,
    system_packages,
)
from preflight.rules import Rule

ALL_RULES: tuple[Rule, ...] = (
    *parsing.RULES,
    *dependency_files.RULES,
    *imports.RULES,
    *requirements.RULES,
    *resolution.RULES,
    *system_packages.RULES,
    *python_version.RULES,
    *streamlit_version.RULES,
    *streamlit_config.RULES,
    *paths.RULES,
)

RULES_BY_CODE: dict[str, Rule] = {r.code: r for r in ALL_RULES}

# Rules that run only when selected explicitly (config `select`, CLI --select): opinions, not predictions.
DEFAULT_OFF: frozenset[str] = frozenset(imports.DEFAULT_OFF)
