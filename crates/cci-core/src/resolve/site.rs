//! The `site` block (with `aws` and `tags`): where the site runs, who it serves, its secret.

use super::fields::{as_string, fields, type_error};
use super::library::{label, no_labels};
use super::operations::{at_most_one, read_dns, read_proxy, read_state, read_tls, state_defaults};
use super::schema::{opt, read, req, AttrSpec, Ty, Values};
use crate::ast::{Block, Value};
use crate::codes::Code;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::model::{Dns, GitHub, Proxy, Services, Site, StateBackend, Stdlib, Tls};
use crate::resolve::operations::ipv4_ranges;
use crate::span::{Span, Spanned};
use crate::suggest::did_you_mean;
use ipnet::Ipv4Net;
use std::collections::{BTreeMap, BTreeSet};

/// Names become parts of AWS names; 32 characters leave room in the shortest of them (IAM
/// roles, 64) for what `names.rs` adds.
pub(crate) const MAX_NAME: usize = 32;

pub(super) fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && name.len() <= MAX_NAME
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
}

pub(super) fn check_name(name: &Spanned<String>, what: &str, diags: &mut Diagnostics) -> bool {
    if valid_name(&name.node) {
        return true;
    }
    let fixed: String = name
        .node
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(MAX_NAME)
        .collect();
    let long = name.node.chars().count() > MAX_NAME;
    diags.push(
        Diagnostic::new(
            Code::E0310,
            name.span,
            format!("`{}` is not a valid {what} name", name.node),
        )
        .label(if long {
            format!("longer than {MAX_NAME} characters; used in AWS resource names")
        } else {
            "used in AWS resource names".to_string()
        })
        .help(format!(
            "use at most {MAX_NAME} lower-case letters, digits and `-`, starting with a letter (e.g. `{}`)",
            fixed.trim_matches('-')
        )),
    );
    false
}

/// What the `aws` block says.
struct Aws {
    region: String,
    vpc: String,
    subnets: Vec<String>,
    subnet_ranges: Option<Spanned<Vec<Ipv4Net>>>,
    ssh_key: String,
    ssh_key_span: Span,
    account: Option<String>,
    public_ip: bool,
    nat: Option<String>,
    s3_endpoint: Option<String>,
    span: Span,
}

pub(super) const SITE_SCHEMA: &[AttrSpec] = &[
    req("daily_active_users", Ty::Int, "40"),
    req("github", Ty::Any, "github_com"),
    req("passphrase", Ty::Any, "secret"),
    opt("bucket", Ty::Str, "\"acme-circleci\""),
    opt("vm_service", Ty::Bool, "true"),
    opt("disposable", Ty::Bool, "true"),
];

/// The `site` block, read into the model's [`Site`]; its other parts (actors, services, fleets,
/// externals, rules) are empty until [`resolve_site`](super::resolve_site) reads their blocks.
pub(super) fn read_site_block(b: &Block, lib: &Stdlib, diags: &mut Diagnostics) -> Option<Site> {
    let name = label(b, diags, "\"acme\"");
    let name_ok = name.as_ref().is_some_and(|n| check_name(n, "site", diags));
    let (v, blocks) = read(
        "`site`",
        b,
        SITE_SCHEMA,
        &["aws", "tags", "dns", "proxy", "tls", "state"],
        lib,
        diags,
    );
    let aws = if v.is_broken("aws") {
        None
    } else {
        one_aws_block(&blocks, b, diags).and_then(|a| read_aws(a, lib, diags))
    };
    let dau = daily_active_users(&v, diags);
    let github = v.raw("github").and_then(|g| read_github(g, diags));
    if let Some(p) = v.raw("passphrase") {
        check_passphrase(p, diags);
    }
    let tags = read_tags(&blocks, diags);
    let operations = read_operations(&blocks, lib, diags);
    let bucket_ok = v
        .str("bucket")
        .is_none_or(|bucket| valid_bucket(&bucket, v.span("bucket").unwrap_or(b.span), diags));

    let name = name.filter(|_| name_ok)?;
    let aws = aws?;
    let (github, github_span) = github?;
    let (daily_active_users, dau_span) = dau?;
    if !bucket_ok {
        return None;
    }
    let (dns, proxy, tls, state) = operations?;
    let state = state.map(|s| state_defaults(s, &name.node, &aws.region));
    Some(Site {
        name: name.node,
        name_span: name.span,
        partition: lib
            .partitions
            .get(&aws.region)
            .cloned()
            .unwrap_or_else(|| "aws".into()),
        region: aws.region,
        account: aws.account,
        vpc: aws.vpc,
        subnet: aws.subnets.first().cloned().unwrap_or_default(),
        subnets: aws.subnets,
        subnet_ranges: aws.subnet_ranges,
        ssh_key: aws.ssh_key,
        ssh_key_span: aws.ssh_key_span,
        public_ip: aws.public_ip,
        nat: aws.nat,
        s3_endpoint: aws.s3_endpoint,
        aws_span: aws.span,
        daily_active_users,
        dau_span,
        github,
        github_span,
        vm_service: v.bool("vm_service").unwrap_or(false),
        disposable: v
            .bool("disposable")
            .filter(|on| *on)
            .and_then(|_| v.span("disposable")),
        dns,
        proxy,
        tls,
        state,
        // Without a name of its own, the bucket is named after the site and its account
        // (which makes it unique across accounts: S3 names are global).
        bucket: v.str("bucket"),
        tags,
        actors: BTreeMap::new(),
        actors_span: None,
        services: Services::default(),
        fleets: Vec::new(),
        externals: BTreeMap::new(),
        own_rules: Vec::new(),
    })
}

