//! The language's tokens: every byte of any text belongs to exactly one token, whatever the
//! text is (broken input included), so what reads tokens — the masking of secrets in what
//! diagnostics show — sees the same structure in a file that does not parse as in one that
//! does: a key, its `=` or `:`, and its value, however they are laid out.

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Whitespace other than a newline: spaces, tabs, carriage returns, Unicode spaces.
    Space,
    Newline,
    /// `#` to the end of the line (the newline not included).
    Comment,
    /// `"..."`, escapes included; one that reaches the end of its line is unterminated.
    Str {
        terminated: bool,
    },
    /// One of `{ } [ ] ( ) , ; =`.
    Punct(char),
    /// A run of anything else: names, numbers, sizes, CIDRs, ids, `key:`.
    Word,
}

/// One token: its kind and its byte range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn text<'t>(&self, src: &'t str) -> &'t str {
        &src[self.start..self.end]
    }

    /// Whitespace, newlines and comments: what separates the tokens that mean something.
    pub fn is_trivia(&self) -> bool {
        matches!(self.kind, Kind::Space | Kind::Newline | Kind::Comment)
    }
}

const PUNCT: &[char] = &['{', '}', '[', ']', '(', ')', ',', ';', '='];

/// The tokens of `text`, in order, covering it exactly.
pub fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let rest = &text[at..];
        let c = rest.chars().next().unwrap_or(' ');
        let (kind, len) = match c {
            '\n' => (Kind::Newline, 1),
            c if c.is_whitespace() => (Kind::Space, run(rest, |c| c.is_whitespace() && c != '\n')),
            '#' => (Kind::Comment, rest.find('\n').unwrap_or(rest.len())),
            '"' => string(rest),
            c if PUNCT.contains(&c) => (Kind::Punct(c), 1),
            _ => (
                Kind::Word,
                run(rest, |c| {
                    !c.is_whitespace() && !PUNCT.contains(&c) && c != '"' && c != '#'
                }),
            ),
        };
        // Every token holds at least its first character, so the loop always moves on.
        let len = len.max(c.len_utf8());
        out.push(Token {
            kind,
            start: at,
            end: at + len,
        });
        at += len;
    }
    out
}

/// The length of the leading run of `rest` whose characters `keep` accepts.
fn run(rest: &str, keep: impl Fn(char) -> bool) -> usize {
    rest.find(|c: char| !keep(c)).unwrap_or(rest.len())
}

/// A string token at the start of `rest` (which starts with `"`).
fn string(rest: &str) -> (Kind, usize) {
    let mut chars = rest.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (Kind::Str { terminated: true }, i + 1),
            '\n' => return (Kind::Str { terminated: false }, i),
            '\\' => {
                // The escaped character belongs to the string, unless it ends the line.
                if let Some((j, '\n')) = chars.next() {
                    return (Kind::Str { terminated: false }, j);
                }
            }
            _ => {}
        }
    }
    (Kind::Str { terminated: false }, rest.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, &str)> {
        tokens(text)
            .iter()
            .map(|t| (t.kind, t.text(text)))
            .collect()
    }

    #[test]
    fn every_byte_is_in_one_token() {
        for text in [
            "site \"a\" {\n  x = [1, 2] # c\n}\n",
            "\"unterminated\nnext",
            "a = \"esc \\\" q\" b=c:d",
            "\"\\",
            "é ü \u{202e} =",
            "a\u{a0}= 1\u{3000}\u{85}\u{2028}\u{b}x",
        ] {
            let t = tokens(text);
            let mut at = 0;
            for tok in &t {
                assert_eq!(tok.start, at);
                assert!(tok.end > tok.start);
                at = tok.end;
            }
            assert_eq!(at, text.len(), "{text:?}");
        }
    }

    #[test]
    fn strings_comments_and_words() {
        assert_eq!(
            kinds("k: \"v\" # note\n"),
            vec![
                (Kind::Word, "k:"),
                (Kind::Space, " "),
                (Kind::Str { terminated: true }, "\"v\""),
                (Kind::Space, " "),
                (Kind::Comment, "# note"),
                (Kind::Newline, "\n"),
            ]
        );
        assert_eq!(
            kinds("\"open\nx")[0],
            (Kind::Str { terminated: false }, "\"open")
        );
    }
}
