//! `cci-dsl fmt`: one layout, idempotent, comments kept, and never a change in what a file
//! compiles to — on every example, stdlib file, fixture, generated site and whitespace-mangled
//! copies of them. Through the binary: `--check` for CI, and the examples and `init` are
//! formatted already.

use cci_core::format::format;
use std::process::Command;

/// A seeded stream of numbers (the failing seed is in the message).
struct Seeded(u64);

impl Seeded {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

impl crate::site_gen::Choose for Seeded {
    fn below(&mut self, n: usize) -> usize {
        Seeded::below(self, n as u64) as usize
    }
}

/// The same file with its whitespace disturbed where the layout does not keep it:
/// indentation (but not whether a line is indented), spaces around an attribute's `=`,
/// trailing spaces, runs of blank lines (a
/// blank line is kept as one: where a person put one is theirs).
fn mangle(text: &str, r: &mut Seeded) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let body = line.trim_start();
        if body.is_empty() {
            out += &"\n".repeat(1 + r.below(3) as usize);
            continue;
        }
        // Column 0 is where the parser resumes after an error (a new top-level item), so an
        // indented line stays indented, by 1 to 6 spaces.
        if body.len() < line.len() {
            out += &" ".repeat(1 + r.below(6) as usize);
        }
        match body.split_once('=') {
            Some((key, rest))
                if !key.contains(['"', '#', '{', '['])
                    && !rest.starts_with('=')
                    && !key.trim().is_empty() =>
            {
                out += key.trim_end();
                out += &" ".repeat(r.below(3) as usize);
                out += "=";
                out += &" ".repeat(r.below(3) as usize);
                out += rest.trim_start();
            }
            _ => out += body,
        }
        out += &" ".repeat(r.below(2) as usize);
        out += "\n";
    }
    out
}

/// What a text compiles to, with line numbers taken out (rule descriptions name the site
/// file's line, which blank lines move): the outputs, or the diagnostics' codes and messages.
fn compiled(text: &str) -> Vec<String> {
    let b = cci_core::build("site.cci", text, &cci_core::stdlib::embedded());
    let unline = |s: &str| {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find(".cci:") {
            out += &rest[..i + 5];
            rest = rest[i + 5..].trim_start_matches(|c: char| c.is_ascii_digit());
        }
        out + rest
    };
    match b.outputs {
        Some(o) => o
            .files
            .iter()
            .map(|(p, t)| format!("{p}\n{}", unline(t)))
            .collect(),
        None => b
            .compilation
            .diagnostics
            .iter()
            .map(|d| format!("{} {}", d.code.as_str(), unline(&d.message)))
            .collect(),
    }
}

fn comments(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.find('#').map(|i| l[i..].trim_end().to_string()))
        .collect()
}

/// Site files that parse: the examples, fixtures past the parser, generated sites.
fn corpus() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = crate::examples()
        .into_iter()
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    for dir in [
        "tests/fixtures/resolve",
        "tests/fixtures/types",
        "tests/fixtures/check",
    ] {
        for (p, t) in crate::files_under(dir) {
            if p.extension().is_some_and(|e| e == "cci") {
                files.push((p.display().to_string(), t));
            }
        }
    }
    for seed in 0..40 {
        files.push((
            format!("generated seed {seed}"),
            crate::site_gen::site(&mut Seeded(seed)),
        ));
    }
    files
}

#[test]
fn formatting_keeps_meaning_and_comments_and_is_idempotent() {
    for (name, text) in corpus() {
        let once = format(&text);
        assert_eq!(format(&once), once, "{name}: not idempotent");
        assert_eq!(comments(&once), comments(&text), "{name}: comments changed");
        assert_eq!(
            compiled(&once),
            compiled(&text),
            "{name}: formatting changed its meaning"
        );
        for seed in 0..3 {
            let mangled = mangle(&text, &mut Seeded(seed));
            assert_eq!(
                format(&mangled),
                once,
                "{name}, seed {seed}: not one layout"
            );
        }
    }
}

#[test]
fn the_stdlib_means_the_same_formatted() {
    let lib = cci_core::stdlib::embedded();
    let formatted: Vec<(String, String)> =
        lib.iter().map(|(n, t)| (n.clone(), format(t))).collect();
    let site = std::fs::read_to_string(crate::root().join("examples/externalized.cci")).unwrap();
    let a = cci_core::build("site.cci", &site, &lib)
        .outputs
        .expect("builds");
    let b = cci_core::build("site.cci", &site, &formatted)
        .outputs
        .expect("builds formatted");
    for (path, text) in &a.files {
        // The stdlib's own line numbers are not in the outputs; the site is the same file.
        assert_eq!(Some(text), b.files.get(path), "{path}");
    }
}

fn cli() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cci-dsl"))
}

#[test]
fn the_examples_and_init_are_formatted() {
    let mut cmd = cli();
    cmd.args(["fmt", "--check"]);
    cmd.args(crate::examples());
    let o = cmd.output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site.cci");
    assert!(cli().arg("init").arg(&site).status().unwrap().success());
    assert_eq!(
        cli()
            .args(["fmt", "--check"])
            .arg(&site)
            .status()
            .unwrap()
            .code(),
        Some(0)
    );
}

#[test]
fn check_prints_a_diff_and_fmt_rewrites() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site.cci");
    let text = std::fs::read_to_string(crate::root().join("examples/default.cci")).unwrap();
    let messy = mangle(&text, &mut Seeded(7));
    std::fs::write(&site, &messy).unwrap();
    let o = cli().args(["fmt", "--check"]).arg(&site).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let diff = String::from_utf8(o.stdout).unwrap();
    assert!(
        diff.contains("@@") && diff.contains("(formatted)"),
        "{diff}"
    );
    assert_eq!(
        std::fs::read_to_string(&site).unwrap(),
        messy,
        "--check changes nothing"
    );
    assert!(cli().arg("fmt").arg(&site).status().unwrap().success());
    assert_eq!(std::fs::read_to_string(&site).unwrap(), text);
    // A file with a syntax error is reported and left as it is.
    std::fs::write(&site, "site \"a\" {\n  aws {\n").unwrap();
    let o = cli().arg("fmt").arg(&site).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("E0103"));
    assert_eq!(
        std::fs::read_to_string(&site).unwrap(),
        "site \"a\" {\n  aws {\n"
    );
}

/// Issue 17: `fmt` prints the one layout from the tree, so any layout the parser accepts of an
/// example (unindented, collapsed, spaced) formats to the example itself; a file put on one
/// line (comments dropped) formats to what the example without its comments formats to.
#[test]
fn fmt_of_any_layout_of_an_example_is_the_example() {
    for site in crate::examples() {
        let text = std::fs::read_to_string(&site).unwrap();
        assert_eq!(format(&text), text, "{} is not formatted", site.display());
        for way in ["unindented", "collapsed", "spaced"] {
            let mangled = crate::mangle::mangle(&text, way);
            assert_eq!(format(&mangled), text, "{} laid out {way}", site.display());
        }
        let uncommented = crate::mangle::mangle(&text, "uncommented");
        let one_line = crate::mangle::mangle(&text, "one-line");
        assert_eq!(
            format(&one_line),
            format(&uncommented),
            "{} on one line",
            site.display()
        );
    }
}
