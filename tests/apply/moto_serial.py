#!/usr/bin/env python3
"""The AWS API emulator (moto's server) answering one request at a time.

    moto_serial.py HOST PORT

moto's own `moto_server` handles each request on a thread of its own, and its models are not
safe for that: two `RevokeSecurityGroupIngress` calls on one group at once each rewrite the
group's rule list from the one they read, so a `terraform destroy -parallelism=20` of many rules
sometimes fails with `InvalidPermission.NotFound` for a rule that was there. Terraform still
sends side by side (the connections are threaded, HTTP/1.1); only moto's work is serialised.
"""

import os
import signal
import sys
import threading

# moto builds some URLs (an SQS queue's) with the port it serves on, as its own server does.
os.environ.setdefault("MOTO_PORT", sys.argv[2] if len(sys.argv) > 2 else "5000")

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def serial(environ, start_response):
        with lock:
            # The body is produced inside the lock too: moto's responses are computed lazily.
            return list(app(environ, start_response))

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    run_simple(host, port, serial, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
