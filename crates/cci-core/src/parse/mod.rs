//! Source text to [`ast::File`], by recursive descent over the text.
//!
//! Why no parser library: the language is a handful of shapes whose literals (sizes, CIDRs,
//! ranges, AWS ids) need a character or two of lookahead, and what matters is the error:
//! each function knows what it expected, where, and what would fix it, and recovery resumes
//! at a known place. A combinator library (nom was used here before) added types to thread
//! through and no grammar checking; `grammar/cci.lark` is the grammar a real tool reads, and
//! a test runs it on every example and fixture.
//!
//! Recovery: top-level items are parsed in a loop; when one fails, the error is recorded and
//! parsing resumes at the next line that starts in column 0 with a letter (the next top-level
//! block in any formatted file), so one run reports every broken block.

#![allow(clippy::result_large_err)] // syntax errors are the slow path; boxing them buys nothing

use crate::ast::*;
use crate::codes::Code;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::span::{FileId, Span, Spanned};

mod errors;
pub mod lexer;
mod literals;

use errors::PErr;

/// Parses one file. Returns what could be parsed and every syntax error found.
pub fn parse_file(text: &str, file: FileId) -> (File, Diagnostics) {
    let p = Parser {
        src: text,
        file,
        depth: std::cell::Cell::new(0),
        entry_errors: std::cell::RefCell::new(Vec::new()),
    };
    let mut items = Vec::new();
    let mut diags = Diagnostics::default();
    let mut broken = Vec::new();
    let mut i = text;
    loop {
        i = p.ws(i);
        if i.is_empty() {
            break;
        }
        match p.item(i) {
            Ok((rest, item)) => {
                items.push(item);
                i = rest;
            }
            Err(e) => {
                diags.push(p.to_diagnostic(&e));
                // Remember what kind of item broke, so later stages do not also call it missing.
                if let Ok((_, word)) = p.ident(i) {
                    broken.push(word.node);
                }
                let at = &text[p.pos_of(&e)..];
                i = if e.resume_here { at } else { p.recover(at) };
            }
        }
    }
    // Errors inside blocks that parsing recovered from, at the next entry.
    for e in p.entry_errors.take() {
        diags.push(p.to_diagnostic(&e));
    }
    (File { items, broken }, diags)
}

/// What a parsing function returns: the input left and what it read, or the syntax error.
type PResult<'a, T> = Result<(&'a str, T), PErr>;

struct Parser<'s> {
    src: &'s str,
    file: FileId,
    /// How many blocks, lists and calls enclose the current position.
    depth: std::cell::Cell<usize>,
    /// Syntax errors in entries the parser skipped to go on with the block.
    entry_errors: std::cell::RefCell<Vec<PErr>>,
}

/// The deepest nesting of blocks, lists and calls a file may have. The language needs three
/// (policy, statement, condition); the bound keeps hostile input from exhausting the stack.
pub const MAX_DEPTH: usize = 32;

const PROTOCOLS: &[(&str, Protocol)] = &[
    ("tcp", Protocol::Tcp),
    ("udp", Protocol::Udp),
    ("icmp", Protocol::Icmp),
    ("all", Protocol::All),
];

/// AWS id prefixes the language reads as typed ids rather than names.
pub const AWS_ID_PREFIXES: &[&str] = &[
    "vpc", "subnet", "sg", "ami", "igw", "nat", "rtb", "vpce", "pl", "eni",
];

impl<'s> Parser<'s> {
    fn off(&self, i: &str) -> usize {
        self.src.len() - i.len()
    }

    fn span(&self, start: &str, end: &str) -> Span {
        Span::new(self.file, self.off(start), self.off(end))
    }

