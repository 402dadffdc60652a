//! What a diagnostic may show of the input. Source lines reach terminals and CI logs, so:
//! the ranges `secrets` finds are masked, and control characters (escape sequences,
//! bidirectional overrides) are never replayed. Masking keeps every byte offset, so spans
//! stay valid.

/// The `version` of every JSON the tool prints (diagnostic records, `plan`, `diff` and
/// `graph` JSON; docs/message-format.md): raised when a field is removed or changes meaning,
/// not when one is added.
pub const JSON_VERSION: u64 = 1;

/// The text as a diagnostic shows it: masked ranges as `*`, control characters (other than
/// newline and tab) and bidirectional overrides as `?`, each character replaced by as many
/// bytes as it had.
pub fn shown_text(text: &str, masked: &[(usize, usize)]) -> String {
    let mut ranges = masked.to_vec();
    ranges.sort_unstable();
    let mut ranges = ranges.into_iter().peekable();
    let mut hidden_until = 0;
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        while let Some((_, b)) = ranges.next_if(|(a, _)| *a <= i) {
            hidden_until = hidden_until.max(b);
        }
        let hidden = i < hidden_until;
        let replacement = if hidden && !matches!(c, '\n' | '\r') {
            Some('*')
        } else if is_unsafe(c) {
            Some('?')
        } else {
            None
        };
        match replacement {
            Some(r) => out.extend(std::iter::repeat_n(r, c.len_utf8())),
            None => out.push(c),
        }
    }
    out
}

/// A message, label or file name as a terminal may print it: unsafe characters escaped.
pub fn escaped(s: &str) -> String {
    if !s.chars().any(is_unsafe) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if is_unsafe(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The longest a value quoted in a message is shown, in characters.
pub const QUOTED_MAX: usize = 60;

/// The longest a quote in a label or help is shown: room for a line of code it proposes.
pub const EXAMPLE_MAX: usize = 200;

/// A value as a message quotes it: whole when short, else its first `QUOTED_MAX` characters
/// and its total size (`abc... (1000000 characters)`), so a long value never floods a log.
pub fn cut(s: &str) -> String {
    cut_to(s, QUOTED_MAX)
}

/// `cut` at `max` characters.
pub fn cut_to(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let head: String = s.chars().take(max).collect();
    format!("{head}... ({n} characters)")
}

/// A message with every value it quotes in backticks cut at `max` characters: whatever a stage put
/// in a message, a value of a million characters is not repeated whole.
pub fn cut_quoted(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let parts: Vec<&str> = s.split('`').collect();
    // An odd index is inside backticks; an unpaired last backtick leaves its text as it is.
    let paired = parts.len() % 2 == 1;
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if i % 2 == 1 && (paired || i + 1 < parts.len()) {
                cut_to(p, max)
            } else {
                (*p).to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("`")
}

/// Characters a terminal would interpret rather than show, and characters that change how
/// text reads without being seen: controls, bidirectional marks and overrides, line and
/// paragraph separators, and Unicode's default-ignorable code points (zero-width spaces and
/// joiners, the soft hyphen, variation selectors, tag characters, the byte-order mark), which
/// would make `nomad\u{200b}` read as `nomad`.
pub fn is_unsafe(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\t'))
        || matches!(
            c,
            '\u{ad}'
                | '\u{34f}'
                | '\u{61c}'
                | '\u{115f}'..='\u{1160}'
                | '\u{17b4}'..='\u{17b5}'
                | '\u{180b}'..='\u{180f}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{3164}'
                | '\u{fe00}'..='\u{fe0f}'
                | '\u{feff}'
                | '\u{ffa0}'
                | '\u{fff0}'..='\u{fffb}'
                | '\u{1bca0}'..='\u{1bca3}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0000}'..='\u{e0fff}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_quoted_in_a_message_are_cut() {
        let long = "a".repeat(100_000);
        let m = cut_quoted(&format!("unknown AWS region `{long}` in `aws`"), QUOTED_MAX);
        assert!(m.len() < 200, "{m}");
        assert!(m.contains("(100000 characters)` in `aws`"), "{m}");
        assert_eq!(cut_quoted("short `x`", QUOTED_MAX), "short `x`");
    }

    #[test]
    fn a_long_value_is_cut_with_its_size_said() {
        assert_eq!(cut("short"), "short");
        let long = "x".repeat(1000);
        let shown = cut(&long);
        assert!(shown.starts_with(&"x".repeat(QUOTED_MAX)));
        assert!(shown.ends_with("... (1000 characters)"), "{shown}");
        assert!(shown.len() < 100);
    }

    #[test]
    fn control_characters_are_never_replayed() {
        let text = "a = \"\u{1b}[2J\u{202e}x\"\n";
        let shown = shown_text(text, &[]);
        assert!(!shown.contains('\u{1b}') && !shown.contains('\u{202e}'));
        assert_eq!(shown.len(), text.len());
        assert_eq!(escaped("bad `\u{1b}[31m`"), "bad `\\u{1b}[31m`");
    }

    #[test]
    fn overlapping_and_unsorted_ranges_are_all_hidden() {
        let text = "abcdefghij";
        assert_eq!(shown_text(text, &[(6, 8), (1, 3), (2, 5)]), "a****f**ij");
    }
}
