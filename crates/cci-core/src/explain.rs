//! The long form of a diagnostic code (`cci-dsl explain`, an editor's hover), with the
//! stdlib's figures filled in: an explanation names the guide's minimums, AWS's limits and the
//! release by `{placeholder}`, so each figure lives once, in the stdlib (or, for the
//! language's own limits, in the constant the compiler checks).

use crate::codes::Code;
use crate::model::{Condition, Stdlib};
use crate::values::GIB;

/// `code`'s explanation for a site compiled against `lib`.
pub fn explanation(code: Code, lib: &Stdlib) -> String {
    let mut text = code.explanation_template().to_string();
    for (name, value) in figures(lib) {
        let placeholder = format!("{{{name}}}");
        if text.contains(&placeholder) {
            text = text.replace(&placeholder, &value);
        }
    }
    text
}

/// Every placeholder an explanation may hold, and its value.
fn figures(lib: &Stdlib) -> Vec<(&'static str, String)> {
    let mut figures = vec![
        ("max_depth", crate::parse::MAX_DEPTH.to_string()),
        ("max_name", crate::resolve::MAX_NAME.to_string()),
        ("release", lib.release.clone()),
        ("stdlib", format!("stdlib/circleci-{}", lib.release)),
    ];
    figures.extend(names(lib));
    figures.extend(nomad(lib));
    figures.extend(sizing(lib));
    figures.extend(aws(lib));
    figures
}

/// The actors and services the stdlib declares, as examples.
fn names(lib: &Stdlib) -> Vec<(&'static str, String)> {
    let ticked =
        |names: Vec<&str>| -> Vec<String> { names.into_iter().map(|n| format!("`{n}`")).collect() };
    let actors = lib.actors_in_order();
    let bindable = actors
        .iter()
        .filter(|a| a.required != Condition::Never)
        .map(|a| a.name.as_str())
        .collect();
    let required: Vec<String> = actors
        .iter()
        .filter(|a| a.required == Condition::Always)
        .map(|a| format!("{} = [...]", a.name))
        .collect();
    let first_external = lib.externals_in_order().first().map(|e| e.name.as_str());
    let all_externals = lib
        .externals_in_order()
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    let externalizable = first_external
        .into_iter()
        .chain(Some(lib.nomad.servers.as_str()))
        .collect();
    vec![
        ("actors", ticked(bindable).join(", ")),
        ("required_actors", required.join(" ")),
        (
            "reached_by",
            lib.administrators()
                .map(|a| a.name.clone())
                .unwrap_or_default(),
        ),
        ("advertised_to", lib.nomad.advertised_to.clone()),
        ("externalizable", ticked(externalizable).join(", ")),
        ("externalizable_all", ticked(all_externals).join(", ")),
        ("external", first_external.unwrap_or_default().to_string()),
        ("servers", lib.nomad.servers.clone()),
    ]
}

/// The guide's Nomad client requirements, as the guide writes them (`16GB`, `1Gbps`).
fn nomad(lib: &Stdlib) -> Vec<(&'static str, String)> {
    let req = &lib.nomad_requirements;
    vec![
        ("nomad_min_vcpu", req.min_vcpu.to_string()),
        ("nomad_max_vcpu", req.max_vcpu.to_string()),
        ("nomad_min_memory", guide_size(req.min_memory_bytes)),
        ("nomad_max_memory", guide_size(req.max_memory_bytes)),
        (
            "nomad_reserved_memory",
            guide_size(req.reserved_memory_bytes),
        ),
        ("nomad_min_disk", guide_size(req.min_disk_bytes)),
        ("nomad_nic", guide_bandwidth(req.nic_mbps)),
    ]
}

/// The services sizing table's ends: its smallest and largest disk, and the users from which
/// it asks for its fastest network.
fn sizing(lib: &Stdlib) -> Vec<(&'static str, String)> {
    let rows = &lib.services_sizing;
    let fastest = rows.iter().map(|r| r.nic_mbps).max().unwrap_or(0);
    let fast_from = rows.iter().find(|r| r.nic_mbps == fastest);
    let (first, last) = (rows.first(), rows.last());
    let smallest_users = first.and_then(|r| r.users_last).map_or(0, |u| u + 1);
    let largest_users = last.map_or(0, |r| r.users_first.saturating_sub(1));
    vec![
        ("fast_nic", guide_bandwidth(fastest)),
        (
            "fast_nic_users",
            fast_from.map_or(0, |r| r.users_first).to_string(),
        ),
        (
            "smallest_disk",
            guide_size(first.map_or(0, |r| r.disk_bytes)),
        ),
        ("smallest_users", smallest_users.to_string()),
        ("largest_disk", guide_size(last.map_or(0, |r| r.disk_bytes))),
        ("largest_users", largest_users.to_string()),
    ]
}

/// AWS's limits (`aws_limits`, `user_data` in aws.cci).
fn aws(lib: &Stdlib) -> Vec<(&'static str, String)> {
    let l = &lib.aws_limits;
    vec![
        ("role_name_length", l.role_name_length.to_string()),
        (
            "instance_profile_name_length",
            l.instance_profile_name_length.to_string(),
        ),
        ("bucket_name_length", l.bucket_name_length.to_string()),
        (
            "security_group_name_length",
            l.security_group_name_length.to_string(),
        ),
        ("key_name_length", l.key_name_length.to_string()),
        ("tags_per_resource", l.tags_per_resource.to_string()),
        ("tag_key_length", l.tag_key_length.to_string()),
        ("tag_value_length", l.tag_value_length.to_string()),
        (
            "rules_per_security_group",
            l.rules_per_security_group.to_string(),
        ),
        ("autoscaling_groups", l.autoscaling_groups.to_string()),
        ("volume_min", crate::values::human_bytes(l.volume_min_bytes)),
        ("volume_max", crate::values::human_bytes(l.volume_max_bytes)),
        ("user_data_kb", (lib.user_data.limit / 1024).to_string()),
    ]
}

/// A size as the guide writes it: `16GB`, `2TB` (the stdlib reads them as GiB and TiB).
fn guide_size(bytes: u64) -> String {
    if bytes >= 1 << 40 && bytes.is_multiple_of(1 << 40) {
        format!("{}TB", bytes >> 40)
    } else {
        format!("{}GB", bytes / GIB)
    }
}

/// A bandwidth as the guide writes it: `1Gbps`, `10Gbps`.
fn guide_bandwidth(mbps: u64) -> String {
    if mbps >= 1000 && mbps.is_multiple_of(1000) {
        format!("{}Gbps", mbps / 1000)
    } else {
        format!("{mbps}Mbps")
    }
}
