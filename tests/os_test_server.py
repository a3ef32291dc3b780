#!/usr/bin/env python3
"""os_test_server - a stand-in for OpenSearch/Elasticsearch in tests.

It implements the documented behaviour the opensearch sink relies on:
  GET /                      cluster info (checks the credentials)
  PUT /_index_template/NAME  stores the template
  POST /_bulk                NDJSON, gzip accepted; `index` actions with
                             version_type=external: a version not above the
                             stored one is a 409 version_conflict_engine_exception
                             per item; filter_path trims the response
It injects failures so the sink's handling can be tested: per-item 429 and
503 (--p429, --p5xx), whole-request 503 (--preq), dropped connections
before or after the bulk was applied (--pdrop), slow answers (--slow-ms),
credentials (--auth user:pass or --api-key KEY). A document whose
`headlines` is not a list is refused with 400 mapper_parsing_exception, as
an engine refuses a mapping conflict.
Test endpoints: GET /_nw/docs (every stored document with its version),
GET /_nw/stats (counters). Listens on 127.0.0.1 only; prints "PORT <n>"
once ready; stops on SIGTERM, and when the process that started it dies.
"""
import argparse
import base64
import ctypes
import gzip
import json
import random
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
DOCS = {}  # (index, id) -> (version, doc)
TEMPLATES = {}
STATS = {"requests": 0, "items": 0, "created": 0, "updated": 0, "conflicts": 0,
         "injected_429": 0, "injected_5xx": 0, "injected_request": 0, "dropped": 0,
         "refused": 0, "gzip": 0, "unauthorized": 0, "templates": 0}
ARGS = None
RNG = random.Random()


