//! Block schemas: each block kind declares its attributes (name, type, required or not, an
//! example for the help), and one reader checks a block against its schema: unknown and
//! repeated attributes, missing required ones, wrong types. What comes out is typed; the
//! readers of each kind only build their model values from it.

use super::fields::{as_cidrs, as_int, as_size, as_string, fields, read_condition, type_error};
use crate::ast::{Block, Entry, Value};
use crate::codes::Code;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::model::{Condition, InstanceType, Stdlib};
use crate::resolve::library::port_u16;
use crate::span::{Span, Spanned};
use ipnet::IpNet;
use std::collections::{BTreeMap, BTreeSet};

/// The type of an attribute's value.
#[derive(Clone, Copy, Debug)]
pub(super) enum Ty {
    Str,
    Int,
    /// A port: 0..65535.
    Port,
    Bool,
    /// `100 GiB`, in bytes.
    Size,
    /// `10 Gbps`, in Mbps.
    Bandwidth,
    /// `1..5`, or a number meaning "this many or more".
    Range,
    /// A CIDR or address, or a list of them.
    Cidrs,
    /// A list of strings.
    Strings,
    /// `always`, `external(postgres)`, ...
    Condition,
    /// An actor the library declares.
    Actor,
    /// An externalizable service the library declares.
    External,
    /// An AWS id with this prefix: `vpc-0a1b2c3d`.
    AwsId(&'static str),
    /// One AWS id with this prefix, or a non-empty list of them.
    AwsIds(&'static str),
    /// An instance type of the catalog.
    Instance,
    /// Read by the block's own reader (a call, `secret`, a count).
    Any,
}

/// One attribute of a block kind.
#[derive(Clone, Copy, Debug)]
pub(super) struct AttrSpec {
    pub(super) name: &'static str,
    pub(super) ty: Ty,
    pub(super) required: bool,
    /// What to write, for the help of a missing or mistyped value ([`SERVICES_INSTANCE`],
    /// [`NOMAD_INSTANCE`]: the instance type the stdlib recommends for the role).
    example: &'static str,
}

/// The examples of the services box's and a fleet's instance type: the stdlib's recommended
/// type for the role (`machine services`, `machine nomad`), filled in by [`AttrSpec::example`].
pub(super) const SERVICES_INSTANCE: &str = "<the services machine's instance>";
pub(super) const NOMAD_INSTANCE: &str = "<the nomad machine's instance>";

impl AttrSpec {
    /// What to write, for the help of a missing or mistyped value, and the reference.
    pub(super) fn example(&self, lib: &Stdlib) -> String {
        match self.example {
            SERVICES_INSTANCE => quoted(&lib.services_machine.instance),
            NOMAD_INSTANCE => quoted(&lib.nomad_machine.instance),
            other => other.to_string(),
        }
    }
}

/// `"text"`, as the language writes a string.
/// The text inside a string value's quotes (a string's span covers its quotes).
pub(super) fn inner(span: Span) -> Span {
    Span {
        start: span.start + 1,
        end: span.end.saturating_sub(1).max(span.start + 1),
        ..span
    }
}

pub(super) fn quoted(text: &str) -> String {
    format!("\"{text}\"")
}

pub(super) const fn req(name: &'static str, ty: Ty, example: &'static str) -> AttrSpec {
    AttrSpec {
        name,
        ty,
        required: true,
        example,
    }
}

pub(super) const fn opt(name: &'static str, ty: Ty, example: &'static str) -> AttrSpec {
    AttrSpec {
        name,
        ty,
        required: false,
        example,
    }
}

/// A value that passed its schema's type.
#[derive(Clone, Debug)]
pub(super) enum Typed {
    Str(String),
    Int(u64),
    Port(u16),
    Bool(bool),
    Bytes(u64),
    Mbps(u64),
    Range(u64, Option<u64>),
    Cidrs(Vec<IpNet>),
    Strings(Vec<String>),
    Condition(Condition),
    Actor(String),
    External(String),
    Instance(InstanceType),
    Raw(Spanned<Value>),
}

/// A block's attributes, typed by its schema. Getters return `None` for an attribute that is
/// missing or was mistyped: either has been reported already.
pub(super) struct Values {
    map: BTreeMap<&'static str, (Typed, Span)>,
    /// Entries that did not parse (a syntax error says so already).
    broken: BTreeSet<String>,
}

impl Values {
    /// Whether an entry of this name was written but did not parse.
    pub(super) fn is_broken(&self, name: &str) -> bool {
        self.broken.contains(name)
    }

    pub(super) fn span(&self, name: &str) -> Option<Span> {
        self.map.get(name).map(|(_, s)| *s)
    }

    pub(super) fn str(&self, name: &str) -> Option<String> {
        match self.map.get(name) {
            Some((Typed::Str(s), _)) => Some(s.clone()),
            _ => None,
        }
    }

    pub(super) fn int(&self, name: &str) -> Option<u64> {
        match self.map.get(name) {
            Some((Typed::Int(n), _)) => Some(*n),
            _ => None,
        }
    }

    pub(super) fn port(&self, name: &str) -> Option<u16> {
        match self.map.get(name) {
            Some((Typed::Port(p), _)) => Some(*p),
            _ => None,
        }
    }

    pub(super) fn bool(&self, name: &str) -> Option<bool> {
        match self.map.get(name) {
            Some((Typed::Bool(b), _)) => Some(*b),
            _ => None,
        }
    }

    pub(super) fn bytes(&self, name: &str) -> Option<u64> {
        match self.map.get(name) {
            Some((Typed::Bytes(n), _)) => Some(*n),
            _ => None,
        }
    }

    pub(super) fn mbps(&self, name: &str) -> Option<u64> {
        match self.map.get(name) {
            Some((Typed::Mbps(n), _)) => Some(*n),
            _ => None,
        }
    }

    pub(super) fn range(&self, name: &str) -> Option<(u64, Option<u64>)> {
        match self.map.get(name) {
            Some((Typed::Range(a, b), _)) => Some((*a, *b)),
            _ => None,
        }
    }

    pub(super) fn cidrs(&self, name: &str) -> Option<Vec<IpNet>> {
        match self.map.get(name) {
            Some((Typed::Cidrs(c), _)) => Some(c.clone()),
            _ => None,
        }
    }

    pub(super) fn strings(&self, name: &str) -> Option<Vec<String>> {
        match self.map.get(name) {
            Some((Typed::Strings(v), _)) => Some(v.clone()),
            _ => None,
        }
    }

    /// A condition; `always` when the block does not say.
    pub(super) fn condition(&self, name: &str) -> Condition {
        match self.map.get(name) {
            Some((Typed::Condition(c), _)) => c.clone(),
            Some(_) => Condition::Never,
            None => Condition::Always,
        }
    }

    pub(super) fn instance(&self, name: &str) -> Option<(InstanceType, Span)> {
        match self.map.get(name) {
            Some((Typed::Instance(t), span)) => Some((t.clone(), *span)),
            _ => None,
        }
    }

    /// A value the block's reader types itself (`Ty::Any`).
    pub(super) fn raw(&self, name: &str) -> Option<&Spanned<Value>> {
        match self.map.get(name) {
            Some((Typed::Raw(v), _)) => Some(v),
            _ => None,
        }
    }

    pub(super) fn actor(&self, name: &str) -> Option<String> {
        match self.map.get(name) {
            Some((Typed::Actor(a), _)) => Some(a.clone()),
            _ => None,
        }
    }

    pub(super) fn external(&self, name: &str) -> Option<String> {
        match self.map.get(name) {
            Some((Typed::External(e), _)) => Some(e.clone()),
            _ => None,
        }
    }
}

/// Checks a block's attributes against its schema and types them. Nested blocks of the kinds
/// given come back as they are; any other nested block or rule is reported.
pub(super) fn read<'a>(
    what: impl Into<String>,
    b: &'a Block,
    schema: &[AttrSpec],
    nested: &[&str],
    lib: &Stdlib,
    diags: &mut Diagnostics,
) -> (Values, Vec<&'a Block>) {
    read_entries(what, b.span, &b.entries, schema, nested, lib, diags)
}

/// [`read`] for entries that are not a block's (a rule's `{ ... }`).
pub(super) fn read_entries<'a>(
    what: impl Into<String>,
    span: Span,
    entries: &'a [Entry],
    schema: &[AttrSpec],
    nested: &[&str],
    lib: &Stdlib,
    diags: &mut Diagnostics,
) -> (Values, Vec<&'a Block>) {
    let keys: Vec<&str> = schema.iter().map(|a| a.name).collect();
    let f = fields(what, span, entries, &keys, nested, false, diags);
    let mut map = BTreeMap::new();
    for attr in schema {
        match f.get(attr.name) {
            None if attr.required && !f.broken.contains(attr.name) => {
                f.missing(attr.name, &attr.example(lib), diags)
            }
            None => {}
            Some(v) => {
                if let Some(t) = typed(v, attr, lib, diags) {
                    // A condition with an unknown name still holds nothing.
                    map.insert(attr.name, (t, v.span));
                } else if matches!(attr.ty, Ty::Condition) {
                    map.insert(attr.name, (Typed::Condition(Condition::Never), v.span));
                }
            }
        }
    }
    let broken = f.broken.iter().map(|k| k.to_string()).collect();
    (Values { map, broken }, f.blocks)
}

