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

use cci_core::emit::graph_render::{resource_edge_label, resource_groups, Group, NetworkView};
use cci_core::graph::ResourceGraph;
use layout::core::base::Orientation;
use layout::core::color::Color;
use layout::core::format::{ClipHandle, RenderBackend};
use layout::core::geometry::{Point, Position};
use layout::core::style::{LineStyleKind, StyleAttr};
use layout::std_shapes::shapes::{Arrow, Element, LineEndKind, ShapeKind};
use layout::topo::layout::VisualGraph;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// What to draw: named boxes, each in a group, and edges between them, some labelled.
#[derive(Clone, Debug, Default)]
struct Drawing {
    title: String,
    nodes: Vec<(String, Group)>,
    /// (from, to, label), indices into `nodes`.
    edges: Vec<(usize, usize, Option<String>)>,
    /// What the legend says of the actors' group in this view.
    actors_note: &'static str,
}

/// The resource graph: one box per Terraform resource, an edge from each resource to what
/// depends on it; the edges between a security group and a rule that lets traffic from (or to)
/// it are labelled with the rule's ports.
pub fn resources(g: &ResourceGraph, site: &str) -> String {
    let mut d = Drawing {
        title: format!("{site}: Terraform resources and what depends on what"),
        actors_note: " (rules that open to them)",
        ..Drawing::default()
    };
    let mut index = std::collections::BTreeMap::new();
    for (n, group) in g.nodes_in_order().zip(resource_groups(g)) {
        index.insert(n.address.as_str(), (d.nodes.len(), n));
        d.nodes.push((n.address.clone(), group));
    }
    for (a, b) in g.edges() {
        if let (Some(&(i, from)), Some(&(j, to))) = (index.get(a), index.get(b)) {
            d.edges.push((i, j, resource_edge_label(from, to)));
        }
    }
    draw(&d)
}

/// The network view: one box per endpoint of the site's flows, one edge per (from, to) pair,
/// labelled with its ports.
pub fn network(v: &NetworkView, site: &str) -> String {
    let d = Drawing {
        title: format!("{site}: network flows (from opens connections to, on ports)"),
        nodes: v
            .endpoints
            .iter()
            .map(|e| (e.name.clone(), e.group))
            .collect(),
        edges: v
            .links
            .iter()
            .map(|l| (l.from, l.to, Some(l.label())))
            .collect(),
        actors_note: "",
    };
    draw(&d)
}

/// Box text: 11 px monospace, about 0.6 em a character.
const FONT: f64 = 11.0;
const CHAR_W: f64 = 6.7;
const PAD_X: f64 = 10.0;
const NODE_H: f64 = 24.0;
/// Room the layout keeps around each box (layout-rs's default, 60, spreads a rank of 40
/// security-group rules over 6,000 pixels).
const HALO: f64 = 14.0;
/// Edge labels: 10 px monospace; the layout sizes them at `LABEL_CHAR_W` a character.
const LABEL_FONT: f64 = 10.0;
const LABEL_CHAR_W: usize = 6;
const MARGIN: f64 = 16.0;
/// layout-rs's crossing reduction costs about the cube of a rank's width, 50 rounds over:
/// beyond this many nodes, edges and labels (each label is a node of the layout) it is
/// skipped, and the nodes keep the order layout-rs ranks them in. Every example is below it
/// (the largest, `externalized.cci`, is 350); a site with 200 rules of its own is above.
const OPTIMIZE_UP_TO: usize = 500;
const LEGEND_ROW: f64 = 22.0;

/// An edge's curve as layout-rs gives it (`(point, control)` pairs), and its arrow heads
/// (start, end).
type Curve = (Vec<(Point, Point)>, (bool, bool));

/// Where the layout put a drawing's parts.
#[derive(Debug, Default)]
struct Placed {
    /// Top-left corner and size of each node's box.
    boxes: Vec<Option<(Point, Point)>>,
    paths: Vec<Option<Curve>>,
    /// The centre of each edge's label.
    labels: Vec<Option<Point>>,
}

