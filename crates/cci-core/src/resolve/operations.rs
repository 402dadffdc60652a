//! The site's settings for running it beyond the port tables: `dns`, `proxy` and `tls`, each a
//! block inside `site`, and `backup` inside `services`; each at most once.

use super::library::no_labels;
use super::schema::{opt, read, req, AttrSpec, Ty};
use crate::ast::{Block, Value};
use crate::codes::Code;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::model::{Backup, Dns, FileRef, Proxy, StateBackend, Stdlib, Tls};
use crate::shapes::{no_proxy_entry, proxy_url_problem, valid_dns_name, ProxyUrlProblem};
use crate::span::{Span, Spanned};
use ipnet::{IpNet, Ipv4Net};

/// The nested block of this kind in the block `within`, if any; a second one is reported.
pub(super) fn at_most_one<'a>(
    blocks: &[&'a Block],
    kind: &str,
    within: &str,
    diags: &mut Diagnostics,
) -> Option<&'a Block> {
    let mut found = blocks.iter().filter(|b| b.kind.node == kind);
    let first = found.next()?;
    for again in found {
        diags.push(
            Diagnostic::new(
                Code::E0204,
                again.kind.span,
                format!("`{kind}` appears twice in `{within}`"),
            )
            .label(format!("second `{kind}` block"))
            .with(first.kind.span, "first one here")
            .help("merge them"),
        );
    }
    Some(*first)
}

fn bad_dns_name(span: Span, name: &str, what: &str, example: &str, diags: &mut Diagnostics) {
    diags.push(
        Diagnostic::new(
            Code::E0317,
            span,
            format!("`{name}` is not a valid DNS {what}"),
        )
        .label("labels of lower-case letters, digits and `-`, separated by dots")
        .help(format!(
            "for example `{example}`; no trailing dot, no scheme, no `*`"
        )),
    );
}

pub(super) const DNS_SCHEMA: &[AttrSpec] = &[
    req("zone", Ty::Str, "\"example.com\""),
    req("name", Ty::Str, "\"ci\""),
    opt("private_zone", Ty::Bool, "true"),
];

pub(super) fn read_dns(b: &Block, lib: &Stdlib, diags: &mut Diagnostics) -> Option<Dns> {
    no_labels(b, diags);
    let (v, _) = read("`dns`", b, DNS_SCHEMA, &[], lib, diags);
    let (zone, name) = (v.str("zone")?, v.str("name")?);
    let mut ok = true;
    if !valid_dns_name(&zone) {
        bad_dns_name(
            v.span("zone").unwrap_or(b.span),
            &zone,
            "zone",
            "example.com",
            diags,
        );
        ok = false;
    }
    if !valid_dns_name(&name) || name.len() + zone.len() >= 253 {
        bad_dns_name(
            v.span("name").unwrap_or(b.span),
            &name,
            "record name",
            "ci",
            diags,
        );
        ok = false;
    }
    ok.then(|| Dns {
        zone,
        name,
        private_zone: v.bool("private_zone"),
        span: b.span,
    })
}

pub(super) const PROXY_SCHEMA: &[AttrSpec] = &[
    opt("http", Ty::Str, "\"http://proxy.internal:3128\""),
    opt("https", Ty::Str, "\"http://proxy.internal:3128\""),
    opt("no_proxy", Ty::Strings, "[\".internal\", \"ghe.acme.com\"]"),
];

pub(super) fn read_proxy(b: &Block, lib: &Stdlib, diags: &mut Diagnostics) -> Option<Proxy> {
    no_labels(b, diags);
    let (v, _) = read("`proxy`", b, PROXY_SCHEMA, &[], lib, diags);
    let mut ok = true;
    for key in ["http", "https"] {
        if let Some(url) = v.str(key) {
            ok &= proxy_url(&url, v.span(key).unwrap_or(b.span), diags);
        }
    }
    let no_proxy = v.strings("no_proxy").unwrap_or_default();
    for host in &no_proxy {
        if !no_proxy_entry(host) {
            diags.push(
                Diagnostic::new(Code::E0318, v.span("no_proxy").unwrap_or(b.span), format!("`{host}` is not a host, domain or address for `no_proxy`"))
                    .label("written into every machine's environment")
                    .help("list host names (`ghe.acme.com`), domains (`.internal`) or addresses and ranges (`10.0.0.0/8`)"),
            );
            ok = false;
        }
    }
    let (http, https) = (v.str("http"), v.str("https"));
    if http.is_none() && https.is_none() {
        diags.push(
            Diagnostic::new(Code::E0205, b.span, "`proxy` names no proxy")
                .label("neither `http` nor `https`")
                .help("add `https = \"http://proxy.internal:3128\"` (and `http` if plain HTTP goes through it too)"),
        );
        ok = false;
    }
    ok.then_some(Proxy {
        http,
        https,
        no_proxy,
        span: b.span,
        url_span: v.span("https").or(v.span("http")).unwrap_or(b.span),
    })
}

