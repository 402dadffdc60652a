//! Completion from the tree: where the cursor is (the start of an entry in a block, or at the
//! top level; the value of an attribute; a rule's endpoint or protocol) and what is already
//! written (an attribute or a block the block has is not offered again, nor a second `site`),
//! with the names the site declares (its fleets, externals, actors and instance types).

use super::tree::{self, size, Decl};
use super::Context;
use cci_core::parse::syntax::{SyntaxKind::*, SyntaxNode, SyntaxToken};
use lsp_types::CompletionItemKind as K;
use rowan::TextRange;
use std::collections::BTreeSet;

/// One proposal: what it inserts, its kind, a one-line detail, where it sorts.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Item {
    pub label: String,
    pub kind: K,
    pub detail: String,
    pub sort: String,
}

fn item(label: &str, kind: K, detail: impl Into<String>, rank: u8) -> Item {
    Item {
        label: label.to_string(),
        kind,
        detail: detail.into(),
        sort: format!("{rank}{label}"),
    }
}

/// Where the cursor is, for completion.
enum Place {
    Top,
    Body(SyntaxNode),
    Value(SyntaxNode),
    Endpoint,
    Protocol,
}

/// What a rule's protocol can be (the grammar's words).
const PROTOCOLS: [&str; 4] = ["tcp", "udp", "icmp", "all"];
/// Top-level items a file has once.
const ONCE: [&str; 4] = ["use", "site", "services", "actors"];

/// The proposals at `offset`, and the range of the word or string being typed there (what a
/// proposal replaces).
pub(super) fn completions(cx: &Context, offset: usize) -> (Vec<Item>, Option<TextRange>) {
    let typed = typed_at(cx.root, offset);
    let Some(place) = place(cx, offset, typed.as_ref()) else {
        return (Vec::new(), None);
    };
    let items = match place {
        Place::Top => top(cx, typed.as_ref()),
        Place::Body(block) => body(cx, &block, typed.as_ref()),
        Place::Value(attr) => value(cx, &attr),
        Place::Endpoint => endpoints(cx),
        Place::Protocol => PROTOCOLS
            .iter()
            .map(|p| item(p, K::KEYWORD, "protocol", 0))
            .collect(),
    };
    (items, typed.map(|t| t.text_range()))
}

/// The word or string the cursor is in, at the end of, or at the start of.
fn typed_at(root: &SyntaxNode, offset: usize) -> Option<SyntaxToken> {
    let at = size(offset).min(root.text_range().end());
    let candidates = root.token_at_offset(at);
    let (left, right) = match candidates {
        rowan::TokenAtOffset::None => return None,
        rowan::TokenAtOffset::Single(t) => (Some(t.clone()), Some(t)),
        rowan::TokenAtOffset::Between(l, r) => (Some(l), Some(r)),
    };
    [left, right]
        .into_iter()
        .flatten()
        .find(|t| matches!(t.kind(), WORD | STRING))
}

/// The last significant token that ends at or before `at`.
fn before(root: &SyntaxNode, at: rowan::TextSize) -> Option<SyntaxToken> {
    let mut t = root.token_at_offset(at).left_biased()?;
    loop {
        if !t.kind().is_trivia() && t.text_range().end() <= at {
            return Some(t);
        }
        t = t.prev_token()?;
    }
}

fn place(cx: &Context, offset: usize, typed: Option<&SyntaxToken>) -> Option<Place> {
    let root = cx.root;
    let at = typed.map_or(size(offset), |t| t.text_range().start());
    let inside = |t: &SyntaxToken, kind| t.parent().is_some_and(|p| p.kind() == kind);
    if let Some(t) = typed {
        if inside(t, ENDPOINT) {
            return Some(Place::Endpoint);
        }
        if inside(t, PROTOCOL) {
            return Some(Place::Protocol);
        }
        if let Some(attr) = t
            .parent()
            .filter(|p| p.kind() == LITERAL)
            .and_then(|l| l.parent())
        {
            return (attr.kind() == ATTR).then_some(Place::Value(attr));
        }
    } else if root
        .token_at_offset(size(offset))
        .any(|t| t.kind() == COMMENT && t.text_range().start() < size(offset))
    {
        return None;
    }
    let prev = before(root, at);
    if let Some(p) = &prev {
        let in_rule = inside(p, RULE);
        match (p.kind(), p.text()) {
            (WORD, "from" | "to") if in_rule => return Some(Place::Endpoint),
            (WORD, "allow") if in_rule => return Some(Place::Protocol),
            (EQ, _) if inside(p, ATTR) => return p.parent().map(Place::Value),
            _ => {}
        }
    }
    let entry_start = match &prev {
        None => true,
        Some(p) => {
            let between = TextRange::new(p.text_range().end(), at.max(p.text_range().end()));
            matches!(p.kind(), L_BRACE | R_BRACE | COMMA | SEMICOLON)
                || ends_entry(p)
                || cx.text[between].contains('\n')
        }
    };
    if !entry_start {
        return None;
    }
    Some(match tree::enclosing_block(root, offset) {
        Some(block) => Place::Body(block),
        None => Place::Top,
    })
}

/// Whether a token is the last of a complete attribute, block or rule.
fn ends_entry(t: &SyntaxToken) -> bool {
    t.parent_ancestors()
        .find(|n| matches!(n.kind(), ATTR | BLOCK | RULE))
        .is_some_and(|n| {
            n.parent().is_some_and(|p| matches!(p.kind(), BODY | ROOT))
                && cci_core::parse::syntax::trimmed_range(&n).end() == t.text_range().end()
        })
}

