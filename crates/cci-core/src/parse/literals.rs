//! What a token's text means as a literal: strings (escapes, the characters a string may
//! hold), numbers and what starts with a digit (ranges, sizes, bandwidths, IPv4 addresses and
//! networks), IPv6 addresses and networks, AWS ids, names, ports and rule endpoints. Pure
//! functions on text: the parser calls them to report, the lowering to build values.

use crate::ast::{Endpoint, PortSpec, SizeUnit, Value};
use crate::codes::Code;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// AWS id prefixes the language reads as typed ids rather than names.
pub const AWS_ID_PREFIXES: &[&str] = &[
    "vpc", "subnet", "sg", "ami", "igw", "nat", "rtb", "vpce", "pl", "eni",
];

/// A literal that is not one: where in its text, and what to say.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct LitError {
    /// Byte offset and length within the literal's text.
    pub at: usize,
    pub len: usize,
    pub code: Code,
    pub message: String,
    pub label: String,
    pub help: String,
    /// The error is about the unit word written after the number (`at` is within it).
    pub in_unit: bool,
    /// What to write instead of the text the error covers, when that is certain.
    pub fix: Option<String>,
}

impl LitError {
    /// `w` is not a valid `what` (E0104).
    fn malformed(w: &str, what: &str, help: &str) -> Self {
        let label = format!("not a valid {what}");
        LitError::new(
            0,
            w.len(),
            Code::E0104,
            format!("malformed {what} `{w}`"),
            &label,
            help,
        )
    }

    fn new(at: usize, len: usize, code: Code, message: String, label: &str, help: &str) -> Self {
        LitError {
            at,
            len: len.max(1),
            code,
            message,
            label: label.to_string(),
            help: help.to_string(),
            in_unit: false,
            fix: None,
        }
    }
}

/// `[A-Za-z_][A-Za-z0-9_]*`: a block kind, a key, a name value.
pub fn is_name(w: &str) -> bool {
    w.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A block label written bare: a name that may also hold `-` (`aws-us-gov`).
pub(super) fn is_label(w: &str) -> bool {
    w.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `use`'s library path: letters, digits, `_`, `.`, `/`, `-`.
pub(super) fn is_path(w: &str) -> bool {
    !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-'))
}

/// A string token's value (the token holds its quotes): `\"` and `\\` read, or why not.
pub(super) fn string_value(token: &str) -> Result<String, LitError> {
    let body = &token[1..];
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok(out),
            '\\' => match chars.next() {
                Some((_, '"')) => out.push('"'),
                Some((_, '\\')) => out.push('\\'),
                Some((_, e @ ('n' | 't' | 'r'))) => {
                    return Err(unprintable(1 + i, 2, &format!("`\\{e}`")))
                }
                _ => {
                    return Err(LitError::new(
                        1 + i,
                        2,
                        Code::E0101,
                        "unknown escape in string".into(),
                        "only \\\" and \\\\ are escapes",
                        "write `\\\"` for a quote and `\\\\` for a backslash",
                    ))
                }
            },
            c if c.is_control() || crate::display::is_unsafe(c) => {
                return Err(unprintable(
                    1 + i,
                    c.len_utf8(),
                    &format!("U+{:04X}", c as u32),
                ))
            }
            c => out.push(c),
        }
    }
    Err(LitError::new(
        0,
        token.len(),
        Code::E0102,
        "unterminated string".into(),
        "this string has no closing `\"`",
        "close the string with `\"` on the same line",
    ))
}

/// A control or invisible character, or an escape for one, in a string: every string may
/// land in an output (a description, `ports.md`, a tag), where it would be replayed.
fn unprintable(at: usize, len: usize, what: &str) -> LitError {
    LitError::new(
        at,
        len,
        Code::E0107,
        format!("a control or invisible character in a string ({what})"),
        "not printable text",
        "a string is one line of printable text: remove the character (it would reach ports.md, plan and the Terraform as it is)",
    )
}

/// A value written as a word (and, for a number, the unit word after it on its line).
pub(super) fn word_value(word: &str, unit: Option<&str>) -> Result<Value, LitError> {
    if ipv6_len(word).is_some() {
        return ipv6(word);
    }
    if word.starts_with(|c: char| c.is_ascii_digit()) {
        return number_like(word, unit);
    }
    if let Some((prefix, rest)) = word.split_once('-') {
        let id_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
        if AWS_ID_PREFIXES.contains(&prefix) && !rest.is_empty() && rest.chars().all(id_char) {
            return Ok(Value::AwsId(word.to_string()));
        }
    }
    if is_name(word) {
        return Ok(match word {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "secret" => Value::Secret,
            _ => Value::Ident(word.to_string()),
        });
    }
    Err(not_a_value(word))
}

