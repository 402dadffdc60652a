#!/usr/bin/env python3
"""Runs a site's two boots and the Nomad client's drain for real, each machine a sandbox of
this machine (tests/run/sandbox.py) in a network namespace of its own, and checks what they did.

    boot.py CCI_DSL SITE.cci

The scripts run unmodified, as cloud-init runs them (write_files, then runcmd, umask 022).
What would change this machine or need the internet is a shim (tests/run/shims.py: apt-get,
apt-key, apt-mark, curl's downloads, docker, systemctl, nomad, replicated). Real: bash and the
scripts' other tools, curl to the instance metadata service (tests/run/fake_imds.py: IMDSv2
only, per machine), the AWS CLI (PyPI awscli) against the AWS API emulator
(tests/run/aws_emulator.py, moto) for SSM and Auto Scaling, and on a proxied site an HTTP proxy
(tests/run/fake_proxy.py) that is the only way to the emulator.

Release files: the Nomad zip holds the nomad stand-in; Docker's key is a key made here. The
site is built twice: with the stdlib as it is, where the boots must stop at the step that
checks the fingerprint or the checksum, and with a copy whose Docker key fingerprint and Nomad
SHA-256 are those of the files served, where both boots must finish.
"""

import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netlab import HERE, Checks, Lab, sh, wait_for  # noqa: E402
from sandbox import Sandbox  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
PY = sys.executable
AWS_CLI = os.environ.get("AWS_CLI") or shutil.which("aws") or ""
EMULATOR, EMULATOR_PORT, EMULATOR_NAME = "10.0.3.2", 4566, "aws.emulator.test"
SERVICES_IP, NOMAD_IP = "10.0.1.20", "10.0.2.10"
PASSPHRASE = "Abc123boot"


def filled(text, values):
    for k, v in values.items():
        text = text.replace("${%s}" % k, v)
    return text.replace("$${", "${").replace("%%{", "%{")


def env_value(text, name):
    m = re.search(rf"^\s*{name}='([^']*)'", text, re.M)
    return m.group(1) if m else None


def jsonl(path):
    try:
        return [json.loads(line) for line in open(path) if line.strip()]
    except OSError:
        return []


class Site:
    def __init__(self, path):
        t = open(path).read()
        self.name = re.search(r'^site\s+"([^"]+)"', t, re.M).group(1)
        self.region = re.search(r'\bregion\s*=\s*"([^"]+)"', t).group(1)
        proxy = re.search(r'\bhttps?\s*=\s*"(http://[^"]+)"', t)
        self.proxy = proxy.group(1) if proxy else None


class Run:
    def __init__(self, cci, site_path, work):
        self.cci, self.site_path, self.work = cci, site_path, work
        self.site = Site(site_path)
        self.check = Checks()
        self.files = self.release_files()

    def release_files(self):
        """The files curl's shim serves: a key made here, the Nomad stand-in's zip, the fake
        Replicated installer."""
        gnupg = os.path.join(self.work, "gnupg")
        os.makedirs(gnupg, mode=0o700)
        env = dict(os.environ, GNUPGHOME=gnupg)
        sh("gpg", "--batch", "--passphrase", "", "--quick-gen-key", "cci-dsl test <test@example.invalid>",
           "ed25519", "sign", "never", env=env)
        key = os.path.join(self.work, "docker.gpg")
        with open(key, "w") as f:
            f.write(sh("gpg", "--armor", "--export", env=env).stdout)
        colons = sh("gpg", "--with-colons", "--fingerprint", env=env).stdout
        fingerprint = next(line.split(":")[9] for line in colons.splitlines() if line.startswith("fpr"))
        shim = os.path.join(self.work, "shim")
        with open(shim, "w") as f:
            f.write(f"#!{PY}\n" + open(os.path.join(HERE, "shims.py")).read())
        os.chmod(shim, 0o755)
        zpath = os.path.join(self.work, "nomad.zip")
        with zipfile.ZipFile(zpath, "w") as z:
            info = zipfile.ZipInfo("nomad")
            info.external_attr = 0o100755 << 16
            z.writestr(info, open(shim).read())
        sha = hashlib.sha256(open(zpath, "rb").read()).hexdigest()
        return {"key": key, "fingerprint": fingerprint, "zip": zpath, "sha": sha, "shim": shim,
                "installer": os.path.join(HERE, "fake-replicated-install.sh")}

    def build(self, name, fingerprint, sha):
        """The site's outputs, with the stdlib as it is, or a copy holding the served key's
        fingerprint and (sha) the served zip's checksum."""
        out = os.path.join(self.work, name)
        args = [self.cci, "build", self.site_path, "-o", out]
        if fingerprint or sha:
            lib = os.path.join(self.work, "stdlib-" + name)
            shutil.copytree(os.path.join(ROOT, "stdlib/circleci-2.16"), lib)
            rel = os.path.join(lib, "release.cci")
            text = open(rel).read()
            if fingerprint:
                fp = re.search(r'key_fingerprint = "([0-9A-F]{40})"', text).group(1)
                text = text.replace(fp, self.files["fingerprint"])
            if sha:
                pinned = re.search(r'sha256     = "([0-9a-f]{64})"', text).group(1)
                text = text.replace(pinned, self.files["sha"])
            open(rel, "w").write(text)
            args = [self.cci, "--stdlib", lib] + args[1:]
        sh(*args)
        return out