/// The text the layout carries for edge `j`'s label: as many characters as the label (the
/// layout sizes the label by them), in the private-use area, so the backend can tell which
/// edge a label belongs to whatever order layout-rs draws them in.
fn label_key(j: usize, chars: usize) -> String {
    const BASE: usize = 0xF8FF - 0xE000;
    let mut digits = Vec::new();
    let mut rest = j;
    loop {
        digits.push(rest % BASE);
        rest /= BASE;
        if rest == 0 {
            break;
        }
    }
    while digits.len() < chars {
        digits.push(0);
    }
    digits
        .into_iter()
        .map(|d| char::from_u32(0xE000 + d as u32).unwrap_or('\u{E000}'))
        .collect()
}

fn label_index(key: &str) -> Option<usize> {
    const BASE: usize = 0xF8FF - 0xE000;
    let mut j = 0usize;
    for c in key.chars().rev() {
        let d = (c as usize).checked_sub(0xE000).filter(|d| *d < BASE)?;
        j = j.checked_mul(BASE)?.checked_add(d)?;
    }
    Some(j)
}

/// Records what layout-rs draws, by the node and edge ids set as their properties.
struct Recorder {
    placed: Placed,
}

impl RenderBackend for Recorder {
    fn draw_rect(
        &mut self,
        xy: Point,
        size: Point,
        _: &StyleAttr,
        properties: Option<String>,
        _: Option<ClipHandle>,
    ) {
        let id = properties.as_deref().and_then(|p| p.strip_prefix('n'));
        if let Some(slot) = id
            .and_then(|i| i.parse::<usize>().ok())
            .and_then(|i| self.placed.boxes.get_mut(i))
        {
            *slot = Some((xy, size));
        }
    }

    fn draw_line(&mut self, _: Point, _: Point, _: &StyleAttr, _: Option<String>) {}

    fn draw_circle(&mut self, _: Point, _: Point, _: &StyleAttr, _: Option<String>) {}

    fn draw_text(&mut self, xy: Point, text: &str, _: &StyleAttr) {
        // A box's own text is drawn from the drawing; only labels' keys are looked up.
        if let Some(slot) = label_index(text).and_then(|j| self.placed.labels.get_mut(j)) {
            *slot = Some(xy);
        }
    }

    fn draw_arrow(
        &mut self,
        path: &[(Point, Point)],
        _: bool,
        head: (bool, bool),
        _: &StyleAttr,
        properties: Option<String>,
        _: &str,
    ) {
        let id = properties.as_deref().and_then(|p| p.strip_prefix('e'));
        if let Some(slot) = id
            .and_then(|j| j.parse::<usize>().ok())
            .and_then(|j| self.placed.paths.get_mut(j))
        {
            *slot = Some((path.to_vec(), head));
        }
    }

    fn create_clip(&mut self, _: Point, _: Point, _: usize) -> ClipHandle {
        0
    }
}

fn node_width(name: &str) -> f64 {
    name.chars().count() as f64 * CHAR_W + 2.0 * PAD_X
}

fn label_size(label: &str) -> Point {
    Point::new(
        label.chars().count() as f64 * LABEL_FONT * 0.6 + 8.0,
        LABEL_FONT + 6.0,
    )
}

