//! `cci-dsl fmt`: the one layout of `.cci` files, printed from the syntax tree, so it repairs
//! any layout the parser accepts and keeps every comment:
//!
//! - two spaces of indentation per block and multi-line list; one space between words, none
//!   inside brackets, `, ` in lists, ports and calls, ` = ` in attributes, `100 GiB`;
//! - a block, or a rule's body, holding one attribute and no comment is written on one line
//!   when it fits in 100 columns (`tags { team = "ci" }`), any other on several; a list on one
//!   line when it fits and holds no comment, else one item a line with a trailing `,`;
//! - the `=` of a run of attributes in one block aligned (a comment line does not end the run,
//!   a multi-line value does), and the trailing comments of consecutive lines aligned two
//!   spaces after the longest code;
//! - blank lines decided by the structure, not copied: one between top-level items but none
//!   between one-line items of a kind (a run of rules, of `external` blocks), and one before a
//!   multi-line block inside a block (after its first entry); an item's own-line comments stay
//!   right above it; one newline at the end.
//!
//! Only the layout changes, so a file compiles to the same bytes formatted or not (tested on
//! every example, stdlib file, fixture and generated site, in every mangled layout). Files
//! with syntax errors are returned unchanged: the caller reports them.

use crate::parse::syntax::{SyntaxKind::*, SyntaxNode, SyntaxToken};

/// The widest line a construct is put on one line for.
const WIDTH: usize = 100;

/// The text in the one layout (unchanged when it has syntax errors).
pub fn format(text: &str) -> String {
    let parsed = crate::parse::parse_tree(text);
    if !parsed.errors.is_empty() {
        return text.to_string();
    }
    let mut p = Printer::default();
    p.items(&parsed.root());
    render(p.lines)
}

/// One output line before alignment.
#[derive(Clone, Debug, Default)]
struct Line {
    indent: usize,
    /// `Some((key, rest))` for an attribute, whose `=` may line up with its neighbours'.
    attr: Option<(String, String)>,
    code: String,
    comment: Option<String>,
    /// The line opens a value that goes on (a multi-line list): it ends its alignment run.
    opens: bool,
    blank_before: bool,
}

#[derive(Default)]
struct Printer {
    lines: Vec<Line>,
    indent: usize,
}

impl Printer {
    fn push(&mut self, code: String) {
        self.lines.push(Line {
            indent: self.indent,
            code,
            ..Line::default()
        });
    }

    fn comment_line(&mut self, comment: &str, blank_before: bool) {
        self.lines.push(Line {
            indent: self.indent,
            comment: Some(comment.trim_end().to_string()),
            blank_before,
            ..Line::default()
        });
    }

    /// Puts a comment after the last line's code, or on a line of its own when that line
    /// has one already.
    fn trailing(&mut self, comment: &str) {
        match self.lines.last_mut() {
            Some(l) if l.comment.is_none() && (!l.code.is_empty() || l.attr.is_some()) => {
                l.comment = Some(comment.trim_end().to_string())
            }
            _ => self.comment_line(comment, false),
        }
    }

    /// The file's items, or a block's entries (`top`: blank lines between items).
    fn items(&mut self, parent: &SyntaxNode) {
        let top = parent.kind() == ROOT;
        let mut pending: Vec<String> = Vec::new();
        let mut prev: Option<(String, bool)> = None;
        let mut newline_since = true;
        for el in parent.children_with_tokens() {
            match el {
                rowan::NodeOrToken::Token(t) => match t.kind() {
                    NEWLINE => newline_since = true,
                    COMMENT if !newline_since && (prev.is_some() || !top) && pending.is_empty() => {
                        self.trailing(t.text())
                    }
                    COMMENT => pending.push(t.text().trim_end().to_string()),
                    _ => {}
                },
                rowan::NodeOrToken::Node(n) => {
                    if !matches!(n.kind(), USE | BLOCK | RULE | ATTR) {
                        continue;
                    }
                    let start = self.lines.len();
                    self.item(&n);
                    let one_line = self.lines.len() == start + 1;
                    let kind = item_kind(&n);
                    let blank = match &prev {
                        None => false,
                        Some((k, one)) if top => {
                            !(pending.is_empty() && *one && one_line && *k == kind)
                        }
                        Some(_) => !one_line && n.kind() != ATTR,
                    };
                    let comments: Vec<Line> = pending
                        .drain(..)
                        .enumerate()
                        .map(|(i, c)| Line {
                            indent: self.indent,
                            comment: Some(c),
                            blank_before: blank && i == 0,
                            ..Line::default()
                        })
                        .collect();
                    if comments.is_empty() {
                        self.lines[start].blank_before = blank;
                    }
                    self.lines.splice(start..start, comments);
                    prev = Some((kind, one_line));
                    newline_since = false;
                }
            }
        }
        for (i, c) in pending.iter().enumerate() {
            self.comment_line(c, top && i == 0 && prev.is_some());
        }
    }

