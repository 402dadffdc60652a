//! The dependency graph drawn as DOT, Mermaid or JSON (SVG: the `cci-picture` crate), and the
//! network view:
//! the port matrix as a graph of endpoints and the ports between them.

use crate::ast::Protocol;
use crate::graph::{Node, Resource, ResourceGraph};
use crate::matrix::{EndpointKind, Matrix};
use crate::model::{ports_text, Site};
use crate::network::{GroupRole, Network, Peer};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// A DOT string literal, appended (a large site's graph has tens of thousands of them).
fn push_dot_id(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        if c == '\\' || c == '"' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

/// DOT, one cluster per `.tf` file, edges from a resource to what depends on it.
pub fn dot(g: &ResourceGraph, site: &str) -> String {
    let mut by_file: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for n in g.nodes_in_order() {
        by_file.entry(n.file.name()).or_default().push(&n.address);
    }
    let edges = g.edges();
    let mut out = String::with_capacity(64 * (g.order.len() + edges.len()));
    out.push_str("digraph ");
    push_dot_id(&mut out, site);
    out.push_str(" {\n  rankdir=LR;\n  node [shape=box, fontsize=10];\n");
    for (i, (file, nodes)) in by_file.iter().enumerate() {
        let _ = write!(out, "  subgraph cluster_{i} {{\n    label=");
        push_dot_id(&mut out, file);
        out.push_str(";\n");
        for n in nodes {
            out.push_str("    ");
            push_dot_id(&mut out, n);
            out.push_str(";\n");
        }
        out.push_str("  }\n");
    }
    for (a, b) in edges {
        out.push_str("  ");
        push_dot_id(&mut out, a);
        out.push_str(" -> ");
        push_dot_id(&mut out, b);
        out.push_str(";\n");
    }
    out.push_str("}\n");
    out
}

/// A Mermaid node id: the address with everything but letters and digits as `_`.
fn push_mermaid_id(out: &mut String, s: &str) {
    out.extend(
        s.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }),
    );
}

pub fn mermaid(g: &ResourceGraph) -> String {
    let edges = g.edges();
    let mut out = String::with_capacity(64 * (g.order.len() + edges.len()));
    out.push_str("flowchart LR\n");
    for n in g.nodes_in_order() {
        out.push_str("  ");
        push_mermaid_id(&mut out, &n.address);
        out.push_str("[\"");
        out.extend(n.address.chars().map(|c| if c == '"' { '\'' } else { c }));
        out.push_str("\"]\n");
    }
    for (a, b) in edges {
        out.push_str("  ");
        push_mermaid_id(&mut out, a);
        out.push_str(" --> ");
        push_mermaid_id(&mut out, b);
        out.push('\n');
    }
    out
}

pub fn json(g: &ResourceGraph) -> String {
    let nodes: Vec<_> = g
        .nodes_in_order()
        .map(|n| json!({ "address": n.address, "file": format!("terraform/{}", n.file.name()) }))
        .collect();
    let edges: Vec<_> = g
        .edges()
        .into_iter()
        .map(|(a, b)| json!({ "from": a, "to": b }))
        .collect();
    graph_json("resources", nodes, edges)
}

/// A graph as JSON (docs/message-format.md): `version`, `type`, `view`, the nodes and edges.
fn graph_json(view: &str, nodes: Vec<serde_json::Value>, edges: Vec<serde_json::Value>) -> String {
    let v = json!({
        "version": crate::JSON_VERSION,
        "type": "graph",
        "view": view,
        "nodes": nodes,
        "edges": edges,
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

/// Which picture of the site `cci-dsl graph` draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// The Terraform resources and what depends on what (the default).
    Resources,
    /// The port matrix: who opens connections to whom, on which ports.
    Network,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Dot,
    Mermaid,
    Json,
}

/// The site's graph in one view and format. The resource view's DOT, Mermaid and JSON are the
/// ones `build` writes; the network view draws `net.flows.applied`.
pub fn render(view: View, format: Format, g: &ResourceGraph, net: &Network, site: &Site) -> String {
    match (view, format) {
        (View::Resources, Format::Dot) => dot(g, &site.name),
        (View::Resources, Format::Mermaid) => mermaid(g),
        (View::Resources, Format::Json) => json(g),
        (View::Network, format) => {
            let v = NetworkView::new(net, site);
            match format {
                Format::Dot => v.dot(&site.name),
                Format::Mermaid => v.mermaid(),
                Format::Json => v.json(),
            }
        }
    }
}

/// The parts of a site a drawing tells apart (by fill colour, with a legend).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// The services box: its instance, security group and rules, its passphrase, DNS, backups.
    Services,
    /// The Nomad clients: every fleet, the shared group, vm-service's VMs.
    Fleets,
    /// Externalized datastores (and their security groups and rules).
    Datastores,
    /// Users, admins, GitHub, the AWS APIs, the internet, address ranges: outside the site.
    /// In the resource view, the rules that open the site to them.
    Actors,
    Iam,
    /// The bucket and the shutdown queue.
    Storage,
    /// Variables, lookups, plan-time checks, outputs.
    Terraform,
}

impl Group {
    pub const ALL: [Group; 7] = [
        Group::Services,
        Group::Fleets,
        Group::Datastores,
        Group::Actors,
        Group::Iam,
        Group::Storage,
        Group::Terraform,
    ];

    /// A name for ids and classes: letters only.
    pub fn id(self) -> &'static str {
        match self {
            Group::Services => "services",
            Group::Fleets => "fleets",
            Group::Datastores => "datastores",
            Group::Actors => "actors",
            Group::Iam => "iam",
            Group::Storage => "storage",
            Group::Terraform => "terraform",
        }
    }

    /// What the legend says.
    pub fn title(self) -> &'static str {
        match self {
            Group::Services => "services box",
            Group::Fleets => "Nomad fleets",
            Group::Datastores => "datastores (externalized)",
            Group::Actors => "outside actors",
            Group::Iam => "IAM",
            Group::Storage => "storage",
            Group::Terraform => "Terraform plumbing",
        }
    }

    /// Fill colour (light, so black text reads on it).
    pub fn fill(self) -> &'static str {
        match self {
            Group::Services => "#cfe2ff",
            Group::Fleets => "#d1f0d8",
            Group::Datastores => "#ffe5b4",
            Group::Actors => "#f8d7da",
            Group::Iam => "#e5dbff",
            Group::Storage => "#fff3a8",
            Group::Terraform => "#e9ecef",
        }
    }

    /// Border colour, a darker shade of the fill.
    pub fn stroke(self) -> &'static str {
        match self {
            Group::Services => "#3d6fb6",
            Group::Fleets => "#2f8a4a",
            Group::Datastores => "#b7791f",
            Group::Actors => "#b02a37",
            Group::Iam => "#6741d9",
            Group::Storage => "#a08a00",
            Group::Terraform => "#6c757d",
        }
    }
}

