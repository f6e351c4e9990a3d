"""CP2xx (imports vs the file Cloud installs) and the reachability engine under it (preflight/imports.py)."""

from __future__ import annotations

import textwrap

import pytest

from checks import DEFAULT_OFF
from checks import imports as cp2
from preflight.apps import build_apps
from preflight.config import Config
from preflight.engine import run
from preflight.imports import (
    ImportRef,
    LocalModule,
    app_reach,
    imports_of,
    installed_projects,
    module_package,
    reachable_modules,
    resolve_module,
    sys_path_changes,
)
from preflight.model import Severity
from preflight.project import Project

ST = "import streamlit as st\n"


def make(tmp_path, files: dict[str, str]) -> Project:
    for path, text in files.items():
        full = tmp_path / path
        full.parent.mkdir(parents=True, exist_ok=True)
        full.write_text(textwrap.dedent(text), encoding="utf-8")
    return Project(tmp_path, use_git=False)


def findings(tmp_path, files: dict[str, str], *, entrypoints: tuple[str, ...] = (), select=("CP2",),
             python: str | None = None):
    project = make(tmp_path, files)
    config = Config(select=select, entrypoints=entrypoints, python_version=python)
    result = run(project, cp2.RULES, config, frozenset(DEFAULT_OFF))
    assert not result.internal_errors, result.internal_errors
    return result.findings


def codes(found) -> list[tuple[str, str, int | None, str]]:
    return [(f.code, f.location.path, f.location.line, f.severity.label) for f in found]


# --------------------------------------------------------------------------- imports_of: guards and dynamic imports


def refs(tmp_path, source: str, path: str = "m.py") -> dict[str, ImportRef]:
    project = make(tmp_path, {path: source})
    return {r.module: r for r in imports_of(project, path)}


def test_guards(tmp_path):
    found = refs(tmp_path, """
        import sys
        from typing import TYPE_CHECKING
        from contextlib import suppress
        from importlib.util import find_spec
        try:
            import ujson
        except ImportError:
            import simplejson
        if TYPE_CHECKING:
            import boto3_stubs
        if sys.platform == "win32":
            import win32api
        else:
            import fcntl
        if sys.version_info < (3, 11):
            import tomli
        with suppress(ImportError):
            import orjson
        if find_spec("plotly"):
            import plotly
        def later():
            import pandas
    """)
    assert {m: r.guard for m, r in found.items()} == {
        "sys": None, "typing": None, "contextlib": None, "importlib.util": None, "ujson": "try",
        "simplejson": "except", "boto3_stubs": "type-checking", "win32api": "platform", "fcntl": "platform",
        "tomli": "version", "orjson": "try", "plotly": "try", "pandas": None}


def test_try_without_import_error_handler_is_no_guard(tmp_path):
    found = refs(tmp_path, """
        try:
            import requests
        except KeyError:
            import httpx
        finally:
            import json
    """)
    assert {m: r.guard for m, r in found.items()} == {"requests": None, "httpx": None, "json": None}


def test_dynamic_imports_with_literals_only(tmp_path):
    found = refs(tmp_path, """
        import importlib, runpy
        from importlib import import_module
        a = importlib.import_module("seaborn")
        b = __import__("yaml")
        c = import_module("plotly.express")
        runpy.run_module("tools.report")
        d = importlib.import_module(name)
        e = importlib.import_module(".sibling", __package__)
        f = importlib.import_module("not a module")
    """)
    dynamic = {m: r.statement for m, r in found.items() if r.dynamic}
    assert dynamic == {"seaborn": "importlib.import_module('seaborn')", "yaml": "__import__('yaml')",
                       "plotly.express": "import_module('plotly.express')",
                       "tools.report": "runpy.run_module('tools.report')"}


def test_statement_text(tmp_path):
    found = refs(tmp_path, "import a.b\nfrom c import d, e\nfrom .f import g\n", "pkg/m.py")
    assert found["a.b"].statement == "import a.b"
    assert found["c"].statement == "from c import d, e"
    assert found["pkg.f"].statement == "from . import g"


def test_module_package_outside_root_falls_back_to_repo_root():
    assert module_package("app/pkg/m.py", "app") == "pkg"
    assert module_package("lib/pkg/m.py", "app") == "lib.pkg"
    assert module_package("m.py", "") == ""


def test_regular_package_beats_namespace_folder(tmp_path):
    project = make(tmp_path, {"app/data/readme.txt": "", "lib/data/__init__.py": ""})
    assert resolve_module(project, "data", ["app", "lib"]) == ("lib/data/__init__.py", "lib")
    assert resolve_module(project, "data", ["app"]) == ("app/data/", "app")


# --------------------------------------------------------------------------- sys.path changes