    fn item(&mut self, n: &SyntaxNode) {
        self.hoist_comments(n);
        match n.kind() {
            USE => {
                let words: Vec<String> = tokens(n).map(|t| t.text().to_string()).collect();
                self.push(words.join(" "));
            }
            BLOCK => self.block(n),
            RULE => self.rule(n),
            _ => self.attr(n),
        }
    }

    /// Comments inside the parts of `n` printed on one line (a block's header, a rule's
    /// header, an attribute's key): put on lines of their own above it, never lost.
    fn hoist_comments(&mut self, n: &SyntaxNode) {
        let inner = |e: &SyntaxNode| matches!(e.kind(), BODY | RULE_BODY | LIST);
        let mut stack = vec![n.clone()];
        while let Some(node) = stack.pop() {
            for el in node.children_with_tokens() {
                match el {
                    rowan::NodeOrToken::Token(t) if t.kind() == COMMENT => {
                        self.comment_line(t.text(), false)
                    }
                    rowan::NodeOrToken::Node(c) if !inner(&c) => stack.push(c),
                    _ => {}
                }
            }
        }
    }

    fn block(&mut self, n: &SyntaxNode) {
        let mut head = vec![first_word(n)];
        head.extend(n.children().filter(|c| c.kind() == LABEL).map(|l| text(&l)));
        let head = head.join(" ");
        let body = n.children().find(|c| c.kind() == BODY);
        self.body(head, body.as_ref());
    }

    /// `head { ... }`: on one line when it holds one attribute and no comment and fits.
    fn body(&mut self, head: String, body: Option<&SyntaxNode>) {
        let Some(body) = body else {
            self.push(format!("{head} {{}}"));
            return;
        };
        let entries: Vec<SyntaxNode> = body.children().collect();
        let commented = body.descendants_with_tokens().any(|e| e.kind() == COMMENT);
        if entries.is_empty() && !commented {
            self.push(format!("{head} {{}}"));
            return;
        }
        if let [only] = entries.as_slice() {
            if only.kind() == ATTR && !commented {
                let one = format!("{head} {{ {} }}", attr_inline(only));
                if self.indent * 2 + one.chars().count() <= WIDTH && !one.contains('\n') {
                    self.push(one);
                    return;
                }
            }
        }
        self.push(format!("{head} {{"));
        self.indent += 1;
        self.items(body);
        self.indent -= 1;
        self.push("}".into());
    }

    fn rule(&mut self, n: &SyntaxNode) {
        let child = |k| n.children().find(|c| c.kind() == k);
        let mut head = vec!["allow".to_string()];
        head.extend(child(PROTOCOL).map(|p| text(&p)));
        if let Some(ports) = child(PORTS).filter(|p| p.children().next().is_some()) {
            let ports: Vec<String> = ports.children().map(|p| text(&p)).collect();
            head.push(ports.join(", "));
        }
        let ends: Vec<String> = n
            .children()
            .filter(|c| c.kind() == ENDPOINT)
            .map(|e| text(&e))
            .collect();
        head.push(format!(
            "from {}",
            ends.first().cloned().unwrap_or_default()
        ));
        head.push(format!("to {}", ends.get(1).cloned().unwrap_or_default()));
        head.extend(child(PURPOSE).map(|p| text(&p)));
        let head = head.join(" ");
        match child(RULE_BODY) {
            Some(b) => self.body(head, Some(&b)),
            None => self.push(head),
        }
    }

