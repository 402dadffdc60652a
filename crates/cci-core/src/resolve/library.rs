//! The library's block kinds (normally in `stdlib/`): releases, actors, externalizable
//! services, regions, instance types, sizing tables, machine settings, IAM policies.

use super::schema::{opt, read, req, AttrSpec, Ty, Values};
use super::{plan_data, policy, release};
use crate::ast::Block;
use crate::codes::Code;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::model::{
    ActorDef, AwsLimits, ExternalDef, InstanceType, NomadCountRow, NomadRequirements, SizingRow,
    Stdlib,
};
use crate::span::{Span, Spanned};
use std::collections::BTreeMap;

#[derive(Default)]
pub(super) struct Seen {
    pub(super) names: BTreeMap<(String, String), Span>,
}

impl Seen {
    /// A block of `kind` that takes no name and appears once: its values read against
    /// `schema` (and its `nested` blocks), or `None` when it was seen before.
    pub(super) fn single<'a>(
        &mut self,
        kind: &str,
        b: &'a Block,
        schema: &[AttrSpec],
        nested: &[&str],
        lib: &Stdlib,
        diags: &mut Diagnostics,
    ) -> Option<(Values, Vec<&'a Block>)> {
        no_labels(b, diags);
        if !self.first(kind, "", b.span, diags) {
            return None;
        }
        Some(read(format!("`{kind}`"), b, schema, nested, lib, diags))
    }

    /// A block of `kind` that takes one name (`example` when it has none): its name and its
    /// values, or `None` when it has no name or one seen before. ([`Seen::single`]'s inputs and
    /// the name's example: one more than clippy's default, on purpose.)
    #[allow(clippy::too_many_arguments)]
    pub(super) fn named<'a>(
        &mut self,
        kind: &str,
        example: &str,
        b: &'a Block,
        schema: &[AttrSpec],
        nested: &[&str],
        lib: &Stdlib,
        diags: &mut Diagnostics,
    ) -> Option<(Spanned<String>, Values, Vec<&'a Block>)> {
        let name = label(b, diags, example)?;
        if !self.first(kind, &name.node, name.span, diags) {
            return None;
        }
        let what = format!("{kind} `{}`", name.node);
        let (v, blocks) = read(what, b, schema, nested, lib, diags);
        Some((name, v, blocks))
    }

    /// Records `kind name`; reports a duplicate.
    pub(super) fn first(
        &mut self,
        kind: &str,
        name: &str,
        span: Span,
        diags: &mut Diagnostics,
    ) -> bool {
        let key = (kind.to_string(), name.to_string());
        if let Some(prev) = self.names.get(&key) {
            diags.push(
                Diagnostic::new(
                    Code::E0204,
                    span,
                    format!("`{kind} {name}` is declared twice"),
                )
                .label("declared again here")
                .with(*prev, "first declared here")
                .help("remove one of them, or give them different names"),
            );
            return false;
        }
        self.names.insert(key, span);
        true
    }
}

pub(super) fn label(b: &Block, diags: &mut Diagnostics, example: &str) -> Option<Spanned<String>> {
    match b.labels.as_slice() {
        [one] => Some(one.clone()),
        [] => {
            diags.push(
                Diagnostic::new(
                    Code::E0213,
                    b.kind.span,
                    format!("`{}` needs a name", b.kind.node),
                )
                .label("no name after the block kind")
                .help(format!("write `{} {example} {{ ... }}`", b.kind.node)),
            );
            None
        }
        [_, extra, ..] => {
            diags.push(
                Diagnostic::new(
                    Code::E0213,
                    extra.span,
                    format!("`{}` takes one name", b.kind.node),
                )
                .label("unexpected second name")
                .help(format!("write `{} {example} {{ ... }}`", b.kind.node)),
            );
            None
        }
    }
}

pub(super) fn no_labels(b: &Block, diags: &mut Diagnostics) {
    if let Some(l) = b.labels.first() {
        diags.push(
            Diagnostic::new(
                Code::E0213,
                l.span,
                format!("`{}` takes no name", b.kind.node),
            )
            .label("unexpected name")
            .help(format!("write `{} {{ ... }}`", b.kind.node)),
        );
    }
}

