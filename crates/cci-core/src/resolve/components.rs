//! The site's components: the services box, the Nomad client fleets, the externalized
//! services, and the actors bound to address ranges.

use super::fields::{as_cidrs, fields, not_externalizable, type_error};
use super::library::{label, no_labels, Seen};
use super::schema::{opt, read, req, AttrSpec, Ty, NOMAD_INSTANCE, SERVICES_INSTANCE};
use super::site::check_name;
use crate::ast::{Block, Value};
use crate::codes::Code;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::model::{BoundActor, Condition, External, Fleet, Services, Stdlib};
use crate::span::{Span, Spanned};
use crate::values::{human_bytes, GIB};
use std::collections::BTreeMap;

/// Disk sizes become whole GiB (EBS's unit), rounded up, within the root volume's bounds
/// (`aws_limits`).
pub(super) fn disk_gib(
    bytes: u64,
    span: Span,
    lib: &Stdlib,
    diags: &mut Diagnostics,
) -> Option<u64> {
    let gib = bytes.div_ceil(GIB);
    let limits = &lib.aws_limits;
    let (min, max) = (limits.volume_min_bytes, limits.volume_max_bytes);
    if !(min.div_ceil(GIB)..=max / GIB).contains(&gib) {
        let (min, max) = (human_bytes(min), human_bytes(max));
        diags.push(
            Diagnostic::new(
                Code::E0309,
                span,
                format!(
                    "a disk of {} is outside what EBS allows here",
                    human_bytes(bytes)
                ),
            )
            .label(format!("root volumes are {min} to {max}"))
            .help(format!("pick a size between `{min}` and `{max}`")),
        );
        return None;
    }
    Some(gib)
}

/// The services disk the guide's sizing table gives for this many daily active users (its
/// smallest row's when the users are unknown).
fn default_disk_gib(lib: &Stdlib, users: Option<u64>) -> u64 {
    let row = users
        .and_then(|u| lib.sizing_row(u))
        .or_else(|| lib.services_sizing.first());
    row.map_or(0, |r| r.disk_bytes.div_ceil(GIB))
}

pub(super) const SERVICES_SCHEMA: &[AttrSpec] = &[
    req("instance", Ty::Instance, SERVICES_INSTANCE),
    opt("disk", Ty::Size, "200 GiB"),
    opt("ami", Ty::AwsId("ami"), "ami-0a1b2c3d"),
    opt("elastic_ip", Ty::Bool, "true"),
];

pub(super) fn read_services(
    b: &Block,
    lib: &Stdlib,
    users: Option<u64>,
    diags: &mut Diagnostics,
) -> Option<Services> {
    no_labels(b, diags);
    let (v, nested) = read("`services`", b, SERVICES_SCHEMA, &["backup"], lib, diags);
    let backup = match super::operations::at_most_one(&nested, "backup", "services", diags) {
        Some(bb) => Some(super::operations::read_backup(bb, lib, diags)?),
        None => None,
    };
    let (disk_gib, disk_span) = match (v.bytes("disk"), v.span("disk")) {
        (Some(bytes), Some(span)) => (disk_gib(bytes, span, lib, diags)?, span),
        // Unset: the guide's sizing table gives the disk for the site's daily active users.
        _ => (default_disk_gib(lib, users), b.span),
    };
    let (instance, instance_span) = v.instance("instance")?;
    Some(Services {
        instance,
        instance_span,
        disk_gib,
        disk_span,
        ami: v.str("ami"),
        elastic_ip: v.bool("elastic_ip").unwrap_or(false),
        backup,
        span: b.span,
    })
}

pub(super) const FLEET_SCHEMA: &[AttrSpec] = &[
    req("instance", Ty::Instance, NOMAD_INSTANCE),
    req("count", Ty::Any, "1..5"),
    opt("disk", Ty::Size, "100 GiB"),
    opt("ami", Ty::AwsId("ami"), "ami-0a1b2c3d"),
];

pub(super) fn read_fleets(blocks: &[&Block], lib: &Stdlib, diags: &mut Diagnostics) -> Vec<Fleet> {
    let mut seen = Seen::default();
    let mut out = Vec::new();
    for b in blocks {
        let Some(name) = label(b, diags, "nomad") else {
            continue;
        };
        let name_ok = check_name(&name, "fleet", diags);
        if !seen.first("fleet", &name.node, name.span, diags) {
            continue;
        }
        let (v, _) = read(
            format!("fleet `{}`", name.node),
            b,
            FLEET_SCHEMA,
            &[],
            lib,
            diags,
        );
        let count = v.raw("count").and_then(|c| fleet_count(c, diags));
        let disk = match (v.bytes("disk"), v.span("disk")) {
            (Some(bytes), Some(span)) => disk_gib(bytes, span, lib, diags).map(|g| (g, span)),
            // Unset: the guide's minimum for a Nomad client.
            _ => Some((
                lib.nomad_requirements.min_disk_bytes.div_ceil(GIB).max(8),
                b.span,
            )),
        };
        if let (
            true,
            Some((instance, instance_span)),
            Some((min, max, count_span)),
            Some((disk_gib, disk_span)),
        ) = (name_ok, v.instance("instance"), count, disk)
        {
            out.push(Fleet {
                name: name.node,
                instance,
                instance_span,
                min,
                max,
                count_span,
                disk_gib,
                disk_span,
                ami: v.str("ami"),
                name_span: name.span,
                span: b.span,
            });
        }
    }
    out
}

