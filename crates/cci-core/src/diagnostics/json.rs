//! Diagnostics as JSON lines (`--message-format json`, the language server): one object a
//! diagnostic, in the schema of docs/message-format.md. Shown as the human report shows them:
//! secrets masked, control characters escaped.

use super::suggestions::suggestion_json;
use super::{Diagnostic, Diagnostics, Label, Severity, ShownSources};
use crate::span::{Sources, Span};
use serde_json::{json, Value};

/// Renders every diagnostic, sorted, as one JSON object per line.
pub fn render_json(diags: &Diagnostics, sources: &Sources) -> String {
    let shown = ShownSources::new(sources, diags);
    let mut out = String::new();
    for d in diags.sorted() {
        out.push_str(&diagnostic_json(d, sources, &shown).to_string());
        out.push('\n');
    }
    out
}

/// One diagnostic: the primary span's place at the top level (as rustc's `file:line:column`),
/// every span (the primary first) under `spans`.
fn diagnostic_json(d: &Diagnostic, sources: &Sources, shown: &ShownSources) -> Value {
    let file = shown.get(d.primary.span.file);
    let primary = place(d.primary.span, shown);
    let spans: Vec<Value> = std::iter::once((&d.primary, true))
        .chain(d.secondary.iter().map(|l| (l, false)))
        .map(|(l, primary)| span_json(l, primary, shown))
        .collect();
    let line = sources.line_of(d.primary.span);
    let lines = d
        .secondary
        .iter()
        .filter(|l| l.span.file == d.primary.span.file)
        .map(|l| sources.line_of(l.span))
        .fold((line, line), |(a, b), l| (a.min(l), b.max(l)));
    let mut notes = Vec::new();
    if file.masks_lines(lines.0.saturating_sub(1), lines.1 + 1) {
        notes.push("values that look like secrets are shown as `****`".to_string());
    }
    json!({
        "version": crate::display::JSON_VERSION,
        "type": "diagnostic",
        "code": d.code.as_str(),
        "severity": match d.severity { Severity::Error => "error", Severity::Warning => "warning" },
        "message": file.clean_message(&d.message),
        "file": file.name,
        "line": primary.line,
        "column": primary.column,
        "end_line": primary.end_line,
        "end_column": primary.end_column,
        "spans": spans,
        "help": d.help.as_deref().map(|h| file.clean(h)),
        "notes": notes,
        "suggestions": d.suggestions.iter().map(|s| suggestion_json(s, shown)).collect::<Vec<_>>(),
    })
}

fn span_json(l: &Label, primary: bool, shown: &ShownSources) -> Value {
    let file = shown.get(l.span.file);
    place(l.span, shown).json_with(json!({
        "label": (!l.text.is_empty()).then(|| file.clean(&l.text)),
        "primary": primary,
    }))
}

/// Where a span is: 1-based lines, 1-based columns counted in characters (Unicode scalar
/// values), the end just after the last character (rustc's `line_end`/`column_end`); byte
/// offsets from the file's start, the end exclusive.
pub(super) struct Place {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub byte_start: usize,
    pub byte_end: usize,
}

impl Place {
    /// A span of docs/message-format.md (`file`, `line` … `byte_end`), then `more`'s fields.
    pub(super) fn json_with(&self, more: Value) -> Value {
        let mut v = json!({
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "byte_start": self.byte_start,
            "byte_end": self.byte_end,
        });
        if let (Some(v), Value::Object(more)) = (v.as_object_mut(), more) {
            v.extend(more);
        }
        v
    }
}

pub(super) fn place(span: Span, shown: &ShownSources) -> Place {
    let name = shown.get(span.file).name.clone();
    let file = shown.get(span.file).file;
    let len = file.text.len();
    let byte_start = (span.start as usize).min(len);
    let byte_end = (span.end as usize).min(len).max(byte_start);
    let (line, column) = line_column(file, byte_start);
    let (end_line, end_column) = line_column(file, byte_end);
    Place {
        file: name,
        line,
        column,
        end_line,
        end_column,
        byte_start,
        byte_end,
    }
}

/// The 1-based line and character column of a byte offset (inside a character: that
/// character's column).
fn line_column(file: &crate::span::SourceFile, at: usize) -> (usize, usize) {
    let starts = file.line_starts();
    let line = starts.partition_point(|s| *s <= at).max(1);
    let head = &file.text.as_bytes()[starts[line - 1]..at];
    // Characters are counted by their first bytes: no slice of a str on a non-boundary.
    let column = head.iter().filter(|b| (**b & 0xC0) != 0x80).count() + 1;
    (line, column)
}
