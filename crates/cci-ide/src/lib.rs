//! What an editor asks of a site file, answered from the compiler alone (the language server,
//! [`server`], speaks the protocol): diagnostics with LSP positions, hover texts, where a name
//! is defined, completions. Positions are LSP's: zero-based lines and UTF-16 columns.
//!
//! Issue 17 replaces these answers and the server's request handling (a lossless syntax tree
//! shared with the parser and the formatter); until then they are kept as they were.

pub mod lsp_frame;
pub mod server;

use cci_core::codes::Code;
use cci_core::model::Stdlib;
use serde_json::{json, Value};

/// LSP's position of a byte offset in `text`.
pub fn position(text: &str, offset: usize) -> Value {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let character: usize = before[line_start..].chars().map(char::len_utf16).sum();
    json!({ "line": line, "character": character })
}

/// The byte offset of an LSP position (clamped to the text).
pub fn offset(text: &str, line: usize, character: usize) -> usize {
    let mut start = 0;
    for _ in 0..line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let mut units = 0;
    for (i, c) in text[start..].char_indices() {
        if units >= character || c == '\n' {
            return start + i;
        }
        units += c.len_utf16();
    }
    text.len()
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The site file's diagnostics as LSP `Diagnostic`s, from the same JSON the CLI prints (so the
/// same masking of secret-looking values), with `explain`'s title as the code's description.
pub fn diagnostics(json_lines: &str, site_name: &str, text: &str) -> Vec<Value> {
    json_lines
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|d| d["file"] == site_name)
        .map(|d| {
            let (start, end) = (
                d["start"].as_u64().unwrap_or(0) as usize,
                d["end"].as_u64().unwrap_or(0) as usize,
            );
            let mut message = d["message"].as_str().unwrap_or_default().to_string();
            if let Some(help) = d["help"].as_str() {
                message += &format!("\nhelp: {help}");
            }
            json!({
                "range": { "start": position(text, start), "end": position(text, end.max(start)) },
                "severity": if d["severity"] == "error" { 1 } else { 2 },
                "code": d["code"],
                "source": "cci-dsl",
                "message": message,
            })
        })
        .collect()
}

/// The word under a byte offset: letters, digits, `_`, `-`, `.`, `+` (instance types, codes,
/// names).
pub fn word_at(text: &str, at: usize) -> &str {
    let is_word = |c: char| c.is_ascii_alphanumeric() || "_-.+".contains(c);
    let at = floor_char_boundary(text, at.min(text.len()));
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
    &text[start..end]
}

/// What hovering a word shows: a diagnostic code's explanation, an instance type's size, a
/// stdlib actor's or external service's description.
pub fn hover(word: &str, lib: &Stdlib) -> Option<String> {
    if let Some(code) = Code::parse(word) {
        return Some(format!(
            "**{}**: {}\n\n{}",
            code.as_str(),
            code.title(),
            cci_core::explain::explanation(code, lib)
        ));
    }
    if let Some(t) = lib.instance_types.get(word) {
        return Some(format!(
            "**{}**: {} vCPU, {} GiB, network {}",
            t.name,
            t.vcpu,
            t.memory_bytes >> 30,
            t.network
        ));
    }
    if let Some(a) = lib.actors.get(word) {
        return Some(format!("**actor {}**: {}", a.name, a.description));
    }
    lib.externals.get(word).map(|x| {
        format!(
            "**{}**: {} (port {}), externalizable (guide ch. 2)",
            x.name, x.description, x.default_port
        )
    })
}

/// Where a name is defined in the site file: `fleet NAME`, `external NAME`, or its binding in
/// `actors`. A byte range.
pub fn definition(text: &str, word: &str) -> Option<(usize, usize)> {
    if word.is_empty() {
        return None;
    }
    for kind in ["fleet", "external"] {
        for (i, _) in text.match_indices(kind) {
            let rest = &text[i + kind.len()..];
            let trimmed = rest.trim_start();
            let at = i + kind.len() + (rest.len() - trimmed.len());
            let line_start = text[..i].rfind('\n').map_or(0, |n| n + 1);
            if text[line_start..i].trim().is_empty()
                && trimmed.starts_with(word)
                && trimmed[word.len()..].starts_with([' ', '{'])
            {
                return Some((at, at + word.len()));
            }
        }
    }
    // An actor bound in `actors { NAME = [...] }`.
    let block = text.find("actors")?;
    let body = &text[block..];
    let end = body.find('}').unwrap_or(body.len());
    body[..end]
        .lines()
        .scan(block, |pos, line| {
            let here = *pos;
            *pos += line.len() + 1;
            Some((here, line))
        })
        .find_map(|(at, line)| {
            let t = line.trim_start();
            let indent = line.len() - t.len();
            (t.starts_with(word) && t[word.len()..].trim_start().starts_with('='))
                .then_some((at + indent, at + indent + word.len()))
        })
}

