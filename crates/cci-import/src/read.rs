//! Reading the tfvars: each `name = value` once, as a literal, and what a variable says (a
//! string, a flag) with a note for what cannot be read.

use crate::{ImportError, Note, NoteKind};
use hcl::eval::{Context, Evaluate};
use hcl::Value;
use std::collections::HashSet;

/// One `name = value` of the tfvars.
pub(crate) struct Var {
    pub(crate) name: String,
    /// `None` when the expression is not a literal (tfvars take only literals).
    pub(crate) value: Option<Value>,
}

/// Reads the tfvars: attributes only, each once, values evaluated as literals.
pub(crate) fn read_tfvars(text: &str) -> Result<Vec<Var>, ImportError> {
    let body = hcl::parse(text).map_err(|e| match e {
        hcl::Error::Parse(p) => ImportError {
            // The parser's message only: its Display quotes the offending line, which may be
            // the passphrase's.
            message: format!("not valid HCL: {}", p.message()),
            line: Some(p.location().line()),
            column: Some(p.location().column()),
        },
        _ => ImportError {
            message: "not valid HCL".into(),
            line: None,
            column: None,
        },
    })?;
    let mut vars: Vec<Var> = Vec::new();
    let mut seen = HashSet::new();
    for structure in body {
        match structure {
            hcl::Structure::Attribute(a) => {
                let name = a.key.to_string();
                if !seen.insert(name.clone()) {
                    return Err(ImportError {
                        message: format!(
                            "`{}` is set twice; Terraform refuses a variable given twice in one file",
                            cci_core::display::escaped(&name)
                        ),
                        line: nth_line_of(text, &name, 2),
                        column: None,
                    });
                }
                let value = a.expr.evaluate(&Context::new()).ok();
                vars.push(Var { name, value });
            }
            hcl::Structure::Block(b) => {
                let ident = b.identifier.to_string();
                return Err(ImportError {
                    message: format!(
                        "a `{}` block: a .tfvars file holds only `name = value` lines (is this a Terraform configuration such as variables.tf?)",
                        cci_core::display::escaped(&ident)
                    ),
                    line: nth_line_of(text, &ident, 1),
                    column: None,
                });
            }
        }
    }
    Ok(vars)
}

/// The line (one-based) of the `n`th line that starts with `word`.
pub(crate) fn nth_line_of(text: &str, word: &str, n: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            l.trim_start()
                .strip_prefix(word)
                .is_some_and(|rest| rest.starts_with([' ', '\t', '=', '{', '"']))
        })
        .nth(n - 1)
        .map(|(i, _)| i + 1)
}

/// A string, number or bool as text.
pub(crate) fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// enterprise-setup's flags are `"true"`/`"false"`, `1`/`0` or booleans (Terraform 0.11 took all).
pub(crate) fn flag(v: &Value) -> Option<bool> {
    match scalar(v)?.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// The template's `"..."`, or nothing at all.
pub(crate) fn is_placeholder(s: &str) -> bool {
    let t = s.trim();
    t.is_empty() || t.chars().all(|c| c == '.')
}

pub(crate) struct Importer<'a> {
    pub(crate) vars: Vec<Var>,
    pub(crate) used: HashSet<String>,
    /// (position in the tfvars, or past its end for the site's own, note).
    pub(crate) notes: Vec<(usize, Note)>,
    pub(crate) lib: &'a cci_core::model::Stdlib,
}

impl Importer<'_> {
    pub(crate) fn position(&self, name: &str) -> usize {
        self.vars
            .iter()
            .position(|v| v.name == name)
            .unwrap_or(usize::MAX)
    }

    pub(crate) fn note(&mut self, kind: NoteKind, variable: &str, message: impl Into<String>) {
        let at = self.position(variable);
        self.notes.push((
            at,
            Note {
                kind,
                variable: Some(variable.to_string()),
                message: message.into(),
            },
        ));
    }

    pub(crate) fn site_note(&mut self, kind: NoteKind, message: impl Into<String>) {
        self.notes.push((
            usize::MAX,
            Note {
                kind,
                variable: None,
                message: message.into(),
            },
        ));
    }

    /// The variable's value, if the tfvars set it; a value that is not a literal is reported
    /// here, once, and reads as unset.
    pub(crate) fn get(&mut self, name: &str) -> Option<Value> {
        let value = self.vars.iter().find(|v| v.name == name)?.value.clone();
        if self.used.insert(name.to_string()) && value.is_none() {
            self.note(
                NoteKind::NotCarried,
                name,
                "not a literal value (a .tfvars file takes literals, not expressions); read as unset",
            );
        }
        value
    }

    pub(crate) fn set(&self, name: &str) -> bool {
        self.vars.iter().any(|v| v.name == name)
    }

    /// A scalar variable as text; a list or map is reported and reads as unset.
    pub(crate) fn text(&mut self, name: &str) -> Option<String> {
        let v = self.get(name)?;
        let t = scalar(&v);
        if t.is_none() {
            self.note(
                NoteKind::NotCarried,
                name,
                "expected a string, not a list or map; read as unset",
            );
        }
        t
    }

    /// A flag; what is not one is reported and reads as enterprise-setup's default.
    pub(crate) fn flag(&mut self, name: &str, default: bool) -> bool {
        let Some(v) = self.get(name) else {
            return default;
        };
        flag(&v).unwrap_or_else(|| {
            self.note(
                NoteKind::NotCarried,
                name,
                format!("not true/false or 1/0; enterprise-setup's default ({default}) assumed"),
            );
            default
        })
    }
}
