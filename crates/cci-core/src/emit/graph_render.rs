//! The dependency graph drawn as DOT, Mermaid or JSON (SVG: the `cci-picture` crate), and the
//! network view ([`network`]): the port matrix as a graph of endpoints and the ports between
//! them.

mod network;
mod resources;

pub use network::{Endpoint, Link, NetworkView};
pub use resources::{Drawn, DrawnEdge, ResourceView};

use crate::graph::{Node, Resource, ResourceGraph};
use crate::model::Site;
use crate::network::{GroupRole, Network, Peer};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// A DOT string literal, appended (a large site's graph has tens of thousands of them).
fn push_dot_id(out: &mut String, s: &str) {
    push_dot_lines(out, &[s]);
}

/// A DOT string literal of lines, `\n` (a centred line break in a label) between them.
fn push_dot_lines(out: &mut String, lines: &[&str]) {
    out.push('"');
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push_str("\\n");
        }
        for c in line.chars() {
            if c == '\\' || c == '"' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out.push('"');
}

/// DOT of the resource view ([`ResourceView`]: a group's rules as one node), one cluster per
/// `.tf` file, edges from a resource to what depends on it, labelled with the rules' ports.
pub fn dot(g: &ResourceGraph, site: &str) -> String {
    let v = ResourceView::new(g);
    let mut by_file: BTreeMap<&str, Vec<&Drawn>> = BTreeMap::new();
    for n in &v.nodes {
        by_file.entry(n.file).or_default().push(n);
    }
    let mut out = String::with_capacity(64 * (v.nodes.len() + v.edges.len()));
    out.push_str("digraph ");
    push_dot_id(&mut out, site);
    out.push_str(" {\n  rankdir=LR;\n  node [shape=box, fontsize=10];\n  edge [fontsize=9];\n");
    for (i, (file, nodes)) in by_file.iter().enumerate() {
        let _ = write!(out, "  subgraph cluster_{i} {{\n    label=");
        push_dot_id(&mut out, file);
        out.push_str(";\n");
        for n in nodes {
            out.push_str("    ");
            push_dot_id(&mut out, &n.id);
            if n.name != n.id {
                out.push_str(" [label=");
                push_dot_id(&mut out, &n.name);
                out.push(']');
            }
            out.push_str(";\n");
        }
        out.push_str("  }\n");
    }
    for e in &v.edges {
        out.push_str("  ");
        push_dot_id(&mut out, &v.nodes[e.from].id);
        out.push_str(" -> ");
        push_dot_id(&mut out, &v.nodes[e.to].id);
        if let Some(label) = &e.label {
            out.push_str(" [label=");
            push_dot_id(&mut out, label);
            out.push(']');
        }
        out.push_str(";\n");
    }
    out.push_str("}\n");
    out
}

/// A Mermaid node id: the name with everything but letters and digits as `_`.
fn push_mermaid_id(out: &mut String, s: &str) {
    out.extend(
        s.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }),
    );
}

/// Mermaid of the resource view, as [`dot`].
pub fn mermaid(g: &ResourceGraph) -> String {
    let v = ResourceView::new(g);
    let mut out = String::with_capacity(64 * (v.nodes.len() + v.edges.len()));
    out.push_str("flowchart LR\n");
    for n in &v.nodes {
        out.push_str("  ");
        push_mermaid_id(&mut out, &n.id);
        out.push_str("[\"");
        out.extend(n.name.chars().map(|c| if c == '"' { '\'' } else { c }));
        out.push_str("\"]\n");
    }
    for e in &v.edges {
        out.push_str("  ");
        push_mermaid_id(&mut out, &v.nodes[e.from].id);
        out.push_str(" -->");
        if let Some(label) = &e.label {
            let _ = write!(out, "|\"{label}\"|");
        }
        out.push(' ');
        push_mermaid_id(&mut out, &v.nodes[e.to].id);
        out.push('\n');
    }
    out
}

/// Every resource and every dependency (no rule collapsed: this is the data, not a picture).
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
        "version": crate::display::JSON_VERSION,
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
