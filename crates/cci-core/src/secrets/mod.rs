//! What looks like a secret in a text, found by its structure: the value that follows a
//! secret-named key (`passphrase`, `db_pw`, a misspelling of either) whatever the layout — on
//! the next line, after `:`, `==` or `:=`, with no `=` at all, after another attribute on the
//! same line, a list, a block, a call, several strings —, anything shaped like a credential
//! wherever it is (`shapes`: PEM armour, AWS keys, long base64, GitHub tokens, an address's
//! `user:password@`), and what follows a secret word in a comment, with the comment line
//! after it. Read from the tokens (`parse::lexer`), not the syntax tree, so a file that does
//! not parse is masked as well as one that does. Every pass is linear in the text.
//!
//! Diagnostics show every source with these ranges masked (`display::shown_text`), and scrub
//! the values from their messages; `fmt --check` masks its diff the same way.

mod shapes;

use crate::parse::lexer::{tokens, Kind, Token};
use crate::suggest::similar_at_least;

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

/// [`secret_ranges`] and [`secret_values`] of one text, found in one pass (a diagnostic
/// needs both; the language server asks for them on every change).
pub fn secret_ranges_and_values(text: &str) -> (Vec<(usize, usize)>, Vec<String>) {
    let masks = masks(text);
    let ranges = merged(masks.iter().map(|m| (m.start, m.end)).collect());
    (ranges, values(text, &masks))
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
    values(text, &masks(text))
}

fn values(text: &str, masks: &[Mask]) -> Vec<String> {
    let values = masks
        .iter()
        .filter(|m| !m.comment)
        .map(|m| (m.start, m.end))
        .collect();
    let mut out: Vec<String> = merged(values)
        .into_iter()
        .flat_map(|(a, b)| {
            text[a..b]
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
    let mut out = shapes::key_runs(s);
    out.extend(shapes::userinfo(s, false));
    out.extend(shapes::pem_blocks(s));
    merged(out)
}

/// Whether a value is shaped like a credential: a PEM block, an AWS key id or secret key (or
/// any long base64), a GitHub token, or an address with a password or in a URL with a user.
/// (An e-mail address is not.) Such a value is refused where it would reach an output.
pub fn is_credential_shaped(s: &str) -> bool {
    !shapes::key_runs(s).is_empty()
        || !shapes::pem_blocks(s).is_empty()
        || shapes::userinfo(s, true)
            .into_iter()
            .any(|r| shapes::is_credential_userinfo(s, r))
}

fn masks(text: &str) -> Vec<Mask> {
    let toks = tokens(text);
    let pairs = bracket_pairs(&toks);
    let mut out = Vec::new();
    values_of_secret_keys(text, &toks, &pairs, &mut out);
    let value = |(a, b): (usize, usize), offset: usize, comment| Mask {
        start: offset + a,
        end: offset + b,
        comment,
    };
    for (i, t) in toks.iter().enumerate() {
        let s = t.text(text);
        let comment = t.kind == Kind::Comment;
        if comment {
            comment_secrets(text, &toks, i, &mut out);
        }
        if matches!(t.kind, Kind::Comment | Kind::Str { .. } | Kind::Word) {
            let in_string = matches!(t.kind, Kind::Str { .. });
            let found = shapes::key_runs(s)
                .into_iter()
                .chain(shapes::userinfo(s, in_string));
            out.extend(found.map(|r| value(r, t.start, comment)));
        }
    }
    out.extend(
        shapes::pem_blocks(text)
            .into_iter()
            .map(|r| value(r, 0, false)),
    );
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
        || similar_at_least(&k, "passphrase", 0.85)
        || similar_at_least(&k, "password", 0.85)
}

/// For each bracket token, the index of its match (or `None`), computed in one pass.
fn bracket_pairs(toks: &[Token]) -> Vec<Option<usize>> {
    let mut pairs = vec![None; toks.len()];
    let mut open: Vec<usize> = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        match t.kind {
            Kind::Punct('[' | '(' | '{') => open.push(i),
            Kind::Punct(']' | ')' | '}') => {
                if let Some(o) = open.pop() {
                    pairs[o] = Some(i);
                    pairs[i] = Some(o);
                }
            }
            _ => {}
        }
    }
    pairs
}

/// The tokens of the text, read by significant position.
struct Sig<'t> {
    text: &'t str,
    toks: &'t [Token],
    /// Indexes of the significant tokens (not whitespace or comments).
    at: Vec<usize>,
}