@pytest.mark.parametrize(("line", "folder"), [
    ('sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))', ""),
    ('sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))', "lib"),
    ('sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "shared"))', "shared"),
    ('sys.path.append("src")', "src"),
    ('sys.path.append(os.getcwd())', ""),
    ('sys.path.append(str(Path(__file__).parent.parent.joinpath("vendor")))', "vendor"),
    ('sys.path += [os.path.abspath("tools")]', "tools"),
    ('sys.path.extend(["a", "b/c"])', "a"),
    ('sys.path.append(f"{ROOT}/plugins")', "plugins"),
    ('site.addsitedir("deps")', "deps"),
    ('sys.path.append(get_root())', None),
    ('sys.path.append("..")', None),
    ('sys.path.append("/home/me/project")', None),
    ('sys.path.append(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))', None),
])
def test_sys_path_changes_are_worked_out(tmp_path, line, folder):
    source = f"import os, site, sys\nfrom pathlib import Path\nROOT = Path(__file__).parents[1]\n{line}\n"
    project = make(tmp_path, {"app/main.py": source})
    changes = sys_path_changes(project, "app/main.py")
    assert changes and changes[0].folder == folder and changes[0].line == 4


def test_a_name_bound_twice_is_not_trusted(tmp_path):
    project = make(tmp_path, {"app/main.py": "import sys\nD = 'a'\nD = 'b'\nsys.path.append(D)\n"})
    assert [c.folder for c in sys_path_changes(project, "app/main.py")] == [None]


# --------------------------------------------------------------------------- installed projects and reachability


def test_installed_projects_from_each_kind_of_file(tmp_path):
    project = make(tmp_path, {
        "requirements.txt": "streamlit\n-e .[ui]\n./tools\n",
        "pyproject.toml": "[project]\nname='x'\nversion='0'\n",
        "src/x/__init__.py": "",
        "tools/setup.py": "from setuptools import setup\nsetup()\n",
        "app/Pipfile": "[packages]\nmine = {path = '..', editable = true}\n",
        "app/main.py": ST,
    })
    root = installed_projects(project, "")
    assert [(p.folder, p.declared_in, p.line, p.roots) for p in root] == [
        ("", "requirements.txt", 2, ("src", "")), ("tools", "requirements.txt", 3, ("tools",))]
    assert [p.folder for p in installed_projects(project, "app")] == [""]


def test_poetry_root_package_and_uv_editable_project(tmp_path):
    poetry = make(tmp_path / "p", {
        "pyproject.toml": "[tool.poetry]\nname='x'\npackages=[{include='x', from='lib'}]\n",
        "lib/x/__init__.py": ""})
    assert [p.roots for p in installed_projects(poetry, "")] == [("lib", "")]
    no_package = make(tmp_path / "q", {"pyproject.toml": "[tool.poetry]\nname='x'\npackage-mode=false\n"})
    assert installed_projects(no_package, "") == []
    uv = make(tmp_path / "u", {
        "uv.lock": 'version = 1\n[[package]]\nname = "x"\nversion = "0"\nsource = { editable = "." }\n',
        "pyproject.toml": "[project]\nname='x'\nversion='0'\n"})
    assert [p.folder for p in installed_projects(uv, "")] == [""]


def test_reach_follows_sys_path_src_runpy_and_pages_declared_anywhere(tmp_path):
    project = make(tmp_path, {
        "main.py": "import runpy\nfrom pathlib import Path\n"
                   "runpy.run_path(str(Path(__file__).parent / 'apps' / 'web.py'))\n",
        "apps/web.py": ST + "import sys\nsys.path.insert(0, 'lib')\nimport helpers\nfrom nav import pages\n",
        "apps/nav.py": "",
        "nav.py": ST + "pages = [st.Page('views/a.py'), st.Page('views/b.py')]\n",
        "lib/helpers.py": "import mypkg.core\n",
        "src/mypkg/__init__.py": "",
        "src/mypkg/core.py": "",
        "views/a.py": ST,
        "views/b.py": "from .. import nothing\n",
        "scripts/unreached.py": "import torch\n",
    })
    reach = app_reach(project, ["main.py"], "")
    modules = {m.path: m.root_only for m in reach.modules}
    assert modules == {"main.py": False, "apps/web.py": False, "lib/helpers.py": False, "nav.py": False,
                       "views/a.py": False, "views/b.py": False,
                       "src/mypkg/__init__.py": True, "src/mypkg/core.py": True}
    assert reach.roots == ("", "lib") and reach.fallback == ("src",)
    assert reachable_modules(project, ["main.py"], "") == reach.modules
    assert all(isinstance(m, LocalModule) for m in reach.modules)


def test_root_fallback_and_installed_src(tmp_path):
    project = make(tmp_path, {
        "app/main.py": ST + "from lib import db\nimport mypkg\n",
        "lib/__init__.py": "", "lib/db.py": "",
        "src/mypkg/__init__.py": "",
        "pyproject.toml": "[project]\nname='mypkg'\nversion='0'\n",
        "requirements.txt": "streamlit\n-e .\n",
    })
    reach = app_reach(project, ["app/main.py"], "app")
    assert {m.path: m.root_only for m in reach.modules} == {
        "app/main.py": False, "lib/__init__.py": False, "lib/db.py": False, "src/mypkg/__init__.py": False}
    assert reach.roots == ("app", "src", "")


# --------------------------------------------------------------------------- the import map helpers


