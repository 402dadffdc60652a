#!/usr/bin/env python3
"""Applies a site's Terraform to a local AWS API emulator and checks, through the emulator's
API, that what exists is what cci-dsl's output files say; then destroys it and checks that
nothing of the site is left.

    emulator_apply.py CCI_DSL SITE.cci MODE

MODE `own-ami`: every machine names an image of its own (`ami = ...`, added here), so the
Terraform must not look one up. MODE `lookup`: the site as written; machines without `ami`
find the release's OS among the emulator's public images (moto carries Canonical's xenial).

The emulator is moto's server (PyPI moto[server]), started on 127.0.0.1 only, seeded with the
VPC, subnet, key pair (and NAT gateway, S3 endpoint) the site names; the site's ids are
replaced by the emulator's. A test-only provider override points Terraform at it; the site's
output directory never holds it. Needs TERRAFORM and TF_PROVIDER_MIRROR (scripts/
install-validators.sh records both in env.sh). Prints one line per check and exits 1 on the
first failed stage or any failed check.
"""

import base64
import gzip
import ipaddress
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).parent))
import iam_proof  # noqa: E402  (tests/apply/iam_proof.py, beside this file)

PASSPHRASE = "Abc123emulator"
FAILURES = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        FAILURES.append(what)
    return ok


def die(stage, detail=""):
    print(f"FAIL  {stage}: {detail}".rstrip())
    sys.exit(1)


def moto_command(port):
    """The emulator on 127.0.0.1:PORT, one request at a time (moto_serial.py says why)."""
    return [sys.executable, str(Path(__file__).parent / "moto_serial.py"), "127.0.0.1", str(port)]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run(cmd, cwd, log, env, timeout):
    start = time.monotonic()
    with open(log, "w") as f:
        p = subprocess.run(cmd, cwd=cwd, env=env, stdout=f, stderr=subprocess.STDOUT, timeout=timeout)
    print(f"      {' '.join(cmd[:2])}: {time.monotonic() - start:.1f} s")
    return p.returncode == 0


def tail(path, n=25):
    lines = Path(path).read_text(errors="replace").splitlines()
    return "\n".join(lines[-n:])


class Site:
    """What the checks need to know of the site file."""

    def __init__(self, text):
        self.text = text
        self.name = re.search(r'^site\s+"([^"]+)"', text, re.M).group(1)
        self.region = re.search(r'\bregion\s*=\s*"([^"]+)"', text).group(1)
        self.ssh_key = re.search(r'\bssh_key\s*=\s*"([^"]+)"', text).group(1)
        m = re.search(r'\baccount\s*=\s*"(\d{12})"', text)
        self.account = m.group(1) if m else None
        self.public_ip = not re.search(r"\bpublic_ip\s*=\s*false", text)
        self.disposable = bool(re.search(r"\bdisposable\s*=\s*true", text))
        dns = re.search(r"^\s*dns\s*\{(.*?)\}", text, re.M | re.S)
        self.dns = None
        if dns:
            zone = re.search(r'\bzone\s*=\s*"([^"]+)"', dns.group(1)).group(1)
            name = re.search(r'\bname\s*=\s*"([^"]+)"', dns.group(1)).group(1)
            self.dns = (zone, f"{name}.{zone}")
        self.backup = bool(re.search(r"^\s*backup\s*\{", text, re.M))
        state = re.search(r"^\s*state\s*\{\s*s3\s*\{(.*?)\}", text, re.M | re.S)
        self.state = None
        if state:
            key = re.search(r'\bkey\s*=\s*"([^"]+)"', state.group(1))
            self.state = (re.search(r'\bbucket\s*=\s*"([^"]+)"', state.group(1)).group(1),
                          key.group(1) if key else f"circleci/{self.name}.tfstate")
        self.subnet_count = len(set(re.findall(r"\bsubnet-[0-9a-f]+\b", text)))
        self.fleets = {}
        for m in re.finditer(r"^fleet\s+([A-Za-z0-9_]+)\s*\{(.*?)^\}", text, re.M | re.S):
            c = re.search(r"\bcount\s*=\s*(\d+)(?:\s*\.\.\s*(\d+))?", m.group(2))
            lo = int(c.group(1))
            hi = int(c.group(2)) if c.group(2) else lo
            self.fleets[m.group(1)] = (lo, hi)
        self.elastic_ip = bool(re.search(r"\belastic_ip\s*=\s*true", text))
        # Outputs and "rerun with SSH" use the public address only for actors on public ranges:
        # outside RFC 1918 and RFC 6598 (documentation ranges stand for public ones here).
        self.users_public = self.actor_public("users")
        self.admins_public = self.actor_public("admins")

    def actor_public(self, actor):
        bound = re.search(r"^\s*%s\s*=\s*\[([^\]]*)\]" % actor, self.text, re.M)
        ranges = [ipaddress.ip_network(x.strip()) for x in bound.group(1).split(",") if x.strip()]
        private = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")]
        return any(not any(r.subnet_of(p) for p in private) for r in ranges if r.version == 4)

    def for_emulator(self, ids, mode, ami):
        """The site with the emulator's ids, and an image of its own on every machine."""
        t = self.text
        t = re.sub(r"\bvpc-[0-9a-f]+\b", ids["vpc"], t)
        # The site's subnets in the order they appear: the first is the emulator's subnet in
        # zone a, the second its subnet in zone b.
        seen = list(dict.fromkeys(re.findall(r"\bsubnet-[0-9a-f]+\b", t)))
        targets = [ids["subnet"], ids["subnet_b"]]
        t = re.sub(r"\bsubnet-[0-9a-f]+\b", lambda m: targets[min(seen.index(m.group(0)), 1)], t)
        # Their ranges, as the emulator made them.
        t = re.sub(r"subnet_ranges\s*=\s*\[[^\]]*\]", "subnet_ranges = [10.0.1.0/24, 10.0.2.0/24]", t)
        t = re.sub(r"\bnat-[0-9a-f]+\b", ids["nat"], t)
        t = re.sub(r"\bvpce-[0-9a-f]+\b", ids["vpce"], t)
        if mode == "own-ami":
            t = re.sub(r"^(services|fleet\s+[A-Za-z0-9_]+)\s*\{", lambda m: f"{m.group(0)}\n  ami = {ami}", t, flags=re.M)
        return t


