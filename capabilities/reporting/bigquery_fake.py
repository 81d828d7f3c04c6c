"""A fake BigQuery: the REST API v2 on 127.0.0.1, for the official client through
`client_options={"api_endpoint": "http://127.0.0.1:<port>"}` (BIGQUERY_API_ENDPOINT).

What it implements, as the real service answers it:
- datasets.insert / datasets.get, tables.insert / tables.get (409 `duplicate` when it exists,
  404 `notFound` when it does not), keeping the resource sent (schema, timePartitioning,
  clustering) and adding the read-only fields;
- tabledata.insertAll: rows checked against the table's schema (unknown fields, a REQUIRED field
  missing or null, a value of the wrong type: `insertErrors` with reason `invalid`, the others
  `stopped`, nothing stored, as without `skipInvalidRows`); an `insertId` seen before is dropped
  (the real service's best-effort dedup; here exact) and counted in `duplicates_dropped`.

Tests script it: `fail_next(n, status)` answers the next n requests with that error before doing
anything; `lose_response_next(n)` stores the next n insertAll batches and then answers 503 (the
answer lost on the way back); `stop()` / `start()` on the same port for "down, then back".
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlparse

LOOPBACK = "127.0.0.1"
_PATH = re.compile(
    r"^/bigquery/v2/projects/(?P<project>[^/]+)/datasets(?:/(?P<dataset>[^/]+)"
    r"(?:/tables(?:/(?P<table>[^/]+)(?P<insert>/insertAll)?)?)?)?$"
)


class FakeBigQueryServer:
    def __init__(self, *, host: str = LOOPBACK, port: int = 0) -> None:
        self.host, self.port = host, port
        self._lock = threading.RLock()
        self.datasets: dict[tuple[str, str], dict] = {}
        self.tables: dict[tuple[str, str, str], dict] = {}
        self.rows: dict[tuple[str, str, str], list[dict]] = {}
        self._insert_ids: dict[tuple[str, str, str], set[str]] = {}
        self._failures: list[int] = []
        self._lost_responses = 0
        self.insert_calls = 0
        self.duplicates_dropped = 0
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle ----------------------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> FakeBigQueryServer:
        fake = self

        class Handler(_Handler):
            server_fake = fake

        server = ThreadingHTTPServer((self.host, self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._server = server
        return self

    def stop(self) -> None:
        """Close the port (state is kept: `start()` again serves the same tables and rows)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeBigQueryServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- scripting ------------------------------------------------------------------------------
    def fail_next(self, times: int, status: int = 503) -> None:
        with self._lock:
            self._failures.extend([status] * times)

    def lose_response_next(self, times: int = 1) -> None:
        with self._lock:
            self._lost_responses += times

    def table_rows(self, table_id: str) -> list[dict]:
        project, dataset, table = table_id.split(".")
        with self._lock:
            return list(self.rows.get((project, dataset, table), []))

    # --- the API --------------------------------------------------------------------------------
    def handle(self, method: str, path: str, body: dict | None) -> tuple[int, dict]:
        with self._lock:
            if self._failures:
                status = self._failures.pop(0)
                return status, _error(status, "backendError" if status >= 500 else "invalid", "scripted failure")
        match = _PATH.match(urlparse(path).path)
        if match is None:
            return 404, _error(404, "notFound", f"Not found: {path}")
        project, dataset, table, insert = match.group("project", "dataset", "table", "insert")
        with self._lock:
            if insert:
                return self._insert_all(project, dataset, table, body or {})
            if table:
                return self._get_table(project, dataset, table) if method == "GET" else _not_allowed()
            if dataset is None:
                return self._insert_dataset(project, body or {}) if method == "POST" else _not_allowed()
            if method == "POST":  # .../datasets/{d}/tables
                return self._insert_table(project, dataset, body or {})
            if method == "GET":
                return self._get_dataset(project, dataset)
            return _not_allowed()

    def _insert_dataset(self, project: str, body: dict) -> tuple[int, dict]:
        dataset = body.get("datasetReference", {}).get("datasetId", "")
        if (project, dataset) in self.datasets:
            return 409, _error(409, "duplicate", f"Already Exists: Dataset {project}:{dataset}")
        resource = body | {"id": f"{project}:{dataset}", "kind": "bigquery#dataset", "etag": "1"}
        self.datasets[(project, dataset)] = resource
        return 200, resource

    def _get_dataset(self, project: str, dataset: str) -> tuple[int, dict]:
        if (project, dataset) not in self.datasets:
            return 404, _error(404, "notFound", f"Not found: Dataset {project}:{dataset}")
        return 200, self.datasets[(project, dataset)]

    def _insert_table(self, project: str, dataset: str, body: dict) -> tuple[int, dict]:
        if (project, dataset) not in self.datasets:
            return 404, _error(404, "notFound", f"Not found: Dataset {project}:{dataset}")
        table = body.get("tableReference", {}).get("tableId", "")
        key = (project, dataset, table)
        if key in self.tables:
            return 409, _error(409, "duplicate", f"Already Exists: Table {project}:{dataset}.{table}")
        now = str(int(dt.datetime.now(dt.UTC).timestamp() * 1000))
        resource = body | {
            "id": f"{project}:{dataset}.{table}",
            "kind": "bigquery#table",
            "type": "TABLE",
            "creationTime": now,
            "lastModifiedTime": now,
            "etag": "1",
        }
        self.tables[key] = resource
        self.rows[key], self._insert_ids[key] = [], set()
        return 200, resource

    def _get_table(self, project: str, dataset: str, table: str) -> tuple[int, dict]:
        resource = self.tables.get((project, dataset, table))
        if resource is None:
            return 404, _error(404, "notFound", f"Not found: Table {project}:{dataset}.{table}")
        return 200, resource | {"numRows": str(len(self.rows[(project, dataset, table)]))}

    def _insert_all(self, project: str, dataset: str, table: str, body: dict) -> tuple[int, dict]:
        self.insert_calls += 1
        key = (project, dataset, table)
        resource = self.tables.get(key)
        if resource is None:
            return 404, _error(404, "notFound", f"Not found: Table {project}:{dataset}.{table}")
        fields = {field["name"]: field for field in resource.get("schema", {}).get("fields", [])}
        rows = body.get("rows", [])
        problems = {index: _row_problems(row.get("json", {}), fields) for index, row in enumerate(rows)}
        if any(problems.values()):
            errors = [
                {"index": index, "errors": found or [{"reason": "stopped", "location": "", "message": ""}]}
                for index, found in problems.items()
            ]
            return 200, {"kind": "bigquery#tableDataInsertAllResponse", "insertErrors": errors}
        for row in rows:
            insert_id = row.get("insertId")
            if insert_id and insert_id in self._insert_ids[key]:
                self.duplicates_dropped += 1
                continue
            if insert_id:
                self._insert_ids[key].add(insert_id)
            self.rows[key].append(row.get("json", {}))
        if self._lost_responses:
            self._lost_responses -= 1
            return 503, _error(503, "backendError", "the answer was lost (scripted)")
        return 200, {"kind": "bigquery#tableDataInsertAllResponse"}


