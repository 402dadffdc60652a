"""Tries each target once and prints, as JSON, whether it answered: a TCP connection that
reads the listener's greeting, or a UDP datagram that gets a reply within the timeout.

    probe.py [--source ADDR] [--timeout S] '[["tcp", "10.0.1.1", 4646], ["udp", "10.0.0.2", 53]]'
"""

import argparse
import json
import socket


def one(proto, addr, port, source, timeout):
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(socket.AF_INET, kind)
    s.settimeout(timeout)
    try:
        if source:
            s.bind((source, 0))
        if proto == "tcp":
            s.connect((addr, port))
            return s.recv(64).startswith(b"ok")
        # Connected, so an ICMP refusal ends the wait at once.
        s.connect((addr, port))
        s.send(b"probe")
        return s.recv(64).startswith(b"ok")
    except OSError:
        return False
    finally:
        s.close()


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--source")
    a.add_argument("--timeout", type=float, default=1.5)
    a.add_argument("targets")
    args = a.parse_args()
    print(json.dumps([one(p, h, int(n), args.source, args.timeout) for p, h, n in json.loads(args.targets)]))


if __name__ == "__main__":
    main()
