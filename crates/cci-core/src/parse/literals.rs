//! Literals and values: strings, numbers and what starts with a digit (ranges, sizes,
//! bandwidths, IP addresses, CIDRs), lists, calls, AWS ids and bare names.

use super::*;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

impl Parser<'_> {
    pub(super) fn string<'a>(&self, i: &'a str) -> PResult<'a, Spanned<String>> {
        let Some(mut r) = i.strip_prefix('"') else {
            return Err(self.expected(i, "a string"));
        };
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
                    return Err(e);
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
                        Some(c @ ('n' | 't' | 'r')) => {
                            return Err(self.unprintable(r, 2, &format!("`\\{c}`")));
                        }
                        _ => {
                            let mut e = self.err(r, 2, Code::E0101, "unknown escape in string");
                            e.label = "only \\\" and \\\\ are escapes".into();
                            return Err(e);
                        }
                    }
                    r = chars.as_str();
                }
                Some(c) if c.is_control() || crate::display::is_unsafe(c) => {
                    let what = format!("U+{:04X}", c as u32);
                    return Err(self.unprintable(r, c.len_utf8(), &what));
                }
                Some(c) => {
                    out.push(c);
                    r = chars.as_str();
                }
            }
        }
    }

    /// A control or invisible character, or an escape for one, in a string: every string
    /// may land in an output (a description, `ports.md`, a tag), where it would be replayed.
    fn unprintable(&self, at: &str, len: usize, what: &str) -> PErr {
        let mut e = self.err(
            at,
            len,
            Code::E0107,
            format!("a control or invisible character in a string ({what})"),
        );
        e.label = "not printable text".into();
        e.help = Some(
            "a string is one line of printable text: remove the character (it would reach ports.md, plan and the Terraform as it is)".into(),
        );
        e
    }

    pub(super) fn value<'a>(&self, i: &'a str) -> PResult<'a, Spanned<Value>> {
        match i.chars().next() {
            Some('"') => {
                let (r, s) = self.string(i)?;
                Ok((r, Spanned::new(Value::Str(s.node), s.span)))
            }
            Some('[') => self.list(i),
            _ if ipv6_len(i).is_some() => self.ipv6(i),
            Some(c) if c.is_ascii_digit() => self.number_like(i),
            Some(c) if c.is_ascii_alphabetic() || c == '_' => self.word_value(i),
            _ => Err(self.expected(i, "a value")),
        }
    }

    pub(super) fn list<'a>(&self, i: &'a str) -> PResult<'a, Spanned<Value>> {
        self.nested(i, || self.list_inside(i))
    }

    fn list_inside<'a>(&self, i: &'a str) -> PResult<'a, Spanned<Value>> {
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
                return Err(e);
            }
            let (rest, v) = self.value(r)?;
            items.push(v);
            r = self.ws(rest);
            if let Some(rest) = r.strip_prefix(',') {
                r = self.ws(rest);
            } else if !r.starts_with(']') {
                return Err(self.expected(r, "`,` or `]`"));
            }
        }
    }

    /// Numbers, ranges, sizes, bandwidths, IP addresses and CIDRs all start with a digit.
    pub(super) fn number_like<'a>(&self, i: &'a str) -> PResult<'a, Spanned<Value>> {
        let (text, r) = split_while(i, |c| c.is_ascii_digit() || c == '.' || c == '/');
        if text.is_empty() {
            return Err(self.expected(i, "a number"));
        }
        let value = if let Some((addr, prefix)) = text.split_once('/') {
            self.cidr(i, text, addr, prefix)?
        } else if text.matches('.').count() == 3 {
            let ip: Ipv4Addr = text.parse().map_err(|_| {
                self.malformed(
                    i,
                    text,
                    "IP address",
                    "each part of an IPv4 address is 0..255",
                )
            })?;
            Value::Ip(IpAddr::V4(ip))
        } else if let Some((a, b)) = text.split_once("..") {
            match (a.parse::<u64>(), b.parse::<u64>()) {
                (Ok(first), Ok(last)) => Value::Range { first, last },
                _ => return Err(self.malformed(i, text, "range", "write a range as `2..10`")),
            }
        } else {
            let n: u64 = text.parse().map_err(|_| {
                self.malformed(i, text, "number", "write a whole number, e.g. `100`")
            })?;
            return self.with_unit(i, r, n);
        };
        Ok((r, Spanned::new(value, self.span(i, r))))
    }

    fn cidr(&self, i: &str, text: &str, addr: &str, prefix: &str) -> Result<Value, PErr> {
        let ip: Ipv4Addr = addr.parse().map_err(|_| {
            self.malformed(
                i,
                text,
                "CIDR",
                "write an IPv4 network such as `10.0.0.0/16`",
            )
        })?;
        let len: u8 = prefix
            .parse()
            .ok()
            .filter(|n| *n <= 32)
            .ok_or_else(|| self.malformed(i, text, "CIDR", "the prefix length is 0..32"))?;
        let net = ipnet::Ipv4Net::new(ip, len)
            .map_err(|_| self.malformed(i, text, "CIDR", "the prefix length is 0..32"))?;
        Ok(Value::Cidr(net.into()))
    }

    /// An IPv6 address or network (`2001:db8::10`, `2001:db8::/32`, `::/0`): the longest run of
    /// hex digits and `:` that is an IPv6 address, then `/` and a prefix length if one follows.
    pub(super) fn ipv6<'a>(&self, i: &'a str) -> PResult<'a, Spanned<Value>> {
        let len = ipv6_len(i).unwrap_or_default();
        let (addr, r) = i.split_at(len);
        let ip: Ipv6Addr = addr
            .parse()
            .map_err(|_| self.malformed(i, addr, "IPv6 address", "write it as `2001:db8::10`"))?;
        let Some(after) = r.strip_prefix('/') else {
            return Ok((r, Spanned::new(Value::Ip(IpAddr::V6(ip)), self.span(i, r))));
        };
        let (digits, r) = split_while(after, |c| c.is_ascii_digit());
        let text = &i[..len + 1 + digits.len()];
        let len: u8 = digits
            .parse()
            .ok()
            .filter(|n| *n <= 128 && (digits.len() == 1 || !digits.starts_with('0')))
            .ok_or_else(|| self.malformed(i, text, "CIDR", "an IPv6 prefix length is 0..128"))?;
        let net = ipnet::Ipv6Net::new(ip, len)
            .map_err(|_| self.malformed(i, text, "CIDR", "an IPv6 prefix length is 0..128"))?;
        Ok((r, Spanned::new(Value::Cidr(net.into()), self.span(i, r))))
    }

    fn malformed(&self, i: &str, text: &str, what: &str, help: &str) -> PErr {
        let mut e = self.err(
            i,
            text.len(),
            Code::E0104,
            format!("malformed {what} `{text}`"),
        );
        e.label = format!("not a valid {what}");
        e.help = Some(help.to_string());
        e
    }

    /// A number, or a size or bandwidth when a unit follows on the same line. A word followed
    /// by `=` or `{`, and the rule keywords, are the next item, not a unit.
    fn with_unit<'a>(&self, i: &'a str, r: &'a str, n: u64) -> PResult<'a, Spanned<Value>> {
        let plain = Ok((r, Spanned::new(Value::Int(n), self.span(i, r))));
        let after = self.inline_ws(r);
        let (word, after_word) = split_while(after, |c| c.is_ascii_alphabetic());
        let next = self.inline_ws(after_word);
        if word.is_empty() || next.starts_with(['=', '{']) || word == "from" || word == "to" {
            return plain;
        }
        let value = if let Some((_, unit)) = SizeUnit::ALL.iter().find(|(u, _)| *u == word) {
            Value::Size {
                amount: n,
                unit: *unit,
            }
        } else if word == "Gbps" {
            Value::Bandwidth {
                mbps: n.saturating_mul(1000),
            }
        } else if word == "Mbps" {
            Value::Bandwidth { mbps: n }
        } else {
            return Err(self.unknown_unit(after, word));
        };
        Ok((after_word, Spanned::new(value, self.span(i, after_word))))
    }

    fn unknown_unit(&self, at: &str, word: &str) -> PErr {
        let mut e = self.err(
            at,
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
        e
    }

    /// `true`, `false`, `secret`, AWS ids, calls `name(args)` and bare names.
    pub(super) fn word_value<'a>(&self, i: &'a str) -> PResult<'a, Spanned<Value>> {
        // AWS ids: a known prefix, `-`, then hex digits.
        let (raw, r) = split_while(i, |c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
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
                if let Some(args) = r.strip_prefix('(') {
                    return self.nested(r, || self.call(i, name, args));
                }
                Value::Ident(name.node)
            }
        };
        Ok((r, Spanned::new(v, self.span(i, r))))
    }

    /// A call's arguments, after its `(`.
    fn call<'a>(
        &self,
        i: &'a str,
        name: Spanned<String>,
        args_start: &'a str,
    ) -> PResult<'a, Spanned<Value>> {
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
                return Err(self.expected(a, "`,` or `)`"));
            }
        }
    }
}

/// The length of the IPv6 address `i` starts with: its longest run of hex digits and `:`, when
/// that run holds a `:` and is an IPv6 address (so `fd00::/8` is one, a word such as `add` or a
/// number such as `100` is not).
pub(super) fn ipv6_len(i: &str) -> Option<usize> {
    let end = i
        .find(|c: char| !(c.is_ascii_hexdigit() || c == ':'))
        .unwrap_or(i.len());
    let run = &i[..end];
    (run.contains(':') && run.parse::<Ipv6Addr>().is_ok()).then_some(end)
}
