//! `terraform/*.tf`: one template per resource kind, rendered in the dependency graph's
//! order and grouped by file. Each node of the graph carries its resource's data; this module
//! turns it into the template's context.

use super::{hcl, render, EmitError, Input, Outputs, Templates};
use crate::graph::{BucketPart, Resource, Role, TfFile};
use crate::model::{Fleet, OutputDef, Site, Stdlib};
use crate::names::{self, Names};
use crate::network::{Direction, Group, GroupRole, Peer, SgRule};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub fn emit(input: &Input, t: &Templates, out: &mut Outputs) -> Result<(), EmitError> {
    let site = input.site;
    let header = render(
        t,
        "tf/header",
        json!({ "source": input.source_name, "site": site.name, "release": input.lib.release }),
    )?;
    // Each file is built as its resources are rendered, each resource aligned on its own
    // (a blank line ends an alignment run, so this is what aligning the file would give):
    // a large site's Terraform is never held twice.
    let mut files: BTreeMap<TfFile, String> = BTreeMap::new();
    let mut append = |file: TfFile, part: &str| {
        let text = files.entry(file).or_insert_with(|| hcl::align(&header));
        text.push('\n');
        hcl::align_into(text, part.trim_end());
    };

    append(
        TfFile::Versions,
        &render(
            t,
            "tf/versions",
            json!({ "region": site.region, "tags": site_tags(site), "backend": site.state.as_ref().map(|s| json!({
                "bucket": s.bucket,
                "key": s.key,
                "region": s.region,
                "lock_table": s.lock_table,
                "kms_key": s.kms_key,
            })) }),
        )?,
    );

    let mut intro = true;
    for node in input.graph.nodes_in_order() {
        let (template, ctx) = context(input, &node.resource)?;
        append(node.file, &render(t, template, ctx)?);
        if let Some((from, why)) = node.resource.legacy_address() {
            let ctx = json!({ "from": from, "to": node.address, "why": why, "intro": intro });
            append(TfFile::Moved, &render(t, "tf/moved", ctx)?);
            intro = false;
        }
    }

    for file in TfFile::ALL {
        if let Some(text) = files.remove(&file) {
            out.files.insert(format!("terraform/{}", file.name()), text);
        }
    }
    Ok(())
}

/// The tags of every resource: the provider's `default_tags`.
fn site_tags(site: &Site) -> BTreeMap<String, String> {
    let mut tags = BTreeMap::new();
    tags.insert("circleci-site".to_string(), site.name.clone());
    tags.insert("generated-by".to_string(), "cci-dsl".to_string());
    for (k, v) in &site.tags {
        tags.insert(k.clone(), v.clone());
    }
    tags
}

/// What an Auto Scaling group launches carries no `default_tags` (the provider tags only the
/// resources it creates itself): the site's tags and the `Name` go into the launch template's
/// tag specifications and onto the group, which propagates them at launch (cost allocation of
/// the site's largest machines; issue 16, item 5).
fn launched_tags(site: &Site, name: String) -> BTreeMap<String, String> {
    let mut tags = site_tags(site);
    tags.insert("Name".to_string(), name);
    tags
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
        None => "data.aws_ami.os.id".into(),
    }
}

/// The services box's address an actor reaches, as a Terraform expression: its Elastic IP,
/// when it has one, for the public address.
fn services_address(site: &Site, actor: &str) -> &'static str {
    if site.reaches_public_address(actor) && site.services.elastic_ip {
        "aws_eip.services.public_ip"
    } else if site.reaches_public_address(actor) {
        "aws_instance.services.public_ip"
    } else {
        "aws_instance.services.private_ip"
    }
}

fn backup_policy(site: &Site) -> Value {
    let Some(b) = &site.services.backup else {
        return json!({});
    };
    json!({
        "site": site.name,
        "description": format!("Snapshots of the CircleCI services box of {}", site.name),
        // DLM takes letters, digits, spaces, `_` and `-` in a schedule's name.
        "schedule": format!("every {} hours from {} UTC keep {}", b.every_hours, b.at.replace(':', ""), b.keep),
        "every": b.every_hours,
        "at": b.at,
        "keep": b.keep,
    })
}