def _row_problems(values: dict, fields: dict[str, dict]) -> list[dict]:
    problems = []
    for name in values:
        if name not in fields:
            problems.append({"reason": "invalid", "location": name, "message": f"no such field: {name}."})
    for name, field in fields.items():
        value = values.get(name)
        if value is None:
            if field.get("mode") == "REQUIRED":
                problems.append({"reason": "invalid", "location": name, "message": f"Missing required field: {name}."})
            continue
        if not _type_ok(field.get("type", "STRING"), value):
            problems.append(
                {
                    "reason": "invalid",
                    "location": name,
                    "message": f"Cannot convert value to {field['type']}: {value!r}",
                }
            )
    return problems


def _type_ok(kind: str, value: Any) -> bool:
    try:
        if kind in ("INTEGER", "INT64"):
            return not isinstance(value, bool) and int(str(value)) == decimal.Decimal(str(value))
        if kind in ("NUMERIC", "BIGNUMERIC", "FLOAT", "FLOAT64"):
            return not isinstance(value, bool) and decimal.Decimal(str(value)).is_finite()
        if kind in ("BOOLEAN", "BOOL"):
            return isinstance(value, bool)
        if kind == "DATE":
            dt.date.fromisoformat(value)
            return True
        if kind == "TIMESTAMP":
            dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            return True
        return isinstance(value, str) if kind == "STRING" else True
    except (ValueError, TypeError, decimal.InvalidOperation):
        return False


def _error(status: int, reason: str, message: str) -> dict:
    return {"error": {"code": status, "message": message, "errors": [{"reason": reason, "message": message}]}}


def _not_allowed() -> tuple[int, dict]:
    return 405, _error(405, "invalid", "method not allowed")


class _Handler(BaseHTTPRequestHandler):
    server_fake: FakeBigQueryServer
    protocol_version = "HTTP/1.0"  # one request a connection: stop() leaves no kept-alive socket serving

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            status, answer = 400, _error(400, "parseError", "invalid JSON")
        else:
            status, answer = self.server_fake.handle(method, self.path, body)
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read the fake's state
        return