def seed(session, site):
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone=zones[0])["Subnet"]["SubnetId"]
    subnet_b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24", AvailabilityZone=zones[1])["Subnet"]["SubnetId"]
    public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=public, AllocationId=eip)["NatGateway"]["NatGatewayId"]
    rt = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"][0]["RouteTableId"]
    vpce = ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName=f"com.amazonaws.{site.region}.s3", RouteTableIds=[rt]
    )["VpcEndpoint"]["VpcEndpointId"]
    ec2.create_key_pair(KeyName=site.ssh_key)
    if site.state:
        # The state bucket exists before the site (made once per account).
        s3 = session.client("s3")
        kw = {} if site.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": site.region}}
        s3.create_bucket(Bucket=site.state[0], **kw)
    if site.dns:
        # The zone exists before the site (the record goes into it); private when the record
        # holds a private address, associated with the VPC.
        private = not (site.public_ip and site.users_public)
        if private:
            ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
        session.client("route53").create_hosted_zone(
            Name=site.dns[0], CallerReference=site.name,
            HostedZoneConfig={"PrivateZone": private},
            **({"VPC": {"VPCRegion": site.region, "VPCId": vpc}} if private else {}),
        )
    return {"vpc": vpc, "subnet": subnet, "subnet_b": subnet_b, "nat": nat, "vpce": vpce}, OWN_IMAGE["ami_id"]


# An image of the operator's own whose root is not Canonical's /dev/sda1: the launch templates
# must size the volume at the image's own root device (issue 16, item 4). moto's RegisterImage
# ignores the root device name, so the image is among those the emulator starts with
# (MOTO_AMIS_PATH: its own list, which holds Canonical's xenial for the lookup, and this one).
OWN_IMAGE = {
    "ami_id": "ami-0c1d2e3f4a5b6c7d8", "state": "available", "public": False, "owner_id": "123456789012",
    "image_location": "123456789012/operator-hardened-xenial", "root_device_type": "ebs",
    "root_device_name": "/dev/xvda", "description": "an operator's own image", "image_type": "machine",
    "platform": None, "architecture": "x86_64", "name": "operator-hardened-xenial",
    "virtualization_type": "hvm", "hypervisor": "xen", "sriov": "simple",
}


def emulator_images(work):
    """moto's own image list with the operator's image added, as a file for MOTO_AMIS_PATH."""
    import gzip
    import moto
    with gzip.open(Path(moto.__file__).parent / "ec2/resources/amis.json.gz", "rt") as f:
        images = json.load(f)
    path = work / "amis.json"
    path.write_text(json.dumps(images + [OWN_IMAGE]))
    return str(path)


