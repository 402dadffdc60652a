//! What the token at the cursor is, read from its place in the tree (a rule's endpoint, a
//! block's label, an attribute's key or value, a block's kind), and where what it names is
//! declared and used.

use super::tree::{self, Decl, Declaration, Use};
use cci_core::codes::Code;
use cci_core::model::Stdlib;
use cci_core::parse::syntax::{token_value, SyntaxKind::*, SyntaxNode, SyntaxToken};
use rowan::TextRange;

/// Something with a meaning at the cursor.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Target {
    Name(Name),
    /// A block's kind word, with the kinds around it: `["site", "aws"]`.
    BlockKind(Vec<String>),
    /// An attribute's key, with the kinds of the blocks around it.
    Attribute(Vec<String>, String),
    /// A diagnostic code written in a comment or a string.
    Code(Code),
    /// The `allow` of a rule.
    Rule,
}

/// A name a rule, an attribute or a declaration means.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Name {
    Fleet(String),
    /// `nomad` in a rule: every fleet.
    AllFleets,
    Services,
    /// `vms` in a rule: vm-service's machines.
    Vms,
    External(String),
    Actor(String),
    InstanceType(String),
}

/// What a rule's endpoint names, as the resolver reads it: `services`, `nomad`, `vms`, then
/// the site's fleets, the stdlib's externalizable services, the actors (the site's bindings
/// and the stdlib's). `None` for an address or a name nothing declares.
pub(super) fn endpoint(word: &str, decls: &[Declaration], lib: &Stdlib) -> Option<Name> {
    let declared = |kind| decls.iter().any(|d| d.kind == kind && d.name == word);
    Some(match word {
        "services" => Name::Services,
        "nomad" => Name::AllFleets,
        "vms" => Name::Vms,
        _ if declared(Decl::Fleet) => Name::Fleet(word.into()),
        _ if lib.externals.contains_key(word) || declared(Decl::External) => {
            Name::External(word.into())
        }
        _ if lib.actors.contains_key(word) || declared(Decl::Actor) => Name::Actor(word.into()),
        _ => return None,
    })
}

/// What the token at `offset` means.
pub(super) fn classify(
    token: &SyntaxToken,
    offset: usize,
    decls: &[Declaration],
    lib: &Stdlib,
) -> Option<Target> {
    by_place(token, decls, lib).or_else(|| code_in(token, offset).map(Target::Code))
}

fn by_place(token: &SyntaxToken, decls: &[Declaration], lib: &Stdlib) -> Option<Target> {
    let parent = token.parent()?;
    match parent.kind() {
        ENDPOINT => endpoint(token.text(), decls, lib).map(Target::Name),
        LABEL => {
            let block = parent.parent()?;
            let name = token_value(token)?;
            Some(match tree::kind_of(&block)?.as_str() {
                "fleet" => Target::Name(Name::Fleet(name)),
                "external" => Target::Name(Name::External(name)),
                "instance_type" => Target::Name(Name::InstanceType(name)),
                _ => Target::BlockKind(tree::block_path(&block)),
            })
        }
        KEY => {
            let attr = parent.parent()?;
            let name = token_value(token)?;
            let path = tree::block_path(&attr);
            if path == ["actors"] {
                return Some(Target::Name(Name::Actor(name)));
            }
            Some(Target::Attribute(path, name))
        }
        BLOCK if tree::kind_token(&parent).as_ref() == Some(token) => {
            Some(Target::BlockKind(tree::block_path(&parent)))
        }
        LITERAL => {
            let attr = parent.parent().filter(|a| a.kind() == ATTR)?;
            if tree::key(&attr).is_none_or(|(k, _)| k != "instance") {
                return None;
            }
            Some(Target::Name(Name::InstanceType(token_value(token)?)))
        }
        RULE if token.text() == "allow" => Some(Target::Rule),
        _ => None,
    }
}

/// A diagnostic code under the cursor in a comment or a string (`# see E0405`).
fn code_in(token: &SyntaxToken, offset: usize) -> Option<Code> {
    if !matches!(token.kind(), COMMENT | STRING) {
        return None;
    }
    let text = token.text();
    let at = offset.saturating_sub(usize::from(token.text_range().start()));
    let at = super::lines::floor_char_boundary(text, at.min(text.len()));
    let is_word = |c: char| c.is_ascii_alphanumeric();
    let start = text[..at]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c))
        .last()
        .map_or(at, |(i, _)| i);
    let end = text[at..]
        .char_indices()
        .find(|(_, c)| !is_word(*c))
        .map_or(text.len(), |(i, _)| at + i);
    Code::parse(&text[start..end])
}

/// Where a name is declared in the file.
pub(super) fn definitions(name: &Name, decls: &[Declaration]) -> Vec<TextRange> {
    decls
        .iter()
        .filter(|d| declares(d, name))
        .map(|d| d.range)
        .collect()
}

fn declares(d: &Declaration, name: &Name) -> bool {
    match (name, d.kind) {
        (Name::Fleet(n), Decl::Fleet)
        | (Name::External(n), Decl::External)
        | (Name::Actor(n), Decl::Actor)
        | (Name::InstanceType(n), Decl::InstanceType) => *n == d.name,
        (Name::AllFleets, Decl::Fleet) | (Name::Services, Decl::Services) => true,
        _ => false,
    }
}

/// Where a name is used (a fleet is also used by `nomad`, which means every fleet), and
/// declared when `declaration` is set; in the file's order.
pub(super) fn references(
    name: &Name,
    root: &SyntaxNode,
    decls: &[Declaration],
    declaration: bool,
) -> Vec<TextRange> {
    let wanted = |kind: Use, text: &str| match (name, kind) {
        (Name::Fleet(n), Use::Endpoint) => text == n || text == "nomad",
        (Name::AllFleets, Use::Endpoint) => text == "nomad",
        (Name::Services, Use::Endpoint) => text == "services",
        (Name::Vms, Use::Endpoint) => text == "vms",
        (Name::External(n) | Name::Actor(n), Use::Endpoint) => text == n,
        (Name::InstanceType(n), Use::Instance) => text == n,
        _ => false,
    };
    let mut out: Vec<TextRange> = tree::uses(root)
        .filter(|(kind, text, _)| wanted(*kind, text))
        .map(|(_, _, range)| range)
        .collect();
    if declaration {
        out.extend(definitions(name, decls));
    }
    out.sort_by_key(|r| (r.start(), r.end()));
    out.dedup();
    out
}
