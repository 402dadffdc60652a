//! Applying the machine-applicable suggestions of a file's diagnostics (`cci-dsl check --fix`,
//! the fix test). Edits are taken in source order, an edit overlapping one already taken is
//! left for a person, and they are applied from the end so earlier offsets stay valid.

use crate::diagnostics::{Applicability, Diagnostic, Diagnostics, Suggestion};
use crate::span::FileId;

/// What applying the fixes did to one file.
#[derive(Debug, Default)]
pub struct Fixed {
    /// The file with the edits applied.
    pub text: String,
    /// The edits applied, in source order, with the diagnostic each fixes.
    pub applied: Vec<(Diagnostic, Suggestion)>,
}

/// The machine-applicable suggestions into `file`, in source order, at most one per
/// diagnostic (the first) and none overlapping an earlier one.
pub fn machine_applicable(diags: &Diagnostics, file: FileId) -> Vec<(Diagnostic, Suggestion)> {
    let mut all: Vec<(Diagnostic, Suggestion)> = diags
        .sorted()
        .into_iter()
        .filter_map(|d| {
            let s = d.suggestions.iter().find(|s| {
                s.applicability == Applicability::MachineApplicable && s.span.file == file
            })?;
            Some((d.clone(), s.clone()))
        })
        .collect();
    all.sort_by_key(|(_, s)| (s.span.start, s.span.end));
    all.dedup_by(|a, b| a.1.span == b.1.span && a.1.replacement == b.1.replacement);
    let mut taken: Vec<(Diagnostic, Suggestion)> = Vec::new();
    for (d, s) in all {
        let overlaps = taken.last().is_some_and(|(_, t)| {
            s.span.start < t.span.end || (s.span.start == t.span.start && s.span.is_empty())
        });
        if !overlaps {
            taken.push((d, s));
        }
    }
    taken
}

/// `text` with `edits` (sorted, not overlapping) applied from the end.
pub fn apply(text: &str, edits: &[Suggestion]) -> String {
    let mut out = text.to_string();
    for s in edits.iter().rev() {
        let (a, b) = (s.span.start as usize, s.span.end as usize);
        if a <= b && b <= out.len() && out.is_char_boundary(a) && out.is_char_boundary(b) {
            out.replace_range(a..b, &s.replacement);
        }
    }
    out
}

/// Every machine-applicable fix of `diags` into `file` applied to `text`.
pub fn fix(text: &str, file: FileId, diags: &Diagnostics) -> Fixed {
    let applied = machine_applicable(diags, file);
    let edits: Vec<Suggestion> = applied.iter().map(|(_, s)| s.clone()).collect();
    Fixed {
        text: apply(text, &edits),
        applied,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::Code;
    use crate::span::{Sources, Span};

    #[test]
    fn edits_apply_from_the_end_and_overlapping_ones_are_left() {
        let mut sources = Sources::default();
        let f = sources.add("s.cci", "abc def ghi");
        let mut diags = Diagnostics::default();
        let at = |a, b| Span::new(f, a, b);
        // Any code will do; named by its text, as the code table's test reads `Code::` uses.
        let code = Code::parse("E0202").unwrap();
        diags.push(Diagnostic::new(code, at(0, 3), "a").fix(at(0, 3), "ABCD", "x"));
        diags.push(Diagnostic::new(code, at(8, 11), "c").fix(at(8, 11), "", "x"));
        diags.push(Diagnostic::new(code, at(1, 5), "o").fix(at(1, 5), "zz", "x"));
        diags.push(Diagnostic::new(code, at(4, 7), "m").maybe_fix(at(4, 7), "?", "x"));
        let fixed = fix(&sources.get(f).text, f, &diags);
        assert_eq!(fixed.text, "ABCD def ");
        assert_eq!(fixed.applied.len(), 2);
    }
}