def main():
    cci, site_path = sys.argv[1], sys.argv[2]
    if not AWS_CLI:
        sys.exit("the AWS CLI is needed (AWS_CLI, or aws on PATH)")
    work = tempfile.mkdtemp(prefix="cci-boot-")
    os.chmod(work, 0o755)
    run = Run(cci, site_path, work)
    try:
        with Lab(f"b{os.getpid() % 1000}") as lab:
            boot_all(run, lab)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    run.check.exit()


def network(lab):
    """The VPC namespace: the emulator, the proxy, a router to each machine's subnet."""
    vpc = lab.ns("vpc")
    lab.addresses(vpc, EMULATOR, "10.9.2.10")
    lab.run(vpc, "sysctl", "-qw", "net.ipv4.ip_forward=1")
    return vpc


def machine_ns(lab, vpc, name, ip):
    """A namespace for one machine, linked to the VPC; its metadata service's address."""
    ns = lab.ns(name)
    net = ip.rsplit(".", 1)[0]
    lab.link(ns, "ens3", f"{ip}/24", vpc, name[:15], f"{net}.1/24")
    lab.run(ns, "ip", "route", "add", "default", "via", f"{net}.1")
    lab.addresses(ns, "169.254.169.254")
    return ns


def boot_all(run, lab):
    check, w = run.check, run.work
    vpc = network(lab)
    lab.spawn(vpc, PY, os.path.join(HERE, "aws_emulator.py"), "serve", str(EMULATOR_PORT), f"{w}/aws.jsonl",
              log=f"{w}/emulator.log")
    endpoint = f"http://{EMULATOR}:{EMULATOR_PORT}"
    wait_for(lambda: lab.run(vpc, PY, "-c", f"import urllib.request; urllib.request.urlopen('{endpoint}/moto-api/')",
                             check=False).returncode == 0, what="the AWS emulator", seconds=60, step=0.5)
    if run.site.proxy:
        hosts = f"{w}/proxy-hosts.json"
        json.dump({EMULATOR_NAME: f"127.0.0.1:{EMULATOR_PORT}"}, open(hosts, "w"))
        lab.spawn(vpc, PY, os.path.join(HERE, "fake_proxy.py"), "10.9.2.10", "3128", hosts, f"{w}/proxy.jsonl",
                  log=f"{w}/proxy.log")
    real = run.build("real", fingerprint=False, sha=False)
    key_only = run.build("key-only", fingerprint=True, sha=False)
    served = run.build("served", fingerprint=True, sha=True)
    seed(lab, vpc, endpoint, run, {"parameter": f"/circleci/{run.site.name}/passphrase", "passphrase": PASSPHRASE})
    values = {"bucket": f"circleci-{run.site.name}-123456789012",
              "queue_url": f"{endpoint}/123456789012/{run.site.name}-circleci-nomad-shutdown",
              "vm_security_group_id": "", "services_private_ip": SERVICES_IP}

    # The release's own fingerprint and checksum stop a boot whose downloads do not match.
    failed = machine(run, lab, machine_ns(lab, vpc, "svc-real", "10.0.4.20"), "svc-real", "10.0.4.20", values,
                     open(f"{real}/cloud-init/services.yaml").read(), instance="i-0services0000000")
    expect_failure(check, failed, "the services box, Docker's key not the pinned one", "docker")
    failed = machine(run, lab, machine_ns(lab, vpc, "nomad-real", "10.0.5.10"), "nomad-real", "10.0.5.10", values,
                     open(f"{key_only}/cloud-init/nomad-client.yaml").read(), instance="i-0nomad000000000")
    expect_failure(check, failed, "a Nomad client, Nomad's zip not the pinned one", "nomad")
    check(not any(c["cmd"] == "unit-start" and c["args"] == ["nomad.service"] for c in failed.calls()),
          "... and Nomad was not started")

    # Both boots, in order: the services box, then a client that joins it.
    box = machine(run, lab, machine_ns(lab, vpc, "services", SERVICES_IP), "services", SERVICES_IP, values,
                  open(f"{served}/cloud-init/services.yaml").read(), instance="i-0services0000000")
    check_services(run, box, lab, vpc)
    nomad_yaml = open(f"{served}/cloud-init/nomad-client.yaml").read()
    group = f"{run.site.name}-nomad-test"
    made = seed(lab, vpc, endpoint, run, {"group": group, "hook": env_value(nomad_yaml, "LIFECYCLE_HOOK"),
                                          "timeout": int(env_value(nomad_yaml, "DRAIN_TIMEOUT_SECONDS"))})
    client = machine(run, lab, machine_ns(lab, vpc, "nomad", NOMAD_IP), "nomad", NOMAD_IP, values, nomad_yaml,
                     instance=made["instance"])
    check(box.finished_at and client.started_at and box.finished_at <= client.started_at,
          "the services box finished booting before the client started")
    check_nomad(run, client, nomad_yaml)
    check_drain(run, lab, vpc, endpoint, client, group, made["instance"], nomad_yaml)


