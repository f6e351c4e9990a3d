"""The rules, one module per family. ALL_RULES is the explicit registry: a rule not listed here never runs.

Families (codes are stable forever):
  CP0xx files that cannot be read or parsed          checks/parsing.py
  CP1xx which dependency file Cloud uses             checks/dependency_files.py
  CP3xx requirement contents                         checks/requirements.py
  CP4xx system and apt packages                      checks/system_packages.py
  CP5xx Python and Streamlit versions                checks/versions.py
  CP6xx .streamlit config and secrets                checks/streamlit_config.py
  CP7xx paths, files and entrypoints                 checks/paths.py
"""

from __future__ import annotations

from checks import (
    dependency_files,
    parsing,
    paths,
    requirements,
    streamlit_config,
    system_packages,
    versions,
)
from preflight.rules import Rule

ALL_RULES: tuple[Rule, ...] = (
    *parsing.RULES,
    *dependency_files.RULES,
    *requirements.RULES,
    *system_packages.RULES,
    *versions.RULES,
    *streamlit_config.RULES,
    *paths.RULES,
)

RULES_BY_CODE: dict[str, Rule] = {r.code: r for r in ALL_RULES}
