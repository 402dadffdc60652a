//! The site's block kinds: `site` (with `aws` and `tags`), `actors`, `services`, `fleet`,
//! `external`.

use super::*;

pub(super) struct SiteCore {
    pub(super) name: String,
    pub(super) name_span: Span,
    pub(super) region: String,
    pub(super) partition: String,
    pub(super) account: Option<String>,
    pub(super) vpc: String,
    pub(super) subnet: String,
    pub(super) ssh_key: String,
    pub(super) public_ip: bool,
    pub(super) nat: Option<String>,
    pub(super) s3_endpoint: Option<String>,
    pub(super) aws_span: Span,
    pub(super) dau: u64,
    pub(super) dau_span: Span,
    pub(super) github: GitHub,
    pub(super) github_span: Span,
    pub(super) vm_service: bool,
    pub(super) bucket: Option<String>,
    pub(super) tags: BTreeMap<String, String>,
}

pub(super) fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && name.len() <= 32
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
        .collect();
    diags.push(
        Diagnostic::error(
            Code::E0310,
            name.span,
            format!("`{}` is not a valid {what} name", name.node),
        )
        .label("used in AWS resource names")
        .help(format!(
            "use lower-case letters, digits and `-`, starting with a letter (e.g. `{}`)",
            fixed.trim_matches('-')
        )),
    );
    false
}

pub(super) fn aws_id(
    f: &Fields,
    key: &str,
    prefix: &str,
    diags: &mut Diagnostics,
) -> Option<String> {
    let example = format!("{prefix}-0a1b2c3d");
    let v = f.required(key, &example, diags)?;
    let raw = match &v.node {
        Value::AwsId(s) | Value::Str(s) => s.clone(),
        other => {
            type_error(v.span, "an AWS id", other, &example, diags);
            return None;
        }
    };
    let ok = raw
        .strip_prefix(prefix)
        .and_then(|r| r.strip_prefix('-'))
        .is_some_and(|hex| {
            matches!(hex.len(), 8 | 17)
                && hex
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        });
    if !ok {
        diags.push(
            Diagnostic::error(
                Code::E0304,
                v.span,
                format!("`{raw}` is not a valid {prefix} id"),
            )
            .label(format!(
                "expected `{prefix}-` and 8 or 17 lower-case hex digits"
            ))
            .help(format!(
                "copy the id from the AWS console, e.g. `{example}`"
            )),
        );
        return None;
    }
    Some(raw)
}

