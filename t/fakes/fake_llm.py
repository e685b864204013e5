#!/usr/bin/env python3
"""t/fakes/fake_llm.py - a fake OpenAI-compatible or Anthropic server on loopback.

    fake_llm.py --flavor openai|anthropic [--port N] [--log FILE] [--key KEY]
                [--control FILE] [--retry-after S] [--reply FILE]

Speaks the real wire format over real HTTP/1.1 (chunked SSE when streaming,
with the bytes split across many small writes), prints "ready PORT" on stdout
once listening, and serves until killed.  Each request may pick a scenario
(the X-Fake-Scenario header, else the first line of the --control file, else
a model named "fake/SCENARIO", else "ok"); see t/fakes/README.md.  Every
request is appended to --log as one JSON line with its headers (API keys
redacted: only whether the key matched is kept) and its body.
"""
import argparse
import json
import os
import re
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_REPLY = (
    "## Root Cause\n"
    "The fake model read {nmsg} messages ({nchars} characters) about this alert. "
    "Caf\u00e9 \u2713 \u2014 non-ASCII text survives streaming.\n\n"
    "## Remediation Steps\n"
    "1. Check the service.\n"
    "2. Restart it with `systemctl restart example`.\n\n"
    "## Runbook Recommendation\n"
    "Use the runbook that worked before.\n\n"
    "## Prevention\n"
    "Add capacity.\n"
)

counters = {}
counters_lock = threading.Lock()
log_lock = threading.Lock()