def test_provides_handles_namespaces_conda_names_and_unscanned_components():
    assert cp2.provides("google-generativeai", "google.generativeai")
    assert not cp2.provides("google-generativeai", "google.genai")
    assert not cp2.provides("protobuf", "google.cloud.bigquery")
    assert cp2.provides("opencv-python-headless", "cv2")
    assert cp2.provides("pytorch", "torch")  # conda's name
    assert cp2.provides("streamlit-audiorecorder", "audiorecorder")  # not in the import map: name match
    assert cp2.provides("mysql-connector-python", "mysql.connector")
    assert not cp2.provides("pandas", "numpy")


def test_distribution_for_names_what_to_install():
    assert cp2.distribution_for("sklearn.linear_model") == "scikit-learn"
    assert cp2.distribution_for("st_aggrid") == "streamlit-aggrid"
    assert cp2.distribution_for("zz_unknown_thing") == "zz-unknown-thing"
    assert cp2.distribution_for("google.zz_unknown.tool") == "google-zz-unknown"
    assert cp2.distribution_for("google.cloud.zz_unknown") == "google-cloud-zz-unknown"


def test_loose_match():
    assert cp2._loose_match("streamlit-aggrid", "st_aggrid")
    assert cp2._loose_match("streamlit-audiorecorder", "audiorecorder")
    assert not cp2._loose_match("streamlit-aggrid", "st")
    assert not cp2._loose_match("pandas-profiling", "pan")


# --------------------------------------------------------------------------- the rules end to end


def test_missing_package_names_the_distribution_and_the_winning_file(tmp_path):
    found = findings(tmp_path, {
        "streamlit_app.py": ST + "import sklearn\nfrom bs4 import BeautifulSoup\n",
        "Pipfile": "[packages]\nstreamlit = '==1.50.0'\n",
        "requirements.txt": "streamlit==1.50.0\n",
    })
    assert codes(found) == [("CP201", "streamlit_app.py", 2, "error"), ("CP201", "streamlit_app.py", 3, "error")]
    assert found[0].message.startswith("scikit-learn is not in Pipfile, the file Community Cloud installs for this "
                                       "app (requirements.txt is ignored)")
    assert found[0].fix == "Add scikit-learn under [packages] in Pipfile (pipenv install scikit-learn)."
    assert "beautifulsoup4" in found[1].message


def test_declared_in_an_ignored_file_is_left_to_cp103(tmp_path):
    found = findings(tmp_path, {
        "streamlit_app.py": ST + "import plotly\n",
        "Pipfile": "[packages]\nstreamlit = '==1.50.0'\n",
        "requirements.txt": "streamlit==1.50.0\nplotly\n",
    })
    assert codes(found) == []


def test_one_finding_per_distribution_with_the_other_places(tmp_path):
    found = findings(tmp_path, {
        "streamlit_app.py": ST + "import plotly.express as px\nimport charts\n",
        "charts.py": "import plotly.graph_objects as go\nfrom plotly import io\n",
        "requirements.txt": "streamlit==1.50.0\n",
    })
    assert codes(found) == [("CP201", "streamlit_app.py", 2, "error")]
    assert "(also imported at charts.py:1, charts.py:2)" in found[0].message


def test_guarded_import_is_a_note_and_fallbacks_are_silent(tmp_path):
    found = findings(tmp_path, {
        "streamlit_app.py": ST + textwrap.dedent("""
            try:
                import ujson as json
            except ImportError:
                import simplejson as json
            if sys.version_info < (3, 11):
                import tomli
        """),
        "requirements.txt": "streamlit==1.50.0\n",
    })
    assert codes(found) == [("CP201", "streamlit_app.py", 4, "note")]


def test_unknown_sys_path_change_lowers_to_warning(tmp_path):
    found = findings(tmp_path, {
        "streamlit_app.py": ST + "import sys\nsys.path.append(find_root())\nimport acme_internal_lib\n",
        "requirements.txt": "streamlit==1.50.0\n",
    })
    assert codes(found) == [("CP201", "streamlit_app.py", 4, "warning")]
    assert "changes sys.path (streamlit_app.py:3)" in found[0].message


def test_marker_and_section_say_why_it_is_not_installed(tmp_path):
    found = findings(tmp_path, {
        "streamlit_app.py": ST + "import tomli\nimport pytest\n",
        "pyproject.toml": textwrap.dedent("""
            [tool.poetry]
            name = "x"
            package-mode = false
            [tool.poetry.dependencies]
            python = "^3.11"
            streamlit = "1.50.0"
            tomli = { version = "*", python = "<3.11" }
            [tool.poetry.group.test]
            optional = true
            [tool.poetry.group.test.dependencies]
            pytest = "*"
            [tool.poetry.group.ui.dependencies]
            plotly = "*"
        """),
    }, python="3.12")
    messages = {f.location.line: f.message for f in found}
    assert "declares it only for python_version < '3.11'" in messages[2]
    assert "only in the dependency group test, which Community Cloud does not install" in messages[3]


