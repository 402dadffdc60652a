//! Credential shapes, wherever they are: PEM armour (however many dashes and spaces), runs of
//! key characters (AWS access key ids, AWS secret keys and other long base64 such as a key's
//! body, GitHub tokens), and the user part of an address (`user:password@host`, with or
//! without a scheme). Each finder is one pass over its text.

/// Where the user part of an address may start: after one of these (or the start).
fn delimiter(c: char, in_string: bool) -> bool {
    matches!(c, '"' | '`' | '\'' | '<' | '(' | '[' | ',' | '=') || (!in_string && c.is_whitespace())
}

/// The user part before each `@`: back to the address's `scheme://` or, without one, to a
/// delimiter. Inside a string a space does not end it (`http://ops:pa ss@proxy`), and a `/`
/// or `)` in a password is part of it: better hide a path than show a password.
pub(super) fn userinfo(s: &str, in_string: bool) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let (mut after_delim, mut after_scheme) = (0, None::<usize>);
    let bytes = s.as_bytes();
    for (i, c) in s.char_indices() {
        if delimiter(c, in_string) {
            after_delim = i + c.len_utf8();
            after_scheme = None;
        } else if c == '/' && i >= 2 && &bytes[i - 2..=i] == b"://" {
            after_scheme = Some(i + 1);
        } else if c == '@' {
            let start = after_scheme.unwrap_or(after_delim);
            if start < i {
                out.push((start, i));
            }
        }
    }
    out
}

/// Whether a user part is a credential rather than an e-mail address: it has a password
/// (`user:password`), or it belongs to a URL.
pub(super) fn is_credential_userinfo(s: &str, (a, b): (usize, usize)) -> bool {
    s[a..b].contains(':') || s[..a].ends_with("://")
}

/// Runs of key characters shaped like a credential: an AWS access key id (`AKIA` and 16
/// capitals or digits), 40 or more of base64's characters in mixed case with digits (an AWS
/// secret access key, a line of a key's body), a GitHub token (`ghp_…`, `github_pat_…`).
pub(super) fn key_runs(s: &str) -> Vec<(usize, usize)> {
    let key_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '/' | '+' | '_' | '=');
    let mut found = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices().chain(std::iter::once((s.len(), ' '))) {
        match (key_char(c), start) {
            (true, None) => start = Some(i),
            (false, Some(a)) => {
                run_shapes(s, a, i, &mut found);
                start = None;
            }
            _ => {}
        }
    }
    found
}

fn run_shapes(s: &str, a: usize, b: usize, found: &mut Vec<(usize, usize)>) {
    const KEY_IDS: [&str; 7] = ["AKIA", "ASIA", "AIDA", "AROA", "AGPA", "ANPA", "APKA"];
    let run = &s[a..b];
    let mut i = 0;
    while i + 20 <= run.len() {
        let id = &run.as_bytes()[i..i + 20];
        let is_id = KEY_IDS.iter().any(|p| id.starts_with(p.as_bytes()))
            && id
                .iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if is_id {
            found.push((a + i, a + i + 20));
            i += 20;
        } else {
            i += 1;
        }
    }
    let bytes = run.as_bytes();
    let base64 = run.len() >= 40
        && !run.contains('_')
        && bytes.iter().any(u8::is_ascii_uppercase)
        && bytes.iter().any(u8::is_ascii_lowercase)
        && bytes.iter().any(u8::is_ascii_digit);
    let github = ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"]
        .iter()
        .any(|p| run.starts_with(p) && run.len() >= p.len() + 20);
    if base64 || github {
        found.push((a, b));
    }
}

/// From a line of PEM armour (`-----BEGIN …`, or with three dashes or more and spaces) to the
/// end of its `END` armour, or of the text when there is none.
pub(super) fn pem_blocks(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = armour(text, from, "BEGIN") {
        let begin = found.0;
        let end = match armour(text, found.1, "END") {
            // The END line's closing dashes, or its end.
            Some((_, after)) => text[after..].find('\n').map_or(text.len(), |n| after + n),
            None => text.len(),
        };
        out.push((begin, end));
        from = end.max(begin + 1);
    }
    out
}

/// The next `word` (from `from`) preceded by three dashes or more and optional spaces: the
/// start of the dashes and the end of the word.
fn armour(text: &str, from: usize, word: &str) -> Option<(usize, usize)> {
    let mut at = from;
    while let Some(i) = text.get(at..)?.find(word) {
        let w = at + i;
        let before = text[..w].trim_end_matches(' ');
        let dashes = before.len() - before.trim_end_matches('-').len();
        if dashes >= 3 {
            return Some((before.len() - dashes, w + word.len()));
        }
        at = w + word.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_with_and_without_scheme() {
        let s = "\"http://ops:Leak/1)x@proxy\" mail ops@x.com path http://h/a@b";
        let found: Vec<&str> = userinfo(s, false).iter().map(|(a, b)| &s[*a..*b]).collect();
        assert_eq!(found, vec!["ops:Leak/1)x", "ops", "h/a"]);
        let s = "http://ops:pa ss@proxy";
        assert_eq!(userinfo(s, true), vec![(7, 16)]);
    }

    #[test]
    fn armour_of_any_width() {
        for pem in [
            "-----BEGIN RSA PRIVATE KEY-----\nMII\n-----END RSA PRIVATE KEY-----",
            "----BEGIN X----\nMII\n----END X----",
            "----- BEGIN X -----\nMII\n----- END X -----",
        ] {
            let t = format!("a = \"{pem}\"\nb = 1\n");
            let found = pem_blocks(&t);
            assert_eq!(found.len(), 1, "{pem}");
            let hidden = &t[found[0].0..found[0].1];
            assert!(
                hidden.contains("MII") && !hidden.contains("b = 1"),
                "{hidden}"
            );
        }
    }
}
