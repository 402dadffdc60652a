//! The stdlib's data for `cci-dsl plan`: the docker executor's resource classes and the
//! on-demand price table.

use super::*;

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
    let Some(name) = label(b, diags, "medium") else {
        return;
    };
    if !seen.first("resource_class", &name.node, name.span, diags) {
        return;
    }
    let (v, _) = read(
        format!("resource_class `{}`", name.node),
        b,
        SCHEMA,
        &[],
        lib,
        diags,
    );
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
    no_labels(b, diags);
    if !seen.first("prices", "", b.span, diags) {
        return;
    }
    let (v, families) = read("`prices`", b, SCHEMA, &["family"], lib, diags);
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
