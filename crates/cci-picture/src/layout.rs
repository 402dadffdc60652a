//! Where layout-rs puts a drawing's boxes, edges and labels: it is given the boxes' sizes
//! (monospace text, so a label's width is known without measuring fonts), records what it
//! places through its `RenderBackend` trait, and each label is then put on its edge's line and
//! off the other labels.

use crate::Drawing;
use layout::core::base::Orientation;
use layout::core::color::Color;
use layout::core::format::{ClipHandle, RenderBackend};
use layout::core::geometry::{Point, Position};
use layout::core::style::{LineStyleKind, StyleAttr};
use layout::std_shapes::shapes::{Arrow, Element, LineEndKind, ShapeKind};
use layout::topo::layout::VisualGraph;

/// Box text: 11 px monospace, about 0.6 em a character.
pub(crate) const FONT: f64 = 11.0;
pub(crate) const CHAR_W: f64 = 6.7;
const PAD_X: f64 = 10.0;
pub(crate) const NODE_H: f64 = 24.0;
/// A note's line under a box's name (an actor's ranges): 10 px, this much lower each.
pub(crate) const NOTE_FONT: f64 = 10.0;
pub(crate) const NOTE_LINE: f64 = 13.0;
/// Room the layout keeps around each box (layout-rs's default, 60, spreads a rank of 40
/// security-group rules over 6,000 pixels).
const HALO: f64 = 14.0;
/// Edge labels: 10 px monospace; the layout sizes them at `LABEL_CHAR_W` a character.
pub(crate) const LABEL_FONT: f64 = 10.0;
const LABEL_CHAR_W: usize = 6;
/// layout-rs's crossing reduction costs about the cube of a rank's width, 50 rounds over:
/// beyond this many nodes, edges and labels (each label is a node of the layout) it is
/// skipped, and the nodes keep the order layout-rs ranks them in. Every example is below it
/// (the largest, `externalized.cci`, is 350); a site with 200 rules of its own is above.
const OPTIMIZE_UP_TO: usize = 500;

/// An edge's curve as layout-rs gives it (`(point, control)` pairs), and its arrow heads
/// (start, end).
type Curve = (Vec<(Point, Point)>, (bool, bool));

/// Where the layout put a drawing's parts.
#[derive(Debug, Default)]
pub(crate) struct Placed {
    /// Top-left corner and size of each node's box.
    pub(crate) boxes: Vec<Option<(Point, Point)>>,
    pub(crate) paths: Vec<Option<Curve>>,
    /// The centre of each edge's label.
    pub(crate) labels: Vec<Option<Point>>,
}

/// The text the layout carries for edge `j`'s label: as many characters as the label (the
/// layout sizes the label by them), in the private-use area, so the backend can tell which
/// edge a label belongs to whatever order layout-rs draws them in.
pub(crate) fn label_key(j: usize, chars: usize) -> String {
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

pub(crate) fn label_index(key: &str) -> Option<usize> {
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

/// A box's size: its name, and the lines of its note under it.
fn node_size(name: &str, note: &[String]) -> Point {
    let widest = note
        .iter()
        .map(|l| l.chars().count() as f64 * NOTE_FONT * 0.6)
        .fold(name.chars().count() as f64 * CHAR_W, f64::max);
    Point::new(widest + 2.0 * PAD_X, NODE_H + note.len() as f64 * NOTE_LINE)
}

pub(crate) fn label_size(label: &str) -> Point {
    Point::new(
        label.chars().count() as f64 * LABEL_FONT * 0.6 + 8.0,
        LABEL_FONT + 6.0,
    )
}

pub(crate) fn place(d: &Drawing) -> Placed {
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
            let size = node_size(name, d.notes.get(i).map_or(&[][..], Vec::as_slice));
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