    /// Skips to the next line that starts with a letter in column 0.
    fn recover<'a>(&self, i: &'a str) -> &'a str {
        let mut rest = i;
        // Always move past the current line so recovery makes progress.
        loop {
            match rest.find('\n') {
                None => return "",
                Some(n) => {
                    rest = &rest[n + 1..];
                    if rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
                        return rest;
                    }
                }
            }
        }
    }

    /// Whitespace, newlines and `#` comments.
    fn ws<'a>(&self, mut i: &'a str) -> &'a str {
        loop {
            let t = i.trim_start();
            if let Some(c) = t.strip_prefix('#') {
                i = match c.find('\n') {
                    Some(n) => &c[n..],
                    None => "",
                };
            } else {
                return t;
            }
        }
    }

    /// Spaces and tabs only (no newline): used where a unit must be on the same line.
    fn inline_ws<'a>(&self, i: &'a str) -> &'a str {
        i.trim_start_matches([' ', '\t'])
    }

    fn at_column0(&self, i: &str) -> bool {
        let off = self.off(i);
        off == 0 || self.src.as_bytes()[off - 1] == b'\n'
    }

    fn ident<'a>(&self, i: &'a str) -> PResult<'a, Spanned<String>> {
        self.word(i, false)
    }

    /// A block label written bare: a name that may also contain `-` (`aws-us-gov`).
    fn label<'a>(&self, i: &'a str) -> PResult<'a, Spanned<String>> {
        self.word(i, true)
    }

    fn word<'a>(&self, i: &'a str, dashes: bool) -> PResult<'a, Spanned<String>> {
        if !i.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            return Err(self.expected(i, "a name"));
        }
        let (s, rest) = split_while(i, |c| {
            c.is_ascii_alphanumeric() || c == '_' || (dashes && c == '-')
        });
        Ok((rest, Spanned::new(s.to_string(), self.span(i, rest))))
    }

    fn item<'a>(&self, i: &'a str) -> PResult<'a, Item> {
        let (rest, word) = self.ident(i)?;
        match word.node.as_str() {
            "use" => {
                let r = self.ws(rest);
                let (path, r2) = split_while(r, |c| {
                    c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-')
                });
                if path.is_empty() {
                    return Err(self.expected(r, "a library path like `circleci/<release>`"));
                }
                let path = Spanned::new(path.to_string(), self.span(r, r2));
                Ok((
                    r2,
                    Item::Use(UseDecl {
                        path,
                        span: self.span(i, r2),
                    }),
                ))
            }
            "allow" => {
                let (r, rule) = self.allow_rest(i, rest)?;
                Ok((r, Item::Allow(rule)))
            }
            _ => {
                let (r, block) = self.block_rest(i, word, rest)?;
                Ok((r, Item::Block(block)))
            }
        }
    }

    /// After a block's kind word: labels, then `{ entries }`.
    fn block_rest<'a>(
        &self,
        start: &'a str,
        kind: Spanned<String>,
        mut i: &'a str,
    ) -> PResult<'a, Block> {
        let mut labels = Vec::new();
        loop {
            i = self.ws(i);
            if i.starts_with('{') {
                break;
            }
            if i.starts_with('"') {
                let (r, s) = self.string(i)?;
                labels.push(s);
                i = r;
            } else if i.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
                let (r, s) = self.label(i)?;
                labels.push(s);
                i = r;
            } else {
                let mut e = self.expected(i, "`{` to open the block");
                if i.starts_with('=') && labels.is_empty() {
                    e.help = Some(format!(
                        "`{}` is written where a block starts; attributes go inside a block",
                        kind.node
                    ));
                }
                return Err(e);
            }
        }
        let (i, entries) = self.entries(i)?;
        Ok((
            i,
            Block {
                kind,
                labels,
                entries,
                span: self.span(start, i),
            },
        ))
    }

    /// Runs `inner` one level deeper; past [`MAX_DEPTH`] levels it is an error instead.
    fn nested<'a, T>(&self, at: &'a str, inner: impl FnOnce() -> PResult<'a, T>) -> PResult<'a, T> {
        let depth = self.depth.get() + 1;
        if depth > MAX_DEPTH {
            let mut e = self.err(at, 1, Code::E0106, "nesting is too deep");
            e.label = format!("more than {MAX_DEPTH} blocks, lists or calls inside each other");
            e.help = Some("a site needs three levels at most: flatten this".into());
            return Err(e);
        }
        self.depth.set(depth);
        let result = inner();
        self.depth.set(depth - 1);
        result
    }

    /// `{ entry* }` — `open` starts at the `{`.
    fn entries<'a>(&self, open: &'a str) -> PResult<'a, Vec<Entry>> {
        self.nested(open, || self.entries_inside(open))
    }

    fn entries_inside<'a>(&self, open: &'a str) -> PResult<'a, Vec<Entry>> {
        let mut i = &open[1..];
        let mut out = Vec::new();
        loop {
            i = self.ws(i);
            if i.is_empty() || (self.at_column0(i) && !i.starts_with('}')) {
                let mut e = self.err(i, 1, Code::E0103, "unclosed block");
                e.label = if i.is_empty() {
                    "the file ends here".into()
                } else {
                    "a new top-level item starts here".into()
                };
                e.also = Some((self.off(open), 1, "this `{` is never closed".into()));
                e.help = Some("add `}` to close the block".into());
                e.resume_here = !i.is_empty();
                return Err(e);
            }
            if let Some(r) = i.strip_prefix('}') {
                return Ok((r, out));
            }
            let (r, entry) = match self.entry(i) {
                Ok(x) => x,
                // Errors that end the block or the file go up, and so does any error in a
                // block written on one line (the enclosing block skips the whole line). Any
                // other costs this entry only: it is recorded, and parsing goes on at the next
                // line that can start an entry.
                Err(e)
                    if e.resume_here
                        || matches!(e.code, Code::E0103 | Code::E0106)
                        || !self.src[self.off(open)..self.off(i)].contains('\n') =>
                {
                    return Err(e)
                }
                Err(e) => {
                    let key = self
                        .ident(i)
                        .map(|(_, k)| k)
                        .unwrap_or_else(|_| Spanned::new(String::new(), self.span(i, i)));
                    self.entry_errors.borrow_mut().push(e);
                    (self.next_entry_line(i), Entry::Broken(key))
                }
            };
            out.push(entry);
            i = r;
            // Allow optional separators between entries.
            i = i.trim_start_matches([' ', '\t']);
            if let Some(r) = i.strip_prefix([',', ';']) {
                i = r;
            }
        }
    }

    /// The start of the next line after `i` that could begin an entry (a name, a quoted key,
    /// `}`, or a comment), skipping the continuation lines of a broken value.
    fn next_entry_line<'a>(&self, i: &'a str) -> &'a str {
        let mut rest = i;
        loop {
            match rest.find('\n') {
                None => return "",
                Some(n) => rest = &rest[n + 1..],
            }
            let first = rest.trim_start_matches([' ', '\t']).chars().next();
            if first.is_none_or(|c| {
                c.is_ascii_alphabetic() || matches!(c, '_' | '"' | '}' | '#' | '\n')
            }) {
                return rest;
            }
        }
    }

    fn entry<'a>(&self, i: &'a str) -> PResult<'a, Entry> {
        // A quoted key, for map-like blocks such as `tags { "cost-center" = "ci" }`.
        if i.starts_with('"') {
            let (rest, key) = self.string(i)?;
            let r = self.ws(rest);
            let Some(r) = r.strip_prefix('=') else {
                return Err(self.expected(r, &format!("`=` after `\"{}\"`", key.node)));
            };
            let (r, value) = self.value(self.ws(r))?;
            return Ok((
                r,
                Entry::Attr(Attr {
                    span: key.span.merge(value.span),
                    key,
                    value,
                }),
            ));
        }
        let (rest, word) = self
            .ident(i)
            .map_err(|_| self.expected(i, "an attribute (`name = value`), a block or `}`"))?;
        if word.node == "allow" {
            let (r, rule) = self.allow_rest(i, rest)?;
            return Ok((r, Entry::Allow(rule)));
        }
        let r = self.ws(rest);
        if let Some(r) = r.strip_prefix('=') {
            let r = self.ws(r);
            let (r, value) = self.value(r)?;
            return Ok((
                r,
                Entry::Attr(Attr {
                    span: word.span.merge(value.span),
                    key: word,
                    value,
                }),
            ));
        }
        if r.starts_with('{')
            || r.starts_with('"')
            || r.starts_with(|c: char| c.is_ascii_alphabetic())
        {
            let (r, b) = self.block_rest(i, word, rest)?;
            return Ok((r, Entry::Block(b)));
        }
        let mut e = self.expected(r, &format!("`=` after `{}`", word.node));
        if r.starts_with(':') {
            e.help = Some(format!("write `{} = ...`", word.node));
        } else if r.starts_with('-') {
            let key: String = i
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                .collect();
            e.help = Some(format!("quote a key that contains `-`: `\"{key}\" = ...`"));
        }
        Err(e)
    }

    /// After `allow`: `PROTO [PORTS] from A to B "purpose" [{ attrs }]`.
    fn allow_rest<'a>(&self, start: &'a str, i: &'a str) -> PResult<'a, AllowRule> {
        let i = self.ws(i);
        let (r, protocol) = self.protocol(i)?;
        let (i, ports) = self.port_list(self.ws(r))?;
        let (r, _) = self.keyword(i, "from")?;
        let (r, from) = self.endpoint(self.ws(r))?;
        let (r, _) = self.keyword(self.ws(r), "to")?;
        let (r, to) = self.endpoint(self.ws(r))?;
        let i = self.ws(r);
        if !i.starts_with('"') {
            let mut e = self.expected(i, "the rule's purpose as a string");
            e.help = Some("every rule says why it exists: `... to services \"Metrics\"`".into());
            return Err(e);
        }
        let (r, purpose) = self.string(i)?;
        let (r, attrs) = self.rule_body(r)?;
        Ok((
            r,
            AllowRule {
                protocol,
                ports,
                from,
                to,
                purpose,
                attrs,
                span: self.span(start, r),
            },
        ))
    }

    fn protocol<'a>(&self, i: &'a str) -> PResult<'a, Spanned<Protocol>> {
        let (r, word) = self
            .ident(i)
            .map_err(|_| self.expected(i, "a protocol (tcp, udp, icmp, all)"))?;
        match PROTOCOLS.iter().find(|(n, _)| *n == word.node) {
            Some((_, p)) => Ok((r, Spanned::new(*p, word.span))),
            None => {
                let mut e = self.err(
                    i,
                    word.span.len(),
                    Code::E0105,
                    format!("unknown protocol `{}`", word.node),
                );
                e.label = "expected tcp, udp, icmp or all".into();
                e.help = crate::suggest::did_you_mean(&word.node, PROTOCOLS.iter().map(|p| p.0));
                Err(e)
            }
        }
    }

    /// `443`, `80, 443`, `64535-65535`: none when the next word is `from`.
    fn port_list<'a>(&self, mut i: &'a str) -> PResult<'a, Vec<Spanned<PortSpec>>> {
        let mut ports = Vec::new();
        while i.starts_with(|c: char| c.is_ascii_digit()) {
            let (r, p) = self.port_spec(i)?;
            ports.push(p);
            i = self.ws(r);
            match i.strip_prefix(',') {
                Some(r) => i = self.ws(r),
                None => break,
            }
        }
        Ok((i, ports))
    }

    /// A rule's optional `{ attributes }` on the same line as its purpose.
    fn rule_body<'a>(&self, r: &'a str) -> PResult<'a, Vec<Attr>> {
        let after = self.ws(r);
        if !after.starts_with('{') || self.at_column0(after) {
            return Ok((r, Vec::new()));
        }
        let (r, entries) = self.entries(after)?;
        let mut attrs = Vec::new();
        for e in entries {
            match e {
                Entry::Attr(a) => attrs.push(a),
                Entry::Block(b) => {
                    return Err(self.err(
                        &self.src[b.span.start as usize..],
                        b.kind.span.len(),
                        Code::E0101,
                        "a rule's body holds attributes only",
                    ))
                }
                Entry::Allow(a) => {
                    return Err(self.err(
                        &self.src[a.span.start as usize..],
                        5,
                        Code::E0101,
                        "rules do not nest",
                    ))
                }
                // Reported already.
                Entry::Broken(_) => {}
            }
        }
        Ok((r, attrs))
    }

    fn keyword<'a>(&self, i: &'a str, kw: &str) -> PResult<'a, ()> {
        match self.ident(i) {
            Ok((r, w)) if w.node == kw => Ok((r, ())),
            _ => Err(self.expected(i, &format!("`{kw}`"))),
        }
    }

    fn port_spec<'a>(&self, i: &'a str) -> PResult<'a, Spanned<PortSpec>> {
        let (r, first) = self.integer(i)?;
        let Some(r2) = r.strip_prefix("..").or_else(|| r.strip_prefix('-')) else {
            return Ok((
                r,
                Spanned::new(PortSpec { first, last: first }, self.span(i, r)),
            ));
        };
        let (r3, last) = self.integer(r2)?;
        Ok((r3, Spanned::new(PortSpec { first, last }, self.span(i, r3))))
    }

    fn integer<'a>(&self, i: &'a str) -> PResult<'a, u64> {
        let (d, r) = split_while(i, |c| c.is_ascii_digit());
        if d.is_empty() {
            return Err(self.expected(i, "a number"));
        }
        match d.parse::<u64>() {
            Ok(n) => Ok((r, n)),
            Err(_) => Err(self.err(
                i,
                d.len(),
                Code::E0104,
                format!("number `{d}` is too large"),
            )),
        }
    }

    fn endpoint<'a>(&self, i: &'a str) -> PResult<'a, Spanned<Endpoint>> {
        let v6 = literals::ipv6_len(i).is_some();
        if v6 || i.starts_with(|c: char| c.is_ascii_digit()) {
            let (r, v) = if v6 {
                self.ipv6(i)?
            } else {
                self.number_like(i)?
            };
            return match v.node {
                Value::Cidr(c) => Ok((r, Spanned::new(Endpoint::Cidr(c), v.span))),
                Value::Ip(ip) => Ok((r, Spanned::new(Endpoint::Cidr(ip.into()), v.span))),
                _ => Err(self.expected(i, "an actor, a component or a CIDR")),
            };
        }
        let (r, n) = self
            .ident(i)
            .map_err(|_| self.expected(i, "an actor, a component or a CIDR"))?;
        Ok((r, Spanned::new(Endpoint::Name(n.node), n.span)))
    }
}

/// The longest prefix of `i` whose characters all satisfy `keep`, and the rest.
fn split_while(i: &str, keep: impl Fn(char) -> bool) -> (&str, &str) {
    let end = i.find(|c: char| !keep(c)).unwrap_or(i.len());
    i.split_at(end)
}
