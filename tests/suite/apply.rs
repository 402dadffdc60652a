//! `terraform apply` and `destroy` of every example against a local AWS API emulator (moto),
//! with the emulator's API asked afterwards whether what exists is what the output files say
//! (tests/apply/emulator_apply.py: security-group rules, user-data, group sizes, the drain
//! hook, IAM documents, the bucket's settings, outputs; then nothing left after destroy), and
//! every AWS call of plan, apply and destroy (Terraform's JSON trace) evaluated against the
//! installer's policy by a real IAM policy evaluator (tests/apply/iam_proof.py).
//!
//! `scripts/test` installs the emulator, Terraform's offline provider is on the machine, and
//! CCI_REQUIRE_VALIDATORS=1 makes a missing tool a failure. A plain `cargo test` on a machine
//! without them says it skipped this.

use std::process::Command;

#[test]
fn every_example_applies_and_destroys_against_the_aws_api_emulator() {
    let Some(env_sh) = crate::installed_tool("MOTO_PYTHON", "the AWS API emulator is") else {
        return;
    };
    // The installer's policy is proven against every call (tests/apply/iam_proof.py).
    let Some(evaluator) = crate::iam_simulate() else {
        return;
    };
    let script = crate::root().join("tests/apply/emulator_apply.py");
    // Every example with an image of its own on each machine, and the default site as written
    // (machines find the release's OS among the emulator's public images).
    let mut runs: Vec<(std::path::PathBuf, &str)> = crate::examples()
        .into_iter()
        .map(|p| (p, "own-ami"))
        .collect();
    runs.push((crate::root().join("examples/default.cci"), "lookup"));

    // The runs mostly wait on Terraform's polling, so they go side by side.
    let handles: Vec<_> = runs
        .into_iter()
        .map(|(site, mode)| {
            let (env_sh, script, evaluator) = (env_sh.clone(), script.clone(), evaluator.clone());
            std::thread::spawn(move || {
                let o = Command::new("bash")
                    .arg("-c")
                    .arg(r#". "$1" && exec "$MOTO_PYTHON" "$2" "$3" "$4" "$5""#)
                    .arg("apply")
                    .arg(&env_sh)
                    .arg(&script)
                    .arg(env!("CARGO_BIN_EXE_cci-dsl"))
                    .arg(&site)
                    .arg(mode)
                    .env("IAM_SIMULATE_NODE_MODULES", &evaluator)
                    .output()
                    .expect("bash runs");
                let report = format!(
                    "== {} ({mode})\n{}{}",
                    site.display(),
                    String::from_utf8_lossy(&o.stdout),
                    String::from_utf8_lossy(&o.stderr)
                );
                (o.status.success(), report)
            })
        })
        .collect();
    let mut failures = Vec::new();
    for h in handles {
        let (ok, report) = h.join().expect("the apply thread finishes");
        eprintln!("{report}");
        if !ok {
            failures.push(report);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// One request as Terraform's JSON trace records it (TF_LOG=JSON).
fn traced(
    service: &str,
    operation: &str,
    region: &str,
    method: &str,
    url: &str,
    body: &str,
) -> String {
    let content_type = if body.starts_with('{') {
        "application/x-amz-json-1.1"
    } else {
        "application/x-www-form-urlencoded"
    };
    serde_json::json!({
        "@message": "HTTP Request Sent",
        "rpc.service": service,
        "rpc.method": operation,
        "aws.region": region,
        "http.method": method,
        "http.url": url,
        "http.request.body": body,
        "http.request.header.content_type": content_type,
        "tf_req_id": operation,
    })
    .to_string()
}

/// The proof itself can fail, and names what fails: a call outside a statement's region, a
/// call the policy lacks, a role a call passes without the policy allowing it, and a call the
/// proof cannot name the resource of; what the policy allows and what needs no permission
/// pass. (The apply test above runs the same proof on every example's real trace.)
#[test]
fn the_policy_proof_names_each_call_the_policy_does_not_allow() {
    let Some(evaluator) = crate::iam_simulate() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let e = "http://127.0.0.1:1/";
    let trace = [
        traced("EC2", "DescribeVpcAttribute", "us-west-2", "POST", e, "Action=DescribeVpcAttribute&Attribute=enableDnsSupport&VpcId=vpc-0a1b2c3d4e5f60718"),
        traced("EC2", "DescribeVpcAttribute", "eu-west-1", "POST", e, "Action=DescribeVpcAttribute&Attribute=enableDnsSupport&VpcId=vpc-0a1b2c3d4e5f60719"),
        traced("S3", "ListObjectVersions", "us-west-2", "GET", "http://127.0.0.1:1/circleci-x-123456789012?versions=", ""),
        traced("S3", "HeadBucket", "us-west-2", "HEAD", "http://127.0.0.1:1/circleci-x-123456789012", ""),
        traced("STS", "GetCallerIdentity", "us-west-2", "POST", e, "Action=GetCallerIdentity"),
        traced("EC2", "RunInstances", "us-west-2", "POST", e, "Action=RunInstances&ImageId=ami-0a1b2c3d&SubnetId=subnet-0a1b2c3d&SecurityGroupId.1=sg-0a1b2c3d&IamInstanceProfile.Name=x-circleci-services"),
        traced("EC2", "DescribeInstanceAttribute", "us-west-2", "POST", e, "Action=DescribeInstanceAttribute&Attribute=userData"),
    ];
    std::fs::write(dir.path().join("trace.json"), trace.join("\n") + "\n").unwrap();
    let iam = dir.path().join("iam");
    std::fs::create_dir(&iam).unwrap();
    let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["ec2:DescribeVpcAttribute"], "Resource": ["arn:aws:ec2:us-west-2:*:vpc/*"]},
        {"Effect": "Allow", "Action": ["ec2:RunInstances", "ec2:DescribeInstanceAttribute"], "Resource": ["*"]},
        {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": ["arn:aws:s3:::circleci-x-????????????"]},
    ]});
    std::fs::write(iam.join("installer-policy.json"), policy.to_string()).unwrap();
    let o = Command::new("python3")
        .arg(crate::root().join("tests/apply/iam_proof.py"))
        .arg(dir.path().join("trace.json"))
        .arg(&iam)
        .env("IAM_SIMULATE_NODE_MODULES", &evaluator)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let denied: Vec<&str> = out.lines().filter(|l| l.starts_with("DENIED")).collect();
    let has = |s: &str| denied.iter().any(|l| l.contains(s));
    assert!(has("ec2:DescribeVpcAttribute on arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-0a1b2c3d4e5f60719"), "{out}");
    assert!(
        !has("us-west-2:123456789012:vpc/"),
        "the statement's region is allowed: {out}"
    );
    assert!(
        has("s3:ListBucketVersions on arn:aws:s3:::circleci-x-123456789012"),
        "{out}"
    );
    assert!(
        has("iam:PassRole on arn:aws:iam::123456789012:role/x-circleci-services"),
        "{out}"
    );
    assert!(
        has("ec2:DescribeInstanceAttribute on ?") && has("names no instance"),
        "{out}"
    );
    assert!(
        !has("sts:") && !has("s3:ListBucket on") && !has("ec2:RunInstances"),
        "{out}"
    );
    assert_eq!(denied.len(), 4, "{out}");
}