fn place(d: &Drawing) -> Placed {
    let placed = Placed {
        boxes: vec![None; d.nodes.len()],
        paths: vec![None; d.edges.len()],
        labels: vec![None; d.edges.len()],
    };
    if d.nodes.is_empty() {
        return placed;
    }
    let mut vg = VisualGraph::new(Orientation::LeftToRight);
    // Its check that the graph stays acyclic runs after every edge added (quadratic in the
    // edges): the layout reverses back edges itself, so the check only costs time.
    vg.dag.set_validate(false);
    let black = Color::new(0);
    let handles: Vec<_> = d
        .nodes
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            let size = Point::new(node_width(name), NODE_H);
            let look = StyleAttr::new(black, 1, None, 0, FONT as usize);
            // Boxes are made across the graph's direction, as layout-rs's DOT reader does.
            let mut e = Element::create_with_properties(
                ShapeKind::new_box(&format!("n{i}")),
                look,
                Orientation::TopToBottom,
                size,
                format!("n{i}"),
            );
            e.pos = Position::new(Point::zero(), size, Point::zero(), Point::splat(HALO));
            vg.add_node(e)
        })
        .collect();
    for (j, (from, to, label)) in d.edges.iter().enumerate() {
        let key = label
            .as_deref()
            .map_or(String::new(), |l| label_key(j, l.chars().count()));
        let look = StyleAttr::new(black, 1, None, 0, LABEL_CHAR_W);
        let arrow = Arrow::with_properties(
            LineEndKind::None,
            LineEndKind::Arrow,
            LineStyleKind::Normal,
            &key,
            &look,
            format!("e{j}"),
            &None,
            &None,
        );
        vg.add_edge(arrow, handles[*from], handles[*to]);
    }
    let mut rec = Recorder { placed };
    let size = d.nodes.len() + d.edges.len() + d.edges.iter().filter(|e| e.2.is_some()).count();
    vg.do_it(false, size > OPTIMIZE_UP_TO, false, &mut rec);
    let mut placed = rec.placed;
    labels_on_their_edges(&mut placed);
    separate_labels(&mut placed, d);
    placed
}

