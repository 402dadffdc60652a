//! "did you mean" for unknown names.

/// The closest candidate, if one is close enough to be a plausible typo. Only candidates of
/// about the same length can score high enough, so only they are compared, and at most
/// `COMPARED` of the first `SCANNED` (in the caller's order): in a site with thousands of
/// fleets, thousands of unknown names must not cost thousands of comparisons each.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    const SCANNED: usize = 4096;
    const COMPARED: usize = 512;
    let len = name.len();
    candidates
        .into_iter()
        .take(SCANNED)
        .filter(|c| c.len() + 3 >= len && c.len() <= len + 3)
        .take(COMPARED)
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

/// `Some("did you mean `x`?")` when a close candidate exists.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

impl crate::diagnostics::Diagnostic {
    /// The help for an unknown `name` written at `span`: "did you mean `x`?" with the edit that
    /// writes `x` there when a close candidate exists, else `otherwise()`.
    pub fn help_name<'a>(
        self,
        name: &str,
        span: crate::span::Span,
        candidates: impl IntoIterator<Item = &'a str>,
        otherwise: impl FnOnce() -> String,
    ) -> Self {
        match closest(name, candidates) {
            Some(c) => {
                self.help(format!("did you mean `{c}`?"))
                    .fix(span, c, format!("write `{c}`"))
            }
            None => self.help(otherwise()),
        }
    }
}

/// How alike two names are, 0 to 1 (Jaro-Winkler).
pub fn similarity(a: &str, b: &str) -> f64 {
    strsim::jaro_winkler(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_finds_its_name_and_a_stranger_finds_none() {
        let names = ["services", "nomad", "admins", "users"];
        assert_eq!(closest("nomda", names), Some("nomad"));
        assert_eq!(closest("admin", names), Some("admins"));
        assert_eq!(closest("postgres", names), None);
    }

    #[test]
    fn names_of_another_length_are_not_compared() {
        // "nomad-clients" is a prefix match Jaro-Winkler would rate highly; five letters
        // longer, it is not a typo of "nomad".
        assert_eq!(closest("nomad", ["nomad-clients"]), None);
    }
}