fn typed(
    v: &Spanned<Value>,
    attr: &AttrSpec,
    lib: &Stdlib,
    diags: &mut Diagnostics,
) -> Option<Typed> {
    let ex = &attr.example(lib);
    Some(match attr.ty {
        Ty::Str => Typed::Str(as_string(v, ex, diags)?.node),
        Ty::Int => Typed::Int(as_int(v, ex, diags)?.0),
        Ty::Port => {
            let (p, span) = as_int(v, ex, diags)?;
            match u16::try_from(p) {
                Ok(p) => Typed::Port(p),
                Err(_) => {
                    port_u16(p, span, diags);
                    return None;
                }
            }
        }
        Ty::Bool => match &v.node {
            Value::Bool(b) => Typed::Bool(*b),
            other => return mistyped(v, "`true` or `false`", other, ex, diags),
        },
        Ty::Size => Typed::Bytes(as_size(v, ex, diags)?.0),
        Ty::Bandwidth => match &v.node {
            Value::Bandwidth { mbps } => Typed::Mbps(*mbps),
            other => return mistyped(v, "a bandwidth", other, ex, diags),
        },
        Ty::Range => match &v.node {
            Value::Range { first, last } => Typed::Range(*first, Some(*last)),
            Value::Int(n) => Typed::Range(*n, None),
            other => return mistyped(v, "a range", other, ex, diags),
        },
        Ty::Cidrs => Typed::Cidrs(as_cidrs(v, diags)?),
        Ty::Strings => match &v.node {
            Value::List(items) => Typed::Strings(
                items
                    .iter()
                    .filter_map(|i| as_string(i, ex, diags).map(|s| s.node))
                    .collect(),
            ),
            other => return mistyped(v, "a list of strings", other, &format!("[{ex}]"), diags),
        },
        Ty::Condition => Typed::Condition(read_condition(v, lib, diags)?),
        Ty::Actor => Typed::Actor(actor_name(v, lib, diags)?),
        Ty::External => Typed::External(external_name(v, lib, diags)?),
        Ty::AwsId(prefix) => Typed::Str(aws_id(v, prefix, diags)?),
        Ty::AwsIds(prefix) => match &v.node {
            Value::List(items) if !items.is_empty() => {
                let ids: Vec<Option<String>> =
                    items.iter().map(|i| aws_id(i, prefix, diags)).collect();
                Typed::Strings(ids.into_iter().collect::<Option<Vec<_>>>()?)
            }
            Value::List(_) => return mistyped(v, "an AWS id", &v.node, ex, diags),
            _ => Typed::Strings(vec![aws_id(v, prefix, diags)?]),
        },
        Ty::Instance => Typed::Instance(instance_type(v, lib, diags)?),
        Ty::Any => Typed::Raw(v.clone()),
    })
}