def seed(lab, vpc, endpoint, run, spec):
    path = f"{run.work}/seed-{time.monotonic_ns()}.json"
    json.dump(spec, open(path, "w"))
    return json.loads(lab.run(vpc, PY, os.path.join(HERE, "aws_emulator.py"), "seed", endpoint, run.site.region,
                              path).stdout)


class Machine:
    def __init__(self, box, imds_state, status, output, started_at, finished_at):
        self.box, self.imds_state = box, imds_state
        self.status, self.output = status, output
        self.started_at, self.finished_at = started_at, finished_at

    def calls(self):
        return jsonl(self.box.path("/var/log/cci-test/calls.jsonl"))


def machine(run, lab, ns, name, ip, values, user_data, instance):
    """A machine booted from this user-data: its metadata service, its sandbox, cloud-init."""
    w = run.work
    state = f"{w}/imds-{name}.json"
    json.dump({"meta-data": {
        "instance-id": instance, "local-ipv4": ip, "mac": "0a:00:00:00:00:01",
        "network/interfaces/macs/0a:00:00:00:00:01/vpc-ipv4-cidr-blocks": "10.0.0.0/16",
        "ami-id": "ami-0123abcd"}, "credentials": {"role": f"{run.site.name}-role"}}, open(state, "w"))
    lab.spawn(ns, PY, os.path.join(HERE, "fake_imds.py"), "169.254.169.254", state, f"{w}/imds-{name}.jsonl",
              log=f"{w}/imds-{name}.log")
    box = Sandbox(lab, ns, name, parent=w)
    prepare(run, box)
    wait_for(lambda: box.run("/usr/bin/curl", "-s", "-o", "/dev/null", "-X", "PUT",
                             "-H", "X-aws-ec2-metadata-token-ttl-seconds: 60",
                             "http://169.254.169.254/latest/api/token", check=False).returncode == 0,
             what=f"{name}'s metadata service")
    commands = box.write_files(filled(user_data, values), PY)
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root",
           "LANG": "C.UTF-8"}
    started = time.time()
    status, output = 0, ""
    for cmd in commands:
        p = box.run("/bin/bash", "-c", 'umask 022; exec "$@"', "runcmd", *cmd, env=env, timeout=600, check=False)
        output += p.stdout + p.stderr
        status = p.returncode
        if status:
            break
    finished = time.time() if box.read("/var/lib/circleci/boot-ok") else None
    print(f"      {name}: boot exited {status} in {time.time() - started:.1f} s", flush=True)
    with open(f"{w}/boot-{name}.log", "w") as f:
        f.write(output)
    return Machine(box, state, status, output, started, finished)


