//! The syntax tree read as the AST the resolver takes: a typed view, node by node. Values are
//! read from their tokens' text by the same functions the parser checked them with; what the
//! parser reported as broken is skipped here (a `BROKEN` item gives its first word to
//! `File::broken`, a `BROKEN` entry becomes `Entry::Broken`), so nothing is reported twice.

use super::literals;
use super::syntax::{trimmed_range, SyntaxKind::*, SyntaxNode, SyntaxToken};
use crate::ast::{AllowRule, Attr, Block, Entry, File, Item, Protocol, UseDecl, Value};
use crate::span::{FileId, Span, Spanned};

pub(super) struct Lower {
    pub file: FileId,
}

impl Lower {
    fn span(&self, node: &SyntaxNode) -> Span {
        let r = trimmed_range(node);
        Span::new(self.file, r.start().into(), r.end().into())
    }

    fn token_span(&self, t: &SyntaxToken) -> Span {
        let r = t.text_range();
        Span::new(self.file, r.start().into(), r.end().into())
    }

    pub(super) fn file(&self, root: &SyntaxNode) -> File {
        let mut file = File {
            items: Vec::new(),
            broken: Vec::new(),
        };
        for node in root.children() {
            match node.kind() {
                USE => file.items.extend(self.use_decl(&node).map(Item::Use)),
                BLOCK => file.items.extend(self.block(&node).map(Item::Block)),
                RULE => file.items.extend(self.rule(&node).map(Item::Allow)),
                BROKEN => {
                    if let Some(w) = first_word(&node).filter(|w| literals::is_name(w.text())) {
                        file.broken.push(w.text().to_string());
                    }
                }
                _ => {}
            }
        }
        file
    }

    fn use_decl(&self, node: &SyntaxNode) -> Option<UseDecl> {
        let path = words(node).nth(1)?;
        Some(UseDecl {
            path: Spanned::new(path.text().to_string(), self.token_span(&path)),
            span: self.span(node),
        })
    }

    fn block(&self, node: &SyntaxNode) -> Option<Block> {
        let kind = first_word(node)?;
        let labels = node
            .children()
            .filter(|n| n.kind() == LABEL)
            .map(|l| self.text_of(&l))
            .collect::<Option<Vec<_>>>()?;
        let body = node.children().find(|n| n.kind() == BODY)?;
        Some(Block {
            kind: Spanned::new(kind.text().to_string(), self.token_span(&kind)),
            labels,
            entries: body.children().filter_map(|e| self.entry(&e)).collect(),
            span: self.span(node),
        })
    }

    fn entry(&self, node: &SyntaxNode) -> Option<Entry> {
        match node.kind() {
            ATTR => self.attr(node).map(Entry::Attr),
            BLOCK => self.block(node).map(Entry::Block),
            RULE => self.rule(node).map(Entry::Allow),
            BROKEN => {
                let key = match node
                    .descendants_with_tokens()
                    .filter_map(|e| e.into_token())
                    .find(|t| !t.kind().is_trivia())
                {
                    Some(t) if t.kind() == WORD => {
                        // `key:` or `key-x`: the name it starts with is the key meant.
                        let name: String = t
                            .text()
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                            .collect();
                        let start: usize = t.text_range().start().into();
                        Spanned::new(
                            name.clone(),
                            Span::new(self.file, start, start + name.len()),
                        )
                    }
                    _ => Spanned::new(String::new(), Span::new(self.file, 0, 0)),
                };
                Some(Entry::Broken(key))
            }
            _ => None,
        }
    }

    /// A label's, key's or purpose's text: a string's value or a word.
    fn text_of(&self, node: &SyntaxNode) -> Option<Spanned<String>> {
        let t = significant(node).next()?;
        let text = match t.kind() {
            STRING => literals::string_value(t.text()).ok()?,
            _ => t.text().to_string(),
        };
        Some(Spanned::new(text, self.token_span(&t)))
    }

    fn attr(&self, node: &SyntaxNode) -> Option<Attr> {
        let key = self.text_of(&node.children().find(|n| n.kind() == KEY)?)?;
        let value = self.value(&node.children().find(|n| is_value(n.kind()))?)?;
        Some(Attr {
            span: key.span.merge(value.span),
            key,
            value,
        })
    }

    fn value(&self, node: &SyntaxNode) -> Option<Spanned<Value>> {
        let v = match node.kind() {
            LITERAL => {
                let mut tokens = significant(node);
                let first = tokens.next()?;
                match first.kind() {
                    STRING => Value::Str(literals::string_value(first.text()).ok()?),
                    _ => {
                        let unit = tokens.next();
                        literals::word_value(first.text(), unit.as_ref().map(|u| u.text())).ok()?
                    }
                }
            }
            LIST => Value::List(
                node.children()
                    .filter(|n| is_value(n.kind()))
                    .map(|n| self.value(&n))
                    .collect::<Option<Vec<_>>>()?,
            ),
            CALL => {
                let name = first_word(node)?;
                let args = node.children().find(|n| n.kind() == ARGS)?;
                Value::Call {
                    name: Spanned::new(name.text().to_string(), self.token_span(&name)),
                    args: args
                        .children()
                        .filter(|n| is_value(n.kind()))
                        .map(|n| self.value(&n))
                        .collect::<Option<Vec<_>>>()?,
                }
            }
            _ => return None,
        };
        Some(Spanned::new(v, self.span(node)))
    }

    fn rule(&self, node: &SyntaxNode) -> Option<AllowRule> {
        let child = |k| node.children().find(|n| n.kind() == k);
        let protocol = significant(&child(PROTOCOL)?).next()?;
        let protocol = Spanned::new(
            match protocol.text() {
                "tcp" => Protocol::Tcp,
                "udp" => Protocol::Udp,
                "icmp" => Protocol::Icmp,
                _ => Protocol::All,
            },
            self.token_span(&protocol),
        );
        let ports = child(PORTS)?
            .children()
            .map(|p| {
                let t = significant(&p).next()?;
                let spec = literals::port_spec(t.text()).ok()?;
                Some(Spanned::new(spec, self.token_span(&t)))
            })
            .collect::<Option<Vec<_>>>()?;
        let mut ends = node.children().filter(|n| n.kind() == ENDPOINT).map(|e| {
            let t = significant(&e).next()?;
            let end = literals::endpoint(t.text()).ok()?;
            Some(Spanned::new(end, self.token_span(&t)))
        });
        let (from, to) = (ends.next()??, ends.next()??);
        let attrs = match child(RULE_BODY) {
            Some(b) => b
                .children()
                .filter(|n| n.kind() == ATTR)
                .map(|a| self.attr(&a))
                .collect::<Option<Vec<_>>>()?,
            None => Vec::new(),
        };
        Some(AllowRule {
            protocol,
            ports,
            from,
            to,
            purpose: self.text_of(&child(PURPOSE)?)?,
            attrs,
            span: self.span(node),
        })
    }
}

fn is_value(k: super::syntax::SyntaxKind) -> bool {
    matches!(k, LITERAL | LIST | CALL)
}

/// A node's own tokens (not its children's) that are not trivia.
fn significant(node: &SyntaxNode) -> impl Iterator<Item = SyntaxToken> {
    node.children_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| !t.kind().is_trivia())
}

fn words(node: &SyntaxNode) -> impl Iterator<Item = SyntaxToken> {
    significant(node).filter(|t| t.kind() == WORD)
}

fn first_word(node: &SyntaxNode) -> Option<SyntaxToken> {
    node.descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .find(|t| !t.kind().is_trivia())
        .filter(|t| t.kind() == WORD)
}