def test_non_optional_poetry_groups_are_installed(tmp_path):
    found = findings(tmp_path, {
        "streamlit_app.py": ST + "import plotly\n",
        "pyproject.toml": "[tool.poetry]\nname='x'\npackage-mode=false\n[tool.poetry.dependencies]\n"
                          "streamlit='1.50.0'\n[tool.poetry.group.ui.dependencies]\nplotly='*'\n",
    })
    assert codes(found) == []


def test_project_installed_by_the_file_brings_its_dependencies(tmp_path):
    found = findings(tmp_path, {
        "streamlit_app.py": ST + "import httpx\nfrom pkg import core\n",
        "pkg/__init__.py": "", "pkg/core.py": "import attrs\n",
        "requirements.txt": "streamlit==1.50.0\n-e .\n",
        "pyproject.toml": "[project]\nname='pkg'\nversion='0'\ndependencies=['httpx']\n",
        "setup.py": "from setuptools import setup\nsetup(install_requires=['attrs>=22'])\n",
    })
    assert codes(found) == []


def test_streamlit_dependencies_follow_the_effective_version(tmp_path):
    source = ST + "import pytz\nimport toml\nimport pandas\n"
    old = findings(tmp_path / "old", {"streamlit_app.py": source, "requirements.txt": "streamlit==1.30.0\n"})
    assert [(f.code, f.location.line) for f in old] == [("CP202", 2), ("CP202", 3), ("CP202", 4)]
    assert "pandas, a dependency of streamlit 1.30.0" in old[0].message
    new = findings(tmp_path / "new", {"streamlit_app.py": source, "requirements.txt": "streamlit==1.67.0\n"})
    assert [(f.code, f.location.line) for f in new] == [("CP201", 2), ("CP201", 3), ("CP202", 4)]


def test_streamlit_extras_count_as_declared(tmp_path):
    found = findings(tmp_path, {
        "streamlit_app.py": ST + "import plotly\nimport authlib\nimport sqlalchemy\n",
        "requirements.txt": "streamlit[all]==1.50.0\n",
    })
    assert codes(found) == []


def test_conda_names_and_pip_section_of_environment_yml(tmp_path):
    found = findings(tmp_path, {
        "streamlit_app.py": ST + "import torch\nimport cv2\nimport graphviz\nimport folium\n",
        "environment.yml": "dependencies:\n  - pytorch\n  - py-opencv\n  - python-graphviz\n  - pip:\n"
                           "    - streamlit==1.50.0\n    - folium\n",
    })
    assert codes(found) == []


def test_spacy_model_by_url_and_missing(tmp_path):
    url = "https://github.com/explosion/spacy-models/releases/download/en_core_web_sm-3.8.0/" \
          "en_core_web_sm-3.8.0-py3-none-any.whl"
    ok = findings(tmp_path / "ok", {"streamlit_app.py": ST + "import en_core_web_sm\n",
                                    "requirements.txt": f"streamlit==1.50.0\n{url}\n"})
    assert codes(ok) == []
    missing = findings(tmp_path / "missing", {"streamlit_app.py": ST + "import en_core_web_md\n",
                                              "requirements.txt": "streamlit==1.50.0\n"})
    assert codes(missing) == [("CP201", "streamlit_app.py", 2, "error")]
    assert "spaCy pipeline" in missing[0].message and "explosion/spacy-models" in missing[0].fix


def test_unnamed_url_requirement_lowers_to_warning(tmp_path):
    found = findings(tmp_path, {
        "streamlit_app.py": ST + "import acme_tools\n",
        "requirements.txt": "streamlit==1.50.0\nhttps://example.com/downloads/latest\n",
    })
    assert codes(found) == [("CP201", "streamlit_app.py", 2, "warning")]


def test_gui_runtime_installs_and_removed_stdlib_are_left_to_their_rules(tmp_path):
    found = findings(tmp_path, {
        "streamlit_app.py": ST + textwrap.dedent("""
            import subprocess, sys
            subprocess.run([sys.executable, "-m", "pip", "install", "openai-whisper==2024.1"])
            import whisper
            import pyautogui
            import imghdr
            import distutils
        """),
        "requirements.txt": "streamlit==1.50.0\n",
    }, python="3.13")
    assert codes(found) == []


def test_windows_and_python2_modules(tmp_path):
    found = findings(tmp_path, {
        "streamlit_app.py": ST + "import msvcrt\nimport urllib2\nif os.name == 'nt':\n    import winsound\n"
                                 "import win32api\n",
        "requirements.txt": "streamlit==1.50.0\n",
    })
    assert codes(found) == [("CP201", "streamlit_app.py", 2, "error"), ("CP201", "streamlit_app.py", 3, "error"),
                            ("CP201", "streamlit_app.py", 6, "error")]
    assert "only in Python on Windows" in found[0].message
    assert found[1].fix == "Use urllib.request instead."
    assert found[2].message.startswith("win32api comes from pywin32, which works only on Windows")


def test_no_dependency_file_is_cp101s_job(tmp_path):
    assert codes(findings(tmp_path, {"streamlit_app.py": ST + "import plotly\n"})) == []