pub(super) fn read_site_block(
    b: &Block,
    lib: &Stdlib,
    diags: &mut Diagnostics,
) -> Option<SiteCore> {
    let name = label(b, diags, "\"acme\"");
    let name_ok = name.as_ref().is_some_and(|n| check_name(n, "site", diags));
    let f = fields(
        "`site`",
        b.span,
        &b.entries,
        &[
            "daily_active_users",
            "github",
            "passphrase",
            "bucket",
            "vm_service",
        ],
        &["aws", "tags"],
        false,
        diags,
    );

    // aws { region vpc subnet ssh_key account }
    let aws_blocks: Vec<&&Block> = f.blocks.iter().filter(|x| x.kind.node == "aws").collect();
    let aws = match aws_blocks.as_slice() {
        [] => {
            f.missing("aws", "{ region = \"us-west-2\"  vpc = vpc-0a1b2c3d  subnet = subnet-0a1b2c3d  ssh_key = \"ops\" }", diags);
            None
        }
        [a, rest @ ..] => {
            for r in rest {
                diags.push(
                    Diagnostic::error(Code::E0204, r.kind.span, "`aws` appears twice in `site`")
                        .label("second `aws` block")
                        .with(a.kind.span, "first one here")
                        .help("merge them"),
                );
            }
            Some(*a)
        }
    };
    let mut region = None;
    let mut vpc = None;
    let mut subnet = None;
    let mut ssh_key = None;
    let mut account = None;
    let mut public_ip = true;
    let mut nat = None;
    let mut s3_endpoint = None;
    if let Some(a) = aws {
        no_labels(a, diags);
        let af = fields(
            "`aws`",
            a.span,
            &a.entries,
            &[
                "region",
                "vpc",
                "subnet",
                "ssh_key",
                "account",
                "public_ip",
                "nat",
                "s3_endpoint",
            ],
            &[],
            false,
            diags,
        );
        public_ip = af.opt_bool("public_ip", diags).unwrap_or(true);
        if af.get("nat").is_some() {
            nat = aws_id(&af, "nat", "nat", diags);
        }
        if af.get("s3_endpoint").is_some() {
            s3_endpoint = aws_id(&af, "s3_endpoint", "vpce", diags);
        }
        if let Some(r) = af.string("region", "\"us-west-2\"", diags) {
            if lib.regions.contains(&r.node) {
                region = Some(r.node);
            } else {
                diags.push(
                    Diagnostic::error(
                        Code::E0305,
                        r.span,
                        format!("unknown AWS region `{}`", r.node),
                    )
                    .label("not a region")
                    .help(
                        did_you_mean(&r.node, lib.regions.iter().map(String::as_str))
                            .unwrap_or_else(|| "regions look like `us-west-2`".into()),
                    ),
                );
            }
        }
        vpc = aws_id(&af, "vpc", "vpc", diags);
        subnet = aws_id(&af, "subnet", "subnet", diags);
        ssh_key = af.string("ssh_key", "\"ops\"", diags).map(|s| s.node);
        if let Some(v) = af.get("account") {
            let raw = match &v.node {
                Value::Str(s) => Some(s.clone()),
                Value::Int(n) => Some(format!("{n:012}")),
                other => {
                    type_error(v.span, "an account id", other, "\"123456789012\"", diags);
                    None
                }
            };
            if let Some(raw) = raw {
                if raw.len() == 12 && raw.chars().all(|c| c.is_ascii_digit()) {
                    account = Some(raw);
                } else {
                    diags.push(
                        Diagnostic::error(
                            Code::E0304,
                            v.span,
                            format!("`{raw}` is not an AWS account id"),
                        )
                        .label("expected 12 digits")
                        .help("write it as a string: `account = \"123456789012\"`"),
                    );
                }
            }
        }
    }

    let dau = match f.int("daily_active_users", "40", diags) {
        Some((0, span)) => {
            diags.push(
                Diagnostic::error(Code::E0309, span, "daily active users must be at least 1")
                    .label("zero users")
                    .help("the services machine is sized by this number; give your expected peak"),
            );
            None
        }
        other => other,
    };

    let github = match f.required("github", "github_com", diags) {
        None => None,
        Some(v) => match &v.node {
            Value::Ident(n) if n == "github_com" => Some((GitHub::Com, v.span)),
            Value::Call { name, args } if name.node == "enterprise" => match args.as_slice() {
                [Spanned {
                    node: Value::Str(url),
                    span,
                }] => {
                    if valid_url(url) {
                        Some((
                            GitHub::Enterprise {
                                url: url.trim_end_matches('/').to_string(),
                            },
                            v.span,
                        ))
                    } else {
                        diags.push(
                            Diagnostic::error(Code::E0306, *span, format!("`{url}` is not a valid URL"))
                                .label("expected http(s)://host")
                                .help("write the GitHub Enterprise address, e.g. `enterprise(\"https://ghe.acme.internal\")`"),
                        );
                        None
                    }
                }
                _ => {
                    diags.push(
                        Diagnostic::error(Code::E0314, v.span, "`enterprise` takes one URL string")
                            .label("wrong arguments")
                            .help("write `enterprise(\"https://ghe.acme.internal\")`"),
                    );
                    None
                }
            },
            Value::Call { name, .. } => {
                diags.push(
                    Diagnostic::error(
                        Code::E0211,
                        name.span,
                        format!("unknown function `{}`", name.node),
                    )
                    .label("not a function")
                    .help(
                        did_you_mean(&name.node, ["enterprise"]).unwrap_or_else(|| {
                            "write `github_com` or `enterprise(\"https://...\")`".into()
                        }),
                    ),
                );
                None
            }
            Value::Ident(n) => {
                diags.push(
                    Diagnostic::error(Code::E0219, v.span, format!("unknown GitHub kind `{n}`"))
                        .label("expected `github_com` or `enterprise(...)`")
                        .help(
                            did_you_mean(n, ["github_com", "enterprise"]).unwrap_or_else(|| {
                                "write `github_com` or `enterprise(\"https://...\")`".into()
                            }),
                        ),
                );
                None
            }
            other => {
                type_error(
                    v.span,
                    "`github_com` or `enterprise(\"https://...\")`",
                    other,
                    "github_com",
                    diags,
                );
                None
            }
        },
    };

    match f.required("passphrase", "secret", diags) {
        None => {}
        Some(v) => match &v.node {
            Value::Secret => {}
            Value::Str(s) => {
                diags.push(
                    Diagnostic::error(Code::E0307, v.span, "the passphrase is written into the site file")
                        .label("a secret in plain text")
                        .help("write `passphrase = secret` and give the value at apply time: `TF_VAR_circle_secret_passphrase=... terraform apply`"),
                );
                if let Some(problem) = passphrase_problem(s) {
                    diags.push(
                        Diagnostic::error(Code::E0316, v.span, format!("the passphrase {problem}"))
                            .label("CircleCI rejects this passphrase")
                            .help("the guide: alpha numeric characters only, not empty"),
                    );
                }
            }
            other => type_error(v.span, "`secret`", other, "secret", diags),
        },
    }

    let mut tags = BTreeMap::new();
    for t in f.blocks.iter().filter(|x| x.kind.node == "tags") {
        no_labels(t, diags);
        let tf = fields("`tags`", t.span, &t.entries, &[], &[], true, diags);
        for (k, a) in &tf.attrs {
            if let Some(s) = as_string(&a.value, "\"platform\"", diags) {
                tags.insert(k.to_string(), s.node);
            }
        }
    }

    let vm_service = f.opt_bool("vm_service", diags).unwrap_or(false);
    let bucket_given = f.opt_string("bucket", "\"acme-circleci\"", diags);
    let bucket_ok = bucket_given.as_ref().is_none_or(|b| {
        let ok = b.node.len() >= 3 && b.node.len() <= 63 && valid_name(&b.node.replace('.', "-"));
        if !ok {
            diags.push(
                Diagnostic::error(
                    Code::E0312,
                    b.span,
                    format!("`{}` is not a valid S3 bucket name", b.node),
                )
                .label("3-63 lower-case letters, digits, `-` and `.`")
                .help("pick a name such as `acme-circleci-artifacts`, or leave `bucket` out for `circleci-<site>-<account>`"),
            );
        }
        ok
    });

    let name = name.filter(|_| name_ok)?;
    let region = region?;
    let partition = lib
        .partitions
        .get(&region)
        .cloned()
        .unwrap_or_else(|| "aws".into());
    // Without a name of its own, the bucket is named after the site and its account (which
    // makes it unique across accounts: S3 names are global).
    let bucket = match bucket_given {
        Some(b) if bucket_ok => Some(b.node),
        Some(_) => return None,
        None => None,
    };
    let (github, github_span) = github?;
    let (dau, dau_span) = dau?;
    Some(SiteCore {
        name: name.node,
        name_span: name.span,
        region,
        partition,
        account,
        vpc: vpc?,
        subnet: subnet?,
        ssh_key: ssh_key?,
        public_ip,
        nat,
        s3_endpoint,
        aws_span: aws.map_or(b.span, |a| a.span),
        dau,
        dau_span,
        github,
        github_span,
        vm_service,
        bucket,
        tags,
    })
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

pub(super) fn valid_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(r) => {
            let host = r.split(['/', ':']).next().unwrap_or("");
            !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
                && !r.contains(' ')
        }
        None => false,
    }
}

