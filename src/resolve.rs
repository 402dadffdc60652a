//! Names bound, values typed: the stdlib's and the site's syntax trees become the
//! [`model`](crate::model) types. Unknown names get a "did you mean", wrong types and
//! malformed values an error at their span; every problem is reported, none stops the stage.

use crate::ast::{self, Attr, Block, Endpoint, Entry, Item, Value};
use crate::codes::Code;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::model::*;
use crate::span::{Span, Spanned};
use crate::suggest::did_you_mean;
use ipnet::Ipv4Net;
use std::collections::{BTreeMap, BTreeSet};

/// Block kinds that describe the product (normally in the stdlib; a site may add its own,
/// e.g. an instance type the catalog lacks).
const LIBRARY_KINDS: &[&str] = &[
    "release",
    "actor",
    "externalizable",
    "regions",
    "instance_type",
    "services_sizing",
    "nomad_requirements",
    "nomad_count",
    "policy",
    "machine",
];

/// Block kinds that describe one site.
const SITE_KINDS: &[&str] = &["site", "actors", "services", "fleet", "external"];

/// Reads the library kinds of every given file into one [`Stdlib`]; `rule_files` says
/// which files' `allow` rules are the library's (the site's own rules are read with the site).
pub fn read_stdlib(files: &[&ast::File], rule_files: usize, diags: &mut Diagnostics) -> Stdlib {
    let mut lib = Stdlib::default();
    let mut seen = Seen::default();
    for file in files {
        for item in &file.items {
            match item {
                Item::Block(b) if LIBRARY_KINDS.contains(&b.kind.node.as_str()) => {
                    read_library_block(&mut lib, &mut seen, b, diags)
                }
                _ => {}
            }
        }
    }
    // Rules are read once every actor and externalizable service is known.
    for file in files.iter().take(rule_files) {
        for item in &file.items {
            if let Item::Allow(rule) = item {
                let rules = read_rule(rule, &lib, &RuleScope::Library, diags);
                lib.rules.extend(rules);
            }
        }
    }
    lib
}

/// Binds the site file against the stdlib. `None` when the site is too broken to model;
/// the diagnostics say why.
pub fn resolve_site(
    file: &ast::File,
    lib: &Stdlib,
    site_file_name: &str,
    sources: &crate::span::Sources,
    diags: &mut Diagnostics,
) -> Option<Site> {
    let mut blocks: BTreeMap<&str, Vec<&Block>> = BTreeMap::new();
    let mut rules = Vec::new();
    let mut use_seen = false;
    for item in &file.items {
        match item {
            Item::Use(u) => {
                use_seen = true;
                let want = format!("circleci/{}", lib.release);
                if u.path.node != want {
                    diags.push(
                        Diagnostic::error(
                            Code::E0209,
                            u.path.span,
                            format!("unknown library `{}`", u.path.node),
                        )
                        .label("not a known library")
                        .help(format!(
                            "this compiler carries `{want}`: write `use {want}`"
                        )),
                    );
                }
            }
            Item::Block(b) => {
                let kind = b.kind.node.as_str();
                if SITE_KINDS.contains(&kind) {
                    blocks.entry(kind).or_default().push(b);
                } else if !LIBRARY_KINDS.contains(&kind) {
                    let candidates = SITE_KINDS.iter().chain(LIBRARY_KINDS).copied();
                    diags.push(
                        Diagnostic::error(
                            Code::E0201,
                            b.kind.span,
                            format!("unknown block `{kind}`"),
                        )
                        .label("not a block this language knows")
                        .help(
                            did_you_mean(kind, candidates).unwrap_or_else(|| {
                                format!("a site is made of {}", list_code(SITE_KINDS))
                            }),
                        ),
                    );
                }
            }
            Item::Allow(r) => rules.push(r),
        }
    }
    let whole = Span::new(
        sources.iter().last().map(|(id, _)| id).unwrap_or_default(),
        0,
        0,
    );
    if !use_seen {
        // Not fatal: the only library is assumed, but say so.
        let _ = whole;
    }

    let broken = |kind: &str| file.broken.iter().any(|b| b == kind);
    let site_block = single(&blocks, "site", whole, broken("site"), diags);
    let actors_block = single(&blocks, "actors", whole, broken("actors"), diags);
    let services_block = single(&blocks, "services", whole, broken("services"), diags);
    if blocks.get("fleet").is_none_or(|v| v.is_empty()) && !broken("fleet") {
        diags.push(
            Diagnostic::error(Code::E0208, whole, "the site has no Nomad client fleet")
                .label("no `fleet` block in this file")
                .help("add one: `fleet nomad { instance = \"m4.2xlarge\"  count = 1..5  disk = 100 GiB }`"),
        );
    }

    let site_core = site_block.and_then(|b| read_site_block(b, lib, diags));
    let externals = read_externals(
        blocks.get("external").map(Vec::as_slice).unwrap_or(&[]),
        lib,
        diags,
    );
    let services = services_block.and_then(|b| read_services(b, lib, diags));
    let fleets = read_fleets(
        blocks.get("fleet").map(Vec::as_slice).unwrap_or(&[]),
        lib,
        diags,
    );
    let actors = read_actors(actors_block, lib, site_core.as_ref(), diags);

    // The site's rules, with the names the site adds (fleets, externals, its own actors).
    let scope = RuleScope::Site {
        fleets: fleets.iter().map(|f| f.name.clone()).collect(),
        externals: externals.keys().cloned().collect(),
        actors: actors.keys().cloned().collect(),
        file_name: site_file_name.to_string(),
        sources,
    };
    let mut site_rules = Vec::new();
    for r in rules {
        site_rules.extend(read_rule(r, lib, &scope, diags));
    }

    let core = site_core?;
    let services = services?;
    let mut site = Site {
        name: core.name,
        name_span: core.name_span,
        region: core.region.clone(),
        partition: core.partition,
        account: core.account,
        vpc: core.vpc,
        subnet: core.subnet,
        ssh_key: core.ssh_key,
        public_ip: core.public_ip,
        nat: core.nat,
        s3_endpoint: core.s3_endpoint,
        aws_span: core.aws_span,
        daily_active_users: core.dau,
        dau_span: core.dau_span,
        github: core.github,
        github_span: core.github_span,
        bucket: core.bucket,
        tags: core.tags,
        actors,
        services,
        fleets,
        externals,
        rules: Vec::new(),
        skipped_rules: Vec::new(),
    };
    for rule in &lib.rules {
        if site.holds(&rule.when) {
            site.rules.push(with_site_port(rule, lib, &site));
        } else {
            let why = match &rule.when {
                Condition::Never => rule
                    .decision
                    .clone()
                    .unwrap_or_else(|| "not opened (decision in the stdlib)".into()),
                Condition::External(names) => {
                    format!("only when {} is externalized", names.join(" or "))
                }
                Condition::Embedded(names) => format!(
                    "only while {} runs on the services box",
                    names.join(" and ")
                ),
                Condition::GithubCom => "only with github.com".into(),
                Condition::GithubEnterprise => "only with GitHub Enterprise".into(),
                Condition::Always => unreachable!("an always-rule always holds"),
            };
            site.skipped_rules.push((rule.clone(), why));
        }
    }
    site.rules.extend(site_rules);
    Some(site)
}

