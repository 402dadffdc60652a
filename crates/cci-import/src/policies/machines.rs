//! The machines: instance types (enterprise-setup's defaults where the tfvars say none), the
//! image, the switches enterprise-setup had, and CircleCI 1.0's builders, which 2.x has not.

use super::no_legacy;
use crate::read::{is_placeholder, scalar, Importer};
use crate::write::{quoted, shown, Field, Site};
use crate::NoteKind;
use crate::DEFAULT_DAILY_ACTIVE_USERS;
use cci_core::parse::OPEN_DECISION;
use cci_core::shapes::valid_aws_id;
use hcl::Value;

/// An instance type for the site: the tfvars' (or enterprise-setup's default), said either way.
pub(crate) fn instance(im: &mut Importer, key: &str, default: &str, target: &str) -> Field {
    match im.text(key) {
        Some(t) if !is_placeholder(&t) => {
            let t = t.trim().to_string();
            match quoted(&t) {
                Some(q) if im.lib.instance_types.contains_key(&t) => {
                    im.note(NoteKind::Carried, key, format!("{target} {{ instance }}"));
                    Field::new(q, key)
                }
                Some(q) => {
                    im.note(
                        NoteKind::Todo,
                        key,
                        format!(
                            "{target} {{ instance }}; `{}` is not in the stdlib's instance catalog: declare it with an `instance_type` block (see examples/github-enterprise.cci) or choose a type the catalog has",
                            shown(&t)
                        ),
                    );
                    Field::new(q, format!("{OPEN_DECISION}: {key} is not in the catalog"))
                }
                None => {
                    im.note(
                        NoteKind::Todo,
                        key,
                        format!("not an instance type: enterprise-setup's default `{default}` written instead"),
                    );
                    Field::new(
                        format!("\"{default}\""),
                        format!("{OPEN_DECISION}: {key} was not a type"),
                    )
                }
            }
        }
        _ => {
            let message = format!(
                "not set: enterprise-setup's default at the guide's release, `{default}`, written as {target} {{ instance }}"
            );
            im.note(NoteKind::Carried, key, message);
            Field::new(
                format!("\"{default}\""),
                format!("enterprise-setup's default {key}"),
            )
        }
    }
}

pub(crate) fn machines(im: &mut Importer, site: &mut Site) {
    let es = &im.lib.enterprise_setup;
    let (services, nomad) = (es.services_instance.clone(), es.nomad_instance.clone());
    site.services_instance = instance(im, "services_instance_type", &services, "services");
    site.nomad_instance = instance(im, "nomad_client_instance_type", &nomad, "fleet nomad");
    image(im, site);
    switches(im);
    if im.set("max_clients_count") {
        im.get("max_clients_count");
        im.note(
            NoteKind::NotCarried,
            "max_clients_count",
            "the Nomad clients' maximum in enterprise-setup's 2017 pre-release; the fleet's count follows the guide's table",
        );
    }
    site.count = im
        .lib
        .count_row(DEFAULT_DAILY_ACTIVE_USERS)
        .map_or((1, 5), |r| {
            (r.clients_min, r.clients_max.unwrap_or(r.clients_min))
        });
}

/// enterprise-setup booted the services box and the Nomad clients from services_ami when set,
/// else from its table of Ubuntu 16.04 images (ubuntu_ami) for the region.
fn image(im: &mut Importer, site: &mut Site) {
    let services_ami = im.text("services_ami");
    match services_ami.as_deref().map(str::trim) {
        Some(a) if !a.is_empty() && valid_aws_id(a, "ami") => {
            im.note(
                NoteKind::Carried,
                "services_ami",
                "services { ami } and fleet nomad { ami } (enterprise-setup booted both from it)",
            );
            site.ami = Some(Field::new(a, "services_ami"));
        }
        Some(a) if !a.is_empty() => im.note(
            NoteKind::NotCarried,
            "services_ami",
            format!(
                "`{}` is not an AMI id (`ami-` and 8 or 17 hex digits); the machines use the newest Ubuntu 16.04 image",
                shown(a)
            ),
        ),
        Some(_) => im.note(
            NoteKind::Carried,
            "services_ami",
            "empty: the machines use the newest Ubuntu 16.04 image Canonical published, as enterprise-setup's table did",
        ),
        None => {}
    }
    let Some(table) = im.get("ubuntu_ami") else {
        return;
    };
    let region = site.region.value.trim_matches('"').to_string();
    let entry = match &table {
        Value::Object(m) => m.get(&region).and_then(scalar),
        _ => None,
    };
    match entry {
        _ if site.ami.is_some() => im.note(
            NoteKind::NotCarried,
            "ubuntu_ami",
            "services_ami is set, which enterprise-setup used instead of this table",
        ),
        Some(a) if valid_aws_id(a.trim(), "ami") => {
            im.note(
                NoteKind::Carried,
                "ubuntu_ami",
                "the region's entry is services { ami } and fleet nomad { ami }",
            );
            site.ami = Some(Field::new(a.trim(), "ubuntu_ami's entry for the region"));
        }
        _ => im.note(
            NoteKind::NotCarried,
            "ubuntu_ami",
            "no AMI id for the site's region in this table: the machines use the newest Ubuntu 16.04 image Canonical published",
        ),
    }
}

/// enterprise-setup's switches for what every site has: Nomad clients, and the services
/// box provisioned at boot.
fn switches(im: &mut Importer) {
    let off_nomad = format!(
        "off, but a {} site runs every build on Nomad clients: the site has `fleet nomad`",
        im.lib.release
    );
    let switches = [
        ("enable_nomad", "fleet nomad", off_nomad.as_str()),
        (
            "services_user_data_enabled",
            "the services box is provisioned at boot (cloud-init)",
            "off, but cci-dsl always provisions the services box at boot (cloud-init: Docker, Replicated, the settings)",
        ),
    ];
    for (key, on, off) in switches {
        if !im.set(key) {
            continue;
        }
        if im.flag(key, true) {
            im.note(NoteKind::Carried, key, on);
        } else {
            im.note(NoteKind::NotCarried, key, off);
        }
    }
}

pub(crate) fn legacy(im: &mut Importer) {
    for key in [
        "builder_instance_type",
        "max_builders_count",
        "legacy_builder_spot_price",
        "builder_image",
    ] {
        if im.set(key) {
            im.get(key);
            im.note(NoteKind::NotCarried, key, no_legacy(&im.lib.release));
        }
    }
    if im.set("desired_builders_count") {
        let running = im
            .text("desired_builders_count")
            .and_then(|t| t.trim().parse::<u64>().ok())
            .unwrap_or(0);
        let message = if running > 0 {
            format!("{}; this install runs {running} 1.0 builder(s): move their projects to 2.0 configuration (.circleci/config.yml) before the switch", no_legacy(&im.lib.release))
        } else {
            no_legacy(&im.lib.release)
        };
        im.note(NoteKind::NotCarried, "desired_builders_count", message);
    }
    if im.set("base_services_image") {
        im.get("base_services_image");
        im.note(
            NoteKind::NotCarried,
            "base_services_image",
            format!("CircleCI's own services images before 2.0 (2016-2017); {} runs on Ubuntu 16.04 (write services {{ ami }} to bring your own)", im.lib.release),
        );
    }
    for key in ["enable_ansible_provisioning", "ansible_extra_vars"] {
        if im.set(key) {
            im.get(key);
            im.note(
                NoteKind::NotCarried,
                key,
                "enterprise-setup before 2.0 (2017) could provision the services box with Ansible; cci-dsl provisions it with cloud-init (its value is not shown)",
            );
        }
    }
}
