//! What AWS would refuse, said before apply (`aws_limits` in the stdlib's aws.cci): name
//! lengths, tags, and the default quotas of security-group rules and Auto Scaling groups.

use crate::codes::Code;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::model::{AwsLimits, Site, Stdlib};
use crate::names::Names;
use crate::network::{Direction, Network};
use crate::span::Span;

pub(super) fn check_aws_limits(site: &Site, lib: &Stdlib, net: &Network, diags: &mut Diagnostics) {
    let limits = &lib.aws_limits;
    check_names(site, lib, net, diags);
    check_tags(site, limits, diags);
    check_rule_quota(site, limits, net, diags);
    if site.fleets.len() as u64 > limits.autoscaling_groups {
        diags.push(
            Diagnostic::new(
                Code::W0425,
                site.name_span,
                format!(
                    "{} fleets need {} Auto Scaling groups; AWS allows {} per region by default",
                    site.fleets.len(),
                    site.fleets.len(),
                    limits.autoscaling_groups
                ),
            )
            .label("one Auto Scaling group per fleet")
            .help("raise \"Auto Scaling groups per region\" in Service Quotas (Amazon EC2 Auto Scaling) before applying, or merge fleets"),
        );
    }
}

/// Every name this site gives an AWS resource, against the length AWS accepts.
fn check_names(site: &Site, lib: &Stdlib, net: &Network, diags: &mut Diagnostics) {
    let limits = &lib.aws_limits;
    let names = Names::new(site);
    for (name, what, limit, appended) in site_names(site, limits, &names, net) {
        if let Some(d) = too_long(&name, what, limit, appended, site.name_span) {
            diags.push(
                d.label("names start with the site's name")
                    .help("shorten the site's name"),
            );
        }
    }
    for f in &site.fleets {
        let prefix = names.fleet_prefix(&f.name);
        for (what, limit) in [
            ("launch template", limits.launch_template_name_length),
            ("Auto Scaling group", limits.autoscaling_group_name_length),
        ] {
            if let Some(d) = too_long(&prefix, what, limit, PREFIX_SUFFIX, f.name_span) {
                diags.push(
                    d.label("the fleet's AWS names are the site's name and this one")
                        .help("shorten the fleet's name (or the site's)"),
                );
                break;
            }
        }
    }
    check_key_name(site, limits, diags);
}

/// The names that start with the site's: (name, what, AWS's limit, characters Terraform
/// appends to a name_prefix).
fn site_names<'a>(
    site: &Site,
    limits: &AwsLimits,
    names: &Names,
    net: &Network,
) -> Vec<(String, &'a str, u64, u64)> {
    let mut site_names = vec![
        (
            names.services_role(),
            "IAM role",
            limits.role_name_length,
            0,
        ),
        (names.nomad_role(), "IAM role", limits.role_name_length, 0),
        (
            names.services_role(),
            "instance profile",
            limits.instance_profile_name_length,
            0,
        ),
        (
            names.nomad_role(),
            "instance profile",
            limits.instance_profile_name_length,
            0,
        ),
        (
            names.bucket_pattern(site),
            "S3 bucket",
            limits.bucket_name_length,
            0,
        ),
        (
            names.shutdown_queue(),
            "SQS queue",
            limits.queue_name_length,
            0,
        ),
        (
            names.drain_hook(),
            "lifecycle hook",
            limits.lifecycle_hook_name_length,
            0,
        ),
    ];
    for g in &net.groups {
        site_names.push((
            crate::names::group_prefix(&g.name),
            "security group",
            limits.security_group_name_length,
            PREFIX_SUFFIX,
        ));
    }
    site_names
}

