"""A Kubernetes API server that knows ConfigMaps, for tests/ha_upgrade.rs: lists them by label
selector and replaces one with optimistic concurrency (resourceVersion), over TLS with a token.

    fake_api.py STATE_JSON CERT KEY TOKEN PORT_FILE

STATE_JSON holds {"configmaps": [...], "puts": 0, "conflicts": N}: each PUT is counted, and the
first N PUTs answer 409 after a concurrent change (the resourceVersion moves on). The file is
rewritten after every change, so the test reads the server's state from it.
"""
import json
import ssl
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

STATE, CERT, KEY, TOKEN, PORT_FILE = sys.argv[1:6]


def load():
    with open(STATE) as f:
        return json.load(f)


def save(state):
    with open(STATE, "w") as f:
        json.dump(state, f, indent=1)


class Api(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, code, body):
        data = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def authorized(self):
        if self.headers.get("Authorization") != "Bearer " + TOKEN:
            self.reply(401, {"kind": "Status", "code": 401})
            return False
        return True

    def do_GET(self):
        if not self.authorized():
            return
        url = urllib.parse.urlparse(self.path)
        parts = url.path.strip("/").split("/")
        if parts[:3] != ["api", "v1", "namespaces"] or parts[4:] != ["configmaps"]:
            return self.reply(404, {"kind": "Status", "code": 404})
        query = urllib.parse.parse_qs(url.query)
        wanted = dict(p.split("=", 1) for p in query.get("labelSelector", [""])[0].split(",") if p)
        items = [c for c in load()["configmaps"]
                 if c["metadata"]["namespace"] == parts[3]
                 and all(c["metadata"].get("labels", {}).get(k) == v for k, v in wanted.items())]
        self.reply(200, {"kind": "ConfigMapList", "apiVersion": "v1", "metadata": {}, "items": items})

    def do_PUT(self):
        if not self.authorized():
            return
        parts = urllib.parse.urlparse(self.path).path.strip("/").split("/")
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        state = load()
        state["puts"] += 1
        for i, c in enumerate(state["configmaps"]):
            if c["metadata"]["namespace"] == parts[3] and c["metadata"]["name"] == parts[5]:
                if state.get("conflicts", 0) > 0:
                    state["conflicts"] -= 1
                    c["metadata"]["resourceVersion"] = str(int(c["metadata"]["resourceVersion"]) + 1)
                    save(state)
                    return self.reply(409, {"kind": "Status", "code": 409, "reason": "Conflict"})
                if body["metadata"].get("resourceVersion") != c["metadata"]["resourceVersion"]:
                    save(state)
                    return self.reply(409, {"kind": "Status", "code": 409, "reason": "Conflict"})
                body["metadata"]["resourceVersion"] = str(int(c["metadata"]["resourceVersion"]) + 1)
                state["configmaps"][i] = body
                save(state)
                return self.reply(200, body)
        save(state)
        self.reply(404, {"kind": "Status", "code": 404})


server = HTTPServer(("127.0.0.1", 0), Api)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(CERT, KEY)
server.socket = context.wrap_socket(server.socket, server_side=True)
with open(PORT_FILE, "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
