#!/usr/bin/env python3
"""Applies a site's build isolation (cloud-init/nomad-client.yaml: circleci-build-isolation,
run unmodified in a sandbox) to a Nomad client made of network namespaces, and checks from a
"container" what it reaches.

    isolation.py CCI_DSL SITE.cci

The namespaces: `host` (the Nomad client: `docker0` 172.17.0.1/16 towards a container, `ens3`
10.0.1.10/24 towards the VPC, Docker 17.03's iptables rules as libnetwork 17.05.x's bridge
driver writes them), `c1` (a container on docker0), `c2` and `c3` (containers on networks
Docker makes later, `br-...`), and `vpc` (everything else: the services box 10.0.1.20, the
site's Nomad servers, the instance metadata service and the VPC resolver on 169.254.x, the VPC
resolver at 10.0.0.2, and 198.51.100.10 standing for the internet). Every address lives in
these namespaces; every wait is bounded; all of it is removed at the end.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netlab import Checks, Lab, probe  # noqa: E402
from sandbox import Sandbox  # noqa: E402

SERVICES = "10.0.1.20"
HOST = "10.0.1.10"
INTERNET = "198.51.100.10"
IMDS = "169.254.169.254"
RESOLVER = "169.254.169.253"
VPC_RESOLVER = "10.0.0.2"
LATER = [("c2", "br-0a1b2c3d4e5f", "172.18.0"), ("c3", "br-1b2c3d4e5f6a", "172.19.0")]


def filled(text, values):
    """The user-data as Terraform's templatefile renders it with these values."""
    for k, v in values.items():
        text = text.replace("${%s}" % k, v)
    return text.replace("$${", "${").replace("%%{", "%{")


def env_value(user_data, name):
    return re.search(rf"^\s*{name}='([^']*)'", user_data, re.M).group(1)