/// The zone is looked up among private hosted zones when the record holds a private address,
/// unless the site says otherwise.
fn private_zone(site: &Site, lib: &Stdlib, dns: &crate::model::Dns) -> bool {
    dns.private_zone
        .unwrap_or_else(|| !site.reaches_public_address(named_for(lib)))
}

/// The actor whose address of the services box the DNS record holds (stdlib `named_for`).
fn named_for(lib: &Stdlib) -> &str {
    lib.services_machine
        .named_for
        .as_deref()
        .unwrap_or_default()
}

fn dns_record(site: &Site, lib: &Stdlib) -> Value {
    let Some(dns) = &site.dns else {
        return json!({});
    };
    let public = site.reaches_public_address(named_for(lib));
    json!({
        "zone": dns.zone,
        "fqdn": dns.fqdn(),
        "private_zone": private_zone(site, lib, dns),
        "vpc": site.vpc,
        "address": services_address(site, named_for(lib)),
        "address_kind": if public { "its public address" } else { "its private address" },
        "actor": named_for(lib),
    })
}

/// An output's value: the stdlib's text as an HCL template string with `{address}`, `{port}`
/// and `{login_user}` filled in.
fn output_value(o: &OutputDef, site: &Site, lib: &Stdlib) -> Result<String, EmitError> {
    // With a DNS record, an output names the box by it where its actor reaches the address
    // the record holds.
    let address = match &site.dns {
        Some(dns)
            if services_address(site, &o.reached_by) == services_address(site, named_for(lib)) =>
        {
            hcl::string_body(&dns.fqdn())
        }
        _ => format!("${{{}}}", services_address(site, &o.reached_by)),
    };
    let mut out = String::from("\"");
    let mut rest = o.value.as_str();
    while let Some(open) = rest.find('{') {
        out.push_str(hcl::string_body(&rest[..open]).as_str());
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or_else(|| {
            EmitError(format!("output {}: unclosed `{{` in `{}`", o.name, o.value))
        })?;
        match &after[..close] {
            "address" => out.push_str(&address),
            "login_user" => out.push_str(&hcl::string_body(&lib.os.login_user)),
            "port" => out.push_str(&o.port.to_string()),
            other => {
                return Err(EmitError(format!(
                    "output {}: unknown placeholder `{{{other}}}` (the outputs take {{address}}, {{port}} and {{login_user}})",
                    o.name
                )))
            }
        }
        rest = &after[close + 1..];
    }
    out.push_str(&hcl::string_body(rest));
    out.push('"');
    Ok(out)
}

