//! Values: strings, lists, calls and words (a number with its unit).

use super::literals::{self, is_label, is_name, is_unit};
use super::syntax::SyntaxKind::*;
use super::tree::Parser;
use crate::codes::Code;

impl<'s> Parser<'s> {
    /// A string, a list, a call or a word (with a number's unit).
    pub(super) fn value(&mut self) -> bool {
        match self.peek() {
            Some((STRING, _)) => {
                self.start(LITERAL);
                let ok = self.string_or_word();
                self.finish_node();
                ok
            }
            Some((L_BRACK, _)) => self.list(),
            Some((WORD, w)) if is_name(w) && matches!(self.peek_nth(1), Some((L_PAREN, _))) => {
                self.call()
            }
            Some((WORD, w)) => {
                self.start(LITERAL);
                let unit = self.unit_after(w);
                let ok = self.checked(literals::word_value(w, unit).map(|_| ()));
                if unit.is_some() {
                    self.bump();
                }
                self.finish_node();
                ok
            }
            _ => {
                self.expected("a value", "");
                false
            }
        }
    }

    /// The unit word after the number `w`, on its line. A unit the language knows is one unless
    /// `=` or `{` follows it (then it is the next entry's name, as `grammar/cci.lark` reads
    /// it); another word is taken as a misspelt unit only where it could not start the next
    /// entry (`100 GiBs }`), so it is reported as one.
    fn unit_after(&self, w: &str) -> Option<&'s str> {
        if !w.chars().all(|c| c.is_ascii_digit()) || !self.next_two_on_one_line() {
            return None;
        }
        let Some((WORD, u)) = self.peek_nth(1) else {
            return None;
        };
        let after = self.peek_nth(2);
        let starts_entry = u == "allow"
            || matches!(after, Some((EQ | L_BRACE | STRING, _)))
            || matches!(after, Some((WORD, l)) if is_label(l));
        if is_unit(u) {
            return (!matches!(after, Some((EQ | L_BRACE, _)))).then_some(u);
        }
        let letters = u.chars().all(|c| c.is_ascii_alphabetic());
        (letters && !starts_entry && u != "from" && u != "to").then_some(u)
    }

    /// `[value, ...]`, a trailing `,` allowed.
    pub(super) fn list(&mut self) -> bool {
        if !self.deeper() {
            return false;
        }
        self.start(LIST);
        let open = self.next_range();
        self.bump();
        let ok = loop {
            match self.peek() {
                Some((R_BRACK, _)) => {
                    self.bump();
                    break true;
                }
                None => {
                    let (start, end) = self.next_range();
                    self.error_at(
                        start,
                        end,
                        Code::E0101,
                        "unclosed list",
                        "",
                        "add `]` to close the list",
                    );
                    if let Some(e) = self.errors.last_mut() {
                        e.also = Some((open.0, 1, "this `[` is never closed".into()));
                    }
                    break false;
                }
                _ => {}
            }
            if !self.value() {
                break false;
            }
            match self.peek() {
                Some((COMMA, _)) => self.bump(),
                Some((R_BRACK, _)) => {}
                _ => {
                    self.expected("`,` or `]`", "");
                    break false;
                }
            }
        };
        self.finish_node();
        self.depth -= 1;
        ok
    }

    /// `name(value, ...)` (at the name).
    pub(super) fn call(&mut self) -> bool {
        self.start(CALL);
        self.bump();
        if !self.deeper() {
            self.finish_node();
            return false;
        }
        self.start(ARGS);
        self.bump();
        let ok = loop {
            if matches!(self.peek(), Some((R_PAREN, _))) {
                self.bump();
                break true;
            }
            if !self.value() {
                break false;
            }
            match self.peek() {
                Some((COMMA, _)) => self.bump(),
                Some((R_PAREN, _)) => {}
                _ => {
                    self.expected("`,` or `)`", "");
                    break false;
                }
            }
        };
        self.finish_node();
        self.finish_node();
        self.depth -= 1;
        ok
    }
}