// ------------------------------------------------------------------------------------------
// Attribute reading, shared by every block kind.
// ------------------------------------------------------------------------------------------

/// A block's attributes, checked against the keys the block takes.
struct Fields<'a> {
    attrs: BTreeMap<&'a str, &'a Attr>,
    blocks: Vec<&'a Block>,
    span: Span,
    what: String,
}

fn fields<'a>(
    what: impl Into<String>,
    span: Span,
    entries: &'a [Entry],
    keys: &[&str],
    block_kinds: &[&str],
    open: bool,
    diags: &mut Diagnostics,
) -> Fields<'a> {
    let what = what.into();
    let mut attrs: BTreeMap<&'a str, &'a Attr> = BTreeMap::new();
    let mut blocks = Vec::new();
    for e in entries {
        match e {
            Entry::Attr(a) => {
                let k = a.key.node.as_str();
                if !open && !keys.contains(&k) {
                    diags.push(
                        Diagnostic::error(Code::E0202, a.key.span, format!("unknown attribute `{k}` in {what}"))
                            .label("not an attribute of this block")
                            .help(did_you_mean(k, keys.iter().copied()).unwrap_or_else(|| {
                                format!("{what} takes {}", list_code(keys))
                            })),
                    );
                    continue;
                }
                if let Some(prev) = attrs.get(k) {
                    diags.push(
                        Diagnostic::error(Code::E0203, a.key.span, format!("`{k}` is set twice in {what}"))
                            .label("set again here")
                            .with(prev.key.span, "first set here")
                            .help("keep one of the two"),
                    );
                    continue;
                }
                attrs.insert(k, a);
            }
            Entry::Block(b) => {
                if block_kinds.contains(&b.kind.node.as_str()) {
                    blocks.push(b);
                } else {
                    diags.push(
                        Diagnostic::error(Code::E0201, b.kind.span, format!("unknown block `{}` in {what}", b.kind.node))
                            .label("not allowed here")
                            .help(did_you_mean(&b.kind.node, block_kinds.iter().copied()).unwrap_or_else(|| {
                                if block_kinds.is_empty() {
                                    format!("{what} holds attributes only")
                                } else {
                                    format!("{what} holds the blocks {}", list_code(block_kinds))
                                }
                            })),
                    );
                }
            }
            Entry::Allow(r) => diags.push(
                Diagnostic::error(Code::E0201, r.span, format!("`allow` rules are not allowed in {what}"))
                    .label("move this rule to the top level of the file")
                    .help("rules stand on their own: `allow tcp 9100 from 10.20.0.0/16 to nomad \"node exporter\"`"),
            ),
        }
    }
    Fields {
        attrs,
        blocks,
        span,
        what,
    }
}

impl<'a> Fields<'a> {
    fn get(&self, key: &str) -> Option<&'a Spanned<Value>> {
        self.attrs.get(key).map(|a| &a.value)
    }

    fn missing(&self, key: &str, example: &str, diags: &mut Diagnostics) {
        diags.push(
            Diagnostic::error(
                Code::E0205,
                self.span,
                format!("{} has no `{key}`", self.what),
            )
            .label(format!("`{key}` is required here"))
            .help(format!("add `{key} = {example}`")),
        );
    }

    fn required(
        &self,
        key: &str,
        example: &str,
        diags: &mut Diagnostics,
    ) -> Option<&'a Spanned<Value>> {
        let v = self.get(key);
        if v.is_none() {
            self.missing(key, example, diags);
        }
        v
    }

    fn string(&self, key: &str, example: &str, diags: &mut Diagnostics) -> Option<Spanned<String>> {
        let v = self.required(key, example, diags)?;
        as_string(v, example, diags)
    }

    fn opt_string(
        &self,
        key: &str,
        example: &str,
        diags: &mut Diagnostics,
    ) -> Option<Spanned<String>> {
        self.get(key).and_then(|v| as_string(v, example, diags))
    }

    fn int(&self, key: &str, example: &str, diags: &mut Diagnostics) -> Option<(u64, Span)> {
        let v = self.required(key, example, diags)?;
        as_int(v, example, diags)
    }

    fn size(&self, key: &str, example: &str, diags: &mut Diagnostics) -> Option<(u64, Span)> {
        let v = self.required(key, example, diags)?;
        as_size(v, example, diags)
    }

    fn opt_size(&self, key: &str, example: &str, diags: &mut Diagnostics) -> Option<(u64, Span)> {
        self.get(key).and_then(|v| as_size(v, example, diags))
    }

    fn bandwidth(&self, key: &str, example: &str, diags: &mut Diagnostics) -> Option<u64> {
        let v = self.required(key, example, diags)?;
        match &v.node {
            Value::Bandwidth { mbps } => Some(*mbps),
            other => {
                type_error(v.span, "a bandwidth", other, example, diags);
                None
            }
        }
    }

    fn opt_bool(&self, key: &str, diags: &mut Diagnostics) -> Option<bool> {
        let v = self.get(key)?;
        match &v.node {
            Value::Bool(b) => Some(*b),
            other => {
                type_error(v.span, "`true` or `false`", other, "true", diags);
                None
            }
        }
    }

    /// `first..last`, or a single number meaning "this many or more" (`None` as the end).
    fn range(
        &self,
        key: &str,
        example: &str,
        diags: &mut Diagnostics,
    ) -> Option<(u64, Option<u64>, Span)> {
        let v = self.required(key, example, diags)?;
        match &v.node {
            Value::Range { first, last } => Some((*first, Some(*last), v.span)),
            Value::Int(n) => Some((*n, None, v.span)),
            other => {
                type_error(v.span, "a range", other, example, diags);
                None
            }
        }
    }

    fn cidrs(&self, key: &str, diags: &mut Diagnostics) -> Option<Vec<Ipv4Net>> {
        let v = self.get(key)?;
        as_cidrs(v, diags)
    }

    fn strings(&self, key: &str, example: &str, diags: &mut Diagnostics) -> Option<Vec<String>> {
        let v = self.get(key)?;
        match &v.node {
            Value::List(items) => Some(
                items
                    .iter()
                    .filter_map(|i| as_string(i, example, diags).map(|s| s.node))
                    .collect(),
            ),
            other => {
                type_error(
                    v.span,
                    "a list of strings",
                    other,
                    &format!("[{example}]"),
                    diags,
                );
                None
            }
        }
    }

    fn condition(&self, key: &str, lib: &Stdlib, diags: &mut Diagnostics) -> Condition {
        match self.get(key) {
            None => Condition::Always,
            Some(v) => read_condition(v, lib, diags).unwrap_or(Condition::Never),
        }
    }
}

