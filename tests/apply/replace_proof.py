#!/usr/bin/env python3
"""Checks what `cci-dsl diff` says Terraform will do against what `terraform plan` does.

    replace_proof.py CCI_DSL SITE.cci

The site (with the emulator's ids and an image of its own on every machine, as
emulator_apply.py prepares it) is applied to a local AWS API emulator (moto). Then each of a
list of one-line changes a reviewer meets is built into a copy of the applied directory and
planned; for every resource the plan creates, updates, replaces or destroys, the action must
be the one `cci-dsl diff --format json` predicts, and `diff` must predict nothing the plan does
not do; a change `diff` says the resource's lifecycle ignores must not be planned. Before the
changes, the upgrade: the site is applied with the addresses cci-dsl gave before 2026-12 (the
`from` of each block of moved.tf), then planned as it is now: every renamed resource must be
moved, none created or destroyed. What the emulator itself makes Terraform change on an unchanged site (its drift) is
planned first and left out. Prints one line per change and exits 1 on any disagreement.
Needs TERRAFORM and TF_PROVIDER_MIRROR (the validators' env.sh).
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).parent))
import emulator_apply as ea  # noqa: E402  (beside this file)

# A moto built-in image (an Ubuntu image in moto's own list) to re-image a machine with.
OTHER_IMAGE = "ami-1e749f67"


def edits(text):
    """(name, changed text) for each change: one line of the site, as a reviewer meets it."""
    services = re.search(r"^services\s*\{.*?^\}", text, re.M | re.S).group(0)
    fleet = re.search(r"^fleet\s+nomad\s*\{.*?^\}", text, re.M | re.S).group(0)
    in_services = lambda a, b: text.replace(services, services.replace(a, b))  # noqa: E731
    in_fleet = lambda a, b: text.replace(fleet, fleet.replace(a, b))  # noqa: E731
    return [
        ("services resized", in_services('"m4.2xlarge"', '"m5.2xlarge"')),
        ("services disk grown", in_services("100 GiB", "150 GiB")),
        ("services re-imaged", re.sub(r"(^services\s*\{\n  ami = )\S+", rf"\g<1>{OTHER_IMAGE}", text, flags=re.M)),
        ("a port opened", text + '\nallow tcp 9100 from 10.20.0.0/16 to nomad "node exporter"\n'),
        ("admins moved", text.replace("admins = [10.10.0.0/24]", "admins = [10.11.0.0/24]")),
        ("fleet rescaled", in_fleet("1..5", "2..8")),
        ("fleet resized", in_fleet('"m4.2xlarge"', '"m5.2xlarge"')),
        ("github narrowed", text.replace("admins = [10.10.0.0/24]", "admins = [10.10.0.0/24]\n  github = [192.30.252.0/22]")),
        ("a tag added", re.sub(r"^(site\s+\"[^\"]+\"\s*\{\n)", r'\1  tags { team = "ci" }\n', text, flags=re.M)),
    ]


def planned_actions(tf, env, terraform, log):
    """address → create | update | replace | destroy, for what the plan changes."""
    if not ea.run([terraform, "plan", "-input=false", "-no-color", "-lock=false", "-out=p.bin"], tf, log, env, 600):
        ea.die("terraform plan", ea.tail(log))
    shown = subprocess.run([terraform, "show", "-json", "p.bin"], cwd=tf, env=env,
                           capture_output=True, text=True, check=True).stdout
    out = {}
    for r in json.loads(shown).get("resource_changes", []):
        a = r["change"]["actions"]
        if r.get("mode") == "data" or a in (["no-op"], ["read"]):
            continue
        out[r["address"]] = {
            ("create",): "create", ("delete",): "destroy", ("update",): "update",
        }.get(tuple(a), "replace" if set(a) == {"create", "delete"} else "/".join(a))
    return out


def predicted(cci, work, old, new):
    p = subprocess.run([cci, "diff", "--format", "json", str(old), str(new)], cwd=work,
                       capture_output=True, text=True)
    if p.returncode != 0:
        ea.die("cci-dsl diff", p.stdout + p.stderr)
    d = json.loads(p.stdout)
    return {r["address"]: r["action"] for r in d["resources"]}, [r["address"] for r in d["ignored"]]


def moves(tf):
    """(from, to) of each `moved` block of moved.tf."""
    text = (tf / "moved.tf").read_text() if (tf / "moved.tf").exists() else ""
    return re.findall(r"moved \{\s*from\s*=\s*(\S+)\s*to\s*=\s*(\S+)\s*\}", text)


def legacy_copy(out, tf, legacy_out):
    """The Terraform as cci-dsl wrote it before its addresses changed: every resource at its
    `from` address (references included), and no moved.tf; beside a copy of the other outputs
    it reads (the IAM documents)."""
    shutil.copytree(out, legacy_out, symlinks=True)
    legacy = legacy_out / tf.name
    (legacy / "moved.tf").unlink()
    pairs = moves(tf)
    for f in legacy.glob("*.tf"):
        text = f.read_text()
        for old, new in pairs:
            kind, old_name = old.split(".")
            new_name = new.split(".")[1]
            text = text.replace(f'resource "{kind}" "{new_name}"', f'resource "{kind}" "{old_name}"')
            text = re.sub(rf"\b{re.escape(new)}\b(?=[.\s\]\),])", old, text)
        f.write_text(text)
    return legacy, pairs


def upgrade(out, tf, env, terraform, work):
    """A state applied with the old addresses, planned with the new: every renamed resource
    must be moved (no create, no destroy). Leaves the state at the new addresses."""
    legacy, pairs = legacy_copy(out, tf, work / "legacy-out")
    if not ea.run([terraform, "apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=20"], legacy, work / "apply-legacy.log", env, 600):
        ea.die("terraform apply (old addresses)", ea.tail(work / "apply-legacy.log"))
    shutil.copy(legacy / "terraform.tfstate", tf / "terraform.tfstate")
    if not ea.run([terraform, "plan", "-input=false", "-no-color", "-lock=false", "-out=up.bin"], tf, work / "plan-upgrade.log", env, 600):
        ea.die("terraform plan (upgrade)", ea.tail(work / "plan-upgrade.log"))
    shown = json.loads(subprocess.run([terraform, "show", "-json", "up.bin"], cwd=tf, env=env,
                                      capture_output=True, text=True, check=True).stdout)
    moved = {r["address"]: r.get("previous_address") for r in shown.get("resource_changes", [])}
    problems = [f"{new}: not moved from {old} (plan: {moved.get(new, 'absent')})"
                for old, new in pairs if moved.get(new) != old]
    changed = [(r["address"], r["change"]["actions"]) for r in shown.get("resource_changes", [])
               if r.get("mode") != "data" and r["change"]["actions"] not in (["no-op"], ["read"], ["update"])]
    problems += [f"{a}: {'/'.join(act)} on upgrade" for a, act in changed]
    if not ea.run([terraform, "apply", "-auto-approve", "-input=false", "-no-color", "up.bin"], tf, work / "apply-upgrade.log", env, 600):
        ea.die("terraform apply (upgrade)", ea.tail(work / "apply-upgrade.log"))
    return len(pairs), problems


def one_change(cci, work, applied, name, text, drift, env, terraform):
    slug = re.sub(r"\W+", "-", name)
    site = work / f"{slug}.cci"
    site.write_text(text)
    tf_dir = work / f"out-{slug}"
    shutil.copytree(applied, tf_dir, symlinks=True)
    build = subprocess.run([cci, "build", str(site), "-o", str(tf_dir)], capture_output=True, text=True)
    if build.returncode != 0:
        return name, [f"build: {build.stdout}{build.stderr}"]
    plan = planned_actions(tf_dir / "terraform", env, terraform, work / f"plan-{slug}.log")
    want, ignored = predicted(cci, work, work / "site.cci", site)
    problems = []
    for address in sorted(set(plan) | set(want)):
        if address in drift and plan.get(address) == drift[address] and address not in want:
            continue
        if plan.get(address) != want.get(address):
            problems.append(f"{address}: terraform plan {plan.get(address, 'no change')}, "
                            f"cci-dsl diff {want.get(address, 'no change')}")
    if not want and not ignored:
        problems.append("cci-dsl diff predicts no resource change and no ignored one")
    for address in ignored:
        if address in plan and plan[address] != drift.get(address):
            problems.append(f"{address}: cci-dsl diff says Terraform ignores the change, terraform plan {plan[address]}")
    return name, problems


def main():
    cci, site_path = sys.argv[1], Path(sys.argv[2])
    terraform = os.environ.get("TERRAFORM", "terraform")
    mirror = os.environ.get("TF_PROVIDER_MIRROR") or ea.die("setup", "TF_PROVIDER_MIRROR is not set")
    site = ea.Site(site_path.read_text())
    work = Path(tempfile.mkdtemp(prefix="cci-replace-"))
    port = ea.free_port()
    endpoint = f"http://127.0.0.1:{port}"
    moto = subprocess.Popen(
        ea.moto_command(port),
        stdout=open(work / "moto.log", "w"), stderr=subprocess.STDOUT,
        env=dict(os.environ, MOTO_AMIS_PATH=ea.emulator_images(work)),
    )
    failed = False
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                        region_name=site.region)
        ids, ami = ea.seed(ea.Session(session, endpoint), site)
        text = site.for_emulator(ids, "own-ami", ami)
        (work / "site.cci").write_text(text)
        out = work / "out"
        build = subprocess.run([cci, "build", str(work / "site.cci"), "-o", str(out)], capture_output=True, text=True)
        if build.returncode != 0:
            ea.die("build", build.stdout + build.stderr)
        tf = out / "terraform"
        eps = "".join(f'    {s} = "{endpoint}"\n' for s in ea.SERVICES)
        override = ea.PROVIDER_OVERRIDE % eps
        override += 'resource "aws_instance" "services" {\n  monitoring = false\n}\n'
        (tf / "zz_emulator_override.tf").write_text(override)
        env = dict(os.environ, TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1", TF_CLI_CONFIG_FILE="/dev/null",
                   TF_VAR_circle_secret_passphrase=ea.PASSPHRASE)
        if not ea.run([terraform, "init", "-input=false", f"-plugin-dir={mirror}", "-backend=false"], tf, work / "init.log", env, 300):
            ea.die("terraform init", ea.tail(work / "init.log"))
        n, problems = upgrade(out, tf, env, terraform, work)
        print(("ok    " if not problems and n else "FAIL  ") + f"upgrade: {n} resources moved from their old addresses")
        for p in problems:
            print(f"        {p}")
        failed |= bool(problems) or not n
        drift = planned_actions(tf, env, terraform, work / "plan-unchanged.log")
        print(f"      the emulator's drift on the unchanged site: {drift or 'none'}")
        with ThreadPoolExecutor(max_workers=4) as pool:
            runs = [pool.submit(one_change, cci, work, out, name, changed, drift, env, terraform)
                    for name, changed in edits(text)]
            for r in runs:
                name, problems = r.result()
                print(("ok    " if not problems else "FAIL  ") + name)
                for p in problems:
                    print(f"        {p}")
                failed |= bool(problems)
    finally:
        ea.stop(moto)
        if os.environ.get("CCI_APPLY_KEEP"):
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