pub(super) fn read_library_block(
    lib: &mut Stdlib,
    seen: &mut Seen,
    b: &Block,
    diags: &mut Diagnostics,
) {
    match b.kind.node.as_str() {
        "release" => release::read_release(lib, seen, b, diags),
        "os" => release::read_os(lib, seen, b, diags),
        "docker_repository" => release::read_docker(lib, seen, b, diags),
        "nomad_client" => release::read_nomad(lib, seen, b, diags),
        "replicated" => release::read_replicated(lib, seen, b, diags),
        "machine" => release::read_machine(lib, seen, b, diags),
        "output" => release::read_output(lib, seen, b, diags),
        "actor" => read_actor(lib, seen, b, diags),
        "externalizable" => read_externalizable(lib, seen, b, diags),
        "regions" => read_regions(lib, b, diags),
        "instance_type" => read_instance_type(lib, seen, b, diags),
        "services_sizing" => read_services_sizing(lib, b, diags),
        "nomad_requirements" => read_nomad_requirements(lib, seen, b, diags),
        "nomad_count" => read_nomad_count(lib, b, diags),
        "policy" => policy::read_policy(lib, seen, b, diags),
        "aws_limits" => read_aws_limits(lib, seen, b, diags),
        "build_isolation" => release::read_build_isolation(lib, seen, b, diags),
        "user_data" => release::read_user_data(lib, seen, b, diags),
        "proxy_exceptions" => release::read_proxy_exceptions(lib, seen, b, diags),
        "not_externalizable" => read_not_externalizable(lib, seen, b, diags),
        "resource_class" => plan_data::read_resource_class(lib, seen, b, diags),
        "prices" => plan_data::read_prices(lib, seen, b, diags),
        "terraform_resource" => plan_data::read_terraform_resource(lib, seen, b, diags),
        "enterprise_setup" => release::read_enterprise_setup(lib, seen, b, diags),
        _ => unreachable!("only library kinds reach here"),
    }
}

fn read_aws_limits(lib: &mut Stdlib, seen: &mut Seen, b: &Block, diags: &mut Diagnostics) {
    const NAMES: [&str; 15] = [
        "rules_per_security_group",
        "autoscaling_groups",
        "key_name_length",
        "role_name_length",
        "instance_profile_name_length",
        "security_group_name_length",
        "tags_per_resource",
        "tag_key_length",
        "tag_value_length",
        "bucket_name_length",
        "queue_name_length",
        "launch_template_name_length",
        "autoscaling_group_name_length",
        "lifecycle_hook_name_length",
        "reserved_addresses_per_subnet",
    ];
    const VOLUME: [&str; 2] = ["volume_min", "volume_max"];
    const SCHEMA: &[AttrSpec] = &[
        req(NAMES[0], Ty::Int, "60"),
        req(NAMES[1], Ty::Int, "500"),
        req(NAMES[2], Ty::Int, "255"),
        req(NAMES[3], Ty::Int, "64"),
        req(NAMES[4], Ty::Int, "128"),
        req(NAMES[5], Ty::Int, "255"),
        req(NAMES[6], Ty::Int, "50"),
        req(NAMES[7], Ty::Int, "128"),
        req(NAMES[8], Ty::Int, "256"),
        req(NAMES[9], Ty::Int, "63"),
        req(NAMES[10], Ty::Int, "80"),
        req(NAMES[11], Ty::Int, "128"),
        req(NAMES[12], Ty::Int, "255"),
        req(NAMES[13], Ty::Int, "255"),
        req(NAMES[14], Ty::Int, "5"),
        req(VOLUME[0], Ty::Size, "<size>"),
        req(VOLUME[1], Ty::Size, "<size>"),
    ];
    let Some((v, _)) = seen.single("aws_limits", b, SCHEMA, &[], lib, diags) else {
        return;
    };
    // A limit that failed to read checks nothing rather than everything.
    let [rules, groups, key, role, profile, sg, tags, tag_key, tag_value, bucket, queue, template, asg, hook, reserved] =
        NAMES.map(|n| v.int(n).unwrap_or(u64::MAX));
    lib.aws_limits = AwsLimits {
        rules_per_security_group: rules,
        autoscaling_groups: groups,
        key_name_length: key,
        role_name_length: role,
        instance_profile_name_length: profile,
        security_group_name_length: sg,
        tags_per_resource: tags,
        tag_key_length: tag_key,
        tag_value_length: tag_value,
        bucket_name_length: bucket,
        queue_name_length: queue,
        launch_template_name_length: template,
        autoscaling_group_name_length: asg,
        lifecycle_hook_name_length: hook,
        // Unread, it reserves nothing: the capacity check then errs on the generous side.
        reserved_addresses_per_subnet: if reserved == u64::MAX { 0 } else { reserved },
        volume_min_bytes: v.bytes(VOLUME[0]).unwrap_or(0),
        volume_max_bytes: v.bytes(VOLUME[1]).unwrap_or(u64::MAX),
    };
}