impl<'t> Sig<'t> {
    fn tok(&self, n: usize) -> Option<(Token, &'t str)> {
        self.at
            .get(n)
            .map(|i| (self.toks[*i], self.toks[*i].text(self.text)))
    }

    /// Whether significant token `n` is on the same line as token index `i`.
    fn same_line(&self, i: usize, n: usize) -> bool {
        self.at.get(n).is_some_and(|j| {
            self.toks[i..*j]
                .iter()
                .all(|t| !matches!(t.kind, Kind::Newline))
        })
    }

    /// Whether significant token `n` starts an attribute (`key =` or `key:`).
    fn is_key(&self, n: usize) -> bool {
        match self.tok(n) {
            Some((t, w)) if matches!(t.kind, Kind::Word | Kind::Str { .. }) => {
                (w.len() > 1 && w.ends_with(':'))
                    || self
                        .tok(n + 1)
                        .is_some_and(|(t, _)| t.kind == Kind::Punct('='))
            }
            _ => false,
        }
    }
}

/// `=`, `,`, `:`, `==`, `:=`: what may stand between a key and its value, typos included.
fn is_separator(t: Token, w: &str) -> bool {
    matches!(t.kind, Kind::Punct('=' | ','))
        || (t.kind == Kind::Word && w.chars().all(|c| c == ':' || c == '='))
}

/// For each key that names a secret, its value, however it is written.
fn values_of_secret_keys(text: &str, toks: &[Token], pairs: &[Option<usize>], out: &mut Vec<Mask>) {
    let at = (0..toks.len()).filter(|i| !toks[*i].is_trivia()).collect();
    let sig = Sig { text, toks, at };
    for n in 0..sig.at.len() {
        let Some((key_tok, key)) = sig.tok(n) else {
            break;
        };
        if !matches!(key_tok.kind, Kind::Word | Kind::Str { .. }) {
            continue;
        }
        let colon = key.len() > 1 && key.ends_with(':');
        let name = key.trim_end_matches(':');
        let mut v = n + 1;
        while sig.tok(v).is_some_and(|(t, w)| is_separator(t, w)) {
            v += 1;
        }
        if sig.tok(v).is_none() {
            continue;
        }
        // Without a separator the value must follow a bare key on its line (`password "x"`).
        let separated = colon || v > n + 1;
        let bare_key = key_tok.kind == Kind::Word;
        let on_its_line = bare_key && sig.same_line(sig.at[n], v) && !sig.is_key(v);
        if !(separated || on_its_line) {
            continue;
        }
        // (`key = "..."` is a path or an object key as often as key material; pasted key
        // material is found by its shape: PEM armour, a long run of base64.)
        if is_secret_key(name) {
            value_mask(&sig, pairs, v, out);
        }
    }
}

/// Hides the value that starts at significant token `v`, and what follows it on its line.
fn value_mask(sig: &Sig, pairs: &[Option<usize>], v: usize, out: &mut Vec<Mask>) {
    let (value, word) = sig.tok(v).expect("a value");
    let i = sig.at[v];
    let next_open = sig
        .tok(v + 1)
        .is_some_and(|(t, _)| t.kind == Kind::Punct('('));
    let mut push = |start: usize, end: usize| {
        out.push(Mask {
            start,
            end: end.max(start),
            comment: false,
        })
    };
    // `secret` and `file("path")` hide nothing themselves; what follows them on the line does
    // (`secret X`, a typo's tail).
    if value.kind == Kind::Word && (word == "secret" || (word == "file" && next_open)) {
        let after = if word == "file" {
            group_end(sig, pairs, v + 1)
        } else {
            i
        };
        if let Some((first, last)) = tail(sig, after) {
            push(sig.toks[first].start, sig.toks[last].end);
        }
        return;
    }
    let (start, last, end) = match value.kind {
        Kind::Str { terminated: true } => (value.start + 1, i, value.end - 1),
        Kind::Str { terminated: false } => {
            let last = unterminated_end(sig.toks, i);
            (value.start + 1, last, sig.toks[last].end)
        }
        Kind::Punct('[' | '(' | '{') => {
            let close = group_end(sig, pairs, v);
            (value.end, close, sig.toks[close].start)
        }
        Kind::Word if next_open => {
            let close = group_end(sig, pairs, v + 1);
            (value.end, close, sig.toks[close].start)
        }
        _ => (value.start, i, value.end),
    };
    // What follows on the same line: `"a" + "b"`.
    let end = tail(sig, last).map_or(end, |(_, t)| sig.toks[t].end);
    push(start, end);
}

