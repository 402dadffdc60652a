//! The build never panics: every fixture and example, and every truncation and every
//! one-line deletion of them, goes through the whole pipeline inside `catch_unwind`.

use std::panic::{catch_unwind, AssertUnwindSafe};

pub fn inputs() -> Vec<(String, String)> {
    let mut v = Vec::new();
    let mut dirs = vec![
        crate::root().join("tests/fixtures"),
        crate::root().join("tests/grammar"),
        crate::root().join("tests/fuzz-regressions"),
        crate::root().join("examples"),
    ];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "cci") {
                v.push((
                    p.display().to_string(),
                    std::fs::read_to_string(&p).unwrap(),
                ));
            }
        }
    }
    v.sort();
    v
}

/// Char-boundary truncations (every 9th byte) and single-line deletions.
pub fn mutations(text: &str) -> Vec<String> {
    let mut v: Vec<String> = (0..text.len())
        .step_by(9)
        .filter(|i| text.is_char_boundary(*i))
        .map(|i| text[..i].to_string())
        .collect();
    let lines: Vec<&str> = text.lines().collect();
    for skip in 0..lines.len() {
        let kept: Vec<&str> = lines
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != skip)
            .map(|(_, l)| *l)
            .collect();
        v.push(kept.join("\n"));
    }
    // Stray characters where parsers like to trip.
    for junk in ["{", "}", "\"", "[", "..", "/", "-", "=", "\u{00e9}"] {
        let mid = text.len() / 2;
        let mid = (mid..text.len())
            .find(|i| text.is_char_boundary(*i))
            .unwrap_or(0);
        v.push(format!("{}{junk}{}", &text[..mid], &text[mid..]));
    }
    v
}

/// Every input and its mutations, in four shards (one test each, so the harness spreads
/// them over the cores; the whole took 5 minutes of one core in a debug build).
const SHARDS: usize = 4;

fn never_panics(shard: usize) {
    let lib = cci_core::stdlib::embedded();
    let (mut cases, mut total) = (0, 0);
    for (name, text) in inputs() {
        for input in std::iter::once(text.clone()).chain(mutations(&text)) {
            total += 1;
            if total % SHARDS != shard {
                continue;
            }
            cases += 1;
            let r = catch_unwind(AssertUnwindSafe(|| {
                let b = cci_core::build(&name, &input, &lib);
                let diags = &b.compilation.diagnostics;
                // Rendering must not panic either, whatever the spans, and shows every code.
                let human = crate::rendered(&b.compilation);
                let json = cci_core::diagnostics::render_json(diags, &b.compilation.sources);
                assert_eq!(
                    json.lines().count(),
                    diags.iter().count(),
                    "one JSON line each"
                );
                assert!(diags.iter().all(|d| human.contains(d.code.as_str())));
                // Every error comes with a way out.
                let helped = diags.iter().all(|d| d.help.is_some());
                helped
            }));
            match r {
                Ok(all_helped) => assert!(
                    all_helped,
                    "{name}: a diagnostic without help on input:\n{input}"
                ),
                Err(_) => panic!("{name}: the build panicked on input:\n{input}"),
            }
        }
    }
    eprintln!("robustness: {cases} inputs of {total} (shard {shard}) built without a panic");
    assert!(total > 2000, "only {total} cases");
    assert!(cases >= total / SHARDS, "shard {shard}: {cases} of {total}");
}

#[test]
fn the_build_never_panics_on_bad_input_0() {
    never_panics(0);
}

#[test]
fn the_build_never_panics_on_bad_input_1() {
    never_panics(1);
}

#[test]
fn the_build_never_panics_on_bad_input_2() {
    never_panics(2);
}

#[test]
fn the_build_never_panics_on_bad_input_3() {
    never_panics(3);
}

/// Nesting is bounded (E0106) before it can exhaust the stack: this test runs on a test
/// thread's small stack, in a debug build, with inputs a hundred thousand levels deep.
#[test]
fn deep_nesting_is_refused_without_a_crash() {
    let lib = cci_core::stdlib::embedded();
    let depth = 100_000;
    for (first, open, close) in [
        ("", "a b {\n ", "}"),
        ("x = ", "[", "]"),
        ("x = ", "f(", ")"),
    ] {
        let text = format!(
            "use circleci/2.16\nsite \"s\" {{\n {first}{}{}\n}}\n",
            open.repeat(depth),
            close.repeat(depth)
        );
        let b = cci_core::build("deep.cci", &text, &lib);
        let codes: Vec<&str> = b
            .compilation
            .diagnostics
            .iter()
            .map(|d| d.code.as_str())
            .collect();
        assert!(codes.contains(&"E0106"), "{open}: {codes:?}");
    }
}

/// Large inputs of every shape finish: thousands of rules, blocks, list items, lines of noise.
#[test]
fn large_inputs_build_or_fail_cleanly() {
    let lib = cci_core::stdlib::embedded();
    let site = std::fs::read_to_string(crate::root().join("examples/default.cci")).unwrap();
    let rules: String = (0..5000)
        .map(|i| {
            format!(
                "allow tcp {} from 10.20.0.0/16 to nomad \"exporter {i}\"\n",
                10000 + i
            )
        })
        .collect();
    let list: String = (0..20000)
        .map(|i| format!("10.{}.{}.0/24, ", i / 256 % 256, i % 256))
        .collect();
    let noise = "}{][)(\"=..,#\n".repeat(20000);
    for text in [
        format!("{site}{rules}"),
        format!("{site}actors {{ many = [{list}] }}\n"),
        format!("{site}{noise}"),
        "fleet a { }\n".repeat(20000),
    ] {
        let b = cci_core::build("large.cci", &text, &lib);
        let _ = crate::rendered(&b.compilation);
        assert!(b.outputs.is_some() || b.compilation.has_errors());
    }
}

/// A mistake about a whole block (a required attribute missing) is framed at the block's
/// head, not by printing the block: a block of thousands of lines would otherwise be printed
/// once per mistake. A short block keeps its multi-line frame.
#[test]
fn a_long_block_is_framed_by_its_head() {
    let lib = cci_core::stdlib::embedded();
    let site = std::fs::read_to_string(crate::root().join("examples/default.cci")).unwrap();
    let filler: String = (0..2000).map(|i| format!("  # line {i}\n")).collect();
    let text = format!("{site}fleet z {{\n{filler}  disk = 100 GiB\n}}\n");
    let b = cci_core::build("long.cci", &text, &lib);
    let out = crate::rendered(&b.compilation);
    assert!(out.contains("fleet `z` has no `instance`"), "{out}");
    assert!(out.lines().count() < 80, "{} lines", out.lines().count());
    assert!(!out.contains("line 1999"), "{out}");

    let short = format!("{site}fleet z {{\n  disk = 100 GiB\n}}\n");
    let b = cci_core::build("short.cci", &short, &lib);
    let out = crate::rendered(&b.compilation);
    assert!(
        out.contains("disk = 100 GiB"),
        "a short block is shown whole: {out}"
    );
}
