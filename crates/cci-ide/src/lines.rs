//! LSP positions (zero-based lines, UTF-16 columns) and byte offsets, through an index of
//! where each line starts: a lookup is a binary search and a walk along one line, so a
//! 5,000-line document's diagnostics are placed without rescanning the text for each.

use lsp_types::{Position, Range, TextDocumentContentChangeEvent};

/// Where each line of a text starts.
#[derive(Clone, Debug)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// The position of a byte offset (clamped to the text, and down to a character boundary).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let character: usize = text[start..offset].chars().map(char::len_utf16).sum();
        Position::new(to_u32(line), to_u32(character))
    }

    /// The byte offset of a position: clamped to the end of its line, and to the text.
    pub fn offset(&self, text: &str, p: Position) -> usize {
        let Some(&start) = self.starts.get(p.line as usize) else {
            return text.len();
        };
        let mut units = 0;
        for (i, c) in text[start..].char_indices() {
            if units >= p.character as usize || c == '\n' {
                return start + i;
            }
            units += c.len_utf16();
        }
        text.len()
    }

    /// The byte offset where a line starts; `None` past the last line.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.starts.get(line).copied()
    }

    pub fn range(&self, text: &str, start: usize, end: usize) -> Range {
        Range::new(
            self.position(text, start),
            self.position(text, end.max(start)),
        )
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

pub(super) fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A document after a client's changes: a change with a range replaces that range, one
/// without replaces the whole text (the server asks for whole texts; a client that sends
/// ranges anyway is followed too).
pub fn apply_changes(text: &mut String, changes: &[TextDocumentContentChangeEvent]) {
    for change in changes {
        match change.range {
            None => change.text.clone_into(text),
            Some(r) => {
                let lines = LineIndex::new(text);
                let start = lines.offset(text, r.start);
                let end = lines.offset(text, r.end).max(start);
                text.replace_range(start..end, &change.text);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_and_round_trip() {
        let text = "a = \"é😀\"\nb = 1\n";
        let lines = LineIndex::new(text);
        assert_eq!(lines.position(text, 0), Position::new(0, 0));
        let b = text.find('b').unwrap();
        assert_eq!(lines.position(text, b), Position::new(1, 0));
        let after = text.find('😀').unwrap() + '😀'.len_utf8();
        assert_eq!(lines.position(text, after), Position::new(0, 8));
        // Inside the emoji: its start.
        assert_eq!(lines.position(text, after - 1), Position::new(0, 6));
        assert_eq!(lines.offset(text, Position::new(0, 8)), after);
        assert_eq!(lines.offset(text, Position::new(1, 0)), b);
        assert_eq!(lines.offset(text, Position::new(0, 99)), b - 1);
        assert_eq!(lines.offset(text, Position::new(9, 9)), text.len());
        assert_eq!(lines.position(text, text.len()), Position::new(2, 0));
    }

    #[test]
    fn ranged_changes_apply_in_order() {
        let mut text = String::from("fleet a {\n  count = 1\n}\n");
        let change = |l0, c0, l1, c1, t: &str| TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(l0, c0), Position::new(l1, c1))),
            range_length: None,
            text: t.into(),
        };
        apply_changes(
            &mut text,
            &[change(1, 10, 1, 11, "1..5"), change(0, 6, 0, 7, "é")],
        );
        assert_eq!(text, "fleet é {\n  count = 1..5\n}\n");
        let whole = TextDocumentContentChangeEvent {
            range: None,
            range_length: None,
            text: "x".into(),
        };
        apply_changes(&mut text, &[whole]);
        assert_eq!(text, "x");
    }
}
