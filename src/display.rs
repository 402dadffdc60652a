//! What a diagnostic may show of the input. Source lines reach terminals and CI logs, so:
//! the value of anything that looks like a credential is masked (a passphrase written by
//! mistake, a misspelled `passphrase`, a token, an AWS access key, a PEM block), and control
//! characters (escape sequences, bidirectional overrides) are never replayed. Masking keeps
//! every byte offset, so spans stay valid.

use crate::suggest::similarity;

/// Keys whose values are treated as secrets, by the words they contain.
const SECRET_WORDS: &[&str] = &[
    "pass",
    "secret",
    "token",
    "credential",
    "private",
    "access_key",
    "api_key",
    "apikey",
    "tls_key",
];

/// Whether an attribute's key names a secret: it holds a secret word, or is a misspelling of
/// `passphrase`.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.trim_matches('"').to_ascii_lowercase();
    SECRET_WORDS.iter().any(|w| k.contains(w)) || similarity(&k, "passphrase") >= 0.85
}

/// Byte ranges of `text` to mask: the rest of the line after `KEY =` when the key names a
/// secret (unless the value is the keyword `secret`), AWS access key ids, and PEM blocks.
/// Read from the text, not the syntax tree, so a line that failed to parse is masked too.
pub fn secret_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut line_start = 0;
    let mut in_pem = None;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let trimmed = body.trim_start();
        if trimmed.starts_with("-----BEGIN") {
            in_pem = Some(line_start);
        }
        if let Some(start) = in_pem {
            if trimmed.starts_with("-----END") {
                out.push((start, line_start + body.len()));
                in_pem = None;
            }
        } else if let Some((key, value)) = body.split_once('=') {
            let key = key.split_whitespace().last().unwrap_or("");
            let spaces = value.len() - value.trim_start().len();
            let value_start = line_start + key_end(body) + 1 + spaces;
            let shown = value.split('#').next().unwrap_or("").trim();
            if is_secret_key(key) && !shown.is_empty() && shown != "secret" {
                out.push((value_start, line_start + body.len()));
            }
        }
        out.extend(access_keys(body).map(|(a, b)| (line_start + a, line_start + b)));
        out.extend(url_credentials(body).map(|(a, b)| (line_start + a, line_start + b)));
        line_start += line.len();
    }
    if let Some(start) = in_pem {
        out.push((start, text.len()));
    }
    out
}

/// Offset of the first `=` in a line.
fn key_end(line: &str) -> usize {
    line.find('=').unwrap_or(line.len())
}

/// The `user:password` of URLs written with credentials (`http://user:pw@proxy:3128`).
fn url_credentials(line: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    line.match_indices("://").filter_map(move |(i, _)| {
        let start = i + 3;
        let rest = &line[start..];
        let end = rest
            .find(|c: char| c == '/' || c == '"' || c.is_whitespace())
            .unwrap_or(rest.len());
        rest[..end].rfind('@').map(|at| (start, start + at))
    })
}

/// AWS access key ids (`AKIA` or `ASIA` and 16 upper-case letters or digits) in a line.
fn access_keys(line: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    line.match_indices("AKIA")
        .chain(line.match_indices("ASIA"))
        .map(|(i, _)| i)
        .filter(move |i| {
            let rest = &line.as_bytes()[*i + 4..];
            rest.len() >= 16
                && rest[..16]
                    .iter()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        })
        .map(|i| (i, i + 20))
}

/// The text as a diagnostic shows it: masked ranges as `*`, control characters (other than
/// newline and tab) and bidirectional overrides as `?`, each character replaced by as many
/// bytes as it had.
pub fn shown_text(text: &str, masked: &[(usize, usize)]) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        let hidden = masked.iter().any(|(a, b)| *a <= i && i < *b);
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

/// Characters a terminal would interpret rather than show, and invisible ones (zero-width
/// spaces and joiners, the byte-order mark) that would make `nomad\u{200b}` read as `nomad`.
fn is_unsafe(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\t'))
        || matches!(
            c,
            '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2060}'
                | '\u{feff}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_values_are_found_on_their_line() {
        let text = "site \"a\" {\n  passphrase = \"hunter2\"  # oops\n  pasphrase = \"x1\"\n  passphrase = secret\n  ssh_key = \"ops\"\n  tls_key = \"k9\"\n}\n";
        let shown = shown_text(text, &secret_ranges(text));
        assert!(!shown.contains("hunter2") && !shown.contains("x1") && !shown.contains("k9"));
        assert!(shown.contains("passphrase = secret") && shown.contains("ssh_key = \"ops\""));
        assert_eq!(shown.len(), text.len(), "offsets kept");
    }

    #[test]
    fn access_keys_and_pem_blocks_are_masked() {
        let text = "x = \"AKIAABCDEFGHIJKLMNOP\"\nkey = <<\n-----BEGIN RSA PRIVATE KEY-----\nMIIabc\n-----END RSA PRIVATE KEY-----\nafter = 1\n";
        let shown = shown_text(text, &secret_ranges(text));
        assert!(!shown.contains("AKIAABCDEFGHIJKLMNOP") && !shown.contains("MIIabc"));
        assert!(shown.contains("after = 1"));
    }

    #[test]
    fn credentials_in_urls_are_masked() {
        let text = "https = \"http://ops:hunter2@proxy.internal:3128\"\nhttp = \"http://proxy:3128/a@b\"\n";
        let shown = shown_text(text, &secret_ranges(text));
        assert!(!shown.contains("hunter2") && !shown.contains("ops:"));
        assert!(shown.contains("@proxy.internal:3128") && shown.contains("http://proxy:3128/a@b"));
    }

    #[test]
    fn control_characters_are_never_replayed() {
        let text = "a = \"\u{1b}[2J\u{202e}x\"\n";
        let shown = shown_text(text, &[]);
        assert!(!shown.contains('\u{1b}') && !shown.contains('\u{202e}'));
        assert_eq!(shown.len(), text.len());
        assert_eq!(escaped("bad `\u{1b}[31m`"), "bad `\\u{1b}[31m`");
    }
}