fn list_code(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn type_error(span: Span, expected: &str, found: &Value, example: &str, diags: &mut Diagnostics) {
    let mut d = Diagnostic::error(
        Code::E0301,
        span,
        format!("expected {expected}, found {}", found.kind_name()),
    )
    .label(format!("this is {}", found.kind_name()));
    d = match found {
        Value::Int(n) if expected == "a size" => {
            d.help(format!("sizes carry their unit: `{n} GiB`"))
        }
        Value::Str(s) if expected.starts_with("a size") || expected == "a number" => {
            d.help(format!("drop the quotes: `{s}`"))
        }
        _ => d.help(format!("for example `{example}`")),
    };
    diags.push(d);
}

fn as_string(
    v: &Spanned<Value>,
    example: &str,
    diags: &mut Diagnostics,
) -> Option<Spanned<String>> {
    match &v.node {
        Value::Str(s) => Some(Spanned::new(s.clone(), v.span)),
        Value::Ident(s) => {
            diags.push(
                Diagnostic::error(
                    Code::E0301,
                    v.span,
                    format!("expected a string, found the name `{s}`"),
                )
                .label("a bare name")
                .help(format!("quote it: `\"{s}\"`")),
            );
            None
        }
        other => {
            type_error(v.span, "a string", other, example, diags);
            None
        }
    }
}

fn as_int(v: &Spanned<Value>, example: &str, diags: &mut Diagnostics) -> Option<(u64, Span)> {
    match &v.node {
        Value::Int(n) => Some((*n, v.span)),
        other => {
            type_error(v.span, "a number", other, example, diags);
            None
        }
    }
}

fn as_size(v: &Spanned<Value>, example: &str, diags: &mut Diagnostics) -> Option<(u64, Span)> {
    match &v.node {
        Value::Size { amount, unit } => match amount.checked_mul(unit.bytes()) {
            Some(b) => Some((b, v.span)),
            None => {
                diags.push(
                    Diagnostic::error(Code::E0309, v.span, "size is too large")
                        .label("does not fit in 64 bits of bytes")
                        .help(format!("for example `{example}`")),
                );
                None
            }
        },
        other => {
            type_error(v.span, "a size", other, example, diags);
            None
        }
    }
}

fn as_cidrs(v: &Spanned<Value>, diags: &mut Diagnostics) -> Option<Vec<Ipv4Net>> {
    let one = |item: &Spanned<Value>, diags: &mut Diagnostics| -> Option<Ipv4Net> {
        match &item.node {
            Value::Cidr(c) => {
                if c.trunc() != *c {
                    diags.push(
                        Diagnostic::error(
                            Code::E0308,
                            item.span,
                            format!("`{c}` has host bits set"),
                        )
                        .label("the address is not the network's first")
                        .help(format!("write `{}`", c.trunc())),
                    );
                    return None;
                }
                Some(*c)
            }
            Value::Ip(ip) => Some(Ipv4Net::new(*ip, 32).expect("/32 is a valid prefix")),
            Value::Str(s) => {
                let hint =
                    if s.parse::<Ipv4Net>().is_ok() || s.parse::<std::net::Ipv4Addr>().is_ok() {
                        format!("drop the quotes: `{s}`")
                    } else {
                        "write an address or network, e.g. `10.0.0.0/8` or `10.0.5.10`".into()
                    };
                diags.push(
                    Diagnostic::error(
                        Code::E0301,
                        item.span,
                        "expected a CIDR or IP address, found a string",
                    )
                    .label("this is a string")
                    .help(hint),
                );
                None
            }
            other => {
                type_error(
                    item.span,
                    "a CIDR or IP address",
                    other,
                    "10.0.0.0/8",
                    diags,
                );
                None
            }
        }
    };
    match &v.node {
        Value::List(items) => Some(items.iter().filter_map(|i| one(i, diags)).collect()),
        _ => one(v, diags).map(|c| vec![c]),
    }
}

fn read_condition(v: &Spanned<Value>, lib: &Stdlib, diags: &mut Diagnostics) -> Option<Condition> {
    const NAMES: &[&str] = &[
        "always",
        "never",
        "github_com",
        "github_enterprise",
        "external",
        "embedded",
    ];
    let unknown = |name: &str, span: Span, diags: &mut Diagnostics| {
        diags.push(
            Diagnostic::error(Code::E0212, span, format!("unknown condition `{name}`"))
                .label("not a condition")
                .help(
                    did_you_mean(name, NAMES.iter().copied())
                        .unwrap_or_else(|| format!("conditions are {}", list_code(NAMES))),
                ),
        );
    };
    match &v.node {
        Value::Ident(n) => match n.as_str() {
            "always" => Some(Condition::Always),
            "never" => Some(Condition::Never),
            "github_com" => Some(Condition::GithubCom),
            "github_enterprise" => Some(Condition::GithubEnterprise),
            _ => {
                unknown(n, v.span, diags);
                None
            }
        },
        Value::Call { name, args } if name.node == "external" || name.node == "embedded" => {
            let mut names = Vec::new();
            for a in args {
                match &a.node {
                    Value::Ident(s) if lib.externals.contains_key(s) => names.push(s.clone()),
                    Value::Ident(s) => diags.push(
                        Diagnostic::error(
                            Code::E0210,
                            a.span,
                            format!("`{s}` cannot be externalized"),
                        )
                        .label("not an externalizable service")
                        .help(
                            did_you_mean(s, lib.externals.keys().map(String::as_str))
                                .unwrap_or_else(|| {
                                    format!(
                                        "externalizable: {}",
                                        lib.externals
                                            .keys()
                                            .cloned()
                                            .collect::<Vec<_>>()
                                            .join(", ")
                                    )
                                }),
                        ),
                    ),
                    other => type_error(a.span, "a service name", other, "postgres", diags),
                }
            }
            Some(if name.node == "external" {
                Condition::External(names)
            } else {
                Condition::Embedded(names)
            })
        }
        Value::Call { name, .. } => {
            unknown(&name.node, name.span, diags);
            None
        }
        other => {
            type_error(v.span, "a condition", other, "external(postgres)", diags);
            None
        }
    }
}

// ------------------------------------------------------------------------------------------
// The library kinds.
// ------------------------------------------------------------------------------------------

#[derive(Default)]
struct Seen {
    names: BTreeMap<(String, String), Span>,
}

impl Seen {
    /// Records `kind name`; reports a duplicate.
    fn first(&mut self, kind: &str, name: &str, span: Span, diags: &mut Diagnostics) -> bool {
        let key = (kind.to_string(), name.to_string());
        if let Some(prev) = self.names.get(&key) {
            diags.push(
                Diagnostic::error(
                    Code::E0204,
                    span,
                    format!("`{kind} {name}` is declared twice"),
                )
                .label("declared again here")
                .with(*prev, "first declared here")
                .help("remove one of them, or give them different names"),
            );
            return false;
        }
        self.names.insert(key, span);
        true
    }
}

fn label(b: &Block, diags: &mut Diagnostics, example: &str) -> Option<Spanned<String>> {
    match b.labels.as_slice() {
        [one] => Some(one.clone()),
        [] => {
            diags.push(
                Diagnostic::error(
                    Code::E0101,
                    b.kind.span,
                    format!("`{}` needs a name", b.kind.node),
                )
                .label("no name after the block kind")
                .help(format!("write `{} {example} {{ ... }}`", b.kind.node)),
            );
            None
        }
        [_, extra, ..] => {
            diags.push(
                Diagnostic::error(
                    Code::E0101,
                    extra.span,
                    format!("`{}` takes one name", b.kind.node),
                )
                .label("unexpected second name")
                .help(format!("write `{} {example} {{ ... }}`", b.kind.node)),
            );
            None
        }
    }
}

fn no_labels(b: &Block, diags: &mut Diagnostics) {
    if let Some(l) = b.labels.first() {
        diags.push(
            Diagnostic::error(
                Code::E0101,
                l.span,
                format!("`{}` takes no name", b.kind.node),
            )
            .label("unexpected name")
            .help(format!("write `{} {{ ... }}`", b.kind.node)),
        );
    }
}

fn read_library_block(lib: &mut Stdlib, seen: &mut Seen, b: &Block, diags: &mut Diagnostics) {
    let kind = b.kind.node.as_str();
    match kind {
        "release" => {
            let Some(name) = label(b, diags, "\"2.16\"") else {
                return;
            };
            if !seen.first(kind, "", b.span, diags) {
                return;
            }
            let f = fields("`release`", b.span, &b.entries, &[], &[], true, diags);
            lib.release = name.node;
            for (k, a) in &f.attrs {
                if let Some(s) = as_string(&a.value, "\"0.11.3\"", diags) {
                    lib.versions.insert(k.to_string(), s.node);
                }
            }
        }
        "actor" => {
            let Some(name) = label(b, diags, "users") else {
                return;
            };
            if !seen.first(kind, &name.node, name.span, diags) {
                return;
            }
            let f = fields(
                format!("actor `{}`", name.node),
                b.span,
                &b.entries,
                &["description", "sources", "destinations", "required"],
                &[],
                false,
                diags,
            );
            let description = f
                .string("description", "\"End users\"", diags)
                .map(|s| s.node)
                .unwrap_or_default();
            let sources = f.cidrs("sources", diags).unwrap_or_default();
            let destinations = f
                .cidrs("destinations", diags)
                .unwrap_or_else(|| sources.clone());
            let required = f.condition("required", lib, diags);
            lib.actors.insert(
                name.node.clone(),
                ActorDef {
                    name: name.node,
                    description,
                    sources,
                    destinations,
                    required,
                    span: b.span,
                },
            );
        }
        "externalizable" => {
            let Some(name) = label(b, diags, "postgres") else {
                return;
            };
            if !seen.first(kind, &name.node, name.span, diags) {
                return;
            }
            let f = fields(
                format!("externalizable `{}`", name.node),
                b.span,
                &b.entries,
                &["description", "port"],
                &[],
                false,
                diags,
            );
            let description = f
                .string("description", "\"PostgreSQL servers\"", diags)
                .map(|s| s.node)
                .unwrap_or_default();
            let port = f
                .int("port", "5432", diags)
                .map(|(p, s)| port_u16(p, s, diags))
                .unwrap_or(0);
            lib.externals.insert(
                name.node.clone(),
                ExternalDef {
                    name: name.node,
                    description,
                    default_port: port,
                    span: b.span,
                },
            );
        }
        "regions" => {
            let Some(partition) = label(b, diags, "aws") else {
                return;
            };
            let f = fields(
                "`regions`",
                b.span,
                &b.entries,
                &["names"],
                &[],
                false,
                diags,
            );
            for r in f
                .strings("names", "\"us-east-1\"", diags)
                .unwrap_or_default()
            {
                lib.regions.push(r.clone());
                lib.settings
                    .insert(format!("partition:{r}"), partition.node.clone());
            }
        }
        "instance_type" => {
            let Some(name) = label(b, diags, "\"m4.2xlarge\"") else {
                return;
            };
            if !seen.first(kind, &name.node, name.span, diags) {
                return;
            }
            let f = fields(
                format!("instance type `{}`", name.node),
                b.span,
                &b.entries,
                &[
                    "vcpu",
                    "memory",
                    "network",
                    "bandwidth",
                    "baseline",
                    "burst",
                ],
                &[],
                false,
                diags,
            );
            let vcpu = f.int("vcpu", "8", diags).map(|v| v.0);
            let memory = f.size("memory", "32 GiB", diags).map(|v| v.0);
            let network = f.string("network", "\"High\"", diags).map(|s| s.node);
            let bandwidth = f.bandwidth("bandwidth", "1000 Mbps", diags);
            let baseline = f.get("baseline").and_then(|v| match v.node {
                Value::Bandwidth { mbps } => Some(mbps),
                ref other => {
                    type_error(v.span, "a bandwidth", other, "750 Mbps", diags);
                    None
                }
            });
            let burst = f.opt_bool("burst", diags).unwrap_or(false);
            if let (Some(vcpu), Some(memory_bytes), Some(network), Some(bandwidth)) =
                (vcpu, memory, network, bandwidth)
            {
                lib.instance_types.insert(
                    name.node.clone(),
                    InstanceType {
                        name: name.node,
                        vcpu,
                        memory_bytes,
                        network,
                        network_mbps: if burst {
                            baseline.unwrap_or(bandwidth)
                        } else {
                            bandwidth
                        },
                        network_burst: burst,
                    },
                );
            }
        }
        "services_sizing" => {
            let Some(name) = label(b, diags, "\"<50\"") else {
                return;
            };
            let f = fields(
                format!("services sizing row `{}`", name.node),
                b.span,
                &b.entries,
                &["users", "cpu", "memory", "disk", "nic"],
                &[],
                false,
                diags,
            );
            let users = f.range("users", "0..49", diags);
            let cpu = f.int("cpu", "8", diags);
            let memory = f.size("memory", "32 GiB", diags);
            let disk = f.size("disk", "100 GiB", diags);
            let nic = f.bandwidth("nic", "1 Gbps", diags);
            if let (Some(u), Some(c), Some(m), Some(d), Some(n)) = (users, cpu, memory, disk, nic) {
                lib.services_sizing.push(SizingRow {
                    label: name.node,
                    users_first: u.0,
                    users_last: u.1,
                    cpu: c.0,
                    memory_bytes: m.0,
                    disk_bytes: d.0,
                    nic_mbps: n,
                    span: b.span,
                });
            }
        }
        "nomad_requirements" => {
            no_labels(b, diags);
            if !seen.first(kind, "", b.span, diags) {
                return;
            }
            let keys = [
                "min_vcpu",
                "min_memory",
                "min_disk",
                "nic",
                "max_vcpu",
                "max_memory",
                "reserved_vcpu",
                "reserved_memory",
            ];
            let f = fields(
                "`nomad_requirements`",
                b.span,
                &b.entries,
                &keys,
                &[],
                false,
                diags,
            );
            lib.nomad_requirements = NomadRequirements {
                min_vcpu: f.int("min_vcpu", "4", diags).map_or(0, |v| v.0),
                min_memory_bytes: f.size("min_memory", "16 GiB", diags).map_or(0, |v| v.0),
                min_disk_bytes: f.size("min_disk", "100 GiB", diags).map_or(0, |v| v.0),
                max_vcpu: f.int("max_vcpu", "64", diags).map_or(u64::MAX, |v| v.0),
                max_memory_bytes: f
                    .size("max_memory", "128 GiB", diags)
                    .map_or(u64::MAX, |v| v.0),
                reserved_vcpu: f.int("reserved_vcpu", "2", diags).map_or(0, |v| v.0),
                reserved_memory_bytes: f.size("reserved_memory", "4 GiB", diags).map_or(0, |v| v.0),
                nic_mbps: f.bandwidth("nic", "1 Gbps", diags).unwrap_or(0),
                span: b.span,
            };
        }
        "nomad_count" => {
            let Some(name) = label(b, diags, "\"<50\"") else {
                return;
            };
            let f = fields(
                format!("Nomad count row `{}`", name.node),
                b.span,
                &b.entries,
                &["users", "clients"],
                &[],
                false,
                diags,
            );
            let users = f.range("users", "0..49", diags);
            let clients = f.range("clients", "1..5", diags);
            if let (Some(u), Some(c)) = (users, clients) {
                lib.nomad_counts.push(NomadCountRow {
                    label: name.node,
                    users_first: u.0,
                    users_last: u.1,
                    clients_min: c.0,
                    clients_max: c.1,
                    span: b.span,
                });
            }
        }
        "machine" => {
            let Some(name) = label(b, diags, "services") else {
                return;
            };
            if !seen.first(kind, &name.node, name.span, diags) {
                return;
            }
            let f = fields(
                format!("machine `{}`", name.node),
                b.span,
                &b.entries,
                &[],
                &[],
                true,
                diags,
            );
            for (k, a) in &f.attrs {
                let v = match &a.value.node {
                    Value::Str(s) => s.clone(),
                    Value::Int(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    other => {
                        type_error(
                            a.value.span,
                            "a string, number or boolean",
                            other,
                            "\"required\"",
                            diags,
                        );
                        continue;
                    }
                };
                lib.settings.insert(format!("{}.{k}", name.node), v);
            }
        }
        "policy" => {
            let Some(name) = label(b, diags, "installer") else {
                return;
            };
            if !seen.first(kind, &name.node, name.span, diags) {
                return;
            }
            let f = fields(
                format!("policy `{}`", name.node),
                b.span,
                &b.entries,
                &["file", "description"],
                &["statement"],
                false,
                diags,
            );
            let file = f
                .string("file", "\"installer-policy.json\"", diags)
                .map(|s| s.node)
                .unwrap_or_default();
            let description = f
                .string("description", "\"...\"", diags)
                .map(|s| s.node)
                .unwrap_or_default();
            let mut statements = Vec::new();
            for s in &f.blocks {
                let Some(sid) = label(s, diags, "Bucket") else {
                    continue;
                };
                let sf = fields(
                    format!("statement `{}`", sid.node),
                    s.span,
                    &s.entries,
                    &["effect", "actions", "resources", "principal_service"],
                    &["condition"],
                    false,
                    diags,
                );
                let effect = sf
                    .opt_string("effect", "\"Allow\"", diags)
                    .map(|s| s.node)
                    .unwrap_or_else(|| "Allow".into());
                let actions = sf
                    .strings("actions", "\"s3:GetObject\"", diags)
                    .unwrap_or_default();
                let resources = sf.strings("resources", "\"*\"", diags).unwrap_or_default();
                let principal_service = sf
                    .opt_string("principal_service", "\"ec2.amazonaws.com\"", diags)
                    .map(|s| s.node);
                let mut conditions = Vec::new();
                for c in &sf.blocks {
                    no_labels(c, diags);
                    let cf = fields(
                        "`condition`",
                        c.span,
                        &c.entries,
                        &["test", "variable", "values"],
                        &[],
                        false,
                        diags,
                    );
                    if let (Some(test), Some(variable), Some(values)) = (
                        cf.string("test", "\"StringEquals\"", diags),
                        cf.string("variable", "\"aws:ResourceTag/ManagedBy\"", diags),
                        cf.strings("values", "\"circleci\"", diags),
                    ) {
                        conditions.push(ConditionDef {
                            test: test.node,
                            variable: variable.node,
                            values,
                        });
                    }
                }
                statements.push(StatementDef {
                    sid: sid.node,
                    effect,
                    actions,
                    resources,
                    principal_service,
                    conditions,
                });
            }
            lib.policies.push(PolicyDef {
                name: name.node,
                file,
                description,
                statements,
            });
        }
        _ => unreachable!("only library kinds reach here"),
    }
}

fn port_u16(p: u64, span: Span, diags: &mut Diagnostics) -> u16 {
    match u16::try_from(p) {
        Ok(p) => p,
        Err(_) => {
            diags.push(
                Diagnostic::error(Code::E0302, span, format!("port {p} is out of range"))
                    .label("ports are 0..65535")
                    .help("use a port between 0 and 65535"),
            );
            0
        }
    }
}

// ------------------------------------------------------------------------------------------
// Rules.
// ------------------------------------------------------------------------------------------

enum RuleScope<'a> {
    Library,
    Site {
        fleets: BTreeSet<String>,
        externals: BTreeSet<String>,
        actors: BTreeSet<String>,
        file_name: String,
        sources: &'a crate::span::Sources,
    },
}

fn read_rule(
    r: &ast::AllowRule,
    lib: &Stdlib,
    scope: &RuleScope,
    diags: &mut Diagnostics,
) -> Vec<Rule> {
    let mut ok = true;
    let protocol = r.protocol.node;
    let ports = match (protocol, r.ports.as_slice()) {
        (ast::Protocol::Tcp | ast::Protocol::Udp, []) => {
            diags.push(
                Diagnostic::error(
                    Code::E0311,
                    r.protocol.span,
                    format!("a `{protocol}` rule needs ports"),
                )
                .label("no ports after the protocol")
                .help(format!(
                    "write `allow {protocol} 443 from ...` or `allow all from ...`"
                )),
            );
            ok = false;
            vec![]
        }
        (ast::Protocol::All | ast::Protocol::Icmp, [first, ..]) => {
            diags.push(
                Diagnostic::error(
                    Code::E0311,
                    first.span,
                    format!("an `{protocol}` rule takes no ports"),
                )
                .label("ports are not allowed here")
                .help(format!(
                    "drop the ports, or write `allow tcp {} ...`",
                    first.node.first
                )),
            );
            ok = false;
            vec![]
        }
        (_, list) => {
            let mut v = Vec::new();
            for p in list {
                if p.node.first > 65535 || p.node.last > 65535 {
                    let bad = if p.node.first > 65535 {
                        p.node.first
                    } else {
                        p.node.last
                    };
                    diags.push(
                        Diagnostic::error(
                            Code::E0302,
                            p.span,
                            format!("port {bad} is out of range"),
                        )
                        .label("ports are 0..65535")
                        .help("use a port between 0 and 65535"),
                    );
                    ok = false;
                } else if p.node.first > p.node.last {
                    diags.push(
                        Diagnostic::error(
                            Code::E0302,
                            p.span,
                            format!("port range {}-{} runs backwards", p.node.first, p.node.last),
                        )
                        .label("the first port is above the last")
                        .help(format!("write `{}-{}`", p.node.last, p.node.first)),
                    );
                    ok = false;
                } else {
                    v.push(Some((p.node.first as u16, p.node.last as u16)));
                }
            }
            if v.is_empty() {
                v.push(None);
            }
            v
        }
    };
    let from = resolve_endpoint(&r.from, lib, scope, diags);
    let to = resolve_endpoint(&r.to, lib, scope, diags);
    let entries = as_entries(&r.attrs);
    let (origin, decision, when) = match scope {
        RuleScope::Library => {
            let f = fields(
                "a rule",
                r.span,
                &entries,
                &["origin", "decision", "when"],
                &[],
                false,
                diags,
            );
            let origin = f
                .string("origin", "\"guide appendix, Services Machine\"", diags)
                .map(|s| s.node)
                .unwrap_or_default();
            let decision = f.opt_string("decision", "\"...\"", diags).map(|s| s.node);
            (origin, decision, f.condition("when", lib, diags))
        }
        RuleScope::Site {
            file_name, sources, ..
        } => {
            let f = fields("a rule", r.span, &entries, &["decision"], &[], false, diags);
            let decision = f.opt_string("decision", "\"...\"", diags).map(|s| s.node);
            (
                format!("{file_name}:{}", sources.line_of(r.span)),
                decision,
                Condition::Always,
            )
        }
    };
    let (Some(from), Some(to)) = (from, to) else {
        return Vec::new();
    };
    if !ok {
        return Vec::new();
    }
    // One model rule per port spec keeps every rule a single range.
    ports
        .into_iter()
        .map(|p| Rule {
            protocol,
            ports: p,
            from: from.clone(),
            to: to.clone(),
            purpose: r.purpose.node.clone(),
            origin: origin.clone(),
            decision: decision.clone(),
            when: when.clone(),
            span: r.span,
        })
        .collect()
}

fn as_entries(attrs: &[Attr]) -> Vec<Entry> {
    attrs.iter().cloned().map(Entry::Attr).collect()
}

fn resolve_endpoint(
    e: &Spanned<Endpoint>,
    lib: &Stdlib,
    scope: &RuleScope,
    diags: &mut Diagnostics,
) -> Option<EndpointRef> {
    let name = match &e.node {
        Endpoint::Cidr(c) => {
            if c.trunc() != *c {
                diags.push(
                    Diagnostic::error(Code::E0308, e.span, format!("`{c}` has host bits set"))
                        .label("the address is not the network's first")
                        .help(format!("write `{}`", c.trunc())),
                );
                return None;
            }
            return Some(EndpointRef::Cidr(*c));
        }
        Endpoint::Name(n) => n.as_str(),
    };
    if name == "services" {
        return Some(EndpointRef::Services);
    }
    if name == "nomad" {
        return Some(EndpointRef::AllFleets);
    }
    if let RuleScope::Site {
        fleets,
        externals,
        actors,
        ..
    } = scope
    {
        if fleets.contains(name) {
            return Some(EndpointRef::Fleet(name.to_string()));
        }
        if lib.externals.contains_key(name) {
            if externals.contains(name) {
                return Some(EndpointRef::External(name.to_string()));
            }
            diags.push(
                Diagnostic::error(Code::E0206, e.span, format!("`{name}` is not externalized in this site"))
                    .label("runs on the services box here")
                    .help(format!("declare it: `external {name} {{ hosts = [10.0.5.10] }}`, or address the services box")),
            );
            return None;
        }
        if actors.contains(name) || lib.actors.contains_key(name) {
            return Some(EndpointRef::Actor(name.to_string()));
        }
        let mut all: Vec<&str> = vec!["services", "nomad"];
        all.extend(fleets.iter().map(String::as_str));
        all.extend(externals.iter().map(String::as_str));
        all.extend(actors.iter().map(String::as_str));
        all.extend(lib.actors.keys().map(String::as_str));
        diags.push(unknown_endpoint(name, e.span, all));
        return None;
    }
    if lib.externals.contains_key(name) {
        return Some(EndpointRef::External(name.to_string()));
    }
    if lib.actors.contains_key(name) {
        return Some(EndpointRef::Actor(name.to_string()));
    }
    let mut all: Vec<&str> = vec!["services", "nomad"];
    all.extend(lib.externals.keys().map(String::as_str));
    all.extend(lib.actors.keys().map(String::as_str));
    diags.push(unknown_endpoint(name, e.span, all));
    None
}

fn unknown_endpoint(name: &str, span: Span, all: Vec<&str>) -> Diagnostic {
    let help = did_you_mean(name, all.iter().copied()).unwrap_or_else(|| {
        format!(
            "known here: {}; or write a CIDR such as `10.0.0.0/8`",
            list_code(&all)
        )
    });
    Diagnostic::error(Code::E0206, span, format!("unknown endpoint `{name}`"))
        .label("not an actor, component or CIDR")
        .help(help)
}

// ------------------------------------------------------------------------------------------
// The site kinds.
// ------------------------------------------------------------------------------------------

/// The guide: a datastore's port "is user-defined, assuming the default port". A rule to an
/// externalized service on its default port follows the port the site gives it.
fn with_site_port(rule: &Rule, lib: &Stdlib, site: &Site) -> Rule {
    let mut r = rule.clone();
    if let EndpointRef::External(x) = &rule.to {
        if let (Some(def), Some(ext)) = (lib.externals.get(x), site.externals.get(x)) {
            if rule.ports == Some((def.default_port, def.default_port))
                && ext.port != def.default_port
            {
                r.ports = Some((ext.port, ext.port));
            }
        }
    }
    r
}

/// The one block of a kind; a missing one is reported unless it failed to parse.
fn single<'a>(
    blocks: &BTreeMap<&str, Vec<&'a Block>>,
    kind: &str,
    whole: Span,
    broken: bool,
    diags: &mut Diagnostics,
) -> Option<&'a Block> {
    match blocks.get(kind).map(Vec::as_slice).unwrap_or(&[]) {
        [] if broken => None,
        [] => {
            let example = match kind {
                "site" => "site \"acme\" { aws { ... } daily_active_users = 40  github = github_com  passphrase = secret }",
                "actors" => "actors { users = [10.0.0.0/8]  admins = [10.1.0.0/24] }",
                _ => "services { instance = \"m4.2xlarge\"  disk = 100 GiB }",
            };
            diags.push(
                Diagnostic::error(
                    Code::E0208,
                    whole,
                    format!("the site has no `{kind}` block"),
                )
                .label(format!("no `{kind}` block in this file"))
                .help(format!("add `{example}`")),
            );
            None
        }
        [one] => Some(one),
        [first, rest @ ..] => {
            for b in rest {
                diags.push(
                    Diagnostic::error(Code::E0204, b.kind.span, format!("`{kind}` appears twice"))
                        .label(format!("second `{kind}` block"))
                        .with(first.kind.span, "first one here")
                        .help(format!("merge the two `{kind}` blocks into one")),
                );
            }
            Some(first)
        }
    }
}

