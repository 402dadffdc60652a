//! `allow` rules: protocols and ports checked, endpoints bound to actors, components or CIDRs.

use super::fields::list_code;
use super::schema::{opt, read_entries, req, AttrSpec, Ty};
use crate::ast;
use crate::ast::{Attr, Endpoint, Entry};
use crate::codes::Code;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::model::{Condition, EndpointRef, Rule, Stdlib};
use crate::span::{Span, Spanned};
use std::collections::BTreeSet;

pub(super) enum RuleScope {
    Library,
    Site {
        fleets: BTreeSet<String>,
        externals: BTreeSet<String>,
        actors: BTreeSet<String>,
        vm_service: bool,
        file_name: String,
    },
}

pub(super) fn read_rule(
    r: &ast::AllowRule,
    lib: &Stdlib,
    scope: &RuleScope,
    diags: &mut Diagnostics,
) -> Vec<Rule> {
    let ports = rule_ports(r, diags);
    let from = resolve_endpoint(&r.from, lib, scope, diags);
    let to = resolve_endpoint(&r.to, lib, scope, diags);
    let (origin, decision, when) = rule_attrs(r, lib, scope, diags);
    let (Some(ports), Some(from), Some(to)) = (ports, from, to) else {
        return Vec::new();
    };
    // One model rule per port spec keeps every rule a single range.
    ports
        .into_iter()
        .map(|p| Rule {
            protocol: r.protocol.node,
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

/// The rule's port ranges (`None`: every port, for `all` and `icmp`); `None` when one is wrong.
fn rule_ports(r: &ast::AllowRule, diags: &mut Diagnostics) -> Option<Vec<Option<(u16, u16)>>> {
    let protocol = r.protocol.node;
    match (protocol, r.ports.as_slice()) {
        (ast::Protocol::Tcp | ast::Protocol::Udp, []) => {
            diags.push(
                Diagnostic::new(
                    Code::E0311,
                    r.protocol.span,
                    format!("a `{protocol}` rule needs ports"),
                )
                .label("no ports after the protocol")
                .help(format!(
                    "write `allow {protocol} 443 from ...` or `allow all from ...`"
                )),
            );
            None
        }
        (ast::Protocol::All | ast::Protocol::Icmp, [first, ..]) => {
            diags.push(
                Diagnostic::new(
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
            None
        }
        (_, []) => Some(vec![None]),
        (_, list) => {
            let ranges: Vec<Option<(u16, u16)>> = list
                .iter()
                .filter_map(|p| port_range(p, diags))
                .map(Some)
                .collect();
            (ranges.len() == list.len()).then_some(ranges)
        }
    }
}

fn port_range(p: &Spanned<ast::PortSpec>, diags: &mut Diagnostics) -> Option<(u16, u16)> {
    let (first, last) = (p.node.first, p.node.last);
    if first > 65535 || last > 65535 {
        let bad = first.max(last);
        diags.push(
            Diagnostic::new(Code::E0302, p.span, format!("port {bad} is out of range"))
                .label("ports are 0..65535")
                .help("use a port between 0 and 65535"),
        );
        return None;
    }
    if first > last {
        diags.push(
            Diagnostic::new(
                Code::E0302,
                p.span,
                format!("port range {first}-{last} runs backwards"),
            )
            .label("the first port is above the last")
            .help(format!("write `{last}-{first}`"))
            .fix(p.span, format!("{last}-{first}"), "swap the bounds"),
        );
        return None;
    }
    Some((first as u16, last as u16))
}

/// Origin, decision and condition: the stdlib writes them; a site's rules come from the file
/// and line they are on, and always apply.
fn rule_attrs(
    r: &ast::AllowRule,
    lib: &Stdlib,
    scope: &RuleScope,
    diags: &mut Diagnostics,
) -> (String, Option<String>, Condition) {
    const LIBRARY: &[AttrSpec] = &[
        req("origin", Ty::Str, "\"guide appendix, Services Machine\""),
        opt("decision", Ty::Str, "\"...\""),
        opt("when", Ty::Condition, "external(<service>)"),
    ];
    const SITE: &[AttrSpec] = &[opt("decision", Ty::Str, "\"...\"")];
    let entries = as_entries(&r.attrs);
    match scope {
        RuleScope::Library => {
            let (v, _) = read_entries("a rule", r.span, &entries, LIBRARY, &[], lib, diags);
            let origin = v.str("origin").unwrap_or_default();
            (origin, v.str("decision"), v.condition("when"))
        }
        RuleScope::Site { file_name, .. } => {
            let (v, _) = read_entries("a rule", r.span, &entries, SITE, &[], lib, diags);
            // The site file, not the rule's line: outputs never depend on the layout (a comment
            // added above a rule would otherwise change every description after it, and
            // Terraform would update each rule). The rule is known by its purpose.
            let origin = file_name.to_string();
            (origin, v.str("decision"), Condition::Always)
        }
    }
}

pub(super) fn as_entries(attrs: &[Attr]) -> Vec<Entry> {
    attrs.iter().cloned().map(Entry::Attr).collect()
}

pub(super) fn resolve_endpoint(
    e: &Spanned<Endpoint>,
    lib: &Stdlib,
    scope: &RuleScope,
    diags: &mut Diagnostics,
) -> Option<EndpointRef> {
    let name = match &e.node {
        Endpoint::Cidr(c) if c.trunc() != *c => {
            diags.push(
                Diagnostic::new(Code::E0308, e.span, format!("`{c}` has host bits set"))
                    .label("the address is not the network's first")
                    .help(format!("write `{}`", c.trunc()))
                    .fix(e.span, c.trunc().to_string(), "write the network's address"),
            );
            return None;
        }
        Endpoint::Cidr(c) => return Some(EndpointRef::Cidr(*c)),
        Endpoint::Name(n) => n.as_str(),
    };
    match (name, scope) {
        ("services", _) => Some(EndpointRef::Services),
        ("nomad", _) => Some(EndpointRef::AllFleets),
        (
            "vms",
            RuleScope::Site {
                vm_service: false, ..
            },
        ) => {
            diags.push(
                Diagnostic::new(Code::E0215, e.span, "this site does not run vm-service")
                    .label("there are no VMs to reach")
                    .help("turn it on in the `site` block: `vm_service = true`"),
            );
            None
        }
        ("vms", _) => Some(EndpointRef::Vms),
        (_, RuleScope::Site { .. }) => site_endpoint(name, e.span, lib, scope, diags),
        (_, RuleScope::Library) => library_endpoint(name, e.span, lib, diags),
    }
}

/// A name in a site's rule: one of its fleets, externalized services or actors.
fn site_endpoint(
    name: &str,
    span: Span,
    lib: &Stdlib,
    scope: &RuleScope,
    diags: &mut Diagnostics,
) -> Option<EndpointRef> {
    let RuleScope::Site {
        fleets,
        externals,
        actors,
        ..
    } = scope
    else {
        return None;
    };
    if fleets.contains(name) {
        return Some(EndpointRef::Fleet(name.to_string()));
    }
    if lib.externals.contains_key(name) {
        if externals.contains(name) {
            return Some(EndpointRef::External(name.to_string()));
        }
        diags.push(
            Diagnostic::new(Code::E0216, span, format!("`{name}` is not externalized in this site"))
                .label("runs on the services box here")
                .help(format!("declare it: `external {name} {{ hosts = [10.0.5.10] }}`, or address the services box")),
        );
        return None;
    }
    if actors.contains(name) || lib.actors.contains_key(name) {
        return Some(EndpointRef::Actor(name.to_string()));
    }
    // Chained, not collected: a site with thousands of fleets and thousands of unknown
    // names must not copy every name for every mistake.
    let all = ["services", "nomad"]
        .into_iter()
        .chain(fleets.iter().map(String::as_str))
        .chain(externals.iter().map(String::as_str))
        .chain(actors.iter().map(String::as_str))
        .chain(lib.actors.keys().map(String::as_str));
    diags.push(unknown_endpoint(name, span, all));
    None
}

/// A name in a stdlib rule: an externalizable service or an actor.
fn library_endpoint(
    name: &str,
    span: Span,
    lib: &Stdlib,
    diags: &mut Diagnostics,
) -> Option<EndpointRef> {
    if lib.externals.contains_key(name) {
        return Some(EndpointRef::External(name.to_string()));
    }
    if lib.actors.contains_key(name) {
        return Some(EndpointRef::Actor(name.to_string()));
    }
    let all = ["services", "nomad"]
        .into_iter()
        .chain(lib.externals.keys().map(String::as_str))
        .chain(lib.actors.keys().map(String::as_str));
    diags.push(unknown_endpoint(name, span, all));
    None
}

pub(super) fn unknown_endpoint<'a>(
    name: &str,
    span: Span,
    all: impl Iterator<Item = &'a str> + Clone,
) -> Diagnostic {
    Diagnostic::new(Code::E0206, span, format!("unknown endpoint `{name}`"))
        .label("not an actor, component or CIDR")
        .help_name(name, span, all.clone(), || {
            format!(
                "known here: {}; or write a CIDR such as `10.0.0.0/8`",
                list_code(all)
            )
        })
}
