//! The edits a diagnostic may carry (as rustc's JSON does), and how the JSON and the human
//! report show them. `check --fix` and the language server apply the machine-applicable ones.

use super::{Diagnostic, Shown, ShownSources};
use crate::display::escaped;
use crate::span::Span;

/// How sure a suggestion is: `check --fix` and the language server's quick fixes apply only
/// the machine-applicable ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applicability {
    /// Certainly what was meant, and the result compiles past this diagnostic.
    MachineApplicable,
    /// A plausible fix a person should choose (an instance type, for instance).
    MaybeIncorrect,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::MachineApplicable => "MachineApplicable",
            Applicability::MaybeIncorrect => "MaybeIncorrect",
        }
    }
}

/// One edit: replace the text under `span` with `replacement`.
#[derive(Clone, Debug, PartialEq)]
pub struct Suggestion {
    pub span: Span,
    pub replacement: String,
    pub applicability: Applicability,
    /// What the edit does, lower-case ("write the unit").
    pub message: String,
}

impl Diagnostic {
    /// A certain fix: replace `span`'s text with `replacement`.
    pub fn fix(
        self,
        span: Span,
        replacement: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        self.suggest(span, replacement, message, Applicability::MachineApplicable)
    }

    /// A plausible fix a person should confirm.
    pub fn maybe_fix(
        self,
        span: Span,
        replacement: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        self.suggest(span, replacement, message, Applicability::MaybeIncorrect)
    }

    fn suggest(
        mut self,
        span: Span,
        replacement: impl Into<String>,
        message: impl Into<String>,
        applicability: Applicability,
    ) -> Self {
        self.suggestions.push(Suggestion {
            span,
            replacement: replacement.into(),
            applicability,
            message: message.into(),
        });
        self
    }
}

/// One suggestion as JSON: where (as a span of docs/message-format.md), the replacement and
/// how sure it is.
pub(super) fn suggestion_json(s: &Suggestion, shown: &ShownSources) -> serde_json::Value {
    let file = shown.get(s.span.file);
    super::json::place(s.span, shown).json_with(serde_json::json!({
        "replacement": escaped(&file.masked(&s.replacement)),
        "applicability": s.applicability.as_str(),
        "message": file.clean(&s.message),
    }))
}

/// A suggestion as the human report shows it, under the help: `fix: replace `a` with `b``
/// (`check --fix` applies these) or `possible fix: ...` (a person chooses).
pub(super) fn suggestion_line(s: &Suggestion, file: &Shown) -> String {
    let start = (s.span.start as usize).min(file.text.len());
    let end = (s.span.end as usize).min(file.text.len()).max(start);
    let old = file.text.get(start..end).unwrap_or_default();
    let (old, new) = (
        crate::display::cut(&file.clean(old)),
        crate::display::cut(&file.clean(&s.replacement)),
    );
    let what = match (old.is_empty(), new.is_empty()) {
        (true, _) => format!("insert `{new}`"),
        (false, true) => format!("remove `{old}`"),
        (false, false) => format!("replace `{old}` with `{new}`"),
    };
    let kind = match s.applicability {
        Applicability::MachineApplicable => "fix",
        Applicability::MaybeIncorrect => "possible fix",
    };
    // A message that only says the replacement again ("write `x`") is not repeated.
    if s.message.is_empty() || s.message == format!("write `{}`", s.replacement) {
        format!("{kind}: {what}")
    } else {
        format!("{kind}: {what} ({})", file.clean(&s.message))
    }
}

impl Diagnostic {
    /// The help for an unknown `name` written at `span`: "did you mean `x`?" with the edit that
    /// writes `x` there when a close candidate exists, else `otherwise()`.
    pub fn help_name<'a>(
        self,
        name: &str,
        span: Span,
        candidates: impl IntoIterator<Item = &'a str>,
        otherwise: impl FnOnce() -> String,
    ) -> Self {
        match crate::suggest::closest(name, candidates) {
            Some(c) => {
                self.help(format!("did you mean `{c}`?"))
                    .fix(span, c, format!("write `{c}`"))
            }
            None => self.help(otherwise()),
        }
    }
}