/// The site's optional blocks (`dns`, `proxy`, `tls`, `state`), each read once. `None` when
/// one is broken: its error is said, and the build stops rather than build a site without it.
type Operations = (
    Option<Dns>,
    Option<Proxy>,
    Option<Tls>,
    Option<StateBackend>,
);

fn read_operations(blocks: &[&Block], lib: &Stdlib, diags: &mut Diagnostics) -> Option<Operations> {
    let dns = at_most_one(blocks, "dns", "site", diags).map(|d| read_dns(d, lib, diags));
    let proxy = at_most_one(blocks, "proxy", "site", diags).map(|p| read_proxy(p, lib, diags));
    let tls = at_most_one(blocks, "tls", "site", diags).map(|t| read_tls(t, lib, diags));
    let state = at_most_one(blocks, "state", "site", diags).map(|s| read_state(s, lib, diags));
    Some((
        read_ok(dns)?,
        read_ok(proxy)?,
        read_ok(tls)?,
        read_ok(state)?,
    ))
}

/// An optional block as read: `None` when it is there and broken (`Some(None)`).
fn read_ok<T>(block: Option<Option<T>>) -> Option<Option<T>> {
    block.map(|b| b.ok_or(())).transpose().ok()
}

/// The `aws` block: exactly one.
fn one_aws_block<'a>(
    blocks: &[&'a Block],
    site: &Block,
    diags: &mut Diagnostics,
) -> Option<&'a Block> {
    let aws = at_most_one(blocks, "aws", "site", diags);
    if aws.is_none() {
        diags.push(
            Diagnostic::new(Code::E0205, site.span, "`site` has no `aws`")
                .label("`aws` is required here")
                .help("add `aws = { region = \"us-west-2\"  vpc = vpc-0a1b2c3d  subnet = subnet-0a1b2c3d  ssh_key = \"ops\" }`"),
        );
    }
    aws
}

pub(super) const AWS_SCHEMA: &[AttrSpec] = &[
    req("region", Ty::Str, "\"us-west-2\""),
    req("vpc", Ty::AwsId("vpc"), "vpc-0a1b2c3d"),
    req("subnet", Ty::AwsIds("subnet"), "subnet-0a1b2c3d"),
    opt("subnet_ranges", Ty::Cidrs, "[10.0.1.0/24, 10.0.2.0/24]"),
    req("ssh_key", Ty::Str, "\"ops\""),
    opt("account", Ty::Any, "\"123456789012\""),
    opt("public_ip", Ty::Bool, "false"),
    opt("nat", Ty::AwsId("nat"), "nat-0a1b2c3d"),
    opt("s3_endpoint", Ty::AwsId("vpce"), "vpce-0a1b2c3d"),
];