def bump(scenario):
    with counters_lock:
        counters[scenario] = counters.get(scenario, 0) + 1
        return counters[scenario]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-llm/1"

    def log_message(self, fmt, *args):  # quiet: the JSON log is the record
        pass

    # ---- helpers ----
    def flavor(self):
        return self.server.opts.flavor

    def send_json(self, status, obj, extra=None):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def send_error_json(self, status, message, kind, extra=None):
        if self.flavor() == "anthropic":
            body = {"type": "error", "error": {"type": kind, "message": message}}
        else:
            body = {"error": {"message": message, "type": kind, "code": None}}
        self.send_json(status, body, extra)

    def write_chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def stream_bytes(self, payload, cut_at=None, drip=0.0):
        """SSE bytes in HTTP chunks of 1 to 13 bytes, so events split anywhere;
        with drip, that many seconds pass at each event's end."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        i, size = 0, 1
        end = len(payload) if cut_at is None else cut_at
        next_end = payload.find(b"\n\n")
        while i < end:
            piece = payload[i:min(i + size, end)]
            self.write_chunk(piece)
            i += len(piece)
            size = size % 13 + 1
            if drip and 0 <= next_end < i:
                time.sleep(drip)
                next_end = payload.find(b"\n\n", next_end + 2)
            elif i % 5 == 0:
                time.sleep(0.001)
        if cut_at is not None:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def reply_text(self, body):
        msgs = body.get("messages") or []
        nchars = sum(len(m.get("content") or "") if isinstance(m.get("content"), str) else 0
                     for m in msgs)
        nchars += len(body.get("system") or "") if isinstance(body.get("system"), str) else 0
        template = self.server.reply or DEFAULT_REPLY
        return template.replace("{nmsg}", str(len(msgs))).replace("{nchars}", str(nchars))

    def scenario(self, body):
        s = self.headers.get("X-Fake-Scenario")
        if not s and self.server.opts.control and os.path.exists(self.server.opts.control):
            with open(self.server.opts.control) as f:
                s = f.readline().strip()
        if not s:
            model = body.get("model") if isinstance(body, dict) else None
            if isinstance(model, str) and model.startswith("fake/"):
                s = model[5:]
        return s or "ok"

    def auth_state(self):
        header = "x-api-key" if self.flavor() == "anthropic" else "authorization"
        got = self.headers.get(header)
        want = self.server.opts.key
        if want is None:
            return "present" if got else "absent"
        expected = want if self.flavor() == "anthropic" else "Bearer " + want
        if got is None:
            return "missing"
        return "ok" if got == expected else "wrong"

    def record(self, body, scenario, auth):
        if not self.server.opts.log:
            return
        headers = {}
        for k, v in self.headers.items():
            lk = k.lower()
            headers[lk] = "<redacted>" if lk in ("authorization", "x-api-key") else v
        line = json.dumps({"method": self.command, "path": self.path, "headers": headers,
                           "auth": auth, "scenario": scenario, "body": body,
                           "time": time.time()})
        with log_lock, open(self.server.opts.log, "a") as f:
            f.write(line + "\n")

    # ---- requests ----
    def do_GET(self):
        if self.path.rstrip("/").endswith("/models"):
            self.send_json(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})
        else:
            self.send_error_json(404, "no such path: " + self.path, "not_found_error")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
        scenario = self.scenario(body)
        auth = self.auth_state()
        self.record(body, scenario, auth)

        want_path = "/v1/messages" if self.flavor() == "anthropic" else "/v1/chat/completions"
        if self.path != want_path:
            return self.send_error_json(404, "no such path: %s (want %s)" % (self.path, want_path),
                                        "not_found_error")
        if auth in ("missing", "wrong"):
            kind = "authentication_error" if self.flavor() == "anthropic" else "invalid_api_key"
            return self.send_error_json(401, "invalid x-api-key" if self.flavor() == "anthropic"
                                        else "Incorrect API key provided", kind)
        if not isinstance(body, dict):
            return self.send_error_json(400, "the body is not JSON", "invalid_request_error")
        if self.flavor() == "anthropic":
            if not self.headers.get("anthropic-version"):
                return self.send_error_json(400, "anthropic-version: header is required",
                                            "invalid_request_error")
            if not isinstance(body.get("max_tokens"), int):
                return self.send_error_json(400, "max_tokens: Field required",
                                            "invalid_request_error")
        if not body.get("messages"):
            return self.send_error_json(400, "messages: at least one message is required",
                                        "invalid_request_error")

        m = re.fullmatch(r"(\d{3})(?:x(\d+))?", scenario)
        if m:
            status, times = int(m.group(1)), m.group(2)
            if times is None or bump(scenario) <= int(times):
                return self.fail_with(status)
            scenario = "ok"
        m = re.fullmatch(r"slow=([\d.]+)", scenario)
        if m:
            time.sleep(float(m.group(1)))
            scenario = "ok"
        m = re.fullmatch(r"drip=(\d+)", scenario)
        drip = int(m.group(1)) / 1000.0 if m else 0.0
        if m:
            scenario = "ok"

        text = self.reply_text(body)
        if body.get("stream"):
            return self.answer_stream(body, text, scenario, drip)
        return self.answer_whole(body, text, scenario)

    def fail_with(self, status):
        extra = {}
        if status == 429:
            extra["Retry-After"] = self.server.opts.retry_after
            return self.send_error_json(429, "Rate limit reached; try again later",
                                        "rate_limit_error", extra)
        if status >= 500:
            kind = "overloaded_error" if status == 529 else "api_error"
            return self.send_error_json(status, "The server had an error (fake %d)" % status, kind)
        messages = {400: "max_tokens is too large for this model (fake 400)",
                    401: "Incorrect API key provided", 403: "forbidden (fake 403)",
                    404: "The model does not exist (fake 404)"}
        return self.send_error_json(status, messages.get(status, "fake %d" % status),
                                    "invalid_request_error")

    # ---- OpenAI and Anthropic answers ----
    def usage(self, body, text):
        prompt = sum(len(json.dumps(m)) for m in body.get("messages") or []) // 4
        return prompt, len(text.split())

    def answer_whole(self, body, text, scenario):
        model = body.get("model")
        pt, ct = self.usage(body, text)
        if self.flavor() == "anthropic":
            obj = {"id": "msg_fake", "type": "message", "role": "assistant", "model": model,
                   "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
                   "usage": {"input_tokens": pt, "output_tokens": ct}}
        else:
            obj = {"id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
                   "model": model,
                   "choices": [{"index": 0, "finish_reason": "stop",
                                "message": {"role": "assistant", "content": text}}],
                   "usage": {"prompt_tokens": pt, "completion_tokens": ct,
                             "total_tokens": pt + ct}}
        data = json.dumps(obj).encode()
        if scenario == "malformed":
            data = data[: len(data) // 2] + b"}}garbage"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if scenario == "cut":
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(data)

    def answer_stream(self, body, text, scenario, drip=0.0):
        model = body.get("model")
        pt, ct = self.usage(body, text)
        pieces = [text[i:i + 7] for i in range(0, len(text), 7)]
        events = []
        if self.flavor() == "anthropic":
            def ev(name, obj):
                events.append(("event: %s\ndata: %s\n\n" % (name, json.dumps(obj))).encode())
            ev("message_start", {"type": "message_start", "message": {
                "id": "msg_fake", "type": "message", "role": "assistant", "model": model,
                "content": [], "stop_reason": None,
                "usage": {"input_tokens": pt, "output_tokens": 1}}})
            ev("content_block_start", {"type": "content_block_start", "index": 0,
                                       "content_block": {"type": "text", "text": ""}})
            events.append(b"event: ping\ndata: {\"type\": \"ping\"}\n\n")
            for n, p in enumerate(pieces):
                if scenario == "malformed" and n == 3:
                    events.append(b"event: content_block_delta\ndata: {\"type\": \"content_bl\n\n")
                if scenario == "error-event" and n == 3:
                    ev("error", {"type": "error", "error": {"type": "overloaded_error",
                                                            "message": "Overloaded"}})
                ev("content_block_delta", {"type": "content_block_delta", "index": 0,
                                           "delta": {"type": "text_delta", "text": p}})
            ev("content_block_stop", {"type": "content_block_stop", "index": 0})
            ev("message_delta", {"type": "message_delta",
                                 "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                 "usage": {"output_tokens": ct}})
            ev("message_stop", {"type": "message_stop"})
        else:
            base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk",
                    "created": int(time.time()), "model": model}
            include_usage = (body.get("stream_options") or {}).get("include_usage")

            def chunk(delta, finish=None, usage=None):
                obj = dict(base, choices=[{"index": 0, "delta": delta, "finish_reason": finish}])
                if include_usage:
                    obj["usage"] = usage
                events.append(("data: %s\n\n" % json.dumps(obj)).encode())
            chunk({"role": "assistant", "content": ""})
            for n, p in enumerate(pieces):
                if scenario == "malformed" and n == 3:
                    events.append(b"data: {\"choices\": [{\"delta\": {\"content\n\n")
                if scenario == "error-event" and n == 3:
                    events.append(b"data: {\"error\": {\"message\": \"The server had an error "
                                  b"while processing your request\", \"type\": \"server_error\"}}\n\n")
                chunk({"content": p})
            chunk({}, "stop")
            if include_usage:
                obj = dict(base, choices=[], usage={"prompt_tokens": pt, "completion_tokens": ct,
                                                    "total_tokens": pt + ct})
                events.append(("data: %s\n\n" % json.dumps(obj)).encode())
            events.append(b"data: [DONE]\n\n")
        payload = b"".join(events)
        cut_at = None
        if scenario == "cut":
            cut_at = len(b"".join(events[: len(events) // 2])) + 9  # inside an event
        self.stream_bytes(payload, cut_at, drip)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--flavor", choices=("openai", "anthropic"), required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0: any free port")
    ap.add_argument("--log", help="append one JSON line per request here")
    ap.add_argument("--key", help="the API key to demand (401 otherwise)")
    ap.add_argument("--control", help="a file whose first line names the scenario")
    ap.add_argument("--retry-after", default="1", help="the Retry-After a 429 carries")
    ap.add_argument("--reply", help="a file with the answer's text ({nmsg}, {nchars})")
    opts = ap.parse_args()

    server = ThreadingHTTPServer((opts.host, opts.port), Handler)
    server.daemon_threads = True
    server.opts = opts
    server.reply = open(opts.reply).read() if opts.reply else None
    print("ready %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