/// The group of each resource, in the graph's order. A security-group rule goes with the
/// group it is on, except one that opens the site to an outside actor or range (`Actors`) or
/// to an external datastore's hosts (`Datastores`).
pub fn resource_groups(g: &ResourceGraph) -> Vec<Group> {
    let role_group = |role: &GroupRole| match role {
        GroupRole::Services => Group::Services,
        GroupRole::Nomad | GroupRole::Fleet(_) | GroupRole::Vms => Group::Fleets,
        GroupRole::External(_) => Group::Datastores,
    };
    // The security groups' roles by Terraform id, and the externalized services' names.
    let mut roles: BTreeMap<&str, &GroupRole> = BTreeMap::new();
    let mut externals: BTreeSet<&str> = BTreeSet::new();
    for n in g.nodes_in_order() {
        if let Resource::SecurityGroup(group) = &n.resource {
            roles.insert(&group.id, &group.role);
            if let GroupRole::External(x) = &group.role {
                externals.insert(x);
            }
        }
    }
    let group = |n: &Node| match &n.resource {
        Resource::ServicesInstance
        | Resource::PassphraseParameter { .. }
        | Resource::DnsRecord
        | Resource::ElasticIp
        | Resource::BackupPolicy => Group::Services,
        Resource::LaunchTemplate(..)
        | Resource::OwnImage(_)
        | Resource::AutoScalingGroup(_)
        | Resource::LifecycleHook(_) => Group::Fleets,
        Resource::Role(_) | Resource::RolePolicy(_) | Resource::InstanceProfile(_) => Group::Iam,
        Resource::Bucket(_) | Resource::ShutdownQueue { .. } => Group::Storage,
        Resource::PassphraseVariable
        | Resource::CallerIdentity
        | Resource::Ami
        | Resource::NetworkChecks
        | Resource::Outputs => Group::Terraform,
        Resource::SecurityGroup(group) => role_group(&group.role),
        Resource::SgRule(rule) => {
            let owner = roles.get(rule.group.as_str()).map(|r| role_group(r));
            match &rule.peer {
                Peer::Cidr(_) => {
                    let peer = rule.reasons.first().map_or("", |r| r.peer_name.as_str());
                    if owner == Some(Group::Datastores) || externals.contains(peer) {
                        Group::Datastores
                    } else {
                        Group::Actors
                    }
                }
                Peer::Group(_) => owner.unwrap_or(Group::Terraform),
            }
        }
    };
    g.nodes_in_order().map(group).collect()
}

/// The label of a resource-graph edge that is a network flow: from the security group on the
/// other side of a rule (or a group's rule to itself) to the rule, its ports.
pub fn resource_edge_label(from: &Node, to: &Node) -> Option<String> {
    let (Resource::SecurityGroup(group), Resource::SgRule(rule)) = (&from.resource, &to.resource)
    else {
        return None;
    };
    match &rule.peer {
        Peer::Group(peer) if *peer == group.id => Some(ports_text(rule.protocol, rule.ports)),
        _ => None,
    }
}

/// One side of the site's flows, named as the port matrix names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub name: String,
    pub group: Group,
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
    pub fn new(net: &Network, site: &Site) -> Self {
        Self::of(&Matrix::new(net, site))
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
                let _ = writeln!(
                    out,
                    " [fillcolor=\"{}\", color=\"{}\"];",
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
                let _ = writeln!(out, "    e{i}[\"{}\"]", text(&e.name));
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
            .map(|e| json!({ "id": e.name, "group": e.group.id() }))
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
        graph_json("network", nodes, edges)
    }
}
