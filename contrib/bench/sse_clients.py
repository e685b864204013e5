#!/usr/bin/env python3
"""contrib/bench/sse_clients.py - hold many Server-Sent Events streams at once.

    sse_clients.py --url http://127.0.0.1:PORT --token-file F --paths FILE [--timeout S]

Opens one HTTP/1.1 connection per line of FILE (a path such as
/api/v1/alerts/<id>/analysis/stream), all at once from one process, and
reads each until "event: done" or the timeout.  Prints how many were
accepted (200), how many saw their first token and their end, and the
time to first token and to done, then "RESULT key=value ...".  Loopback only.
"""
import argparse
import asyncio
import statistics
import sys
import time
from urllib.parse import urlparse


async def follow(host, port, path, token, timeout, out):
    t0 = time.monotonic()
    rec = {"status": None, "first": None, "done": None, "error": None}
    out.append(rec)
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        writer.write((f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
                      "Accept: text/event-stream\r\n\r\n").encode())
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout)
        rec["status"] = int(line.split()[1])
        deadline = t0 + timeout
        while True:
            line = await asyncio.wait_for(reader.readline(), max(0.01, deadline - time.monotonic()))
            if not line:
                break
            if line.startswith(b"event: token") and rec["first"] is None:
                rec["first"] = time.monotonic() - t0
            if line.startswith(b"event: done"):
                rec["done"] = time.monotonic() - t0
                break
        writer.close()
    except Exception as e:  # a refused or timed-out stream is counted, not fatal
        rec["error"] = type(e).__name__


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--paths", required=True)
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()
    u = urlparse(a.url)
    if u.hostname not in ("127.0.0.1", "::1", "localhost"):
        sys.exit("sse_clients.py: loopback targets only")
    token = open(a.token_file).read().strip()
    paths = [p.strip() for p in open(a.paths) if p.strip()]
    out = []
    await asyncio.gather(*(follow(u.hostname, u.port, p, token, a.timeout, out) for p in paths))
    ok = [r for r in out if r["status"] == 200]
    first = [r["first"] for r in ok if r["first"] is not None]
    done = [r["done"] for r in ok if r["done"] is not None]
    errors = {}
    for r in out:
        if r["error"]:
            errors[r["error"]] = errors.get(r["error"], 0) + 1
    q = lambda v, p: (sorted(v)[min(len(v) - 1, int(len(v) * p))] if v else float("nan"))
    print(f"streams={len(out)} accepted={len(ok)} first_token={len(first)} done={len(done)} errors={errors}")
    print(f"RESULT streams={len(out)} accepted={len(ok)} done={len(done)} "
          f"first_p50_s={q(first, .5):.2f} done_p50_s={q(done, .5):.2f} done_max_s={max(done) if done else float('nan'):.2f}")


asyncio.run(main())
