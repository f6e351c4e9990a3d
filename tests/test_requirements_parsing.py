"""Unit tests for the dependency-file parsers in preflight/depfiles.py on tricky inputs.

Each test builds a tiny repository under tmp_path and parses it. Tests marked ``xfail(strict=True)`` pin down
parser bugs found while writing the CP3xx rules: they fail today and must start passing (then drop the marker)
once depfiles.py is fixed.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from preflight.depfiles import (
    conda_to_pep440,
    parse_dependency_file,
    parse_environment_yml,
    parse_pipfile,
    parse_pyproject,
    parse_requirement_line,
    parse_requirements_txt,
    parse_uv_lock,
    poetry_to_pep440,
)
from preflight.project import Project


def repo(tmp_path: Path, files: dict[str, str | bytes]) -> Project:
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return Project(tmp_path, use_git=False)


def rows(dep):
    return [(r.kind, r.name, r.specifier, r.line) for r in dep.requirements]


def line(text: str):
    return parse_requirement_line(text, "requirements.txt", 1)


# --------------------------------------------------------------------------- requirements.txt: lines


def test_continuation_lines_join_and_keep_first_line_number(tmp_path):
    project = repo(tmp_path, {"requirements.txt": """
        streamlit==1.52.0 \\
            --hash=sha256:aaaa \\
            --hash=sha256:bbbb
        plotly>=5.24 \\
            ; python_version >= "3.9"
        pandas
        """})
    dep = parse_requirements_txt(project, "requirements.txt")
    assert rows(dep) == [
        ("name", "streamlit", "==1.52.0", 1),
        ("name", "plotly", ">=5.24", 4),
        ("name", "pandas", "", 6),
    ]
    assert dep.requirements[1].marker == 'python_version >= "3.9"'


def test_comments_full_line_inline_and_url_fragment(tmp_path):
    project = repo(tmp_path, {"requirements.txt": """
        # a comment \\
        numpy==2.1.2  # inline comment
        pandas>=2 \\
        # a comment line ends the continuation (pip does the same)
        requests
        git+https://github.com/acme/lib.git@v1#egg=acme-lib
        """})
    dep = parse_requirements_txt(project, "requirements.txt")
    assert [(r.kind, r.name, r.line) for r in dep.requirements] == [
        ("name", "numpy", 2), ("name", "pandas", 3), ("name", "requests", 5), ("url", "acme-lib", 6),
    ]
    assert dep.requirements[0].specifier == "==2.1.2"
    assert dep.requirements[3].url == "git+https://github.com/acme/lib.git@v1#egg=acme-lib"


def test_crlf_line_endings(tmp_path):
    project = repo(tmp_path, {"requirements.txt": b"streamlit==1.52.0 \\\r\n  --hash=sha256:aa\r\npandas\r\n"})
    dep = parse_requirements_txt(project, "requirements.txt")
    assert rows(dep) == [("name", "streamlit", "==1.52.0", 1), ("name", "pandas", "", 3)]


@pytest.mark.parametrize("text", [
    "requests==2.32.3 --hash=sha256:1111",
    "requests==2.32.3 --hash sha256:1111",
    "requests==2.32.3  --hash=sha256:1111 --hash=sha256:2222",
    "requests==2.32.3 --config-settings editable_mode=compat",
])
def test_per_requirement_options_are_not_part_of_the_specifier(text):
    req = line(text)
    assert (req.kind, req.name, req.specifier) == ("name", "requests", "==2.32.3")


@pytest.mark.parametrize("text, kind, value", [
    ("-r base.txt", "include", "base.txt"),
    ("--requirement base.txt", "include", "base.txt"),
    ("--requirement=base.txt", "include", "base.txt"),
    ("-c constraints.txt", "constraint", "constraints.txt"),
    ("--constraint=constraints.txt", "constraint", "constraints.txt"),
    ("-i https://index.example.org/simple", "option", "https://index.example.org/simple"),
    ("--index-url=https://index.example.org/simple", "option", "https://index.example.org/simple"),
    ("--extra-index-url https://download.pytorch.org/whl/cpu", "option", "https://download.pytorch.org/whl/cpu"),
    ("-f ./wheels", "option", "./wheels"),
    ("--only-binary :all:", "option", ":all:"),
])
def test_options_with_values(text, kind, value):
    req = line(text)
    assert (req.kind, req.url, req.error) == (kind, value, None)


def test_options_without_values_and_flags():
    assert line("--pre").kind == "option"
    assert line("--no-index").kind == "option"
    missing = line("--index-url")
    assert missing.kind == "option" and missing.error
    assert line("-r").error


@pytest.mark.parametrize("text, marker", [
    ('pywin32==306; sys_platform == "win32"', 'sys_platform == "win32"'),
    ("pywin32 ; platform_system == 'Windows'", 'platform_system == "Windows"'),
    ('dataclasses; python_version < "3.7"', 'python_version < "3.7"'),
    ('pandas[performance]>=2.2,<3 ; python_version >= "3.10"', 'python_version >= "3.10"'),
])
def test_markers(text, marker):
    req = line(text)
    assert req.kind == "name" and req.marker == marker


def test_extras_and_canonical_names():
    req = line("Pandas[Excel,performance]>=2.2")
    assert (req.name, req.raw_name, req.specifier) == ("pandas", "Pandas", ">=2.2")
    assert {e.lower() for e in req.extras} == {"excel", "performance"}
    assert line("typing_extensions").name == "typing-extensions"
    assert line("zope.interface>=7").name == "zope-interface"


@pytest.mark.parametrize("text, kind, name, url", [
    ("acme @ git+https://github.com/acme/acme.git@v1.0", "url", "acme", "git+https://github.com/acme/acme.git@v1.0"),
    ("acme@git+https://github.com/acme/acme.git", "url", "acme", "git+https://github.com/acme/acme.git"),
    ("acme @ git+ssh://git@github.com/acme/acme.git", "url", "acme", "git+ssh://git@github.com/acme/acme.git"),
    ("git+ssh://git@github.com/acme/acme.git#egg=acme", "url", "acme", "git+ssh://git@github.com/acme/acme.git#egg=acme"),
    ("git+https://github.com/acme/acme.git", "url", "", "git+https://github.com/acme/acme.git"),
    ("https://github.com/acme/acme/archive/refs/tags/v1.0.zip", "url", "",
     "https://github.com/acme/acme/archive/refs/tags/v1.0.zip"),
    ("acme @ file:///home/me/acme", "path", "acme", "file:///home/me/acme"),
])
def test_direct_references(text, kind, name, url):
    req = line(text)
    assert (req.kind, req.name, req.url) == (kind, name, url)


@pytest.mark.parametrize("text, kind, name, url", [
    ("attrs @ https://files.example.org/packages/attrs-24.2.0-py3-none-any.whl", "url", "attrs",
     "https://files.example.org/packages/attrs-24.2.0-py3-none-any.whl"),
    ("mylib @ file:///Users/alice/dist/mylib-0.3.0-py3-none-any.whl", "path", "mylib",
     "file:///Users/alice/dist/mylib-0.3.0-py3-none-any.whl"),
    ("mylib @ https://example.com/mylib-1.0.tar.gz", "url", "mylib", "https://example.com/mylib-1.0.tar.gz"),
])
def test_direct_references_to_archives_keep_their_name(text, kind, name, url):
    req = line(text)
    assert (req.kind, req.name, req.url) == (kind, name, url)


@pytest.mark.parametrize("text, kind, url", [
    ("-e .", "editable", "."),
    ("-e ./pkg", "editable", "./pkg"),
    ("-e ./pkg[test]", "editable", "./pkg[test]"),
    ("--editable=../shared", "editable", "../shared"),
    (".", "path", "."),
    ("./dist/acme-1.0-py3-none-any.whl", "path", "./dist/acme-1.0-py3-none-any.whl"),
    ("dist/acme-1.0.tar.gz", "path", "dist/acme-1.0.tar.gz"),
    (r"C:\Users\me\acme-1.0-py3-none-any.whl", "path", r"C:\Users\me\acme-1.0-py3-none-any.whl"),
    ("/home/me/src/acme", "path", "/home/me/src/acme"),
    ("file:../acme", "path", "file:../acme"),
])
def test_local_paths_and_editables(text, kind, url):
    req = line(text)
    assert (req.kind, req.url) == (kind, url)


@pytest.mark.parametrize("text, kind", [("-e .[dev]", "editable"), (".[dev]", "path")])
def test_local_paths_with_extras(text, kind):
    req = line(text)
    assert req.kind == kind and req.url


def test_editable_vcs_url_keeps_egg_name():
    req = line("-e git+https://github.com/acme/acme.git@main#egg=acme")
    assert (req.kind, req.name, req.url) == ("editable", "acme", "git+https://github.com/acme/acme.git@main#egg=acme")


@pytest.mark.parametrize("text", ["pandas=2.2.3", "numpy 1.26.4", "Install these with pip", "-e", "torch==2.*.1"])
def test_invalid_lines_become_invalid_rows(text):
    req = line(text)
    assert req.kind == "invalid" and req.error


def test_scp_like_git_url_is_invalid_for_pip():
    # pip only accepts git@host:path behind -e; either way it needs an SSH key (CP304 reports it).
    assert line("git+git@github.com:acme/acme.git").kind == "invalid"


# --------------------------------------------------------------------------- requirements.txt: includes


def test_includes_are_followed_relative_to_the_including_file(tmp_path):
    project = repo(tmp_path, {
        "requirements.txt": "-r requirements/base.txt\n-c requirements/constraints.txt\nstreamlit==1.52.0\n",
        "requirements/base.txt": "-r common.txt\nplotly==5.24.1\n",
        "requirements/common.txt": "pandas==2.2.3\n",
        "requirements/constraints.txt": "numpy<3\n",
    })
    dep = parse_requirements_txt(project, "requirements.txt")
    assert [(r.path, r.name) for r in dep.named()] == [
        ("requirements/common.txt", "pandas"), ("requirements/base.txt", "plotly"),
        ("requirements.txt", "streamlit"),
    ]
    assert dep.includes == [
        ("requirements.txt", 1, "requirements/base.txt", "requirements/base.txt"),
        ("requirements/base.txt", 1, "common.txt", "requirements/common.txt"),
        ("requirements.txt", 2, "requirements/constraints.txt", "requirements/constraints.txt"),
    ]
    # constraints restrict versions; they are not installed
    assert dep.find("numpy") is None


def test_include_cycles_and_missing_and_url_includes(tmp_path):
    project = repo(tmp_path, {
        "requirements.txt": "-r a.txt\n-r missing.txt\n-r https://example.com/r.txt\n",
        "a.txt": "-r requirements.txt\nplotly\n",
    })
    dep = parse_requirements_txt(project, "requirements.txt")
    assert [r.name for r in dep.named()] == ["plotly"]
    assert ("requirements.txt", 2, "missing.txt", "missing.txt") in dep.includes
    assert ("requirements.txt", 3, "https://example.com/r.txt", None) in dep.includes


def test_utf16_requirements_are_decoded(tmp_path):
    project = repo(tmp_path, {"requirements.txt": "streamlit==1.52.0\r\npandas\r\n".encode("utf-16")})
    dep = parse_requirements_txt(project, "requirements.txt")
    assert [r.name for r in dep.named()] == ["streamlit", "pandas"]
    text = project.text("requirements.txt")
    assert (text.encoding, text.bom, text.is_plain_utf8) == ("utf-16", True, False)


def test_utf8_bom_is_not_part_of_the_first_name(tmp_path):
    project = repo(tmp_path, {"requirements.txt": b"\xef\xbb\xbfstreamlit==1.52.0\n"})
    dep = parse_requirements_txt(project, "requirements.txt")
    assert [r.name for r in dep.named()] == ["streamlit"]


# --------------------------------------------------------------------------- Pipfile


PIPFILE = """
    [[source]]
    url = "https://index.example.org/simple"
    verify_ssl = true
    name = "pypi"

    [packages]
    streamlit = "==1.52.0"
    requests = "*"
    "zope.interface" = ">=7"
    django = {version = ">=4.2", extras = ["bcrypt"]}
    mylib = {path = "./mylib", editable = true}
    flask = {git = "https://github.com/pallets/flask.git", ref = "main"}
    pywin32 = {version = "*", markers = "sys_platform == 'win32'"}

    [dev-packages]
    pytest = "*"

    [requires]
    python_version = "3.12"
    """


def test_pipfile_tables(tmp_path):
    project = repo(tmp_path, {"Pipfile": PIPFILE})
    dep = parse_pipfile(project, "Pipfile")
    by_name = {r.name: r for r in dep.requirements if r.name}
    assert (by_name["streamlit"].specifier, by_name["streamlit"].line) == ("==1.52.0", 7)
    assert (by_name["requests"].specifier, by_name["requests"].line) == ("", 8)
    assert by_name["zope-interface"].line == 9
    assert (by_name["django"].specifier, by_name["django"].extras) == (">=4.2", ("bcrypt",))
    assert (by_name["mylib"].kind, by_name["mylib"].url) == ("path", "./mylib")
    assert (by_name["flask"].kind, by_name["flask"].url) == ("url", "git+https://github.com/pallets/flask.git")
    assert by_name["pywin32"].marker == "sys_platform == 'win32'"
    assert (by_name["pytest"].section, by_name["pytest"].is_runtime) == ("dev-packages", False)
    assert dep.python == "3.12"
    assert dep.find("pytest") is None


def test_pipfile_marker_keys(tmp_path):
    project = repo(tmp_path, {"Pipfile": """
        [packages]
        pywin32 = {version = "*", sys_platform = "== 'win32'"}
        """})
    req = parse_pipfile(project, "Pipfile").requirements[0]
    assert req.marker is not None and "win32" in req.marker


# --------------------------------------------------------------------------- pyproject.toml: Poetry


POETRY = """
    [tool.poetry]
    name = "sales-app"
    version = "0.1.0"
    package-mode = false

    [tool.poetry.dependencies]
    python = "^3.10"
    streamlit = "^1.52"
    pandas = "~2.2"
    numpy = ">=1.26,<3"
    acme = { git = "git@github.com:acme/acme.git", tag = "v1.2.0" }
    local = { path = "../local", develop = true }
    scipy = [
        { version = "<1.14", python = "<3.10" },
        { version = ">=1.14", python = ">=3.10" },
    ]

    [tool.poetry.group.dev.dependencies]
    pytest = "^8"
    """


def test_poetry_dependencies(tmp_path):
    project = repo(tmp_path, {"pyproject.toml": POETRY})
    dep = parse_pyproject(project, "pyproject.toml")
    by_name = {r.name: r for r in dep.requirements if r.name}
    assert "python" not in by_name and dep.python == "^3.10"
    # Poetry's ^ and ~ become PEP 440 ranges
    assert (by_name["streamlit"].specifier, by_name["streamlit"].line) == (">=1.52,<2.0", 8)
    assert by_name["pandas"].specifier == ">=2.2,<2.3"
    assert by_name["numpy"].specifier == ">=1.26,<3"
    assert (by_name["acme"].kind, by_name["acme"].url) == ("url", "git+git@github.com:acme/acme.git")
    assert (by_name["local"].kind, by_name["local"].url) == ("path", "../local")
    assert by_name["scipy"].kind == "name"
    assert (by_name["pytest"].section, by_name["pytest"].is_runtime) == ("group:dev", False)


@pytest.mark.parametrize("poetry, pep440", [
    ("^1.2.3", ">=1.2.3,<2.0"),
    ("^0.2.3", ">=0.2.3,<0.3"),
    ("^0.0.3", ">=0.0.3,<0.0.4"),
    ("^0", ">=0,<1.0"),
    ("~1.2.3", ">=1.2.3,<1.3"),
    ("~1", ">=1,<2.0"),
    ("~=1.4", "~=1.4"),
    ("1.2.3", "==1.2.3"),
    ("1.2.*", "==1.2.*"),
    (">=1.0 <2.0", ">=1.0,<2.0"),
    (">=1.0,<2.0", ">=1.0,<2.0"),
    ("*", ""),
    ("^1.0 || ^2.0", "^1.0 || ^2.0"),
])
def test_poetry_constraints(poetry, pep440):
    assert poetry_to_pep440(poetry) == pep440


def test_poetry_platform_key_becomes_a_marker(tmp_path):
    project = repo(tmp_path, {"pyproject.toml": """
        [tool.poetry.dependencies]
        pywin32 = { version = "^306", platform = "win32" }
        """})
    req = parse_pyproject(project, "pyproject.toml").requirements[0]
    assert req.marker is not None and "win32" in req.marker


def test_poetry_optional_dependency_is_not_runtime(tmp_path):
    project = repo(tmp_path, {"pyproject.toml": """
        [tool.poetry.dependencies]
        python = "^3.10"
        torch = { version = "^2.5", optional = true }

        [tool.poetry.extras]
        ml = ["torch"]
        """})
    req = parse_pyproject(project, "pyproject.toml").requirements[0]
    assert not req.is_runtime


# --------------------------------------------------------------------------- pyproject.toml: PEP 621 + groups


PEP621 = """
    [project]
    name = "app"
    version = "0.1.0"
    requires-python = ">=3.10"
    dependencies = [
        "streamlit>=1.52",
        'pandas[excel]; python_version >= "3.10"',
        "acme @ git+https://github.com/acme/acme.git",
    ]

    [project.optional-dependencies]
    ml = ["torch>=2.5"]

    [dependency-groups]
    dev = ["pytest>=8", {include-group = "lint"}]
    lint = ["ruff"]
    """


def test_pep621_and_dependency_groups(tmp_path):
    project = repo(tmp_path, {"pyproject.toml": PEP621})
    dep = parse_pyproject(project, "pyproject.toml")
    by_name = {r.name: r for r in dep.requirements if r.name}
    assert dep.python == ">=3.10"
    assert (by_name["streamlit"].specifier, by_name["streamlit"].line) == (">=1.52", 6)
    assert (by_name["pandas"].marker, by_name["pandas"].line) == ('python_version >= "3.10"', 7)
    assert (by_name["acme"].kind, by_name["acme"].line) == ("url", 8)
    assert by_name["torch"].section == "extra:ml"
    # uv sync installs the dev group by default ([tool.uv] default-groups), not the others
    assert by_name["pytest"].section == "main"
    assert by_name["ruff"].section == "group:lint"


def test_uv_default_groups_setting(tmp_path):
    project = repo(tmp_path, {"pyproject.toml": PEP621 + '\n[tool.uv]\ndefault-groups = ["lint"]\n'})
    dep = parse_pyproject(project, "pyproject.toml")
    by_name = {r.name: r for r in dep.requirements if r.name}
    assert (by_name["pytest"].section, by_name["ruff"].section) == ("group:dev", "main")


# --------------------------------------------------------------------------- uv.lock


UV_LOCK = """
    version = 1
    requires-python = ">=3.10"

    [[package]]
    name = "app"
    version = "0.1.0"
    source = { virtual = "." }
    dependencies = [{ name = "streamlit" }]

    [[package]]
    name = "streamlit"
    version = "1.52.0"
    source = { registry = "https://index.example.org/simple" }

    [[package]]
    name = "torch"
    version = "2.5.1+cpu"
    source = { registry = "https://download.pytorch.org/whl/cpu" }

    [[package]]
    name = "acme"
    version = "1.0.0"
    source = { git = "https://github.com/acme/acme.git?rev=v1#abc123" }
    """


def test_uv_lock(tmp_path):
    project = repo(tmp_path, {"uv.lock": UV_LOCK})
    dep = parse_uv_lock(project, "uv.lock")
    assert dep.python == ">=3.10"
    assert [(r.name, r.specifier, r.line) for r in dep.requirements] == [
        ("streamlit", "==1.52.0", 11), ("torch", "==2.5.1+cpu", 16),
        ("acme", "==1.0.0", 21),
    ]
    assert dep.requirements[2].url == "https://github.com/acme/acme.git?rev=v1#abc123"


# --------------------------------------------------------------------------- environment.yml


ENV = """
    name: sales
    channels:
      - conda-forge
    dependencies:
      - python=3.11
      - numpy=1.26
      - conda-forge::pandas>=2
      - pip
      - pip:
        - --extra-index-url https://download.pytorch.org/whl/cpu
        - -r requirements-pip.txt
        - -e .
        - streamlit==1.52.0
        - numpy==1.26.4
    """


def test_environment_yml_conda_and_pip_sections(tmp_path):
    project = repo(tmp_path, {"environment.yml": ENV})
    dep = parse_environment_yml(project, "environment.yml")
    assert dep.python == "3.11"
    assert [(r.kind, r.name, r.line) for r in dep.requirements] == [
        ("python", "", 5), ("conda", "numpy", 6), ("conda", "pandas", 7), ("conda", "pip", 8),
        ("option", "", 10), ("include", "", 11), ("editable", "", 12), ("name", "streamlit", 13),
        ("name", "numpy", 14),
    ]
    assert dep.requirements[1].specifier == "==1.26.*"  # conda's =1.26 means 1.26.*
    assert dep.requirements[5].url == "requirements-pip.txt"


@pytest.mark.parametrize("conda, pep440", [
    ("=1.26", "==1.26.*"),
    ("=1.26.*", "==1.26.*"),
    ("==1.26.4", "==1.26.4"),
    ("=1.26.4=py311h64a7726_0", "==1.26.4.*"),
    ("==1.26.4=py311h64a7726_0", "==1.26.4"),
    (">=1.20,<2", ">=1.20,<2"),
    ("", ""),
])
def test_conda_specs(conda, pep440):
    assert conda_to_pep440(conda) == pep440


def test_environment_yml_channel_prefix(tmp_path):
    project = repo(tmp_path, {"environment.yml": ENV})
    req = parse_environment_yml(project, "environment.yml").requirements[2]
    assert (req.name, req.specifier) == ("pandas", ">=2")


def test_environment_yml_line_numbers_skip_the_name_line(tmp_path):
    project = repo(tmp_path, {"environment.yml": """
        name: pipeline
        dependencies:
          - pip
          - pip:
            - streamlit==1.52.0
        """})
    dep = parse_environment_yml(project, "environment.yml")
    assert [(r.name, r.line) for r in dep.requirements] == [("pip", 3), ("streamlit", 5)]


def test_bad_inputs_never_raise(tmp_path):
    project = repo(tmp_path, {
        "a/Pipfile": "[packages\nbroken",
        "b/pyproject.toml": "[tool.poetry]\ndependencies = 3\n[project]\ndependencies = 'x'\n",
        "c/environment.yml": "dependencies: {a: 1}\n",
        "d/environment.yml": "- just\n- a list\n",
        "e/uv.lock": "package = 3\n",
        "f/requirements.txt": b"\xff\xfe\x00\x00garbage",
    })
    for path in ("a/Pipfile", "b/pyproject.toml", "c/environment.yml", "d/environment.yml", "e/uv.lock",
                 "f/requirements.txt", "missing/requirements.txt"):
        dep = parse_dependency_file(project, path)
        assert isinstance(dep.requirements, list)


def test_pipfile_bare_version_means_exact(tmp_path):
    project = repo(tmp_path, {"Pipfile": """
        [packages]
        streamlit = "1.9.2"
        pandas = {version = "2.2.*"}
        numpy = "*"
        """})
    specs = {r.name: r.specifier for r in parse_pipfile(project, "Pipfile").requirements}
    assert specs == {"streamlit": "==1.9.2", "pandas": "==2.2.*", "numpy": ""}
