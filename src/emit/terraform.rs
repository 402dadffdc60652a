//! `terraform/*.tf`: one template per resource kind, rendered in the dependency graph's
//! order and grouped by file.

use super::{hcl, render, EmitError, Input, Outputs};
use crate::graph::What;
use crate::network::{Direction, Peer};
use handlebars::Handlebars;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The `.tf` files, in the order a reader wants them.
const FILES: &[&str] = &[
    "versions.tf",
    "variables.tf",
    "security-groups.tf",
    "storage.tf",
    "iam.tf",
    "services.tf",
    "nomad.tf",
    "checks.tf",
    "outputs.tf",
];

pub fn emit(input: &Input, t: &Handlebars, out: &mut Outputs) -> Result<(), EmitError> {
    let site = input.site;
    let header = render(
        t,
        "tf/header",
        &json!({ "source": input.source_name, "site": site.name, "release": input.lib.release }),
    )?;
    let mut bodies: BTreeMap<&str, Vec<String>> = BTreeMap::new();

    let mut tags = BTreeMap::new();
    tags.insert("circleci-site".to_string(), site.name.clone());
    tags.insert("generated-by".to_string(), "cci-dsl".to_string());
    for (k, v) in &site.tags {
        tags.insert(k.clone(), v.clone());
    }
    bodies.entry("versions.tf").or_default().push(render(
        t,
        "tf/versions",
        &json!({ "region": site.region, "tags": tags }),
    )?);

    for node in input.graph.nodes_in_order() {
        let (template, ctx) = context(input, &node.what);
        bodies
            .entry(node.file)
            .or_default()
            .push(render(t, template, &ctx)?);
    }

    for file in FILES {
        let Some(parts) = bodies.get(file) else {
            continue;
        };
        let mut text = header.clone();
        for p in parts {
            text.push('\n');
            text.push_str(p.trim_end());
            text.push('\n');
        }
        out.files
            .insert(format!("terraform/{file}"), hcl::align(&text));
    }
    Ok(())
}

fn names(site: &crate::model::Site) -> Names {
    Names {
        role: format!("{}-circleci-services", site.name),
        hook_role: format!("{}-circleci-lifecycle-hook", site.name),
        queue: format!("{}-circleci-nomad-shutdown", site.name),
        ssm_prefix: format!("/circleci/{}", site.name),
    }
}

/// AWS names shared by the Terraform and the IAM documents.
pub struct Names {
    pub role: String,
    pub hook_role: String,
    pub queue: String,
    pub ssm_prefix: String,
}

pub fn site_names(site: &crate::model::Site) -> Names {
    names(site)
}

/// The ports checkov watches for ingress from anywhere.
const WATCHED_PORTS: &[(&str, u16)] = &[
    ("CKV_AWS_24", 22),
    ("CKV_AWS_25", 3389),
    ("CKV_AWS_260", 80),
];

fn watched_checks(ports: Option<(u16, u16)>) -> Vec<&'static str> {
    match ports {
        Some((a, b)) => WATCHED_PORTS
            .iter()
            .filter(|(_, p)| (a..=b).contains(p))
            .map(|(id, _)| *id)
            .collect(),
        None => vec!["CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260", "CKV_AWS_277"],
    }
}

/// checkov reads an ingress rule without `cidr_ipv4` as open to 0.0.0.0/0 on the ports it
/// watches (22, 3389, 80); a rule that admits only another group says so instead.
fn group_port_skips(r: &crate::network::SgRule) -> Vec<&'static str> {
    match (r.direction, &r.peer) {
        (Direction::Ingress, Peer::Group(_)) if r.ports.is_some() => watched_checks(r.ports),
        _ => Vec::new(),
    }
}

/// Ingress from 0.0.0.0/0 exists only where the site bound an actor to it: the scanners'
/// findings are accepted with that as the reason (W0411 warns when it is the admins).
fn open_ingress(r: &crate::network::SgRule) -> Option<Value> {
    match (r.direction, &r.peer) {
        (Direction::Ingress, Peer::Cidr(c)) if c.prefix_len() == 0 => {
            let mut actors: Vec<&str> = r.reasons.iter().map(|x| x.peer_name.as_str()).collect();
            actors.sort_unstable();
            actors.dedup();
            Some(json!({ "actors": actors.join(", "), "checks": watched_checks(r.ports) }))
        }
        _ => None,
    }
}

