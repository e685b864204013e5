"""t/fakes/recorder.py - the common part of the fake peers: an HTTP server
on loopback that records every request and answers with what the test
asked for.

Control (the test drives it with curl):
  POST /_control {"status": 429, "retry_after": 2, "times": 1, "body": "..."}
      the next `times` requests get that answer instead of the normal one
  GET  /_requests    every recorded request: [{"time", "method", "path",
                     "headers", "body", "status"}], oldest first

A subclass overrides check(path, headers, body) -> (status, body, headers)
to judge a request the way the real peer would.  The port is written to
--port-file once the server listens.
"""
import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None  # set by serve()

    def log_message(self, fmt, *args):  # quiet: the test reads /_requests
        pass

    def answer(self, status, body, headers=None):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/_requests":
            with self.state["lock"]:
                data = json.dumps(self.state["requests"])
            return self.answer(200, data, {"Content-Type": "application/json"})
        return self.answer(404, "not found")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        if self.path == "/_control":
            with self.state["lock"]:
                self.state["forced"] = json.loads(body)
            return self.answer(200, "ok")
        with self.state["lock"]:
            forced = self.state["forced"]
            if forced and forced.get("times", 1) > 0:
                forced["times"] = forced.get("times", 1) - 1
                status = forced["status"]
                extra = {"Retry-After": str(forced["retry_after"])} if "retry_after" in forced else {}
                reply = forced.get("body", "forced")
            else:
                status, reply, extra = self.check(self.path, self.headers, body)
            self.state["requests"].append({
                "time": time.time(), "method": "POST", "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body, "status": status})
        return self.answer(status, reply, extra)

    def check(self, path, headers, body):
        return 200, "ok", {}


def serve(handler, extra_args=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", required=True)
    for args, kwargs in extra_args or []:
        parser.add_argument(*args, **kwargs)
    opts = parser.parse_args()
    handler.state = {"lock": threading.Lock(), "requests": [], "forced": None, "opts": opts}
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    with open(opts.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.rename(opts.port_file + ".tmp", opts.port_file)
    server.serve_forever()
