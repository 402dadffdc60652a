//! The network view: the port matrix as a graph, one node per endpoint (an actor with the
//! ranges it stands for), one edge per (from, to) pair with its ports merged; as DOT, Mermaid
//! and JSON (SVG: the `cci-picture` crate). `build` writes it as `graph/network.*`.

use super::{push_dot_id, push_dot_lines, Group};
use crate::ast::Protocol;
use crate::matrix::{EndpointKind, Matrix};
use crate::model::{ports_text, Site};
use crate::network::Network;
use ipnet::IpNet;
use serde_json::json;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One side of the site's flows, named as the port matrix names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub name: String,
    pub group: Group,
    /// What an actor stands for, drawn under its name: `0.0.0.0/0`, `10.0.0.0/8, 172.16.0.0/12`,
    /// or `from ...` and `to ...` when it connects from other addresses than it is reached at
    /// (github.com's hook ranges, and any address for git). Empty for the site's machines.
    pub ranges: Vec<String>,
}

impl Endpoint {
    /// The name, then the ranges, one line each.
    pub fn lines(&self) -> Vec<&str> {
        std::iter::once(self.name.as_str())
            .chain(self.ranges.iter().map(String::as_str))
            .collect()
    }
}

/// At most this many ranges are listed on a line; the rest are counted.
const RANGES_SHOWN: usize = 2;

fn ranges_text(list: &[IpNet]) -> String {
    let mut shown: Vec<String> = list
        .iter()
        .take(RANGES_SHOWN)
        .map(|r| r.to_string())
        .collect();
    if list.len() > RANGES_SHOWN {
        shown.push(format!("+{} more", list.len() - RANGES_SHOWN));
    }
    shown.join(", ")
}

/// The lines under an actor's name: the ranges it connects from (as the `from` of a link),
/// those it is reached at (as a `to`), once when they are the same. A range endpoint
/// (`10.20.0.0/16`) is its own name, so it has none.
fn actor_ranges(name: &str, site: &Site, from: bool, to: bool) -> Vec<String> {
    let Some(a) = site.actors.get(name) else {
        return Vec::new();
    };
    match (from, to) {
        (true, true) if a.sources != a.destinations => vec![
            format!("from {}", ranges_text(&a.sources)),
            format!("to {}", ranges_text(&a.destinations)),
        ],
        (true, _) => vec![ranges_text(&a.sources)],
        (false, true) => vec![ranges_text(&a.destinations)],
        (false, false) => Vec::new(),
    }
    .into_iter()
    .filter(|l| !l.is_empty())
    .collect()
}

/// Every (from, to) pair of the site's flows, with their ports merged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// Indices into [`NetworkView::endpoints`].
    pub from: usize,
    pub to: usize,
    /// `80/tcp`, `4646-4648/tcp`, `all`: each once, by port then protocol.
    pub ports: Vec<String>,
}

impl Link {
    pub fn label(&self) -> String {
        self.ports.join(", ")
    }
}

/// The port matrix as a graph: one node per endpoint, one edge per (from, to) pair; both in
/// the order the flows first name them (the stdlib's rules, then the site's own).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetworkView {
    pub endpoints: Vec<Endpoint>,
    pub links: Vec<Link>,
}

impl NetworkView {
    /// The view of the site's flows, each actor with the ranges it stands for.
    pub fn new(net: &Network, site: &Site) -> Self {
        let mut v = Self::of(&Matrix::new(net, site));
        for (i, e) in v.endpoints.iter_mut().enumerate() {
            if e.group == Group::Actors {
                let from = v.links.iter().any(|l| l.from == i);
                let to = v.links.iter().any(|l| l.to == i);
                e.ranges = actor_ranges(&e.name, site, from, to);
            }
        }
        v
    }

