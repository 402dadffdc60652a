//! Where the site runs: the region (and GovCloud's partition), the VPC, the subnet, the key pair.
//! Each is required: a value the site cannot take is replaced by a placeholder marked TODO.

use crate::read::{is_placeholder, Importer};
use crate::write::{quoted, shown, Field, Site};
use crate::NoteKind;
use cci_core::parse::OPEN_DECISION;
use cci_core::shapes::valid_aws_id;

pub(crate) fn aws(im: &mut Importer, site: &mut Site, govcloud: bool) {
    // In the stdlib's order (us-gov-west-1, the older, first).
    let gov_regions: Vec<String> = im
        .lib
        .regions
        .iter()
        .filter(|r| im.lib.partitions.get(*r).is_some_and(|p| p == "aws-us-gov"))
        .cloned()
        .collect();
    let region = region(im, site, govcloud, &gov_regions);
    if im.set("enable_govcloud") {
        govcloud_note(im, govcloud, region.as_deref(), &gov_regions);
    }
    site.vpc = aws_id(im, "aws_vpc_id", "vpc");
    site.subnet = aws_id(im, "aws_subnet_id", "subnet");
    site.ssh_key = ssh_key(im);
}

/// Why a setting the site needs is not carried: not in the tfvars, unset, the template's
/// placeholder, or what `invalid` says of the value.
fn why_not(
    im: &Importer,
    key: &str,
    value: Option<&str>,
    invalid: impl FnOnce(&str) -> String,
) -> String {
    match value {
        None if !im.set(key) => "not in the tfvars".to_string(),
        None => "unset".to_string(),
        Some(v) if is_placeholder(v) => "the template's placeholder".to_string(),
        Some(v) => invalid(v),
    }
}

/// A placeholder written where a required setting cannot be carried: `shown` (as `value` in the
/// site, with `comment`), and a note saying why and what to do.
fn placeholder(
    im: &mut Importer,
    key: &str,
    why: &str,
    (shown, value): (&str, String),
    to_do: &str,
    comment: String,
) -> Field {
    let message = format!("{why}: `{shown}` written in its place (a TODO in the site); {to_do}");
    im.note(NoteKind::Todo, key, message);
    Field::new(value, comment)
}

/// The region when the stdlib knows it; else the first GovCloud or commercial region of the
/// stdlib as a placeholder. Returns the region carried.
fn region(
    im: &mut Importer,
    site: &mut Site,
    govcloud: bool,
    gov_regions: &[String],
) -> Option<String> {
    const KEY: &str = "aws_region";
    let region = im.text(KEY);
    match region.as_deref().map(str::trim) {
        Some(r) if im.lib.regions.iter().any(|k| k == r) => {
            site.region = Field::new(quoted(r).unwrap_or_default(), KEY);
            im.note(NoteKind::Carried, KEY, "aws { region }");
            Some(r.to_string())
        }
        other => {
            let why = why_not(im, KEY, other, |r| {
                format!("`{}` is not a region the stdlib knows", shown(r))
            });
            // The stdlib's first commercial region (or GovCloud one): a placeholder, marked to do.
            let regions = if govcloud {
                gov_regions
            } else {
                &im.lib.regions
            };
            let written = regions.first().cloned().unwrap_or_default();
            site.region = placeholder(
                im,
                KEY,
                &why,
                (&written, format!("\"{written}\"")),
                "set the real region",
                format!("{OPEN_DECISION}: a placeholder; set your region (aws_region)"),
            );
            None
        }
    }
}

/// enterprise-setup needed `enable_govcloud` for GovCloud's ARN partition; the site takes the
/// partition from the region.
fn govcloud_note(im: &mut Importer, govcloud: bool, region: Option<&str>, gov_regions: &[String]) {
    const KEY: &str = "enable_govcloud";
    let is_gov = region.is_some_and(|r| gov_regions.iter().any(|g| g == r));
    match (govcloud, is_gov, region) {
        (true, true, _) | (false, false, _) => im.note(
            NoteKind::Carried,
            KEY,
            "the ARN partition follows from the region (the stdlib's region list)",
        ),
        (true, false, Some(_)) => im.note(
            NoteKind::NotCarried,
            KEY,
            format!(
                "true, but the region is not a GovCloud region ({}); the site uses the region's own partition",
                gov_regions.join(", ")
            ),
        ),
        (true, false, None) => im.note(
            NoteKind::Todo,
            KEY,
            "the ARN partition follows from the region: the placeholder region is a GovCloud one",
        ),
        (false, true, _) => im.note(
            NoteKind::Carried,
            KEY,
            "false, but the region is a GovCloud region: the site uses its partition (aws-us-gov), which enterprise-setup needed this flag for",
        ),
    }
}

/// The VPC or subnet id (`prefix`), or `prefix-00000000` to replace.
fn aws_id(im: &mut Importer, key: &str, prefix: &str) -> Field {
    let value = im.text(key);
    match value.as_deref().map(str::trim) {
        Some(v) if valid_aws_id(v, prefix) => {
            im.note(NoteKind::Carried, key, format!("aws {{ {prefix} }}"));
            Field::new(v, key)
        }
        other => {
            let why = why_not(im, key, other, |v| {
                format!(
                    "`{}` is not a {prefix} id (`{prefix}-` and 8 or 17 hex digits)",
                    shown(v)
                )
            });
            let written = format!("{prefix}-00000000");
            placeholder(
                im,
                key,
                &why,
                (&written, written.clone()),
                "set the real id",
                format!("{OPEN_DECISION}: a placeholder; set your {prefix} id ({key})"),
            )
        }
    }
}

/// The EC2 key pair's name, or `CHANGE-ME` to replace.
fn ssh_key(im: &mut Importer) -> Field {
    const KEY: &str = "aws_ssh_key_name";
    let key_name = im.text(KEY);
    match key_name.as_deref() {
        Some(k)
            if !is_placeholder(k)
                && k.len() <= 255
                && k.chars().all(|c| c.is_ascii_graphic() || c == ' ') =>
        {
            im.note(NoteKind::Carried, KEY, "aws { ssh_key }");
            Field::new(quoted(k).unwrap_or_default(), KEY)
        }
        other => {
            let why = why_not(im, KEY, other, |_| {
                "not an EC2 key pair name (up to 255 printable ASCII characters)".to_string()
            });
            placeholder(
                im,
                KEY,
                &why,
                ("CHANGE-ME", "\"CHANGE-ME\"".into()),
                "set the key pair's name",
                format!("{OPEN_DECISION}: a placeholder; set your EC2 key pair (aws_ssh_key_name)"),
            )
        }
    }
}