/// `vpc-0a1b2c3d`: the prefix, then 8 or 17 lower-case hex digits.
fn aws_id(v: &Spanned<Value>, prefix: &str, diags: &mut Diagnostics) -> Option<String> {
    let example = format!("{prefix}-0a1b2c3d");
    let raw = match &v.node {
        Value::AwsId(s) | Value::Str(s) => s.clone(),
        other => {
            type_error(v.span, "an AWS id", other, &example, diags);
            return None;
        }
    };
    if crate::shapes::valid_aws_id(&raw, prefix) {
        return Some(raw);
    }
    diags.push(
        Diagnostic::new(
            Code::E0304,
            v.span,
            format!("`{raw}` is not a valid {prefix} id"),
        )
        .label(format!(
            "expected `{prefix}-` and 8 or 17 lower-case hex digits"
        ))
        .help(format!(
            "copy the id from the AWS console, e.g. `{example}`"
        )),
    );
    None
}

fn instance_type(
    v: &Spanned<Value>,
    lib: &Stdlib,
    diags: &mut Diagnostics,
) -> Option<InstanceType> {
    let s = as_string(v, &quoted(&lib.services_machine.instance), diags)?;
    if let Some(t) = lib.instance_types.get(&s.node) {
        return Some(t.clone());
    }
    diags.push(
        Diagnostic::new(Code::E0207, s.span, format!("unknown instance type `{}`", s.node))
            .label("not in the instance-type catalog")
            .help_name(&s.node, inner(s.span), lib.instance_types.keys().map(String::as_str), || {
                "add it to the site: `instance_type \"x\" { vcpu = 8  memory = 32 GiB  network = \"High\"  bandwidth = 1000 Mbps }`".into()
            }),
    );
    None
}

