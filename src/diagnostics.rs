//! Diagnostics are plain data produced by every stage and rendered once, at the edge
//! (`render`), with miette. A stage never stops at the first problem: it pushes into a
//! [`Diagnostics`] sink and carries on with what it could make of the input.

use crate::codes::Code;
pub use crate::codes::Severity;
use crate::span::{Sources, Span};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};
use std::fmt;

/// One labelled place in the source.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

/// A problem found in the input, with a unique code, where it is, and how to fix it.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    /// Lower-case, no final period; user input in backticks.
    pub message: String,
    pub primary: Label,
    /// Further labels; those in another file than the primary label become notes.
    pub secondary: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            primary: Label {
                span,
                text: String::new(),
            },
            secondary: Vec::new(),
            help: None,
        }
    }

    /// The text under the primary span.
    pub fn label(mut self, text: impl Into<String>) -> Self {
        self.primary.text = text.into();
        self
    }

    pub fn with(mut self, span: Span, text: impl Into<String>) -> Self {
        self.secondary.push(Label {
            span,
            text: text.into(),
        });
        self
    }

    pub fn help(mut self, text: impl Into<String>) -> Self {
        self.help = Some(text.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The sink every stage writes into.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    /// Errors as rendered (identical reports counted once).
    pub fn error_count(&self) -> usize {
        self.sorted().into_iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.sorted().into_iter().filter(|d| !d.is_error()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// Source order (file, then position), errors before warnings at the same place, so
    /// output is stable whatever order the stages found things in.
    pub fn sorted(&self) -> Vec<&Diagnostic> {
        let mut v: Vec<&Diagnostic> = self.items.iter().collect();
        v.sort_by_key(|d| {
            (
                d.primary.span.file,
                d.primary.span.start,
                d.severity,
                d.code.as_str(),
            )
        });
        v.dedup_by(|a, b| a == b);
        v
    }
}

/// How diagnostics are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Unicode art and colours, for a terminal.
    Fancy,
    /// Plain ASCII without colour: stable for snapshots, logs and CI.
    Plain,
}

/// Renders every diagnostic, sorted, as rustc-like text.
pub fn render(diags: &Diagnostics, sources: &Sources, style: Style) -> String {
    let theme = match style {
        Style::Fancy => GraphicalTheme::unicode(),
        Style::Plain => GraphicalTheme::unicode_nocolor(),
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false);
    let mut out = String::new();
    for d in diags.sorted() {
        let report = Rendered::new(d, sources);
        // Writing into a String cannot fail.
        let _ = handler.render_report(&mut out, &report);
    }
    out
}

/// Renders every diagnostic as one JSON object per line, for editors and CI annotations.
pub fn render_json(diags: &Diagnostics, sources: &Sources) -> String {
    let mut out = String::new();
    for d in diags.sorted() {
        let file = sources.get(d.primary.span.file);
        let v = serde_json::json!({
            "code": d.code.as_str(),
            "severity": match d.severity { Severity::Error => "error", Severity::Warning => "warning" },
            "message": d.message,
            "file": file.name,
            "line": sources.line_of(d.primary.span),
            "start": d.primary.span.start,
            "end": d.primary.span.end,
            "label": d.primary.text,
            "help": d.help,
        });
        out.push_str(&v.to_string());
        out.push('\n');
    }
    out
}

/// Adapter from our plain diagnostic to miette's trait.
struct Rendered<'a> {
    diag: &'a Diagnostic,
    source: NamedSource<String>,
    labels: Vec<LabeledSpan>,
    notes: Option<String>,
}

impl<'a> Rendered<'a> {
    fn new(diag: &'a Diagnostic, sources: &Sources) -> Self {
        let file = diag.primary.span.file;
        let src = sources.get(file);
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            non_empty(&diag.primary.text),
            clamp(diag.primary.span, src.text.len()),
        )];
        let mut notes = Vec::new();
        for l in &diag.secondary {
            if l.span.file == file {
                labels.push(LabeledSpan::new_with_span(
                    non_empty(&l.text),
                    clamp(l.span, src.text.len()),
                ));
            } else {
                let other = sources.get(l.span.file);
                notes.push(format!(
                    "{} ({}:{})",
                    l.text,
                    other.name,
                    sources.line_of(l.span)
                ));
            }
        }
        let help = match (&diag.help, notes.is_empty()) {
            (h, true) => h.clone(),
            (Some(h), false) => Some(format!("{h}\nnote: {}", notes.join("\nnote: "))),
            (None, false) => Some(format!("note: {}", notes.join("\nnote: "))),
        };
        Rendered {
            diag,
            source: NamedSource::new(src.name.clone(), src.text.clone()),
            labels,
            notes: help,
        }
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// miette wants a span inside the text; an end-of-file span is pulled back onto the text.
fn clamp(span: Span, len: usize) -> miette::SourceSpan {
    let start = (span.start as usize).min(len);
    let end = (span.end as usize).min(len).max(start);
    (start, end - start).into()
}

impl fmt::Debug for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.diag.fmt(f)
    }
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl std::error::Error for Rendered<'_> {}

impl miette::Diagnostic for Rendered<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diag.code.as_str()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.notes
            .as_ref()
            .map(|h| Box::new(h.as_str()) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}
