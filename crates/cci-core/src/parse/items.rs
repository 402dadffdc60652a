//! The grammar (`grammar/cci.lark` says the same): items, blocks and their entries, rules,
//! values. Each function builds its node and says whether it parsed; a broken entry or item
//! is wrapped in a `BROKEN` node with what recovery skipped after it, and parsing goes on.

use super::literals::{self, is_label, is_name, is_path};
use super::syntax::SyntaxKind::{self, *};
use super::tree::{clip, Parser, MAX_DEPTH};
use crate::codes::Code;

impl<'s> Parser<'s> {
    /// The whole file: items until the end.
    pub(super) fn file(&mut self) {
        self.start_root();
        while !self.at_end() {
            if self.take_virtual_close() {
                continue;
            }
            self.item();
        }
        self.rest();
        self.finish_node();
    }

    fn item(&mut self) {
        let cp = self.checkpoint();
        let before = self.position();
        let deep_before = self.too_deep_count();
        let ok = match self.peek() {
            Some((WORD, "use")) => self.use_decl(),
            Some((WORD, "allow")) => self.rule(),
            Some((WORD, w)) if is_name(w) => self.block(),
            Some((R_BRACE, _)) => {
                self.expected(
                    "a block, a rule or `use`",
                    "this `}` closes no block: remove it",
                );
                false
            }
            _ => {
                self.expected(
                    "a block (`kind name { ... }`), a rule (`allow ...`) or `use`",
                    "",
                );
                false
            }
        };
        // An item nested too deep is dropped whole, as its depth is what is wrong.
        let ok = ok && self.too_deep_count() == deep_before;
        if !ok {
            let consumed = self.position() > before;
            self.recover(!consumed);
            self.wrap(cp, BROKEN);
        }
    }

    fn too_deep_count(&self) -> usize {
        self.errors.iter().filter(|e| e.code == Code::E0106).count()
    }

    fn use_decl(&mut self) -> bool {
        self.start(USE);
        self.bump();
        let ok = match self.peek() {
            Some((WORD, p)) if is_path(p) => {
                self.bump();
                true
            }
            _ => {
                self.expected("a library path like `circleci/<release>`", "");
                false
            }
        };
        self.finish_node();
        ok
    }

