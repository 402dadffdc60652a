//! The grammar in `grammar/cci.lark` and the parser agree, checked with Lark (a real parser
//! generator): every example, stdlib file and fixture parses or fails in both, and so does
//! every mutation the robustness test makes of them and every layout `mangle` makes of them
//! (unindented, collapsed, spaced, on one line). The bounds a context-free grammar does not
//! state are the only disagreements allowed, and each is checked to be one: nesting deeper
//! than `parse::MAX_DEPTH` is refused (E0106), and so is a number beyond 64 bits (E0104).
//! Layout never decides: a mangled valid file compiles to the very bytes the file does.

use cci_core::codes::Code;
use std::collections::BTreeMap;
use std::process::Command;

/// The parser's verdict: `None` when the text is syntactically fine, else its syntax codes.
fn parser_verdict(text: &str) -> Option<Vec<Code>> {
    let (_, diags) = cci_core::parse::parse_file(text, cci_core::span::FileId(0));
    let codes: Vec<Code> = diags.iter().map(|d| d.code).collect();
    (!codes.is_empty()).then_some(codes)
}

/// Whether every syntax error of `text` is a bound a context-free grammar does not state:
/// nesting deeper than `MAX_DEPTH` (E0106), a number too large for 64 bits (E0104 "too large").
fn only_bounds(text: &str) -> bool {
    let (_, diags) = cci_core::parse::parse_file(text, cci_core::span::FileId(0));
    let bounded = diags.iter().all(|d| {
        d.code == Code::E0106 || (d.code == Code::E0104 && d.message.contains("too large"))
    });
    bounded
}

#[test]
fn the_lark_grammar_and_the_parser_accept_the_same_files() {
    let Some(env_sh) = crate::installed_tool("LARK_PYTHON", "Lark is") else {
        return;
    };
    let stdlib = cci_core::stdlib::embedded().into_iter().map(|(_, t)| t);
    let mut inputs: Vec<String> = crate::robustness::inputs()
        .into_iter()
        .flat_map(|(_, text)| {
            let mut v = crate::robustness::mutations(&text);
            v.extend(
                crate::mangle::WAYS
                    .iter()
                    .map(|w| crate::mangle::mangle(&text, w)),
            );
            v.push(text);
            v
        })
        .chain(stdlib)
        .collect();
    inputs.sort();
    inputs.dedup();
    let tmp = tempfile::tempdir().unwrap();
    let mut files = BTreeMap::new();
    for (i, text) in inputs.iter().enumerate() {
        let path = tmp.path().join(format!("{i:05}.cci"));
        std::fs::write(&path, text).unwrap();
        files.insert(path.display().to_string(), text);
    }
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(r#". "$1" && shift && exec "$LARK_PYTHON" "$@""#)
        .arg("lark")
        .arg(&env_sh)
        .arg(crate::root().join("tests/grammar/check.py"))
        .arg(crate::root().join("grammar/cci.lark"))
        .args(files.keys());
    let out = cmd.output().expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let (mut agreed, mut column0, mut disagreements) = (0, 0, Vec::new());
    for line in stdout.lines() {
        let (lark_ok, path) = match line.split_once(' ') {
            Some(("ok", p)) => (true, p),
            Some(("error", rest)) => (false, rest.split(": ").next().unwrap_or(rest)),
            _ => panic!("unexpected line from the grammar check: {line}"),
        };
        let text = files[path];
        let verdict = parser_verdict(text);
        match (lark_ok, &verdict) {
            (true, None) | (false, Some(_)) => agreed += 1,
            // The documented exceptions: only a bound stops the parser (the depth, a number
            // beyond 64 bits).
            (true, Some(_)) if only_bounds(text) => column0 += 1,
            _ => disagreements.push(format!("Lark {lark_ok}, parser {verdict:?}:\n{text}")),
        }
    }
    eprintln!(
        "grammar: {agreed} inputs agree, {column0} differ only by the depth bound, of {}",
        files.len()
    );
    assert_eq!(
        agreed + column0 + disagreements.len(),
        files.len(),
        "every file checked"
    );
    assert!(files.len() > 3000, "only {} inputs", files.len());
    assert!(
        disagreements.is_empty(),
        "{} disagreements, first:\n{}",
        disagreements.len(),
        disagreements[0]
    );
}

/// Every example and stdlib file, laid out each way `mangle` makes (comments dropped for the
/// one-line way), builds to the very same bytes: no output depends on the layout.
#[test]
fn every_layout_of_a_file_compiles_to_the_same_bytes() {
    let stdlib = cci_core::stdlib::embedded();
    for site in crate::examples() {
        let text = std::fs::read_to_string(&site).unwrap();
        let want = cci_core::build("site.cci", &text, &stdlib)
            .outputs
            .expect("builds");
        for way in crate::mangle::WAYS {
            let mangled = crate::mangle::mangle(&text, way);
            let got = cci_core::build("site.cci", &mangled, &stdlib);
            let got = got.outputs.unwrap_or_else(|| {
                panic!(
                    "{} laid out {way} does not build:\n{mangled}",
                    site.display()
                )
            });
            assert_eq!(got.files, want.files, "{} laid out {way}", site.display());
        }
    }
    // The stdlib too: each of its files mangled, the others as they are.
    let site = std::fs::read_to_string(crate::root().join("examples/externalized.cci")).unwrap();
    let want = cci_core::build("site.cci", &site, &stdlib)
        .outputs
        .expect("builds");
    for i in 0..stdlib.len() {
        for way in crate::mangle::WAYS {
            let mut lib = stdlib.clone();
            lib[i].1 = crate::mangle::mangle(&lib[i].1, way);
            let got = cci_core::build("site.cci", &site, &lib).outputs;
            assert_eq!(
                got.map(|o| o.files),
                Some(want.files.clone()),
                "{} laid out {way}",
                lib[i].0
            );
        }
    }
}

/// The syntax-error fixtures fail in both; the other fixtures, the examples and the stdlib
/// parse in both.
#[test]
fn syntax_error_fixtures_are_exactly_the_ones_the_parser_rejects() {
    for (path, text) in crate::robustness::inputs() {
        let is_syntax_fixture = path.contains("fixtures/parse/");
        assert_eq!(
            parser_verdict(&text).is_some(),
            is_syntax_fixture,
            "{path}: the parser's verdict"
        );
    }
}
