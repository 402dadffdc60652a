"""The AWS API emulator (moto's server) for the boot and drain test, with what moto 5.2.5
lacks for it: Auto Scaling's CompleteLifecycleAction, checked against the emulator's own state
(the group holds the instance, the hook exists in that group) and then carried out (CONTINUE
terminates the instance, as Auto Scaling does after a terminating hook). Every request is
logged as a JSON line (service action and parameters).

    aws_emulator.py serve PORT LOG.jsonl
    aws_emulator.py seed ENDPOINT REGION SPEC.json     (prints what it made, as JSON)
    aws_emulator.py instances ENDPOINT REGION GROUP    (the group's instances, as JSON)
"""

import json
import sys
import urllib.parse
import uuid


def serve(port, log):
    from moto.backends import get_backend
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    moto = DomainDispatcherApplication(create_backend_app)

    def app(environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        params = dict(urllib.parse.parse_qsl(body.decode(errors="replace")))
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        action = params.get("Action") or target.rsplit(".", 1)[-1]
        if target and body.startswith(b"{"):
            params = json.loads(body)
        with open(log, "a") as f:
            f.write(json.dumps({"action": action, "params": params}) + "\n")
        if action == "CompleteLifecycleAction":
            return complete(params, environ, start_response)
        import io
        environ["wsgi.input"] = io.BytesIO(body)
        return moto(environ, start_response)

    def complete(p, environ, start_response):
        region = environ.get("HTTP_AUTHORIZATION", "").split("/")[2] if "Credential=" in environ.get("HTTP_AUTHORIZATION", "") else "us-east-1"
        asb = get_backend("autoscaling")[DEFAULT_ACCOUNT_ID][region]
        group = asb.autoscaling_groups.get(p.get("AutoScalingGroupName"))
        hooks = asb.describe_lifecycle_hooks(p.get("AutoScalingGroupName", ""))
        held = group and any(s.instance.id == p.get("InstanceId") for s in group.instance_states)
        ok = (held and any(h.name == p.get("LifecycleHookName") for h in hooks)
              and p.get("LifecycleActionResult") in ("CONTINUE", "ABANDON"))
        if not ok:
            xml = "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>No active Lifecycle Action found</Message></Error></ErrorResponse>"
            start_response("400 Bad Request", [("Content-Type", "text/xml")])
            return [xml.encode()]
        asb.terminate_instance(p["InstanceId"], should_decrement=True)
        xml = ('<CompleteLifecycleActionResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">'
               f"<CompleteLifecycleActionResult/><ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId>"
               "</ResponseMetadata></CompleteLifecycleActionResponse>")
        start_response("200 OK", [("Content-Type", "text/xml")])
        return [xml.encode()]

    make_server("0.0.0.0", int(port), app, threaded=True).serve_forever()


def client(endpoint, region, service):
    import boto3
    return boto3.client(service, endpoint_url=endpoint, region_name=region,
                        aws_access_key_id="test", aws_secret_access_key="test")


def seed(endpoint, region, spec):
    spec = json.load(open(spec))
    made = {}
    if "parameter" in spec:
        client(endpoint, region, "ssm").put_parameter(Name=spec["parameter"], Value=spec["passphrase"],
                                                      Type="SecureString")
    if "group" in spec:
        ec2 = client(endpoint, region, "ec2")
        image = ec2.describe_images()["Images"][0]["ImageId"]
        lt = ec2.create_launch_template(LaunchTemplateName=spec["group"] + "-lt",
                                        LaunchTemplateData={"ImageId": image, "InstanceType": "m4.2xlarge"})
        asc = client(endpoint, region, "autoscaling")
        zone = ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]
        asc.create_auto_scaling_group(
            AutoScalingGroupName=spec["group"], MinSize=0, MaxSize=2, DesiredCapacity=1,
            AvailabilityZones=[zone],
            LaunchTemplate={"LaunchTemplateId": lt["LaunchTemplate"]["LaunchTemplateId"]})
        asc.put_lifecycle_hook(LifecycleHookName=spec["hook"], AutoScalingGroupName=spec["group"],
                               LifecycleTransition="autoscaling:EC2_INSTANCE_TERMINATING",
                               HeartbeatTimeout=spec["timeout"], DefaultResult="CONTINUE")
        made["instance"] = instances(endpoint, region, spec["group"])[0]
    print(json.dumps(made))


def instances(endpoint, region, group):
    asc = client(endpoint, region, "autoscaling")
    return [i["InstanceId"] for g in asc.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"]
            for i in g["Instances"]]


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "seed":
        seed(*sys.argv[2:5])
    else:
        print(json.dumps(instances(*sys.argv[2:5])))
