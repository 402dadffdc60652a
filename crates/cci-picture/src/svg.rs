//! The SVG itself: one fill colour per group with a legend, the edges under the boxes and the
//! labels over both, escaped for XML, the same bytes on every run.

use crate::layout::{
    label_size, place, Placed, CHAR_W, FONT, LABEL_FONT, NODE_H, NOTE_FONT, NOTE_LINE,
};
use crate::Drawing;
use cci_core::emit::graph_render::Group;
use layout::core::geometry::Point;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// Room around the drawing, and the height of a legend row.
const MARGIN: f64 = 16.0;
const LEGEND_ROW: f64 = 22.0;

/// A number for an attribute: one decimal, no `-0`, no trailing `.0`.
pub(crate) fn num(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0;
    let r = if r == 0.0 || !r.is_finite() { 0.0 } else { r };
    let s = format!("{r:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// Text or an attribute value for XML: escaped, and without the characters XML 1.0 forbids.
pub(crate) fn xml(s: &str) -> String {
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

/// The drawing as SVG: laid out, then the legend, the edges, the boxes and the labels.
pub(crate) fn draw(d: &Drawing) -> String {
    let placed = place(d);
    let (lo, hi) = extent(d, &placed);
    let (swatches, legend_w) = legend(d);
    let legend_h = 2.0 * LEGEND_ROW + 8.0;
    let shift = Point::new(MARGIN - lo.x, MARGIN + legend_h - lo.y);
    let width = (hi.x - lo.x + 2.0 * MARGIN).max(legend_w + MARGIN);
    let height = hi.y - lo.y + legend_h + 2.0 * MARGIN;

    let mut out = String::with_capacity(512 * (d.nodes.len() + d.edges.len()) + 2048);
    header(&mut out, &d.title, width, height);
    write_legend(&mut out, &d.title, &swatches);
    // Edges first, so boxes and labels are drawn over them.
    write_edges(&mut out, d, &placed, shift);
    write_boxes(&mut out, d, &placed, shift);
    write_labels(&mut out, d, &placed, shift);
    out.push_str("</svg>\n");
    out
}

/// The drawing's extent (top left, bottom right), to move it below the legend with a margin.
fn extent(d: &Drawing, placed: &Placed) -> (Point, Point) {
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
    (lo, hi)
}

/// The legend's swatches (x, group, text), one per group drawn, and its width.
fn legend(d: &Drawing) -> (Vec<(f64, Group, String)>, f64) {
    let groups: BTreeSet<Group> = d.nodes.iter().map(|(_, g)| *g).collect();
    let title_w = MARGIN + d.title.chars().count() as f64 * 7.3;
    let mut x = MARGIN;
    let mut swatches = Vec::new();
    for g in &groups {
        let text = g.title().to_string();
        let next = x + 22.0 + text.chars().count() as f64 * CHAR_W + 18.0;
        swatches.push((x, *g, text));
        x = next;
    }
    (swatches, title_w.max(x))
}

/// The XML declaration, the `<svg>` element, the arrow heads and the background.
fn header(out: &mut String, title: &str, width: f64, height: f64) {
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"{}\">",
        num(FONT),
        w = num(width),
        h = num(height),
    );
    let _ = writeln!(out, "<title>{}</title>", xml(title));
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
}

/// The legend: the title, then one swatch per group drawn.
fn write_legend(out: &mut String, title: &str, swatches: &[(f64, Group, String)]) {
    out.push_str("<g class=\"legend\">\n");
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" font-size=\"13\" font-weight=\"bold\">{}</text>",
        num(MARGIN),
        num(MARGIN + 10.0),
        xml(title)
    );
    let row = MARGIN + LEGEND_ROW;
    for (x, g, text) in swatches {
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
}

fn write_edges(out: &mut String, d: &Drawing, placed: &Placed, shift: Point) {
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
}

fn write_boxes(out: &mut String, d: &Drawing, placed: &Placed, shift: Point) {
    out.push_str("<g class=\"nodes\">\n");
    for (i, (name, g)) in d.nodes.iter().enumerate() {
        let Some((xy, size)) = placed.boxes[i] else {
            continue;
        };
        let xy = xy.add(shift);
        let _ = writeln!(
            out,
            "<g class=\"node\" data-group=\"{gid}\" data-id=\"{n}\"><title>{n} ({})</title><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"4\" fill=\"{}\" stroke=\"{}\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{n}</text>{}</g>",
            g.title(),
            num(xy.x),
            num(xy.y),
            num(size.x),
            num(size.y),
            g.fill(),
            g.stroke(),
            num(xy.x + size.x / 2.0),
            num(xy.y + NODE_H / 2.0 + FONT * 0.35),
            note_lines(d.notes.get(i), xy.x + size.x / 2.0, xy.y + NODE_H),
            gid = g.id(),
            n = xml(name),
        );
    }
    out.push_str("</g>\n");
}

/// The lines of a box's note, under its name, each a `<text>` of its own.
fn note_lines(note: Option<&Vec<String>>, x: f64, top: f64) -> String {
    let mut out = String::new();
    for (k, line) in note.into_iter().flatten().enumerate() {
        let _ = write!(
            out,
            "<text class=\"note\" x=\"{}\" y=\"{}\" font-size=\"{}\" fill=\"#343a40\" text-anchor=\"middle\">{}</text>",
            num(x),
            num(top + k as f64 * NOTE_LINE + NOTE_FONT * 0.35),
            num(NOTE_FONT),
            xml(line)
        );
    }
    out
}

fn write_labels(out: &mut String, d: &Drawing, placed: &Placed, shift: Point) {
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
    out.push_str("</g>\n");
}
