"""t/fakes/fake_slack.py - a Slack incoming webhook: JSON with text or
blocks, Block Kit limits checked as Slack does (400 invalid_blocks), "ok"
on success, 404 channel_not_found for a path ending in /gone.  With --rate-limit, a second message within a second of the
last gets 429 with Retry-After: 1, as Slack's 1 per second limit."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from recorder import Recorder, serve  # noqa: E402


def blocks_of(msg):
    for block in msg.get("blocks", []):
        yield block
    for att in msg.get("attachments", []):
        for block in att.get("blocks", []):
            yield block


def invalid(msg):
    if not isinstance(msg, dict) or not (msg.get("text") or msg.get("blocks") or msg.get("attachments")):
        return "no_text"
    for block in blocks_of(msg):
        text = (block.get("text") or {}).get("text", "")
        if len(text) > 3000:
            return "section text over 3000 characters"
        if len(block.get("fields", [])) > 10:
            return "more than 10 fields"
        for f in block.get("fields", []):
            if len(f.get("text", "")) > 2000:
                return "field over 2000 characters"
        for el in block.get("elements", []):
            if el.get("type") == "button" and len(el["text"]["text"]) > 75:
                return "button text over 75 characters"
    return None


class Slack(Recorder):
    last = 0.0

    def check(self, path, headers, body):
        if path.endswith("/gone"):  # a webhook whose channel was deleted
            return 404, "channel_not_found", {}
        try:
            msg = json.loads(body)
        except ValueError:
            return 400, "invalid_payload", {}
        why = invalid(msg)
        if why:
            return 400, "invalid_blocks: " + why, {}
        now = time.time()
        if self.state["opts"].rate_limit and now - Slack.last < 1.0:
            return 429, "rate_limited", {"Retry-After": "1"}
        Slack.last = now
        return 200, "ok", {}


if __name__ == "__main__":
    serve(Slack, [(("--rate-limit",), {"action": "store_true"})])
