//! The core's modules in layers, in the pipeline's order (ARCHITECTURE.md): a module uses
//! only modules of lower layers, through `use` or a `crate::`/`super::` path, so no import
//! circle and no edge against the order (resolve → check, names → emit) can come back. The
//! crates' own layering (the core depends on no tool, nothing depends on the CLI) is kept by
//! Cargo. And no `use` imports a module's items by glob (`use crate::model::*`), in any crate:
//! an enum's variants may be (`SyntaxKind::*`, a CamelCase path), and a test module its parent's.

use std::path::Path;

/// The core's modules, lowest first; a module sits in the layer of the longest path listed
/// that holds it (`parse::lexer` is a leaf of its own, which `secrets` reads tokens with).
/// `lib.rs` drives the pipeline and may use any of them.
const LAYERS: &[&[&str]] = &[
    // Leaves: spans, the code table, "did you mean", shapes of names, what a diagnostic may
    // show, the embedded stdlib's files, the TLS findings' type, the tokens.
    &[
        "span",
        "codes",
        "suggest",
        "shapes",
        "display",
        "stdlib",
        "tls",
        "parse::lexer",
    ],
    &["ast", "secrets", "world"],
    &["values", "diagnostics"],
    &["model"],
    &["parse", "names"],
    &["resolve"],
    &["network"],
    // The port matrix, computed once from the network: plan, ports.md, the network view, diff.
    &["matrix"],
    &["check"],
    &["graph"],
    &["emit"],
    // What reads the pipeline's results: the output stage, `plan`, `fmt`, `explain`.
    &["output", "plan", "format", "explain", "fix"],
    // What a change does: two built sites' plans, matrices and outputs compared.
    &["diff"],
];

#[test]
fn the_core_s_modules_use_only_modules_of_lower_layers() {
    let src = crate::root().join("crates/cci-core/src");
    let mut found = Vec::new();
    for (p, text) in crate::files_under("crates/cci-core/src") {
        let rel = p.strip_prefix(&src).unwrap();
        if rel.extension().is_some_and(|e| e == "rs") {
            found.extend(back_edges(rel, &text));
        }
    }
    assert!(
        found.is_empty(),
        "edges against the layers:\n{}",
        found.join("\n")
    );
}

#[test]
fn no_use_imports_a_module_s_items_by_glob() {
    let mut found = Vec::new();
    for (p, text) in crate::files_under("src")
        .into_iter()
        .chain(crate::files_under("crates"))
    {
        let shown = p.strip_prefix(crate::root()).unwrap().display().to_string();
        if p.extension().is_some_and(|e| e == "rs") && !shown.ends_with("/tests.rs") {
            found.extend(module_globs(&production(&text)).map(|g| format!("{shown}: {g}")));
        }
    }
    assert!(
        found.is_empty(),
        "glob imports of a module's items:\n{}",
        found.join("\n")
    );
}

/// The layer check on planted lines: each back-edge is found, in every spelling of a path.
#[test]
fn the_layer_check_finds_a_planted_back_edge() {
    let edges = |file: &str, text: &str| back_edges(Path::new(file), text);
    assert_eq!(
        edges("names.rs", "use crate::emit::hcl;\n"),
        ["names.rs: names (layer 4) uses emit (layer 10)"]
    );
    assert_eq!(
        edges(
            "resolve/site.rs",
            "use crate::{\n    model::Site,\n    check::{aws, x},\n};\n"
        )
        .len(),
        1
    );
    assert_eq!(
        edges("check/mod.rs", "    let w = crate::World::none();\n").len(),
        1
    );
    assert_eq!(
        edges("parse/lexer.rs", "use super::tree::Parser;\n").len(),
        1
    );
    assert_eq!(edges("model.rs", "use crate::brand_new::Thing;\n").len(), 1);
    assert_eq!(edges("brand_new.rs", "use crate::span::Span;\n").len(), 1);
    // What the layers allow, a comment, and a test module are no edge.
    let fine = "use crate::model::{Site, Stdlib};\nuse super::hcl;\n// crate::output\n\
                #[cfg(test)]\nmod tests {\n    use crate::output;\n}\n";
    assert!(edges("emit/terraform.rs", fine).is_empty());
    assert!(edges("parse/tree.rs", "use super::lexer::tokens;\n").is_empty());
}

/// The glob check on planted lines.
#[test]
fn the_glob_check_finds_a_planted_module_glob() {
    let globs = |text: &str| module_globs(text).collect::<Vec<_>>();
    assert_eq!(globs("use crate::model::*;\n"), ["crate::model::*"]);
    assert_eq!(globs("use super::*;\n").len(), 1);
    assert_eq!(globs("use crate::{ast::*, span::Span};\n").len(), 1);
    assert!(globs("use super::syntax::{SyntaxKind::*, SyntaxNode};\n").is_empty());
    assert!(globs("    use TlsProblem::*;\n").is_empty());
}