/// The EC2 key pair the site names.
fn check_key_name(site: &Site, limits: &AwsLimits, diags: &mut Diagnostics) {
    let key = &site.ssh_key;
    if !key.is_ascii() || key.len() as u64 > limits.key_name_length || key.is_empty() {
        diags.push(
            Diagnostic::new(
                Code::E0422,
                site.ssh_key_span,
                format!(
                    "`{}` is not a name EC2 accepts for a key pair",
                    crate::display::escaped(key)
                ),
            )
            .label("`ssh_key` names an EC2 key pair")
            .help(format!(
                "key pair names are 1 to {} ASCII characters",
                limits.key_name_length
            )),
        );
    }
}

/// The site's tags go on every resource, with the generated ones (`circleci-site`,
/// `generated-by`, `Name`).
fn check_tags(site: &Site, limits: &AwsLimits, diags: &mut Diagnostics) {
    const GENERATED: u64 = 3;
    let count = site.tags.len() as u64 + GENERATED;
    if count > limits.tags_per_resource {
        diags.push(
            Diagnostic::new(
                Code::E0423,
                site.name_span,
                format!(
                    "{count} tags per resource; AWS accepts at most {}",
                    limits.tags_per_resource
                ),
            )
            .label(format!(
                "{} of the site's, {GENERATED} generated",
                site.tags.len()
            ))
            .help("drop some of the site's tags"),
        );
    }
    for (k, v) in &site.tags {
        let problem = if k.to_ascii_lowercase().starts_with("aws:") {
            Some("keys starting with `aws:` are AWS's own".to_string())
        } else if k.is_empty() || k.chars().count() as u64 > limits.tag_key_length {
            Some(format!(
                "keys are 1 to {} characters",
                limits.tag_key_length
            ))
        } else if v.chars().count() as u64 > limits.tag_value_length {
            Some(format!(
                "values are at most {} characters",
                limits.tag_value_length
            ))
        } else {
            None
        };
        if let Some(problem) = problem {
            diags.push(
                Diagnostic::new(
                    Code::E0423,
                    site.name_span,
                    format!("AWS refuses the tag `{}`", crate::display::escaped(k)),
                )
                .label("in this site's `tags`")
                .help(problem),
            );
        }
    }
}

/// Terraform's `name_prefix` appends a 26-character unique suffix.
const PREFIX_SUFFIX: u64 = 26;

/// E0422 when a name (or a prefix and what Terraform appends to it) is longer than AWS accepts.
fn too_long(name: &str, what: &str, limit: u64, appended: u64, span: Span) -> Option<Diagnostic> {
    let length = name.chars().count() as u64 + appended;
    if length <= limit {
        return None;
    }
    let message = if appended == 0 {
        format!("the {what} name `{name}` is longer than the {limit} characters AWS accepts")
    } else {
        format!("the {what} name prefix `{name}` and the {appended} characters Terraform appends make {length}; AWS accepts {limit}")
    };
    Some(Diagnostic::new(Code::E0422, span, message))
}

/// Each permission is one security-group rule; AWS's default quota is per group and direction.
fn check_rule_quota(site: &Site, limits: &AwsLimits, net: &Network, diags: &mut Diagnostics) {
    let mut counts: std::collections::BTreeMap<(&str, Direction), u64> = Default::default();
    for r in &net.rules {
        *counts.entry((r.group.as_str(), r.direction)).or_default() += 1;
    }
    for g in &net.groups {
        for (direction, word) in [
            (Direction::Ingress, "inbound"),
            (Direction::Egress, "outbound"),
        ] {
            let n = counts
                .get(&(g.id.as_str(), direction))
                .copied()
                .unwrap_or(0);
            if n > limits.rules_per_security_group {
                diags.push(
                    Diagnostic::new(Code::W0424, site.name_span, format!("security group `{}` has {n} {word} rules; AWS allows {} by default", g.name, limits.rules_per_security_group))
                        .label("each permission of ports.md is one rule")
                        .help(format!("raise \"Inbound or outbound rules per security group\" in Service Quotas (Amazon VPC) to at least {n} before applying, or merge the site's rules into port ranges")),
                );
            }
        }
    }
}