PROVIDER_OVERRIDE = """provider "aws" {
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true
  endpoints {
%s  }
}
"""
SERVICES = ["autoscaling", "ec2", "iam", "route53", "s3", "sqs", "ssm", "sts"]


def main():
    cci, site_path, mode = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    terraform = os.environ.get("TERRAFORM", "terraform")
    mirror = os.environ.get("TF_PROVIDER_MIRROR")
    if not mirror:
        die("setup", "TF_PROVIDER_MIRROR is not set (source the validators' env.sh)")
    site = Site(site_path.read_text())
    work = Path(tempfile.mkdtemp(prefix="cci-apply-"))
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    moto = subprocess.Popen(
        moto_command(port),
        stdout=open(work / "moto.log", "w"), stderr=subprocess.STDOUT,
        env=dict(os.environ, MOTO_AMIS_PATH=emulator_images(work)),
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        session = boto3.session.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name=site.region
        )
        clients = {s: session.client(s, endpoint_url=endpoint) for s in SERVICES}
        ids, ami = seed(Session(session, endpoint), site)
        apply_and_check(cci, site, mode, ids, ami, work, clients, endpoint, terraform, mirror)
    finally:
        stop(moto)
        if os.environ.get("CCI_APPLY_KEEP"):
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        sys.exit(1)
    print("all checks passed")


def stop(server):
    """Stops the emulator: asked first, killed when it has not gone 10 s later (a loaded
    machine can take that long; the checks are done by then, so no run fails on it)."""
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


class Session:
    """A boto3 session whose clients talk to the emulator."""

    def __init__(self, session, endpoint):
        self.session, self.endpoint = session, endpoint

    def client(self, name):
        return self.session.client(name, endpoint_url=self.endpoint)