    /// The matrix's rows grouped by (from, to), each link's ports sorted by port, then
    /// protocol (`all` and `icmp` first).
    pub fn of(m: &Matrix) -> Self {
        let endpoints = m
            .endpoints
            .iter()
            .map(|e| Endpoint {
                name: e.name.clone(),
                group: match e.kind {
                    EndpointKind::Services => Group::Services,
                    EndpointKind::Fleets => Group::Fleets,
                    EndpointKind::Datastores => Group::Datastores,
                    EndpointKind::Actors => Group::Actors,
                },
                ranges: Vec::new(),
            })
            .collect();
        let mut v = NetworkView {
            endpoints,
            links: Vec::new(),
        };
        let mut pairs: BTreeMap<(usize, usize), usize> = BTreeMap::new();
        // Each link's ports, sorted by port, then protocol: `None` (`all`, `icmp`) first.
        type Ports = Vec<(Option<(u16, u16)>, Protocol)>;
        let mut ports: Vec<Ports> = Vec::new();
        for r in &m.rows {
            let link = *pairs.entry((r.from, r.to)).or_insert_with(|| {
                v.links.push(Link {
                    from: r.from,
                    to: r.to,
                    ports: Vec::new(),
                });
                ports.push(Vec::new());
                v.links.len() - 1
            });
            ports[link].push((r.ports, r.protocol));
        }
        for (link, mut p) in v.links.iter_mut().zip(ports) {
            p.sort_unstable();
            p.dedup();
            link.ports = p
                .into_iter()
                .map(|(range, proto)| ports_text(proto, range))
                .collect();
        }
        v
    }

    /// DOT, one cluster per group, each edge labelled with its ports.
    pub fn dot(&self, site: &str) -> String {
        let mut out = String::from("digraph ");
        push_dot_id(&mut out, &format!("{site} network"));
        out.push_str(" {\n  rankdir=LR;\n  node [shape=box, style=filled, fontsize=10];\n  edge [fontsize=9];\n");
        for group in Group::ALL {
            let members: Vec<&Endpoint> =
                self.endpoints.iter().filter(|e| e.group == group).collect();
            if members.is_empty() {
                continue;
            }
            let _ = write!(out, "  subgraph cluster_{} {{\n    label=", group.id());
            push_dot_id(&mut out, group.title());
            let _ = writeln!(out, ";\n    color=\"{}\";", group.stroke());
            for e in members {
                out.push_str("    ");
                push_dot_id(&mut out, &e.name);
                out.push_str(" [");
                if !e.ranges.is_empty() {
                    out.push_str("label=");
                    push_dot_lines(&mut out, &e.lines());
                    out.push_str(", ");
                }
                let _ = writeln!(
                    out,
                    "fillcolor=\"{}\", color=\"{}\"];",
                    group.fill(),
                    group.stroke()
                );
            }
            out.push_str("  }\n");
        }
        for l in &self.links {
            out.push_str("  ");
            push_dot_id(&mut out, &self.endpoints[l.from].name);
            out.push_str(" -> ");
            push_dot_id(&mut out, &self.endpoints[l.to].name);
            out.push_str(" [label=");
            push_dot_id(&mut out, &l.label());
            out.push_str("];\n");
        }
        out.push_str("}\n");
        out
    }

    /// Mermaid, one subgraph per group; node ids are `e0`, `e1`, ... (endpoint names hold
    /// spaces, parentheses and slashes).
    pub fn mermaid(&self) -> String {
        let text = |s: &str| s.replace('"', "'");
        let mut out = String::from("flowchart LR\n");
        for group in Group::ALL {
            let members: Vec<(usize, &Endpoint)> = self
                .endpoints
                .iter()
                .enumerate()
                .filter(|(_, e)| e.group == group)
                .collect();
            if members.is_empty() {
                continue;
            }
            let _ = writeln!(out, "  subgraph g_{}[\"{}\"]", group.id(), group.title());
            for (i, e) in members {
                let lines: Vec<String> = e.lines().into_iter().map(text).collect();
                let _ = writeln!(out, "    e{i}[\"{}\"]", lines.join("<br/>"));
            }
            out.push_str("  end\n");
        }
        for l in &self.links {
            let _ = writeln!(out, "  e{} -->|\"{}\"| e{}", l.from, text(&l.label()), l.to);
        }
        for group in Group::ALL {
            if self.endpoints.iter().any(|e| e.group == group) {
                let _ = writeln!(
                    out,
                    "  style g_{} fill:{},stroke:{}",
                    group.id(),
                    group.fill(),
                    group.stroke()
                );
            }
        }
        out
    }

    pub fn json(&self) -> String {
        let nodes: Vec<_> = self
            .endpoints
            .iter()
            .map(|e| json!({ "id": e.name, "group": e.group.id(), "ranges": e.ranges }))
            .collect();
        let edges: Vec<_> = self
            .links
            .iter()
            .map(|l| {
                json!({
                    "from": self.endpoints[l.from].name,
                    "to": self.endpoints[l.to].name,
                    "ports": l.ports,
                })
            })
            .collect();
        super::graph_json("network", nodes, edges)
    }
}
