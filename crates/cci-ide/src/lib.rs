//! What an editor asks of a site file, answered from its lossless syntax tree and its
//! compilation (the language server in `cci-dsl lsp` speaks the protocol and does the I/O).
//!
//! An [`Analysis`] is one document: its text, its tree (`parse::parse_tree`), the stdlib as the
//! site extends it (its own instance types) and the site's model when it compiles, and its
//! diagnostics. A request reads the token at the cursor and its place in the tree
//! (`target`): a rule's endpoint, a block's label, an attribute's key or value, a block's
//! kind; `tree` finds what the site declares and where names are used. Hover texts come
//! from the model, the stdlib, the codes and the language reference (`docs`), never from
//! facts written here. Positions are LSP's: zero-based lines and UTF-16 columns (`lines`).

mod complete;
pub mod docs;
mod hover;
pub mod lines;
pub mod lsp_frame;
pub mod server;
mod target;
mod tree;

pub use docs::Docs;
pub use lines::{apply_changes, LineIndex};

use cci_core::model::{Site, Stdlib};
use cci_core::parse::SyntaxNode;
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CompletionItem, CompletionTextEdit,
    Diagnostic, DiagnosticSeverity, Hover, HoverContents, MarkupContent, MarkupKind,
    NumberOrString, Position, Range, TextEdit, WorkspaceEdit,
};
use rowan::TextRange;
use serde_json::Value;
use target::{Name, Target};
use tree::Declaration;

/// What a request reads: the document's tree and facts, and the reference.
struct Context<'a> {
    text: &'a str,
    root: &'a SyntaxNode,
    lib: &'a Stdlib,
    site: Option<&'a Site>,
    docs: &'a Docs,
    decls: &'a [Declaration],
}

/// One document, analysed.
pub struct Analysis {
    text: String,
    lines: LineIndex,
    green: rowan::GreenNode,
    lib: Stdlib,
    site: Option<Site>,
    diagnostics: Vec<Diagnostic>,
}

impl Analysis {
    /// The analysis of `text`, given its compilation under the name `site_name`
    /// (`cci_core::compile_in(site_name, &text, ...)`).
    pub fn new(site_name: &str, text: String, c: cci_core::Compilation) -> Analysis {
        let lines = LineIndex::new(&text);
        let json = cci_core::diagnostics::render_json(&c.diagnostics, &c.sources);
        let diagnostics = diagnostics(&json, site_name, &text, &lines);
        Analysis {
            text,
            lines,
            green: c.site_tree,
            lib: c.stdlib,
            site: c.site,
            diagnostics,
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn lines(&self) -> &LineIndex {
        &self.lines
    }

    /// The site file's diagnostics.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    fn range(&self, r: TextRange) -> Range {
        self.lines
            .range(&self.text, r.start().into(), r.end().into())
    }

    fn with<T>(&self, docs: &Docs, f: impl FnOnce(&Context) -> T) -> T {
        let root = SyntaxNode::new_root(self.green.clone());
        let decls = tree::declarations(&root);
        f(&Context {
            text: &self.text,
            root: &root,
            lib: &self.lib,
            site: self.site.as_ref(),
            docs,
            decls: &decls,
        })
    }

    /// What the cursor is on, and the token's range.
    fn target(&self, cx: &Context, p: Position) -> Option<(Target, TextRange)> {
        let offset = self.lines.offset(&self.text, p);
        let token = tree::token_at(cx.root, offset)?;
        let t = target::classify(&token, offset, cx.decls, cx.lib)?;
        Some((t, token.text_range()))
    }

    /// The name at the cursor (the `services` block's kind names the services box).
    fn name(&self, cx: &Context, p: Position) -> Option<Name> {
        match self.target(cx, p)?.0 {
            Target::Name(n) => Some(n),
            Target::BlockKind(path) if path == ["services"] => Some(Name::Services),
            _ => None,
        }
    }

    pub fn hover(&self, docs: &Docs, p: Position) -> Option<Hover> {
        self.with(docs, |cx| {
            let (t, range) = self.target(cx, p)?;
            let value = hover::hover(&t, cx)?;
            Some(Hover {
                contents: HoverContents::Markup(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value,
                }),
                range: Some(self.range(range)),
            })
        })
    }

    /// Where the name at the cursor is declared in the file (`nomad`: every fleet).
    pub fn definition(&self, docs: &Docs, p: Position) -> Vec<Range> {
        self.with(docs, |cx| match self.name(cx, p) {
            Some(n) => target::definitions(&n, cx.decls)
                .into_iter()
                .map(|r| self.range(r))
                .collect(),
            None => Vec::new(),
        })
    }

    /// Where the name at the cursor is used, and declared when `declaration` is set.
    pub fn references(&self, docs: &Docs, p: Position, declaration: bool) -> Vec<Range> {
        self.with(docs, |cx| match self.name(cx, p) {
            Some(n) => target::references(&n, cx.root, cx.decls, declaration)
                .into_iter()
                .map(|r| self.range(r))
                .collect(),
            None => Vec::new(),
        })
    }