def test_tests_and_scripts_are_never_reported(tmp_path):
    found = findings(tmp_path, {
        "streamlit_app.py": ST,
        "tests/test_app.py": "import pytest\nimport streamlit\n",
        "scripts/train.py": ST + "import torch\n",
        "requirements.txt": "streamlit==1.50.0\n",
    }, entrypoints=("streamlit_app.py",))
    assert codes(found) == []


def test_local_module_classes(tmp_path):
    found = findings(tmp_path, {
        "app/main.py": ST + textwrap.dedent("""
            from Components import header
            from lib.store import load
            from services.pricing import quote
            import settings_local
            import vendored
        """),
        "app/components/__init__.py": "",
        "app/components/header.py": "",
        "app/services/__init__.py": "",
        "app/services/priceing.py": "",
        "lib/__init__.py": "", "lib/store.py": "import boto3\n",
        "tools/vendored.py": "",
        "app/.gitignore": "settings_local.py\n",
        "requirements.txt": "streamlit==1.50.0\n",
    }, entrypoints=("app/main.py",))
    assert [(f.code, f.location.line) for f in found] == [
        ("CP203", 3), ("CP204", 4), ("CP203", 5), ("CP203", 6), ("CP204", 7)]
    by_line = {f.location.line: f for f in found}
    assert "committed app/components/ in letter case" in by_line[3].message
    assert "repository root is on sys.path" in by_line[4].message  # and boto3 in lib/store.py is not reported
    assert "the closest is app/services/priceing.py" in by_line[5].message
    assert "ignored by app/.gitignore:1" in by_line[6].message
    assert "the only vendored is tools/vendored.py" in by_line[7].message


def test_a_package_name_near_a_local_module_is_still_a_package(tmp_path):
    found = findings(tmp_path, {
        "streamlit_app.py": ST + "import plotly\nimport seaborn\n",
        "plots.py": "", "seaborne.py": "",
        "requirements.txt": "streamlit==1.50.0\nplotly\n",
    })
    assert codes(found) == [("CP201", "streamlit_app.py", 3, "error")]


def test_local_folder_named_like_a_package_does_not_hide_it(tmp_path):
    found = findings(tmp_path, {
        "streamlit/app.py": ST + "import pandas\n",
        "streamlit/requirements.txt": "streamlit==1.50.0\n",
    }, entrypoints=("streamlit/app.py",))
    assert codes(found) == [("CP202", "streamlit/app.py", 2, "note")]


def test_family_foundation_package_is_a_warning(tmp_path):
    # google-cloud-firestore is not in the Requires-Dist table: its family's foundation package very probably
    # comes with it, but cloud-preflight cannot tell.
    found = findings(tmp_path, {
        "streamlit_app.py": ST + "from google.oauth2 import service_account\nfrom langchain import hub\n",
        "requirements.txt": "streamlit==1.50.0\ngoogle-cloud-firestore\n",
    })
    assert [(f.code, f.severity) for f in found] == [("CP201", Severity.WARNING), ("CP201", Severity.ERROR)]
    assert "dependency of google-cloud-firestore" in found[0].message
    assert "does not know google-cloud-firestore's dependencies" in found[0].message


def test_dependency_of_a_declared_package_is_cp207(tmp_path):
    # langchain-openai (in the Requires-Dist table) depends on langchain-core: the import works, undeclared.
    found = findings(tmp_path, {
        "streamlit_app.py": ST + "from langchain_core.prompts import PromptTemplate\nfrom langchain import hub\n",
        "requirements.txt": "streamlit==1.50.0\nlangchain-openai\n",
    })
    assert [(f.code, f.severity, f.location.line) for f in found] == [
        ("CP207", Severity.WARNING, 2), ("CP201", Severity.ERROR, 3)]
    assert "only because langchain-openai depends on langchain-core" in found[0].message
    # every declared package is known, so CP201 does not hedge with "unless a package you declare ..."
    assert "unless" not in found[1].message


def test_unused_declared_is_off_by_default(tmp_path):
    files = {"streamlit_app.py": ST + "import pandas\n",
             "requirements.txt": "streamlit==1.50.0\npandas\ntensorflow\npsycopg2-binary\n"}
    assert "CP205" in DEFAULT_OFF
    assert [f.code for f in findings(tmp_path / "a", files, select=("CP",))] == []
    found = findings(tmp_path / "b", files, select=("CP", "CP205"))
    assert [(f.code, f.location.line) for f in found] == [("CP205", 3)]


def test_several_apps_share_findings(tmp_path):
    project = make(tmp_path, {
        "a.py": ST + "import plotly\n", "b.py": ST + "import plotly\n",
        "requirements.txt": "streamlit==1.50.0\n"})
    result = run(project, cp2.RULES, Config(select=("CP2",)), frozenset(DEFAULT_OFF))
    assert [(f.code, f.location.path, f.entrypoints) for f in result.findings] == [
        ("CP201", "a.py", ("a.py",)), ("CP201", "b.py", ("b.py",))]
    assert len(build_apps(project, ())) == 2


