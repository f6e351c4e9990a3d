"""Entrypoint detection and per-app dependency-file resolution."""

from __future__ import annotations

from preflight.apps import build_apps, detect_entrypoints
from preflight.project import Project


def make(tmp_path, files):
    for rel, content in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return Project(tmp_path, use_git=False)


ST = "import streamlit as st\n"


def test_helpers_pages_and_tests_are_not_entrypoints(tmp_path):
    project = make(tmp_path, {
        "streamlit_app.py": ST + "from components import header\nst.navigation([st.Page('views/report.py')])\n",
        "components.py": ST + "def header(): st.title('x')\n",
        "views/report.py": ST + "st.write(1)\n",
        "pages/1_Other.py": ST,
        "tests/test_app.py": ST,
        "test_smoke.py": ST,
        "tools/other_app.py": ST + "st.write(2)\n",
        "notes.py": "print('no streamlit here')\n",
    })
    assert detect_entrypoints(project) == ["streamlit_app.py", "tools/other_app.py"]


def test_named_entrypoints_are_used_as_given(tmp_path):
    project = make(tmp_path, {"app.py": ST, "other.py": ST})
    apps = build_apps(project, ["app/Main.py"])
    assert [(a.entrypoint, a.exists, a.given) for a in apps] == [("app/Main.py", False, True)]


def test_dependency_file_precedence_entry_folder_first(tmp_path):
    project = make(tmp_path, {
        "app/main.py": ST,
        "app/requirements.txt": "streamlit\n",
        "app/pyproject.toml": "[project]\nname='x'\n",
        "uv.lock": "version = 1\n",
        "requirements.txt": "streamlit\n",
    })
    (app,) = build_apps(project, ["app/main.py"])
    assert app.dependency_candidates == ["app/requirements.txt", "app/pyproject.toml", "uv.lock",
                                         "requirements.txt"]
    assert app.winner.path == "app/requirements.txt"


def test_reachable_modules_follow_entry_folder_then_root(tmp_path):
    project = make(tmp_path, {
        "app/main.py": ST + "import helpers\nfrom shared import util\nfrom . import nothing\n",
        "app/helpers.py": "from .sub import x\n",
        "app/sub/__init__.py": "",
        "app/sub/x.py": "",
        "shared/__init__.py": "",
        "shared/util.py": "import json\n",
        "scripts/unused.py": "import nowhere\n",
    })
    (app,) = build_apps(project, ["app/main.py"])
    reached = {m.path: m.root_only for m in app.modules}
    assert reached == {"app/main.py": False, "app/helpers.py": False, "app/sub/__init__.py": False,
                       "app/sub/x.py": False, "shared/__init__.py": True, "shared/util.py": True}


def test_effective_streamlit_version(tmp_path):
    from preflight import data

    newest = data.streamlit_versions()[-1]
    cases = {
        "streamlit==1.40.0\n": ("1.40.0", "pinned"),
        "streamlit>=1.30,<1.41\n": ("1.40.2", "newest allowed by <1.41,>=1.30"),
        "streamlit\n": (str(newest), "newest, not pinned"),
        "pandas\n": (str(newest), "newest, not declared"),
    }
    for text, (version, how) in cases.items():
        project = make(tmp_path, {"app.py": ST, "requirements.txt": text})
        (app,) = build_apps(project, ["app.py"])
        assert (str(app.streamlit.version), app.streamlit.how) == (version, how), text


def test_package_init_is_never_an_entrypoint(tmp_path):
    project = make(tmp_path, {
        "apps/web/main.py": ST + "from components.editor import widget\n",
        "apps/web/components/editor/__init__.py": ST + "def widget(): st.write(1)\n",
    })
    assert detect_entrypoints(project) == ["apps/web/main.py"]


