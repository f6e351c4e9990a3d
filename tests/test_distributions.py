"""preflight.distributions on the shipped import map, and the generator scripts/update_import_map.py.

The lookups run against the real generated ``preflight/data/import_map.json.gz`` merged with the hand table; the
generator is tested offline on synthetic wheels served from a loopback HTTP server.
"""

from __future__ import annotations

import gzip
import http.server
import importlib.util
import io
import json
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from preflight import data
from preflight import distributions as dist

ROOT = Path(__file__).resolve().parent.parent
MAP = ROOT / "preflight" / "data" / "import_map.json.gz"


@pytest.fixture
def clean_overrides():
    dist.set_overrides(None)
    yield
    dist.set_overrides(None)


def raw_map() -> dict:
    return json.loads(gzip.decompress(MAP.read_bytes()))


def canon(names: list[str]) -> list[str]:
    return [canonicalize_name(n.split("[", 1)[0]) for n in names]


# --------------------------------------------------------------------------------------------- lookups

@pytest.mark.usefixtures("clean_overrides")
class TestCandidates:
    def test_namespace_package(self):
        assert dist.candidates("google.cloud.storage") == ["google-cloud-storage"]
        assert dist.candidates("google.cloud.storage.blob") == ["google-cloud-storage"]  # longest prefix
        assert dist.candidates("azure.storage.blob") == ["azure-storage-blob"]

    def test_namespace_itself(self):
        assert dist.candidates("google.cloud") == []  # no one distribution provides a namespace
        below = canon(dist.providers_below("google.cloud"))
        assert "google-cloud-storage" in below and len(below) == len(set(below))
        assert dist.providers_below("yaml") == []  # an entry, not a namespace
        # an unknown module below a namespace is not pinned on a sibling
        assert dist.candidates("google.cloud.not_a_real_service") == []

    def test_cv2_hand_order_first_then_scan(self):
        got = canon(dist.candidates("cv2"))
        assert got[0] == "opencv-python-headless"
        assert {"opencv-python", "opencv-contrib-python", "opencv-contrib-python-headless"} <= set(got)
        assert len(got) == len(set(got))

    def test_yaml_spelled_as_the_project_spells_it(self):
        assert dist.candidates("yaml")[0] == "PyYAML"
        assert dist.candidates("yaml.constructor")[0] == "PyYAML"

    @pytest.mark.parametrize(("module", "first"), [
        ("sklearn", "scikit-learn"),
        ("sklearn.ensemble", "scikit-learn"),
        ("PIL", "pillow"),
        ("PIL.Image", "pillow"),
        ("dateutil", "python-dateutil"),
        ("dateutil.parser", "python-dateutil"),
        ("bs4", "beautifulsoup4"),
        ("github", "pygithub"),
        ("attr", "attrs"),
    ])
    def test_known_cases(self, module, first):
        assert canon(dist.candidates(module))[0] == first

    def test_attr_includes_attrs(self):
        assert "attrs" in canon(dist.candidates("attr"))

    def test_dateutil_is_exactly_python_dateutil(self):
        assert dist.candidates("dateutil") == ["python-dateutil"]

    def test_found_by_the_scan_not_in_hand_table(self):
        hand = data.toml("import_names.toml")["import-to-distribution"]
        for module, expected in [("absl", "absl-py"), ("grpc", "grpcio"), ("websocket", "websocket-client"),
                                 ("pywt", "pywavelets"), ("jupyter", "jupyter-core")]:
            assert module not in hand
            assert canon(dist.candidates(module))[0] == expected, module

    def test_unknown_is_empty(self):
        assert dist.candidates("surely_not_a_module_anyone_publishes") == []

    def test_extras_kept_and_distinct(self):
        assert dist.candidates("psycopg")[:2] == ["psycopg[binary]", "psycopg"]