def test_unparsable_and_hostile_files_never_crash(tmp_path):
    deep = "x = " + "(" * 2000 + ")" * 2000 + "\n"
    found = findings(tmp_path, {
        "streamlit_app.py": ST + "import broken\nimport deep\nsys.path.append(" + "os.path.dirname(" * 300
                            + "__file__" + ")" * 301 + "\n",
        "broken.py": "def (:\n",
        "deep.py": deep,
        "requirements.txt": "streamlit==1.50.0\n",
    })
    assert codes(found) == []


def test_uv_project_with_build_system_is_installed(tmp_path):
    project = make(tmp_path, {
        "uv.lock": 'version = 1\n[[package]]\nname = "x"\nversion = "0"\nsource = { virtual = "." }\n',
        "pyproject.toml": "[project]\nname='x'\nversion='0'\n[build-system]\nrequires=['hatchling']\n"
                          "build-backend='hatchling.build'\n",
        "src/x/__init__.py": ""})
    assert [p.roots for p in installed_projects(project, "")] == [("src", "")]


def test_sys_path_relative_to_the_working_directory_is_explained(tmp_path):
    found = findings(tmp_path, {
        "tool/app.py": ST + "import os, sys\nsys.path.append(os.path.abspath(os.curdir) + '/modules')\n"
                            "import state\n",
        "tool/modules/state/__init__.py": "",
        "tool/requirements.txt": "streamlit==1.50.0\n",
    }, entrypoints=("tool/app.py",))
    assert codes(found) == [("CP204", "tool/app.py", 4, "error")]
    assert "the only state is tool/modules/state/__init__.py" in found[0].message
    assert "tool/app.py:3 adds modules/ to sys.path, which does not exist" in found[0].message
    assert found[0].fix.startswith("Import it as modules.state")


def test_notebook_only_modules_and_pip(tmp_path):
    found = findings(tmp_path, {
        "streamlit_app.py": ST + "from google.colab import files\nimport pip\n",
        "requirements.txt": "streamlit==1.50.0\n",
    })
    assert codes(found) == [("CP201", "streamlit_app.py", 2, "error")]
    assert found[0].message.startswith("google.colab exists only inside Google Colab")


# --------------------------------------------------------------------------- CP207 and the Requires-Dist table


def test_dependencies_of_follows_the_declared_version_and_cloud_markers():
    env = cp2.cloud_env_for("3.12")
    pinned = cp2.dependencies_of("ultralytics", "==8.0.183", (), env)
    newest = cp2.dependencies_of("ultralytics", "", (), env)
    assert pinned is not None and newest is not None
    assert pinned[0] == "8.0.183" and "seaborn" in {name for name, _, _ in pinned[1]}
    assert newest[0] != "8.0.183" and "seaborn" not in {name for name, _, _ in newest[1]}
    # markers: ultralytics lists numpy twice, once for macOS only; extras are followed only when asked for
    assert [name for name, _, _ in newest[1]].count("numpy") == 1
    assert "numpy" not in {name for name, _, _ in cp2.dependencies_of("aiortc", "", (), env)[1]}
    assert "numpy" in {name for name, _, _ in cp2.dependencies_of("aiortc", "", ("dev",), env)[1]}
    # unknown distribution, or no known version the specifier allows: nothing is claimed
    assert cp2.dependencies_of("acme-vision-toolkit", "", (), env) is None
    assert cp2.dependencies_of("ultralytics", "<1", (), env) is None
    assert cp2.requires_meta()["generated"]


def test_import_via_a_dependency_two_levels_down(tmp_path):
    found = findings(tmp_path, {
        "streamlit_app.py": ST + "import aioice\nimport av\n",
        # streamlit-webrtc -> aiortc -> av (and aioice); aioice is also a direct requirement of streamlit-webrtc
        "requirements.txt": "streamlit==1.50.0\nstreamlit-webrtc\n",
    })
    assert codes(found) == [("CP207", "streamlit_app.py", 2, "warning"), ("CP207", "streamlit_app.py", 3, "warning")]
    assert "only because streamlit-webrtc depends on aioice:" in found[0].message
    assert "only because streamlit-webrtc depends on av:" in found[1].message
    found = findings(tmp_path / "deeper", {
        "streamlit_app.py": ST + "import pylibsrtp\n",
        "requirements.txt": "streamlit==1.50.0\nstreamlit-webrtc\n",
    })
    assert codes(found) == [("CP207", "streamlit_app.py", 2, "warning")]
    assert "streamlit-webrtc depends on aiortc, which depends on pylibsrtp" in found[0].message


def test_unnamed_children_do_not_claim_imports(tmp_path):
    # langchain-core brings langchain-protocol (say); that does not make "import langchain" work.
    found = findings(tmp_path, {
        "streamlit_app.py": ST + "from langchain import hub\n",
        "requirements.txt": "streamlit==1.50.0\nlangchain-openai\n",
    })
    assert codes(found) == [("CP201", "streamlit_app.py", 2, "error")]