def prepare(run, box):
    """What the image holds before the boot: the shims, the test's DNS, AWS's endpoint."""
    f = run.files
    lib = "/usr/local/lib/cci-test"
    box.run("/bin/mkdir", "-p", lib, "/etc/cci-test", "/root/.aws", "/var/log/cci-test")
    for src, dest in ((f["shim"], f"{lib}/shim"), (f["key"], f"{lib}/docker.gpg"), (f["zip"], f"{lib}/nomad.zip"),
                      (f["installer"], f"{lib}/replicated-install.sh")):
        box.run("/bin/cp", src, dest)
    for name in ("apt-get", "apt-key", "apt-mark", "curl", "docker", "systemctl"):
        box.run("/bin/ln", "-sf", f"{lib}/shim", f"/usr/local/sbin/{name}")
    lt = json.dumps({"aws": AWS_CLI, "downloads": {
        "https://download.docker.com/linux/ubuntu/gpg": f"{lib}/docker.gpg",
        "https://releases.hashicorp.com/nomad/0.5.6/nomad_0.5.6_linux_amd64.zip": f"{lib}/nomad.zip",
        "https://get.replicated.com/docker?replicated_tag=2.29.0&replicated_ui_tag=2.29.0&replicated_operator_tag=2.29.0":
            f"{lib}/replicated-install.sh"}})
    hosts = "127.0.0.1 localhost\n"
    if run.site.proxy:
        hosts += "10.9.2.10 proxy.corp.example.com\n"
    else:
        hosts += f"{EMULATOR} {EMULATOR_NAME}\n"
    for path, text in (("/etc/cci-test/config.json", lt), ("/etc/hosts", hosts),
                       ("/etc/resolv.conf", "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n"),
                       ("/root/.aws/config", f"[default]\nendpoint_url = http://{EMULATOR_NAME}:{EMULATOR_PORT}\n")):
        box.run("/bin/sh", "-c", 'cat > "$1"', "write", path, input=text)


def expect_failure(check, m, who, step):
    failed = m.box.read("/var/lib/circleci/boot-failed") or ""
    check(m.status != 0 and f"step: {step}\n" in failed and not m.box.read("/var/lib/circleci/boot-ok"),
          f"{who}: the boot stops and boot-failed names step {step!r} ({failed.splitlines()[:1]})")
    check(f'BOOT FAILED at step "{step}"' in m.output, f"{who}: the console says BOOT FAILED at step {step!r}")


def steps(m):
    return re.findall(r"circleci-boot: step: (.+)", m.output)


def calls(m, cmd):
    return [c for c in m.calls() if c["cmd"] == cmd]


