//! The kinds of the lossless syntax tree (rowan): the lexer's tokens, and the nodes the
//! parser groups them into. Every byte of the file is in exactly one token of the tree, so the
//! formatter and the editor support read the file as written, comments and spaces included.

/// A token's or a node's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u16)]
#[allow(non_camel_case_types)]
pub enum SyntaxKind {
    // Tokens.
    WHITESPACE = 0,
    NEWLINE,
    COMMENT,
    STRING,
    WORD,
    L_BRACE,
    R_BRACE,
    L_BRACK,
    R_BRACK,
    L_PAREN,
    R_PAREN,
    COMMA,
    SEMICOLON,
    EQ,
    // Nodes.
    /// The whole file.
    ROOT,
    /// `use circleci/2.16`
    USE,
    /// `kind label... { ... }`
    BLOCK,
    /// A block's label: a string or a bare name.
    LABEL,
    /// `{ entries }` of a block.
    BODY,
    /// `key = value`
    ATTR,
    /// An attribute's key: a name or a string.
    KEY,
    /// `allow PROTOCOL PORTS from A to B "purpose" [{ attrs }]`
    RULE,
    PROTOCOL,
    PORTS,
    PORT,
    ENDPOINT,
    PURPOSE,
    /// A rule's `{ attributes }`.
    RULE_BODY,
    /// A string, a number with its unit, a range, an address, an id or a name.
    LITERAL,
    /// `[a, b]`
    LIST,
    /// `name(args)`
    CALL,
    ARGS,
    /// An item or entry that did not parse, with what was skipped after it.
    BROKEN,
    /// Tokens skipped to recover from a syntax error.
    ERROR,
}

use SyntaxKind::*;

/// Every kind, by its number.
const ALL: [SyntaxKind; ERROR as usize + 1] = [
    WHITESPACE, NEWLINE, COMMENT, STRING, WORD, L_BRACE, R_BRACE, L_BRACK, R_BRACK, L_PAREN,
    R_PAREN, COMMA, SEMICOLON, EQ, ROOT, USE, BLOCK, LABEL, BODY, ATTR, KEY, RULE, PROTOCOL, PORTS,
    PORT, ENDPOINT, PURPOSE, RULE_BODY, LITERAL, LIST, CALL, ARGS, BROKEN, ERROR,
];

impl SyntaxKind {
    /// Whitespace, newlines and comments: between the tokens that mean something.
    pub fn is_trivia(self) -> bool {
        matches!(self, WHITESPACE | NEWLINE | COMMENT)
    }
}

impl From<SyntaxKind> for rowan::SyntaxKind {
    fn from(k: SyntaxKind) -> Self {
        rowan::SyntaxKind(k as u16)
    }
}

/// The language, for rowan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {}

impl rowan::Language for Lang {
    type Kind = SyntaxKind;

    fn kind_from_raw(raw: rowan::SyntaxKind) -> SyntaxKind {
        ALL[raw.0 as usize]
    }

    fn kind_to_raw(kind: SyntaxKind) -> rowan::SyntaxKind {
        kind.into()
    }
}

pub type SyntaxNode = rowan::SyntaxNode<Lang>;
pub type SyntaxToken = rowan::SyntaxToken<Lang>;
pub type SyntaxElement = rowan::SyntaxElement<Lang>;

/// The token kind of a lexer token.
pub fn token_kind(k: super::lexer::Kind) -> SyntaxKind {
    use super::lexer::Kind;
    match k {
        Kind::Space => WHITESPACE,
        Kind::Newline => NEWLINE,
        Kind::Comment => COMMENT,
        Kind::Str { .. } => STRING,
        Kind::Word => WORD,
        Kind::Punct('{') => L_BRACE,
        Kind::Punct('}') => R_BRACE,
        Kind::Punct('[') => L_BRACK,
        Kind::Punct(']') => R_BRACK,
        Kind::Punct('(') => L_PAREN,
        Kind::Punct(')') => R_PAREN,
        Kind::Punct(',') => COMMA,
        Kind::Punct(';') => SEMICOLON,
        Kind::Punct(_) => EQ,
    }
}

/// The significant text range of a node: from its first to its last token that is not
/// trivia (a node's own leading or trailing spaces and comments are not part of it).
pub fn trimmed_range(node: &SyntaxNode) -> rowan::TextRange {
    // From both ends inward, past the trivia only: a block's span costs its edges, not its
    // whole subtree (the lowering asks it of every node).
    let range = node.text_range();
    let significant = |t: &SyntaxToken| !t.kind().is_trivia();
    let inside = |t: &SyntaxToken| range.contains_range(t.text_range());
    // (`first_token`/`last_token` stop at an empty node: the tokens at the edges' offsets.)
    let mut first = node.token_at_offset(range.start()).right_biased();
    while let Some(t) = first.clone().filter(|t| !significant(t)) {
        first = t.next_token().filter(inside);
    }
    let Some(first) = first.filter(inside) else {
        return rowan::TextRange::empty(range.start());
    };
    let mut last = node.token_at_offset(range.end()).left_biased();
    while let Some(t) = last.clone().filter(|t| !significant(t)) {
        last = t.prev_token().filter(inside);
    }
    let end = last.map_or(first.text_range().end(), |t| t.text_range().end());
    rowan::TextRange::new(first.text_range().start(), end)
}