def apply_and_check(cci, site, mode, ids, ami, work, c, endpoint, terraform, mirror):
    (work / "site.cci").write_text(site.for_emulator(ids, mode, ami))
    out = work / "out"
    build = subprocess.run([cci, "build", str(work / "site.cci"), "-o", str(out)], capture_output=True, text=True)
    if build.returncode != 0:
        die("build", build.stdout + build.stderr)
    tf = out / "terraform"
    has_lookup = 'data "aws_ami"' in (tf / "services.tf").read_text()
    check(has_lookup == (mode == "lookup"), f"an AMI lookup exists only when a machine uses it ({mode})")

    # Test scaffolding, in the temporary copy only: the emulator's endpoints.
    eps = "".join(f'    {s} = "{endpoint}"\n' for s in SERVICES)
    override = PROVIDER_OVERRIDE % eps
    # The emulator does not implement detailed monitoring of instances.
    override += 'resource "aws_instance" "services" {\n  monitoring = false\n}\n'
    (tf / "zz_emulator_override.tf").write_text(override)

    # Terraform's JSON trace records every request the provider sends (plan, apply, destroy):
    # the installer's policy is proven against it at the end (iam_proof.py).
    trace = work / "tf-trace.json"
    env = dict(os.environ, TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1", TF_CLI_CONFIG_FILE="/dev/null",
               TF_VAR_circle_secret_passphrase=PASSPHRASE, TF_LOG="JSON", TF_LOG_PATH=str(trace))
    init = [terraform, "init", "-input=false", f"-plugin-dir={mirror}"]
    if site.state:
        # The site's backend "s3" block as written, pointed at the emulator (a partial
        # configuration merged into it; test scaffolding, outside the output directory).
        (work / "emulator.s3.tfbackend").write_text(
            f'endpoints = {{ s3 = "{endpoint}", sts = "{endpoint}", dynamodb = "{endpoint}" }}\n'
            'access_key = "test"\nsecret_key = "test"\nuse_path_style = true\n'
            "skip_credentials_validation = true\nskip_requesting_account_id = true\n"
            "skip_metadata_api_check = true\nskip_region_validation = true\n")
        init.append(f"-backend-config={work / 'emulator.s3.tfbackend'}")
    else:
        init.append("-backend=false")
    if not run(init, tf, work / "init.log", env, 300):
        die("terraform init", tail(work / "init.log"))
    # The guide's prerequisite (ch. 2): with the VPC's DNS support off, plan stops with its words.
    c["ec2"].modify_vpc_attribute(VpcId=ids["vpc"], EnableDnsSupport={"Value": False})
    refused = not run([terraform, "plan", "-input=false", "-no-color"], tf, work / "plan-nodns.log", env, 300)
    check(refused and "enableDnsSupport" in (work / "plan-nodns.log").read_text(), "plan stops when the VPC's DNS support is off")
    c["ec2"].modify_vpc_attribute(VpcId=ids["vpc"], EnableDnsSupport={"Value": True})
    if not run([terraform, "plan", "-input=false", "-no-color", "-out=plan.bin"], tf, work / "plan.log", env, 300):
        die("terraform plan", tail(work / "plan.log"))
    shown = json.loads(subprocess.run([terraform, "show", "-json", "plan.bin"], cwd=tf, env=env, capture_output=True, text=True, check=True).stdout)
    planned = {r["address"]: r["values"] for r in shown["planned_values"]["root_module"]["resources"]}
    if site.backup:
        check_backup_plan(planned)
        # The emulator has no Data Lifecycle Manager: the policy is checked in the plan above,
        # then left out of what is applied (test scaffolding, in the temporary copy only).
        with open(tf / "zz_emulator_override.tf", "a") as f:
            f.write('resource "aws_dlm_lifecycle_policy" "services" {\n  count = 0\n}\n')
        if not run([terraform, "plan", "-input=false", "-no-color", "-out=plan.bin"], tf, work / "plan2.log", env, 300):
            die("terraform plan without DLM", tail(work / "plan2.log"))
    if not run([terraform, "apply", "-input=false", "-no-color", "-parallelism=20", "plan.bin"], tf, work / "apply.log", env, 600):
        die("terraform apply", tail(work / "apply.log"))
    check(True, "terraform apply")
    # The passphrase is write-only and its variable ephemeral: in neither the plan nor the state.
    check(PASSPHRASE not in json.dumps(shown), "the saved plan does not hold the passphrase")
    state = subprocess.run([terraform, "state", "pull"], cwd=tf, env=env, capture_output=True, text=True, check=True).stdout
    check(PASSPHRASE not in state and '"value_wo_version": 1' in state, "the state does not hold the passphrase (value_wo, version 1)")
    outputs = json.loads(subprocess.run([terraform, "output", "-json"], cwd=tf, env=env, capture_output=True, text=True, check=True).stdout)
    o = {k: v["value"] for k, v in outputs.items()}

    check_security_groups(out, ids, c["ec2"])
    services = check_services_box(out, site, o, c, planned)
    check_fleets(out, site, services, c, planned, ids)
    check_iam(out, site, c["iam"])
    check_storage(site, o, c)
    if site.state:
        check_state_in_s3(site, c["s3"])
    if site.dns:
        check_dns(site, o, services, c)

    if site.disposable:
        # What a used site holds: objects with several versions. force_destroy removes them.
        for body in (b"one", b"two"):
            c["s3"].put_object(Bucket=o["bucket"], Key="artifacts/x", Body=body)
    if not run([terraform, "destroy", "-auto-approve", "-input=false", "-no-color", "-parallelism=20"], tf, work / "destroy.log", env, 600):
        die("terraform destroy", tail(work / "destroy.log"))
    check(True, "terraform destroy")
    check_nothing_left(site, ids, c)
    check_installer_policy(trace, out / "iam")


def check_installer_policy(trace, iam_dir):
    """Every request of plan, apply and destroy is allowed by iam/installer-*.json."""
    calls, evaluated, denied, actions = iam_proof.prove(trace, iam_dir)
    check(calls > 0 and evaluated > 0, f"the trace holds {calls} AWS calls: {evaluated} IAM requests of {len(actions)} actions")
    for d in denied:
        check(False, f"the installer's policy allows {d}")
    check(not denied, f"the installer's policy allows every call of plan, apply and destroy ({len(actions)} actions)")


def check_backup_plan(planned):
    dlm = planned.get("aws_dlm_lifecycle_policy.services")
    if not check(dlm is not None, "a snapshot policy for the services box (plan)"):
        return
    details = dlm["policy_details"][0]
    check(details["resource_types"] == ["INSTANCE"], "the policy snapshots the instance's volumes together")
    box_tags = planned["aws_instance.services"]["tags"]
    check(all(box_tags.get(k) == v for k, v in details["target_tags"].items()), "the policy targets the services box by its tags")
    rule = details["schedule"][0]["create_rule"][0]
    check(rule["interval_unit"] == "HOURS" and rule["interval"] in (1, 2, 3, 4, 6, 8, 12, 24), "a schedule DLM takes")


