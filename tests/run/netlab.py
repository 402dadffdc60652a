"""Network namespaces for the tests that run the generated scripts (tests/run/*.py).

A Lab owns the namespaces, veth pairs and processes it makes and removes them all, whatever
happens; names carry the test's process id and a tag, so tests running side by side never
meet. Nothing leaves the namespaces: they are linked only to each other.
"""

import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def sh(*cmd, check=True, **kw):
    """Runs a command, returning its CompletedProcess (text); fails loudly when check."""
    p = subprocess.run(list(cmd), capture_output=True, text=True, **kw)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}\n{p.stdout}{p.stderr}")
    return p


class Lab:
    def __init__(self, tag):
        self.prefix = f"cci{os.getpid()}{tag}"
        self.namespaces = []
        self.processes = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def ns(self, name):
        """A new network namespace with its loopback up; returns its full name."""
        full = f"{self.prefix}-{name}"
        sh("ip", "netns", "add", full)
        self.namespaces.append(full)
        self.run(full, "ip", "link", "set", "lo", "up")
        return full

    def run(self, ns, *cmd, check=True, timeout=60):
        return sh("ip", "netns", "exec", ns, *cmd, check=check, timeout=timeout)

    def link(self, ns_a, if_a, addr_a, ns_b, if_b, addr_b):
        """A veth pair between two namespaces, each end named and addressed (CIDR or None)."""
        sh("ip", "link", "add", if_a, "netns", ns_a, "type", "veth", "peer", "name", if_b, "netns", ns_b)
        for ns, iface, addr in ((ns_a, if_a, addr_a), (ns_b, if_b, addr_b)):
            if addr:
                self.run(ns, "ip", "addr", "add", addr, "dev", iface)
            self.run(ns, "ip", "link", "set", iface, "up")

    def addresses(self, ns, *addrs):
        """Extra addresses on the namespace's loopback (the hosts it stands for)."""
        for a in addrs:
            self.run(ns, "ip", "addr", "add", a if "/" in a else a + "/32", "dev", "lo")

    def spawn(self, ns, *cmd, log=None, env=None):
        """A process inside the namespace, in a session of its own; killed by close()."""
        out = open(log, "a") if log else subprocess.DEVNULL
        p = subprocess.Popen(["ip", "netns", "exec", ns, *cmd], stdout=out, stderr=subprocess.STDOUT,
                             start_new_session=True, env=env)
        self.processes.append(p)
        return p

    def listen(self, ns, tcp=(), udp=(), log=None):
        """Answers on these ports on every address of the namespace (tests/run/listen.py)."""
        args = [sys.executable, os.path.join(HERE, "listen.py"), "--tcp", ",".join(map(str, tcp)),
                "--udp", ",".join(map(str, udp))]
        p = self.spawn(ns, *args, log=log)
        wait_for(lambda: probe(self, ns, [("tcp", "127.0.0.1", tcp[0])])[0] if tcp else True,
                 what=f"listeners in {ns}")
        return p

    def close(self):
        for p in self.processes:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait(timeout=10)
        for ns in reversed(self.namespaces):
            # Processes started inside by the scripts under test (their own sessions) go too.
            pids = sh("ip", "netns", "pids", ns, check=False).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            sh("ip", "netns", "del", ns, check=False)
        self.namespaces.clear()


def probe(lab, ns, targets, source=None, timeout=1.5):
    """Whether each (proto, address, port) answers from inside `ns` (tests/run/probe.py)."""
    args = [sys.executable, os.path.join(HERE, "probe.py"), "--timeout", str(timeout)]
    if source:
        args += ["--source", source]
    p = lab.run(ns, *args, json.dumps(targets), timeout=60 + len(targets) * (timeout + 1))
    return json.loads(p.stdout)


def wait_for(condition, what, seconds=20.0, step=0.1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(step)
    raise RuntimeError(f"timed out after {seconds} s waiting for {what}")


class Checks:
    """One line per check; a failed check fails the run at the end."""

    def __init__(self):
        self.failed = []

    def __call__(self, ok, what):
        print(("ok    " if ok else "FAIL  ") + what, flush=True)
        if not ok:
            self.failed.append(what)
        return ok

    def exit(self):
        if self.failed:
            print(f"{len(self.failed)} check(s) failed", flush=True)
            sys.exit(1)
        print("all checks passed", flush=True)