struct SiteCore {
    name: String,
    name_span: Span,
    region: String,
    partition: String,
    account: Option<String>,
    vpc: String,
    subnet: String,
    ssh_key: String,
    public_ip: bool,
    nat: Option<String>,
    s3_endpoint: Option<String>,
    aws_span: Span,
    dau: u64,
    dau_span: Span,
    github: GitHub,
    github_span: Span,
    bucket: String,
    tags: BTreeMap<String, String>,
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && name.len() <= 32
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
}

fn check_name(name: &Spanned<String>, what: &str, diags: &mut Diagnostics) -> bool {
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

fn aws_id(f: &Fields, key: &str, prefix: &str, diags: &mut Diagnostics) -> Option<String> {
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

fn read_site_block(b: &Block, lib: &Stdlib, diags: &mut Diagnostics) -> Option<SiteCore> {
    let name = label(b, diags, "\"acme\"");
    let name_ok = name.as_ref().is_some_and(|n| check_name(n, "site", diags));
    let f = fields(
        "`site`",
        b.span,
        &b.entries,
        &["daily_active_users", "github", "passphrase", "bucket"],
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
                        Diagnostic::error(Code::E0301, v.span, "`enterprise` takes one URL string")
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
                    Diagnostic::error(Code::E0301, v.span, format!("unknown GitHub kind `{n}`"))
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
                        Diagnostic::error(Code::E0408, v.span, format!("the passphrase {problem}"))
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

    let bucket_given = f.opt_string("bucket", "\"acme-circleci\"", diags);
    let bucket_ok = bucket_given.as_ref().is_none_or(|b| {
        let ok = b.node.len() >= 3 && b.node.len() <= 63 && valid_name(&b.node.replace('.', "-"));
        if !ok {
            diags.push(
                Diagnostic::error(
                    Code::E0310,
                    b.span,
                    format!("`{}` is not a valid S3 bucket name", b.node),
                )
                .label("3-63 lower-case letters, digits, `-` and `.`")
                .help("pick a name such as `acme-circleci-us-west-2`"),
            );
        }
        ok
    });

    let name = name.filter(|_| name_ok)?;
    let region = region?;
    let partition = lib
        .settings
        .get(&format!("partition:{region}"))
        .cloned()
        .unwrap_or_else(|| "aws".into());
    let bucket = match bucket_given {
        Some(b) if bucket_ok => b.node,
        Some(_) => return None,
        None => format!("circleci-{}-{}", name.node, region),
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

fn valid_url(url: &str) -> bool {
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

fn instance(f: &Fields, lib: &Stdlib, diags: &mut Diagnostics) -> Option<(InstanceType, Span)> {
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
fn disk_gib(bytes: u64, span: Span, diags: &mut Diagnostics) -> Option<u64> {
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

fn ami(f: &Fields, diags: &mut Diagnostics) -> Option<String> {
    f.get("ami")?;
    aws_id(f, "ami", "ami", diags)
}

fn read_services(b: &Block, lib: &Stdlib, diags: &mut Diagnostics) -> Option<Services> {
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
        // Unset: the check stage fills in the sizing table's disk for the site's users.
        None => (0, b.span),
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

fn read_fleets(blocks: &[&Block], lib: &Stdlib, diags: &mut Diagnostics) -> Vec<Fleet> {
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
                        .help("for example `count = 2..10`"),
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

fn read_externals(
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
            diags.push(
                Diagnostic::error(
                    Code::E0210,
                    name.span,
                    format!("`{}` cannot be externalized", name.node),
                )
                .label("not an externalizable service")
                .help(
                    did_you_mean(&name.node, lib.externals.keys().map(String::as_str))
                        .unwrap_or_else(|| {
                            format!(
                                "the guide allows: {}",
                                lib.externals.keys().cloned().collect::<Vec<_>>().join(", ")
                            )
                        }),
                ),
            );
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
            .and_then(|v| as_int(v, "5432", diags))
            .map(|(p, s)| port_u16(p, s, diags))
            .unwrap_or(def.default_port);
        match hosts {
            None => f.missing("hosts", "[10.0.5.10]", diags),
            Some(h) if h.is_empty() => diags.push(
                Diagnostic::error(
                    Code::E0412,
                    b.span,
                    format!("external `{}` lists no hosts", name.node),
                )
                .label("`hosts` is empty")
                .help("list the servers' addresses: `hosts = [10.0.5.10, 10.0.5.11]`"),
            ),
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

fn read_actors(
    b: Option<&Block>,
    lib: &Stdlib,
    core: Option<&SiteCore>,
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
                    Code::E0310,
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
    // Actors the stdlib says the site must bind.
    for def in lib.actors.values() {
        let needed = match (&def.required, core) {
            (Condition::Always, _) => true,
            (Condition::GithubEnterprise, Some(c)) => matches!(c.github, GitHub::Enterprise { .. }),
            _ => false,
        };
        if needed && out.get(&def.name).is_none_or(|a| a.bound_at.is_none()) {
            let code = if def.name == "github" {
                Code::E0409
            } else {
                Code::E0410
            };
            let msg = if def.name == "github" {
                "the GitHub Enterprise addresses are not bound".to_string()
            } else {
                format!("actor `{}` is not bound", def.name)
            };
            diags.push(
                Diagnostic::error(code, b.span, msg)
                    .label(format!("no `{}` here", def.name))
                    .help(format!(
                        "add `{} = [10.0.0.0/8]` with the addresses of: {}",
                        def.name, def.description
                    )),
            );
        }
    }
    out
}
