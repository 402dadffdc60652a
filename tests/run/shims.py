"""The commands the boot scripts call that would change this machine or need the internet,
standing in for them inside the sandbox (one program, called by the name it is installed
under). Each call is recorded as a JSON line in /var/log/cci-test/calls.jsonl: the command,
its arguments, the umask and the proxy variables it ran with.

  apt-get, apt-key, apt-mark  record (installing `awscli` puts the real AWS CLI at /usr/bin/aws)
  curl       serves the release's downloads from files (config.json "downloads"); the instance
             metadata service and the local Nomad agent are asked for real (/usr/bin/curl)
  docker     record; `network inspect/create` keep the networks made
  systemctl  starts units as systemd would read them: ExecStart, Type, EnvironmentFile (also
             from drop-ins); docker.service makes Docker 17.03's iptables chains
  nomad      the stand-in in the Nomad zip: `agent` serves a fake agent API on 127.0.0.1:4646
             (node self, allocations that drain to zero), `node-drain -self -enable` asks it
  replicated the stand-in the fake Replicated installer installs
"""

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request

LOG_DIR = "/var/log/cci-test"
STATE = "/var/lib/cci-test"
CONFIG = "/etc/cci-test/config.json"
PROXY_VARS = ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")


def umask():
    m = os.umask(0)
    os.umask(m)
    return f"{m:04o}"


def record(cmd, args, **extra):
    os.makedirs(LOG_DIR, exist_ok=True)
    entry = {"cmd": cmd, "args": args, "umask": umask(), "t": time.time(),
             "proxy": {k: os.environ[k] for k in PROXY_VARS if k in os.environ}, **extra}
    with open(os.path.join(LOG_DIR, "calls.jsonl"), "a") as f:
        f.write(json.dumps(entry) + "\n")


def config():
    with open(CONFIG) as f:
        return json.load(f)


def apt_get(args):
    record("apt-get", args)
    if "install" in args and "awscli" in args:
        with open("/usr/bin/aws", "w") as f:
            f.write(f"#!/bin/sh\nexec {shlex.quote(config()['aws'])} \"$@\"\n")
        os.chmod("/usr/bin/aws", 0o755)
    return 0


def curl(args):
    url = next((a for a in args if a.startswith(("http://", "https://"))), "")
    host = urllib.parse.urlsplit(url).hostname
    if host in ("169.254.169.254", "127.0.0.1", "localhost"):
        os.execv("/usr/bin/curl", ["curl", *args])
    record("curl", args)
    served = [(p, f) for p, f in config()["downloads"].items() if url.startswith(p)]
    if not served:
        print(f"curl: (6) Could not resolve host: {host}", file=sys.stderr)
        return 6
    source = max(served)[1]
    out = args[args.index("-o") + 1] if "-o" in args else None
    if out:
        shutil.copyfile(source, out)
    else:
        sys.stdout.buffer.write(open(source, "rb").read())
    return 0


def docker(args):
    record("docker", args)
    nets = os.path.join(STATE, "networks")
    os.makedirs(nets, exist_ok=True)
    if args[:2] == ["network", "inspect"]:
        return 0 if os.path.exists(os.path.join(nets, args[2])) else 1
    if args[:2] == ["network", "create"]:
        open(os.path.join(nets, args[-1]), "w").close()
    return 0


def unit_file(name):
    """The [Service] settings of a unit, its drop-ins' too."""
    paths = [f"/etc/systemd/system/{name}"]
    d = f"/etc/systemd/system/{name}.d"
    if os.path.isdir(d):
        paths += sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".conf"))
    settings = {}
    for p in paths:
        if not os.path.exists(p):
            continue
        section = None
        for line in open(p):
            line = line.strip()
            if line.startswith("["):
                section = line
            elif "=" in line and not line.startswith("#") and section == "[Service]":
                k, v = line.split("=", 1)
                settings.setdefault(k, []).append(v)
    return settings


def unit_env(settings):
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
    for f in settings.get("EnvironmentFile", []):
        f = f.lstrip("-")
        if os.path.exists(f):
            for line in open(f):
                if "=" in line and not line.startswith("#"):
                    k, v = line.rstrip("\n").split("=", 1)
                    env[k] = v.strip("'\"")
    return env