fn read_aws(a: &Block, lib: &Stdlib, diags: &mut Diagnostics) -> Option<Aws> {
    no_labels(a, diags);
    let (v, _) = read("`aws`", a, AWS_SCHEMA, &[], lib, diags);
    let region = v.str("region").and_then(|r| {
        let span = v.span("region").unwrap_or(a.span);
        known_region(r, span, lib, diags)
    });
    let account = v.raw("account").and_then(|x| account_id(x, diags));
    let subnets = v
        .strings("subnet")
        .and_then(|s| subnet_list(s, v.span("subnet").unwrap_or(a.span), diags));
    let subnet_ranges = match (v.cidrs("subnet_ranges"), v.span("subnet_ranges"), &subnets) {
        (Some(ranges), Some(span), Some(ids)) if ranges.len() != ids.len() => {
            diags.push(
                Diagnostic::new(Code::E0322, span, format!("{} subnet ranges for {} subnets", ranges.len(), ids.len()))
                    .label("one range per subnet, in the same order")
                    .help("give each subnet's CIDR block, as the VPC console shows it, in the order of `subnet`"),
            );
            None
        }
        (Some(ranges), Some(span), _) => ipv4_ranges(&ranges, span, diags),
        _ => None,
    };
    Some(Aws {
        region: region?,
        vpc: v.str("vpc")?,
        subnets: subnets?,
        subnet_ranges,
        ssh_key: v.str("ssh_key")?,
        ssh_key_span: v.span("ssh_key").unwrap_or(a.span),
        account,
        public_ip: v.bool("public_ip").unwrap_or(true),
        nat: v.str("nat"),
        s3_endpoint: v.str("s3_endpoint"),
        span: a.span,
    })
}

/// The subnets, each once; the first holds the services box.
fn subnet_list(ids: Vec<String>, span: Span, diags: &mut Diagnostics) -> Option<Vec<String>> {
    let mut seen = BTreeSet::new();
    for id in &ids {
        if !seen.insert(id) {
            diags.push(
                Diagnostic::new(Code::E0322, span, format!("`{id}` is listed twice in `subnet`"))
                    .label("each subnet once")
                    .help("list each subnet once; fleets spread over them, the services box goes in the first"),
            );
            return None;
        }
    }
    Some(ids)
}

pub(super) fn known_region(
    r: String,
    span: Span,
    lib: &Stdlib,
    diags: &mut Diagnostics,
) -> Option<String> {
    if lib.regions.contains(&r) {
        return Some(r);
    }
    diags.push(
        Diagnostic::new(Code::E0305, span, format!("unknown AWS region `{r}`"))
            .label("not a region")
            .help(
                did_you_mean(&r, lib.regions.iter().map(String::as_str))
                    .unwrap_or_else(|| "regions look like `us-west-2`".into()),
            ),
    );
    None
}

/// Twelve digits, as a string (or a number, zero-padded).
fn account_id(v: &Spanned<Value>, diags: &mut Diagnostics) -> Option<String> {
    let raw = match &v.node {
        Value::Str(s) => s.clone(),
        Value::Int(n) => format!("{n:012}"),
        other => {
            type_error(v.span, "an account id", other, "\"123456789012\"", diags);
            return None;
        }
    };
    if raw.len() == 12 && raw.chars().all(|c| c.is_ascii_digit()) {
        return Some(raw);
    }
    diags.push(
        Diagnostic::new(
            Code::E0304,
            v.span,
            format!("`{raw}` is not an AWS account id"),
        )
        .label("expected 12 digits")
        .help("write it as a string: `account = \"123456789012\"`"),
    );
    None
}

fn daily_active_users(v: &Values, diags: &mut Diagnostics) -> Option<(u64, Span)> {
    let (n, span) = (v.int("daily_active_users")?, v.span("daily_active_users")?);
    if n == 0 {
        diags.push(
            Diagnostic::new(Code::E0309, span, "daily active users must be at least 1")
                .label("zero users")
                .help("the services machine is sized by this number; give your expected peak"),
        );
        return None;
    }
    Some((n, span))
}

/// `github_com` or `enterprise("https://...")`.
fn read_github(v: &Spanned<Value>, diags: &mut Diagnostics) -> Option<(GitHub, Span)> {
    const FORMS: &str = "write `github_com` or `enterprise(\"https://...\")`";
    match &v.node {
        Value::Ident(n) if n == "github_com" => Some((GitHub::Com, v.span)),
        Value::Call { name, args } if name.node == "enterprise" => match args.as_slice() {
            [Spanned {
                node: Value::Str(url),
                span,
            }] => enterprise_url(url, *span, diags).map(|g| (g, v.span)),
            _ => {
                diags.push(
                    Diagnostic::new(Code::E0314, v.span, "`enterprise` takes one URL string")
                        .label("wrong arguments")
                        .help("write `enterprise(\"https://ghe.acme.internal\")`"),
                );
                None
            }
        },
        Value::Call { name, .. } => {
            diags.push(
                Diagnostic::new(
                    Code::E0211,
                    name.span,
                    format!("unknown function `{}`", name.node),
                )
                .label("not a function")
                .help_name(&name.node, name.span, ["enterprise"], || FORMS.into()),
            );
            None
        }
        Value::Ident(n) => {
            diags.push(
                Diagnostic::new(Code::E0219, v.span, format!("unknown GitHub kind `{n}`"))
                    .label("expected `github_com` or `enterprise(...)`")
                    // `enterprise` needs its address, which no edit knows: named, not fixed.
                    .help_name(n, v.span, ["github_com"], || {
                        crate::suggest::did_you_mean(n, ["enterprise"])
                            .unwrap_or_else(|| FORMS.into())
                    }),
            );
            None
        }
        other => {
            let expected = "`github_com` or `enterprise(\"https://...\")`";
            type_error(v.span, expected, other, "github_com", diags);
            None
        }
    }
}