/// The tokens after token index `after` on its line that continue a value (up to a closing
/// bracket, a comma, a comment or the next `key =`): the first and last index, if any.
fn tail(sig: &Sig, after: usize) -> Option<(usize, usize)> {
    let mut found = None;
    for (j, t) in sig.toks.iter().enumerate().skip(after + 1) {
        match t.kind {
            Kind::Newline | Kind::Comment | Kind::Punct('}' | ']' | ')' | ',') => break,
            Kind::Space => {}
            _ => {
                if sig.is_key(sig.at.partition_point(|x| *x < j)) {
                    break;
                }
                found = Some((found.map_or(j, |(f, _)| f), j));
            }
        }
    }
    found
}

/// The token index where the group opened at significant token `n` closes (the end of the
/// text when it never does).
fn group_end(sig: &Sig, pairs: &[Option<usize>], n: usize) -> usize {
    let open = sig.at[n];
    pairs[open].unwrap_or(sig.toks.len() - 1)
}

/// An unterminated string's value goes on to the line holding its closing quote (at most 100
/// lines on): the token index where the hiding ends.
fn unterminated_end(toks: &[Token], i: usize) -> usize {
    let mut lines = 0;
    let mut last = i;
    for (j, t) in toks.iter().enumerate().skip(i + 1) {
        match t.kind {
            Kind::Newline => {
                lines += 1;
                if lines > 100 {
                    break;
                }
            }
            Kind::Str { .. } => return j,
            _ => last = j,
        }
    }
    last
}

/// In a comment, what follows the first secret word (`# the password is hunter2`), and the
/// comment line after it (`# the admin password is below` / `# hunter2`).
fn comment_secrets(text: &str, toks: &[Token], i: usize, out: &mut Vec<Mask>) {
    let t = toks[i];
    let c = t.text(text);
    let Some(after) = secret_word_end(c) else {
        return;
    };
    if !c[after..].trim().is_empty() {
        out.push(Mask {
            start: t.start + after,
            end: t.end,
            comment: true,
        });
    }
    // The value is on this line when a word after the secret word looks like one (a digit, a
    // capital, a symbol); otherwise it may be on the next comment line.
    let value_here = c[after..].split_whitespace().any(|w| {
        let w = w.trim_end_matches([':', '.', ',']);
        w.chars().any(|ch| !ch.is_ascii_lowercase())
    });
    if value_here {
        return;
    }
    let mut rest = toks[i + 1..].iter().skip_while(|t| t.kind == Kind::Space);
    if rest.next().is_some_and(|t| t.kind == Kind::Newline) {
        if let Some(next) = rest.find(|t| t.kind != Kind::Space) {
            if next.kind == Kind::Comment {
                out.push(Mask {
                    start: next.start + 1,
                    end: next.end,
                    comment: true,
                });
            }
        }
    }
}

/// The end of the first secret word (or pair) in a comment.
fn secret_word_end(c: &str) -> Option<usize> {
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
    words.iter().enumerate().find_map(|(n, (s, e))| {
        let pair = n > 0 && is_secret_pair(&c[words[n - 1].0..words[n - 1].1], &c[*s..*e]);
        (is_secret_word(&c[*s..*e]) || pair).then_some(*e)
    })
}

#[cfg(test)]
mod tests;
