//! Diagnostics are plain data produced by every stage and rendered once, at the edge
//! (`render`), with miette. A stage never stops at the first problem: it pushes into a
//! [`Diagnostics`] sink and carries on with what it could make of the input.

use crate::codes::Code;
pub use crate::codes::Severity;
use crate::display::{escaped, shown_text};
use crate::secrets::{secret_ranges_and_values, shaped_ranges};
use crate::span::SourceFile;
use crate::span::{Sources, Span};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteSpanContents, SourceCode};
use std::collections::BTreeMap;
use std::fmt;

mod json;
mod suggestions;
pub use json::render_json;
use suggestions::suggestion_line;
pub use suggestions::{Applicability, Suggestion};

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
    /// Edits that fix the problem, as rustc's JSON carries them.
    pub suggestions: Vec<Suggestion>,
}

impl Diagnostic {
    /// The one constructor: the severity is the code's (W-codes warn, E-codes stop the build).
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Self {
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
            suggestions: Vec::new(),
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
    /// ASCII without colour (`--color never`, not a terminal): stable for snapshots, logs
    /// and CI.
    Plain,
}

/// Renders every diagnostic, sorted, as rustc-like text. What looks like a secret is masked
/// and control characters are not replayed (`display`).
pub fn render(diags: &Diagnostics, sources: &Sources, style: Style) -> String {
    let theme = match style {
        Style::Fancy => GraphicalTheme::unicode(),
        // miette's `none`: ASCII frames, no colour.
        Style::Plain => GraphicalTheme::none(),
    };
    // Lines break at spaces only: textwrap's default (Unicode's rules) breaks after `/` and
    // at `-`, splitting `8800/tcp` and `64535-65535` over two lines.
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false)
        .with_word_separator(textwrap::WordSeparator::AsciiSpace)
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation);
    let shown = ShownSources::new(sources, diags);
    let mut out = String::new();
    for (i, d) in diags.sorted().into_iter().enumerate() {
        let report = Rendered::new(d, sources, &shown);
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&headline(d, &report.message, style));
        let mut body = String::new();
        // Writing into a String cannot fail.
        let _ = handler.render_report(&mut body, &report);
        // miette's first line is its own headline, for an empty message (`Rendered` has no
        // code and displays as nothing): the frame and the help follow it.
        out.push_str(body.split_once('\n').map_or("", |(_, rest)| rest));
    }
    out
}

/// rustc's first line, `error[E0207]: message`, unwrapped, so a CI log is grepped for it;
/// in colour, the severity and code in the severity's colour and the message bold.
fn headline(d: &Diagnostic, message: &str, style: Style) -> String {
    let (word, colour) = match d.severity {
        Severity::Error => ("error", "31"),
        Severity::Warning => ("warning", "33"),
    };
    let code = d.code.as_str();
    match style {
        Style::Plain => format!("{word}[{code}]: {message}\n"),
        Style::Fancy => format!("\x1b[1;{colour}m{word}[{code}]\x1b[0m\x1b[1m: {message}\x1b[0m\n"),
    }
}

/// The sources as diagnostics show them, made once for each file a diagnostic points into.
struct ShownSources<'s> {
    files: BTreeMap<crate::span::FileId, Shown<'s>>,
}

impl<'s> ShownSources<'s> {
    fn new(sources: &'s Sources, diags: &Diagnostics) -> Self {
        let mut files = BTreeMap::new();
        for d in diags.iter() {
            let spans = std::iter::once(&d.primary)
                .chain(&d.secondary)
                .map(|l| l.span)
                .chain(d.suggestions.iter().map(|s| s.span));
            for span in spans {
                files
                    .entry(span.file)
                    .or_insert_with(|| Shown::new(sources.get(span.file)));
            }
        }
        ShownSources { files }
    }

    fn get(&self, id: crate::span::FileId) -> &Shown<'s> {
        &self.files[&id]
    }
}

