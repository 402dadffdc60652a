//! `cci-dsl fmt`: the one layout of `.cci` files. Line by line, so every comment stays where
//! it was: two spaces of indentation per open `{`, `[` or `(`; `key = value` with the `=` of a
//! run of attributes in one block aligned; no trailing spaces; at most one blank line in a
//! row, none at the start or before a closing `}`; one newline at the end. Only the
//! whitespace between tokens changes, so a file compiles to the same thing formatted or not
//! (tested on every example, stdlib file and fixture). Files with syntax errors are not
//! formatted: the caller reports them instead.

/// A line split into its code and its trailing comment (with the spaces before it).
struct Line<'a> {
    code: &'a str,
    /// Spaces between the code and the comment, and the comment; empty without one.
    gap: &'a str,
    comment: &'a str,
}

fn split(line: &str) -> Line<'_> {
    let (mut in_string, mut escaped) = (false, false);
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '#' if !in_string => {
                let code = line[..i].trim_end();
                return Line {
                    code,
                    gap: &line[code.len()..i],
                    comment: line[i..].trim_end(),
                };
            }
            _ => {}
        }
    }
    Line {
        code: line.trim_end(),
        gap: "",
        comment: "",
    }
}

/// Net nesting a line's code opens (`{ [ (` minus `} ] )`), outside strings; and how many
/// closers it starts with.
fn nesting(code: &str) -> (i64, usize) {
    let (mut net, mut in_string, mut escaped) = (0i64, false, false);
    for c in code.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '{' | '[' | '(' if !in_string => net += 1,
            '}' | ']' | ')' if !in_string => net -= 1,
            _ => {}
        }
    }
    let leading = code
        .trim_start()
        .chars()
        .take_while(|c| matches!(c, '}' | ']' | ')'))
        .count();
    (net, leading)
}

/// `key = value`: the key (a name or a quoted string) and the value, when the line is an
/// attribute.
fn attribute(code: &str) -> Option<(&str, &str)> {
    let code = code.trim_start();
    let key_end = if let Some(rest) = code.strip_prefix('"') {
        rest.find('"')? + 2
    } else {
        code.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))?
    };
    if key_end == 0 {
        return None;
    }
    let (key, rest) = code.split_at(key_end);
    let value = rest.trim_start().strip_prefix('=')?;
    if value.starts_with('=') {
        return None;
    }
    Some((key, value.trim_start()))
}

/// One output line before alignment.
struct Out {
    indent: usize,
    /// `Some((key, value))` for an attribute line that may align with its neighbours.
    attr: Option<(String, String)>,
    text: String,
    gap: String,
    comment: String,
    /// The line opens a value that goes on (a multi-line list): it ends its alignment run.
    opens: bool,
}

pub fn format(text: &str) -> String {
    let mut lines: Vec<Option<Out>> = Vec::new(); // None: a blank line
    let mut depth: i64 = 0;
    for raw in text.lines() {
        let l = split(raw);
        if l.code.trim().is_empty() && l.comment.is_empty() {
            lines.push(None);
            continue;
        }
        let (net, leading) = nesting(l.code);
        let indent = (depth - leading as i64).max(0) as usize;
        depth = (depth + net).max(0);
        let code = l.code.trim_start();
        let attr = attribute(code).map(|(k, v)| (k.to_string(), v.to_string()));
        lines.push(Some(Out {
            indent,
            attr,
            text: code.to_string(),
            gap: if code.is_empty() {
                String::new()
            } else {
                l.gap.to_string()
            },
            comment: l.comment.to_string(),
            opens: net > 0,
        }));
    }
    align(&mut lines);
    render(&lines)
}

/// The `=` of consecutive attribute lines at one indentation line up.
fn align(lines: &mut [Option<Out>]) {
    let mut i = 0;
    while i < lines.len() {
        let Some(Some(first)) = lines
            .get(i)
            .map(|l| l.as_ref().filter(|o| o.attr.is_some()))
        else {
            i += 1;
            continue;
        };
        let indent = first.indent;
        let mut end = i;
        while let Some(Some(o)) = lines.get(end) {
            // A comment line between two attributes does not end their run.
            let comment_line = o.text.is_empty() && o.indent == indent;
            if comment_line {
                end += 1;
                continue;
            }
            if o.attr.is_none() || o.indent != indent {
                break;
            }
            end += 1;
            if o.opens {
                break;
            }
        }
        let width = lines[i..end]
            .iter()
            .flatten()
            .filter_map(|o| o.attr.as_ref().map(|(k, _)| k.chars().count()))
            .max()
            .unwrap_or(0);
        for o in lines[i..end].iter_mut().flatten() {
            if let Some((k, v)) = &o.attr {
                o.text = format!("{k:<width$} = {v}");
            }
        }
        i = end.max(i + 1);
    }
}

fn render(lines: &[Option<Out>]) -> String {
    let mut out = String::new();
    let mut blank_pending = false;
    for (n, line) in lines.iter().enumerate() {
        let Some(o) = line else {
            blank_pending = !out.is_empty();
            continue;
        };
        // No blank line right after an opening brace or before a closing one.
        let after_open = out.trim_end().ends_with('{');
        let closing = o.text.starts_with('}');
        if blank_pending && !after_open && !closing {
            out.push('\n');
        }
        blank_pending = false;
        out.push_str(&"  ".repeat(o.indent));
        out.push_str(&o.text);
        if !o.comment.is_empty() {
            if !o.text.is_empty() {
                out.push_str(if o.gap.is_empty() { " " } else { &o.gap });
            }
            out.push_str(&o.comment);
        }
        out.push('\n');
        let _ = n;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::format;

    #[test]
    fn indents_aligns_and_keeps_comments() {
        let messy = "# top\n\n\nsite \"a\" {   \n aws {\n region = \"x\"   # r\n      ssh_key=\"k\"\n }\n\n\n   tags { team = \"t\" }\n}\n";
        let want = "# top\n\nsite \"a\" {\n  aws {\n    region  = \"x\"   # r\n    ssh_key = \"k\"\n  }\n\n  tags { team = \"t\" }\n}\n";
        assert_eq!(format(messy), want);
        assert_eq!(format(want), want, "idempotent");
    }

    #[test]
    fn strings_and_lists_are_left_alone_inside() {
        let text = "a {\n  s = \"x # not a comment {\"\n  l = [\n    1,\n    2,\n  ]\n}\n";
        assert_eq!(format(text), text);
    }
}