@pytest.mark.usefixtures("clean_overrides")
class TestImportNames:
    @pytest.mark.parametrize(("distribution", "module"), [
        ("PyGithub", "github"), ("scikit-learn", "sklearn"), ("python-dateutil", "dateutil"),
        ("PyYAML", "yaml"), ("pillow", "pil"), ("attrs", "attr"), ("attrs", "attrs"),
        ("google-cloud-storage", "google"), ("requests", "requests"), ("psycopg[binary]", "psycopg"),
    ])
    def test_contains(self, distribution, module):
        assert module in dist.import_names(distribution)

    def test_lower_case(self):
        assert all(n == n.lower() for n in dist.import_names("PyYAML"))

    def test_provides_exact_names(self):
        assert dist.provides("PyYAML") == ["_yaml", "yaml"]
        assert "google.cloud.storage" in dist.provides("google-cloud-storage")
        assert dist.provides("requests") == ["requests"]  # implied entry
        assert dist.provides("surely-not-a-scanned-distribution") is None

    def test_consistent_with_candidates(self):
        """Every listed import resolves to its providers, and each provider lists it back (top level)."""
        raw = raw_map()
        names = raw["distributions"]
        hand = data.toml("import_names.toml")["import-to-distribution"]
        for module, indexes in raw["imports"].items():
            got = canon(dist.candidates(module))
            for i in indexes:
                assert canonicalize_name(names[i]) in got, module
                assert module.split(".")[0].lower() in dist.import_names(names[i]), (module, names[i])
            if module not in hand:
                assert got[0] == canonicalize_name(names[indexes[0]]), module  # most used first


class TestKnownAndMeta:
    def test_is_known_distribution(self):
        for name in ("PyYAML", "pyyaml", "requests", "scikit_learn", "google-cloud-storage"):
            assert dist.is_known_distribution(name), name
        assert not dist.is_known_distribution("surely-not-a-scanned-distribution")
        # ranked among the most downloaded but its files were not read: known, not scanned
        raw = raw_map()
        if raw["unread"]:
            name = raw["unread"][0]
            assert dist.is_known_distribution(name) and not dist.is_scanned_distribution(name)
            assert dist.provides(name) is None
        assert dist.is_scanned_distribution("PyYAML")

    def test_meta(self):
        meta = dist.map_meta()
        assert meta["generated"] == raw_map()["meta"]["generated"]
        assert meta["generated"][:4].isdigit() and meta["generated"][4] == "-"
        assert "PyPI" in meta["source"] and "PyPI download ranking" in meta["ranking"]
        assert meta["distributions_scanned"] == len(raw_map()["distributions"])
        for key in ("count", "sdist_only", "failures", "compression"):
            assert key in meta

    def test_data_is_small_and_names_no_host_or_local_path(self):
        assert MAP.stat().st_size < 600 * 1024
        text = gzip.decompress(MAP.read_bytes()).decode()
        for needle in ("://", "/opt/", "/tmp/", "/root/", "/work/", ".org"):
            assert needle not in text, needle


class TestCompression:
    def test_implied_entries_are_not_listed_and_resolve(self):
        raw = raw_map()
        names = raw["distributions"]
        hand = {k.lower() for k in data.toml("import_names.toml")["import-to-distribution"]}
        assert raw["implied"], "the map should use the compression"
        for i in raw["implied"]:
            module = canonicalize_name(names[i]).replace("-", "_")
            assert module not in raw["imports"]
            if module.lower() not in hand:
                assert dist.candidates(module) == [names[i]], module
                assert dist.candidates(module + ".sub") == [names[i]], module

    def test_compression_rule_holds(self):
        """Nothing listed could have been implied, nothing implied had another provider."""
        raw = raw_map()
        names = raw["distributions"]
        for module, indexes in raw["imports"].items():
            implied_shape = "." not in module and len(indexes) == 1
            assert not (implied_shape and canonicalize_name(module) == canonicalize_name(names[indexes[0]])), module
        implied_names = {canonicalize_name(names[i]).replace("-", "_") for i in raw["implied"]}
        assert not implied_names & {m.lower() for m in raw["imports"]}

    def test_popular_distributions_resolve(self):
        for module, expected in [("requests", "requests"), ("numpy", "numpy"), ("pandas", "pandas"),
                                 ("typing_extensions", "typing-extensions"), ("streamlit", "streamlit")]:
            assert canon(dist.candidates(module)) == [expected], module