def check_state_in_s3(site, s3):
    """The state is where the site's backend block says, encrypted, and no lock is left."""
    bucket, key = site.state
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    check(keys == [key], f"the state is s3://{bucket}/{key} and no lock file is left ({keys})")
    if key in keys:
        head = s3.head_object(Bucket=bucket, Key=key)
        check(head.get("ServerSideEncryption") in ("AES256", "aws:kms"), f"the state object is encrypted ({head.get('ServerSideEncryption')})")
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        check('"aws_instance"' in body and PASSPHRASE not in body, "the state in S3 holds the site, not the passphrase")


def check_dns(site, o, services, c):
    zone, fqdn = site.dns
    r53 = c["route53"]
    zones = [z for z in r53.list_hosted_zones()["HostedZones"] if z["Name"].rstrip(".") == zone]
    if not check(len(zones) == 1, f"the zone {zone} exists"):
        return
    records = r53.list_resource_record_sets(HostedZoneId=zones[0]["Id"])["ResourceRecordSets"]
    a = [r for r in records if r["Type"] == "A" and r["Name"].rstrip(".") == fqdn]
    public = site.public_ip and site.users_public
    want = services.get("PublicIpAddress") if public else services["PrivateIpAddress"]
    check(len(a) == 1 and [v["Value"] for v in a[0]["ResourceRecords"]] == [want], f"{fqdn} holds the box's {'public' if public else 'private'} address")
    check(o["app_url"] == f"http://{fqdn}/", f"app_url uses the name ({o['app_url']})")
    if (site.public_ip and site.admins_public) == public:
        check(o["install_url"] == f"https://{fqdn}:8800/", f"install_url is the console under the name ({o['install_url']})")


def filled(text, values):
    """A user-data file as Terraform's templatefile renders it with these values."""
    for k, v in values.items():
        text = text.replace("${%s}" % k, v)
    return text.replace("$${", "${").replace("%%{", "%{")


def rule_set(perms, names):
    """A group's permissions as comparable tuples; group references by name."""
    out = set()
    for p in perms:
        key = (p["IpProtocol"], p.get("FromPort"), p.get("ToPort")) if p["IpProtocol"] != "-1" else ("-1", None, None)
        for r in p.get("IpRanges", []):
            out.add(key + ("cidr", r["CidrIp"], r.get("Description")))
        for r in p.get("Ipv6Ranges", []):
            out.add(key + ("cidr6", r["CidrIpv6"], r.get("Description")))
        for g in p.get("UserIdGroupPairs", []):
            peer = g.get("GroupName") or names.get(g.get("GroupId"), g.get("GroupId"))
            out.add(key + ("group", peer, g.get("Description")))
    return out


def check_security_groups(out, ids, ec2):
    want = json.loads((out / "security-groups.json").read_text())["SecurityGroups"]
    got = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [ids["vpc"]]}])["SecurityGroups"]
    by_name = {}
    for g in got:
        name = {t["Key"]: t["Value"] for t in g.get("Tags", [])}.get("Name")
        if name:
            by_name[name] = g
    names = {g["GroupId"]: n for n, g in by_name.items()}
    for w in want:
        g = by_name.get(w["GroupName"])
        if not check(g is not None, f"security group {w['GroupName']} exists"):
            continue
        check(g["GroupName"].startswith(w["GroupName"] + "-"), f"{w['GroupName']}: named by its prefix ({g['GroupName']})")
        for key in ("IpPermissions", "IpPermissionsEgress"):
            a, b = rule_set(w[key], names), rule_set(g[key], names)
            check(a == b, f"{w['GroupName']} {key}: {len(b)} rules equal security-groups.json"
                  + ("" if a == b else f" (missing {sorted(a - b, key=str)[:3]}, extra {sorted(b - a, key=str)[:3]})"))


def unpacked(b64):
    """User-data as cloud-init reads it: base64, then gzip (Terraform's base64gzip)."""
    raw = base64.b64decode(b64)
    check(raw[:2] == b"\x1f\x8b" and len(raw) <= 16384, f"user-data is sent gzipped, {len(raw)} bytes of EC2's 16,384")
    return gzip.decompress(raw).decode()