pub(super) fn instance(
    f: &Fields,
    lib: &Stdlib,
    diags: &mut Diagnostics,
) -> Option<(InstanceType, Span)> {
    let s = f.string("instance", "\"m4.2xlarge\"", diags)?;
    match lib.instance_types.get(&s.node) {
        Some(t) => Some((t.clone(), s.span)),
        None => {
            diags.push(
                Diagnostic::error(Code::E0207, s.span, format!("unknown instance type `{}`", s.node))
                    .label("not in the instance-type catalog")
                    .help(did_you_mean(&s.node, lib.instance_types.keys().map(String::as_str)).unwrap_or_else(|| {
                        "add it to the site: `instance_type \"x\" { vcpu = 8  memory = 32 GiB  network = \"High\"  bandwidth = 1000 Mbps }`".into()
                    })),
            );
            None
        }
    }
}

/// Disk sizes become whole GiB (EBS's unit), rounded up.
pub(super) fn disk_gib(bytes: u64, span: Span, diags: &mut Diagnostics) -> Option<u64> {
    let gib = bytes.div_ceil(GIB);
    if !(8..=16384).contains(&gib) {
        diags.push(
            Diagnostic::error(
                Code::E0309,
                span,
                format!(
                    "a disk of {} is outside what EBS allows here",
                    human_bytes(bytes)
                ),
            )
            .label("root volumes are 8 GiB to 16 TiB")
            .help("pick a size between `8 GiB` and `16 TiB`"),
        );
        return None;
    }
    Some(gib)
}

pub(super) fn ami(f: &Fields, diags: &mut Diagnostics) -> Option<String> {
    f.get("ami")?;
    aws_id(f, "ami", "ami", diags)
}

