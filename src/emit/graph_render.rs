//! The dependency graph drawn as DOT, Mermaid or JSON.

use crate::graph::ResourceGraph;
use serde_json::json;
use std::collections::BTreeMap;
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
    let mut s = serde_json::to_string_pretty(&json!({ "nodes": nodes, "edges": edges }))
        .unwrap_or_default();
    s.push('\n');
    s
}