/// `count = 3` or `count = min..max`, with room for at least one client.
fn fleet_count(v: &Spanned<Value>, diags: &mut Diagnostics) -> Option<(u64, u64, Span)> {
    // Auto Scaling's MinSize and MaxSize are 32-bit integers.
    const API_MAX: u64 = i32::MAX as u64;
    match &v.node {
        Value::Int(n) | Value::Range { last: n, .. } if *n > API_MAX => {
            diags.push(
                Diagnostic::new(Code::E0303, v.span, "invalid count")
                    .label(format!("more than Auto Scaling's {API_MAX}"))
                    .help("a fleet's count is a number of machines: `count = 1..5`"),
            );
            None
        }
        Value::Int(n) if *n >= 1 => Some((*n, *n, v.span)),
        Value::Range { first, last } if first <= last && *last >= 1 => {
            Some((*first, *last, v.span))
        }
        Value::Int(_) | Value::Range { .. } => {
            let d = Diagnostic::new(Code::E0303, v.span, "invalid count")
                .label("expected `min..max` with min <= max and max >= 1");
            diags.push(match &v.node {
                Value::Range { first, last } if first > last && *first >= 1 => d
                    .help(format!(
                        "the smaller number comes first: `count = {last}..{first}`"
                    ))
                    .fix(v.span, format!("{last}..{first}"), "swap the bounds"),
                _ => d.help("a fleet needs room for at least one client, e.g. `count = 1..5`"),
            });
            None
        }
        other => {
            type_error(v.span, "a count or range", other, "2..10", diags);
            None
        }
    }
}

pub(super) const EXTERNAL_SCHEMA: &[AttrSpec] = &[
    req("hosts", Ty::Cidrs, "[10.0.5.10]"),
    opt("port", Ty::Port, "<port>"),
];

pub(super) fn read_externals(
    blocks: &[&Block],
    lib: &Stdlib,
    diags: &mut Diagnostics,
) -> BTreeMap<String, External> {
    let mut out = BTreeMap::new();
    let mut seen = Seen::default();
    for b in blocks {
        let example = lib
            .externals_in_order()
            .first()
            .map_or("<service>", |e| e.name.as_str());
        let Some(name) = label(b, diags, example) else {
            continue;
        };
        let Some(def) = lib.externals.get(&name.node) else {
            diags.push(not_externalizable(&name.node, name.span, lib));
            continue;
        };
        if !seen.first("external", &name.node, name.span, diags) {
            continue;
        }
        let (v, _) = read(
            format!("external `{}`", name.node),
            b,
            EXTERNAL_SCHEMA,
            &[],
            lib,
            diags,
        );
        let port = v.port("port").unwrap_or(def.default_port);
        // An empty list is the check stage's to report (E0412).
        if let Some(hosts) = v.cidrs("hosts") {
            let e = External {
                name: name.node.clone(),
                hosts,
                port,
                span: b.span,
            };
            out.insert(name.node, e);
        }
    }
    out
}

pub(super) fn read_actors(
    b: Option<&Block>,
    lib: &Stdlib,
    diags: &mut Diagnostics,
) -> BTreeMap<String, BoundActor> {
    let mut out: BTreeMap<String, BoundActor> = lib
        .actors
        .values()
        .map(|a| {
            (
                a.name.clone(),
                BoundActor {
                    sources: a.sources.clone(),
                    destinations: a.destinations.clone(),
                    bound_at: None,
                },
            )
        })
        .collect();
    let Some(b) = b else { return out };
    no_labels(b, diags);
    let f = fields("`actors`", b.span, &b.entries, &[], &[], true, diags);
    for (k, a) in &f.attrs {
        if ["services", "nomad"].contains(k) || lib.externals.contains_key(*k) {
            diags.push(
                Diagnostic::new(
                    Code::E0313,
                    a.key.span,
                    format!("`{k}` is a component, not an actor"),
                )
                .label("components are not bound to addresses")
                .help(format!(
                    "actors are who connects: {}, or a name of your own",
                    bindable_actors(lib)
                )),
            );
            continue;
        }
        if let Some(cidrs) = as_cidrs(&a.value, diags) {
            out.insert(
                k.to_string(),
                BoundActor {
                    sources: cidrs.clone(),
                    destinations: cidrs,
                    bound_at: Some(a.span),
                },
            );
        }
    }
    // A binding that did not parse was still written: not "unbound" on top of its syntax error.
    for key in &f.broken {
        out.insert(
            key.to_string(),
            BoundActor {
                sources: Vec::new(),
                destinations: Vec::new(),
                bound_at: Some(b.span),
            },
        );
    }
    out
}

/// The actors a site may have to bind (those the stdlib does not leave to `never`), as a help
/// names them: `` `users`, `admins`, `github` ``.
fn bindable_actors(lib: &Stdlib) -> String {
    let names: Vec<String> = lib
        .actors_in_order()
        .into_iter()
        .filter(|a| a.required != Condition::Never)
        .map(|a| format!("`{}`", a.name))
        .collect();
    names.join(", ")
}