def test_helpers_nobody_imports_are_not_entrypoints(tmp_path):
    # aadarshprem82/Cricket-Streamlit-App: utils/auth.py and utils/cache_manager.py import streamlit, and no file
    # imports them (dead helpers): they only define functions, so running them shows nothing.
    project = make(tmp_path, {
        "app.py": ST + "from utils.db import connect\nst.title('Cricket')\n",
        "utils/db.py": "def connect(): return None\n",
        "utils/auth.py": "import hashlib\n\ndef login():\n    import streamlit as st\n    st.session_state.user = 1\n",
        "utils/cache_manager.py": ST + "from datetime import datetime\nKEYS = ['a']\n\n"
                                  "@st.cache_data\ndef get(key):\n    return st.session_state.get(key)\n",
        "pages/1_Scores.py": ST + "st.write(1)\n",
    })
    assert detect_entrypoints(project) == ["app.py"]


def test_apps_that_run_at_the_top_level_stay_entrypoints(tmp_path):
    project = make(tmp_path, {
        "dashboard.py": ST + "choice = st.sidebar.selectbox('x', [1, 2])\n",
        "main_app.py": ST + "def main():\n    st.title('x')\n\nif __name__ == '__main__':\n    main()\n",
        "tool/run.py": ST + "def main():\n    st.title('x')\n\nmain()\n",
        "launcher/start.py": ST + "import ui  # importing it runs the app\n",
        "launcher/ui.py": ST + "st.title('ui')\n",
        "helpers/widgets.py": ST + "def header():\n    st.title('x')\n",
    })
    assert detect_entrypoints(project) == ["dashboard.py", "main_app.py", "launcher/start.py", "tool/run.py"]


def test_a_lone_definitions_only_file_is_still_checked(tmp_path):
    project = make(tmp_path, {"components/widget.py": ST + "def widget():\n    st.write(1)\n"})
    assert detect_entrypoints(project) == ["components/widget.py"]


def test_an_import_hides_only_the_module_it_names(tmp_path):
    project = make(tmp_path, {
        "web/main.py": ST + "st.title('web')\n",
        "tools/run.py": "from uvicorn import main\nimport main as other\nmain()\n",  # neither is web/main.py
        "a/app.py": ST + "st.title('a')\n",
        "b/app.py": ST + "st.title('b')\n",
        "b/launcher.py": "import app\n",  # b/app.py only: the two app.py share a name, not a module
    })
    assert detect_entrypoints(project) == ["a/app.py", "web/main.py"]


def test_imports_by_dotted_path_and_relative_imports_hide_helpers(tmp_path):
    project = make(tmp_path, {
        "streamlit_app.py": ST + "from ui import panels\nimport ui.header\nst.title('x')\n",
        "ui/__init__.py": "",
        "ui/panels.py": ST + "st.sidebar.write('p')\n",
        "ui/header.py": ST + "from . import footer\nst.title('h')\n",
        "ui/footer.py": ST + "st.caption('f')\n",
    })
    assert detect_entrypoints(project) == ["streamlit_app.py"]


def test_page_targets_written_as_literal_paths(tmp_path):
    project = make(tmp_path, {
        "app.py": ST + "from pathlib import Path\nimport os\nst.navigation([\n"
                       "    st.Page(Path('content', 'home.py')),\n"
                       "    st.Page(Path('content') / 'other.py'),\n"
                       "    st.Page(os.path.join('content', 'third.py')),\n"
                       "    st.Page(str(Path('content/fourth.py'))),\n"
                       "    st.Page(Path(__file__).parent / 'content' / 'unknown.py'),\n"  # not a literal: not followed
                       "]).run()\n",
        "content/home.py": ST + "from lib.util import helper\nst.page_link(Path('content/other.py'))\n",
        "content/other.py": ST + "st.write(2)\n",
        "content/third.py": ST + "st.write(3)\n",
        "content/fourth.py": ST + "st.write(4)\n",
        "lib/__init__.py": "",
        "lib/util.py": "def helper(): pass\n",
    })
    assert detect_entrypoints(project) == ["app.py"]
    [app] = build_apps(project, ["app.py"])
    assert sorted({t[3] for t in app.page_targets}) == [
        "content/fourth.py", "content/home.py", "content/other.py", "content/third.py"]
    assert {"content/home.py", "lib/util.py"} <= {m.path for m in app.modules}