def check_services(run, m, lab, vpc):
    check, site = run.check, run.site
    check(m.status == 0 and m.box.read("/var/lib/circleci/boot-ok") == "ok\n"
          and m.box.read("/var/lib/circleci/boot-failed") is None,
          "the services box's boot finishes" + ("" if m.status == 0 else f": {m.output[-600:]}"))
    check(steps(m) == ["proxy", "packages", "instance metadata", "docker", "settings", "replicated", "done"],
          f"its steps, in order: {steps(m)}")
    apt = [" ".join(c["args"]) for c in calls(m, "apt-get")]
    check(any("docker-ce=17.12.1~ce-0~ubuntu" in a.split() for a in apt), "docker-ce 17.12.1 (the release's pin)")
    check(any(c["args"] == ["hold", "docker-ce"] for c in calls(m, "apt-mark")), "docker-ce held")
    conf = "/var/lib/replicated/circle-config"
    secret = m.box.path(f"{conf}/circle_secret_passphrase")
    check(m.box.read(f"{conf}/circle_secret_passphrase") == PASSPHRASE + "\n"
          and oct(os.stat(secret).st_mode & 0o777) == "0o600",
          "the passphrase, from SSM through the AWS CLI and the emulator, readable by root only")
    check(m.box.read(f"{conf}/s3_bucket", "").startswith("circleci-"), "the settings Terraform filled in")
    inst = calls(m, "replicated-installer")
    check([c["attempt"] for c in inst] == [1, 2], f"Replicated's installer failed once and was run again: {len(inst)} runs")
    check(all(c["umask"] == "0022" for c in inst), f"... each time with umask 022: {[c['umask'] for c in inst]}")
    check(inst and f"local-address={SERVICES_IP}" in inst[-1]["args"] and "no-docker" in inst[-1]["args"],
          "... with local-address and no-docker")
    rep = m.box.path("/usr/local/bin/replicated")
    check(os.path.exists(rep) and oct(os.stat(rep).st_mode & 0o777) == "0o755"
          and oct(os.stat(m.box.path("/etc/replicated/replicated.conf")).st_mode & 0o777) == "0o644",
          "replicated is 0755 and its /etc file 0644: the settings' umask did not leak")
    got = [c for c in calls(m, "curl") if "replicated_tag=2.29.0" in " ".join(c["args"])]
    check(bool(got), "Replicated 2.29.0's installer fetched")
    if site.proxy:
        check(inst and f"http-proxy={site.proxy}" in inst[-1]["args"], "Replicated is told the site's proxy")
        check_proxied(run, m, ["docker.service"], "services box")
        via = [p for p in jsonl(f"{run.work}/proxy.jsonl") if p["client"] == SERVICES_IP]
        check(len(via) >= 1, f"the passphrase's SSM call went through the proxy ({len(via)} requests)")
    else:
        check(inst and "no-proxy" in inst[-1]["args"], "Replicated is told there is no proxy")


def check_proxied(run, m, units, who):
    """Every unit that talks to the network was started with the site's proxy."""
    started = {c["args"][0]: c["env"] for c in calls(m, "unit-start")}
    for u in units:
        env = started.get(u, {})
        check = run.check
        check(env.get("https_proxy") == run.site.proxy and "169.254.169.254" in env.get("no_proxy", ""),
              f"{who}: {u} runs with the proxy and no_proxy {'(started)' if u in started else '(never started)'}")
    boot_calls = calls(m, "curl") + calls(m, "apt-get")
    run.check(boot_calls and all(c["proxy"].get("https_proxy") == run.site.proxy for c in boot_calls),
              f"{who}: the boot's downloads and packages see the proxy")