/// The services disk the guide's sizing table gives for this many daily active users (its
/// smallest row's when the users are unknown).
fn default_disk_gib(lib: &Stdlib, users: Option<u64>) -> u64 {
    let row = users
        .and_then(|u| crate::check::sizing_row(lib, u))
        .or_else(|| lib.services_sizing.first());
    row.map_or(0, |r| r.disk_bytes.div_ceil(GIB))
}

pub(super) fn read_services(
    b: &Block,
    lib: &Stdlib,
    users: Option<u64>,
    diags: &mut Diagnostics,
) -> Option<Services> {
    no_labels(b, diags);
    let f = fields(
        "`services`",
        b.span,
        &b.entries,
        &["instance", "disk", "ami"],
        &[],
        false,
        diags,
    );
    let inst = instance(&f, lib, diags);
    let disk = f.opt_size("disk", "200 GiB", diags);
    let ami = ami(&f, diags);
    let (disk_gib, disk_span) = match disk {
        Some((bytes, span)) => (disk_gib(bytes, span, diags)?, span),
        // Unset: the guide's sizing table gives the disk for the site's daily active users.
        None => (default_disk_gib(lib, users), b.span),
    };
    let (instance, instance_span) = inst?;
    Some(Services {
        instance,
        instance_span,
        disk_gib,
        disk_span,
        ami,
        span: b.span,
    })
}

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
        let f = fields(
            format!("fleet `{}`", name.node),
            b.span,
            &b.entries,
            &["instance", "count", "disk", "ami"],
            &[],
            false,
            diags,
        );
        let inst = instance(&f, lib, diags);
        let count = f.get("count").or_else(|| {
            f.missing("count", "1..5", diags);
            None
        });
        let count = count.and_then(|v| match &v.node {
            Value::Int(n) if *n >= 1 => Some((*n, *n, v.span)),
            Value::Range { first, last } if first <= last && *last >= 1 => {
                Some((*first, *last, v.span))
            }
            Value::Int(_) | Value::Range { .. } => {
                diags.push(
                    Diagnostic::error(Code::E0303, v.span, "invalid count")
                        .label("expected `min..max` with min <= max and max >= 1")
                        .help(match &v.node {
                            Value::Range { first, last } if first > last && *first >= 1 => {
                                format!("the smaller number comes first: `count = {last}..{first}`")
                            }
                            _ => "a fleet needs room for at least one client, e.g. `count = 1..5`"
                                .to_string(),
                        }),
                );
                None
            }
            other => {
                type_error(v.span, "a count or range", other, "2..10", diags);
                None
            }
        });
        let disk = match f.opt_size("disk", "100 GiB", diags) {
            Some((bytes, span)) => disk_gib(bytes, span, diags).map(|g| (g, span)),
            None => Some((
                (lib.nomad_requirements.min_disk_bytes.div_ceil(GIB)).max(8),
                b.span,
            )),
        };
        let ami = ami(&f, diags);
        if let (
            true,
            Some((instance, instance_span)),
            Some((min, max, count_span)),
            Some((disk_gib, disk_span)),
        ) = (name_ok, inst, count, disk)
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
                ami,
                span: b.span,
            });
        }
    }
    out
}

pub(super) fn read_externals(
    blocks: &[&Block],
    lib: &Stdlib,
    diags: &mut Diagnostics,
) -> BTreeMap<String, External> {
    let mut out = BTreeMap::new();
    let mut seen = Seen::default();
    for b in blocks {
        let Some(name) = label(b, diags, "postgres") else {
            continue;
        };
        let Some(def) = lib.externals.get(&name.node) else {
            diags.push(not_externalizable(&name.node, name.span, lib));
            continue;
        };
        if !seen.first("external", &name.node, name.span, diags) {
            continue;
        }
        let f = fields(
            format!("external `{}`", name.node),
            b.span,
            &b.entries,
            &["hosts", "port"],
            &[],
            false,
            diags,
        );
        let hosts = f.cidrs("hosts", diags);
        let port = f
            .get("port")
            .and_then(|v| as_int(v, &def.default_port.to_string(), diags))
            .map(|(p, s)| port_u16(p, s, diags))
            .unwrap_or(def.default_port);
        match hosts {
            None => f.missing("hosts", "[10.0.5.10]", diags),
            // An empty list is the check stage's to report (E0412).
            Some(hosts) => {
                out.insert(
                    name.node.clone(),
                    External {
                        name: name.node,
                        hosts,
                        port,
                        span: b.span,
                    },
                );
            }
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
                Diagnostic::error(
                    Code::E0313,
                    a.key.span,
                    format!("`{k}` is a component, not an actor"),
                )
                .label("components are not bound to addresses")
                .help(
                    "actors are who connects: `users`, `admins`, `github`, or a name of your own",
                ),
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
    out
}