/// "expected a value" for a word that is none, saying why when it is a name with characters
/// a name cannot hold.
fn not_a_value(word: &str) -> LitError {
    let bad = word
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'));
    let help = match bad {
        Some((_, c)) if !c.is_ascii() => {
            "names are ASCII letters, digits and `_`; a string goes in quotes: `\"...\"`"
        }
        _ => "a value is a string `\"...\"`, a number, a size `100 GiB`, a range `1..5`, a CIDR, an AWS id, a list `[...]` or a name",
    };
    LitError::new(
        0,
        word.len(),
        Code::E0101,
        format!("expected a value, found `{word}`"),
        "not a value",
        help,
    )
}

/// The length of the IPv6 address `w` starts with: its longest run of hex digits and `:`,
/// when that run holds a `:` and is an IPv6 address (so `fd00::/8` is one, a word such as
/// `add` or a number such as `100` is not).
pub(super) fn ipv6_len(w: &str) -> Option<usize> {
    let end = w
        .find(|c: char| !(c.is_ascii_hexdigit() || c == ':'))
        .unwrap_or(w.len());
    let run = &w[..end];
    (run.contains(':') && run.parse::<Ipv6Addr>().is_ok()).then_some(end)
}

/// An IPv6 address or network (`2001:db8::10`, `2001:db8::/32`, `::/0`).
fn ipv6(w: &str) -> Result<Value, LitError> {
    let len = ipv6_len(w).unwrap_or_default();
    let (addr, rest) = w.split_at(len);
    let bad = |what: &str, help: &str| LitError::malformed(w, what, help);
    let ip: Ipv6Addr = addr
        .parse()
        .map_err(|_| bad("IPv6 address", "write it as `2001:db8::10`"))?;
    if rest.is_empty() {
        return Ok(Value::Ip(IpAddr::V6(ip)));
    }
    let digits = rest
        .strip_prefix('/')
        .ok_or_else(|| bad("IPv6 address", "write it as `2001:db8::10`"))?;
    let prefix: u8 = digits
        .parse()
        .ok()
        .filter(|n| *n <= 128 && (digits.len() == 1 || !digits.starts_with('0')))
        .ok_or_else(|| bad("CIDR", "an IPv6 prefix length is 0..128"))?;
    let net = ipnet::Ipv6Net::new(ip, prefix)
        .map_err(|_| bad("CIDR", "an IPv6 prefix length is 0..128"))?;
    Ok(Value::Cidr(net.into()))
}

/// Numbers, ranges, sizes, bandwidths, IPv4 addresses and networks all start with a digit.
fn number_like(w: &str, unit: Option<&str>) -> Result<Value, LitError> {
    let end = w
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '/'))
        .unwrap_or(w.len());
    let (text, tail) = w.split_at(end);
    let malformed = |what: &str, help: &str| LitError::malformed(w, what, help);
    if !tail.is_empty() {
        // `100GiB`: a unit written against its number.
        if text.chars().all(|c| c.is_ascii_digit()) && tail.chars().all(|c| c.is_ascii_alphabetic())
        {
            let n = integer(text, w)?;
            return with_unit(n, tail, text.len());
        }
        return Err(malformed("number", "write a whole number, e.g. `100`"));
    }
    if let Some((addr, prefix)) = text.split_once('/') {
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
        return Ok(Value::Cidr(net.into()));
    }
    if text.matches('.').count() == 3 {
        let ip: Ipv4Addr = text
            .parse()
            .map_err(|_| malformed("IP address", "each part of an IPv4 address is 0..255"))?;
        return Ok(Value::Ip(IpAddr::V4(ip)));
    }
    if let Some((a, b)) = text.split_once("..") {
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
        if !digits(a) || !digits(b) {
            return Err(malformed("range", "write a range as `2..10`"));
        }
        // Both are numbers: the only way to fail is one too large, said as such.
        return Ok(Value::Range {
            first: integer(a, w)?,
            last: integer(b, w)?,
        });
    }
    if !text.chars().all(|c| c.is_ascii_digit()) {
        return Err(malformed("number", "write a whole number, e.g. `100`"));
    }
    let n = integer(text, w)?;
    match unit {
        Some(u) => with_unit(n, u, 0).map_err(|e| LitError { in_unit: true, ..e }),
        None => Ok(Value::Int(n)),
    }
}