fn read_actor(lib: &mut Stdlib, seen: &mut Seen, b: &Block, diags: &mut Diagnostics) {
    const SCHEMA: &[AttrSpec] = &[
        req("description", Ty::Str, "\"...\""),
        opt("sources", Ty::Cidrs, "[10.0.0.0/8]"),
        opt("destinations", Ty::Cidrs, "[10.0.0.0/8]"),
        opt("required", Ty::Condition, "always"),
        opt("administrative", Ty::Bool, "true"),
    ];
    let Some((name, v, _)) = seen.named("actor", "<name>", b, SCHEMA, &[], lib, diags) else {
        return;
    };
    let sources = v.cidrs("sources").unwrap_or_default();
    let def = ActorDef {
        name: name.node.clone(),
        description: v.str("description").unwrap_or_default(),
        destinations: v.cidrs("destinations").unwrap_or_else(|| sources.clone()),
        sources,
        required: v.condition("required"),
        administrative: v.bool("administrative").unwrap_or(false),
        span: b.span,
    };
    lib.actors.insert(name.node, def);
}

fn read_externalizable(lib: &mut Stdlib, seen: &mut Seen, b: &Block, diags: &mut Diagnostics) {
    const SCHEMA: &[AttrSpec] = &[
        req("description", Ty::Str, "\"...\""),
        req("port", Ty::Port, "<port>"),
    ];
    let Some((name, v, _)) = seen.named("externalizable", "<service>", b, SCHEMA, &[], lib, diags)
    else {
        return;
    };
    let def = ExternalDef {
        name: name.node.clone(),
        description: v.str("description").unwrap_or_default(),
        default_port: v.port("port").unwrap_or(0),
        span: b.span,
    };
    lib.externals.insert(name.node, def);
}

/// A service the guide lists as externalizable that this stdlib does not, with why.
fn read_not_externalizable(lib: &mut Stdlib, seen: &mut Seen, b: &Block, diags: &mut Diagnostics) {
    const SCHEMA: &[AttrSpec] = &[req("reason", Ty::Str, "\"...\"")];
    let Some((name, v, _)) = seen.named(
        "not_externalizable",
        "<service>",
        b,
        SCHEMA,
        &[],
        lib,
        diags,
    ) else {
        return;
    };
    lib.not_externalizable
        .insert(name.node, v.str("reason").unwrap_or_default());
}

fn read_regions(lib: &mut Stdlib, b: &Block, diags: &mut Diagnostics) {
    const SCHEMA: &[AttrSpec] = &[req("names", Ty::Strings, "\"<region>\"")];
    let Some(partition) = label(b, diags, "aws") else {
        return;
    };
    let (v, _) = read("`regions`", b, SCHEMA, &[], lib, diags);
    for r in v.strings("names").unwrap_or_default() {
        lib.regions.push(r.clone());
        lib.partitions.insert(r, partition.node.clone());
    }
}

fn read_instance_type(lib: &mut Stdlib, seen: &mut Seen, b: &Block, diags: &mut Diagnostics) {
    const SCHEMA: &[AttrSpec] = &[
        req("vcpu", Ty::Int, "8"),
        req("memory", Ty::Size, "32 GiB"),
        req("network", Ty::Str, "\"High\""),
        req("bandwidth", Ty::Bandwidth, "1000 Mbps"),
        opt("baseline", Ty::Bandwidth, "750 Mbps"),
        opt("burst", Ty::Bool, "true"),
    ];
    let Some(name) = label(b, diags, "\"<type>\"") else {
        return;
    };
    if !seen.first("instance_type", &name.node, name.span, diags) {
        return;
    }
    let what = format!("instance type `{}`", name.node);
    let (v, _) = read(what, b, SCHEMA, &[], lib, diags);
    let burst = v.bool("burst").unwrap_or(false);
    let (Some(vcpu), Some(memory_bytes), Some(network), Some(bandwidth)) = (
        v.int("vcpu"),
        v.bytes("memory"),
        v.str("network"),
        v.mbps("bandwidth"),
    ) else {
        return;
    };
    let t = InstanceType {
        name: name.node.clone(),
        vcpu,
        memory_bytes,
        network,
        // A type that only bursts to its headline figure is credited with its baseline.
        network_mbps: if burst {
            v.mbps("baseline").unwrap_or(bandwidth)
        } else {
            bandwidth
        },
        network_burst: burst,
    };
    lib.instance_types.insert(name.node, t);
}

