//! Every output file of every example, snapshotted (snapshots/examples/), and the properties
//! every example's outputs must have whatever their contents.

use crate::{build_file, build_file_as_written, examples, rendered};

#[test]
fn every_example_builds_without_errors_and_matches_its_snapshots() {
    for path in examples() {
        let b = build_file_as_written(&path);
        let outputs = b.outputs.unwrap_or_else(|| {
            panic!(
                "{} has errors:\n{}",
                path.display(),
                rendered(&b.compilation)
            )
        });
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("../../snapshots/examples");
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| {
            for (file, text) in &outputs.files {
                let name = format!("{stem}__{}", file.replace(['/', '.'], "_"));
                let shown = path.strip_prefix(crate::root()).unwrap_or(&path);
                insta::with_settings!({ description => format!("{} -> {file}", shown.display()) }, {
                    insta::assert_snapshot!(name, text);
                });
            }
        });
    }
}

#[test]
fn outputs_are_deterministic() {
    for path in examples() {
        let a = build_file_as_written(&path).outputs.expect("builds");
        let b = build_file_as_written(&path).outputs.expect("builds");
        assert_eq!(a, b, "{} builds differently twice", path.display());
    }
}

#[test]
fn no_output_holds_a_secret_or_a_timestamp() {
    for path in examples() {
        let outputs = build_file(&path).outputs.expect("builds");
        let vars = &outputs.files["terraform/variables.tf"];
        assert!(
            vars.contains("sensitive = true") || vars.contains("sensitive   = true"),
            "passphrase variable is sensitive"
        );
        let var_block: String = vars
            .split("variable \"circle_secret_passphrase\"")
            .nth(1)
            .unwrap_or("")
            .chars()
            .take(600)
            .collect();
        assert!(
            !var_block.contains("default"),
            "the passphrase has no default"
        );
        for (file, text) in &outputs.files {
            assert!(
                !text.contains("circle_secret_passphrase=")
                    && !text.contains("CIRCLE_SECRET_PASSPHRASE="),
                "{file} writes the passphrase"
            );
            assert!(
                !has_date(&text.replace("\"2012-10-17\"", "")),
                "{file} carries a date: outputs must not change from one day to the next"
            );
        }
        // The passphrase reaches the box through SSM only.
        assert!(outputs.files["cloud-init/services.yaml"].contains("aws ssm get-parameter"));
    }
}

/// Terraform reads both user-data files with templatefile: the only `${...}` in them are the
/// placeholders it fills, and every placeholder is filled (the `.tf` passes each one).
#[test]
fn user_data_has_only_the_placeholders_terraform_fills() {
    for path in examples() {
        let outputs = build_file(&path).outputs.expect("builds");
        let external_nomad = std::fs::read_to_string(&path)
            .unwrap()
            .contains("external nomad_servers");
        let nomad_vars: &[&str] = if external_nomad {
            &[]
        } else {
            &["services_private_ip"]
        };
        for (file, tf, vars) in [
            (
                "cloud-init/nomad-client.yaml",
                "terraform/nomad.tf",
                nomad_vars,
            ),
            (
                "cloud-init/services.yaml",
                "terraform/services.tf",
                &["bucket", "queue_url", "vm_security_group_id"][..],
            ),
        ] {
            let mut rest = outputs.files[file].replace("$${", "").replace("%%{", "");
            for v in vars {
                assert!(
                    rest.contains(&format!("${{{v}}}")),
                    "{}: {file} uses ${{{v}}}",
                    path.display()
                );
                assert!(
                    outputs.files[tf].lines().any(|l| {
                        let mut words = l.split_whitespace();
                        words.next() == Some(*v) && words.next() == Some("=")
                    }),
                    "{}: {tf} fills {v}",
                    path.display()
                );
                rest = rest.replace(&format!("${{{v}}}"), "");
            }
            assert!(
                !rest.contains("${") && !rest.contains("%{"),
                "{}: stray template sequence in {file}",
                path.display()
            );
        }
    }
}

