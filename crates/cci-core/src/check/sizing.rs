//! The guide's sizing: Nomad clients within the minimum and maximum, the services machine by
//! daily active users. The types a help suggests are computed from the instance catalog (the
//! smallest that meet every figure), never written.

use crate::codes::Code;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::model::{Fleet, InstanceType, NomadRequirements, Site, SizingRow, Stdlib};
use crate::values::{human_bytes, GIB};

pub(super) fn check_nomad(site: &Site, lib: &Stdlib, diags: &mut Diagnostics) {
    let req = &lib.nomad_requirements;
    for f in &site.fleets {
        check_nomad_size(f, lib, diags);
        check_nomad_disk(f, req, diags);
        check_nomad_network(f, lib, diags);
    }
}

/// vCPUs and memory within the guide's minimum and maximum for a Nomad client.
fn check_nomad_size(f: &Fleet, lib: &Stdlib, diags: &mut Diagnostics) {
    let req = &lib.nomad_requirements;
    let t = &f.instance;
    let types = lib.smallest_types(|t| meets_nomad(t, req));
    if t.vcpu < req.min_vcpu {
        let d = Diagnostic::new(
            Code::E0401,
            f.instance_span,
            format!(
                "`{}` has {} vCPUs; a Nomad client needs at least {}",
                t.name, t.vcpu, req.min_vcpu
            ),
        )
        .label(format!("{} vCPUs", t.vcpu))
        .with(req.span, "the guide's minimum");
        diags.push(suggest_types(
            d,
            f.instance_span,
            &types,
            &nomad_figures(req),
        ));
    }
    if t.memory_bytes < req.min_memory_bytes {
        let d = Diagnostic::new(
            Code::E0402,
            f.instance_span,
            format!(
                "`{}` has {} of memory; a Nomad client needs at least {}",
                t.name,
                human_bytes(t.memory_bytes),
                human_bytes(req.min_memory_bytes)
            ),
        )
        .label(format!("{} of memory", human_bytes(t.memory_bytes)))
        .with(req.span, "the guide's minimum");
        diags.push(suggest_types(
            d,
            f.instance_span,
            &types,
            &nomad_figures(req),
        ));
    }
    if t.vcpu > req.max_vcpu || t.memory_bytes > req.max_memory_bytes {
        diags.push(
            Diagnostic::new(Code::E0404, f.instance_span, format!("`{}` ({} vCPUs, {}) is larger than the guide's largest Nomad client ({} vCPUs, {})", t.name, t.vcpu, human_bytes(t.memory_bytes), req.max_vcpu, human_bytes(req.max_memory_bytes)))
                .label("too large for a Nomad client")
                .with(req.span, "the guide's maximum")
                .help("use more, smaller clients (raise the fleet's count), or get CircleCI's approval for larger machines"),
        );
    }
}

fn check_nomad_disk(f: &Fleet, req: &NomadRequirements, diags: &mut Diagnostics) {
    let disk_bytes = f.disk_gib.saturating_mul(GIB);
    if disk_bytes < req.min_disk_bytes {
        diags.push(
            Diagnostic::new(
                Code::E0403,
                f.disk_span,
                format!(
                    "fleet `{}` has a {} GiB disk; a Nomad client needs at least {}",
                    f.name,
                    f.disk_gib,
                    human_bytes(req.min_disk_bytes)
                ),
            )
            .label(format!("{} GiB", f.disk_gib))
            .with(req.span, "the guide's minimum")
            .help(format!(
                "write `disk = {}` (EBS sizes are GiB; the guide's GB are read as GiB)",
                human_bytes(req.min_disk_bytes)
            ))
            .fix(
                f.disk_span,
                disk_value(req.min_disk_bytes),
                "write the guide's minimum",
            ),
        );
    }
}

fn check_nomad_network(f: &Fleet, lib: &Stdlib, diags: &mut Diagnostics) {
    let req = &lib.nomad_requirements;
    let t = &f.instance;
    if t.network_mbps < req.nic_mbps {
        let d = Diagnostic::new(
            Code::W0416,
            f.instance_span,
            format!(
                "`{}` sustains {} Mbps; the guide asks for {} Mbps per Nomad client",
                t.name, t.network_mbps, req.nic_mbps
            ),
        )
        .label(format!("network: {}", t.network))
        .with(req.span, "the guide's minimum");
        let types = lib.smallest_types(|t| meets_nomad(t, req));
        diags.push(suggest_types(
            d,
            f.instance_span,
            &types,
            &nomad_figures(req),
        ));
    }
}