/// The template and its context for one resource.
fn context(input: &Input, resource: &Resource) -> Result<(&'static str, Value), EmitError> {
    let (site, lib) = (input.site, input.lib);
    let names = Names::new(site);
    Ok(match resource {
        Resource::PassphraseVariable => ("tf/variable_passphrase", json!({})),
        Resource::PassphraseParameter { name } => (
            "tf/ssm_passphrase",
            json!({ "name": name, "site": site.name }),
        ),
        Resource::CallerIdentity => ("tf/caller_identity", json!({})),
        Resource::Ami => (
            "tf/ami",
            json!({
                "description": lib.os.description,
                "owner": lib.os.ami_owner,
                "pattern": lib.os.ami_name,
            }),
        ),
        Resource::OwnImage(f) => (
            "tf/own_image",
            json!({
                "id": names::fleet_qualified_id(&f.name),
                "fleet": f.name,
                "ami": f.ami,
            }),
        ),
        Resource::SecurityGroup(g) => ("tf/security_group", security_group(g, site)),
        Resource::SgRule(r) => ("tf/sg_rule", sg_rule(r)),
        Resource::Bucket(part) => bucket(*part, site, &names),
        Resource::ShutdownQueue { name } => ("tf/queue", json!({ "name": name })),
        Resource::Role(r) => ("tf/iam_role", role(r)),
        Resource::RolePolicy(r) => ("tf/iam_role_policy", role(r)),
        Resource::InstanceProfile(r) => ("tf/instance_profile", role(r)),
        Resource::ServicesInstance => {
            ("tf/services_instance", services_instance(site, lib, &names))
        }
        Resource::LaunchTemplate(f, groups) => (
            "tf/launch_template",
            launch_template(f, groups, site, lib, &names),
        ),
        Resource::AutoScalingGroup(f) => (
            "tf/autoscaling_group",
            json!({
                "id": names::fleet_id(&f.name),
                "name_prefix": names.fleet_prefix(&f.name),
                "min": f.min,
                "max": f.max,
                "subnets": site.subnets,
                "tags": launched_tags(site, names.fleet(&f.name)),
            }),
        ),
        Resource::LifecycleHook(f) => (
            "tf/lifecycle_hook",
            json!({
                "id": names::fleet_id(&f.name),
                "name": names.drain_hook(),
                "heartbeat_timeout": lib.nomad.drain_timeout_seconds,
            }),
        ),
        Resource::NetworkChecks => (
            "tf/network_checks",
            json!({
                "nat": site.nat,
                "s3_endpoint": site.s3_endpoint,
                "vpc": site.vpc,
                "subnets": site.subnets,
                "several_subnets": site.subnets.len() > 1,
                "private_zone": site.dns.as_ref().is_some_and(|d| private_zone(site, lib, d)),
                "zone": site.dns.as_ref().map(|d| &d.zone),
            }),
        ),
        Resource::DnsRecord => ("tf/dns_record", dns_record(site, lib)),
        Resource::ElasticIp => (
            "tf/elastic_ip",
            json!({ "name": names.services_instance() }),
        ),
        Resource::BackupPolicy => ("tf/dlm_policy", backup_policy(site)),
        Resource::Outputs => ("tf/outputs", outputs(site, lib)?),
    })
}

fn security_group(g: &Group, site: &Site) -> Value {
    json!({
        "id": g.id,
        "name": g.name,
        "name_prefix": names::group_prefix(&g.name),
        "description": g.description,
        "vpc": site.vpc,
        "external": matches!(g.role, GroupRole::External(_)),
        "vms": g.role == GroupRole::Vms,
    })
}

fn sg_rule(r: &SgRule) -> Value {
    let resource_type = r.tf_type();
    let protocol = match r.protocol {
        crate::ast::Protocol::All => "-1".to_string(),
        p => p.as_str().to_string(),
    };
    let (peer_group, cidr) = match &r.peer {
        Peer::Group(g) => (Value::String(g.clone()), Value::Null),
        Peer::Cidr(c) => (Value::Bool(false), Value::String(c.to_string())),
    };
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
        "ipv6": matches!(r.peer, Peer::Cidr(ipnet::IpNet::V6(_))),
    })
}

fn bucket(part: BucketPart, site: &Site, names: &Names) -> (&'static str, Value) {
    match part {
        BucketPart::Bucket => (
            "tf/bucket",
            json!({ "bucket": bucket_hcl(names, site), "force_destroy": site.disposable.is_some() }),
        ),
        BucketPart::Encryption => ("tf/bucket_encryption", json!({})),
        BucketPart::PublicAccessBlock => ("tf/bucket_public_access_block", json!({})),
        BucketPart::Versioning => ("tf/bucket_versioning", json!({})),
        BucketPart::Ownership => ("tf/bucket_ownership", json!({})),
        BucketPart::Lifecycle => ("tf/bucket_lifecycle", json!({})),
        BucketPart::Cors => ("tf/bucket_cors", json!({})),
    }
}