def check_nomad(run, m, nomad_yaml):
    check = run.check
    check(m.status == 0 and m.box.read("/var/lib/circleci/boot-ok") == "ok\n",
          "the Nomad client's boot finishes" + ("" if m.status == 0 else f": {m.output[-600:]}"))
    check(steps(m) == ["proxy", "packages", "instance metadata", "rerun-with-SSH address", "docker",
                       "build isolation", "nomad", "drain on scale-in", "done"], f"its steps, in order: {steps(m)}")
    apt = [" ".join(c["args"]) for c in calls(m, "apt-get")]
    check(any("docker-ce=17.03.2~ce-0~ubuntu-xenial" in a.split() for a in apt), "docker-ce 17.03.2 (the release's pin)")
    check(any(c["args"][-1] == "https://releases.hashicorp.com/nomad/0.5.6/nomad_0.5.6_linux_amd64.zip"
              for c in calls(m, "curl")), "Nomad 0.5.6's zip fetched, its SHA-256 checked (the boot passed it)")
    agent = calls(m, "nomad-agent")
    cfg = agent[0]["config"] if agent else {}
    server = env_value(nomad_yaml, "ISOLATION_SERVERS")
    want_server = SERVICES_IP if "services_private_ip" in server else server.split()[0]
    instance = json.load(open(m.imds_state))["meta-data"]["instance-id"]
    check(agent and f'name = "{instance}"' in cfg.get("agent.hcl", "") and f'http = "{NOMAD_IP}"' in cfg.get("agent.hcl", "")
          and f'"{want_server}:' in cfg.get("client.hcl", "") and 'datacenter = "us-east-1"' in cfg.get("client.hcl", ""),
          "Nomad's agent started with this instance's name and address, the servers, datacenter us-east-1")
    rules = m.box.run("/usr/sbin/iptables", "-S").stdout
    check("-A DOCKER-ISOLATION -i docker0 -j CIRCLECI-BUILDS" in rules and "-A INPUT -i docker0 -j CIRCLECI-BUILDS-HOST" in rules,
          "the build isolation was applied before Nomad started")
    order = [c["args"][0] for c in calls(m, "unit-start")]
    check(order.index("circleci-build-isolation.service") < order.index("nomad.service"), f"units started: {order}")
    check(m.box.read("/etc/circleci/public-ipv4") == NOMAD_IP + "\n", "rerun-with-SSH gets the private address")
    imds = jsonl(f"{run.work}/imds-nomad.jsonl")
    check(imds and all(r.get("token") for r in imds if r["method"] == "GET"), "every metadata request carried an IMDSv2 token")
    if run.site.proxy:
        check_proxied(run, m, ["docker.service", "nomad.service", "circleci-nomad-drain.service"], "Nomad client")


def check_drain(run, lab, vpc, endpoint, m, group, instance, nomad_yaml):
    check, w = run.check, run.work
    aws = lambda: jsonl(f"{w}/aws.jsonl")  # noqa: E731
    time.sleep(6)  # the drain polls the lifecycle state every 5 s: let it see "not yet"
    check(not any(a["action"] == "CompleteLifecycleAction" for a in aws()), "no lifecycle action before Auto Scaling terminates")
    state = json.load(open(m.imds_state))
    state["meta-data"]["autoscaling/target-lifecycle-state"] = "Terminated"
    json.dump(state, open(m.imds_state, "w"))
    flipped = time.time()
    try:
        wait_for(lambda: any(a["action"] == "CompleteLifecycleAction" for a in aws()),
                 what="the lifecycle action", seconds=120, step=0.5)
    except RuntimeError as e:
        print(m.box.read("/var/log/cci-test/circleci-nomad-drain.service.log", ""), flush=True)
        check(False, str(e))
        return
    done = [a for a in aws() if a["action"] == "CompleteLifecycleAction"][0]["params"]
    print(f"      drain: lifecycle action completed {time.time() - flipped:.1f} s after the state changed", flush=True)
    cs = m.calls()
    drain = [i for i, c in enumerate(cs) if c["cmd"] == "nomad" and c["args"][:1] == ["node-drain"]]
    polls = [(i, c["running"]) for i, c in enumerate(cs) if c["cmd"] == "nomad-api" and c["args"][0] == "GET"]
    check(drain and cs[drain[0]]["args"] == ["node-drain", "-self", "-enable"], "the drain ran nomad node-drain -self -enable")
    check(drain and polls and polls[0][0] > drain[0] and polls[-1][1] == 0 and any(r > 0 for _, r in polls),
          f"... then waited while allocations ran, until none: {[r for _, r in polls]}")
    check(done == {"Action": "CompleteLifecycleAction", "Version": "2011-01-01", "AutoScalingGroupName": group,
                   "LifecycleHookName": env_value(nomad_yaml, "LIFECYCLE_HOOK"), "InstanceId": instance,
                   "LifecycleActionResult": "CONTINUE"}, f"it completed the lifecycle action in the emulator: {done}")
    left = json.loads(lab.run(vpc, PY, os.path.join(HERE, "aws_emulator.py"), "instances", endpoint, run.site.region,
                              group).stdout)
    check(instance not in left, "the emulator then terminated the instance")
    if run.site.proxy:
        via = [p["url"] for p in jsonl(f"{w}/proxy.jsonl") if p["client"] == NOMAD_IP]
        check(len(via) >= 2, f"the drain's Auto Scaling calls went through the proxy ({len(via)} requests)")


if __name__ == "__main__":
    main()
