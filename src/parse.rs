//! Source text to [`ast::File`], with nom. nom's types stay inside this module.
//!
//! Recovery: top-level items are parsed in a loop; when one fails, the error is recorded and
//! parsing resumes at the next line that starts in column 0 with a letter (the next top-level
//! block in any formatted file), so one run reports every broken block.

#![allow(clippy::result_large_err)] // syntax errors are the slow path; boxing them buys nothing

use crate::ast::*;
use crate::codes::Code;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::span::{FileId, Span, Spanned};
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char, digit1};
use nom::combinator::{opt, recognize};
use nom::error::{ErrorKind, ParseError};
use nom::{IResult, Parser as _};
use std::net::Ipv4Addr;

/// Parses one file. Returns what could be parsed and every syntax error found.
pub fn parse_file(text: &str, file: FileId) -> (File, Diagnostics) {
    let p = Parser { src: text, file };
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
            Err(nom::Err::Error(e)) | Err(nom::Err::Failure(e)) => {
                diags.push(p.to_diagnostic(&e));
                // Remember what kind of item broke, so later stages do not also call it missing.
                if let Ok((_, word)) = p.ident(i) {
                    broken.push(word.node);
                }
                let at = &text[p.pos_of(&e)..];
                i = if e.resume_here { at } else { p.recover(at) };
            }
            Err(nom::Err::Incomplete(_)) => break,
        }
    }
    (File { items, broken }, diags)
}

/// Stdlib values the recovery keyword list needs to know about are not special: any
/// column-0 word starts a new item.
type PResult<'a, T> = IResult<&'a str, T, PErr>;

/// A syntax error, positioned by how much input was left when it happened.
#[derive(Clone, Debug)]
struct PErr {
    /// Remaining input length at the error; the offset is `src.len() - rest`.
    rest: usize,
    /// Length of the offending text (at least 1 for the caret).
    len: usize,
    code: Code,
    message: String,
    label: String,
    help: Option<String>,
    /// A second place worth pointing at (the `{` of an unclosed block).
    also: Option<(usize, usize, String)>,
    /// Parsing resumes at the error itself (it is the start of the next item).
    resume_here: bool,
}

impl ParseError<&str> for PErr {
    fn from_error_kind(input: &str, kind: ErrorKind) -> Self {
        PErr {
            rest: input.len(),
            len: 1,
            code: Code::E0101,
            message: format!("unexpected input ({kind:?})"),
            label: "here".into(),
            help: None,
            also: None,
            resume_here: false,
        }
    }

    fn append(_: &str, _: ErrorKind, other: Self) -> Self {
        other
    }
}

