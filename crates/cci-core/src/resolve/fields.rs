//! Reading a block's attributes against the keys it takes, and typing values: the
//! machinery every block kind shares (unknown and duplicate keys, wrong types, conditions).

use crate::ast::{Attr, Block, Entry, Value};
use crate::codes::Code;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::model::{Condition, Stdlib};
use crate::span::{Span, Spanned};
use ipnet::IpNet;
use std::collections::{BTreeMap, BTreeSet};

/// A block's attributes, checked against the keys the block takes.
pub(super) struct Fields<'a> {
    pub(super) attrs: BTreeMap<&'a str, &'a Attr>,
    pub(super) blocks: Vec<&'a Block>,
    /// Keys of entries that did not parse: not to be called missing.
    pub(super) broken: BTreeSet<&'a str>,
    pub(super) span: Span,
    pub(super) what: String,
}

pub(super) fn fields<'a>(
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
    let mut broken = BTreeSet::new();
    for e in entries {
        match e {
            Entry::Attr(a) => {
                let k = a.key.node.as_str();
                if !open && !keys.contains(&k) {
                    diags.push(
                        Diagnostic::new(Code::E0202, a.key.span, format!("unknown attribute `{k}` in {what}"))
                            .label("not an attribute of this block")
                            .help_name(k, a.key.span, keys.iter().copied(), || {
                                format!("{what} takes {}", list_code(keys.iter().copied()))
                            }),
                    );
                    continue;
                }
                if let Some(prev) = attrs.get(k) {
                    diags.push(
                        Diagnostic::new(Code::E0203, a.key.span, format!("`{k}` is set twice in {what}"))
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
                        Diagnostic::new(Code::E0201, b.kind.span, format!("unknown block `{}` in {what}", b.kind.node))
                            .label("not allowed here")
                            .help_name(&b.kind.node, b.kind.span, block_kinds.iter().copied(), || {
                                if block_kinds.is_empty() {
                                    format!("{what} holds attributes only")
                                } else {
                                    format!("{what} holds the blocks {}", list_code(block_kinds.iter().copied()))
                                }
                            }),
                    );
                }
            }
            // A syntax error, reported already; the key counts as given.
            Entry::Broken(key) => {
                broken.insert(key.node.as_str());
            }
            Entry::Allow(r) => diags.push(
                Diagnostic::new(Code::E0218, r.span, format!("`allow` rules are not allowed in {what}"))
                    .label("move this rule to the top level of the file")
                    .help("rules stand on their own: `allow tcp 9100 from 10.20.0.0/16 to nomad \"node exporter\"`"),
            ),
        }
    }
    Fields {
        attrs,
        blocks,
        broken,
        span,
        what,
    }
}

impl<'a> Fields<'a> {
    pub(super) fn get(&self, key: &str) -> Option<&'a Spanned<Value>> {
        self.attrs.get(key).map(|a| &a.value)
    }

    pub(super) fn missing(&self, key: &str, example: &str, diags: &mut Diagnostics) {
        diags.push(
            Diagnostic::new(
                Code::E0205,
                self.span,
                format!("{} has no `{key}`", self.what),
            )
            .label(format!("`{key}` is required here"))
            .help(format!("add `{key} = {example}`")),
        );
    }
}

/// Names as code, at most `LISTED` of them: a help line that names every one of ten thousand
/// fleets helps nobody and makes ten thousand mistakes cost a hundred million bytes.
pub(super) fn list_code<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    const LISTED: usize = 12;
    let mut items = items.into_iter();
    let mut out = items
        .by_ref()
        .take(LISTED)
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ");
    // The chains callers pass know their length; counting them would walk every name.
    let more = match items.size_hint() {
        (low, Some(high)) if low == high => low,
        _ => items.count(),
    };
    if more > 0 {
        out.push_str(&format!(" and {more} more"));
    }
    out
}