pub(super) fn check_services(site: &Site, lib: &Stdlib, row: &SizingRow, diags: &mut Diagnostics) {
    let s = &site.services;
    let t = &s.instance;
    let users = site.daily_active_users;
    let mut short = Vec::new();
    if t.vcpu < row.cpu {
        short.push(format!("{} vCPUs (needs {})", t.vcpu, row.cpu));
    }
    if t.memory_bytes < row.memory_bytes {
        short.push(format!(
            "{} of memory (needs {})",
            human_bytes(t.memory_bytes),
            human_bytes(row.memory_bytes)
        ));
    }
    if !short.is_empty() {
        let d = Diagnostic::new(
            Code::E0405,
            s.instance_span,
            format!(
                "`{}` is too small for {users} daily active users: {}",
                t.name,
                short.join(", ")
            ),
        )
        .label(format!("sized below the guide's `{}` row", row.label))
        .with(site.dau_span, "the site's daily active users")
        .with(row.span, "the guide's sizing row");
        let types = lib.smallest_types(|t| meets_row(t, row));
        diags.push(suggest_types(d, s.instance_span, &types, &row_figures(row)));
    }
    if s.disk_gib.saturating_mul(GIB) < row.disk_bytes {
        diags.push(
            Diagnostic::new(
                Code::E0417,
                s.disk_span,
                format!(
                    "a {} GiB disk is too small for {users} daily active users",
                    s.disk_gib
                ),
            )
            .label(format!(
                "the guide's `{}` row asks for {}",
                row.label,
                human_bytes(row.disk_bytes)
            ))
            .with(site.dau_span, "the site's daily active users")
            .help(format!("write `disk = {}`", human_bytes(row.disk_bytes)))
            .fix(
                s.disk_span,
                disk_value(row.disk_bytes),
                "write the row's disk",
            ),
        );
    }
    if t.network_mbps < row.nic_mbps || (t.network_burst && t.network_mbps < row.nic_mbps.max(1)) {
        diags.push(
            suggest_types(
                Diagnostic::new(Code::W0406, s.instance_span, format!("`{}` sustains {} Mbps; the guide asks for {} Mbps at {users} daily active users", t.name, t.network_mbps, row.nic_mbps))
                    .label(format!("network: {}", t.network)),
                s.instance_span,
                &lib.smallest_types(|t| meets_row(t, row)),
                &row_figures(row),
            ),
        );
    }
}

/// Whether a services box of type `t` meets every figure of the sizing row: vCPUs, memory and
/// sustained network (W0406 reads the same).
pub fn meets_row(t: &InstanceType, row: &SizingRow) -> bool {
    t.vcpu >= row.cpu && t.memory_bytes >= row.memory_bytes && t.network_mbps >= row.nic_mbps
}

/// Whether a Nomad client of type `t` is within the guide's minimum and maximum, network
/// included.
pub fn meets_nomad(t: &InstanceType, req: &NomadRequirements) -> bool {
    (req.min_vcpu..=req.max_vcpu).contains(&t.vcpu)
        && (req.min_memory_bytes..=req.max_memory_bytes).contains(&t.memory_bytes)
        && t.network_mbps >= req.nic_mbps
}

/// A disk size as the site writes it: whole GiB (or TiB), rounded up.
fn disk_value(bytes: u64) -> String {
    human_bytes(bytes.div_ceil(GIB).saturating_mul(GIB))
}

fn row_figures(row: &SizingRow) -> String {
    format!(
        "at least {} vCPUs, {} of memory and {} Mbps sustained",
        row.cpu,
        human_bytes(row.memory_bytes),
        row.nic_mbps
    )
}

fn nomad_figures(req: &NomadRequirements) -> String {
    format!(
        "at least {} vCPUs, {} of memory and {} Mbps sustained",
        req.min_vcpu,
        human_bytes(req.min_memory_bytes),
        req.nic_mbps
    )
}

/// The help naming the smallest types of the catalog that meet `figures`, and the first as a
/// possible fix (a person chooses the type: the price and family are theirs).
fn suggest_types(
    d: Diagnostic,
    span: crate::span::Span,
    types: &[&InstanceType],
    figures: &str,
) -> Diagnostic {
    let Some(first) = types.first() else {
        return d.help(format!("pick a type with {figures}"));
    };
    let named: Vec<String> = types.iter().map(|t| format!("`{}`", t.name)).collect();
    d.help(format!(
        "pick a type with {figures}; the smallest in the catalog: {}",
        named.join(", ")
    ))
    .maybe_fix(span, format!("\"{}\"", first.name), "the first of them")
}
