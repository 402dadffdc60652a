//! `allow` rules: protocols and ports checked, endpoints bound to actors, components or CIDRs.

use super::*;

pub(super) enum RuleScope<'a> {
    Library,
    Site {
        fleets: BTreeSet<String>,
        externals: BTreeSet<String>,
        actors: BTreeSet<String>,
        vm_service: bool,
        file_name: String,
        sources: &'a crate::span::Sources,
    },
}

pub(super) fn read_rule(
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
    if name == "vms" {
        if let RuleScope::Site {
            vm_service: false, ..
        } = scope
        {
            diags.push(
                Diagnostic::error(Code::E0215, e.span, "this site does not run vm-service")
                    .label("there are no VMs to reach")
                    .help("turn it on in the `site` block: `vm_service = true`"),
            );
            return None;
        }
        return Some(EndpointRef::Vms);
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
                Diagnostic::error(Code::E0216, e.span, format!("`{name}` is not externalized in this site"))
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

pub(super) fn unknown_endpoint(name: &str, span: Span, all: Vec<&str>) -> Diagnostic {
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