pub(super) fn type_error(
    span: Span,
    expected: &str,
    found: &Value,
    example: &str,
    diags: &mut Diagnostics,
) {
    let mut d = Diagnostic::new(
        Code::E0301,
        span,
        format!("expected {expected}, found {}", found.kind_name()),
    )
    .label(format!("this is {}", found.kind_name()));
    d = match found {
        Value::Int(n) if expected == "a size" => d
            .help(format!("sizes carry their unit: `{n} GiB`"))
            .fix(span, format!("{n} GiB"), "write the unit"),
        Value::Str(s)
            if expected.starts_with("a size")
                || expected == "a number"
                || expected == "a count or range" =>
        {
            match unquoted(
                s,
                !expected.starts_with("a size"),
                expected == "a count or range",
            ) {
                // Dropping the quotes alone would fail on the missing unit: say the whole fix.
                Some(fixed) if fixed != s.trim() => d
                    .help(format!("drop the quotes and write the unit: `{fixed}`"))
                    .fix(span, fixed, "drop the quotes and write the unit"),
                Some(fixed) => d.help(format!("drop the quotes: `{fixed}`")).fix(
                    span,
                    fixed,
                    "drop the quotes",
                ),
                None => d.help(format!("for example `{example}`")),
            }
        }
        _ => d.help(format!("for example `{example}`")),
    };
    diags.push(d);
}

/// A quoted number or size as it is written without quotes: `"100 GiB"` as `100 GiB`, `"100"`
/// as `100` where a number is wanted and `100 GiB` where a size is (sizes are GiB, as the
/// guide's), `"1..5"` as `1..5` where a range is; `None` when the string is none of these.
fn unquoted(s: &str, number: bool, range: bool) -> Option<String> {
    let digits = |w: &str| !w.is_empty() && w.len() <= 19 && w.bytes().all(|b| b.is_ascii_digit());
    let words: Vec<&str> = s.split_whitespace().collect();
    match words.as_slice() {
        [n] if digits(n) && number => Some((*n).to_string()),
        [r] if range
            && r.split_once("..")
                .is_some_and(|(a, b)| digits(a) && digits(b)) =>
        {
            Some((*r).to_string())
        }
        [n] if digits(n) => Some(format!("{n} GiB")),
        [n, unit] if digits(n) && !number => crate::ast::SizeUnit::ALL
            .iter()
            .any(|(u, _)| u == unit)
            .then(|| format!("{n} {unit}")),
        _ => None,
    }
}

pub(super) fn as_string(
    v: &Spanned<Value>,
    example: &str,
    diags: &mut Diagnostics,
) -> Option<Spanned<String>> {
    match &v.node {
        Value::Str(s) => Some(Spanned::new(s.clone(), v.span)),
        Value::Ident(s) => {
            diags.push(
                Diagnostic::new(
                    Code::E0301,
                    v.span,
                    format!("expected a string, found the name `{s}`"),
                )
                .label("a bare name")
                .help(format!("quote it: `\"{s}\"`"))
                .fix(v.span, format!("\"{s}\""), "quote it"),
            );
            None
        }
        other => {
            type_error(v.span, "a string", other, example, diags);
            None
        }
    }
}

pub(super) fn as_int(
    v: &Spanned<Value>,
    example: &str,
    diags: &mut Diagnostics,
) -> Option<(u64, Span)> {
    match &v.node {
        Value::Int(n) => Some((*n, v.span)),
        other => {
            type_error(v.span, "a number", other, example, diags);
            None
        }
    }
}

