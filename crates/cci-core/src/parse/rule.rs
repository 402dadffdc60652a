//! A rule: `allow PROTOCOL [PORTS] from A to B "purpose" [{ attributes }]`, its protocol,
//! ports, endpoints and purpose.

use super::literals::{self, is_name};
use super::syntax::SyntaxKind::*;
use super::tree::Parser;
use crate::codes::Code;

const PROTOCOLS: &[&str] = &["tcp", "udp", "icmp", "all"];

impl<'s> Parser<'s> {
    /// `allow PROTOCOL [PORTS] from A to B "purpose" [{ attributes }]` (at `allow`).
    pub(super) fn rule(&mut self) -> bool {
        self.start(RULE);
        self.bump();
        let ok = self.protocol()
            && self.ports()
            && self.keyword("from")
            && self.endpoint()
            && self.keyword("to")
            && self.endpoint()
            && self.purpose()
            && (!matches!(self.peek(), Some((L_BRACE, _))) || self.body(RULE_BODY, true));
        self.finish_node();
        ok
    }

    fn protocol(&mut self) -> bool {
        match self.peek() {
            Some((WORD, p)) if PROTOCOLS.contains(&p) => {
                self.start(PROTOCOL);
                self.bump();
                self.finish_node();
                true
            }
            Some((WORD, w)) if is_name(w) => {
                let (start, end) = self.next_range();
                let close = crate::suggest::closest(w, PROTOCOLS.iter().copied());
                let help = close.map_or_else(
                    || "a rule's protocol is tcp, udp, icmp or all".into(),
                    |c| format!("did you mean `{c}`?"),
                );
                self.error_at(
                    start,
                    end,
                    Code::E0105,
                    format!("unknown protocol `{w}`"),
                    "expected tcp, udp, icmp or all",
                    help,
                );
                if let Some(e) = self.errors.last_mut() {
                    e.fix = close.map(str::to_string);
                }
                false
            }
            _ => {
                self.expected("a protocol (tcp, udp, icmp, all)", "");
                false
            }
        }
    }

    /// `443`, `80, 443`, `1000-2000`: none when the next word is `from`.
    fn ports(&mut self) -> bool {
        self.start(PORTS);
        let mut ok = true;
        while let Some((WORD, w)) = self.peek() {
            // A negative number is a port written wrong, not the start of `from`.
            let number = w.trim_start_matches('-');
            if !number.starts_with(|c: char| c.is_ascii_digit()) {
                break;
            }
            self.start(PORT);
            ok &= self.checked(literals::port_spec(w).map(|_| ()));
            self.finish_node();
            if !ok || !matches!(self.peek(), Some((COMMA, _))) {
                break;
            }
            self.bump();
        }
        self.finish_node();
        ok
    }

    /// Bumps the next token, reporting `result`, what its text means (an error about a unit is
    /// placed in the unit, the token after).
    pub(super) fn checked(&mut self, result: Result<(), literals::LitError>) -> bool {
        let in_unit = result.as_ref().is_err_and(|e| e.in_unit);
        let (start, _) = self.nth_range(usize::from(in_unit));
        self.bump();
        match result {
            Ok(()) => true,
            Err(e) => {
                self.literal_error(start, e);
                false
            }
        }
    }

    pub(super) fn keyword(&mut self, kw: &str) -> bool {
        match self.peek() {
            Some((WORD, w)) if w == kw => {
                self.bump();
                true
            }
            _ => {
                self.expected(&format!("`{kw}`"), "");
                false
            }
        }
    }

    fn endpoint(&mut self) -> bool {
        match self.peek() {
            Some((WORD, w)) => {
                self.start(ENDPOINT);
                let ok = self.checked(literals::endpoint(w).map(|_| ()));
                self.finish_node();
                ok
            }
            _ => {
                self.expected("an actor, a component or a CIDR", "");
                false
            }
        }
    }

    fn purpose(&mut self) -> bool {
        if !matches!(self.peek(), Some((STRING, _))) {
            self.expected(
                "the rule's purpose as a string",
                "every rule says why it exists: `... to services \"Metrics\"`",
            );
            return false;
        }
        self.start(PURPOSE);
        let ok = self.string_or_word();
        self.finish_node();
        ok
    }
}