/// `file`'s uses of core modules of its own layer or above (`file` relative to the core's
/// `src/`).
fn back_edges(file: &Path, text: &str) -> Vec<String> {
    let here = module_path(file);
    if here.is_empty() {
        return Vec::new(); // lib.rs
    }
    let shown = file.display();
    let Some((from, layer)) = unit(&here) else {
        return vec![format!("{shown}: not in a layer (add it to LAYERS)")];
    };
    let mut found = Vec::new();
    for path in paths(&production(text), &here) {
        match unit(&path) {
            Some((to, _)) if to == from => {}
            Some((_, l)) if l < layer => {}
            Some((to, l)) => found.push(format!(
                "{shown}: {from} (layer {layer}) uses {to} (layer {l})"
            )),
            None => found.push(format!("{shown}: uses {}, not in a layer", path.join("::"))),
        }
    }
    found.sort();
    found.dedup();
    found
}

/// A file's module path: `parse/lexer.rs` is `parse::lexer`, `parse/mod.rs` `parse`, `lib.rs`
/// the root.
fn module_path(file: &Path) -> Vec<String> {
    let mut path: Vec<String> = file
        .with_extension("")
        .iter()
        .map(|s| s.to_string_lossy().into_owned())
        .collect();
    if matches!(path.last().map(String::as_str), Some("mod" | "lib")) {
        path.pop();
    }
    path
}

/// The listed module that holds `path`, and its layer.
fn unit(path: &[String]) -> Option<(&'static str, usize)> {
    let joined = path.join("::");
    LAYERS
        .iter()
        .enumerate()
        .flat_map(|(l, units)| units.iter().map(move |u| (*u, l)))
        .filter(|(u, _)| joined == *u || joined.starts_with(&format!("{u}::")))
        .max_by_key(|(u, _)| u.len())
}

/// The part of a file before its tests, without comment lines.
fn production(text: &str) -> String {
    let code = text.split("\n#[cfg(test)]").next().unwrap_or("");
    code.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module paths `code` names through `crate::` or `super::` (in `use` trees, braces
/// expanded, and in expressions), as paths from the crate's root. A `crate::World` re-export
/// is the root's, which no module may use.
fn paths(code: &str, here: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for path in use_leaves(code).into_iter().chain(inline_paths(code)) {
        let mut segments = path.split("::").map(str::trim);
        let resolved: Vec<String> = match segments.next() {
            Some("crate") => segments.map(String::from).collect(),
            Some("super") => here[..here.len() - 1]
                .iter()
                .cloned()
                .chain(segments.map(String::from))
                .collect(),
            _ => continue,
        };
        // Lower-case segments are modules; the first capitalized one is an item.
        let modules: Vec<String> = resolved
            .iter()
            .take_while(|s| s.starts_with(|c: char| c.is_ascii_lowercase()))
            .cloned()
            .collect();
        out.push(if modules.is_empty() {
            vec!["<root>".into()]
        } else {
            modules
        });
    }
    out
}

/// The leaves of every `use` tree in `code` (a line that starts a `use` item, up to its `;`):
/// `use a::{b, c::d};` is `a::b` and `a::c::d`.
fn use_leaves(code: &str) -> Vec<String> {
    let mut leaves = Vec::new();
    let mut lines = code.lines();
    while let Some(line) = lines.next() {
        let Some(start) = use_item(line) else {
            continue;
        };
        let mut tree = start.to_string();
        while !tree.contains(';') {
            let Some(next) = lines.next() else { break };
            tree.push_str(next);
        }
        expand("", tree.split(';').next().unwrap_or(""), &mut leaves);
    }
    leaves
}

/// What follows `use` on a line that starts a `use` item (`use`, `pub use`, `pub(crate) use`).
fn use_item(line: &str) -> Option<&str> {
    let line = line.trim_start();
    let line = match line.strip_prefix("pub") {
        Some(rest) if rest.starts_with('(') => rest.split_once(") ")?.1,
        Some(rest) => rest.trim_start(),
        None => line,
    };
    line.strip_prefix("use ")
}

/// The leaves of one use tree under `prefix`.
fn expand(prefix: &str, tree: &str, leaves: &mut Vec<String>) {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    match tree.find('{') {
        None => leaves.push(format!("{prefix}{tree}")),
        Some(open) => {
            let close = tree.rfind('}').filter(|c| *c > open).unwrap_or(tree.len());
            let inner = &tree[open + 1..close];
            let head = format!("{prefix}{}", &tree[..open]);
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand(&head, &inner[start..i], leaves);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            if start < inner.len() {
                expand(&head, &inner[start..], leaves);
            }
        }
    }
}

/// `crate::a::b` paths written in expressions (outside `use`).
fn inline_paths(code: &str) -> Vec<String> {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    code.lines()
        .filter(|l| use_item(l).is_none())
        .flat_map(|l| {
            l.match_indices("crate::").map(move |(i, _)| {
                let end = l[i..].find(|c| !ident(c)).map_or(l.len(), |e| i + e);
                l[i..end].trim_end_matches(':').to_string()
            })
        })
        .collect()
}

/// The globs of `code`'s `use` trees that import a module's items (`x::*` where `x` is not a
/// CamelCase enum).
fn module_globs(code: &str) -> impl Iterator<Item = String> {
    use_leaves(code).into_iter().filter(|leaf| {
        let Some(parent) = leaf.strip_suffix("::*") else {
            return false;
        };
        let last = parent.rsplit("::").next().unwrap_or(parent);
        !last.starts_with(|c: char| c.is_ascii_uppercase())
    })
}