/// The bucket's name as a Terraform string expression: the site's, or derived from its
/// account (the caller's account at apply time when the site gives none).
fn bucket_hcl(names: &Names, site: &Site) -> String {
    match (&site.bucket, &site.account) {
        (Some(b), _) => hcl::string(b),
        (None, Some(account)) => hcl::string(&names.derived_bucket(account)),
        (None, None) => format!(
            "\"{}\"",
            names.derived_bucket(&format!("${{{}}}", names::CALLER_ACCOUNT_ID))
        ),
    }
}

fn role(r: &Role) -> Value {
    json!({
        "id": r.id,
        "name": r.name,
        "description": r.description,
        "trust_file": r.trust_file,
        "policy_file": r.policy_file,
        "account_from_terraform": r.account_from_terraform,
    })
}

fn services_instance(site: &Site, lib: &Stdlib, names: &Names) -> Value {
    let s = &site.services;
    let m = &lib.services_machine;
    let user_data_vars: Vec<Value> = super::cloud_init::services_user_data_vars(site)
        .into_iter()
        .map(|(name, value)| json!({ "name": name, "value": value }))
        .collect();
    json!({
        "ami": ami_expr(&s.ami),
        "instance_type": s.instance.name,
        "subnet": site.subnet,
        "public_ip": site.public_ip,
        "ssh_key": site.ssh_key,
        // A disposable site gives up what keeps the box's state (guide ch. 3, FAQ "Why
        // doesn't terraform destroy every resource?").
        "termination_protection": m.termination_protection && site.disposable.is_none(),
        "delete_volume": site.disposable.is_some(),
        "disk_gib": s.disk_gib,
        "volume_type": m.volume_type,
        "metadata_reason": m.metadata_reason,
        "metadata_tokens": m.metadata_tokens,
        "metadata_hop_limit": m.metadata_hop_limit,
        "name": names.services_instance(),
        // Data Lifecycle Manager finds the box to snapshot by this tag.
        "backup_tag": site.services.backup.as_ref().map(|_| &site.name),
        "user_data_vars": user_data_vars,
    })
}

fn launch_template(
    f: &Fleet,
    groups: &[String],
    site: &Site,
    lib: &Stdlib,
    names: &Names,
) -> Value {
    let m = &lib.nomad_machine;
    // The image's own root device (issue 16, item 4), whether looked up or named.
    let root_device = match f.ami {
        Some(_) => format!(
            "data.aws_ami.{}.root_device_name",
            names::fleet_qualified_id(&f.name)
        ),
        None => "data.aws_ami.os.root_device_name".into(),
    };
    json!({
        "fleet": f.name,
        "id": names::fleet_id(&f.name),
        "name_prefix": names.fleet_prefix(&f.name),
        "ami": ami_expr(&f.ami),
        "root_device": root_device,
        "instance_type": f.instance.name,
        "ssh_key": site.ssh_key,
        "public_ip": site.public_ip,
        "groups": groups
            .iter()
            .map(|g| format!("aws_security_group.{g}.id"))
            .collect::<Vec<_>>(),
        "join_services": site.external_nomad_servers(lib).is_none(),
        "disk_gib": f.disk_gib,
        "volume_type": m.volume_type,
        "metadata_reason": m.metadata_reason,
        "metadata_tokens": m.metadata_tokens,
        "metadata_hop_limit": m.metadata_hop_limit,
        "tags": launched_tags(site, names.fleet(&f.name)),
    })
}

fn outputs(site: &Site, lib: &Stdlib) -> Result<Value, EmitError> {
    let urls = lib
        .outputs
        .iter()
        .map(|o| {
            Ok(json!({
                "name": o.name,
                "description": o.description,
                "value": output_value(o, site, lib)?,
            }))
        })
        .collect::<Result<Vec<_>, EmitError>>()?;
    Ok(
        json!({ "urls": urls, "vm_service": site.vm_service, "disposable": site.disposable.is_some() }),
    )
}