/// The entry of `body` that holds the token being typed (it is not "already written").
fn typed_entry(body: &SyntaxNode, typed: Option<&SyntaxToken>) -> Option<SyntaxNode> {
    let t = typed?;
    t.parent_ancestors()
        .find(|n| n.parent().as_ref() == Some(body))
}

fn top(cx: &Context, typed: Option<&SyntaxToken>) -> Vec<Item> {
    let skip = typed_entry(cx.root, typed);
    let written: BTreeSet<String> = cx
        .root
        .children()
        .filter(|n| Some(n) != skip.as_ref())
        .filter_map(|n| match n.kind() {
            USE => Some("use".to_string()),
            BLOCK => tree::kind_of(&n),
            _ => None,
        })
        .collect();
    let mut items: Vec<Item> = cx
        .docs
        .children(&[])
        .map(|b| item(&b.path[0], K::STRUCT, b.syntax.clone(), 0))
        .collect();
    items.push(item(
        "instance_type",
        K::STRUCT,
        "instance_type \"NAME\" { ... }",
        1,
    ));
    items.push(item(
        "allow",
        K::KEYWORD,
        "allow PROTOCOL PORTS from A to B \"purpose\"",
        1,
    ));
    items.push(item("use", K::KEYWORD, "use LIBRARY", 1));
    items.retain(|i| !(ONCE.contains(&i.label.as_str()) && written.contains(&i.label)));
    items
}

fn body(cx: &Context, block: &SyntaxNode, typed: Option<&SyntaxToken>) -> Vec<Item> {
    let path = tree::block_path(block);
    let Some(body) = block.children().find(|n| n.kind() == BODY) else {
        return Vec::new();
    };
    let skip = typed_entry(&body, typed);
    let written: BTreeSet<String> = tree::entries(&body)
        .filter(|n| {
            skip.as_ref()
                .is_none_or(|s| s != n && !s.descendants().any(|d| d == *n))
        })
        .filter_map(|n| match n.kind() {
            ATTR => tree::key(&n).map(|k| k.0),
            BLOCK => tree::kind_of(&n),
            _ => None,
        })
        .collect();
    let mut items = Vec::new();
    if path == ["actors"] {
        items.extend(
            cx.lib
                .actors
                .values()
                .map(|a| item(&a.name, K::VARIABLE, a.description.clone(), 0)),
        );
    }
    if let Some(doc) = cx.docs.block(&path) {
        items.extend(doc.attrs.iter().map(|a| {
            let detail = if a.required {
                format!("{}, required", a.ty)
            } else {
                a.ty.clone()
            };
            item(&a.name, K::PROPERTY, detail, if a.required { 0 } else { 1 })
        }));
    }
    items.extend(cx.docs.children(&path).map(|b| {
        let kind = b.path.last().map_or("", String::as_str);
        item(kind, K::STRUCT, b.syntax.clone(), 2)
    }));
    items.retain(|i| !written.contains(&i.label));
    items
}

fn value(cx: &Context, attr: &SyntaxNode) -> Vec<Item> {
    let Some((key, _)) = tree::key(attr) else {
        return Vec::new();
    };
    if key == "instance" {
        let declared = |n: &str| {
            cx.decls
                .iter()
                .any(|d| d.kind == Decl::InstanceType && d.name == n)
        };
        return cx
            .lib
            .instance_types
            .values()
            .map(|t| {
                let size = format!(
                    "{} vCPU, {}",
                    t.vcpu,
                    cci_core::values::human_bytes(t.memory_bytes)
                );
                match declared(&t.name) {
                    true => item(
                        &format!("\"{}\"", t.name),
                        K::VALUE,
                        format!("{size}, declared by this site"),
                        0,
                    ),
                    false => item(&format!("\"{}\"", t.name), K::VALUE, size, 1),
                }
            })
            .collect();
    }
    let path = tree::block_path(attr);
    let is_bool = cx
        .docs
        .block(&path)
        .and_then(|b| b.attrs.iter().find(|a| a.name == key))
        .is_some_and(|a| a.ty == "`true` or `false`");
    match is_bool {
        true => ["true", "false"]
            .iter()
            .map(|b| item(b, K::VALUE, "", 0))
            .collect(),
        false => Vec::new(),
    }
}

fn endpoints(cx: &Context) -> Vec<Item> {
    let mut items = vec![
        item("services", K::MODULE, "the services box", 0),
        item("nomad", K::MODULE, "every fleet", 0),
    ];
    if cx.site.is_some_and(|s| s.vm_service) {
        items.push(item("vms", K::MODULE, "vm-service's machines", 0));
    }
    let mut actors: BTreeSet<&str> = cx.lib.actors.keys().map(String::as_str).collect();
    for d in cx.decls {
        match d.kind {
            Decl::Fleet => items.push(item(&d.name, K::MODULE, "fleet", 1)),
            Decl::External => items.push(item(&d.name, K::INTERFACE, "external service", 2)),
            Decl::Actor => {
                actors.insert(&d.name);
            }
            _ => {}
        }
    }
    for a in actors {
        let what = cx
            .lib
            .actors
            .get(a)
            .map_or("actor of this site", |d| d.description.as_str());
        items.push(item(a, K::VARIABLE, what, 3));
    }
    items.dedup_by(|a, b| a.label == b.label);
    items
}