class TestOverrides:
    def test_user_overrides_replace_hand_and_scan(self, clean_overrides):
        dist.set_overrides({"yaml": "my-yaml", "cv2": ["opencv-python", "my-cv"]})
        assert dist.candidates("yaml") == ["my-yaml"]
        assert dist.candidates("yaml.constructor") == ["my-yaml"]
        assert dist.candidates("cv2") == ["opencv-python", "my-cv"]
        assert "yaml" in dist.import_names("my-yaml")
        assert "yaml" not in dist.import_names("PyYAML") - {"pyyaml"}  # the scan's answer was replaced
        dist.set_overrides(None)
        assert dist.candidates("yaml")[0] == "PyYAML"

    def test_override_for_new_name_and_prefix(self, clean_overrides):
        dist.set_overrides({"acme": "acme-internal-tools"})
        assert dist.candidates("acme.sub.mod") == ["acme-internal-tools"]
        assert "acme" in dist.import_names("acme-internal-tools")
        assert dist.candidates("requests") == ["requests"]  # others untouched

    def test_hand_table_beats_scan(self, clean_overrides):
        # the scan lists opencv-python first (more downloads); the hand table prefers the headless build
        raw = raw_map()
        scanned_first = raw["distributions"][raw["imports"]["cv2"][0]]
        assert canonicalize_name(scanned_first) == "opencv-python"
        assert canon(dist.candidates("cv2"))[0] == "opencv-python-headless"

    @pytest.mark.parametrize("bad", [{"yaml": []}, {"yaml": 3}, {"not an import": "x"}, {"yaml": [""]}])
    def test_invalid(self, clean_overrides, bad):
        with pytest.raises(ValueError, match="import-map"):
            dist.set_overrides(bad)


class TestLoading:
    def test_import_does_not_load_the_map_and_first_lookup_loads_it_once(self):
        code = (
            "import preflight.distributions as d\n"
            "assert d._scanned.cache_info().currsize == 0, 'loaded at import'\n"
            "calls = []\n"
            "real = d._map_bytes\n"
            "d._map_bytes = lambda: calls.append(1) or real()\n"
            "d.candidates('yaml'); d.candidates('cv2'); d.import_names('PyGithub'); d.is_known_distribution('x')\n"
            "d.map_meta(); d.provides('requests'); d.set_overrides({'a': 'b'}); d.candidates('a')\n"
            "assert calls == [1], calls\n"
            "assert d._scanned.cache_info().misses == 1\n"
            "print('ok')\n"
        )
        result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "ok"

    def test_missing_map_degrades_to_hand_table(self, monkeypatch, clean_overrides):
        monkeypatch.setattr(dist, "_map_bytes", lambda: None)
        for cached in (dist._scanned, dist._forward, dist._namespaces, dist._reverse):
            cached.cache_clear()
        try:
            assert dist.candidates("yaml") == ["pyyaml"]
            assert dist.candidates("requests") == []
            assert not dist.is_known_distribution("requests")
            assert dist.map_meta() == {}
        finally:
            monkeypatch.undo()
            for cached in (dist._scanned, dist._forward, dist._namespaces, dist._reverse):
                cached.cache_clear()


# --------------------------------------------------------------------------------------------- the generator

