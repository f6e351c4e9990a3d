"""A fake GitHub REST API on loopback that checks every request against GitHub's own OpenAPI description.

GitHub's description comes from the npm package ``@octokit/openapi`` (pinned in package.json; ``npm ci`` puts it
in ``node_modules/``). For each request the fake:

1. finds the operation: method plus the path template that matches with the most literal segments (a GitHub
   Enterprise Server prefix ``/api/v3`` is accepted and stripped);
2. validates the path parameters, the query parameters (each must be declared by the operation) and the JSON
   body (against ``requestBody``; an operation without one must get no body) with jsonschema, after turning the
   description's OpenAPI 3.0 schemas into JSON Schema (``nullable``; ``oneOf`` with a ``discriminator`` becomes
   ``anyOf``);
3. answers from a small in-memory GitHub (users, pull-request comments, branch activity) or from a scripted
   fault, and validates its own answer against the operation's response schema too, so canned data cannot drift
   from the real shapes.

Every request is recorded: ``{"method", "path" (without the prefix), "query", "operation" (operationId or null),
"template", "api_prefix", "body" (parsed JSON or null), "headers" (accept, user-agent, x-github-api-version,
content-type, and "authorization" reduced to its scheme), "status", "date" (the fake's clock when it answered,
whole epoch seconds, as its Date header says), "errors" (request contract violations: the list must be empty),
"response_errors"}``. The token itself is never recorded.

Behaviour of the in-memory GitHub:
- Tokens: any non-empty ``Authorization: token X`` / ``Bearer X`` is accepted (401 without one).
- Identity: by default the token acts like GITHUB_TOKEN: ``GET /user`` answers 403 "Resource not accessible by
  integration" and comments are written by ``github-actions[bot]`` (type Bot). With ``login`` set it acts like a
  personal access token: ``GET /user`` answers that user and comments are written by them.
- ``read_only``: writes answer 403 "Resource not accessible by integration", as for a fork's pull request.
- Comments: per ``owner/repo`` and issue number; ``GET .../issues/{n}/comments`` pages with ``per_page``/``page``
  and sends a ``Link`` header; ``POST`` creates; ``PATCH .../issues/comments/{id}`` edits, and answers 403 when
  the comment's author is not the token's.
- Clock: ``now`` (epoch seconds; None, the default, follows the real clock); every answer's ``Date`` header is
  that time (whole seconds, as HTTP dates are). ``advance(seconds)`` moves a set clock on.
- Activity (``GET /repos/{owner}/{repo}/activity``): ``add_activity`` records an update of a branch at a time
  (``ago`` seconds before the clock, or ``at``); only activities not later than the clock are listed, so an
  activity recorded in the future appears when the clock gets there. Filters ``ref`` (``refs/heads/X`` or
  ``X``), ``activity_type``, ``actor`` and ``time_period``; ``direction`` (default desc); ``per_page`` (default
  30) and cursor pagination as GitHub does it: the ``Link`` header's ``rel="next"``/``rel="prev"`` URLs carry an
  opaque ``after``/``before`` cursor. ``activity_shape``: ``documented`` (``timestamp``, ``activity_type``,
  ``actor``: the schema) or ``legacy`` (``pushed_at``, ``push_type`` with ``normal``/``force``, ``pusher``: the
  shape GitHub's OpenAPI example still shows). A legacy answer is checked against the schema in the documented
  shape, then rewritten.

Faults (scripted answers) are matched in order by ``operation`` (operationId) and/or ``method``; each has
``status``, optional ``headers`` (``"Date": None`` leaves the Date header out), ``body`` (JSON) or ``raw`` (a
body sent as it is, e.g. malformed JSON; not checked), ``delay`` (seconds before answering) and ``times``
(default 1).

Standalone (for the container test)::

    python -m tests.github_fake --port 8123 --record requests.jsonl [--login USER] [--read-only] [--spec FILE]

prints ``listening on http://127.0.0.1:PORT`` (PORT is the real one when ``--port 0``) and serves until SIGTERM or
SIGINT; each request is appended to the ``--record`` file as one JSON line just before it is answered. The control
API, outside GitHub's namespace: ``GET /_fake/requests`` (the records), ``GET /_fake/comments`` (every comment),
``POST /_fake/comments`` with ``{"repository", "number", "body", "login", "type"}`` (seed one),
``POST /_fake/activities`` with ``{"repository", "ref", "ago" or "at", "activity_type", "after"}`` (record one),
``POST /_fake/clock`` with ``{"now": epoch seconds or null}`` or ``{"advance": seconds}``,
``POST /_fake/faults`` with a fault or a list of faults, ``POST /_fake/reset``.

In tests: ``with FakeGitHub() as fake: ... fake.url ... fake.requests ...``.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import json
import re
import signal
import sys
import threading
import time
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "node_modules" / "@octokit" / "openapi" / "generated" / "api.github.com.json"
GHES_PREFIX = "/api/v3"
NOT_ACCESSIBLE = "Resource not accessible by integration"
# Statuses GitHub may answer for any operation (rate limits, outages; 404 for a repository the token cannot see)
# even where the description omits them.
GENERIC_STATUSES = {"401", "403", "404", "429", "500", "502", "503", "504"}
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
ACTIVITY_SHAPES = ("documented", "legacy")
LEGACY_PUSH_TYPES = {"push": "normal", "force_push": "force"}
TIME_PERIODS = {"day": 1, "week": 7, "month": 30, "quarter": 91, "year": 365}  # days
_OPENAPI_ONLY = {"discriminator", "example", "examples", "xml", "externalDocs", "readOnly", "writeOnly",
                 "deprecated", "nullable"}


class Spec:
    """GitHub's OpenAPI description: operations by method and path template, schemas as JSON Schema."""

    def __init__(self, path: Path = SPEC_PATH):
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: run `npm ci` at the repository root")
        self.doc = json.loads(path.read_text(encoding="utf-8"))
        self.version = self.doc.get("info", {}).get("version", "")
        self._routes: list[tuple[int, re.Pattern[str], str]] = []
        for template in self.doc["paths"]:
            literal = sum(1 for part in template.split("/") if part and not part.startswith("{"))
            pattern = re.sub(r"\\\{[^}]+\\\}", "([^/]+)", re.escape(template))
            self._routes.append((literal, re.compile(f"^{pattern}$"), template))
        self._routes.sort(key=lambda r: -r[0])
        self._validators: dict[str, Any] = {}
        self._lock = threading.Lock()

    def match(self, method: str, path: str) -> tuple[str, dict[str, Any], dict[str, str]] | None:
        """(template, operation, path parameters) for the most specific template that has ``method``."""
        for _, regex, template in self._routes:
            found = regex.match(path)
            if found and method.lower() in self.doc["paths"][template]:
                names = re.findall(r"\{([^}]+)\}", template)
                values = dict(zip(names, found.groups(), strict=True))
                return template, self.doc["paths"][template][method.lower()], values
        return None

    def resolve(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            node = self.pointer(node["$ref"])
        return node

    def pointer(self, ref: str) -> Any:
        node: Any = self.doc
        for part in ref.lstrip("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def parameters(self, template: str, operation: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
        params = {}
        for raw in [*self.doc["paths"][template].get("parameters", []), *operation.get("parameters", [])]:
            param = self.resolve(raw)
            params[(param["in"], param["name"])] = param
        return params

    def validator(self, schema: dict[str, Any]) -> Any:
        """A jsonschema validator for an OpenAPI schema (cached by its JSON text)."""
        from jsonschema import Draft4Validator

        key = json.dumps(schema, sort_keys=True)
        with self._lock:
            if key not in self._validators:
                defs: dict[str, Any] = {}
                root = self._convert(schema, defs)
                root = {**root, "$defs": defs} if isinstance(root, dict) else root
                self._validators[key] = Draft4Validator(root)
            return self._validators[key]

    def _convert(self, node: Any, defs: dict[str, Any]) -> Any:
        if isinstance(node, list):
            return [self._convert(item, defs) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            ref = node["$ref"]
            prefix = "#/components/schemas/"
            if ref.startswith(prefix):
                name = ref[len(prefix):]
                if name not in defs:
                    defs[name] = {}  # placeholder: recursive schemas refer to it before it is filled
                    defs[name] = self._convert(self.pointer(ref), defs)
                return {"$ref": f"#/$defs/{name}"}
            return self._convert(self.pointer(ref), defs)
        out = {}
        for key, value in node.items():
            if key in _OPENAPI_ONLY or key.startswith("x-"):
                continue
            if key == "properties" and isinstance(value, dict):
                out[key] = {name: self._convert(sub, defs) for name, sub in value.items()}
            else:
                out[key] = self._convert(value, defs)
        if "oneOf" in out and "discriminator" in node:
            out["anyOf"] = out.pop("oneOf")  # the discriminator picks one; without it several may match
        if node.get("nullable") is True:
            if isinstance(out.get("type"), str):
                out["type"] = [out["type"], "null"]
                if "enum" in out and None not in out["enum"]:
                    out["enum"] = [*out["enum"], None]
            else:
                out = {"anyOf": [out, {"type": "null"}]}
        return out


def _errors(validator: Any, instance: Any, where: str) -> list[str]:
    return [f"{where}: {'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message[:300]}"
            for e in validator.iter_errors(instance)]


def _coerce(value: str, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    if kind == "integer" and re.fullmatch(r"-?\d+", value):
        return int(value)
    if kind == "number":
        try:
            return float(value)
        except ValueError:
            return value
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    return value


class Clock:
    """A fake clock for the REST client: ``sleep`` passes at once and is recorded in ``slept``."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class FakeGitHub:
    """The fake API server (see the module docstring). Use as a context manager or call start()/stop()."""

    def __init__(self, *, login: str | None = None, read_only: bool = False, host: str = "127.0.0.1",
                 port: int = 0, spec: Spec | None = None, record_file: str | None = None):
        self.spec = spec or shared_spec()
        self.login = login
        self.bot = "github-actions[bot]"  # who writes the comments of an App installation token
        self.read_only = read_only
        self.host, self.port = host, port
        self.record_file = record_file
        self.requests: list[dict[str, Any]] = []
        self.comments: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.activities: dict[str, list[dict[str, Any]]] = {}  # per owner/repo, in the documented shape
        self.activity_shape = "documented"
        self.now: float | None = None  # None: the real clock
        self.faults: list[dict[str, Any]] = []
        self._next_id = 1000
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def start(self) -> FakeGitHub:
        fake = self

        class Handler(_Handler):
            owner = fake

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01},
                                        name="fake-github", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- state helpers -----------------------------------------------------------------------------------------
    def add_fault(self, **fault: Any) -> None:
        with self._lock:
            self.faults.append({"times": 1, "headers": {}, "body": None, "delay": 0, **fault})

    def seed_comment(self, repository: str, number: int, body: str, login: str = "github-actions[bot]",
                     user_type: str = "Bot", app_slug: str | None = None, minimized: bool = False,
                     prefix: str = "") -> dict:
        """Add a comment as if someone had written it (``prefix``: GHES_PREFIX for a GHES-style URL)."""
        with self._lock:
            comment = self._comment(prefix, repository, number, body, login, user_type)
            if app_slug:
                app = copy.deepcopy(self.spec.pointer("#/components/examples/integration")["value"])
                app.update(slug=app_slug, name=app_slug, html_url=f"https://github.com/apps/{app_slug}")
                comment["performed_via_github_app"] = app
            if minimized:
                comment["minimized"] = {"reason": "outdated"}
            self.comments.setdefault((repository, number), []).append(comment)
            return comment

    def clock(self) -> float:
        """The server's time (epoch seconds)."""
        return time.time() if self.now is None else self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now = self.clock() + seconds

    def add_activity(self, repository: str, *, ago: float | None = None, at: float | None = None,
                     activity_type: str = "push", ref: str = "refs/heads/main", after: str | None = None,
                     before: str | None = None, actor: str = "octocat") -> dict[str, Any]:
        """Record an update of ``ref`` at ``at`` (epoch seconds) or ``ago`` seconds before the clock."""
        with self._lock:
            when = at if at is not None else self.clock() - (ago or 0)
            self._next_id += 1
            aid = self._next_id
            sha = after or hashlib.sha1(f"commit {aid}".encode()).hexdigest()
            user = copy.deepcopy(self.spec.pointer("#/components/examples/activity-items")["value"][0]["pusher"])
            user.update(login=actor, url=f"https://api.github.com/users/{actor}", html_url=f"https://github.com/{actor}")
            item = {
                "id": aid,
                "node_id": base64.b64encode(f"010:Activity{aid}".encode()).decode(),
                "before": before or hashlib.sha1(f"parent {aid}".encode()).hexdigest(),
                "after": sha,
                "ref": ref if ref.startswith("refs/") else f"refs/heads/{ref}",
                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when)),
                "activity_type": activity_type,
                "actor": user,
                "_at": int(when),  # whole seconds, as the timestamp says; stripped from answers
            }
            self.activities.setdefault(repository, []).append(item)
            return item

    def contract_errors(self) -> list[str]:
        return [f"{r['method']} {r['path']}: {e}" for r in self.requests for e in r["errors"] + r["response_errors"]]

    def calls(self) -> list[str]:
        """``METHOD operationId`` for each request, in order."""
        return [f"{r['method']} {r['operation']}" for r in self.requests]

    def _comment(self, prefix: str, repository: str, number: int, body: str, login: str, user_type: str,
                 base: str = "") -> dict[str, Any]:
        example = copy.deepcopy(self.spec.pointer("#/components/examples/issue-comment")["value"])
        self._next_id += 1
        cid = self._next_id
        api = base or self.url
        example.update({
            "id": cid,
            "node_id": f"IC_fake{cid}",
            "url": f"{api}{prefix}/repos/{repository}/issues/comments/{cid}",
            "html_url": f"https://github.com/{repository}/pull/{number}#issuecomment-{cid}",
            "issue_url": f"{api}{prefix}/repos/{repository}/issues/{number}",
            "body": body,
            "author_association": "NONE" if user_type == "Bot" else "MEMBER",
            "performed_via_github_app": None,
        })
        example["user"] = {**example["user"], "login": login, "type": user_type,
                           "url": f"{api}{prefix}/users/{login}", "html_url": f"https://github.com/{login}"}
        return example

    def _fault(self, method: str, op: str | None) -> dict[str, Any] | None:
        for fault in self.faults:
            if fault.get("operation", op) == op and fault.get("method", method) == method:
                fault["times"] -= 1
                if fault["times"] <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def _answer(self, method: str, operation: dict[str, Any], params: dict[str, str], query: dict[str, str],
                body: Any, prefix: str, base: str) -> tuple[int, dict[str, str], Any]:
        op = operation.get("operationId")
        me = self.login or self.bot
        me_type = "User" if self.login else "Bot"
        if op == "users/get-authenticated":
            if self.login is None:
                return 403, {}, _error(NOT_ACCESSIBLE)
            user = copy.deepcopy(self.spec.pointer(
                "#/components/examples/private-user-response-with-public-and-private-profile-information")["value"])
            user["login"] = self.login
            return 200, {}, user
        repository = f"{params.get('owner')}/{params.get('repo')}"
        if op == "issues/list-comments":
            items = self.comments.get((repository, int(params["issue_number"])), [])
            per_page = int(query.get("per_page", 30))
            page = int(query.get("page", 1))
            chunk = items[(page - 1) * per_page: page * per_page]
            headers = {}
            if page * per_page < len(items):
                headers["Link"] = (f'<{base}{prefix}/repos/{repository}/issues/{params["issue_number"]}/comments'
                                   f'?per_page={per_page}&page={page + 1}>; rel="next"')
            return 200, headers, chunk
        if op == "repos/list-activities":
            return self._list_activities(repository, query, prefix, base)
        if op == "issues/create-comment":
            if self.read_only:
                return 403, {}, _error(NOT_ACCESSIBLE)
            number = int(params["issue_number"])
            comment = self._comment(prefix, repository, number, body["body"], me, me_type, base)
            self.comments.setdefault((repository, number), []).append(comment)
            return 201, {}, comment
        if op == "issues/update-comment":
            if self.read_only:
                return 403, {}, _error(NOT_ACCESSIBLE)
            for comments in self.comments.values():
                for comment in comments:
                    if comment["id"] == int(params["comment_id"]):
                        if comment["user"]["login"] != me:
                            return 403, {}, _error("You must be the author to edit this comment")
                        comment["body"] = body["body"]
                        comment["updated_at"] = "2026-01-01T00:00:00Z"
                        return 200, {}, comment
            return 404, {}, _error("Not Found")
        return 404, {}, _error(f"the fake does not implement {op}")

    def _list_activities(self, repository: str, query: dict[str, str], prefix: str,
                         base: str) -> tuple[int, dict[str, str], Any]:
        now = self.clock()
        items = [a for a in self.activities.get(repository, []) if a["_at"] <= now]
        ref = query.get("ref")
        if ref:
            full = ref if ref.startswith("refs/") else f"refs/heads/{ref}"
            items = [a for a in items if a["ref"] == full]
        if query.get("activity_type"):
            items = [a for a in items if a["activity_type"] == query["activity_type"]]
        if query.get("actor"):
            items = [a for a in items if a["actor"]["login"] == query["actor"]]
        if query.get("time_period"):
            items = [a for a in items if now - a["_at"] < TIME_PERIODS[query["time_period"]] * 86400]
        items.sort(key=lambda a: (a["_at"], a["id"]), reverse=query.get("direction", "desc") == "desc")
        per_page = min(int(query.get("per_page", 30)), 100)
        ids = [a["id"] for a in items]
        start, end = 0, per_page
        if query.get("after"):
            start = ids.index(_uncursor(query["after"])) + 1 if _uncursor(query["after"]) in ids else len(ids)
            end = start + per_page
        elif query.get("before"):
            end = ids.index(_uncursor(query["before"])) if _uncursor(query["before"]) in ids else 0
            start = max(0, end - per_page)
        page = items[start:end]
        links = []
        kept = {k: v for k, v in query.items() if k not in ("after", "before")}
        url = f"{base}{prefix}/repos/{repository}/activity"
        if page and end < len(items):
            links.append(f'<{url}?{urlencode({**kept, "after": _cursor(page[-1]["id"])})}>; rel="next"')
        if page and start > 0:
            links.append(f'<{url}?{urlencode({**kept, "before": _cursor(page[0]["id"])})}>; rel="prev"')
        answer = [{k: v for k, v in a.items() if not k.startswith("_")} for a in page]
        return 200, ({"Link": ", ".join(links)} if links else {}), answer

    def _reshape(self, operation: dict[str, Any] | None, payload: Any) -> Any:
        """The answer as sent: list-activities items in the legacy shape when ``activity_shape`` says so."""
        if (self.activity_shape != "legacy" or operation is None
                or operation.get("operationId") != "repos/list-activities" or not isinstance(payload, list)):
            return payload
        out = []
        for item in payload:
            item = dict(item)
            kind = item.pop("activity_type")
            item["pushed_at"] = item.pop("timestamp")
            item["push_type"] = LEGACY_PUSH_TYPES.get(kind, kind)
            item["pusher"] = item.pop("actor")
            out.append(item)
        return out

    def handle(self, handler: _Handler) -> None:
        split = urlsplit(handler.path)
        path, prefix = split.path, ""
        if path.startswith(GHES_PREFIX + "/"):
            path, prefix = path[len(GHES_PREFIX):], GHES_PREFIX
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        if path.startswith("/_fake/"):
            return self._control(handler, path, raw)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        auth = handler.headers.get("Authorization") or ""
        record: dict[str, Any] = {
            "method": handler.command, "path": path, "query": query, "api_prefix": prefix, "operation": None,
            "template": None, "body": None, "status": None, "errors": [], "response_errors": [],
            "headers": {
                "accept": handler.headers.get("Accept"),
                "user-agent": handler.headers.get("User-Agent"),
                "x-github-api-version": handler.headers.get("X-GitHub-Api-Version"),
                "content-type": handler.headers.get("Content-Type"),
                "authorization": auth.split(" ", 1)[0] if auth else None,
            },
        }
        errors = record["errors"]
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                errors.append("the body is not JSON")
        record["body"] = body
        host = handler.headers.get("Host") or f"{self.host}:{self.port}"
        base = f"http://{host}"
        delay = 0.0
        raw_body: str | None = None
        with self._lock:
            self.requests.append(record)  # on arrival: a client that gives up early is still seen
            found = self.spec.match(handler.command, path)
            if found is None:
                errors.append(f"no operation {handler.command} {path} in GitHub's OpenAPI description")
                status, headers, payload = 404, {}, _error("Not Found")
                operation = None
            else:
                template, operation, params = found
                record["operation"], record["template"] = operation.get("operationId"), template
                errors.extend(self._check_request(template, operation, params, query, raw, body))
                fault = self._fault(handler.command, operation.get("operationId"))
                if not auth.strip() or len(auth.split(" ", 1)) != 2 or not auth.split(" ", 1)[1].strip():
                    status, headers, payload = 401, {}, _error("Requires authentication")
                elif errors:
                    status, headers, payload = 422, {}, _error("Validation Failed")
                elif fault is not None:
                    status, headers, payload = fault["status"], dict(fault["headers"] or {}), fault["body"]
                    delay = float(fault.get("delay") or 0)
                    raw_body = fault.get("raw")
                else:
                    status, headers, payload = self._answer(handler.command, operation, params, query, body,
                                                            prefix, base)
                record["response_errors"] = self._check_response(operation, status, payload)
                payload = self._reshape(operation, payload)
            record["status"] = status
            date = self.clock()
            record["date"] = int(date)
        if delay:
            time.sleep(delay)  # outside the lock: other requests go on meanwhile
        if self.record_file:
            with self._lock, open(self.record_file, "a", encoding="utf-8") as out:
                out.write(json.dumps(record) + "\n")
        handler.reply(status, headers, payload, raw=raw_body, date=date)

    def _check_request(self, template: str, operation: dict[str, Any], params: dict[str, str],
                       query: dict[str, str], raw: bytes, body: Any) -> list[str]:
        errors = []
        declared = self.spec.parameters(template, operation)
        for name, value in params.items():
            param = declared.get(("path", name))
            if param is None:
                errors.append(f"path parameter {name} is not declared")
                continue
            schema = param.get("schema", {})
            errors += _errors(self.spec.validator(schema), _coerce(value, schema), f"path parameter {name}")
        for name, value in query.items():
            param = declared.get(("query", name))
            if param is None:
                errors.append(f"query parameter {name!r} is not declared for {operation.get('operationId')}")
                continue
            schema = param.get("schema", {})
            errors += _errors(self.spec.validator(schema), _coerce(value, schema), f"query parameter {name}")
        for (where, name), param in declared.items():
            if where == "query" and param.get("required") and name not in query:
                errors.append(f"required query parameter {name} is missing")
        request_body = self.spec.resolve(operation.get("requestBody"))
        if request_body is None:
            if raw:
                errors.append("this operation takes no request body")
        elif not raw:
            if request_body.get("required"):
                errors.append("the request body is required")
        else:
            content = request_body.get("content", {})
            media = content.get("application/json")
            if media is None:
                errors.append(f"the body must be one of {sorted(content)}")
            elif body is not None:
                errors += _errors(self.spec.validator(media.get("schema", {})), body, "body")
        return errors

    def _check_response(self, operation: dict[str, Any], status: int, payload: Any) -> list[str]:
        responses = operation.get("responses", {})
        response = responses.get(str(status)) or responses.get("default")
        if response is None:
            if str(status) in GENERIC_STATUSES:
                response = self.spec.pointer("#/components/responses/forbidden")
            else:
                return [f"status {status} is not declared for {operation.get('operationId')}"]
        response = self.spec.resolve(response)
        media = (response.get("content") or {}).get("application/json")
        if media is None or payload is None:
            return []
        return _errors(self.spec.validator(media.get("schema", {})), payload, f"response {status}")

    def _control(self, handler: _Handler, path: str, raw: bytes) -> None:
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            return handler.reply(400, {}, {"message": "not JSON"})
        with self._lock:
            if handler.command == "GET" and path == "/_fake/requests":
                return handler.reply(200, {}, self.requests)
            if handler.command == "GET" and path == "/_fake/comments":
                return handler.reply(200, {}, [c for cs in self.comments.values() for c in cs])
            if handler.command == "POST" and path == "/_fake/comments" and isinstance(data, dict):
                comment = self.seed_comment(data["repository"], int(data["number"]), data["body"],
                                            data.get("login", "github-actions[bot]"), data.get("type", "Bot"))
                return handler.reply(201, {}, comment)
            if handler.command == "POST" and path == "/_fake/activities" and isinstance(data, dict):
                item = self.add_activity(data["repository"], ago=data.get("ago"), at=data.get("at"),
                                         activity_type=data.get("activity_type", "push"),
                                         ref=data.get("ref", "refs/heads/main"), after=data.get("after"))
                return handler.reply(201, {}, {k: v for k, v in item.items() if not k.startswith("_")})
            if handler.command == "POST" and path == "/_fake/clock" and isinstance(data, dict):
                if "advance" in data:
                    self.advance(float(data["advance"]))
                else:
                    self.now = None if data.get("now") is None else float(data["now"])
                return handler.reply(200, {}, {"now": self.clock()})
            if handler.command == "POST" and path == "/_fake/faults":
                for fault in data if isinstance(data, list) else [data]:
                    self.add_fault(**fault)
                return handler.reply(201, {}, self.faults)
            if handler.command == "POST" and path == "/_fake/reset":
                self.requests.clear()
                self.comments.clear()
                self.activities.clear()
                self.faults.clear()
                return handler.reply(200, {}, {})
        return handler.reply(404, {}, {"message": f"no control endpoint {handler.command} {path}"})


class _Handler(BaseHTTPRequestHandler):
    owner: FakeGitHub
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body would otherwise wait for loopback's delayed ACK

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        return

    def reply(self, status: int, headers: dict[str, str | None], payload: Any, *, raw: str | None = None,
              date: float | None = None) -> None:
        """Answer; ``raw`` is sent as the body instead of ``payload`` as JSON; the ``Date`` header is ``date`` (the
        fake's clock) unless ``headers`` set it (None: no Date header)."""
        data = raw.encode("utf-8") if raw is not None else b"" if payload is None else json.dumps(payload).encode()
        try:
            self.send_response_only(status, HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_
                                    else "")
            if not any(name.lower() == "date" for name in headers):
                headers = {**headers, "Date": formatdate(time.time() if date is None else date, usegmt=True)}
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-GitHub-Api-Version-Selected", self.headers.get("X-GitHub-Api-Version") or "")
            for name, value in headers.items():
                if value is not None:
                    self.send_header(name, str(value))
            self.end_headers()
            if data and self.command != "HEAD":
                self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            pass

    def _any(self) -> None:
        self.owner.handle(self)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _any  # noqa: N815


def _cursor(activity_id: int) -> str:
    return base64.urlsafe_b64encode(f"cursor:v2:{activity_id}".encode()).decode()


def _uncursor(cursor: str) -> int | None:
    try:
        return int(base64.urlsafe_b64decode(cursor.encode()).decode().rsplit(":", 1)[1])
    except (ValueError, IndexError, UnicodeDecodeError):
        return None


def _error(message: str) -> dict[str, str]:
    return {"message": message, "documentation_url": "https://docs.github.com/rest"}


_SPEC: Spec | None = None
_SPEC_LOCK = threading.Lock()


def shared_spec() -> Spec:
    """The description, parsed once per process."""
    global _SPEC
    with _SPEC_LOCK:
        if _SPEC is None:
            _SPEC = Spec()
        return _SPEC


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.github_fake", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--record", metavar="FILE", help="append each request as a JSON line to FILE")
    parser.add_argument("--login", help="act as this user's personal access token (default: like GITHUB_TOKEN)")
    parser.add_argument("--read-only", action="store_true", help="writes answer 403, as for a fork's PR")
    parser.add_argument("--spec", type=Path, default=SPEC_PATH, help="GitHub's OpenAPI description (JSON)")
    args = parser.parse_args(argv)
    fake = FakeGitHub(login=args.login, read_only=args.read_only, host=args.host, port=args.port,
                      spec=Spec(args.spec), record_file=args.record)
    fake.start()
    print(f"listening on {fake.url}", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
