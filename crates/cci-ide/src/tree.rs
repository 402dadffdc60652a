//! The syntax tree as the editor reads it: the token at the cursor, the blocks around a node,
//! what the site declares (its fleets, externals, the actors it binds, instance types, the
//! services box) and where names are used (rule endpoints, `instance = "..."`).

pub(super) use cci_core::parse::syntax::{
    attrs, entries, key, kind_of, kind_token, label, significant, top_blocks,
};
use cci_core::parse::syntax::{token_value, SyntaxKind::*, SyntaxNode, SyntaxToken};
use rowan::{TextRange, TextSize, TokenAtOffset};

pub(super) fn size(offset: usize) -> TextSize {
    TextSize::from(u32::try_from(offset).unwrap_or(u32::MAX))
}

/// The token a cursor at `offset` is on. Between two tokens, the one that means more (a word
/// or a string, then punctuation, then spaces and comments), the right one on a tie.
pub(super) fn token_at(root: &SyntaxNode, offset: usize) -> Option<SyntaxToken> {
    let offset = size(offset).min(root.text_range().end());
    let rank = |t: &SyntaxToken| match t.kind() {
        WORD | STRING => 2,
        k if k.is_trivia() => 0,
        _ => 1,
    };
    match root.token_at_offset(offset) {
        TokenAtOffset::None => None,
        TokenAtOffset::Single(t) => Some(t),
        TokenAtOffset::Between(l, r) => Some(if rank(&l) > rank(&r) { l } else { r }),
    }
}

/// The first token of an attribute's value when it is a single literal (`"m4.2xlarge"`).
pub(super) fn literal(attr: &SyntaxNode) -> Option<SyntaxToken> {
    let lit = attr.children().find(|n| n.kind() == LITERAL)?;
    significant(&lit).next()
}

/// A value's text as written (a literal with its unit, a list, a call), on one line.
pub(super) fn value_text(attr: &SyntaxNode) -> Option<String> {
    let v = attr
        .children()
        .find(|n| matches!(n.kind(), LITERAL | LIST | CALL))?;
    let mut out = String::new();
    let mut prev = None;
    for t in v
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| !t.kind().is_trivia())
    {
        let tight = matches!(prev, None | Some(L_BRACK | L_PAREN))
            || matches!(t.kind(), R_BRACK | R_PAREN | COMMA | L_PAREN);
        if !tight {
            out.push(' ');
        }
        out.push_str(t.text());
        prev = Some(t.kind());
    }
    Some(out)
}

/// The kinds of the blocks around a node (the node's own when it is a block), outermost first.
pub(super) fn block_path(node: &SyntaxNode) -> Vec<String> {
    let mut path: Vec<String> = node
        .ancestors()
        .filter(|n| n.kind() == BLOCK)
        .filter_map(|b| kind_of(&b))
        .collect();
    path.reverse();
    path
}

/// The block whose braces hold `offset` (strictly after its `{`, not after its `}`); `None`
/// at the top level.
pub(super) fn enclosing_block(root: &SyntaxNode, offset: usize) -> Option<SyntaxNode> {
    let at = size(offset).min(root.text_range().end());
    let start = root.token_at_offset(at).left_biased()?;
    start
        .parent_ancestors()
        .filter(|n| n.kind() == BODY)
        .find(|body| {
            let brace = |k| significant(body).find(|t| t.kind() == k);
            let opened = brace(L_BRACE).is_some_and(|t| t.text_range().end() <= at);
            let open_yet = brace(R_BRACE).is_none_or(|t| t.text_range().start() >= at);
            opened && open_yet
        })
        .and_then(|body| body.parent())
        .filter(|b| b.kind() == BLOCK)
}

/// What a site declares that can be named elsewhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Decl {
    Fleet,
    External,
    /// Bound in `actors { NAME = [...] }`.
    Actor,
    InstanceType,
    Services,
}

/// One declaration: what, its name, where the name is written, and its node (the block, or
/// the actor's attribute).
#[derive(Clone, Debug)]
pub(super) struct Declaration {
    pub kind: Decl,
    pub name: String,
    pub range: TextRange,
    pub node: SyntaxNode,
}

/// Every declaration of the file, in order.
pub(super) fn declarations(root: &SyntaxNode) -> Vec<Declaration> {
    let mut out = Vec::new();
    for block in top_blocks(root) {
        let kind = kind_of(&block).unwrap_or_default();
        let decl = match kind.as_str() {
            "fleet" => Decl::Fleet,
            "external" => Decl::External,
            "instance_type" => Decl::InstanceType,
            "services" => {
                if let Some(t) = kind_token(&block) {
                    out.push(Declaration {
                        kind: Decl::Services,
                        name: kind,
                        range: t.text_range(),
                        node: block,
                    });
                }
                continue;
            }
            "actors" => {
                out.extend(attrs(&block).filter_map(|(name, attr)| {
                    Some(Declaration {
                        kind: Decl::Actor,
                        range: key(&attr)?.1.text_range(),
                        name,
                        node: attr,
                    })
                }));
                continue;
            }
            _ => continue,
        };
        if let Some((name, t)) = label(&block) {
            out.push(Declaration {
                kind: decl,
                name,
                range: t.text_range(),
                node: block,
            });
        }
    }
    out
}

/// Where a name is used: a rule's endpoint, or the value of an `instance` attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Use {
    Endpoint,
    Instance,
}

/// Every use of a name in the file, in order.
pub(super) fn uses(root: &SyntaxNode) -> impl Iterator<Item = (Use, String, TextRange)> + '_ {
    root.descendants().filter_map(|n| match n.kind() {
        ENDPOINT => {
            let t = significant(&n).next()?;
            Some((Use::Endpoint, t.text().to_string(), t.text_range()))
        }
        ATTR if key(&n).is_some_and(|(k, _)| k == "instance") => {
            let t = literal(&n)?;
            Some((Use::Instance, token_value(&t)?, t.text_range()))
        }
        _ => None,
    })
}
