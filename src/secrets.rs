//! What looks like a secret in a text, found by its structure: the value that follows a
//! secret-named key (`passphrase`, `db_pw`, a misspelling of either) whatever the layout — on
//! the next line, after `:`, after another attribute on the same line —, anything shaped like
//! a credential wherever it is (a PEM block, an AWS access key id or secret key, a GitHub
//! token, a URL's `user:password@`, with or without a scheme), and what follows a secret word
//! in a comment. Read from the tokens (`parse::lexer`), not the syntax tree, so a file that
//! does not parse is masked as well as one that does.
//!
//! Diagnostics show every source with these ranges masked (`display::shown_text`), and scrub
//! the values from their messages; `fmt --check` masks its diff the same way.

use crate::parse::lexer::{tokens, Kind, Token};
use crate::suggest::similarity;

/// A range of the text to hide, and whether it lies in a comment (a comment's words are never
/// quoted in a message, so they are not scrubbed from messages).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Mask {
    start: usize,
    end: usize,
    comment: bool,
}

/// Byte ranges of `text` to hide: sorted, disjoint.
pub fn secret_ranges(text: &str) -> Vec<(usize, usize)> {
    merged(masks(text).iter().map(|m| (m.start, m.end)).collect())
}

/// Sorted, overlapping and touching ranges joined.
fn merged(mut ranges: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    ranges.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
    for (a, b) in ranges {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// The hidden values themselves, in pieces a message could quote (at least 3 characters; not
/// those of comments), for scrubbing from messages, labels and help.
pub fn secret_values(text: &str) -> Vec<String> {
    let mut out: Vec<String> = masks(text)
        .iter()
        .filter(|m| !m.comment)
        .flat_map(|m| {
            text[m.start..m.end]
                .split(|c: char| c.is_whitespace() || c == '"')
                .filter(|p| p.chars().count() >= 3)
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    // Longest first, so a value is scrubbed before a piece of it.
    out.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    out.dedup();
    out
}

/// Ranges of credential-shaped text in `s` (not the key/value rule), sorted and disjoint: for
/// text that is not a site, such as a message.
pub fn shaped_ranges(s: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    shaped(s, 0, false, &mut out);
    pem_blocks(s, &mut out);
    merged(out.iter().map(|m| (m.start, m.end)).collect())
}

fn masks(text: &str) -> Vec<Mask> {
    let toks = tokens(text);
    let mut out = Vec::new();
    values_of_secret_keys(text, &toks, &mut out);
    for t in &toks {
        let s = t.text(text);
        match t.kind {
            Kind::Comment => {
                comment_secrets(s, t.start, &mut out);
                shaped(s, t.start, true, &mut out);
            }
            Kind::Str { .. } | Kind::Word => shaped(s, t.start, false, &mut out),
            _ => {}
        }
    }
    pem_blocks(text, &mut out);
    out.retain(|m| m.end > m.start);
    out
}

/// Whether a word names a secret: `pass…`, `pw`, `pwd`, or holds `secret`, `token`,
/// `credential`, `apikey`.
fn is_secret_word(w: &str) -> bool {
    let w = w.to_ascii_lowercase();
    w.starts_with("pass")
        || matches!(w.as_str(), "pw" | "pwd" | "apikey" | "privatekey" | "auth")
        || ["secret", "token", "credential"]
            .iter()
            .any(|s| w.contains(s))
}

/// `private key`, `api_key`, `access-key`, `secret key`: two words that name a secret.
fn is_secret_pair(first: &str, second: &str) -> bool {
    second.eq_ignore_ascii_case("key")
        && ["private", "api", "access", "secret"]
            .iter()
            .any(|w| first.eq_ignore_ascii_case(w))
}

/// Whether an attribute's key names a secret: a secret word or pair among its parts
/// (`db_pw`, `tls_private_key`), or a misspelling of `passphrase` or `password`.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.trim_matches('"').to_ascii_lowercase();
    let parts: Vec<&str> = k.split(|c: char| !c.is_ascii_alphanumeric()).collect();
    parts.iter().any(|p| is_secret_word(p))
        || parts.windows(2).any(|w| is_secret_pair(w[0], w[1]))
        || similarity(&k, "passphrase") >= 0.85
        || similarity(&k, "password") >= 0.85
}

/// The significant tokens (not whitespace or comments), by index into `toks`.
fn significant(toks: &[Token]) -> Vec<usize> {
    (0..toks.len()).filter(|i| !toks[*i].is_trivia()).collect()
}

/// For each `KEY = VALUE` or `KEY: VALUE` whose key names a secret, the value.
fn values_of_secret_keys(text: &str, toks: &[Token], out: &mut Vec<Mask>) {
    let sig = significant(toks);
    let at = |n: usize| sig.get(n).map(|i| (toks[*i], toks[*i].text(text)));
    for n in 0..sig.len() {
        let Some((key_tok, key)) = at(n) else { break };
        let (name, value_at) = match key_tok.kind {
            Kind::Word if key.len() > 1 && key.ends_with(':') => (&key[..key.len() - 1], n + 1),
            Kind::Word | Kind::Str { .. } => match at(n + 1) {
                Some((t, _)) if t.kind == Kind::Punct('=') => (key, n + 2),
                Some((t, ":")) if t.kind == Kind::Word => (key, n + 2),
                _ => continue,
            },
            _ => continue,
        };
        let Some((value, value_text)) = at(value_at) else {
            continue;
        };
        let inline_key = name == "key" && matches!(value.kind, Kind::Str { .. });
        if !(is_secret_key(name) || inline_key) {
            continue;
        }
        let next_is_open = at(value_at + 1).is_some_and(|(t, _)| t.kind == Kind::Punct('('));
        match value.kind {
            Kind::Word if value_text == "secret" || (value_text == "file" && next_is_open) => {}
            Kind::Str { terminated } => out.push(Mask {
                start: value.start + 1,
                end: if terminated { value.end - 1 } else { value.end },
                comment: false,
            }),
            Kind::Punct('[') | Kind::Punct('(') => out.push(bracketed(toks, sig[value_at])),
            Kind::Word if next_is_open => out.push(bracketed(toks, sig[value_at + 1])),
            Kind::Word => out.push(rest_of_value(text, toks, sig[value_at])),
            _ => {}
        }
    }
}

/// From an opening bracket to its match (or where the enclosing block closes, or the end).
fn bracketed(toks: &[Token], open: usize) -> Mask {
    let mut depth = 0usize;
    let start = toks[open].end;
    for t in &toks[open..] {
        match t.kind {
            Kind::Punct('[' | '(' | '{') => depth += 1,
            Kind::Punct(']' | ')' | '}') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Mask {
                        start,
                        end: t.start,
                        comment: false,
                    };
                }
            }
            _ => {}
        }
    }
    Mask {
        start,
        end: toks.last().map_or(start, |t| t.end),
        comment: false,
    }
}

/// A bare value: its word and what follows on its line, up to a closing bracket, a comma, a
/// comment or the next `key =`.
fn rest_of_value(text: &str, toks: &[Token], first: usize) -> Mask {
    let mut end = toks[first].end;
    let mut i = first + 1;
    while let Some(t) = toks.get(i) {
        match t.kind {
            Kind::Newline | Kind::Comment | Kind::Punct('}' | ']' | ')' | ',' | '=') => break,
            Kind::Space => {}
            _ => {
                let next_sig = toks[i + 1..].iter().find(|t| t.kind != Kind::Space);
                let is_key = t.text(text).ends_with(':')
                    || next_sig.is_some_and(|n| n.kind == Kind::Punct('='));
                if is_key {
                    break;
                }
                end = t.end;
            }
        }
        i += 1;
    }
    Mask {
        start: toks[first].start,
        end,
        comment: false,
    }
}

/// In a comment, what follows the first secret word (`# the password is hunter2`).
fn comment_secrets(c: &str, offset: usize, out: &mut Vec<Mask>) {
    let mut words = Vec::new();
    let mut start = None;
    for (i, ch) in c.char_indices().chain(std::iter::once((c.len(), ' '))) {
        match (ch.is_ascii_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                words.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    for (n, (s, e)) in words.iter().enumerate() {
        let pair = n > 0 && is_secret_pair(&c[words[n - 1].0..words[n - 1].1], &c[*s..*e]);
        if is_secret_word(&c[*s..*e]) || pair {
            if !c[*e..].trim().is_empty() {
                out.push(Mask {
                    start: offset + e,
                    end: offset + c.len(),
                    comment: true,
                });
            }
            return;
        }
    }
}

/// Credential shapes inside one token's text.
fn shaped(s: &str, offset: usize, comment: bool, out: &mut Vec<Mask>) {
    let mut push = |a: usize, b: usize| {
        out.push(Mask {
            start: offset + a,
            end: offset + b,
            comment,
        })
    };
    for (a, b) in key_runs(s) {
        push(a, b);
    }
    for (a, b) in userinfo(s) {
        push(a, b);
    }
}

/// Runs of key characters shaped like a credential: an AWS access key id (`AKIA` and 16
/// capitals or digits), an AWS secret access key (40 of base64's characters, mixed case and
/// digits), a GitHub token (`ghp_…`, `github_pat_…`).
fn key_runs(s: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let key_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '/' | '+' | '_');
    let mut runs = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices().chain(std::iter::once((s.len(), ' '))) {
        match (key_char(c), start) {
            (true, None) => start = Some(i),
            (false, Some(a)) => {
                runs.push((a, i));
                start = None;
            }
            _ => {}
        }
    }
    runs.into_iter().flat_map(move |(a, b)| {
        let run = &s[a..b];
        let mut found = Vec::new();
        for prefix in ["AKIA", "ASIA", "AIDA", "AROA", "AGPA", "ANPA", "APKA"] {
            for (i, _) in run.match_indices(prefix) {
                let id = run.get(i..i + 20).unwrap_or("");
                if id.len() == 20
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                {
                    found.push((a + i, a + i + 20));
                }
            }
        }
        let secret_key = run.len() == 40
            && !run.contains('_')
            && run.bytes().any(|b| b.is_ascii_uppercase())
            && run.bytes().any(|b| b.is_ascii_lowercase())
            && run.bytes().any(|b| b.is_ascii_digit());
        let github = ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"]
            .iter()
            .any(|p| run.starts_with(p) && run.len() >= p.len() + 20);
        if secret_key || github {
            found.push((a, b));
        }
        found
    })
}

/// The `user:password` (or token) before `@` in an address, with or without `scheme://`:
/// the characters of a URL's userinfo, back to the scheme or a delimiter.
fn userinfo(s: &str) -> Vec<(usize, usize)> {
    let userinfo_char = |c: char| c.is_ascii_alphanumeric() || "-._~%!$&*+;:".contains(c);
    let mut out = Vec::new();
    for (at, _) in s.match_indices('@') {
        let before = &s[..at];
        // The address starts after a delimiter, or after its `scheme://`.
        let word = before
            .rfind(|c: char| c.is_whitespace() || "\"'`(=<[,".contains(c))
            .map_or(0, |i| i + 1);
        let authority = before.rfind("://").map_or(word, |i| word.max(i + 3));
        if before[authority..].contains('/') {
            continue; // an `@` in a path, not a user
        }
        let start = before[authority..]
            .char_indices()
            .rev()
            .find(|(_, c)| !userinfo_char(*c))
            .map_or(authority, |(i, c)| authority + i + c.len_utf8());
        if start < at {
            out.push((start, at));
        }
    }
    out
}

/// `-----BEGIN …` to the end of its `-----END …-----` line (or of the text), wherever it is.
fn pem_blocks(text: &str, out: &mut Vec<Mask>) {
    let mut from = 0;
    while let Some(b) = text[from..].find("-----BEGIN") {
        let begin = from + b;
        let end = match text[begin..].find("-----END") {
            Some(e) => {
                let after = begin + e + "-----END".len();
                match text[after..].find("-----") {
                    Some(d) if !text[after..after + d].contains('\n') => after + d + 5,
                    _ => text[after..].find('\n').map_or(text.len(), |n| after + n),
                }
            }
            None => text.len(),
        };
        out.push(Mask {
            start: begin,
            end,
            comment: false,
        });
        from = end.max(begin + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::display::shown_text;

    fn shown(text: &str) -> String {
        let s = shown_text(text, &secret_ranges(text));
        assert_eq!(s.len(), text.len(), "offsets kept");
        s
    }

    #[test]
    fn values_of_secret_keys_in_any_layout() {
        let text = "site \"a\" {\n  passphrase =\n    \"hunter2\"\n  pasphrase: \"x1y\"\n  ssh_key = \"ops\" db_pw = \"k9z\"\n  pwd = bare word here # c\n  passphrase = secret\n  key = file(\"tls/ci.key\")\n  private_zone = true\n  tokens = [\"t1a\", \"t2b\"]\n}\n";
        let s = shown(text);
        for gone in ["hunter2", "x1y", "k9z", "bare word here", "t1a", "t2b"] {
            assert!(!s.contains(gone), "{gone} shown:\n{s}");
        }
        for kept in [
            "passphrase = secret",
            "ssh_key = \"ops\"",
            "file(\"tls/ci.key\")",
            "private_zone = true",
            "# c",
        ] {
            assert!(s.contains(kept), "{kept} hidden:\n{s}");
        }
    }

    #[test]
    fn shapes_anywhere() {
        let text = "x = \"AKIAABCDEFGHIJKLMNOP\" # wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nkey = \"-----BEGIN RSA PRIVATE KEY-----\nMIIabc\n-----END RSA PRIVATE KEY-----\"\nafter = 1\nu = \"ops:hunter2@proxy:3128\" v = \"https://tok@ghe.x\" w = \"http://proxy:3128/a@b\"\nt = ghp_abcdefghijklmnopqrstuvwxyz0123\n";
        let s = shown(text);
        for gone in [
            "AKIAABCDEFGHIJKLMNOP",
            "wJalrXUtnFEMI",
            "MIIabc",
            "hunter2",
            "ops:",
            "tok@",
            "ghp_abc",
        ] {
            assert!(!s.contains(gone), "{gone} shown:\n{s}");
        }
        assert!(s.contains("after = 1") && s.contains("@proxy:3128") && s.contains("3128/a@b"));
    }

    #[test]
    fn comments_hide_what_follows_a_secret_word() {
        let s =
            shown("a = 1 # the admin password is hunter2\n# private key: k1\n# private subnet\n");
        assert!(!s.contains("hunter2") && !s.contains("k1"));
        assert!(s.contains("# private subnet") && s.contains("the admin password"));
    }

    #[test]
    fn secret_values_are_the_pieces_a_message_could_quote() {
        let v = secret_values("passphrase = \"hunter2 two\" # password: not quoted\n");
        assert_eq!(v, vec!["hunter2".to_string(), "two".to_string()]);
    }

    #[test]
    fn key_names() {
        for k in [
            "passphrase",
            "password",
            "db_pw",
            "pwd",
            "api_key",
            "tls_private_key",
            "passwrd",
            "GITHUB_TOKEN",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in [
            "ssh_key",
            "private_zone",
            "key",
            "region",
            "bucket",
            "hosts",
        ] {
            assert!(!is_secret_key(k), "{k}");
        }
    }
}