fn enterprise_url(url: &str, span: Span, diags: &mut Diagnostics) -> Option<GitHub> {
    if crate::shapes::web_url(url).is_some_and(|u| u.path() == "/") {
        return Some(GitHub::Enterprise {
            url: url.trim_end_matches('/').to_string(),
        });
    }
    diags.push(
        Diagnostic::new(Code::E0306, span, format!("`{url}` is not a valid URL"))
            .label("expected http(s)://host, with no user, password, path or query")
            .help("write the GitHub Enterprise address, e.g. `enterprise(\"https://ghe.acme.internal\")`"),
    );
    None
}

/// `passphrase = secret`: the value itself never belongs in the file.
fn check_passphrase(v: &Spanned<Value>, diags: &mut Diagnostics) {
    match &v.node {
        Value::Secret => {}
        Value::Str(s) => {
            diags.push(
                Diagnostic::new(Code::E0307, v.span, "the passphrase is written into the site file")
                    .label("a secret in plain text")
                    .help("write `passphrase = secret` and give the value at apply time: `TF_VAR_circle_secret_passphrase=... terraform apply`"),
            );
            if let Some(problem) = passphrase_problem(s) {
                diags.push(
                    Diagnostic::new(Code::E0316, v.span, format!("the passphrase {problem}"))
                        .label("CircleCI rejects this passphrase")
                        .help("the guide: alpha numeric characters only, not empty"),
                );
            }
        }
        other => type_error(v.span, "`secret`", other, "secret", diags),
    }
}

fn read_tags(blocks: &[&Block], diags: &mut Diagnostics) -> BTreeMap<String, String> {
    let mut tags = BTreeMap::new();
    for t in blocks.iter().filter(|x| x.kind.node == "tags") {
        no_labels(t, diags);
        let tf = fields("`tags`", t.span, &t.entries, &[], &[], true, diags);
        for (k, a) in &tf.attrs {
            if crate::secrets::is_secret_key(k) {
                // Tags are shown to anyone who may describe the resources, and in the bill.
                diags.push(
                    Diagnostic::new(Code::E0329, a.key.span, format!("the tag `{k}` is named like a secret"))
                        .label("tags are readable by anyone who may list the site's resources")
                        .help("keep secrets out of tags (they are for cost allocation and ownership): remove this tag; the passphrase is `passphrase = secret`, given at apply time"),
                );
                continue;
            }
            if let Some(s) = as_string(&a.value, "\"platform\"", diags) {
                tags.insert(k.to_string(), s.node);
            }
        }
    }
    tags
}

pub(super) fn valid_bucket(bucket: &str, span: Span, diags: &mut Diagnostics) -> bool {
    // No dots: a dotted name breaks virtual-hosted-style HTTPS (the certificate covers one label).
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let ok = (3..=63).contains(&bucket.len())
        && bucket
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && edge(bucket.chars().next())
        && edge(bucket.chars().last());
    if !ok {
        diags.push(
            Diagnostic::new(Code::E0312, span, format!("`{bucket}` is not a valid S3 bucket name"))
                .label("3-63 lower-case letters, digits and `-`, no dots")
                .help("pick a name such as `acme-circleci-artifacts`, or leave `bucket` out for `circleci-<site>-<account>`"),
        );
    }
    ok
}

/// Why a passphrase breaks the guide's rule, if it does.
pub fn passphrase_problem(s: &str) -> Option<&'static str> {
    if s.is_empty() {
        Some("is empty")
    } else if !s.chars().all(|c| c.is_ascii_alphanumeric()) {
        Some("has characters that are not letters or digits")
    } else {
        None
    }
}