class Docker1703:
    """The iptables rules Docker 17.03 writes (libnetwork 17.05.x drivers/bridge/
    setup_ip_tables.go, setup_ip_forwarding.go and iptables/iptables.go), applied by hand."""

    def __init__(self, lab, ns):
        self.lab, self.ns = lab, ns

    def ipt(self, *args, check=True):
        return self.lab.run(self.ns, "iptables", "-w", *args, check=check)

    def start(self):
        # setupIPChains and setupIPForwarding; on a restart removeIPChains flushed
        # DOCKER-ISOLATION (with whatever jumps others had put there) first.
        self.ipt("-t", "nat", "-N", "DOCKER", check=False)
        self.ipt("-N", "DOCKER", check=False)
        self.ipt("-N", "DOCKER-ISOLATION", check=False)
        if self.ipt("-C", "DOCKER-ISOLATION", "-j", "RETURN", check=False).returncode != 0:
            self.ipt("-I", "DOCKER-ISOLATION", "-j", "RETURN")
        self.ipt("-P", "FORWARD", "DROP")

    def restart(self):
        self.ipt("-F", "DOCKER-ISOLATION")
        self.ipt("-X", "DOCKER-ISOLATION", check=False)  # still referenced: stays, empty
        self.start()

    def network(self, bridge, subnet):
        """setupIPTablesInternal, ProgramChain and ensureJumpRule for one bridge network."""
        self.ipt("-t", "nat", "-I", "POSTROUTING", "-s", subnet, "!", "-o", bridge, "-j", "MASQUERADE")
        self.ipt("-t", "nat", "-I", "DOCKER", "-i", bridge, "-j", "RETURN")
        self.ipt("-I", "FORWARD", "-i", bridge, "-o", bridge, "-j", "ACCEPT")
        self.ipt("-I", "FORWARD", "-i", bridge, "!", "-o", bridge, "-j", "ACCEPT")
        self.ipt("-I", "FORWARD", "-o", bridge, "-j", "DOCKER")
        self.ipt("-I", "FORWARD", "-o", bridge, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT")
        self.ipt("-D", "FORWARD", "-j", "DOCKER-ISOLATION", check=False)
        self.ipt("-I", "FORWARD", "-j", "DOCKER-ISOLATION")


def main():
    cci, site = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="cci-isolation-")
    check = Checks()
    try:
        out = os.path.join(work, "out")
        b = subprocess.run([cci, "build", site, "-o", out], capture_output=True, text=True)
        if b.returncode != 0:
            sys.exit(f"build failed:\n{b.stderr}")
        raw = open(os.path.join(out, "cloud-init/nomad-client.yaml")).read()
        user_data = filled(raw, {"services_private_ip": SERVICES})
        with Lab(f"i{os.getpid() % 1000}") as lab:
            run(lab, check, user_data, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    check.exit()


def run(lab, check, user_data, work):
    servers = env_value(user_data, "ISOLATION_SERVERS").split()
    first, last = map(int, env_value(user_data, "ISOLATION_NOMAD_PORTS").split(":"))
    nomad_ports = list(range(first, last + 1))
    host, vpc, c1 = lab.ns("host"), lab.ns("vpc"), lab.ns("c1")
    lab.link(host, "ens3", f"{HOST}/24", vpc, "eth0", "10.0.1.1/24")
    lab.run(vpc, "ip", "addr", "add", f"{SERVICES}/24", "dev", "eth0")
    lab.addresses(vpc, IMDS, RESOLVER, "169.254.169.123", VPC_RESOLVER, INTERNET,
                  *[s for s in servers if s != SERVICES])
    lab.run(host, "ip", "route", "add", "default", "via", "10.0.1.1")
    lab.run(host, "sysctl", "-qw", "net.ipv4.ip_forward=1")
    lab.link(c1, "eth0", "172.17.0.2/16", host, "docker0", "172.17.0.1/16")
    lab.run(c1, "ip", "route", "add", "default", "via", "172.17.0.1")
    docker = Docker1703(lab, host)
    docker.start()
    docker.network("docker0", "172.17.0.0/16")
    log = os.path.join(work, "listen.log")
    lab.listen(host, tcp=[*nomad_ports, 8080], udp=nomad_ports, log=log)
    lab.listen(vpc, tcp=[*nomad_ports, 8585, 7171, 3001, 80, 443, 53], udp=[53, *nomad_ports], log=log)

    refused = [("tcp", "172.17.0.1", p) for p in nomad_ports] + [("udp", "172.17.0.1", p) for p in nomad_ports]
    refused += [("tcp", HOST, p) for p in nomad_ports]
    refused += [("tcp", s, p) for s in servers for p in nomad_ports]
    refused += [("tcp", IMDS, 80), ("udp", "169.254.169.123", 53)]
    allowed = [("udp", RESOLVER, 53), ("tcp", RESOLVER, 53), ("udp", VPC_RESOLVER, 53),
               ("tcp", INTERNET, 443), ("tcp", INTERNET, 80), ("tcp", "172.17.0.1", 8080)]
    # The services box's ports builds use (guide appendix, Nomad Clients) stay open.
    allowed += [("tcp", SERVICES, p) for p in (8585, 7171, 3001)]

    # Without the filter (Docker 17.03 as it comes) the container reaches all of it.
    before = probe(lab, c1, refused + allowed)
    check(all(before), f"without the filter a container reaches all {len(before)} targets (the test sees a hole)")

    box = Sandbox(lab, host, "host", parent=work)
    try:
        box.write_files(user_data, sys.executable)
        applied = box.run("/usr/local/sbin/circleci-build-isolation", check=False)
        check(applied.returncode == 0, f"circleci-build-isolation runs (exit {applied.returncode}) {applied.stderr.strip()}")
        expect(lab, check, c1, "a container on docker0", refused, allowed)
        from_box = probe(lab, vpc, [("tcp", HOST, p) for p in nomad_ports], source=SERVICES)
        check(all(from_box), f"the services box still reaches the client's {first}-{last}: {from_box}")
        local = probe(lab, host, [("tcp", IMDS, 80), ("tcp", "127.0.0.1", first), ("udp", RESOLVER, 53)])
        check(all(local), f"the host itself still reaches the metadata service, its agent and DNS: {local}")

        # A network Docker makes later puts its ACCEPT above the filter's jump in FORWARD;
        # the jump in DOCKER-ISOLATION, which Docker keeps first, still catches it.
        ns2, bridge2, net2 = LATER[0]
        c2 = later_network(lab, docker, host, ns2, bridge2, net2)
        rules = lab.run(host, "iptables", "-S", "FORWARD").stdout.splitlines()
        accept = rules.index(f"-A FORWARD -i {bridge2} ! -o {bridge2} -j ACCEPT")
        jump = rules.index("-A FORWARD -i br-+ -j CIRCLECI-BUILDS")
        check(rules[1] == "-A FORWARD -j DOCKER-ISOLATION" and accept < jump,
              "FORWARD: Docker's jump first, the new network's ACCEPT above the filter's own jump")
        expect(lab, check, c2, f"a container on {bridge2}, made later", retarget(refused, net2), allowed)

        # Docker restarts: it empties DOCKER-ISOLATION, and a network made then is open, until
        # the unit bound to docker.service runs the script again.
        docker.restart()
        ns3, bridge3, net3 = LATER[1]
        c3 = later_network(lab, docker, host, ns3, bridge3, net3)
        hole = probe(lab, c3, [("tcp", IMDS, 80), ("tcp", servers[0], first)])
        check(all(hole), f"after Docker restarts, before the unit runs again, {bridge3} is open: {hole}")
        again = box.run("/usr/local/sbin/circleci-build-isolation", check=False)
        check(again.returncode == 0, "the unit's script runs again after Docker's start")
        expect(lab, check, c3, f"a container on {bridge3}, after the script ran again", retarget(refused, net3), allowed)
        expect(lab, check, c1, "the container on docker0, after it all", refused, allowed)
        rerun = lab.run(host, "iptables", "-S").stdout
        check(rerun.count("-j CIRCLECI-BUILDS-HOST") == 3 and rerun.count("-A DOCKER-ISOLATION -i") == 3,
              "running the script twice leaves one jump per bridge in INPUT and DOCKER-ISOLATION")
    finally:
        lab.close()
        box.remove()


def retarget(targets, net):
    """The same targets, with docker0's gateway replaced by this network's."""
    return [(p, f"{net}.1" if a == "172.17.0.1" else a, n) for p, a, n in targets]


def later_network(lab, docker, host, ns, bridge, net):
    c = lab.ns(ns)
    lab.link(c, "eth0", f"{net}.2/16", host, bridge, f"{net}.1/16")
    lab.run(c, "ip", "route", "add", "default", "via", f"{net}.1")
    docker.network(bridge, f"{net}.0/16")
    return c


def expect(lab, check, ns, who, refused, allowed):
    got = probe(lab, ns, refused + allowed)
    for (proto, addr, port), ok in zip(refused, got[: len(refused)]):
        check(not ok, f"{who} cannot reach {proto} {addr}:{port}")
    for (proto, addr, port), ok in zip(allowed, got[len(refused):]):
        check(ok, f"{who} reaches {proto} {addr}:{port}")


if __name__ == "__main__":
    main()