fn ami_expr(ami: &Option<String>) -> String {
    match ami {
        Some(id) => hcl::string(id),
        None => "data.aws_ami.ubuntu.id".into(),
    }
}

fn context(input: &Input, what: &What) -> (&'static str, Value) {
    let site = input.site;
    let lib = input.lib;
    let n = names(site);
    let setting = |k: &str| lib.settings.get(k).cloned().unwrap_or_default();
    match what {
        What::PassphraseVariable => ("tf/variable_passphrase", json!({})),
        What::PassphraseParameter => (
            "tf/ssm_passphrase",
            json!({ "name": format!("{}/passphrase", n.ssm_prefix), "site": site.name }),
        ),
        What::Ami => {
            let ubuntu = lib
                .versions
                .get("ubuntu")
                .cloned()
                .unwrap_or_else(|| "bionic-18.04".into());
            let pattern = format!("ubuntu/images/hvm-ssd/ubuntu-{ubuntu}-amd64-server-*");
            ("tf/ami", json!({ "ubuntu": ubuntu, "pattern": pattern }))
        }
        What::SecurityGroup(i) => {
            let g = &input.net.groups[*i];
            (
                "tf/security_group",
                json!({
                    "id": g.id,
                    "name": g.name,
                    "description": g.description,
                    "vpc": site.vpc,
                    "external": matches!(g.role, crate::network::GroupRole::External(_)),
                    "vms": g.role == crate::network::GroupRole::Vms,
                }),
            )
        }
        What::SgRule(i) => {
            let r = &input.net.rules[*i];
            let resource_type = match r.direction {
                Direction::Ingress => "aws_vpc_security_group_ingress_rule",
                Direction::Egress => "aws_vpc_security_group_egress_rule",
            };
            let protocol = match r.protocol {
                crate::ast::Protocol::All => "-1".to_string(),
                p => p.as_str().to_string(),
            };
            let (peer_group, cidr) = match &r.peer {
                Peer::Group(g) => (Value::String(g.clone()), Value::Null),
                Peer::Cidr(c) => (Value::Bool(false), Value::String(c.to_string())),
            };
            (
                "tf/sg_rule",
                json!({
                    "resource_type": resource_type,
                    "tf_name": r.tf_name(),
                    "group": r.group,
                    "description": r.description(),
                    "protocol": protocol,
                    "has_ports": r.ports.is_some(),
                    "from_port": r.ports.map(|p| p.0),
                    "to_port": r.ports.map(|p| p.1),
                    "peer_group": peer_group,
                    "group_port_skips": group_port_skips(r),
                    "open_ingress": open_ingress(r),
                    "open_egress": r.direction == Direction::Egress
                        && matches!(r.peer, Peer::Cidr(c) if c.prefix_len() == 0),
                    "cidr": cidr,
                }),
            )
        }
        What::Bucket => ("tf/bucket", json!({ "bucket": site.bucket })),
        What::BucketEncryption => ("tf/bucket_encryption", json!({})),
        What::BucketPublicAccessBlock => ("tf/bucket_public_access_block", json!({})),
        What::BucketVersioning => ("tf/bucket_versioning", json!({})),
        What::BucketOwnership => ("tf/bucket_ownership", json!({})),
        What::BucketLifecycle => ("tf/bucket_lifecycle", json!({})),
        What::ShutdownQueue => ("tf/queue", json!({ "name": n.queue })),
        What::ServicesRole => (
            "tf/iam_role",
            json!({ "id": "services", "name": n.role, "description": "CircleCI services box (instance profile)", "trust_file": "ec2-assume-role.json" }),
        ),
        What::ServicesRolePolicy => (
            "tf/iam_role_policy",
            json!({ "id": "services", "name": n.role, "policy_file": "services-role-policy.json" }),
        ),
        What::ServicesProfile => ("tf/instance_profile", json!({ "name": n.role })),
        What::HookRole => (
            "tf/iam_role",
            json!({ "id": "lifecycle_hook", "name": n.hook_role, "description": "Auto Scaling lifecycle notices to the Nomad shutdown queue", "trust_file": "autoscaling-assume-role.json" }),
        ),
        What::HookRolePolicy => (
            "tf/iam_role_policy",
            json!({ "id": "lifecycle_hook", "name": n.hook_role, "policy_file": "lifecycle-hook-policy.json" }),
        ),
        What::ServicesInstance => {
            let s = &site.services;
            (
                "tf/services_instance",
                json!({
                    "ami": ami_expr(&s.ami),
                    "instance_type": s.instance.name,
                    "subnet": site.subnet,
                    "public_ip": site.public_ip,
                    "ssh_key": site.ssh_key,
                    "termination_protection": setting("services.termination_protection") != "false",
                    "disk_gib": s.disk_gib,
                    "volume_type": setting("services.volume_type"),
                    "metadata_reason": setting("services.metadata_reason"),
                    "metadata_tokens": setting("services.metadata_tokens"),
                    "metadata_hop_limit": setting("services.metadata_hop_limit"),
                    "name": format!("{}-circleci-services", site.name),
                }),
            )
        }
        What::LaunchTemplate(i) => {
            let f = &site.fleets[*i];
            let root_device = match f.ami {
                Some(_) => hcl::string("/dev/sda1"),
                None => "data.aws_ami.ubuntu.root_device_name".into(),
            };
            (
                "tf/launch_template",
                json!({
                    "fleet": f.name,
                    "id": format!("nomad_{}", f.name),
                    "name_prefix": format!("{}-nomad-{}-", site.name, f.name.replace('_', "-")),
                    "ami": ami_expr(&f.ami),
                    "root_device": root_device,
                    "instance_type": f.instance.name,
                    "ssh_key": site.ssh_key,
                    "public_ip": site.public_ip,
                    "group": crate::network::fleet_group(&f.name),
                    "disk_gib": f.disk_gib,
                    "volume_type": setting("nomad.volume_type"),
                    "metadata_reason": setting("nomad.metadata_reason"),
                    "metadata_tokens": setting("nomad.metadata_tokens"),
                    "metadata_hop_limit": setting("nomad.metadata_hop_limit"),
                    "name": format!("{}-nomad-{}", site.name, f.name.replace('_', "-")),
                }),
            )
        }
        What::AutoScalingGroup(i) => {
            let f = &site.fleets[*i];
            (
                "tf/autoscaling_group",
                json!({
                    "id": format!("nomad_{}", f.name),
                    "name_prefix": format!("{}-nomad-{}-", site.name, f.name.replace('_', "-")),
                    "min": f.min,
                    "max": f.max,
                    "subnet": site.subnet,
                    "name": format!("{}-nomad-{}", site.name, f.name.replace('_', "-")),
                }),
            )
        }
        What::LifecycleHook(i) => {
            let f = &site.fleets[*i];
            (
                "tf/lifecycle_hook",
                json!({
                    "id": format!("nomad_{}", f.name),
                    "name": format!("{}-nomad-{}-shutdown", site.name, f.name.replace('_', "-")),
                }),
            )
        }
        What::NetworkChecks => (
            "tf/network_checks",
            json!({ "nat": site.nat, "s3_endpoint": site.s3_endpoint, "vpc": site.vpc }),
        ),
        What::Outputs => {
            // In a private subnet the box is reached on its private address (VPN, peering).
            let ip = if site.public_ip {
                "aws_instance.services.public_ip"
            } else {
                "aws_instance.services.private_ip"
            };
            (
                "tf/outputs",
                json!({
                    "install_url": format!("\"http://${{{ip}}}/\""),
                    "admin_url": format!("\"https://${{{ip}}}:8800/\""),
                    "ssh": format!("\"ssh ubuntu@${{{ip}}}\""),
                    "vm_service": site.vm_service,
                }),
            )
        }
    }
}