/// One source file as shown: secrets masked, control characters replaced, offsets kept.
struct Shown<'s> {
    file: &'s SourceFile,
    name: String,
    text: String,
    masked: Vec<(usize, usize)>,
    /// The masked values themselves, scrubbed from messages too.
    secrets: Vec<String>,
}

impl<'s> Shown<'s> {
    fn new(file: &'s SourceFile) -> Self {
        let (masked, secrets) = secret_ranges_and_values(&file.text);
        Shown {
            file,
            name: escaped(&file.name),
            text: shown_text(&file.text, &masked),
            masked,
            secrets,
        }
    }

    /// A message, label or help as printed: no value the source hides, nothing shaped like a
    /// credential, no control character.
    fn clean(&self, s: &str) -> String {
        self.clean_to(s, crate::display::EXAMPLE_MAX)
    }

    /// A message as printed: `clean`, its quoted values cut shorter.
    fn clean_message(&self, s: &str) -> String {
        self.clean_to(s, crate::display::QUOTED_MAX)
    }

    fn clean_to(&self, s: &str, max: usize) -> String {
        // Cut after masking, so no part of a secret is left by the cut.
        escaped(&crate::display::cut_quoted(&self.masked(s), max))
    }

    /// `s` with what the source hides and what is shaped like a credential masked, whole.
    fn masked(&self, s: &str) -> String {
        let mut out = s.to_string();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), "****");
            }
        }
        for (a, b) in shaped_ranges(&out).into_iter().rev() {
            if out.is_char_boundary(a) && out.is_char_boundary(b) && a <= b {
                out.replace_range(a..b, "****");
            }
        }
        out
    }

    /// The length in bytes of the longest of the lines from `first` to `last` (1-based).
    fn longest_line(&self, first: usize, last: usize) -> usize {
        let starts = self.file.line_starts();
        let end = |i: usize| starts.get(i).copied().unwrap_or(self.text.len());
        (first.max(1)..=last.min(starts.len()))
            .map(|l| end(l) - starts[l - 1])
            .max()
            .unwrap_or(0)
    }

    /// Whether a masked range lies on the lines from `first` to `last` (1-based).
    fn masks_lines(&self, first: usize, last: usize) -> bool {
        let starts = self.file.line_starts();
        let line = |at: usize| starts.partition_point(|s| *s <= at);
        self.masked
            .iter()
            .any(|(a, b)| line(*a) <= last && line(b.saturating_sub(1)) >= first)
    }
}

/// Adapter from our plain diagnostic to miette's trait.
struct Rendered<'a> {
    diag: &'a Diagnostic,
    message: String,
    source: Excerpt<'a>,
    labels: Vec<LabeledSpan>,
    notes: Option<String>,
}