def user_data_of_instance(ec2, instance_id):
    v = ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="userData")["UserData"].get("Value", "")
    return unpacked(v)


def check_services_box(out, site, o, c, planned):
    ec2 = c["ec2"]
    found = ec2.describe_instances(Filters=[
        {"Name": "tag:Name", "Values": [f"{site.name}-circleci-services"]},
        {"Name": "instance-state-name", "Values": ["running", "pending"]},
    ])["Reservations"]
    instances = [i for r in found for i in r["Instances"]]
    if not check(len(instances) == 1, "one services box"):
        return None
    box = instances[0]
    values = {
        "bucket": o["bucket"],
        "queue_url": o["shutdown_queue_url"],
        "vm_security_group_id": o.get("vm_security_group_id", ""),
    }
    want = filled((out / "cloud-init/services.yaml").read_text(), values)
    check(user_data_of_instance(ec2, box["InstanceId"]) == want, "services box user-data decodes to cloud-init/services.yaml")
    check(box["IamInstanceProfile"]["Arn"].endswith(f"/{site.name}-circleci-services"), "services box has its instance profile")
    # moto ignores DisableApiTermination in RunInstances (moto/ec2/responses/instances.py), so
    # this one is read from the plan: what Terraform sends.
    box_plan = planned["aws_instance.services"]
    keeps = not site.disposable
    check(box_plan["disable_api_termination"] is keeps, f"services box termination protection {'on' if keeps else 'off (disposable)'} (plan)")
    check(box_plan["root_block_device"][0]["delete_on_termination"] is not keeps, "services root volume kept unless disposable (plan)")
    check(("destroy stops at" in o["teardown"]) is keeps and o["teardown"].startswith("Nothing") is not keeps,
          "the teardown output says what destroy leaves")
    address = lambda public: box.get("PublicIpAddress") if public else box["PrivateIpAddress"]  # noqa: E731
    users, admins = site.public_ip and site.users_public, site.public_ip and site.admins_public
    if not site.dns:
        check(o["app_url"] == f"http://{address(users)}/", f"app_url uses the {'public' if users else 'private'} address ({o['app_url']})")
    if not site.dns or admins != users:
        # Step 7: the admin console (8800), where the installation goes on.
        check(o["install_url"] == f"https://{address(admins)}:8800/", f"install_url is the console on the {'public' if admins else 'private'} address ({o['install_url']})")
    if site.elastic_ip:
        eips = c["ec2"].describe_addresses()["Addresses"]
        mine = [a for a in eips if a.get("InstanceId") == box["InstanceId"]]
        check(len(mine) == 1 and mine[0]["PublicIp"] == box.get("PublicIpAddress"), f"the box holds its Elastic IP ({[a.get('PublicIp') for a in mine]})")
    check(o["services_private_ip"] == box["PrivateIpAddress"], "services_private_ip output")
    p = c["ssm"].get_parameter(Name=o["passphrase_parameter"], WithDecryption=True)["Parameter"]
    check(p["Type"] == "SecureString" and p["Value"] == PASSPHRASE, "the passphrase is a SecureString in SSM")
    return box