fn mistyped(
    v: &Spanned<Value>,
    expected: &str,
    found: &Value,
    example: &str,
    diags: &mut Diagnostics,
) -> Option<Typed> {
    type_error(v.span, expected, found, example, diags);
    None
}

/// An attribute naming an actor the library declares.
fn actor_name(v: &Spanned<Value>, lib: &Stdlib, diags: &mut Diagnostics) -> Option<String> {
    match &v.node {
        Value::Ident(n) if lib.actors.contains_key(n) => Some(n.clone()),
        Value::Ident(n) => {
            diags.push(
                Diagnostic::new(Code::E0214, v.span, format!("unknown actor `{n}`"))
                    .label("no actor of this name")
                    .help_name(n, v.span, lib.actors.keys().map(String::as_str), || {
                        "name an actor the stdlib declares".into()
                    }),
            );
            None
        }
        other => {
            type_error(v.span, "an actor's name", other, "<actor>", diags);
            None
        }
    }
}

/// An attribute naming an externalizable service the library declares.
fn external_name(v: &Spanned<Value>, lib: &Stdlib, diags: &mut Diagnostics) -> Option<String> {
    match &v.node {
        Value::Ident(n) if lib.externals.contains_key(n) => Some(n.clone()),
        Value::Ident(n) => {
            diags.push(
                Diagnostic::new(
                    Code::E0210,
                    v.span,
                    format!("unknown external service `{n}`"),
                )
                .label("no externalizable service of this name")
                .help_name(
                    n,
                    v.span,
                    lib.externals.keys().map(String::as_str),
                    || "name an externalizable service the stdlib declares".into(),
                ),
            );
            None
        }
        other => {
            type_error(v.span, "a service's name", other, "<service>", diags);
            None
        }
    }
}