def item_error(kind, reason):
    return {"type": kind, "reason": reason}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def authorized(self):
        h = self.headers.get("Authorization", "")
        if ARGS.auth:
            want = "Basic " + base64.b64encode(ARGS.auth.encode()).decode()
            return h == want
        if ARGS.api_key:
            return h == "ApiKey " + ARGS.api_key
        return True

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length", "0"))
        data = self.rfile.read(n) if n else b""
        if self.headers.get("Content-Encoding", "") == "gzip":
            with LOCK:
                STATS["gzip"] += 1
            data = gzip.decompress(data)
        return data

    def drop(self):
        with LOCK:
            STATS["dropped"] += 1
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def do_GET(self):
        if self.path.startswith("/_nw/docs"):
            with LOCK:
                docs = [{"index": k[0], "id": k[1], "version": v[0], "doc": v[1]}
                        for k, v in sorted(DOCS.items())]
            return self.reply(200, docs)
        if self.path.startswith("/_nw/stats"):
            with LOCK:
                return self.reply(200, dict(STATS))
        if not self.authorized():
            with LOCK:
                STATS["unauthorized"] += 1
            return self.reply(401, {"error": {"type": "security_exception",
                                              "reason": "unable to authenticate user"}})
        if self.path == "/":
            return self.reply(200, {"name": "os-test", "version": {
                "distribution": "opensearch", "number": "2.11.0"}})
        return self.reply(404, {"error": {"type": "not_found", "reason": self.path}})

    def do_PUT(self):
        data = self.body()
        if not self.authorized():
            return self.reply(401, {"error": {"type": "security_exception", "reason": "auth"}})
        if self.path.startswith("/_index_template/"):
            try:
                TEMPLATES[self.path.split("/")[-1]] = json.loads(data)
                with LOCK:
                    STATS["templates"] += 1
            except ValueError as e:
                return self.reply(400, {"error": {"type": "parse_exception", "reason": str(e)}})
            return self.reply(200, {"acknowledged": True})
        return self.reply(404, {"error": {"type": "not_found", "reason": self.path}})

    def do_POST(self):
        data = self.body()
        if ARGS.slow_ms:
            time.sleep(ARGS.slow_ms / 1000.0)
        if not self.authorized():
            with LOCK:
                STATS["unauthorized"] += 1
            return self.reply(401, {"error": {"type": "security_exception", "reason": "auth"}})
        if not self.path.startswith("/_bulk"):
            return self.reply(404, {"error": {"type": "not_found", "reason": self.path}})
        with LOCK:
            STATS["requests"] += 1
            r = RNG.random()
        if r < ARGS.pdrop / 2:
            return self.drop()  # before anything was applied
        if r < ARGS.pdrop / 2 + ARGS.preq:
            with LOCK:
                STATS["injected_request"] += 1
            return self.reply(503, {"error": {"type": "unavailable", "reason": "injected"}})
        lines = [l for l in data.split(b"\n") if l.strip()]
        if len(lines) % 2:
            return self.reply(400, {"error": {"type": "illegal_argument_exception",
                                              "reason": "odd number of lines"}})
        items, errors = [], False
        for i in range(0, len(lines), 2):
            item = self.apply(json.loads(lines[i]), lines[i + 1])
            errors = errors or item["status"] >= 300
            items.append({"index": item})
        with LOCK:
            dropped_after = RNG.random() < ARGS.pdrop / 2
        if dropped_after:
            return self.drop()  # applied, but the answer is lost
        if "filter_path" in self.path:
            items = [{"index": {k: v for k, v in it["index"].items()
                                if k in ("status", "error")}} for it in items]
        return self.reply(200, {"took": 1, "errors": errors, "items": items})

    def apply(self, action, line):
        op = action.get("index")
        if op is None:
            return {"status": 400, "error": item_error("illegal_argument_exception",
                                                       "only index actions")}
        key = (op["_index"], op["_id"])
        base = {"_index": key[0], "_id": key[1]}
        with LOCK:
            STATS["items"] += 1
            r = RNG.random()
            if r < ARGS.p429:
                STATS["injected_429"] += 1
                return dict(base, status=429, error=item_error(
                    "es_rejected_execution_exception", "injected: queue full"))
            if r < ARGS.p429 + ARGS.p5xx:
                STATS["injected_5xx"] += 1
                return dict(base, status=503, error=item_error(
                    "unavailable_shards_exception", "injected: shard unavailable"))
            doc = json.loads(line)
            if "headlines" in doc and not isinstance(doc["headlines"], list):
                STATS["refused"] += 1
                return dict(base, status=400, error=item_error(
                    "mapper_parsing_exception",
                    "failed to parse field [headlines] of type [nested]"))
            if op.get("version_type") != "external" or "version" not in op:
                return dict(base, status=400, error=item_error(
                    "action_request_validation_exception", "external version expected"))
            version = int(op["version"])
            old = DOCS.get(key)
            if old and old[0] >= version:
                STATS["conflicts"] += 1
                return dict(base, status=409, error=item_error(
                    "version_conflict_engine_exception",
                    "[%s]: version conflict, current version [%d] is higher or equal to the "
                    "one provided [%d]" % (key[1], old[0], version)))
            DOCS[key] = (version, doc)
            STATS["updated" if old else "created"] += 1
            return dict(base, status=200 if old else 201, _version=version,
                        result="updated" if old else "created")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)  # a client that gave up is fine


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--auth")
    p.add_argument("--api-key")
    p.add_argument("--p429", type=float, default=0.0)
    p.add_argument("--p5xx", type=float, default=0.0)
    p.add_argument("--preq", type=float, default=0.0)
    p.add_argument("--pdrop", type=float, default=0.0)
    p.add_argument("--slow-ms", type=int, default=0)
    p.add_argument("--seed", type=int, default=1)
    ARGS = p.parse_args()
    RNG.seed(ARGS.seed)
    srv = Server(("127.0.0.1", ARGS.port), Handler)
    print("PORT %d" % srv.server_address[1], flush=True)
    try:  # die with the test (PR_SET_PDEATHSIG, SIGKILL): never an orphan
        ctypes.CDLL(None).prctl(1, 9)
    except (OSError, AttributeError):
        pass
    srv.serve_forever()


if __name__ == "__main__":
    main()