struct Parser<'s> {
    src: &'s str,
    file: FileId,
}

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

    fn pos_of(&self, e: &PErr) -> usize {
        self.src.len() - e.rest
    }

    fn err(&self, at: &str, len: usize, code: Code, message: impl Into<String>) -> PErr {
        PErr {
            rest: at.len(),
            len: len.max(1),
            code,
            message: message.into(),
            label: String::new(),
            help: None,
            also: None,
            resume_here: false,
        }
    }

    /// "expected X, found Y" at the start of `at`.
    fn expected(&self, at: &str, what: &str) -> PErr {
        let found = describe_next(at);
        let len = next_token_len(at);
        // At the end of the file, point just after the last token rather than at nothing.
        let at = if at.is_empty() {
            let end = self.src.trim_end().len();
            &self.src[end..]
        } else {
            at
        };
        let mut e = self.err(
            at,
            len,
            Code::E0101,
            format!("expected {what}, found {found}"),
        );
        e.label = format!("expected {what}");
        e
    }

    fn to_diagnostic(&self, e: &PErr) -> Diagnostic {
        let start = self.pos_of(e);
        let end = (start + e.len).min(self.src.len());
        let mut d = Diagnostic::error(e.code, Span::new(self.file, start, end), &e.message)
            .label(e.label.clone());
        if let Some((s, l, t)) = &e.also {
            d = d.with(Span::new(self.file, *s, s + l), t.clone());
        }
        // Every diagnostic offers a way out; a syntax error without a specific one gets the
        // shapes the language is made of.
        d.help(e.help.clone().unwrap_or_else(|| {
            "blocks read `kind name { key = value }`, rules `allow tcp 443 from users to services \"purpose\"`".to_string()
        }))
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
        let r: PResult<'a, &'a str> = recognize((
            take_while1(|c: char| c.is_ascii_alphabetic() || c == '_'),
            take_while(|c: char| c.is_ascii_alphanumeric() || c == '_' || (dashes && c == '-')),
        ))
        .parse(i);
        match r {
            Ok((rest, s)) => Ok((rest, Spanned::new(s.to_string(), self.span(i, rest)))),
            Err(_) => Err(nom::Err::Error(self.expected(i, "a name"))),
        }
    }

    fn item<'a>(&self, i: &'a str) -> PResult<'a, Item> {
        let (rest, word) = self.ident(i)?;
        match word.node.as_str() {
            "use" => {
                let r = self.ws(rest);
                let (r2, path) = recognize(take_while1(|c: char| {
                    c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-')
                }))
                .parse(r)
                .map_err(|_: nom::Err<PErr>| {
                    nom::Err::Failure(self.expected(r, "a library path like `circleci/2.16`"))
                })?;
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
                return Err(nom::Err::Failure(e));
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

    /// `{ entry* }` — `open` starts at the `{`.
    fn entries<'a>(&self, open: &'a str) -> PResult<'a, Vec<Entry>> {
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
                return Err(nom::Err::Failure(e));
            }
            if let Some(r) = i.strip_prefix('}') {
                return Ok((r, out));
            }
            let (r, entry) = self.entry(i)?;
            out.push(entry);
            i = r;
            // Allow optional separators between entries.
            i = i.trim_start_matches([' ', '\t']);
            if let Some(r) = i.strip_prefix([',', ';']) {
                i = r;
            }
        }
    }

    fn entry<'a>(&self, i: &'a str) -> PResult<'a, Entry> {
        // A quoted key, for map-like blocks such as `tags { "cost-center" = "ci" }`.
        if i.starts_with('"') {
            let (rest, key) = self.string(i)?;
            let r = self.ws(rest);
            let Some(r) = r.strip_prefix('=') else {
                return Err(nom::Err::Failure(
                    self.expected(r, &format!("`=` after `\"{}\"`", key.node)),
                ));
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
        let (rest, word) = self.ident(i).map_err(|_| {
            nom::Err::Failure(self.expected(i, "an attribute (`name = value`), a block or `}`"))
        })?;
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
        Err(nom::Err::Failure(e))
    }

    /// After `allow`: `PROTO [PORTS] from A to B "purpose" [{ attrs }]`.
    fn allow_rest<'a>(&self, start: &'a str, i: &'a str) -> PResult<'a, AllowRule> {
        let i = self.ws(i);
        let (r, pword) = self
            .ident(i)
            .map_err(|_| nom::Err::Failure(self.expected(i, "a protocol (tcp, udp, icmp, all)")))?;
        let protocol = match PROTOCOLS.iter().find(|(n, _)| *n == pword.node) {
            Some((_, p)) => Spanned::new(*p, pword.span),
            None => {
                let mut e = self.err(
                    i,
                    pword.span.len(),
                    Code::E0105,
                    format!("unknown protocol `{}`", pword.node),
                );
                e.label = "expected tcp, udp, icmp or all".into();
                e.help = crate::suggest::did_you_mean(&pword.node, PROTOCOLS.iter().map(|p| p.0));
                return Err(nom::Err::Failure(e));
            }
        };
        let mut i = self.ws(r);
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
        let (r, _) = self.keyword(i, "from")?;
        let i = self.ws(r);
        let (r, from) = self.endpoint(i)?;
        let i = self.ws(r);
        let (r, _) = self.keyword(i, "to")?;
        let i = self.ws(r);
        let (r, to) = self.endpoint(i)?;
        let i = self.ws(r);
        if !i.starts_with('"') {
            let mut e = self.expected(i, "the rule's purpose as a string");
            e.help = Some("every rule says why it exists: `... to services \"Metrics\"`".into());
            return Err(nom::Err::Failure(e));
        }
        let (mut r, purpose) = self.string(i)?;
        let mut attrs = Vec::new();
        let after = self.ws(r);
        if after.starts_with('{') && !self.at_column0(after) {
            let (r2, entries) = self.entries(after)?;
            for e in entries {
                match e {
                    Entry::Attr(a) => attrs.push(a),
                    Entry::Block(b) => {
                        return Err(nom::Err::Failure(self.err(
                            &self.src[b.span.start as usize..],
                            b.kind.span.len(),
                            Code::E0101,
                            "a rule's body holds attributes only",
                        )))
                    }
                    Entry::Allow(a) => {
                        return Err(nom::Err::Failure(self.err(
                            &self.src[a.span.start as usize..],
                            5,
                            Code::E0101,
                            "rules do not nest",
                        )))
                    }
                }
            }
            r = r2;
        }
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

    fn keyword<'a>(&self, i: &'a str, kw: &str) -> PResult<'a, ()> {
        match self.ident(i) {
            Ok((r, w)) if w.node == kw => Ok((r, ())),
            _ => Err(nom::Err::Failure(self.expected(i, &format!("`{kw}`")))),
        }
    }

    fn port_spec<'a>(&self, i: &'a str) -> PResult<'a, Spanned<PortSpec>> {
        let (r, first) = self.integer(i)?;
        let range_sep: PResult<'a, &'a str> = opt(nom::branch::alt((tag(".."), tag("-"))))
            .parse(r)
            .map(|(r, s)| (r, s.unwrap_or("")));
        let (r2, sep) = range_sep?;
        if sep.is_empty() {
            return Ok((
                r,
                Spanned::new(PortSpec { first, last: first }, self.span(i, r)),
            ));
        }
        let (r3, last) = self.integer(r2)?;
        Ok((r3, Spanned::new(PortSpec { first, last }, self.span(i, r3))))
    }

    fn integer<'a>(&self, i: &'a str) -> PResult<'a, u64> {
        let (r, d) =
            digit1::<&str, PErr>(i).map_err(|_| nom::Err::Failure(self.expected(i, "a number")))?;
        match d.parse::<u64>() {
            Ok(n) => Ok((r, n)),
            Err(_) => Err(nom::Err::Failure(self.err(
                i,
                d.len(),
                Code::E0104,
                format!("number `{d}` is too large"),
            ))),
        }
    }

    fn endpoint<'a>(&self, i: &'a str) -> PResult<'a, Spanned<Endpoint>> {
        if i.starts_with(|c: char| c.is_ascii_digit()) {
            let (r, v) = self.number_like(i)?;
            return match v.node {
                Value::Cidr(c) => Ok((r, Spanned::new(Endpoint::Cidr(c), v.span))),
                Value::Ip(ip) => Ok((
                    r,
                    Spanned::new(
                        Endpoint::Cidr(ipnet::Ipv4Net::new(ip, 32).expect("/32 is valid")),
                        v.span,
                    ),
                )),
                _ => Err(nom::Err::Failure(
                    self.expected(i, "an actor, a component or a CIDR"),
                )),
            };
        }
        let (r, n) = self
            .ident(i)
            .map_err(|_| nom::Err::Failure(self.expected(i, "an actor, a component or a CIDR")))?;
        Ok((r, Spanned::new(Endpoint::Name(n.node), n.span)))
    }

    fn string<'a>(&self, i: &'a str) -> PResult<'a, Spanned<String>> {
        let (mut r, _) = char::<&str, PErr>('"')(i)
            .map_err(|_| nom::Err::Failure(self.expected(i, "a string")))?;
        let mut out = String::new();
        loop {
            let mut chars = r.chars();
            match chars.next() {
                None | Some('\n') => {
                    let mut e = self.err(
                        i,
                        r.len().min(1) + self.off(r) - self.off(i),
                        Code::E0102,
                        "unterminated string",
                    );
                    e.label = "this string has no closing `\"`".into();
                    e.help = Some("close the string with `\"` on the same line".into());
                    return Err(nom::Err::Failure(e));
                }
                Some('"') => {
                    let rest = chars.as_str();
                    return Ok((rest, Spanned::new(out, self.span(i, rest))));
                }
                Some('\\') => {
                    let esc = chars.next();
                    match esc {
                        Some('"') => out.push('"'),
                        Some('\\') => out.push('\\'),
                        Some('n') => out.push('\n'),
                        Some('t') => out.push('\t'),
                        _ => {
                            let mut e = self.err(r, 2, Code::E0101, "unknown escape in string");
                            e.label = "only \\\" \\\\ \\n \\t are escapes".into();
                            return Err(nom::Err::Failure(e));
                        }
                    }
                    r = chars.as_str();
                }
                Some(c) => {
                    out.push(c);
                    r = chars.as_str();
                }
            }
        }
    }

    fn value<'a>(&self, i: &'a str) -> PResult<'a, Spanned<Value>> {
        match i.chars().next() {
            Some('"') => {
                let (r, s) = self.string(i)?;
                Ok((r, Spanned::new(Value::Str(s.node), s.span)))
            }
            Some('[') => self.list(i),
            Some(c) if c.is_ascii_digit() => self.number_like(i),
            Some(c) if c.is_ascii_alphabetic() || c == '_' => self.word_value(i),
            _ => Err(nom::Err::Failure(self.expected(i, "a value"))),
        }
    }

    fn list<'a>(&self, i: &'a str) -> PResult<'a, Spanned<Value>> {
        let mut r = self.ws(&i[1..]);
        let mut items = Vec::new();
        loop {
            if let Some(rest) = r.strip_prefix(']') {
                return Ok((rest, Spanned::new(Value::List(items), self.span(i, rest))));
            }
            if r.is_empty() {
                let mut e = self.err(r, 1, Code::E0101, "unclosed list");
                e.also = Some((self.off(i), 1, "this `[` is never closed".into()));
                e.help = Some("add `]` to close the list".into());
                return Err(nom::Err::Failure(e));
            }
            let (rest, v) = self.value(r)?;
            items.push(v);
            r = self.ws(rest);
            if let Some(rest) = r.strip_prefix(',') {
                r = self.ws(rest);
            } else if !r.starts_with(']') {
                return Err(nom::Err::Failure(self.expected(r, "`,` or `]`")));
            }
        }
    }

    /// Numbers, ranges, sizes, bandwidths, IP addresses and CIDRs all start with a digit.
    fn number_like<'a>(&self, i: &'a str) -> PResult<'a, Spanned<Value>> {
        let (r, text) = recognize(take_while1(|c: char| {
            c.is_ascii_digit() || c == '.' || c == '/'
        }))
        .parse(i)
        .map_err(|_: nom::Err<PErr>| nom::Err::Failure(self.expected(i, "a number")))?;
        let malformed = |what: &str, help: &str| {
            let mut e = self.err(
                i,
                text.len(),
                Code::E0104,
                format!("malformed {what} `{text}`"),
            );
            e.label = format!("not a valid {what}");
            e.help = Some(help.to_string());
            nom::Err::Failure(e)
        };
        if text.contains('/') {
            let (addr, prefix) = text.split_once('/').unwrap_or((text, ""));
            let ip: Ipv4Addr = addr
                .parse()
                .map_err(|_| malformed("CIDR", "write an IPv4 network such as `10.0.0.0/16`"))?;
            let len: u8 = prefix
                .parse()
                .ok()
                .filter(|n| *n <= 32)
                .ok_or_else(|| malformed("CIDR", "the prefix length is 0..32"))?;
            let net = ipnet::Ipv4Net::new(ip, len)
                .map_err(|_| malformed("CIDR", "the prefix length is 0..32"))?;
            return Ok((r, Spanned::new(Value::Cidr(net), self.span(i, r))));
        }
        let dots = text.matches('.').count();
        if dots == 3 {
            let ip: Ipv4Addr = text
                .parse()
                .map_err(|_| malformed("IP address", "each part of an IPv4 address is 0..255"))?;
            return Ok((r, Spanned::new(Value::Ip(ip), self.span(i, r))));
        }
        if let Some((a, b)) = text.split_once("..") {
            let first = a.parse::<u64>();
            let last = b.parse::<u64>();
            return match (first, last) {
                (Ok(first), Ok(last)) => Ok((
                    r,
                    Spanned::new(Value::Range { first, last }, self.span(i, r)),
                )),
                _ => Err(malformed("range", "write a range as `2..10`")),
            };
        }
        let n: u64 = text
            .parse()
            .map_err(|_| malformed("number", "write a whole number, e.g. `100`"))?;
        // A word on the same line that is not followed by `=` is this number's unit.
        let after = self.inline_ws(r);
        let (after_word, word) =
            match take_while1::<_, &str, PErr>(|c: char| c.is_ascii_alphabetic())(after) {
                Ok(x) => x,
                Err(_) => return Ok((r, Spanned::new(Value::Int(n), self.span(i, r)))),
            };
        let next = self.inline_ws(after_word);
        if next.starts_with('=') || next.starts_with('{') || word == "from" || word == "to" {
            return Ok((r, Spanned::new(Value::Int(n), self.span(i, r))));
        }
        if let Some((_, unit)) = SizeUnit::ALL.iter().find(|(u, _)| *u == word) {
            return Ok((
                after_word,
                Spanned::new(
                    Value::Size {
                        amount: n,
                        unit: *unit,
                    },
                    self.span(i, after_word),
                ),
            ));
        }
        match word {
            "Gbps" => {
                return Ok((
                    after_word,
                    Spanned::new(
                        Value::Bandwidth { mbps: n * 1000 },
                        self.span(i, after_word),
                    ),
                ))
            }
            "Mbps" => {
                return Ok((
                    after_word,
                    Spanned::new(Value::Bandwidth { mbps: n }, self.span(i, after_word)),
                ))
            }
            _ => {}
        }
        let mut e = self.err(
            after,
            word.len(),
            Code::E0104,
            format!("unknown unit `{word}`"),
        );
        e.label = "not a unit".into();
        let units = SizeUnit::ALL
            .iter()
            .map(|(u, _)| *u)
            .chain(["Mbps", "Gbps"]);
        e.help = Some(
            crate::suggest::did_you_mean(word, units.clone())
                .unwrap_or_else(|| format!("units are {}", units.collect::<Vec<_>>().join(", "))),
        );
        Err(nom::Err::Failure(e))
    }

    /// `true`, `false`, `secret`, AWS ids, calls `name(args)` and bare names.
    fn word_value<'a>(&self, i: &'a str) -> PResult<'a, Spanned<Value>> {
        // AWS ids: a known prefix, `-`, then hex digits.
        let (r, raw) = recognize(take_while1(|c: char| {
            c.is_ascii_alphanumeric() || c == '_' || c == '-'
        }))
        .parse(i)?;
        if let Some((prefix, _)) = raw.split_once('-') {
            if AWS_ID_PREFIXES.contains(&prefix) {
                return Ok((
                    r,
                    Spanned::new(Value::AwsId(raw.to_string()), self.span(i, r)),
                ));
            }
        }
        let (r, name) = self.ident(i)?;
        let v = match name.node.as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "secret" => Value::Secret,
            _ => {
                if let Some(args_start) = r.strip_prefix('(') {
                    let mut a = self.ws(args_start);
                    let mut args = Vec::new();
                    loop {
                        if let Some(rest) = a.strip_prefix(')') {
                            let span = self.span(i, rest);
                            return Ok((rest, Spanned::new(Value::Call { name, args }, span)));
                        }
                        let (rest, v) = self.value(a)?;
                        args.push(v);
                        a = self.ws(rest);
                        if let Some(rest) = a.strip_prefix(',') {
                            a = self.ws(rest);
                        } else if !a.starts_with(')') {
                            return Err(nom::Err::Failure(self.expected(a, "`,` or `)`")));
                        }
                    }
                }
                Value::Ident(name.node)
            }
        };
        Ok((r, Spanned::new(v, self.span(i, r))))
    }
}

/// A short description of what is at `i`, for "found ...".
fn describe_next(i: &str) -> String {
    match i.chars().next() {
        None => "the end of the file".into(),
        Some('\n') | Some('\r') => "the end of the line".into(),
        Some(c) if c.is_ascii_alphanumeric() || c == '_' => {
            let w: String = i
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/'))
                .collect();
            format!("`{w}`")
        }
        Some(c) => format!("`{c}`"),
    }
}

fn next_token_len(i: &str) -> usize {
    match i.chars().next() {
        None => 0,
        Some(c) if c.is_ascii_alphanumeric() || c == '_' => i
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/'))
            .count(),
        Some(c) => c.len_utf8(),
    }
}
