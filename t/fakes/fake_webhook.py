"""t/fakes/fake_webhook.py - a receiver of notify_webhook's POSTs that
verifies X-Salve-Signature (sha256=hex HMAC of the body with --secret)
and answers 401 when it does not match."""
import hashlib
import hmac
import sys
import os

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from recorder import Recorder, serve  # noqa: E402


class Webhook(Recorder):
    def check(self, path, headers, body):
        secret = self.state["opts"].secret.encode()
        want = "sha256=" + hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, headers.get("X-Salve-Signature", "")):
            return 401, "bad signature", {}
        if not headers.get("X-Salve-Event-Id"):
            return 400, "no event id", {}
        return 200, "ok", {}


if __name__ == "__main__":
    serve(Webhook, [(("--secret",), {"required": True})])
