//! The syntax tree: what was written, with spans, before any name is looked up.
//! The language is uniform — blocks of attributes, plus `allow` rules — so the same tree
//! holds the stdlib and the site; `resolve` gives the blocks their meaning.

use crate::span::{Span, Spanned};
use std::fmt;
use std::net::IpAddr;

/// One parsed file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct File {
    pub items: Vec<Item>,
    /// The first word of each top-level item that failed to parse (e.g. `site`).
    pub broken: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Use(UseDecl),
    Block(Block),
    Allow(AllowRule),
}

/// `use circleci/2.16`
#[derive(Clone, Debug, PartialEq)]
pub struct UseDecl {
    pub path: Spanned<String>,
    pub span: Span,
}

/// `kind label... { entries }`
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub kind: Spanned<String>,
    pub labels: Vec<Spanned<String>>,
    pub entries: Vec<Entry>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    Attr(Attr),
    Block(Block),
    Allow(AllowRule),
    /// An entry that did not parse (reported as a syntax error), by its first word if it had
    /// one: later stages neither call that attribute missing nor report it again.
    Broken(Spanned<String>),
}

/// `key = value`
#[derive(Clone, Debug, PartialEq)]
pub struct Attr {
    pub key: Spanned<String>,
    pub value: Spanned<Value>,
    pub span: Span,
}

/// `allow PROTO PORTS from A to B "purpose" { attrs }`
#[derive(Clone, Debug, PartialEq)]
pub struct AllowRule {
    pub protocol: Spanned<Protocol>,
    pub ports: Vec<Spanned<PortSpec>>,
    pub from: Spanned<Endpoint>,
    pub to: Spanned<Endpoint>,
    pub purpose: Spanned<String>,
    pub attrs: Vec<Attr>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    Tcp,
    Udp,
    Icmp,
    All,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Icmp => "icmp",
            Protocol::All => "all",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A port or an inclusive port range, as written (range-checked later, with its span).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortSpec {
    pub first: u64,
    pub last: u64,
}

/// Where a flow starts or ends: a name (actor or component) or an address range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Name(String),
    /// IPv4 or IPv6.
    Cidr(ipnet::IpNet),
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Name(n) => f.write_str(n),
            Endpoint::Cidr(c) => write!(f, "{c}"),
        }
    }
}

/// Units a size can be written in. GB is 10^9 bytes, GiB 2^30.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeUnit {
    B,
    KB,
    MB,
    GB,
    TB,
    KiB,
    MiB,
    GiB,
    TiB,
}

impl SizeUnit {
    pub const ALL: &'static [(&'static str, SizeUnit)] = &[
        ("B", SizeUnit::B),
        ("KB", SizeUnit::KB),
        ("MB", SizeUnit::MB),
        ("GB", SizeUnit::GB),
        ("TB", SizeUnit::TB),
        ("KiB", SizeUnit::KiB),
        ("MiB", SizeUnit::MiB),
        ("GiB", SizeUnit::GiB),
        ("TiB", SizeUnit::TiB),
    ];

    pub fn bytes(self) -> u64 {
        match self {
            SizeUnit::B => 1,
            SizeUnit::KB => 1_000,
            SizeUnit::MB => 1_000_000,
            SizeUnit::GB => 1_000_000_000,
            SizeUnit::TB => 1_000_000_000_000,
            SizeUnit::KiB => 1 << 10,
            SizeUnit::MiB => 1 << 20,
            SizeUnit::GiB => 1 << 30,
            SizeUnit::TiB => 1 << 40,
        }
    }

    pub fn as_str(self) -> &'static str {
        SizeUnit::ALL
            .iter()
            .find(|(_, u)| *u == self)
            .map(|(s, _)| *s)
            .unwrap_or("B")
    }
}

/// A value as written. Typing happens in `resolve`/`check`, which know what each attribute expects.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(String),
    Int(u64),
    /// `200 GiB`
    Size {
        amount: u64,
        unit: SizeUnit,
    },
    /// `10 Gbps`, kept in Mbps.
    Bandwidth {
        mbps: u64,
    },
    /// `2..10`
    Range {
        first: u64,
        last: u64,
    },
    /// `10.0.0.0/8`, `2001:db8::/32`
    Cidr(ipnet::IpNet),
    /// `10.0.5.10`, `2001:db8::10`
    Ip(IpAddr),
    /// `vpc-0a1b2c3d`, `subnet-...`
    AwsId(String),
    Bool(bool),
    /// The keyword `secret`: supplied at apply time, never written anywhere.
    Secret,
    List(Vec<Spanned<Value>>),
    /// `enterprise("https://ghe.example.com")`, `external(postgres)`
    Call {
        name: Spanned<String>,
        args: Vec<Spanned<Value>>,
    },
    /// A bare name: `github_com`, `never`.
    Ident(String),
}

impl Value {
    /// What the user would call this kind of value, for "expected X, found Y".
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "a string",
            Value::Int(_) => "a number",
            Value::Size { .. } => "a size",
            Value::Bandwidth { .. } => "a bandwidth",
            Value::Range { .. } => "a range",
            Value::Cidr(_) => "a CIDR",
            Value::Ip(_) => "an IP address",
            Value::AwsId(_) => "an AWS id",
            Value::Bool(_) => "a boolean",
            Value::Secret => "`secret`",
            Value::List(_) => "a list",
            Value::Call { .. } => "a call",
            Value::Ident(_) => "a name",
        }
    }
}