impl<'a> Rendered<'a> {
    fn new(diag: &'a Diagnostic, sources: &Sources, shown: &'a ShownSources) -> Self {
        let file = diag.primary.span.file;
        let mut notes = Vec::new();
        for l in diag.secondary.iter().filter(|l| l.span.file != file) {
            let other = shown.get(l.span.file);
            notes.push(format!(
                "{} ({}:{})",
                other.clean(&l.text),
                other.name,
                sources.line_of(l.span)
            ));
        }
        let src = shown.get(file);
        let clamp = |span| clamp(span, &src.text, src.file.line_starts());
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            non_empty(&src.clean(&diag.primary.text)),
            clamp(diag.primary.span),
        )];
        let mut lines = (
            sources.line_of(diag.primary.span),
            sources.line_of(diag.primary.span),
        );
        for l in diag.secondary.iter().filter(|l| l.span.file == file) {
            labels.push(LabeledSpan::new_with_span(
                non_empty(&src.clean(&l.text)),
                clamp(l.span),
            ));
            let line = sources.line_of(l.span);
            lines = (lines.0.min(line), lines.1.max(line));
        }
        // Say so when the excerpt hides a value (one line of context either side).
        if src.masks_lines(lines.0.saturating_sub(1), lines.1 + 1) {
            notes.push("values that look like secrets are shown as `****`".into());
        }
        // A line too long to print (a value of a million characters) is not printed: the
        // place is said instead.
        let longest = src.longest_line(lines.0.saturating_sub(1), lines.1 + 1);
        if longest > LONGEST_SHOWN_LINE {
            labels.clear();
            notes.push(format!(
                "at {}:{} (a line of {longest} characters, not shown)",
                src.name, lines.0
            ));
        }
        let mut help = diag.help.as_deref().map(|h| src.clean(h));
        for s in &diag.suggestions {
            let line = suggestion_line(s, shown.get(s.span.file));
            help = Some(match help {
                Some(h) => format!("{h}\n{line}"),
                None => line,
            });
        }
        let help = match (help, notes.is_empty()) {
            (h, true) => h,
            (Some(h), false) => Some(format!("{h}\nnote: {}", notes.join("\nnote: "))),
            (None, false) => Some(format!("note: {}", notes.join("\nnote: "))),
        };
        Rendered {
            diag,
            message: src.clean_message(&diag.message),
            source: Excerpt {
                name: &src.name,
                text: &src.text,
                line_starts: src.file.line_starts(),
            },
            labels,
            notes: help,
        }
    }
}

/// A shown source that miette reads around a span without scanning the file from its start
/// (so rendering many diagnostics of a large file stays linear).
struct Excerpt<'a> {
    name: &'a str,
    text: &'a str,
    line_starts: &'a [usize],
}

impl SourceCode for Excerpt<'_> {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let line = |at: usize| self.line_starts.partition_point(|s| *s <= at) - 1;
        let first = line(span.offset()).saturating_sub(before + 1);
        let last = line(span.offset() + span.len()) + after + 2;
        let start = self.line_starts[first];
        let end = self
            .line_starts
            .get(last)
            .copied()
            .unwrap_or(self.text.len());
        let window = &self.text.as_bytes()[start..end];
        let inner: miette::SourceSpan = (span.offset() - start, span.len()).into();
        let c = window.read_span(&inner, before, after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.to_string(),
            c.data(),
            (c.span().offset() + start, c.span().len()).into(),
            c.line() + first,
            c.column(),
            c.line_count() + first,
        )))
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// The longest source line a report prints; a longer one is named, not shown.
const LONGEST_SHOWN_LINE: usize = 1000;

/// miette wants a span inside the text; an end-of-file span is pulled back onto the text.
/// A span over more than `FRAMED_LINES` lines (a whole block) is cut to its first line, the
/// block's head: the frame would otherwise print the block, and a block of ten thousand
/// lines once for each of its mistakes.
fn clamp(span: Span, text: &str, line_starts: &[usize]) -> miette::SourceSpan {
    const FRAMED_LINES: usize = 8;
    let len = text.len();
    let start = (span.start as usize).min(len);
    let mut end = (span.end as usize).min(len).max(start);
    let line = |at: usize| line_starts.partition_point(|s| *s <= at);
    if line(end) - line(start) >= FRAMED_LINES {
        let next_line = line_starts.get(line(start)).copied().unwrap_or(len);
        end = next_line.saturating_sub(1).max(start);
    }
    (start, end - start).into()
}

impl fmt::Debug for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.diag.fmt(f)
    }
}

/// Nothing: the message is in the headline `render` writes (miette would wrap it under its
/// severity icon, and print the code on a line of its own).
impl fmt::Display for Rendered<'_> {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        Ok(())
    }
}

impl std::error::Error for Rendered<'_> {}

impl miette::Diagnostic for Rendered<'_> {
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
        // No label: no excerpt (its line is too long to print).
        (!self.labels.is_empty()).then_some(&self.source as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

#[cfg(test)]
mod tests;