/// `http://host:port` or `https://host:port`, with characters that are safe in an
/// environment file, a systemd unit and a shell word; credentials are refused (they would be
/// written into user-data, which anyone who may describe the instance can read).
fn proxy_url(url: &str, span: Span, diags: &mut Diagnostics) -> bool {
    match proxy_url_problem(url) {
        None => true,
        Some(ProxyUrlProblem::Credentials) => {
            diags.push(
                Diagnostic::new(Code::E0319, span, "the proxy URL holds credentials")
                    .label("user and password before `@`")
                    .help("let the proxy admit the site's machines by address; credentials in the URL would be written into every machine's user-data, which anyone allowed to describe the instances can read"),
            );
            false
        }
        Some(ProxyUrlProblem::NotAUrl) => {
            diags.push(
                Diagnostic::new(Code::E0318, span, format!("`{url}` is not a proxy URL"))
                    .label("expected `http://host:port`")
                    .help("write the proxy as `http://proxy.internal:3128`"),
            );
            false
        }
    }
}

pub(super) const TLS_SCHEMA: &[AttrSpec] = &[
    req("certificate", Ty::Any, "file(\"tls/ci.pem\")"),
    opt("key", Ty::Any, "file(\"tls/ci.key\")"),
    opt("hostname", Ty::Str, "\"ci.example.com\""),
];

pub(super) fn read_tls(b: &Block, lib: &Stdlib, diags: &mut Diagnostics) -> Option<Tls> {
    no_labels(b, diags);
    let (v, _) = read("`tls`", b, TLS_SCHEMA, &[], lib, diags);
    let certificate = v.raw("certificate").and_then(|c| file_ref(c, diags));
    let key = match v.raw("key") {
        Some(k) => Some(file_ref(k, diags)?),
        None => None,
    };
    let hostname = match (v.str("hostname"), v.span("hostname")) {
        (Some(h), Some(span)) => {
            if !valid_dns_name(h.strip_prefix("*.").unwrap_or(&h)) {
                bad_dns_name(span, &h, "name", "ci.example.com", diags);
                return None;
            }
            Some(Spanned::new(h, span))
        }
        _ => None,
    };
    Some(Tls {
        certificate: certificate?,
        key,
        hostname,
        span: b.span,
    })
}

/// `file("path")`, with a path relative to the site file.
fn file_ref(v: &Spanned<Value>, diags: &mut Diagnostics) -> Option<FileRef> {
    if let Value::Call { name, args } = &v.node {
        if let ([arg], "file") = (args.as_slice(), name.node.as_str()) {
            if let Value::Str(path) = &arg.node {
                if !path.is_empty() {
                    return Some(FileRef {
                        path: path.clone(),
                        span: v.span,
                    });
                }
            }
        }
    }
    diags.push(
        Diagnostic::new(Code::E0314, v.span, "expected `file(\"path\")`")
            .label("not a file reference")
            .help("name the PEM file relative to the site file: `file(\"tls/ci.pem\")`; its contents are checked, never copied into the outputs"),
    );
    None
}

/// The intervals Data Lifecycle Manager takes, in hours (CreateRule.Interval).
const BACKUP_INTERVALS: &[u64] = &[1, 2, 3, 4, 6, 8, 12, 24];
/// Snapshots DLM keeps per schedule at most (RetainRule.Count).
const BACKUP_KEEP_MAX: u64 = 1000;

pub(super) const BACKUP_SCHEMA: &[AttrSpec] = &[
    opt("every", Ty::Int, "24"),
    opt("at", Ty::Str, "\"03:00\""),
    req("keep", Ty::Int, "14"),
];

pub(super) fn read_backup(b: &Block, lib: &Stdlib, diags: &mut Diagnostics) -> Option<Backup> {
    no_labels(b, diags);
    let (v, _) = read("`backup`", b, BACKUP_SCHEMA, &[], lib, diags);
    let every = v.int("every").unwrap_or(24);
    let at = v.str("at").unwrap_or_else(|| "03:00".into());
    let keep = v.int("keep")?;
    let mut ok = true;
    if !BACKUP_INTERVALS.contains(&every) {
        diags.push(
            Diagnostic::new(
                Code::E0320,
                v.span("every").unwrap_or(b.span),
                format!(
                    "snapshots every {every} hours is not a schedule Data Lifecycle Manager takes"
                ),
            )
            .label("hours between snapshots")
            .help("use 1, 2, 3, 4, 6, 8, 12 or 24"),
        );
        ok = false;
    }
    let hhmm = at.split_once(':').and_then(|(h, m)| {
        let two = |s: &str| s.len() == 2 && s.chars().all(|c| c.is_ascii_digit());
        (two(h) && two(m)).then(|| (h.parse::<u8>().ok(), m.parse::<u8>().ok()))
    });
    if !matches!(hhmm, Some((Some(h), Some(m))) if h < 24 && m < 60) {
        diags.push(
            Diagnostic::new(
                Code::E0320,
                v.span("at").unwrap_or(b.span),
                format!("`{at}` is not a time of day"),
            )
            .label("expected `HH:MM`, in UTC")
            .help("for example `at = \"03:00\"`"),
        );
        ok = false;
    }
    if !(1..=BACKUP_KEEP_MAX).contains(&keep) {
        diags.push(
            Diagnostic::new(
                Code::E0320,
                v.span("keep").unwrap_or(b.span),
                format!("keeping {keep} snapshots is not a retention Data Lifecycle Manager takes"),
            )
            .label(format!("1 to {BACKUP_KEEP_MAX}"))
            .help("keep the snapshots of the days you may need to go back to, e.g. `keep = 14`"),
        );
        ok = false;
    }
    ok.then_some(Backup {
        every_hours: every,
        at,
        keep,
        span: b.span,
    })
}

