"""A machine for the scripts under test: this machine's root seen copy-on-write (overlayfs,
in a mount namespace of its own) inside a network namespace of the test's. What the scripts
write or install lands in the sandbox's upper directory and goes away with it; they run
unmodified, at the absolute paths they name.

Commands enter it with nsenter (mount and network namespaces of an anchor process) and chroot.
"""

import os
import shutil
import subprocess
import tempfile

from netlab import sh, wait_for

CLOUDINIT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cloudinit_lite.py")


class Sandbox:
    def __init__(self, lab, ns, name, parent=None):
        self.lab, self.ns = lab, ns
        self.dir = tempfile.mkdtemp(prefix=f"cci-sandbox-{name}-", dir=parent)
        self.root = os.path.join(self.dir, "root")
        for d in ("upper", "work", "root"):
            os.mkdir(os.path.join(self.dir, d))
        ready = os.path.join(self.dir, "ready")
        mounts = " && ".join([
            f"mount -t overlay overlay -o lowerdir=/,upperdir={self.dir}/upper,workdir={self.dir}/work {self.root}",
            f"mount --rbind /dev {self.root}/dev",
            f"mount -t proc proc {self.root}/proc",
            f"mount -t sysfs sysfs {self.root}/sys",
            f"mount -t tmpfs tmpfs {self.root}/run",
            f"touch {ready}",
            "exec sleep infinity",
        ])
        self.anchor = lab.spawn(ns, "unshare", "--mount", "--propagation", "private", "bash", "-c", mounts,
                                log=os.path.join(self.dir, "anchor.log"))
        wait_for(lambda: os.path.exists(ready) or self.anchor.poll() is not None, what=f"the sandbox {name}")
        if self.anchor.poll() is not None:
            raise RuntimeError(f"sandbox {name}: {open(os.path.join(self.dir, 'anchor.log')).read()}")

    def command(self, *cmd):
        """The argv that runs `cmd` inside the sandbox, as root at its /."""
        return ["nsenter", "-t", str(self.anchor.pid), "-m", "-n", "--", "chroot", self.root, *cmd]

    def run(self, *cmd, env=None, input=None, timeout=300, check=True):
        return sh(*self.command(*cmd), env=env, input=input, timeout=timeout, check=check)

    def popen(self, *cmd, env=None, log=None):
        out = open(log, "a") if log else subprocess.DEVNULL
        p = subprocess.Popen(self.command(*cmd), env=env, stdout=out, stderr=subprocess.STDOUT,
                             start_new_session=True)
        self.lab.processes.append(p)
        return p

    def path(self, p):
        """Where a file the sandbox wrote is, seen from outside (its upper directory)."""
        return os.path.join(self.dir, "upper", p.lstrip("/"))

    def read(self, p, default=None):
        try:
            with open(self.path(p)) as f:
                return f.read()
        except OSError:
            return default

    def write_files(self, user_data, python):
        """cloud-init's write_files of this user-data, done inside the sandbox; returns its
        runcmd commands (tests/run/cloudinit_lite.py)."""
        import json
        p = self.run(python, CLOUDINIT, input=user_data)
        return json.loads(p.stdout)

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)