    fn attr(&mut self, n: &SyntaxNode) {
        let key = n
            .children()
            .find(|c| c.kind() == KEY)
            .map_or_else(String::new, |k| text(&k));
        let Some(value) = n.children().find(is_value) else {
            return;
        };
        let prefix = self.indent * 2 + key.chars().count() + 3;
        match value_inline(&value, prefix) {
            Some(v) => self.lines.push(Line {
                indent: self.indent,
                attr: Some((key, v)),
                ..Line::default()
            }),
            None => {
                self.lines.push(Line {
                    indent: self.indent,
                    attr: Some((key, "[".into())),
                    opens: true,
                    ..Line::default()
                });
                self.list_lines(&value);
                self.push("]".into());
            }
        }
    }

    /// A list's items one a line, each with its `,`, comments where they were.
    fn list_lines(&mut self, list: &SyntaxNode) {
        self.indent += 1;
        let mut newline_since = true;
        for el in list.children_with_tokens() {
            match el {
                rowan::NodeOrToken::Token(t) => match t.kind() {
                    NEWLINE => newline_since = true,
                    COMMENT if !newline_since => self.trailing(t.text()),
                    COMMENT => self.comment_line(t.text(), false),
                    _ => {}
                },
                rowan::NodeOrToken::Node(item) if is_value(&item) => {
                    let budget = self.indent * 2;
                    match value_inline(&item, budget) {
                        Some(v) => self.push(format!("{v},")),
                        None => {
                            self.push("[".into());
                            self.list_lines(&item);
                            self.push("],".into());
                        }
                    }
                    newline_since = false;
                }
                _ => {}
            }
        }
        self.indent -= 1;
    }
}

/// The block kind, `allow`, `use` or the attribute's key an item starts with.
fn item_kind(n: &SyntaxNode) -> String {
    match n.kind() {
        RULE => "allow".into(),
        _ => first_word(n),
    }
}

fn is_value(n: &SyntaxNode) -> bool {
    matches!(n.kind(), LITERAL | LIST | CALL)
}

/// A node's significant tokens, in order (comments and spaces left out).
fn tokens(n: &SyntaxNode) -> impl Iterator<Item = SyntaxToken> {
    n.descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| !t.kind().is_trivia())
}

fn first_word(n: &SyntaxNode) -> String {
    tokens(n)
        .next()
        .map_or_else(String::new, |t| t.text().to_string())
}

/// A label, key, port, endpoint, purpose or literal as written, spaced the one way (`100 GiB`).
fn text(n: &SyntaxNode) -> String {
    let words: Vec<String> = tokens(n).map(|t| t.text().to_string()).collect();
    match words.as_slice() {
        [one] => split_unit(one),
        _ => words.join(" "),
    }
}

/// `100GiB` as `100 GiB`; any other word as it is.
fn split_unit(w: &str) -> String {
    let digits = w.find(|c: char| !c.is_ascii_digit()).unwrap_or(w.len());
    let unit = &w[digits..];
    if digits > 0 && !unit.is_empty() && unit.chars().all(|c| c.is_ascii_alphabetic()) {
        format!("{} {unit}", &w[..digits])
    } else {
        w.to_string()
    }
}

/// `key = value` on one line (for a one-line block).
fn attr_inline(n: &SyntaxNode) -> String {
    let key = n
        .children()
        .find(|c| c.kind() == KEY)
        .map_or_else(String::new, |k| text(&k));
    let value = n
        .children()
        .find(is_value)
        .and_then(|v| value_inline(&v, 0))
        .unwrap_or_else(|| "\n".into());
    format!("{key} = {value}")
}

/// A value on one line, when it fits after `used` columns and holds no comment.
fn value_inline(n: &SyntaxNode, used: usize) -> Option<String> {
    let s = match n.kind() {
        LITERAL => text(n),
        LIST => {
            if n.descendants_with_tokens().any(|e| e.kind() == COMMENT) {
                return None;
            }
            let items: Option<Vec<String>> = n
                .children()
                .filter(is_value)
                .map(|c| value_inline(&c, 0))
                .collect();
            format!("[{}]", items?.join(", "))
        }
        CALL => {
            let args = n.children().find(|c| c.kind() == ARGS)?;
            let args: Option<Vec<String>> = args
                .children()
                .filter(is_value)
                .map(|c| value_inline(&c, 0))
                .collect();
            format!("{}({})", first_word(n), args?.join(", "))
        }
        _ => return None,
    };
    (n.kind() != LIST || used + s.chars().count() <= WIDTH).then_some(s)
}