pub(super) const STATE_SCHEMA: &[AttrSpec] = &[];

pub(super) const S3_STATE_SCHEMA: &[AttrSpec] = &[
    req("bucket", Ty::Str, "\"acme-terraform-state\""),
    opt("key", Ty::Str, "\"circleci/acme.tfstate\""),
    opt("region", Ty::Str, "\"us-west-2\""),
    opt("lock_table", Ty::Str, "\"terraform-locks\""),
    opt("kms_key", Ty::Str, "\"alias/terraform-state\""),
];

/// `state { s3 { ... } }`: the one backend the language writes. The key defaults to
/// `circleci/<site>.tfstate` and the region to the site's, both filled in by the caller.
pub(super) fn read_state(b: &Block, lib: &Stdlib, diags: &mut Diagnostics) -> Option<StateBackend> {
    no_labels(b, diags);
    let (_, nested) = read("`state`", b, STATE_SCHEMA, &["s3"], lib, diags);
    let Some(s3) = at_most_one(&nested, "s3", "state", diags) else {
        diags.push(
            Diagnostic::new(Code::E0323, b.span, "`state` names no backend")
                .label("empty")
                .help("say where Terraform keeps the state: `state { s3 { bucket = \"acme-terraform-state\" } }`"),
        );
        return None;
    };
    no_labels(s3, diags);
    let (v, _) = read("`s3`", s3, S3_STATE_SCHEMA, &[], lib, diags);
    let bucket = v.str("bucket")?;
    let bucket_span = v.span("bucket").unwrap_or(s3.span);
    let bucket_ok = super::site::valid_bucket(&bucket, bucket_span, diags);
    let region = match v.str("region") {
        Some(r) => Some(super::site::known_region(
            r,
            v.span("region").unwrap_or(s3.span),
            lib,
            diags,
        )?),
        None => None,
    };
    let key = v.str("key");
    if let Some(k) = &key {
        if k.is_empty() || k.starts_with('/') || k.ends_with('/') {
            let span = v.span("key").unwrap_or(s3.span);
            let trimmed = k.trim_matches('/');
            let d = Diagnostic::new(
                Code::E0323,
                span,
                format!("`{k}` is not an object key for the state"),
            )
            .label("a path inside the bucket, without a leading or trailing `/`");
            diags.push(if trimmed.is_empty() || trimmed.contains("//") {
                d.help("write it as `circleci/acme.tfstate`, or leave `key` out for `circleci/<site>.tfstate`")
            } else {
                d.help(format!("write `\"{trimmed}\"`"))
                    .fix(span, format!("\"{trimmed}\""), "drop the `/` at its ends")
            });
            return None;
        }
    }
    bucket_ok.then(|| StateBackend {
        bucket,
        bucket_span,
        key: key.unwrap_or_default(),
        region: region.unwrap_or_default(),
        lock_table: v.str("lock_table"),
        kms_key: v.str("kms_key"),
    })
}

/// The state's key and region when the site leaves them out.
pub(super) fn state_defaults(mut s: StateBackend, site: &str, region: &str) -> StateBackend {
    if s.key.is_empty() {
        s.key = format!("circleci/{site}.tfstate");
    }
    if s.region.is_empty() {
        s.region = region.to_string();
    }
    s
}

/// The subnets' ranges are their IPv4 blocks (what their instances are numbered from).
pub(super) fn ipv4_ranges(
    ranges: &[IpNet],
    span: Span,
    diags: &mut Diagnostics,
) -> Option<Spanned<Vec<Ipv4Net>>> {
    let v4: Vec<Ipv4Net> = ranges
        .iter()
        .filter_map(|r| match r {
            IpNet::V4(n) => Some(*n),
            IpNet::V6(_) => None,
        })
        .collect();
    if v4.len() != ranges.len() {
        diags.push(
            Diagnostic::new(Code::E0322, span, "an IPv6 range among the subnets' ranges")
                .label("each subnet's IPv4 CIDR block, in the order of `subnet`")
                .help("give each subnet's IPv4 block, as the VPC console shows it"),
        );
        return None;
    }
    Some(Spanned::new(v4, span))
}