def check_fleets(out, site, services, c, planned, ids):
    asc, ec2 = c["autoscaling"], c["ec2"]
    nomad_yaml = (out / "cloud-init/nomad-client.yaml").read_text()
    values = {"services_private_ip": services["PrivateIpAddress"]} if services else {}
    want_ud = filled(nomad_yaml, values)
    timeout = int(re.search(r"DRAIN_TIMEOUT_SECONDS='(\d+)'", nomad_yaml).group(1))
    hook_name = re.search(r"LIFECYCLE_HOOK='([^']+)'", nomad_yaml).group(1)
    groups = asc.describe_auto_scaling_groups()["AutoScalingGroups"]
    sg_name = {g["GroupId"]: {t["Key"]: t["Value"] for t in g.get("Tags", [])}.get("Name")
               for g in ec2.describe_security_groups()["SecurityGroups"]}
    declared = {g["GroupName"] for g in json.loads((out / "security-groups.json").read_text())["SecurityGroups"]}
    for fleet, (lo, hi) in site.fleets.items():
        name = f"{site.name}-nomad-{fleet.replace('_', '-')}"
        mine = [g for g in groups if {t["Key"]: t["Value"] for t in g.get("Tags", [])}.get("Name") == name]
        if not check(len(mine) == 1, f"fleet {fleet}: one Auto Scaling group"):
            continue
        g = mine[0]
        want_subnets = {ids["subnet"], ids["subnet_b"]} if site.subnet_count > 1 else {ids["subnet"]}
        check(set(g["VPCZoneIdentifier"].split(",")) == want_subnets, f"fleet {fleet}: spread over the site's {len(want_subnets)} subnet(s)")
        check((g["MinSize"], g["MaxSize"], g["DesiredCapacity"]) == (lo, hi, lo),
              f"fleet {fleet}: min/max/desired {g['MinSize']}/{g['MaxSize']}/{g['DesiredCapacity']} = site count {lo}..{hi}")
        lt = g["LaunchTemplate"]
        data = ec2.describe_launch_template_versions(LaunchTemplateId=lt["LaunchTemplateId"])["LaunchTemplateVersions"][0]["LaunchTemplateData"]
        ud = unpacked(data.get("UserData", ""))
        check(ud == want_ud, f"fleet {fleet}: launch template user-data decodes to cloud-init/nomad-client.yaml")
        check(data.get("IamInstanceProfile", {}).get("Name") == f"{site.name}-circleci-nomad", f"fleet {fleet}: the Nomad client profile")
        # Every client holds the group all fleets share; a fleet has one of its own only when a
        # rule of the site names it.
        held = sorted(sg_name.get(i) or i for ni in data.get("NetworkInterfaces", []) for i in ni.get("Groups", []))
        wanted = sorted([f"{site.name}-nomad"] + ([name] if name in declared else []))
        check(held == wanted, f"fleet {fleet}: its clients hold the groups {wanted} (got {held})")
        check_launched_tags(out, fleet, name, g, data, ec2)
        root = ec2.describe_images(ImageIds=[data["ImageId"]])["Images"][0]["RootDeviceName"]
        mapped = [m["DeviceName"] for m in data.get("BlockDeviceMappings", [])]
        check(mapped == [root], f"fleet {fleet}: the disk is the image's root device {root} (mapped {mapped})")
        meta = data.get("MetadataOptions", {})
        check(meta.get("HttpTokens") == "required" and meta.get("HttpPutResponseHopLimit") == 1, f"fleet {fleet}: IMDSv2 only, hop limit 1")
        hooks = asc.describe_lifecycle_hooks(AutoScalingGroupName=g["AutoScalingGroupName"])["LifecycleHooks"]
        check(len(hooks) == 1 and hooks[0]["LifecycleHookName"] == hook_name
              and hooks[0]["LifecycleTransition"] == "autoscaling:EC2_INSTANCE_TERMINATING"
              and int(hooks[0]["HeartbeatTimeout"]) == timeout,
              f"fleet {fleet}: the drain hook the user-data completes ({hook_name}, {timeout} s)")
        # moto answers every hook with a made-up notification target (moto/autoscaling/
        # models.py), so that the hook has none is read from the plan: what Terraform sends.
        hook = planned[f"aws_autoscaling_lifecycle_hook.{fleet}"]
        check(not hook.get("notification_target_arn") and not hook.get("role_arn"),
              f"fleet {fleet}: the hook posts to no queue (plan)")


def default_tags(out):
    """The provider's default_tags, as versions.tf writes them."""
    block = re.search(r"default_tags \{\s*tags = \{(.*?)\}", (out / "terraform/versions.tf").read_text(), re.S).group(1)
    return dict(re.findall(r'^\s*"?([^"=\s]+)"?\s*=\s*"([^"]*)"', block, re.M))


def check_launched_tags(out, fleet, name, group, data, ec2):
    """What Auto Scaling launches carries the site's tags (default_tags do not reach it)."""
    want = dict(default_tags(out), Name=name)
    specs = {s["ResourceType"]: {t["Key"]: t["Value"] for t in s.get("Tags", [])} for s in data.get("TagSpecifications", [])}
    for kind in ("instance", "volume"):
        got = specs.get(kind, {})
        check(all(got.get(k) == v for k, v in want.items()), f"fleet {fleet}: the launch template tags its {kind}s with the site's tags ({len(got)} tags)")
    propagated = {t["Key"]: t["Value"] for t in group.get("Tags", []) if t.get("PropagateAtLaunch")}
    check(all(propagated.get(k) == v for k, v in want.items()), f"fleet {fleet}: the group propagates the site's tags ({len(propagated)})")
    launched = [i for r in ec2.describe_instances(Filters=[{"Name": "tag:aws:autoscaling:groupName", "Values": [group["AutoScalingGroupName"]]}])["Reservations"] for i in r["Instances"]]
    for i in launched:
        tags = {t["Key"]: t["Value"] for t in i.get("Tags", [])}
        check(all(tags.get(k) == v for k, v in want.items()), f"fleet {fleet}: launched client {i['InstanceId']} carries the site's tags")