    /// `kind label... { entries }` (the next token is the kind).
    fn block(&mut self) -> bool {
        self.start(BLOCK);
        let kind = self.peek().map_or("", |(_, w)| w);
        self.bump();
        let mut ok = true;
        let mut labels = 0;
        loop {
            match self.peek() {
                Some((L_BRACE, _)) => break,
                Some((STRING, _)) | Some((WORD, _)) if self.at_label() => {
                    ok &= self.label();
                    labels += 1;
                }
                Some((EQ, _)) if labels == 0 => {
                    let help = format!(
                        "`{kind}` is written where a block starts; attributes go inside a block"
                    );
                    self.expected("`{` to open the block", &help);
                    ok = false;
                    break;
                }
                Some((WORD, w)) if !w.is_ascii() => {
                    self.not_ascii(w, "names are ASCII letters, digits, `_` and `-`");
                    ok = false;
                    break;
                }
                _ => {
                    self.expected("`{` to open the block", "");
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            ok = self.body(BODY, false);
        }
        self.finish_node();
        ok
    }

    /// Whether the next token can be a block's label.
    pub(super) fn at_label(&self) -> bool {
        match self.peek() {
            Some((STRING, _)) => true,
            Some((WORD, w)) => is_label(w),
            _ => false,
        }
    }

    pub(super) fn label(&mut self) -> bool {
        self.start(LABEL);
        let ok = self.string_or_word();
        self.finish_node();
        ok
    }

    /// Bumps a string (checking it) or a word.
    pub(super) fn string_or_word(&mut self) -> bool {
        if let Some((STRING, text)) = self.peek() {
            if let Err(e) = literals::string_value(text) {
                let (start, _) = self.next_range();
                self.literal_error(start, e);
                self.bump();
                return false;
            }
        }
        self.bump();
        true
    }

    /// One level deeper for a block, list or call opening at the next token; false (reported,
    /// the group skipped) past [`MAX_DEPTH`].
    pub(super) fn deeper(&mut self) -> bool {
        if self.depth < MAX_DEPTH {
            self.depth += 1;
            return true;
        }
        let (start, end) = self.next_range();
        self.error_at(
            start,
            end,
            Code::E0106,
            "nesting is too deep",
            format!("more than {MAX_DEPTH} blocks, lists or calls inside each other"),
            "a site needs three levels at most: flatten this",
        );
        self.skip_group();
        false
    }

    /// `{ entries }` at the next token; a rule's body holds attributes only.
    pub(super) fn body(&mut self, kind: SyntaxKind, attrs_only: bool) -> bool {
        if !self.deeper() {
            return false;
        }
        self.start(kind);
        let open = self.next_range();
        self.bump();
        let ok = loop {
            if self.take_virtual_close() || self.at_end() {
                self.unclosed(open);
                break false;
            }
            match self.peek() {
                Some((R_BRACE, _)) => {
                    self.bump();
                    break true;
                }
                _ => self.entry(attrs_only),
            }
        };
        self.finish_node();
        self.depth -= 1;
        ok
    }

    /// E0103 for the `{` at `open`, closed where the next top-level item starts or at the end.
    pub(super) fn unclosed(&mut self, open: (usize, usize)) {
        // A string left open swallows the `}` after it on its line: that is the error to fix.
        if self
            .errors
            .iter()
            .any(|e| e.code == Code::E0102 && e.start > open.0)
        {
            return;
        }
        let at_end = self.at_end();
        let (start, end) = self.next_range();
        let label = if at_end {
            "the file ends here"
        } else {
            "a new top-level item starts here"
        };
        self.error_at(
            start,
            end,
            Code::E0103,
            "unclosed block",
            label,
            "add `}` to close the block",
        );
        if let Some(e) = self.errors.last_mut() {
            e.also = Some((open.0, 1, "this `{` is never closed".into()));
        }
    }

    /// An attribute, a nested block or a rule, then an optional `,` or `;`.
    pub(super) fn entry(&mut self, attrs_only: bool) {
        let cp = self.checkpoint();
        let before = self.position();
        let ok = match self.peek() {
            Some((STRING, _)) => self.attribute(),
            Some((WORD, "allow")) if !attrs_only => self.rule(),
            Some((WORD, w)) if is_name(w) => match self.peek_nth(1) {
                Some((EQ, _)) => self.attribute(),
                Some((L_BRACE | STRING, _)) if !attrs_only => self.block(),
                Some((WORD, l)) if !attrs_only && is_label(l) => self.block(),
                _ if attrs_only => {
                    self.bump();
                    self.expected(
                        &format!("`=` after `{w}`"),
                        "a rule's body holds attributes only",
                    );
                    false
                }
                next => {
                    self.bump();
                    let help = match next {
                        Some((WORD, ":" | ":=")) => format!("write `{w} = ...`"),
                        _ => String::new(),
                    };
                    self.expected(&format!("`=` after `{w}`"), &help);
                    false
                }
            },
            Some((WORD, w)) => {
                self.bad_key(w);
                false
            }
            _ => {
                self.expected("an attribute (`name = value`), a block or `}`", "");
                false
            }
        };
        if ok {
            if matches!(self.peek(), Some((COMMA | SEMICOLON, _))) {
                self.bump();
            }
        } else {
            let consumed = self.position() > before;
            self.recover(!consumed);
            self.wrap(cp, BROKEN);
        }
    }

    /// A name written with a character outside ASCII: said as such, not as a syntax error.
    fn not_ascii(&mut self, w: &str, rule: &str) {
        let (start, end) = self.next_range();
        self.error_at(
            start,
            end,
            Code::E0101,
            format!("`{}` is not a name: {rule}", super::tree::clip(w)),
            "holds a character outside ASCII (shown escaped)",
            format!("{rule}: this one holds a character that is not (shown escaped)"),
        );
    }

    /// A word where a key should be: why it is not one.
    fn bad_key(&mut self, w: &str) {
        if let Some(key) = w.strip_suffix(':').filter(|k| is_name(k)) {
            let (start, end) = self.next_range();
            self.error_at(
                end - 1,
                end,
                Code::E0101,
                format!("expected `=` after `{key}`, found `:`"),
                format!("expected `=` after `{key}`"),
                format!("write `{key} = ...`"),
            );
            if let Some(e) = self.errors.last_mut() {
                e.fix = Some(" =".into());
            }
            let _ = start;
        } else if w.contains('-') && is_label(w) {
            let what = "an attribute (`name = value`), a block or `}`";
            self.expected(
                what,
                &format!("quote a key that contains `-`: `\"{w}\" = ...`"),
            );
        } else if !w.is_ascii() {
            self.not_ascii(w, "keys are ASCII letters, digits and `_`");
        } else {
            self.expected("an attribute (`name = value`), a block or `}`", "");
        }
    }

    /// `key = value` (the next token is the key).
    pub(super) fn attribute(&mut self) -> bool {
        self.start(ATTR);
        self.start(KEY);
        let key = self.peek().map_or(String::new(), |(_, t)| clip(t));
        let mut ok = self.string_or_word();
        self.finish_node();
        if matches!(self.peek(), Some((EQ, _))) {
            self.bump();
            ok &= self.value();
        } else {
            self.expected(&format!("`=` after `{key}`"), "");
            ok = false;
        }
        self.finish_node();
        ok
    }
}
