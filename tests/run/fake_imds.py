"""An instance metadata service that takes IMDSv2 only, as the Nomad clients' launch template
sets it (http_tokens = "required"): PUT /latest/api/token gives a token, every GET must carry
it (401 otherwise). What it answers is read from a JSON file at each request, so a test can
change it (the lifecycle state); each request is logged as a JSON line.

    fake_imds.py ADDRESS STATE.json LOG.jsonl
STATE.json: {"meta-data": {"instance-id": "i-...", ...}, "credentials": {"role": ..., ...}}
"""

import json
import secrets
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ADDRESS, STATE, LOG = sys.argv[1], sys.argv[2], sys.argv[3]
TOKENS = set()


def log(entry):
    with open(LOG, "a") as f:
        f.write(json.dumps(entry) + "\n")


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body=""):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self):
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        log({"method": "PUT", "path": self.path, "ttl": ttl})
        if self.path != "/latest/api/token" or not ttl:
            return self.answer(400)
        token = secrets.token_hex(16)
        TOKENS.add(token)
        self.answer(200, token)

    def do_GET(self):
        token = self.headers.get("X-aws-ec2-metadata-token")
        log({"method": "GET", "path": self.path, "token": token in TOKENS, "t": time.time()})
        if token not in TOKENS:
            return self.answer(401)
        with open(STATE) as f:
            state = json.load(f)
        path = self.path
        creds = state.get("credentials")
        if path.startswith("/latest/meta-data/iam/security-credentials/") and creds:
            role = path.rsplit("/", 1)[1]
            if not role:
                return self.answer(200, creds["role"])
            if role == creds["role"]:
                return self.answer(200, json.dumps({
                    "Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": "ASIATESTTESTTESTTEST",
                    "SecretAccessKey": "test", "Token": "test", "LastUpdated": "2019-02-07T00:00:00Z",
                    "Expiration": "2099-01-01T00:00:00Z"}))
        if path.startswith("/latest/meta-data/"):
            value = state["meta-data"].get(path[len("/latest/meta-data/"):])
            if value is not None:
                return self.answer(200, value)
        self.answer(404)


ThreadingHTTPServer((ADDRESS, 80), Handler).serve_forever()
