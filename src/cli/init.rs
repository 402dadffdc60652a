//! `cci-dsl init [PATH] [--region R --vpc V --subnet S --ssh-key K --name N]`: a commented
//! site file for the guide's default install.
//!
//! The site is the committed default example with the operator's answers written in. What only
//! the operator can decide and was not given keeps the example's value with a
//! `# TODO(cci-dsl): ...` comment, which `check` reports (E0108) until it is decided and the
//! comment deleted: a site fresh from `init` never builds with the example's VPC in it.

use super::args::InitAnswers;
use cci_core::output::fs::write_new_file;
use cci_core::parse::syntax::{attrs, entries, kind_of, top_blocks};
use cci_core::parse::{is_name, parse_tree, SyntaxKind, SyntaxNode, OPEN_DECISION};
use std::path::Path;
use std::process::ExitCode;

/// The default example, as it is committed.
const INIT_TEMPLATE: &str = include_str!("../../examples/default.cci");

pub fn run(path: &Path, answers: &InitAnswers) -> Result<ExitCode, String> {
    let text = site_text(path, answers);
    refuse_bad_answers(path, &text)?;
    write_new_file(path, text.as_bytes()).map_err(|e| format!("cannot write {e}"))?;
    let todo = text.matches(OPEN_DECISION).count();
    errln!(
        "wrote {}: decide its {todo} `# {OPEN_DECISION}` comment(s), then `cci-dsl build {}`",
        path.display(),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The answers, checked the way `check` would check them, so a mistyped id is reported now
/// rather than at the first build; shown as `check` shows a site (masked, escaped), at the
/// lines of the site that would have been written.
fn refuse_bad_answers(path: &Path, text: &str) -> Result<(), String> {
    use cci_core::diagnostics::{render, Diagnostics, Style};
    let name = path.display().to_string();
    let c = cci_core::compile(&name, text, &cci_core::stdlib::embedded());
    let mut wrong = Diagnostics::default();
    for d in c
        .diagnostics
        .iter()
        .filter(|d| d.code != cci_core::codes::Code::E0108)
    {
        wrong.push(d.clone());
    }
    if wrong.is_empty() {
        return Ok(());
    }
    Err(format!(
        "the options do not make a valid site (nothing written):\n{}",
        render(&wrong, &c.sources, Style::Plain)
    ))
}

/// One change to the template: the bytes `at` become `text`.
struct Edit {
    at: std::ops::Range<usize>,
    text: String,
}

/// The default example with the answers (or placeholders and their TODOs) written in.
pub fn site_text(path: &Path, a: &InitAnswers) -> String {
    let root = parse_tree(INIT_TEMPLATE).root();
    let mut edits = Vec::new();
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| is_name(s));
    for block in top_blocks(&root) {
        match kind_of(&block).unwrap_or_default().as_str() {
            "site" => site_edits(&block, a, stem, &mut edits),
            "actors" => {
                for (key, value) in attributes(&block) {
                    let what = format!("the address ranges `{key}` connect from");
                    edits.push(todo_after(&value, &what));
                }
            }
            _ => {}
        }
    }
    let mut text = INIT_TEMPLATE.to_string();
    edits.sort_by_key(|e| std::cmp::Reverse(e.at.start));
    for e in edits {
        text.replace_range(e.at, &e.text);
    }
    cci_core::format::format(&text)
}

fn site_edits(block: &SyntaxNode, a: &InitAnswers, stem: Option<&str>, edits: &mut Vec<Edit>) {
    if let Some(label) = block.children().find(|n| n.kind() == SyntaxKind::LABEL) {
        let name = a.name.as_deref().or(stem);
        if let Some(name) = name {
            edits.push(Edit {
                at: range(&label),
                text: format!("\"{name}\""),
            });
        }
    }
    let nested = block.children().filter(|n| n.kind() == SyntaxKind::BODY);
    let mut nested = nested.flat_map(|b| entries(&b).collect::<Vec<_>>());
    let Some(aws) =
        nested.find(|b| b.kind() == SyntaxKind::BLOCK && kind_of(b).as_deref() == Some("aws"))
    else {
        return;
    };
    let subnets = match a.subnet.as_slice() {
        [] => None,
        [one] => Some(one.clone()),
        many => Some(format!("[{}]", many.join(", "))),
    };
    for (key, value) in attributes(&aws) {
        let (given, what) = match key.as_str() {
            "region" => (
                a.region.as_ref().map(|r| format!("\"{r}\"")),
                "your AWS region (`init --region`)",
            ),
            "vpc" => (a.vpc.clone(), "your VPC's id (`init --vpc`)"),
            "subnet" => (subnets.clone(), "your subnets' ids (`init --subnet`)"),
            "ssh_key" => (
                a.ssh_key.as_ref().map(|k| format!("\"{k}\"")),
                "your EC2 key pair for SSH (`init --ssh-key`)",
            ),
            _ => continue,
        };
        edits.push(match given {
            Some(v) => Edit {
                at: range(&value),
                text: v,
            },
            None => todo_after(&value, what),
        });
    }
}

/// A `# TODO(cci-dsl): what` comment at the end of the value's line.
fn todo_after(value: &SyntaxNode, what: &str) -> Edit {
    let end = usize::from(value.text_range().end());
    let eol = INIT_TEMPLATE[end..]
        .find('\n')
        .map_or(INIT_TEMPLATE.len(), |i| end + i);
    let line = &INIT_TEMPLATE[..eol];
    // A comment already on the line is replaced: the TODO says what to decide.
    let comment = line[end..].find('#').map_or(eol, |i| end + i);
    let code_end = end + INIT_TEMPLATE[end..comment].trim_end().len();
    Edit {
        at: code_end..eol,
        text: format!("  # {OPEN_DECISION}: {what}"),
    }
}

fn range(n: &SyntaxNode) -> std::ops::Range<usize> {
    n.text_range().start().into()..n.text_range().end().into()
}

/// A block's attributes (`cci_core`'s reading of the tree), each with its value's node.
fn attributes(block: &SyntaxNode) -> Vec<(String, SyntaxNode)> {
    attrs(block)
        .filter_map(|(key, attr)| {
            let value = attr.children().find(|n| {
                matches!(
                    n.kind(),
                    SyntaxKind::LITERAL | SyntaxKind::LIST | SyntaxKind::CALL
                )
            })?;
            Some((key, value))
        })
        .collect()
}
