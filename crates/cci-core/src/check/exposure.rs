//! Exposure is always said: every flow that opens one of the site's machines to any address
//! (an actor bound to 0.0.0.0/0 or ::/0, or a rule written with it) is a warning naming what it opens;
//! administrative ports (the ones the stdlib opens to its administrative actor, the guide's
//! administrators) get the stronger W0411. GitHub
//! Enterprise over plain http is a warning too.

use crate::codes::Code;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::model::{EndpointRef, GitHub, Rule, Site, Stdlib};
use crate::span::Span;
use crate::values::ports_text;
use std::collections::BTreeMap;

/// What one source opens to the internet: (ports text, purpose, administrative).
type Opened = Vec<(String, String, bool)>;

pub(super) fn check_exposure(site: &Site, lib: &Stdlib, flows: &[Rule], diags: &mut Diagnostics) {
    let admins = lib.administrators();
    let mut by_source: BTreeMap<(u32, u32, String), (Span, String, Opened)> = BTreeMap::new();
    for r in flows.iter().filter(|r| is_machine(&r.to)) {
        let Some((span, source, net)) = open_source(site, r) else {
            continue;
        };
        let ports = ports_text(r.protocol, r.ports);
        let admin = admins.is_some_and(|a| is_admin_port(lib, &a.name, r));
        let entry = by_source
            .entry((span.file.0, span.start, source))
            .or_insert_with(|| (span, net, Vec::new()));
        if !entry.2.iter().any(|(p, _, _)| *p == ports) {
            entry.2.push((ports, r.purpose.clone(), admin));
        }
    }
    for ((_, _, source), (span, net, opened)) in by_source {
        let list = |admin: bool| -> Vec<String> {
            opened
                .iter()
                .filter(|o| o.2 == admin)
                .map(|(p, purpose, _)| format!("{p} ({purpose})"))
                .collect()
        };
        let (admin, other) = (list(true), list(false));
        if !admin.is_empty() {
            diags.push(
                Diagnostic::new(Code::W0411, span, format!("{source} opens administrative ports to the internet: {}", admin.join(", ")))
                    .label(format!("{net}: every address"))
                    .help(format!(
                        "administrators connect from known ranges: bind `{}` to your office or VPN ranges",
                        admins.map_or("", |a| a.name.as_str())
                    )),
            );
        }
        if !other.is_empty() {
            diags.push(
                Diagnostic::new(Code::W0427, span, format!("{source} opens to the internet: {}", other.join(", ")))
                    .label(format!("{net}: every address"))
                    .help("if that is the intent, nothing to do; otherwise bind the actor to the ranges that need it"),
            );
        }
    }
    check_enterprise_http(site, diags);
}

/// A flow into one of the machines this site runs.
fn is_machine(e: &EndpointRef) -> bool {
    matches!(
        e,
        EndpointRef::Services | EndpointRef::AllFleets | EndpointRef::Fleet(_) | EndpointRef::Vms
    )
}

/// Where a flow's any-address source (0.0.0.0/0 or ::/0) is written, how to name it, and the
/// range itself.
fn open_source(site: &Site, r: &Rule) -> Option<(Span, String, String)> {
    match &r.from {
        EndpointRef::Actor(a) => {
            let bound = site.actors.get(a)?;
            let span = bound.bound_at?;
            let open: Vec<String> = bound
                .sources
                .iter()
                .filter(|c| c.prefix_len() == 0)
                .map(|c| c.to_string())
                .collect();
            (!open.is_empty()).then(|| {
                let nets = open.join(" and ");
                (span, format!("binding `{a}` to {nets}"), nets)
            })
        }
        EndpointRef::Cidr(c) if c.prefix_len() == 0 => {
            Some((r.span, "this rule".to_string(), c.to_string()))
        }
        _ => None,
    }
}

/// A port the stdlib opens to its administrative actor (`admins`) on the same machine.
fn is_admin_port(lib: &Stdlib, admins: &str, r: &Rule) -> bool {
    lib.rules.iter().any(|a| {
        matches!(&a.from, EndpointRef::Actor(n) if n == admins)
            && a.to == r.to
            && match (a.ports, r.ports) {
                (Some((x, y)), Some((p, q))) => x <= q && p <= y,
                _ => true,
            }
    })
}

/// OAuth callbacks and webhooks would cross the network in clear text.
fn check_enterprise_http(site: &Site, diags: &mut Diagnostics) {
    if let GitHub::Enterprise { url } = &site.github {
        if url.starts_with("http://") {
            diags.push(
                Diagnostic::new(
                    Code::W0428,
                    site.github_span,
                    "GitHub Enterprise is reached over plain http",
                )
                .label("OAuth callbacks, tokens and webhooks in clear text")
                .help("use the appliance's https:// address"),
            );
        }
    }
}