/// What a label's, key's or value's token says: a string's value (escapes read), a word's
/// text; `None` for punctuation and for a string that did not parse.
pub fn token_value(t: &SyntaxToken) -> Option<String> {
    match t.kind() {
        STRING => super::literals::string_value(t.text()).ok(),
        WORD => Some(t.text().to_string()),
        _ => None,
    }
}

// Reading the tree: what the editor support and `init` ask of a block.

/// A node's own tokens (not its children's) that are not trivia.
pub fn significant(node: &SyntaxNode) -> impl Iterator<Item = SyntaxToken> {
    node.children_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| !t.kind().is_trivia())
}

/// A block's kind: its first word (`fleet`, `site`, `aws`).
pub fn kind_token(block: &SyntaxNode) -> Option<SyntaxToken> {
    significant(block).next().filter(|t| t.kind() == WORD)
}

pub fn kind_of(block: &SyntaxNode) -> Option<String> {
    kind_token(block).map(|t| t.text().to_string())
}

/// A block's first label, read (`fleet nomad` → `nomad`; a string's value), and its token.
pub fn label(block: &SyntaxNode) -> Option<(String, SyntaxToken)> {
    let l = block.children().find(|n| n.kind() == LABEL)?;
    let t = significant(&l).next()?;
    Some((token_value(&t)?, t))
}

/// An attribute's key, read, and its token.
pub fn key(attr: &SyntaxNode) -> Option<(String, SyntaxToken)> {
    let k = attr.children().find(|n| n.kind() == KEY)?;
    let t = significant(&k).next()?;
    Some((token_value(&t)?, t))
}

/// The entries of a body: its attributes, blocks and rules, broken ones' included (what a
/// `BROKEN` node holds that did parse, such as `instance =` while a value is being typed).
pub fn entries(body: &SyntaxNode) -> impl Iterator<Item = SyntaxNode> {
    body.children().flat_map(|n| {
        let inner: Vec<SyntaxNode> = match n.kind() {
            BROKEN => n
                .children()
                .filter(|c| matches!(c.kind(), ATTR | BLOCK | RULE))
                .collect(),
            _ => vec![n],
        };
        inner
    })
}

/// The file's top-level blocks, and the ones broken by a syntax error.
pub fn top_blocks(root: &SyntaxNode) -> impl Iterator<Item = SyntaxNode> {
    entries(root).filter(|n| n.kind() == BLOCK)
}

/// The attributes of a block, by key.
pub fn attrs(block: &SyntaxNode) -> impl Iterator<Item = (String, SyntaxNode)> {
    block
        .children()
        .filter(|n| n.kind() == BODY)
        .flat_map(|b| entries(&b).collect::<Vec<_>>())
        .filter(|n| n.kind() == ATTR)
        .filter_map(|a| Some((key(&a)?.0, a)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The range by its definition: every token of the node read in order.
    fn by_definition(node: &SyntaxNode) -> rowan::TextRange {
        let mut tokens = node
            .descendants_with_tokens()
            .filter_map(|e| e.into_token())
            .filter(|t| !t.kind().is_trivia());
        let Some(first) = tokens.next() else {
            return rowan::TextRange::empty(node.text_range().start());
        };
        let last = tokens.last().unwrap_or_else(|| first.clone());
        rowan::TextRange::new(first.text_range().start(), last.text_range().end())
    }

    /// Every node of the stdlib and of broken texts (comments and blank lines at the edges,
    /// empty blocks, a broken entry, an unclosed block, nothing at all).
    #[test]
    fn trimmed_range_is_the_first_to_the_last_significant_token() {
        let mut texts: Vec<String> = crate::stdlib::embedded()
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        texts.extend(
            [
                "",
                "  # only a comment\n\n",
                "site \"a\" {  # c\n\n  # c\n}\n",
                "fleet f {\n  count = = 1\n  # c\n  disk = 1 GiB  # c\n}\n",
                "fleet f { }\nfleet g {\n",
                "actors { a = [ # c\n 10.0.0.0/8, # d\n ] }\n",
                "allow tcp 1 from a to b \"x\" { # c\n }\n",
            ]
            .map(String::from),
        );
        let mut nodes = 0;
        for text in &texts {
            let root = crate::parse::parse_tree(text).root();
            for node in root.descendants() {
                assert_eq!(
                    trimmed_range(&node),
                    by_definition(&node),
                    "{node:?} in {text:?}"
                );
                nodes += 1;
            }
        }
        assert!(nodes > 1000, "{nodes}");
    }
}