def check_iam(out, site, iam):
    account = "123456789012"  # the emulator's
    for role, policy_file, trust_file in [
        (f"{site.name}-circleci-services", "services-role-policy.json", "services-assume-role.json"),
        (f"{site.name}-circleci-nomad", "nomad-client-role-policy.json", "ec2-assume-role.json"),
    ]:
        got = iam.get_role_policy(RoleName=role, PolicyName=role)["PolicyDocument"]
        got = json.loads(got) if isinstance(got, str) else got
        check(got == json.loads((out / "iam" / policy_file).read_text()), f"{role}: its policy is iam/{policy_file}")
        trust = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
        trust = json.loads(trust) if isinstance(trust, str) else trust
        want = json.loads((out / "iam" / trust_file).read_text().replace("${account_id}", account))
        check(trust == want, f"{role}: its trust policy is iam/{trust_file}")
        check(any(p["InstanceProfileName"] == role for p in iam.list_instance_profiles_for_role(RoleName=role)["InstanceProfiles"]),
              f"{role}: instance profile")


def check_storage(site, o, c):
    s3, sqs = c["s3"], c["sqs"]
    bucket = o["bucket"]
    check(bucket == f"circleci-{site.name}-{site.account or '123456789012'}", f"bucket named after the site and its account ({bucket})")
    cors = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    check(any(r["AllowedMethods"] == ["GET"] for r in cors), "bucket answers cross-origin GETs")
    enc = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    check(enc["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256", "bucket encrypted with SSE-S3")
    own = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"][0]["ObjectOwnership"]
    check(own == "BucketOwnerPreferred", "bucket ownership: BucketOwnerPreferred")
    pab = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    check(all(pab.values()), "bucket blocks public access")
    check(s3.get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled", "bucket versioning")
    url = sqs.get_queue_url(QueueName=f"{site.name}-circleci-nomad-shutdown")["QueueUrl"]
    check(url == o["shutdown_queue_url"], "shutdown queue")


def check_nothing_left(site, ids, c):
    ec2, asc = c["ec2"], c["autoscaling"]
    live = [i for r in ec2.describe_instances(Filters=[{"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}])["Reservations"] for i in r["Instances"]]
    check(not live, f"destroy leaves no instance ({len(live)} left)")
    groups = [g["GroupName"] for g in ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [ids["vpc"]]}])["SecurityGroups"] if g["GroupName"] != "default"]
    check(not groups, f"destroy leaves no security group ({groups})")
    check(not asc.describe_auto_scaling_groups()["AutoScalingGroups"], "destroy leaves no Auto Scaling group")
    check(not ec2.describe_launch_templates()["LaunchTemplates"], "destroy leaves no launch template")
    roles = [r["RoleName"] for r in c["iam"].list_roles()["Roles"] if r["RoleName"].startswith(site.name + "-")]
    check(not roles, f"destroy leaves no role ({roles})")
    buckets = [b["Name"] for b in c["s3"].list_buckets().get("Buckets", []) if not site.state or b["Name"] != site.state[0]]
    check(not buckets, f"destroy leaves no bucket but the state's ({buckets})")
    check(not c["sqs"].list_queues().get("QueueUrls"), "destroy leaves no queue")
    check(not c["ssm"].describe_parameters()["Parameters"], "destroy leaves no parameter")
    eips = [a.get("PublicIp") for a in ec2.describe_addresses()["Addresses"]
            if {t["Key"]: t["Value"] for t in a.get("Tags", [])}.get("Name") == f"{site.name}-circleci-services"]
    check(not eips, f"destroy leaves no Elastic IP ({eips})")
    for z in c["route53"].list_hosted_zones()["HostedZones"]:
        left = [r["Name"] for r in c["route53"].list_resource_record_sets(HostedZoneId=z["Id"])["ResourceRecordSets"] if r["Type"] not in ("NS", "SOA")]
        check(not left, f"destroy leaves no record in {z['Name']} ({left})")


if __name__ == "__main__":
    main()