/// Nomad clients hold an instance profile for one thing: finishing their own scale-in. Build
/// containers cannot reach it (IMDSv2 only, hop limit 1, and the build isolation filter that
/// tests/suite/isolation.rs applies in network namespaces).
#[test]
fn nomad_clients_can_only_finish_their_own_scale_in() {
    for path in examples() {
        let outputs = build_file(&path).outputs.expect("builds");
        let y = &outputs.files["cloud-init/nomad-client.yaml"];
        assert!(y.contains("ISOLATION_BLOCKED='169.254.0.0/16'"));
        assert!(y.contains("BindsTo=docker.service") && y.contains("WantedBy=docker.service"));
        let lt = &outputs.files["terraform/nomad.tf"];
        assert!(lt.contains("http_tokens                 = \"required\""));
        assert!(lt.contains("http_put_response_hop_limit = 1"));
        assert!(lt.contains("name = aws_iam_instance_profile.nomad.name"));
        let policy: serde_json::Value =
            serde_json::from_str(&outputs.files["iam/nomad-client-role-policy.json"]).unwrap();
        let mut actions: Vec<&str> = policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["Action"].as_array().unwrap())
            .map(|a| a.as_str().unwrap())
            .collect();
        actions.sort_unstable();
        assert_eq!(
            actions,
            [
                "autoscaling:CompleteLifecycleAction",
                "autoscaling:DescribeAutoScalingInstances",
                "autoscaling:RecordLifecycleActionHeartbeat"
            ],
            "{}",
            path.display()
        );
    }
}

