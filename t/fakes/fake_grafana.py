"""t/fakes/fake_grafana.py - Grafana's POST /api/annotations: a Bearer
service-account token (--token, else 401) and the body Grafana needs
(time in ms, tags a list of strings, text; 400 otherwise).  Answers
{"message": "Annotation added", "id": N}."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from recorder import Recorder, serve  # noqa: E402


class Grafana(Recorder):
    next_id = 1

    def check(self, path, headers, body):
        if path != "/api/annotations":
            return 404, json.dumps({"message": "Not found"}), {}
        if headers.get("Authorization") != "Bearer " + self.state["opts"].token:
            return 401, json.dumps({"message": "Unauthorized"}), {}
        try:
            a = json.loads(body)
        except ValueError:
            return 400, json.dumps({"message": "bad request data"}), {}
        if not isinstance(a.get("time"), int) or not isinstance(a.get("text"), str) or \
                not isinstance(a.get("tags"), list) or not all(isinstance(t, str) for t in a["tags"]):
            return 400, json.dumps({"message": "bad request data"}), {}
        Grafana.next_id += 1
        return 200, json.dumps({"message": "Annotation added", "id": Grafana.next_id - 1}), \
            {"Content-Type": "application/json"}


if __name__ == "__main__":
    serve(Grafana, [(("--token",), {"required": True})])