/// Puts each label on its edge. layout-rs draws a label at the middle of the connector that
/// carries it, while the edge passes through the connector's centre: most of the time a few
/// pixels apart, but a back edge's label can float far from its line. The centre is one of
/// the path's inner points (each is a `(control, point)` pair), the one in the label's rank:
/// the same x, left to right.
fn labels_on_their_edges(placed: &mut Placed) {
    for (label, path) in placed.labels.iter_mut().zip(&placed.paths) {
        let (Some(at), Some((path, _))) = (label.as_mut(), path) else {
            continue;
        };
        let inner = path
            .get(1..path.len().saturating_sub(1))
            .unwrap_or_default();
        let nearest = inner.iter().map(|(_, p)| *p).min_by(|a, b| {
            let key = |p: &Point| ((p.x - at.x).abs(), (p.y - at.y).abs());
            key(a)
                .partial_cmp(&key(b))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        if let Some(p) = nearest {
            *at = p;
        }
    }
}

/// Moves a label down, off the boxes and the labels before it, where layout-rs placed it on
/// one (it does, now and then, for two labels in the same rank). Labels have a background,
/// so one a little off its edge still reads.
fn separate_labels(placed: &mut Placed, d: &Drawing) {
    let rect = |c: Point, label: &str| {
        let half = label_size(label).scale(0.5);
        (c.sub(half), c.add(half))
    };
    let overlaps = |a: &(Point, Point), b: &(Point, Point)| {
        a.0.x < b.1.x + 2.0 && b.0.x < a.1.x + 2.0 && a.0.y < b.1.y + 2.0 && b.0.y < a.1.y + 2.0
    };
    let mut taken: Vec<(Point, Point)> = placed
        .boxes
        .iter()
        .flatten()
        .map(|(xy, size)| (*xy, xy.add(*size)))
        .collect();
    for (j, (_, _, label)) in d.edges.iter().enumerate() {
        let (Some(c), Some(label)) = (placed.labels[j].as_mut(), label) else {
            continue;
        };
        // Each move goes past one obstacle, so this ends within as many moves as there are.
        for _ in 0..=taken.len() {
            let r = rect(*c, label);
            match taken.iter().find(|t| overlaps(&r, t)) {
                Some(t) => c.y += t.1.y + 2.0 - r.0.y,
                None => break,
            }
        }
        taken.push(rect(*c, label));
    }
}

/// A number for an attribute: one decimal, no `-0`, no trailing `.0`.
fn num(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0;
    let r = if r == 0.0 || !r.is_finite() { 0.0 } else { r };
    let s = format!("{r:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// Text or an attribute value for XML: escaped, and without the characters XML 1.0 forbids.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// The SVG path of layout-rs's curve: a cubic Bézier, then smooth continuations.
fn path_data(path: &[(Point, Point)], shift: Point) -> String {
    let p = |pt: Point| format!("{} {}", num(pt.x + shift.x), num(pt.y + shift.y));
    let mut d = String::new();
    if let [first, second, rest @ ..] = path {
        let _ = write!(
            d,
            "M {} C {}, {}, {}",
            p(first.0),
            p(first.1),
            p(second.0),
            p(second.1)
        );
        for seg in rest {
            let _ = write!(d, " S {}, {}", p(seg.0), p(seg.1));
        }
    }
    d
}

fn draw(d: &Drawing) -> String {
    let placed = place(d);

    // The drawing's extent, to move it below the legend with a margin.
    let (mut lo, mut hi) = (
        Point::new(f64::MAX, f64::MAX),
        Point::new(f64::MIN, f64::MIN),
    );
    let mut extend = |a: Point, b: Point| {
        lo = Point::new(lo.x.min(a.x), lo.y.min(a.y));
        hi = Point::new(hi.x.max(b.x), hi.y.max(b.y));
    };
    for (xy, size) in placed.boxes.iter().flatten() {
        extend(*xy, xy.add(*size));
    }
    for (path, _) in placed.paths.iter().flatten() {
        for (a, b) in path {
            extend(*a, *a);
            extend(*b, *b);
        }
    }
    for (j, c) in placed.labels.iter().enumerate() {
        if let (Some(c), Some((_, _, Some(label)))) = (c, d.edges.get(j)) {
            let half = label_size(label).scale(0.5);
            extend(c.sub(half), c.add(half));
        }
    }
    if lo.x > hi.x {
        (lo, hi) = (Point::zero(), Point::zero());
    }

    let groups: BTreeSet<Group> = d.nodes.iter().map(|(_, g)| *g).collect();
    let legend_h = 2.0 * LEGEND_ROW + 8.0;
    let mut legend_w = MARGIN + d.title.chars().count() as f64 * 7.3;
    let mut x = MARGIN;
    let mut swatches = Vec::new();
    for g in &groups {
        let text = if *g == Group::Actors {
            format!("{}{}", g.title(), d.actors_note)
        } else {
            g.title().to_string()
        };
        swatches.push((x, *g, text.clone()));
        x += 22.0 + text.chars().count() as f64 * CHAR_W + 18.0;
    }
    legend_w = legend_w.max(x);

    let shift = Point::new(MARGIN - lo.x, MARGIN + legend_h - lo.y);
    let width = (hi.x - lo.x + 2.0 * MARGIN).max(legend_w + MARGIN);
    let height = hi.y - lo.y + legend_h + 2.0 * MARGIN;

    let mut out = String::with_capacity(512 * (d.nodes.len() + d.edges.len()) + 2048);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"{}\">",
        num(FONT),
        w = num(width),
        h = num(height),
    );
    let _ = writeln!(out, "<title>{}</title>", xml(&d.title));
    out.push_str(concat!(
        "<defs>\n",
        "<marker id=\"arrow-end\" markerWidth=\"10\" markerHeight=\"7\" refX=\"10\" refY=\"3.5\" orient=\"auto\" markerUnits=\"userSpaceOnUse\"><path d=\"M 0 0 L 10 3.5 L 0 7 z\" fill=\"#555\"/></marker>\n",
        "<marker id=\"arrow-start\" markerWidth=\"10\" markerHeight=\"7\" refX=\"0\" refY=\"3.5\" orient=\"auto\" markerUnits=\"userSpaceOnUse\"><path d=\"M 10 0 L 0 3.5 L 10 7 z\" fill=\"#555\"/></marker>\n",
        "</defs>\n",
    ));
    let _ = writeln!(
        out,
        "<rect class=\"background\" x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>",
        num(width),
        num(height)
    );

    // The legend: the title, then one swatch per group drawn.
    out.push_str("<g class=\"legend\">\n");
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" font-size=\"13\" font-weight=\"bold\">{}</text>",
        num(MARGIN),
        num(MARGIN + 10.0),
        xml(&d.title)
    );
    let row = MARGIN + LEGEND_ROW;
    for (x, g, text) in &swatches {
        let _ = writeln!(
            out,
            "<g class=\"legend-entry\" data-group=\"{}\"><rect x=\"{}\" y=\"{}\" width=\"16\" height=\"14\" rx=\"3\" fill=\"{}\" stroke=\"{}\"/><text x=\"{}\" y=\"{}\">{}</text></g>",
            g.id(),
            num(*x),
            num(row),
            g.fill(),
            g.stroke(),
            num(x + 22.0),
            num(row + 11.0),
            xml(text)
        );
    }
    out.push_str("</g>\n");

    // Edges first, so boxes and labels are drawn over them.
    out.push_str("<g class=\"edges\" fill=\"none\" stroke-width=\"1.2\">\n");
    for (j, (from, to, label)) in d.edges.iter().enumerate() {
        let Some((path, head)) = &placed.paths[j] else {
            continue;
        };
        let (a, b) = (&d.nodes[*from], &d.nodes[*to]);
        let _ = write!(
            out,
            "<g class=\"edge\" data-from=\"{}\" data-to=\"{}\"><title>{} -&gt; {}{}</title><path d=\"{}\" stroke=\"{}\"",
            xml(&a.0),
            xml(&b.0),
            xml(&a.0),
            xml(&b.0),
            label.as_deref().map(|l| format!(": {}", xml(l))).unwrap_or_default(),
            path_data(path, shift),
            a.1.stroke(),
        );
        if head.0 {
            out.push_str(" marker-start=\"url(#arrow-start)\"");
        }
        if head.1 {
            out.push_str(" marker-end=\"url(#arrow-end)\"");
        }
        out.push_str("/></g>\n");
    }
    out.push_str("</g>\n");

    out.push_str("<g class=\"nodes\">\n");
    for (i, (name, g)) in d.nodes.iter().enumerate() {
        let Some((xy, size)) = placed.boxes[i] else {
            continue;
        };
        let xy = xy.add(shift);
        let _ = writeln!(
            out,
            "<g class=\"node\" data-group=\"{gid}\" data-id=\"{n}\"><title>{n} ({}{})</title><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"4\" fill=\"{}\" stroke=\"{}\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{n}</text></g>",
            g.title(),
            if *g == Group::Actors { d.actors_note } else { "" },
            num(xy.x),
            num(xy.y),
            num(size.x),
            num(size.y),
            g.fill(),
            g.stroke(),
            num(xy.x + size.x / 2.0),
            num(xy.y + size.y / 2.0 + FONT * 0.35),
            gid = g.id(),
            n = xml(name),
        );
    }
    out.push_str("</g>\n");

    out.push_str("<g class=\"edge-labels\" font-size=\"10\">\n");
    for (j, (from, to, label)) in d.edges.iter().enumerate() {
        let (Some(c), Some(label)) = (placed.labels[j], label) else {
            continue;
        };
        let c = c.add(shift);
        let size = label_size(label);
        let _ = writeln!(
            out,
            "<g class=\"edge-label\" data-from=\"{}\" data-to=\"{}\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"3\" fill=\"#ffffff\" fill-opacity=\"0.85\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text></g>",
            xml(&d.nodes[*from].0),
            xml(&d.nodes[*to].0),
            num(c.x - size.x / 2.0),
            num(c.y - size.y / 2.0),
            num(size.x),
            num(size.y),
            num(c.x),
            num(c.y + LABEL_FONT * 0.35),
            xml(label),
        );
    }
    out.push_str("</g>\n</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
            actors_note: "",
        };
        let svg = draw(&d);
        assert_eq!(svg, draw(&d), "the same drawing twice");
        for text in [
            ">a</text>",
            ">b &amp; c</text>",
            ">d</text>",
            ">80/tcp, 443/tcp</text>",
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