#[test]
fn security_groups_json_has_the_ec2_api_shape_and_no_open_ingress_unless_asked() {
    for path in examples() {
        let b = build_file(&path);
        let site_text = std::fs::read_to_string(&path).unwrap();
        let outputs = b.outputs.expect("builds");
        let doc: serde_json::Value =
            serde_json::from_str(&outputs.files["security-groups.json"]).expect("valid JSON");
        let groups = doc["SecurityGroups"]
            .as_array()
            .expect("SecurityGroups array");
        assert!(!groups.is_empty());
        for g in groups {
            for key in ["GroupName", "Description", "VpcId"] {
                assert!(g[key].is_string(), "{key} in {g}");
            }
            for (list, ingress) in [("IpPermissions", true), ("IpPermissionsEgress", false)] {
                for p in g[list].as_array().expect("permissions array") {
                    let proto = p["IpProtocol"].as_str().expect("IpProtocol");
                    assert!(["tcp", "udp", "icmp", "-1"].contains(&proto));
                    if proto == "tcp" || proto == "udp" {
                        let (from, to) = (
                            p["FromPort"].as_u64().unwrap(),
                            p["ToPort"].as_u64().unwrap(),
                        );
                        assert!(from <= to && to <= 65535);
                    } else {
                        assert!(p.get("FromPort").is_none());
                    }
                    let ranges = p["IpRanges"].as_array().unwrap();
                    let pairs = p["UserIdGroupPairs"].as_array().unwrap();
                    assert!(!ranges.is_empty() || !pairs.is_empty());
                    for r in ranges {
                        let cidr = r["CidrIp"].as_str().unwrap();
                        assert!(cidr.parse::<ipnet::Ipv4Net>().is_ok());
                        let d = r["Description"].as_str().unwrap();
                        assert!(!d.is_empty() && d.len() <= 255);
                        assert!(
                            d.chars().all(|c| c.is_ascii_alphanumeric()
                                || " ._-:/()#,@[]+=&;{}!$*".contains(c)),
                            "{d}"
                        );
                        if ingress && cidr == "0.0.0.0/0" {
                            assert!(
                                site_text.contains("0.0.0.0/0"),
                                "{}: 0.0.0.0/0 ingress the site did not ask for",
                                path.display()
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn iam_documents_are_strict_json_with_the_guides_typo_fixed() {
    for path in examples() {
        let outputs = build_file(&path).outputs.expect("builds");
        let installer = &outputs.files["iam/installer-policy.json"];
        assert!(!installer.contains("ec2>"), "the guide's typo is fixed");
        assert!(installer.contains("\"ec2:DeleteSecurityGroup\""));
        for (file, text) in outputs.files.iter().filter(|(f, _)| f.starts_with("iam/")) {
            let v: serde_json::Value =
                serde_json::from_str(text).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(v["Version"], "2012-10-17");
            for s in v["Statement"].as_array().unwrap() {
                for a in s["Action"].as_array().unwrap() {
                    let a = a.as_str().unwrap();
                    let (svc, action) = a
                        .split_once(':')
                        .unwrap_or_else(|| panic!("{file}: `{a}` is not service:action"));
                    assert!(!svc.is_empty() && !action.is_empty());
                }
                assert!(
                    !text.contains('{') || !text.contains("{partition}"),
                    "{file}: unfilled placeholder"
                );
            }
        }
    }
}

/// `YYYY-MM-DD` anywhere in the text (IAM's policy-language version is not a timestamp).
fn has_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.windows(10).any(|w| {
        w[..4].iter().all(u8::is_ascii_digit)
            && w[4] == b'-'
            && w[5..7].iter().all(u8::is_ascii_digit)
            && w[7] == b'-'
            && w[8..].iter().all(u8::is_ascii_digit)
    })
}

/// Issue 16, item 10: a guide row the stdlib narrowed or left closed with reasons shows, in
/// ports.md, the one line that opens it; added to the site, each line opens exactly that row
/// (all traffic between the named groups) and the site still builds.
#[test]
fn each_closed_guide_row_shows_the_line_that_opens_it() {
    let site = crate::root().join("examples/default.cci");
    let text = std::fs::read_to_string(&site).unwrap();
    let ports = crate::build_file(&site).outputs.unwrap().files["ports.md"].clone();
    let lines: Vec<String> = ports
        .lines()
        .filter(|l| l.ends_with("` |") && l.contains("| `allow "))
        .map(|l| {
            let start = l.rfind("| `allow ").unwrap() + 3;
            l[start..l.len() - 3].replace("\\|", "|")
        })
        .collect();
    assert_eq!(
        lines,
        [
            "allow all from nomad to services \"Internal Communication\"",
            "allow all from nomad to nomad \"Internal Comms\""
        ],
        "{ports}"
    );
    for line in &lines {
        let b = cci_core::build(
            "site.cci",
            &format!("{text}\n{line}\n"),
            &cci_core::stdlib::embedded(),
        );
        let files = b
            .outputs
            .unwrap_or_else(|| panic!("{line}: {}", crate::rendered(&b.compilation)))
            .files;
        let purpose = line.split('"').nth(1).unwrap();
        let sg: serde_json::Value = serde_json::from_str(&files["security-groups.json"]).unwrap();
        let (to, from) = if line.contains("to services") {
            ("acme-services", "acme-nomad")
        } else {
            ("acme-nomad", "acme-nomad")
        };
        let group = sg["SecurityGroups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["GroupName"] == to)
            .unwrap();
        let opened = group["IpPermissions"].as_array().unwrap().iter().any(|p| {
            p["IpProtocol"] == "-1"
                && p["UserIdGroupPairs"].as_array().unwrap().iter().any(|g| {
                    g["GroupName"] == from
                        && g["Description"].as_str().unwrap().starts_with(purpose)
                })
        });
        assert!(opened, "{line}: no all-traffic rule from {from} on {to}");
        assert!(
            files["ports.md"].contains(&format!("| all | {purpose} | site.cci |")),
            "{line}"
        );
    }
}

/// Issue 16, item 3: the services role keeps enterprise-setup's families (s3:*, sqs:*,
/// ec2:Describe* at the guide's date) written out and held to the site's bucket, queue and
/// region; what is removed is removed with evidence (iam.cci): no write of the bucket's or the
/// queue's own settings, no iam:GetUser.
#[test]
fn the_services_role_keeps_enterprise_setups_families_scoped_to_the_site() {
    let b = crate::build_file(&crate::root().join("examples/default.cci"));
    let doc: serde_json::Value =
        serde_json::from_str(&b.outputs.unwrap().files["iam/services-role-policy.json"]).unwrap();
    let statements = doc["Statement"].as_array().unwrap();
    let granting = |action: &str| -> Vec<&serde_json::Value> {
        statements
            .iter()
            .filter(|s| {
                s["Effect"] == "Allow"
                    && s["Action"].as_array().unwrap().iter().any(|a| a == action)
            })
            .collect()
    };
    for (action, resource) in [
        (
            "s3:GetObjectAcl",
            "arn:aws:s3:::circleci-acme-????????????/*",
        ),
        (
            "s3:PutObjectTagging",
            "arn:aws:s3:::circleci-acme-????????????/*",
        ),
        (
            "s3:GetBucketVersioning",
            "arn:aws:s3:::circleci-acme-????????????",
        ),
        (
            "s3:GetEncryptionConfiguration",
            "arn:aws:s3:::circleci-acme-????????????",
        ),
        (
            "sqs:SendMessage",
            "arn:aws:sqs:us-west-2:*:acme-circleci-nomad-shutdown",
        ),
        ("ec2:DescribeRegions", "*"),
        ("ec2:DescribeSpotPriceHistory", "*"),
    ] {
        let s = granting(action);
        assert_eq!(s.len(), 1, "{action} granted once");
        assert_eq!(s[0]["Resource"], serde_json::json!([resource]), "{action}");
        if resource == "*" {
            assert_eq!(
                s[0]["Condition"]["StringEquals"]["aws:RequestedRegion"],
                serde_json::json!(["us-west-2"]),
                "{action}"
            );
        }
    }
    for action in [
        "s3:DeleteBucket",
        "s3:PutBucketPolicy",
        "s3:PutBucketPublicAccessBlock",
        "s3:CreateBucket",
        "sqs:DeleteQueue",
        "sqs:SetQueueAttributes",
        "iam:GetUser",
        "s3:*",
        "sqs:*",
    ] {
        assert!(
            granting(action).is_empty(),
            "{action} is not the services box's"
        );
    }
}
