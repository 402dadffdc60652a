//! Syntax errors: where they are, what was expected and found, and the diagnostic they
//! become.

use super::*;

/// A syntax error, positioned by how much input was left when it happened.
#[derive(Clone, Debug)]
pub(super) struct PErr {
    /// Remaining input length at the error; the offset is `src.len() - rest`.
    pub(super) rest: usize,
    /// Length of the offending text (at least 1 for the caret).
    pub(super) len: usize,
    pub(super) code: Code,
    pub(super) message: String,
    pub(super) label: String,
    pub(super) help: Option<String>,
    /// A second place worth pointing at (the `{` of an unclosed block).
    pub(super) also: Option<(usize, usize, String)>,
    /// Parsing resumes at the error itself (it is the start of the next item).
    pub(super) resume_here: bool,
}

impl Parser<'_> {
    pub(super) fn pos_of(&self, e: &PErr) -> usize {
        self.src.len() - e.rest
    }

    pub(super) fn err(&self, at: &str, len: usize, code: Code, message: impl Into<String>) -> PErr {
        PErr {
            rest: at.len(),
            len: len.max(1),
            code,
            message: message.into(),
            label: String::new(),
            help: None,
            also: None,
            resume_here: false,
        }
    }

    /// "expected X, found Y" at the start of `at`.
    pub(super) fn expected(&self, at: &str, what: &str) -> PErr {
        let found = describe_next(at);
        let len = next_token_len(at);
        // At the end of the file, point just after the last token rather than at nothing.
        let at = if at.is_empty() {
            let end = self.src.trim_end().len();
            &self.src[end..]
        } else {
            at
        };
        let mut e = self.err(
            at,
            len,
            Code::E0101,
            format!("expected {what}, found {found}"),
        );
        e.label = format!("expected {what}");
        e
    }

    pub(super) fn to_diagnostic(&self, e: &PErr) -> Diagnostic {
        let start = self.pos_of(e);
        let end = (start + e.len).min(self.src.len());
        let mut d = Diagnostic::error(e.code, Span::new(self.file, start, end), &e.message)
            .label(e.label.clone());
        if let Some((s, l, t)) = &e.also {
            d = d.with(Span::new(self.file, *s, s + l), t.clone());
        }
        // Every diagnostic offers a way out; a syntax error without a specific one gets the
        // shapes the language is made of.
        d.help(e.help.clone().unwrap_or_else(|| {
            "blocks read `kind name { key = value }`, rules `allow tcp 443 from users to services \"purpose\"`".to_string()
        }))
    }
}

/// A short description of what is at `i`, for "found ...".
fn describe_next(i: &str) -> String {
    match i.chars().next() {
        None => "the end of the file".into(),
        Some('\n') | Some('\r') => "the end of the line".into(),
        Some(c) if c.is_ascii_alphanumeric() || c == '_' => {
            let w: String = i
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/'))
                .collect();
            format!("`{w}`")
        }
        Some(c) => format!("`{c}`"),
    }
}

fn next_token_len(i: &str) -> usize {
    match i.chars().next() {
        None => 0,
        Some(c) if c.is_ascii_alphanumeric() || c == '_' => i
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/'))
            .count(),
        Some(c) => c.len_utf8(),
    }
}
