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

/// What a label's, key's or value's token says: a string's value (escapes read), a word's
/// text; `None` for punctuation and for a string that did not parse.
pub fn token_value(t: &SyntaxToken) -> Option<String> {
    match t.kind() {
        STRING => super::literals::string_value(t.text()).ok(),
        WORD => Some(t.text().to_string()),
        _ => None,
    }
}