/// The block kind whose body holds a byte offset (`site`, `aws`, `fleet`, ...), or `None` at
/// the top level.
pub fn enclosing_block(text: &str, at: usize) -> Option<&str> {
    let mut stack: Vec<&str> = Vec::new();
    let mut in_string = false;
    let mut line_start = 0;
    for (i, c) in text[..floor_char_boundary(text, at.min(text.len()))].char_indices() {
        match c {
            '"' => in_string = !in_string,
            '\n' => {
                line_start = i + 1;
                in_string = false;
            }
            '{' if !in_string => {
                let head = text[line_start..i].trim();
                let kind = head.split_whitespace().next().unwrap_or("");
                stack.push(kind);
            }
            '}' if !in_string => {
                stack.pop();
            }
            _ => {}
        }
    }
    stack.last().copied()
}

/// Completions at a byte offset: after `instance =`, the catalog's types; inside a block, its
/// attributes and nested blocks; at the top level, the block kinds and `allow`.
pub fn completions(text: &str, at: usize, lib: &Stdlib) -> Vec<Value> {
    let at = floor_char_boundary(text, at.min(text.len()));
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..at];
    let item = |label: &str, kind: u8, detail: String| json!({ "label": label, "kind": kind, "detail": detail });
    if line.trim_start().starts_with("instance") && line.contains('=') {
        return lib
            .instance_types
            .values()
            .map(|t| {
                item(
                    &format!("\"{}\"", t.name),
                    12,
                    format!("{} vCPU, {} GiB", t.vcpu, t.memory_bytes >> 30),
                )
            })
            .collect();
    }
    let attributes = cci_core::resolve::block_attributes();
    match enclosing_block(text, at) {
        None => [
            "site", "actors", "services", "fleet", "external", "allow", "use",
        ]
        .iter()
        .map(|k| item(k, 14, "block kind".into()))
        .collect(),
        Some(kind) => {
            let mut items: Vec<Value> = attributes
                .iter()
                .filter(|(k, _)| *k == kind)
                .flat_map(|(_, names)| {
                    names
                        .iter()
                        .map(|n| item(n, 10, format!("attribute of `{kind}`")))
                })
                .collect();
            let nested: &[&str] = match kind {
                "site" => &["aws", "tags", "dns", "proxy", "tls"],
                "services" => &["backup"],
                _ => &[],
            };
            items.extend(
                nested
                    .iter()
                    .map(|n| item(n, 14, format!("block in `{kind}`"))),
            );
            if kind == "actors" {
                items.extend(
                    lib.actors
                        .values()
                        .map(|a| item(&a.name, 6, a.description.clone())),
                );
            }
            items
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_and_round_trip() {
        let text = "a = \"é😀\"\nb = 1\n";
        assert_eq!(position(text, 0), json!({"line": 0, "character": 0}));
        let b = text.find('b').unwrap();
        assert_eq!(position(text, b), json!({"line": 1, "character": 0}));
        let after = text.find('😀').unwrap() + '😀'.len_utf8();
        assert_eq!(position(text, after), json!({"line": 0, "character": 8}));
        assert_eq!(offset(text, 0, 8), after);
        assert_eq!(offset(text, 1, 0), b);
        assert_eq!(offset(text, 9, 9), text.len());
    }

    #[test]
    fn words_blocks_and_definitions() {
        let text = "fleet nomad {\n  instance = \"m4.2xlarge\"\n}\nactors {\n  users = [10.0.0.0/8]\n}\nallow tcp 9 from users to nomad \"x\"\n";
        let at = text.find("2xlarge").unwrap();
        assert_eq!(word_at(text, at), "m4.2xlarge");
        assert_eq!(enclosing_block(text, at), Some("fleet"));
        assert_eq!(enclosing_block(text, text.len()), None);
        let (a, b) = definition(text, "nomad").unwrap();
        assert_eq!(&text[a..b], "nomad");
        assert_eq!(a, 6);
        let (a, b) = definition(text, "users").unwrap();
        assert_eq!(&text[a..b], "users");
        assert!(a > text.find("actors").unwrap());
        assert_eq!(definition(text, "nobody"), None);
    }
}