def load_script():
    spec = importlib.util.spec_from_file_location("update_import_map", ROOT / "scripts" / "update_import_map.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gen():
    return load_script()


class TestDerivation:
    def test_top_level_packages_and_modules(self, gen):
        paths = ["yaml/__init__.py", "yaml/constructor.py", "_yaml/__init__.py",
                 "six.py", "_cffi_backend.cpython-311-x86_64-linux-gnu.so", "win.pyd",
                 "PyYAML-6.0.dist-info/METADATA", "tests/test_x.py", "docs/conf.py", "setup.py",
                 "foo-stubs/__init__.py", "numpy.libs/libopenblas.so", "libnative.so", "pkg/__pycache__/x.py"]
        assert gen.import_names_from_paths(gen.filter_paths(paths), "pyyaml") == \
            ["_cffi_backend", "_yaml", "six", "win", "yaml"]

    def test_junk_name_kept_when_it_is_the_distribution(self, gen):
        assert gen.import_names_from_paths(["tests/__init__.py"], "tests") == ["tests"]

    def test_namespace_packages(self, gen):
        paths = ["google/cloud/storage/__init__.py", "google/cloud/storage/blob.py",
                 "google/cloud/_helpers_mod.py", "azure/storage/blob/__init__.py",
                 "jaraco/classes/ancestry.py", "zope/__init__.py", "zope/interface/__init__.py",
                 "nsonly/deep/er/__init__.py"]
        assert gen.import_names_from_paths(paths, "x") == [
            "azure.storage.blob", "google.cloud._helpers_mod", "google.cloud.storage", "jaraco.classes",
            "nsonly.deep.er", "zope.interface"]

    def test_pep420_package_of_its_own_is_one_name(self, gen):
        assert gen.import_names_from_paths(["mylib/core.py", "mylib/sub/__init__.py"], "mylib") == ["mylib"]

    def test_data_purelib_counts_as_root(self, gen):
        paths = ["pkg-1.0.data/purelib/pkg/__init__.py", "pkg-1.0.data/scripts/tool.py",
                 "pkg-1.0.data/platlib/fast.cpython-311-x86_64-linux-gnu.so"]
        assert gen.import_names_from_paths(paths, "pkg") == ["fast", "pkg"]

    def test_shared_namespace_found_in_the_data(self, gen):
        entries = {
            "main": {"status": "ok", "paths": ["fla/__init__.py", "fla/ops/__init__.py"]},
            "plugin": {"status": "ok", "paths": ["fla/layers/__init__.py"]},
            "oldns": {"status": "ok", "paths": ["backports/__init__.py", "backports/tarfile/__init__.py"]},
            "other": {"status": "ok", "paths": ["backports/zoneinfo/__init__.py"]},
        }
        derived = gen.derive_all(list(entries), entries)
        assert derived["main"] == ["fla"]
        assert derived["plugin"] == ["fla.layers"]
        assert derived["oldns"] == ["backports.tarfile"]  # pkg_resources-style __init__ is no package
        assert derived["other"] == ["backports.zoneinfo"]

    def test_deep_paths_are_kept_as_folder_markers(self, gen):
        kept = gen.filter_paths(["a/b/c/d/e/f/g.py", "a/b/c/d/e/f/h.py", "README.md"])
        assert kept == ["a/b/c/d/e/"]

    def test_wheel_choice(self, gen):
        files = [{"filename": n} for n in (
            "x-1.0.tar.gz", "x-1.0-cp312-cp312-win_amd64.whl",
            "x-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "x-1.0-cp310-abi3-manylinux_2_28_x86_64.whl")]
        assert gen.pick_wheel(files)["filename"] == "x-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
        assert gen.pick_wheel([*files, {"filename": "x-1.0-py2.py3-none-any.whl"}])["filename"] == \
            "x-1.0-py2.py3-none-any.whl"
        assert gen.pick_wheel([{"filename": "x-1.0.tar.gz"}]) is None
        assert gen.pick_wheel([{"filename": "x-1.0-py3-none-any.whl", "yanked": True}]) is None

    def test_newest_release(self, gen):
        files = [{"filename": "x-1.0-py3-none-any.whl"}, {"filename": "x-2.0.tar.gz"},
                 {"filename": "x-3.0rc1-py3-none-any.whl"}, {"filename": "x-2.5-py3-none-any.whl", "yanked": True}]
        assert [f["filename"] for f in gen.newest_release(files)] == ["x-2.0.tar.gz"]

    def test_read_top_tsv_and_text(self, gen, tmp_path):
        tsv = tmp_path / "top.tsv"
        tsv.write_text("name\tversion\tmonth\trank_among_15000_most_downloaded\tsummary\n"
                       "zeta\t1\t2026-09\t2\ts\nalpha\t1\t2026-11\t1\ts\nunranked\t1\t2026-10\t\ts\n"
                       "ALPHA\t1\t2026-01\t3\tdup\n", encoding="utf-8")
        top = gen.read_top(tsv, None)
        assert top.names == ["alpha", "zeta"]  # by rank, unranked rows skipped, "ALPHA" is "alpha" again
        assert "15,000 most downloaded" in top.ranking and "2026-11" in top.ranking
        text = tmp_path / "top.txt"
        text.write_text("# most used first\nPyYAML\nrequests  # comment\npyyaml\n", encoding="utf-8")
        assert gen.read_top(text, None).names == ["pyyaml", "requests"]
        assert gen.read_top(text, 1).names == ["pyyaml"]


def make_wheel(files: dict[str, str], name: str = "Demo_Pkg") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as wheel:
        for path, text in files.items():
            wheel.writestr(path, text)
        wheel.writestr("demo_pkg-1.0.dist-info/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n\n"
                       + "long description\n" * 50)
        wheel.writestr("demo_pkg-1.0.dist-info/top_level.txt", "demo\n")
    return buffer.getvalue()


class _Handler(http.server.BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}
    honour_range = True
    log: list[tuple[str, str | None]] = []

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):  # noqa: N802
        self.log.append((self.path, self.headers.get("Range")))
        body = self.files.get(self.path)
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        spec = self.headers.get("Range")
        if spec and self.honour_range:
            first, last = spec.removeprefix("bytes=").split("-")
            if first == "":
                start, end = max(0, len(body) - int(last)), len(body) - 1
            else:
                start, end = int(first), min(int(last), len(body) - 1)
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(body)}")
            chunk = body[start:end + 1]
        else:
            self.send_response(200)
            chunk = body
        self.send_header("Content-Length", str(len(chunk)))
        self.end_headers()
        self.wfile.write(chunk)


@pytest.fixture
def server():
    _Handler.files = {}
    _Handler.log = []
    _Handler.honour_range = True
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", _Handler
    finally:
        httpd.shutdown()
        httpd.server_close()


class TestRemoteReading:
    def test_json_api_and_range_requests(self, gen, server, monkeypatch):
        base, handler = server
        # a tail read smaller than the central directory, so it is read with a second range request
        monkeypatch.setattr(gen, "TAIL", 256)
        wheel = make_wheel({"demo/__init__.py": "", "demo_ext.py": "", **{f"demo/m{i}.py": "" for i in range(20)}})
        assert len(wheel) > 4 * gen.TAIL
        handler.files = {
            "/pypi/demo-pkg/json": json.dumps({
                "info": {"name": "Demo_Pkg", "version": "1.0"},
                "urls": [{"filename": "demo_pkg-1.0.tar.gz", "url": "../../files/demo_pkg-1.0.tar.gz"},
                         {"filename": "demo_pkg-1.0-py3-none-any.whl",
                          "url": "../../files/demo_pkg-1.0-py3-none-any.whl"}],
            }).encode(),
            "/pypi/sdist-only/json": json.dumps({
                "info": {"name": "sdist-only", "version": "2"},
                "urls": [{"filename": "sdist_only-2.tar.gz", "url": "/files/sdist_only-2.tar.gz"}]}).encode(),
            "/files/demo_pkg-1.0-py3-none-any.whl": wheel,
        }
        source = gen.PyPIJSON(f"{base}/pypi", gen.MAX_DOWNLOAD)
        entry = source.fetch("demo-pkg")
        assert entry["status"] == "ok" and entry["name"] == "Demo_Pkg" and entry["top_level"] == ["demo"]
        assert gen.import_names_from_paths(entry["paths"], "demo-pkg") == ["demo", "demo_ext"]
        wheel_requests = [r for p, r in handler.log if p.endswith(".whl")]
        assert wheel_requests and all(r and r.startswith("bytes=") for r in wheel_requests)
        assert entry["requests"] == len(wheel_requests) <= 4  # tail, central directory, top_level, METADATA
        assert source.fetch("sdist-only")["status"] == "sdist-only"
        assert source.fetch("missing")["status"] == "not-found"

    def test_server_ignoring_ranges_is_capped(self, gen, server):
        base, handler = server
        handler.honour_range = False
        wheel = make_wheel({"demo/__init__.py": ""})
        handler.files = {"/w/demo_pkg-1.0-py3-none-any.whl": wheel}
        url = f"{base}/w/demo_pkg-1.0-py3-none-any.whl"
        assert gen._read_wheel(url, max_download=len(wheel))["paths"] == ["demo/__init__.py"]
        with pytest.raises(gen.Failure, match="ignores Range"):
            gen._read_wheel(url, max_download=len(wheel) - 1)

    def test_simple_index_file_url_and_display_name(self, gen, tmp_path):
        (tmp_path / "files").mkdir()
        (tmp_path / "files" / "demo_pkg-1.0-py3-none-any.whl").write_bytes(make_wheel({"demo/__init__.py": ""}))
        (tmp_path / "simple" / "demo-pkg").mkdir(parents=True)
        (tmp_path / "simple" / "demo-pkg" / "index.html").write_text(
            '<a href="../../files/demo_pkg-1.0-py3-none-any.whl#sha256=00">demo_pkg-1.0-py3-none-any.whl</a>'
            '<a href="../../files/demo_pkg-0.9-py3-none-any.whl" data-yanked="">old</a>', encoding="utf-8")
        source = gen.SimpleIndex([(tmp_path / "simple").as_uri()], gen.MAX_DOWNLOAD)
        entry = source.fetch("demo-pkg")
        assert entry["status"] == "ok" and entry["name"] == "Demo_Pkg" and entry["version"] == "1.0"
        assert source.fetch("not-there") is None

    def test_end_to_end_offline_build(self, gen, tmp_path):
        cache = tmp_path / "cache.json"
        gen.save_cache(cache, {
            "pyyaml": {"status": "ok", "name": "PyYAML", "paths": ["yaml/__init__.py", "_yaml/__init__.py"]},
            "requests": {"status": "ok", "name": "requests", "paths": ["requests/__init__.py"]},
            "old": {"status": "sdist-only", "name": "Old"},
        })
        top = tmp_path / "top.txt"
        top.write_text("requests\npyyaml\nold\nnever-fetched\n", encoding="utf-8")
        out = tmp_path / "map.json.gz"
        assert gen.main(["--top", str(top), "--cache", str(cache), "--offline", "--output", str(out),
                         "--date", "2026-11-22"]) == 0
        document = json.loads(gzip.decompress(out.read_bytes()))
        assert document["distributions"] == ["requests", "PyYAML"]
        assert document["imports"] == {"_yaml": [1], "yaml": [1]}
        assert document["implied"] == [0]
        assert document["sdist_only"] == ["Old"]
        assert document["unread"] == ["never-fetched"]
        meta = document["meta"]
        assert (meta["generated"], meta["distributions_scanned"], meta["sdist_only"], meta["not_in_source"]) == \
            ("2026-11-22", 2, 1, 1)