def start(unit):
    settings = unit_file(unit)
    env = unit_env(settings)
    record("unit-start", [unit], env={k: env[k] for k in PROXY_VARS if k in env})
    if unit == "docker.service":
        # What dockerd 17.03 does to iptables when it starts (libnetwork 17.05.x
        # setupIPChains): its chains, DOCKER-ISOLATION returning.
        for args in (["-t", "nat", "-N", "DOCKER"], ["-N", "DOCKER"], ["-N", "DOCKER-ISOLATION"]):
            subprocess.run(["iptables", "-w", *args], capture_output=True)
        if subprocess.run(["iptables", "-w", "-C", "DOCKER-ISOLATION", "-j", "RETURN"], capture_output=True).returncode:
            subprocess.run(["iptables", "-w", "-I", "DOCKER-ISOLATION", "-j", "RETURN"], check=True)
        return 0
    exec_start = shlex.split(settings["ExecStart"][-1])
    log = open(os.path.join(LOG_DIR, unit + ".log"), "a")
    if settings.get("Type", ["simple"])[-1] == "oneshot":
        return subprocess.run(exec_start, env=env, stdout=log, stderr=subprocess.STDOUT).returncode
    subprocess.Popen(exec_start, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return 0


def systemctl(args):
    record("systemctl", args)
    words = [a for a in args if not a.startswith("-")]
    if not words:
        return 0
    verb, units = words[0], [u if "." in u else u + ".service" for u in words[1:]]
    if verb in ("start", "restart") or (verb == "enable" and "--now" in args):
        for u in units:
            status = start(u)
            if status != 0:
                print(f"Job for {u} failed.", file=sys.stderr)
                return 1
    return 0


def nomad(args):
    record("nomad", args)
    if args[:1] == ["agent"]:
        return nomad_agent(args)
    if args[:1] == ["node-drain"] and "-self" in args and "-enable" in args:
        addr = os.environ.get("NOMAD_ADDR", "http://127.0.0.1:4646")
        node = json.load(urllib.request.urlopen(addr + "/v1/agent/self", timeout=5))["stats"]["client"]["node_id"]
        req = urllib.request.Request(f"{addr}/v1/node/{node}/drain?enable=true", method="PUT", data=b"")
        urllib.request.urlopen(req, timeout=5).read()
        return 0
    return 1


def nomad_agent(args):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    cfg = args[args.index("-config") + 1]
    files = {f: open(os.path.join(cfg, f)).read() for f in sorted(os.listdir(cfg))}
    record("nomad-agent", args, config=files)
    state = {"drain": False, "running": 2}

    class Agent(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def reply(self, value):
            data = json.dumps(value).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/v1/agent/self":
                return self.reply({"stats": {"client": {"node_id": "fake-node"}}})
            if self.path == "/v1/node/fake-node/allocations":
                if state["drain"] and state["running"] > 0:
                    state["running"] -= 1  # the servers stop one more each time it is asked
                record("nomad-api", ["GET", self.path], running=state["running"])
                return self.reply([{"ID": f"alloc-{i}", "ClientStatus": "running"} for i in range(state["running"])]
                                  + [{"ID": "alloc-done", "ClientStatus": "complete"}])
            self.send_response(404)
            self.end_headers()

        def do_PUT(self):
            if self.path == "/v1/node/fake-node/drain?enable=true":
                state["drain"] = True
                record("nomad-api", ["PUT", self.path])
                return self.reply({"EvalIDs": ["eval-1"]})
            self.send_response(404)
            self.end_headers()

        do_POST = do_PUT

    ThreadingHTTPServer(("127.0.0.1", 4646), Agent).serve_forever()


def main():
    name = os.path.basename(sys.argv[0])
    args = sys.argv[1:]
    if name == "apt-get":
        return apt_get(args)
    if name == "curl":
        return curl(args)
    if name == "docker":
        return docker(args)
    if name == "systemctl":
        return systemctl(args)
    if name == "nomad":
        return nomad(args)
    record(name, args)  # apt-key, apt-mark, replicated
    return 0


if __name__ == "__main__":
    sys.exit(main())