# --------------------------------------------------------------------------- CP201 marker wording


def test_marker_reason_names_the_python_version_or_the_platform():
    env = cp2.cloud_env_for("3.12")
    assert cp2.marker_reason('python_version < "3.11"', env) == "does not hold for Python 3.12"
    assert cp2.marker_reason('python_version < "3.11"', env, "Python 3.12 (Cloud's default)") == \
        "does not hold for Python 3.12 (Cloud's default)"
    assert cp2.marker_reason('sys_platform == "win32"', env) == "does not hold on Cloud's Linux"
    assert cp2.marker_reason('sys_platform == "darwin" and python_version < "3.9"', env) == \
        "does not hold on Cloud's Linux with Python 3.12"


def test_marker_skipped_import_says_why(tmp_path):
    found = findings(tmp_path, {
        "streamlit_app.py": ST + "import tomli\nimport pywinpty_helper\n",
        "requirements.txt": 'streamlit==1.50.0\ntomli; python_version < "3.11"\n'
                            'pywinpty-helper; sys_platform == "win32"\n',
    }, python="3.12")
    messages = [f.message for f in found if f.code == "CP201"]
    assert any("which does not hold for Python 3.12 (your python-version setting)" in m for m in messages)
    assert any("which does not hold on Cloud's Linux" in m for m in messages)


# --------------------------------------------------------------------------- CP206: what model files need


def _short(text: str) -> bytes:
    return b"\x8c" + bytes([len(text)]) + text.encode()


def pickle4(*names: tuple[str, str], pad: bytes = b"") -> bytes:
    """A protocol-4 stream: MARK, one object per (module, class) through STACK_GLOBAL + NEWOBJ, optional bytes,
    LIST, STOP (hand-written: nothing is imported to write it, and nothing here is ever unpickled)."""
    import struct

    body = b"".join(_short(m) + b"\x94" + _short(n) + b"\x94\x93\x94)\x81\x94" for m, n in names)
    if pad:
        body += b"B" + struct.pack("<I", len(pad)) + pad
    return b"\x80\x04(" + body + b"l."


def pickle2(*names: tuple[str, str]) -> bytes:
    body = b"".join(b"c" + m.encode() + b"\n" + n.encode() + b"\n)\x81" for m, n in names)
    return b"\x80\x02(" + body + b"l."


def scan(data: bytes):
    from preflight.imports import _scan_model_bytes

    return _scan_model_bytes(data)


def test_pickled_globals_in_every_protocol_and_wrapper():
    import bz2
    import gzip
    import io
    import lzma
    import random
    import zipfile
    import zlib

    names = (("sklearn.ensemble._forest", "RandomForestClassifier"), ("xgboost.sklearn", "XGBClassifier"))
    want = ["sklearn.ensemble._forest", "xgboost.sklearn"]
    text = b"(" + b"".join(b"c" + m.encode() + b"\n" + n.encode() + b"\n)R" for m, n in names) + b"l."  # protocol 0
    for data in (pickle4(*names), pickle2(*names), text, gzip.compress(pickle4(*names)),
                 bz2.compress(pickle4(*names)), lzma.compress(pickle4(*names)), zlib.compress(pickle2(*names))):
        found = scan(data)
        assert (found.modules, found.state) == (want, "ok"), data[:20]
    # memoised module strings (BINGET) are followed: the second class of one module
    memo = b"\x80\x04(" + _short("sklearn.pipeline") + b"\x94" + _short("Pipeline") + b"\x94\x93\x94)\x81" \
        + b"h\x00" + _short("FeatureUnion") + b"\x94\x93\x94)\x81l."
    assert scan(memo).globals == (("sklearn.pipeline", "Pipeline"), ("sklearn.pipeline", "FeatureUnion"))
    # torch.save: a zip with <name>/data.pkl, stored or deflated; a truncated copy is read from local headers
    for method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", method) as archive:
            archive.writestr("net/data.pkl", pickle2(("ultralytics.nn.tasks", "DetectionModel")))
            archive.writestr("net/data/0", random.Random(0).randbytes(5000))  # incompressible
        whole = buf.getvalue()
        assert scan(whole).modules == ["ultralytics.nn.tasks"]
        assert scan(whole[:-3000]).modules == ["ultralytics.nn.tasks"]
    # torch's legacy format: several pickles in a row, then raw storage bytes
    legacy = pickle2() + pickle2() + pickle2(("torch._utils", "_rebuild_tensor_v2"), ("mymodel", "Net")) + b"\xff" * 64
    assert scan(legacy).modules == ["torch._utils", "mymodel"]


