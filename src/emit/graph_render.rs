//! The dependency graph drawn as DOT, Mermaid or JSON.

use crate::graph::ResourceGraph;
use serde_json::json;
use std::collections::BTreeMap;

fn dot_id(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// DOT, one cluster per `.tf` file, edges from a resource to what depends on it.
pub fn dot(g: &ResourceGraph, site: &str) -> String {
    let mut by_file: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for n in g.nodes_in_order() {
        by_file.entry(n.file.name()).or_default().push(&n.address);
    }
    let mut out = format!(
        "digraph {} {{\n  rankdir=LR;\n  node [shape=box, fontsize=10];\n",
        dot_id(site)
    );
    for (i, (file, nodes)) in by_file.iter().enumerate() {
        out.push_str(&format!(
            "  subgraph cluster_{i} {{\n    label={};\n",
            dot_id(file)
        ));
        for n in nodes {
            out.push_str(&format!("    {};\n", dot_id(n)));
        }
        out.push_str("  }\n");
    }
    for (a, b) in g.edges() {
        out.push_str(&format!("  {} -> {};\n", dot_id(a), dot_id(b)));
    }
    out.push_str("}\n");
    out
}

fn mermaid_id(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

pub fn mermaid(g: &ResourceGraph) -> String {
    let mut out = String::from("flowchart LR\n");
    for n in g.nodes_in_order() {
        out.push_str(&format!(
            "  {}[\"{}\"]\n",
            mermaid_id(&n.address),
            n.address.replace('"', "'")
        ));
    }
    for (a, b) in g.edges() {
        out.push_str(&format!("  {} --> {}\n", mermaid_id(a), mermaid_id(b)));
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