fn read_services_sizing(lib: &mut Stdlib, b: &Block, diags: &mut Diagnostics) {
    const SCHEMA: &[AttrSpec] = &[
        req("users", Ty::Range, "0..49"),
        req("cpu", Ty::Int, "8"),
        req("memory", Ty::Size, "32 GiB"),
        req("disk", Ty::Size, "100 GiB"),
        req("nic", Ty::Bandwidth, "1 Gbps"),
    ];
    let Some(name) = label(b, diags, "\"<50\"") else {
        return;
    };
    let what = format!("services sizing row `{}`", name.node);
    let (v, _) = read(what, b, SCHEMA, &[], lib, diags);
    if let (Some(u), Some(cpu), Some(memory_bytes), Some(disk_bytes), Some(nic_mbps)) = (
        v.range("users"),
        v.int("cpu"),
        v.bytes("memory"),
        v.bytes("disk"),
        v.mbps("nic"),
    ) {
        lib.services_sizing.push(SizingRow {
            label: name.node,
            users_first: u.0,
            users_last: u.1,
            cpu,
            memory_bytes,
            disk_bytes,
            nic_mbps,
            span: b.span,
        });
    }
}

fn read_nomad_requirements(lib: &mut Stdlib, seen: &mut Seen, b: &Block, diags: &mut Diagnostics) {
    const SCHEMA: &[AttrSpec] = &[
        req("min_vcpu", Ty::Int, "4"),
        req("min_memory", Ty::Size, "16 GiB"),
        req("min_disk", Ty::Size, "100 GiB"),
        req("nic", Ty::Bandwidth, "1 Gbps"),
        req("max_vcpu", Ty::Int, "64"),
        req("max_memory", Ty::Size, "128 GiB"),
        req("reserved_vcpu", Ty::Int, "2"),
        req("reserved_memory", Ty::Size, "4 GiB"),
    ];
    let Some((v, _)) = seen.single("nomad_requirements", b, SCHEMA, &[], lib, diags) else {
        return;
    };
    lib.nomad_requirements = NomadRequirements {
        min_vcpu: v.int("min_vcpu").unwrap_or(0),
        min_memory_bytes: v.bytes("min_memory").unwrap_or(0),
        min_disk_bytes: v.bytes("min_disk").unwrap_or(0),
        max_vcpu: v.int("max_vcpu").unwrap_or(u64::MAX),
        max_memory_bytes: v.bytes("max_memory").unwrap_or(u64::MAX),
        reserved_vcpu: v.int("reserved_vcpu").unwrap_or(0),
        reserved_memory_bytes: v.bytes("reserved_memory").unwrap_or(0),
        nic_mbps: v.mbps("nic").unwrap_or(0),
        span: b.span,
    };
}

fn read_nomad_count(lib: &mut Stdlib, b: &Block, diags: &mut Diagnostics) {
    const SCHEMA: &[AttrSpec] = &[
        req("users", Ty::Range, "0..49"),
        req("clients", Ty::Range, "1..5"),
    ];
    let Some(name) = label(b, diags, "\"<50\"") else {
        return;
    };
    let what = format!("Nomad count row `{}`", name.node);
    let (v, _) = read(what, b, SCHEMA, &[], lib, diags);
    if let (Some(u), Some(c)) = (v.range("users"), v.range("clients")) {
        lib.nomad_counts.push(NomadCountRow {
            label: name.node,
            users_first: u.0,
            users_last: u.1,
            clients_min: c.0,
            clients_max: c.1,
            span: b.span,
        });
    }
}

pub(super) fn port_u16(p: u64, span: Span, diags: &mut Diagnostics) -> u16 {
    match u16::try_from(p) {
        Ok(p) => p,
        Err(_) => {
            diags.push(
                Diagnostic::new(Code::E0302, span, format!("port {p} is out of range"))
                    .label("ports are 0..65535")
                    .help("use a port between 0 and 65535"),
            );
            0
        }
    }
}
