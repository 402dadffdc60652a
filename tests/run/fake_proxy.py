"""An HTTP forward proxy standing for the company's: it takes absolute-URI requests (what
clients send to an http_proxy for http:// URLs), sends them on, and logs each as a JSON line.
Names in HOSTS.json are sent to the address given there; it resolves nothing else.

    fake_proxy.py ADDRESS PORT HOSTS.json LOG.jsonl
"""

import http.client
import json
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ADDRESS, PORT, HOSTS, LOG = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def forward(self):
        url = urllib.parse.urlsplit(self.path)
        with open(LOG, "a") as f:
            f.write(json.dumps({"method": self.command, "url": self.path, "client": self.client_address[0]}) + "\n")
        hosts = json.load(open(HOSTS))
        target = hosts.get(url.hostname)
        if url.scheme != "http" or not target:
            self.send_response(502)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
        host, port = target.split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "connection")}
        path = url.path + ("?" + url.query if url.query else "")
        conn.request(self.command, path or "/", body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = forward


ThreadingHTTPServer((ADDRESS, PORT), Handler).serve_forever()