/// Aligns runs of `=` and of trailing comments, then writes the lines.
fn render(mut lines: Vec<Line>) -> String {
    align_attributes(&mut lines);
    for l in &mut lines {
        if let Some((k, v)) = l.attr.take() {
            l.code = format!("{k} = {v}");
        }
    }
    align_comments(&mut lines);
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        if l.blank_before && i > 0 {
            out.push('\n');
        }
        out.push_str(&"  ".repeat(l.indent));
        out.push_str(&l.code);
        if let Some(c) = &l.comment {
            out.push_str(c);
        }
        out.push('\n');
    }
    out
}

/// The `=` of consecutive attribute lines at one indentation line up: a comment line does
/// not end the run; a blank line, another line or a multi-line value's first line does.
fn align_attributes(lines: &mut [Line]) {
    let mut i = 0;
    while i < lines.len() {
        if lines[i].attr.is_none() {
            i += 1;
            continue;
        }
        let indent = lines[i].indent;
        let mut end = i;
        while let Some(l) = lines.get(end) {
            if end > i && l.blank_before {
                break;
            }
            let comment_line = l.code.is_empty() && l.attr.is_none() && l.indent == indent;
            if !comment_line && (l.attr.is_none() || l.indent != indent) {
                break;
            }
            end += 1;
            if l.opens {
                break;
            }
        }
        let width = lines[i..end]
            .iter()
            .filter_map(|l| l.attr.as_ref().map(|(k, _)| k.chars().count()))
            .max()
            .unwrap_or(0);
        for l in &mut lines[i..end] {
            if let Some((k, _)) = &mut l.attr {
                let pad = width - k.chars().count();
                k.push_str(&" ".repeat(pad));
            }
        }
        i = end.max(i + 1);
    }
}

/// Trailing comments of consecutive lines (same indentation, no blank line between) start
/// in one column, two spaces after the longest code among them; a comment alone on its line
/// starts where the line's indentation ends.
fn align_comments(lines: &mut [Line]) {
    let trailing = |l: &Line| l.comment.is_some() && !l.code.is_empty();
    let mut i = 0;
    while i < lines.len() {
        if !trailing(&lines[i]) {
            i += 1;
            continue;
        }
        let mut end = i + 1;
        while end < lines.len()
            && trailing(&lines[end])
            && !lines[end].blank_before
            && lines[end].indent == lines[i].indent
        {
            end += 1;
        }
        let width = lines[i..end]
            .iter()
            .map(|l| l.code.chars().count())
            .max()
            .unwrap_or(0);
        for l in &mut lines[i..end] {
            let pad = width - l.code.chars().count() + 2;
            l.code.push_str(&" ".repeat(pad));
        }
        i = end;
    }
}

#[cfg(test)]
mod tests {
    use super::format;

    #[test]
    fn repairs_any_layout_and_keeps_comments() {
        let messy = "# top\n\n\nsite \"a\"{aws{region=\"x\"   # r\n      ssh_key=\"k\"}\n\n\n   tags { team = \"t\" }\n}\nallow   tcp   9100,22 from [ 10.0.0.0/8 ] to nomad \"n\"\n";
        let messy = messy.replace("[ 10.0.0.0/8 ]", "10.0.0.0/8");
        let want = "# top\nsite \"a\" {\n  aws {\n    region  = \"x\"  # r\n    ssh_key = \"k\"\n  }\n  tags { team = \"t\" }\n}\n\nallow tcp 9100, 22 from 10.0.0.0/8 to nomad \"n\"\n";
        assert_eq!(format(&messy), want);
        assert_eq!(format(want), want, "idempotent");
    }

    #[test]
    fn lists_break_when_long_or_commented() {
        // A trailing comment is two spaces after its entry, in a list as after an attribute.
        let text = "a {\n  l = [\n    1,  # one\n    2,\n  ]\n  s = [1, 2]\n}\n";
        assert_eq!(format(text), text);
        assert_eq!(format(&text.replace(",  #", ", #")), text);
        let long = format!("a {{\n  l = [{}]\n}}\n", ["\"xxxxxxxxxx\""; 9].join(", "));
        assert!(
            format(&long).contains("  l = [\n    \"xxxxxxxxxx\",\n"),
            "{}",
            format(&long)
        );
    }
}
