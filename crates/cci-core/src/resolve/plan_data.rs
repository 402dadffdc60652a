//! The stdlib's data for `cci-dsl plan` and `cci-dsl diff`: the docker executor's resource
//! classes, the on-demand price table, and what Terraform does when a generated resource's
//! attribute changes (`terraform_resource`).

use super::library::{label, Seen};
use super::schema::{opt, read, req, AttrSpec, Ty};
use crate::ast::Block;
use crate::codes::Code;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::model::{Prices, ResourceClass, Stdlib, TerraformResource};
use crate::span::Span;
use std::collections::BTreeMap;

pub(super) fn read_resource_class(
    lib: &mut Stdlib,
    seen: &mut Seen,
    b: &Block,
    diags: &mut Diagnostics,
) {
    const SCHEMA: &[AttrSpec] = &[
        req("vcpu", Ty::Int, "2"),
        req("memory", Ty::Size, "4 GiB"),
        opt("default", Ty::Bool, "true"),
    ];
    let Some((name, v, _)) = seen.named("resource_class", "medium", b, SCHEMA, &[], lib, diags)
    else {
        return;
    };
    let (Some(vcpu), Some(memory_bytes)) = (v.int("vcpu"), v.bytes("memory")) else {
        return;
    };
    lib.resource_classes.push(ResourceClass {
        name: name.node,
        vcpu: vcpu.max(1),
        memory_bytes: memory_bytes.max(1),
        default: v.bool("default").unwrap_or(false),
    });
}

pub(super) fn read_prices(lib: &mut Stdlib, seen: &mut Seen, b: &Block, diags: &mut Diagnostics) {
    const SCHEMA: &[AttrSpec] = &[
        req("regions", Ty::Strings, "[\"<region>\"]"),
        req("hours_per_month", Ty::Int, "730"),
        req("gp3_per_gib_month", Ty::Str, "\"0.08\""),
    ];
    const FAMILY: &[AttrSpec] = &[req("per_vcpu_hour", Ty::Str, "\"0.048\"")];
    let Some((v, families)) = seen.single("prices", b, SCHEMA, &["family"], lib, diags) else {
        return;
    };
    let mut per_vcpu_hour_micros = BTreeMap::new();
    for f in families {
        let Some(name) = label(f, diags, "m5") else {
            continue;
        };
        let (fv, _) = read(
            format!("family `{}`", name.node),
            f,
            FAMILY,
            &[],
            lib,
            diags,
        );
        if let Some(rate) = fv.str("per_vcpu_hour") {
            let span = fv.span("per_vcpu_hour").unwrap_or(f.span);
            if let Some(m) = usd_micros(&rate, span, diags) {
                per_vcpu_hour_micros.insert(name.node, m);
            }
        }
    }
    let gp3 = v
        .str("gp3_per_gib_month")
        .and_then(|r| usd_micros(&r, v.span("gp3_per_gib_month").unwrap_or(b.span), diags));
    let (Some(regions), Some(hours_per_month), Some(gp3_per_gib_month_micros)) =
        (v.strings("regions"), v.int("hours_per_month"), gp3)
    else {
        return;
    };
    lib.prices = Some(Prices {
        regions,
        hours_per_month,
        gp3_per_gib_month_micros,
        per_vcpu_hour_micros,
    });
}

/// `"0.048"` as millionths of a dollar (48,000); at most six decimals.
fn usd_micros(text: &str, span: Span, diags: &mut Diagnostics) -> Option<u64> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    let parsed = (!whole.is_empty() && digits(whole) && digits(frac) && frac.len() <= 6)
        .then(|| {
            let w: u64 = whole.parse().ok()?;
            let f: u64 = format!("{frac:0<6}").parse().ok()?;
            w.checked_mul(1_000_000)?.checked_add(f)
        })
        .flatten();
    if parsed.is_none() {
        diags.push(
            Diagnostic::new(
                Code::E0321,
                span,
                format!("`{text}` is not a price in dollars"),
            )
            .label("expected digits with at most six decimals")
            .help("write it as a string: `\"0.048\"`"),
        );
    }
    parsed
}

/// `terraform_resource TYPE { replaced_when = [...]  stops = [...]  new_on_update = [...] }`:
/// which attributes of a generated resource make Terraform replace it, or stop the instance to
/// update it, and which change with every update.
pub(super) fn read_terraform_resource(
    lib: &mut Stdlib,
    seen: &mut Seen,
    b: &Block,
    diags: &mut Diagnostics,
) {
    const SCHEMA: &[AttrSpec] = &[
        req("replaced_when", Ty::Strings, "\"name\""),
        opt("stops", Ty::Strings, "\"instance_type\""),
        opt("new_on_update", Ty::Strings, "\"latest_version\""),
        opt("tagged", Ty::Bool, "true"),
    ];
    let Some((name, v, _)) = seen.named(
        "terraform_resource",
        "aws_instance",
        b,
        SCHEMA,
        &[],
        lib,
        diags,
    ) else {
        return;
    };
    lib.terraform_resources.insert(
        name.node,
        TerraformResource {
            replaced_when: v.strings("replaced_when").unwrap_or_default(),
            stops: v.strings("stops").unwrap_or_default(),
            new_on_update: v.strings("new_on_update").unwrap_or_default(),
            tagged: v.bool("tagged").unwrap_or(false),
        },
    );
}
