"""Unit tests for the Streamlit version family's helpers (specifier intersection, markers, code scanning)."""

from __future__ import annotations

import pytest
from packaging.specifiers import SpecifierSet

from checks import streamlit_version as sv
from preflight.depfiles import Requirement
from preflight.project import Project


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("==3.20.3", "<5,>=3.20", True),
    ("==5.27.0", "<5,>=3.20", False),
    (">=4.21", "<4", False),
    (">=4,<4.1", ">=4.0.5", True),
    ("~=1.26", "<2", True),
    ("~=2.0", "<2", False),
    ("==1.*", ">=1.19.3,<2", True),
    ("==2.*", "<2", False),
    ("!=5.4.0,!=5.4.1", "<6,>=4", True),
    ("==5.4.0", "!=5.4.0,!=5.4.1,<6,>=4", False),
    ("<1", ">=1", False),
    (">1.0", "<=1.0", False),
    (">1.0", "<1.0.1", True),
])
def test_compatible(a, b, expected):
    assert sv.compatible(SpecifierSet(a), SpecifierSet(b)) is expected


def test_show_spec_orders_bounds():
    assert sv.show_spec(SpecifierSet("<5,>=3.20")) == ">=3.20,<5"


def test_marker_applies_on_linux():
    env = sv.linux_environment("3.12")
    assert sv.marker_applies('platform_system != "Darwin"', env)
    assert not sv.marker_applies('sys_platform == "win32"', env)
    assert not sv.marker_applies('python_version < "3.10"', env)
    assert not sv.marker_applies('extra == "auth"', env)
    assert sv.marker_applies('extra == "auth"', env, ("auth",))
    assert sv.marker_applies("this is not a marker", env)  # unreadable: keep


@pytest.mark.parametrize(("kind", "spec", "bounded"), [
    ("name", "", False),
    ("name", ">=1.30", False),
    ("name", ">=1.30,!=1.31.0", False),
    ("name", ">=1.30,<2", True),
    ("name", "==1.50.*", True),
    ("name", "~=1.50.0", True),
    ("name", "^1.50", True),  # Poetry caret
    ("url", "", True),
    ("conda", "=1.50", True),
    ("conda", ">=1.50", False),
    ("conda", " 1.50", True),
])
def test_has_upper_bound(kind, spec, bounded):
    req = Requirement(kind, "requirements.txt", 1, f"streamlit{spec}", name="streamlit", specifier=spec)
    assert sv._has_upper_bound(req) is bounded


def test_conda_specifier():
    req = Requirement("conda", "environment.yml", 3, "altair=4.2", name="altair", specifier="=4.2")
    assert sv.user_specifier(req) == SpecifierSet("==4.2.*")


def test_unknown_python_support_is_not_judged():
    assert sv.supports_python(sv.Version("1.67.0"), "3.11")
    assert not sv.supports_python(sv.Version("1.67.0"), "3.10")


class _Ctx:
    def __init__(self, project):
        self.project = project


def _scan(tmp_path, source: str):
    """The scanner's every reference (the facts the rules keep are built from these)."""
    (tmp_path / "app.py").write_text(source, encoding="utf-8")
    return sv.scan_tree("app.py", Project(tmp_path, use_git=False).python("app.py"))


def test_scan_aliases_and_from_imports(tmp_path):
    scan = _scan(tmp_path, "import streamlit as stl\nfrom streamlit import experimental_rerun as rr\n"
                           "import streamlit.components.v1 as components\n"
                           "stl.sidebar.image('a.png', use_column_width=True)\nrr()\ncomponents.html('<b>')\n")
    apis = {(u.api, u.line) for u in scan.uses}
    assert ("sidebar.image", 4) in apis
    assert ("experimental_rerun", 2) in apis  # reported at the import
    assert ("components.v1.html", 6) in apis
    assert not any(u.api == "experimental_rerun" and u.line == 5 for u in scan.uses)


def test_scan_guards_and_shims(tmp_path):
    scan = _scan(tmp_path, "import streamlit as st\n"
                           "if hasattr(st, 'rerun'):\n    st.rerun()\nelse:\n    st.experimental_rerun()\n"
                           "try:\n    st.experimental_memo\nexcept AttributeError:\n    pass\n"
                           "st.experimental_singleton = st.cache_resource\n"
                           "rerun = st.rerun if hasattr(st, 'rerun') else st.experimental_rerun\n")
    guarded = {u.api for u in scan.uses if u.guarded}
    assert {"experimental_rerun", "experimental_memo"} <= guarded
    assert "experimental_singleton" in scan.assigned
    assert not any(u.api == "experimental_singleton" for u in scan.uses)


def test_scan_method_calls_on_containers(tmp_path):
    scan = _scan(tmp_path, "import streamlit as st\ncol1, col2 = st.columns(2)\ncol1.plotly_chart(fig)\n")
    assert any(u.api == ".plotly_chart" and u.call is not None for u in scan.uses)


def test_scan_ignores_files_without_streamlit(tmp_path):
    (tmp_path / "app.py").write_text("import pandas as pd\npd.DataFrame().plot()\n", encoding="utf-8")
    assert sv.scan_module(_Ctx(Project(tmp_path, use_git=False)), "app.py") is None


def _app(tmp_path, files):
    from preflight.apps import build_apps

    for rel, content in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(content)
    return build_apps(Project(tmp_path, use_git=False), ["app.py"])[0]


PIPFILE = '[packages]\nstreamlit = "*"\npandas = ">=2"\n'


def _pipfile_lock(streamlit: str, pandas: str = "2.2.3") -> str:
    import json

    return json.dumps({"_meta": {"hash": {"sha256": "0"}}, "default": {
        "streamlit": {"version": f"=={streamlit}"}, "pandas": {"version": f"=={pandas}"}}})


def test_pipfile_lock_that_fits_is_what_cloud_installs(tmp_path):
    app = _app(tmp_path, {"app.py": "import streamlit as st\n", "Pipfile": PIPFILE,
                          "Pipfile.lock": _pipfile_lock("1.24.0")})
    assert (str(app.streamlit.version), app.streamlit.kind) == ("1.24.0", "locked")
    assert app.streamlit.requirement.path == "Pipfile.lock"


def test_stale_pipfile_lock_is_locked_again(tmp_path):
    # pandas 1.5 no longer satisfies the Pipfile's pandas>=2: pipenv locks again, so the Pipfile's range decides.
    app = _app(tmp_path, {"app.py": "import streamlit as st\n", "Pipfile": PIPFILE,
                          "Pipfile.lock": _pipfile_lock("1.24.0", pandas="1.5.3")})
    assert app.streamlit.kind == "unpinned"


def test_poetry_lock_pins_streamlit(tmp_path):
    app = _app(tmp_path, {
        "app.py": "import streamlit as st\n",
        "pyproject.toml": '[tool.poetry]\nname = "x"\nversion = "0"\n[tool.poetry.dependencies]\n'
                          'python = "^3.10"\nstreamlit = "^1.30"\n',
        "poetry.lock": '[[package]]\nname = "streamlit"\nversion = "1.36.0"\n\n[metadata]\ncontent-hash = "0"\n'})
    assert (str(app.streamlit.version), app.streamlit.kind) == ("1.36.0", "locked")
