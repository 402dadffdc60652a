//! The site's graphs drawn as SVG, with no program outside this one.
//!
//! `layout-rs` places the nodes: a layered (Sugiyama-style) layout, left to right like the DOT
//! output (ranks, edge-crossing reduction, Brandes–Köpf placement), with long edges routed
//! through invisible connectors and each edge label placed as a node of its own, so labels do
//! not sit on boxes. This module gives it the boxes' sizes (monospace text, so a label's width
//! is known without measuring fonts), records where it put everything through its
//! `RenderBackend` trait, puts each label on its edge's line and off the other labels, and
//! writes the SVG itself: one fill colour per group with a legend, the edges under the boxes
//! and the labels over both, escaped for XML, the same bytes on every run.
//!
//! layout-rs's own SVG writer is not used: it lists font styles in `HashMap` order (which
//! changes between runs) and writes the properties it is given into the markup as they are.
//!
//! By job: [`layout`] has layout-rs place the boxes, edges and labels; [`svg`] writes what it
//! placed.

mod layout;
mod svg;

use cci_core::emit::graph_render::{Group, NetworkView, ResourceView};
use cci_core::graph::ResourceGraph;
use cci_core::Build;

/// What to draw: named boxes, each in a group, and edges between them, some labelled.
#[derive(Clone, Debug, Default)]
struct Drawing {
    title: String,
    nodes: Vec<(String, Group)>,
    /// Lines drawn under a node's name, in a smaller font, by node index (an actor's ranges);
    /// a node past the end has none.
    notes: Vec<Vec<String>>,
    /// (from, to, label), indices into `nodes`.
    edges: Vec<(usize, usize, Option<String>)>,
}

/// The resource graph: one box per Terraform resource, each security group's rules one box
/// ([`ResourceView`]), an edge from each resource to what depends on it; the edges from a
/// security group to the rules that let traffic from (or to) it are labelled with their ports.
pub fn resources(g: &ResourceGraph, site: &str) -> String {
    let v = ResourceView::new(g);
    let d = Drawing {
        title: format!("{site}: Terraform resources and what depends on what"),
        nodes: v.nodes.into_iter().map(|n| (n.name, n.group)).collect(),
        edges: v
            .edges
            .iter()
            .map(|e| (e.from, e.to, e.label.clone()))
            .collect(),
        ..Drawing::default()
    };
    svg::draw(&d)
}

/// The file `build` writes besides the core's outputs.
pub const NETWORK_SVG: &str = "graph/network.svg";

/// Adds the network view's SVG to a build's outputs (when it has outputs): `build` writes it
/// with the view's DOT and Mermaid, always drawn by this crate (never by a Graphviz that
/// happens to be installed), so the committed bytes are the same on every machine.
pub fn draw_into(b: &mut Build) {
    let (Some(outputs), Some(net), Some(site)) =
        (b.outputs.as_mut(), &b.network, &b.compilation.site)
    else {
        return;
    };
    let svg = network(&NetworkView::new(net, site), &site.name);
    outputs.files.insert(NETWORK_SVG.into(), svg);
}

/// The network view: one box per endpoint of the site's flows (an actor's with the ranges it
/// stands for), one edge per (from, to) pair, labelled with its ports.
pub fn network(v: &NetworkView, site: &str) -> String {
    let d = Drawing {
        title: format!("{site}: network flows (from opens connections to, on ports)"),
        nodes: v
            .endpoints
            .iter()
            .map(|e| (e.name.clone(), e.group))
            .collect(),
        notes: v.endpoints.iter().map(|e| e.ranges.clone()).collect(),
        edges: v
            .links
            .iter()
            .map(|l| (l.from, l.to, Some(l.label())))
            .collect(),
    };
    svg::draw(&d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{label_index, label_key};
    use crate::svg::{draw, num, xml};

    #[test]
    fn svg_label_keys_round_trip_at_the_labels_length() {
        for (j, chars) in [(0, 3), (1, 3), (6398, 3), (6399, 4), (123_456, 8), (7, 1)] {
            let key = label_key(j, chars);
            assert_eq!(key.chars().count(), chars);
            assert_eq!(label_index(&key), Some(j));
        }
        assert_eq!(label_index("n0"), None);
        assert_eq!(label_index("80/tcp"), None);
    }

    #[test]
    fn svg_text_is_escaped_for_xml() {
        assert_eq!(
            xml("a<b>&\"c'\u{1}"),
            "a&lt;b&gt;&amp;&quot;c&apos;\u{FFFD}"
        );
        assert_eq!(num(-0.04), "0");
        assert_eq!(num(12.0), "12");
        assert_eq!(num(1.25), "1.3");
    }

    #[test]
    fn svg_of_a_small_drawing_has_every_node_edge_and_label() {
        let d = Drawing {
            title: "t".into(),
            nodes: vec![
                ("a".into(), Group::Actors),
                ("b & c".into(), Group::Services),
                ("d".into(), Group::Fleets),
            ],
            edges: vec![
                (0, 1, Some("80/tcp, 443/tcp".into())),
                (1, 2, Some("1000-1002/tcp".into())),
                (2, 1, Some("1001/tcp".into())),
                (1, 1, Some("all".into())),
                (0, 2, None),
            ],
            notes: vec![vec!["10.0.0.0/8, +1 more".into()]],
        };
        let svg = draw(&d);
        assert_eq!(svg, draw(&d), "the same drawing twice");
        for text in [
            ">a</text>",
            ">b &amp; c</text>",
            ">d</text>",
            ">80/tcp, 443/tcp</text>",
            ">10.0.0.0/8, +1 more</text>",
        ] {
            assert!(svg.contains(text), "{text} missing:\n{svg}");
        }
        assert_eq!(svg.matches("<g class=\"edge\" ").count(), 5);
        assert_eq!(svg.matches("<g class=\"edge-label\" ").count(), 4);
        assert!(!svg.contains('\u{E000}'), "a label key leaked");
    }

    #[test]
    fn svg_of_an_empty_drawing_is_the_legend() {
        let svg = draw(&Drawing::default());
        assert!(svg.contains("<svg ") && svg.ends_with("</svg>\n"));
    }
}
