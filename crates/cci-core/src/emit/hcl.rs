//! HCL text: string escaping and the attribute alignment `terraform fmt` expects, so the
//! emitted files are canonical without running Terraform.

/// A quoted HCL string. `${` and `%{` are escaped so user text is never interpolated.
pub fn string(s: &str) -> String {
    format!("\"{}\"", string_body(s))
}

/// The inside of a quoted HCL string (see [`string`]), for splicing into a template string.
pub fn string_body(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// A map key: bare if it is an identifier, quoted otherwise.
pub fn key(k: &str) -> String {
    let ident = k
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ident {
        k.to_string()
    } else {
        string(k)
    }
}

/// Aligns the `=` of consecutive one-line attributes at the same indentation, as
/// `terraform fmt` does. A blank line, a comment, a block, or an attribute whose value spans
/// several lines ends a run.
pub fn align(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8 + 1);
    align_into(&mut out, text);
    if out.is_empty() {
        out.push('\n');
    }
    out
}

/// [`align`], appended to `out` (a large site's Terraform is megabytes of short lines, built
/// into one buffer per file).
pub fn align_into(out: &mut String, text: &str) {
    let lines: Vec<(&str, Option<OneLineAttr>)> =
        text.lines().map(|l| (l, one_line_attr(l))).collect();
    let mut i = 0;
    while i < lines.len() {
        let Some((indent, _, _)) = lines[i].1 else {
            out.push_str(lines[i].0.trim_end());
            out.push('\n');
            i += 1;
            continue;
        };
        let run: Vec<(&str, &str)> = lines[i..]
            .iter()
            .map_while(|(_, attr)| match attr {
                Some((ind, k, v)) if *ind == indent => Some((*k, *v)),
                _ => None,
            })
            .collect();
        i += run.len();
        let width = run
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(0);
        for (k, v) in run {
            let pad = width - k.chars().count();
            out.extend(std::iter::repeat_n(' ', indent));
            out.push_str(k);
            out.extend(std::iter::repeat_n(' ', pad));
            out.push_str(" = ");
            out.push_str(v);
            out.push('\n');
        }
    }
}

/// `(indent, key, value)` of a line `key = value` whose value is complete on the line.
type OneLineAttr<'a> = (usize, &'a str, &'a str);

fn one_line_attr(line: &str) -> Option<OneLineAttr<'_>> {
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    if trimmed.starts_with('#') || trimmed.starts_with("//") {
        return None;
    }
    let eq = find_top_level_eq(trimmed)?;
    let key = trimmed[..eq].trim_end();
    let value = trimmed[eq + 1..].trim();
    let key_ok = !key.is_empty()
        && (key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            || (key.starts_with('"') && key.ends_with('"') && key.len() >= 2));
    if !key_ok || value.is_empty() || !balanced(value) {
        return None;
    }
    Some((indent, key, value))
}

fn find_top_level_eq(s: &str) -> Option<usize> {
    let mut in_str = false;
    let mut prev = ' ';
    for (i, c) in s.char_indices() {
        match c {
            '"' if prev != '\\' => in_str = !in_str,
            '=' if !in_str => {
                let next = s[i + 1..].chars().next();
                if prev != '=' && prev != '!' && prev != '<' && prev != '>' && next != Some('=') {
                    return Some(i);
                }
            }
            _ => {}
        }
        prev = c;
    }
    None
}

/// True when brackets outside strings close on the same line.
fn balanced(v: &str) -> bool {
    let mut depth: i32 = 0;
    let mut in_str = false;
    let mut prev = ' ';
    for c in v.chars() {
        match c {
            '"' if prev != '\\' => in_str = !in_str,
            '{' | '[' | '(' if !in_str => depth += 1,
            '}' | ']' | ')' if !in_str => depth -= 1,
            _ => {}
        }
        prev = c;
    }
    depth == 0 && !in_str
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_attributes_share_one_column() {
        let text = "resource \"x\" \"y\" {\n  a = 1\n  longer_name = \"v\"\n  b = [1, 2]\n}\n";
        assert_eq!(
            align(text),
            "resource \"x\" \"y\" {\n  a           = 1\n  longer_name = \"v\"\n  b           = [1, 2]\n}\n"
        );
    }

    #[test]
    fn blank_lines_comments_blocks_and_open_values_end_a_run() {
        let text = "x {\n  a = 1\n\n  bbb = 2\n  # note\n  cc = 3\n  nested {\n    d = 4\n  }\n  e = 5\n  list = [\n    1,\n  ]\n  ffff = 6\n}\n";
        assert_eq!(
            align(text),
            "x {\n  a = 1\n\n  bbb = 2\n  # note\n  cc = 3\n  nested {\n    d = 4\n  }\n  e = 5\n  list = [\n    1,\n  ]\n  ffff = 6\n}\n"
        );
    }

    #[test]
    fn runs_are_per_indentation_and_ignore_equals_inside_strings_and_operators() {
        let text = "  a = \"x = y\"\n  bb = a == b\n    ccc = 1\n";
        assert_eq!(
            align(text),
            "  a  = \"x = y\"\n  bb = a == b\n    ccc = 1\n"
        );
    }

    #[test]
    fn quoted_keys_align_and_strings_are_escaped_for_terraform() {
        assert_eq!(
            align("  \"cost-center\" = 1\n  a = 2\n"),
            "  \"cost-center\" = 1\n  a             = 2\n"
        );
        assert_eq!(string("a\"b\\c${x}%{y}\n"), "\"a\\\"b\\\\c$${x}%%{y}\\n\"");
        assert_eq!(key("team"), "team");
        assert_eq!(key("cost center"), "\"cost center\"");
    }
}