    pub fn completions(&self, docs: &Docs, p: Position) -> Vec<CompletionItem> {
        let offset = self.lines.offset(&self.text, p);
        let (items, typed) = self.with(docs, |cx| complete::completions(cx, offset));
        // A proposal replaces the word or string being typed up to its end.
        let replace = typed.map(|r| self.range(r));
        items
            .into_iter()
            .map(|i| CompletionItem {
                text_edit: replace
                    .map(|range| CompletionTextEdit::Edit(TextEdit::new(range, i.label.clone()))),
                label: i.label,
                kind: Some(i.kind),
                detail: Some(i.detail).filter(|d| !d.is_empty()),
                sort_text: Some(i.sort),
                ..CompletionItem::default()
            })
            .collect()
    }

    /// Quick fixes for the diagnostics that touch `range`: one action per machine-applicable
    /// suggestion, the same edits `cci-dsl check --fix` applies.
    pub fn code_actions(&self, uri: &lsp_types::Url, range: Range) -> Vec<CodeActionOrCommand> {
        let touches = |r: &Range| r.start <= range.end && range.start <= r.end;
        let mut actions = Vec::new();
        for d in self.diagnostics.iter().filter(|d| touches(&d.range)) {
            let Some(Value::Array(fixes)) = &d.data else {
                continue;
            };
            for f in fixes {
                let Ok(edit) = serde_json::from_value::<TextEdit>(f.clone()) else {
                    continue;
                };
                let changes = std::iter::once((uri.clone(), vec![edit])).collect();
                actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title: f["title"].as_str().unwrap_or("apply the fix").to_string(),
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![d.clone()]),
                    edit: Some(WorkspaceEdit::new(changes)),
                    is_preferred: Some(true),
                    ..CodeAction::default()
                }));
            }
        }
        actions
    }

    /// The edits that give the document the one layout (`cci-dsl fmt`), line by line; none
    /// when it is formatted or has syntax errors.
    pub fn formatting(&self) -> Vec<TextEdit> {
        let formatted = cci_core::format::format(&self.text);
        let new_lines = LineIndex::new(&formatted);
        let diff = similar::TextDiff::from_lines(self.text.as_str(), formatted.as_str());
        diff.ops()
            .iter()
            .filter(|op| op.tag() != similar::DiffTag::Equal)
            .map(|op| {
                let (old, new) = (op.old_range(), op.new_range());
                let old_at = |l| self.lines.line_start(l).unwrap_or(self.text.len());
                let new_at = |l| new_lines.line_start(l).unwrap_or(formatted.len());
                TextEdit::new(
                    self.lines
                        .range(&self.text, old_at(old.start), old_at(old.end)),
                    formatted[new_at(new.start)..new_at(new.end)].to_string(),
                )
            })
            .collect()
    }
}

/// A diagnostic's machine-applicable suggestions in the site file, as the LSP diagnostic's
/// `data`: `[{"title", "range", "newText"}]`, which `code_actions` turns into quick fixes.
fn fixes(d: &Value, site_name: &str, text: &str, lines: &LineIndex) -> Option<Value> {
    let fixes: Vec<Value> = d["suggestions"]
        .as_array()?
        .iter()
        .filter(|s| s["applicability"] == "MachineApplicable" && s["file"] == site_name)
        .map(|s| {
            let at = |k: &str| usize::try_from(s[k].as_u64().unwrap_or(0)).unwrap_or(usize::MAX);
            serde_json::json!({
                "title": s["message"],
                "range": lines.range(text, at("byte_start"), at("byte_end")),
                "newText": s["replacement"],
            })
        })
        .collect();
    (!fixes.is_empty()).then(|| Value::Array(fixes))
}

/// The site file's diagnostics as LSP's, from the JSON the CLI prints (so the same masking of
/// secret-looking values), the help after the message.
fn diagnostics(
    json_lines: &str,
    site_name: &str,
    text: &str,
    lines: &LineIndex,
) -> Vec<Diagnostic> {
    json_lines
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|d| d["file"] == site_name)
        .map(|d| {
            // The primary span is the first.
            let at = |k: &str| {
                usize::try_from(d["spans"][0][k].as_u64().unwrap_or(0)).unwrap_or(usize::MAX)
            };
            let mut message = d["message"].as_str().unwrap_or_default().to_string();
            if let Some(help) = d["help"].as_str() {
                message += &format!("\nhelp: {help}");
            }
            let severity = match d["severity"].as_str() {
                Some("error") => DiagnosticSeverity::ERROR,
                _ => DiagnosticSeverity::WARNING,
            };
            Diagnostic {
                range: lines.range(text, at("byte_start"), at("byte_end")),
                severity: Some(severity),
                code: d["code"].as_str().map(|c| NumberOrString::String(c.into())),
                source: Some("cci-dsl".into()),
                message,
                data: fixes(&d, site_name, text, lines),
                ..Diagnostic::default()
            }
        })
        .collect()
}
