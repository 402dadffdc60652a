"""Answers on TCP and UDP ports, on every address of the namespace it runs in: a TCP client
gets "ok PORT\n", a UDP datagram is answered with "ok PORT" (enough for a DNS stand-in).
Addresses added after it starts get no UDP answer: start it last.

    listen.py --tcp 80,443 --udp 53
"""

import argparse
import socket
import subprocess
import threading


def tcp(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(64)
    while True:
        c, _ = s.accept()
        try:
            c.sendall(f"ok {port}\n".encode())
        finally:
            c.close()


def udp(port, address):
    # One socket per address, so a reply leaves from the address asked (NAT matches it).
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((address, port))
    while True:
        _, peer = s.recvfrom(4096)
        s.sendto(f"ok {port}".encode(), peer)


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--tcp", default="")
    a.add_argument("--udp", default="")
    args = a.parse_args()
    threads = [threading.Thread(target=tcp, args=(int(p),), daemon=True) for p in args.tcp.split(",") if p]
    addresses = subprocess.run(["ip", "-o", "-4", "addr", "show"], capture_output=True, text=True, check=True).stdout
    local = [line.split()[3].split("/")[0] for line in addresses.splitlines()]
    threads += [threading.Thread(target=udp, args=(int(p), a), daemon=True)
                for p in args.udp.split(",") if p for a in local]
    for t in threads:
        t.start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