def test_pickled_globals_in_damaged_files():
    whole = pickle4(("sklearn.linear_model._ridge", "Ridge"), ("lightgbm.sklearn", "LGBMRegressor"))
    cut = whole.index(b"lightgbm") + 3
    assert scan(whole[:cut]).globals == (("sklearn.linear_model._ridge", "Ridge"),)
    assert scan(whole[:cut]).state == "partial"
    assert scan(whole[:12]).state == "not-pickle"
    assert scan(b"").state == "not-pickle"
    assert scan(b"\x80\x04\xff\xfe garbage").globals == ()
    assert scan(b"version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 1\n").state == "lfs-pointer"
    assert scan(b"\x1f\x8b\x08 not really gzip").state == "not-pickle"
    # joblib writes numpy data between pickle frames: class references after it are still found
    joblib_like = pickle4(("sklearn.pipeline", "Pipeline"))[:-2] + bytes(range(256)) * 40 \
        + _short("catboost.core") + b"\x94" + _short("CatBoostClassifier") + b"\x94\x93" + b"\x80\x02" \
        + b"ccatboost.core\nPool\n)\x81."
    found = scan(joblib_like)
    assert found.modules == ["sklearn.pipeline", "catboost.core"]
    assert found.state == "partial"


def test_model_files_are_read_as_data_and_only_their_head(tmp_path, monkeypatch):
    from preflight import imports as engine

    project = make(tmp_path, {"app.py": ST})
    (tmp_path / "payload.pkl").write_bytes(b"cos\nsystem\n(S'touch " + str(tmp_path / "UNPICKLED").encode()
                                           + b"'\ntR.")
    big = pickle4(("sklearn.svm._classes", "SVC")) + b"\x00" * (3 * 1024 * 1024) + pickle4(("xgboost.core", "Booster"))
    (tmp_path / "big.pkl").write_bytes(big)
    monkeypatch.setattr(engine, "PICKLE_READ_LIMIT", 2 * 1024 * 1024 + 100)
    project = Project(tmp_path, use_git=False)
    assert engine.pickled_globals(project, "payload.pkl").globals == (("os", "system"),)
    assert not (tmp_path / "UNPICKLED").exists()
    found = engine.pickled_globals(project, "big.pkl")
    assert found.modules == ["sklearn.svm._classes"]  # the second class is beyond the bytes read
    assert "big.pkl" not in project._bytes  # big files are not kept in the project's cache


def test_model_loads_follow_open_with_blocks_names_and_file_paths(tmp_path):
    from preflight.imports import model_loads

    project = make(tmp_path, {
        "app/main.py": ST + textwrap.dedent("""\
            import pickle, joblib, torch
            import pandas as pd
            from pathlib import Path
            from pickle import load
            HERE = Path(__file__).parent
            SCALER = "models/scaler.pkl"
            with open("models/a.pkl", "rb") as f:
                a = load(f)
            with open("models/b.pickle", "rb") as f:
                b = pickle.load(f)
            c = joblib.load(HERE / "models" / "c.joblib")
            d = pd.read_pickle(SCALER)
            e = pickle.loads(Path("models/e.sav").read_bytes())
            g = torch.load("models/g.pt", map_location="cpu")
            h = pickle.load(open(st.text_input("x"), "rb"))
            i = pickle.load(open("models/notes.txt", "rb"))
            j = pickle.load(open("models/missing.pkl", "rb"))
            """),
        "app/models/a.pkl": "", "app/models/b.pickle": "", "app/models/c.joblib": "", "app/models/scaler.pkl": "",
        "models/e.sav": "", "app/models/g.pt": "", "app/models/notes.txt": "",
    })
    loads = model_loads(project, "app/main.py", "app")
    assert [(load.line, load.call, load.model) for load in loads] == [
        (9, "pickle.load", "app/models/a.pkl"), (11, "pickle.load", "app/models/b.pickle"),
        (12, "joblib.load", "app/models/c.joblib"), (13, "pandas.read_pickle", "app/models/scaler.pkl"),
        (14, "pickle.loads", "models/e.sav"), (15, "torch.load", "app/models/g.pt")]


def test_pickled_package_missing_without_a_dependency_file(tmp_path):
    files = {"streamlit_app.py": ST + "import pickle\nmodel = pickle.load(open('m.pkl', 'rb'))\n"}
    project = make(tmp_path, files)
    (tmp_path / "m.pkl").write_bytes(pickle4(("sklearn.tree._classes", "DecisionTreeClassifier"),
                                             ("numpy", "dtype"), ("pandas.core.frame", "DataFrame")))
    found = findings(tmp_path, {}, select=("CP206",))
    assert codes(found) == [("CP206", "streamlit_app.py", 3, "error")]
    assert "needs scikit-learn, and there is no dependency file" in found[0].message
    assert project.exists("m.pkl")


def test_a_package_only_a_model_file_needs_is_not_unused(tmp_path):
    project = make(tmp_path, {
        "streamlit_app.py": ST + "import pickle\nwith open('m.pkl', 'rb') as f:\n    model = pickle.load(f)\n",
        "requirements.txt": "streamlit==1.50.0\nscikit-learn==1.5.2\nxgboost\n",
    })
    (tmp_path / "m.pkl").write_bytes(pickle4(("sklearn.linear_model._ridge", "Ridge")))
    found = run(project, cp2.RULES, Config(select=("CP2", "CP205")), frozenset(DEFAULT_OFF)).findings
    assert [(f.code, f.location.line) for f in found] == [("CP205", 3)]  # xgboost, not scikit-learn