/// A whole number that fits.
fn integer(digits: &str, w: &str) -> Result<u64, LitError> {
    digits.parse::<u64>().map_err(|_| {
        LitError::new(
            0,
            w.len(),
            Code::E0104,
            format!(
                "number `{}` is too large (at most {})",
                crate::display::cut(digits),
                u64::MAX
            ),
            "too large",
            "write a smaller number",
        )
    })
}

/// A size or a bandwidth: `n` and its unit (`at` is where the unit starts in the text).
fn with_unit(n: u64, unit: &str, at: usize) -> Result<Value, LitError> {
    if let Some((_, u)) = SizeUnit::ALL.iter().find(|(name, _)| *name == unit) {
        return Ok(Value::Size {
            amount: n,
            unit: *u,
        });
    }
    match unit {
        "Gbps" => Ok(Value::Bandwidth {
            mbps: n.saturating_mul(1000),
        }),
        "Mbps" => Ok(Value::Bandwidth { mbps: n }),
        _ => {
            let units = SizeUnit::ALL
                .iter()
                .map(|(u, _)| *u)
                .chain(["Mbps", "Gbps"]);
            let close = crate::suggest::closest(unit, units.clone());
            let help = close.map_or_else(
                || format!("units are {}", units.collect::<Vec<_>>().join(", ")),
                |c| format!("did you mean `{c}`?"),
            );
            let mut e = LitError::new(
                at,
                unit.len(),
                Code::E0104,
                format!("unknown unit `{unit}`"),
                "not a unit",
                &help,
            );
            e.fix = close.map(str::to_string);
            Err(e)
        }
    }
}

/// Whether a word is a unit the language knows (`GiB`, `Gbps`, ...).
pub(super) fn is_unit(w: &str) -> bool {
    SizeUnit::ALL.iter().any(|(u, _)| *u == w) || w == "Mbps" || w == "Gbps"
}

/// `443`, `1000-2000` or `2..10` in a rule's port list.
pub(super) fn port_spec(w: &str) -> Result<PortSpec, LitError> {
    let port_error = |what: &str| {
        LitError::new(
            0,
            w.len(),
            Code::E0104,
            format!("port `{}` is {what}", crate::display::cut(w)),
            "ports are 0..65535",
            "use a port between 0 and 65535",
        )
    };
    if w.strip_prefix('-')
        .is_some_and(|d| d.starts_with(|c: char| c.is_ascii_digit()))
    {
        return Err(port_error("negative"));
    }
    let (a, b) = w
        .split_once("..")
        .or_else(|| w.split_once('-'))
        .unwrap_or((w, w));
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if !digits(a) || !digits(b) {
        return Err(LitError::new(
            0,
            w.len(),
            Code::E0101,
            format!("expected a port or a port range, found `{w}`"),
            "expected a port (`443`) or a range (`1000-2000`)",
            "ports are numbers: `443`, `80, 443`, `1000-2000`",
        ));
    }
    let port = |s: &str| integer(s, w).map_err(|_| port_error("too large (at most 65535)"));
    Ok(PortSpec {
        first: port(a)?,
        last: port(b)?,
    })
}

/// A rule's source or destination: a name (actor or component) or an address or network.
pub(super) fn endpoint(w: &str) -> Result<Endpoint, LitError> {
    if ipv6_len(w).is_some() || w.starts_with(|c: char| c.is_ascii_digit()) {
        return match word_value(w, None)? {
            Value::Cidr(c) => Ok(Endpoint::Cidr(c)),
            Value::Ip(ip) => Ok(Endpoint::Cidr(ip.into())),
            _ => Err(not_an_endpoint(w)),
        };
    }
    if is_name(w) {
        return Ok(Endpoint::Name(w.to_string()));
    }
    Err(not_an_endpoint(w))
}

fn not_an_endpoint(w: &str) -> LitError {
    LitError::new(
        0,
        w.len(),
        Code::E0101,
        format!("expected an actor, a component or a CIDR, found `{w}`"),
        "expected an actor, a component or a CIDR",
        "a rule goes from and to a name (`users`, `nomad`) or an address range (`10.0.0.0/8`)",
    )
}