pub(super) fn as_size(
    v: &Spanned<Value>,
    example: &str,
    diags: &mut Diagnostics,
) -> Option<(u64, Span)> {
    match &v.node {
        Value::Size { amount, unit } => match amount.checked_mul(unit.bytes()) {
            Some(b) => Some((b, v.span)),
            None => {
                diags.push(
                    Diagnostic::new(
                        Code::E0309,
                        v.span,
                        format!("size is too large (at most {} GiB)", u64::MAX / (1 << 30)),
                    )
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

pub(super) fn as_cidrs(v: &Spanned<Value>, diags: &mut Diagnostics) -> Option<Vec<IpNet>> {
    let one = |item: &Spanned<Value>, diags: &mut Diagnostics| -> Option<IpNet> {
        match &item.node {
            Value::Cidr(c) => {
                if c.trunc() != *c {
                    diags.push(
                        Diagnostic::new(Code::E0308, item.span, format!("`{c}` has host bits set"))
                            .label("the address is not the network's first")
                            .help(format!("write `{}`", c.trunc()))
                            .fix(
                                item.span,
                                c.trunc().to_string(),
                                "write the network's address",
                            ),
                    );
                    return None;
                }
                Some(*c)
            }
            Value::Ip(ip) => Some(IpNet::from(*ip)),
            Value::Str(s) => {
                let address = s.parse::<IpNet>().is_ok() || s.parse::<std::net::IpAddr>().is_ok();
                let d = Diagnostic::new(
                    Code::E0301,
                    item.span,
                    "expected a CIDR or IP address, found a string",
                )
                .label("this is a string");
                diags.push(if address {
                    d.help(format!("drop the quotes: `{s}`")).fix(
                        item.span,
                        s.clone(),
                        "drop the quotes",
                    )
                } else {
                    d.help("write an address or network, e.g. `10.0.0.0/8` or `10.0.5.10`")
                });
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

pub(super) fn read_condition(
    v: &Spanned<Value>,
    lib: &Stdlib,
    diags: &mut Diagnostics,
) -> Option<Condition> {
    const NAMES: &[&str] = &[
        "always",
        "never",
        "github_com",
        "github_enterprise",
        "vm_service",
        "dns",
        "backup",
        "disposable",
        "elastic_ip",
        "state_s3",
        "state_lock_table",
        "external",
        "embedded",
    ];
    let unknown = |name: &str, span: Span, diags: &mut Diagnostics| {
        diags.push(
            Diagnostic::new(Code::E0212, span, format!("unknown condition `{name}`"))
                .label("not a condition")
                .help_name(name, span, NAMES.iter().copied(), || {
                    format!("conditions are {}", list_code(NAMES.iter().copied()))
                }),
        );
    };
    match &v.node {
        Value::Ident(n) => match n.as_str() {
            "always" => Some(Condition::Always),
            "never" => Some(Condition::Never),
            "github_com" => Some(Condition::GithubCom),
            "github_enterprise" => Some(Condition::GithubEnterprise),
            "vm_service" => Some(Condition::VmService),
            "dns" => Some(Condition::Dns),
            "backup" => Some(Condition::Backup),
            "disposable" => Some(Condition::Disposable),
            "elastic_ip" => Some(Condition::ElasticIp),
            "state_s3" => Some(Condition::StateS3),
            "state_lock_table" => Some(Condition::StateLockTable),
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
                    Value::Ident(s) => diags.push(not_externalizable(s, a.span, lib)),
                    other => type_error(a.span, "a service name", other, "<service>", diags),
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
            let first = lib.externals_in_order().first().map(|e| e.name.clone());
            let example = format!("external({})", first.unwrap_or_default());
            type_error(v.span, "a condition", other, &example, diags);
            None
        }
    }
}

/// E0210: a name that is not one of the services the guide lets run outside the services box.
pub(super) fn not_externalizable(name: &str, span: Span, lib: &Stdlib) -> Diagnostic {
    let known: Vec<&str> = lib.externals.keys().map(String::as_str).collect();
    let d = Diagnostic::new(
        Code::E0210,
        span,
        format!("`{name}` cannot be externalized"),
    )
    .label("not an externalizable service");
    match lib.not_externalizable.get(name) {
        Some(reason) => d.help(reason.clone()),
        None => d.help_name(name, span, known.iter().copied(), || {
            format!("the guide allows: {}", known.join(", "))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::list_code;

    #[test]
    fn a_long_list_of_names_is_cut_and_counted() {
        assert_eq!(list_code(["a", "b"]), "`a`, `b`");
        let names: Vec<String> = (0..20).map(|i| format!("f{i}")).collect();
        let listed = list_code(names.iter().map(String::as_str));
        assert!(listed.starts_with("`f0`, `f1`,"), "{listed}");
        assert!(listed.ends_with("`f11` and 8 more"), "{listed}");
        // An iterator that does not know its length is counted.
        let filtered = list_code(names.iter().map(String::as_str).filter(|n| n.len() == 3));
        assert_eq!(filtered.matches('`').count(), 20, "{filtered}");
        assert!(!filtered.contains("more"), "{filtered}");
        let unknown_length = list_code(names.iter().map(String::as_str).filter(|_| true));
        assert!(
            unknown_length.ends_with("`f11` and 8 more"),
            "{unknown_length}"
        );
    }
}
