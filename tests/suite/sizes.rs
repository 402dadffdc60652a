//! The size rules, kept by the test command: no production file over 500 lines (the lines
//! before a file's `#[cfg(test)]`, as the team's hooks count them), and no function over 80
//! (clippy's `too_many_lines`, set in clippy.toml and the workspace's lints, run with
//! `-D warnings` by scripts/test). A file over the limit is split by job, not by count.

/// The most production lines a file may have.
const MAX_LINES: usize = 500;

/// Files allowed over the limit, each with why.
const OVER_THE_LIMIT: &[(&str, &str)] = &[];

/// The lines before the file's first `#[cfg(test)]`.
fn production_lines(text: &str) -> usize {
    text.lines()
        .take_while(|l| !l.starts_with("#[cfg(test)]"))
        .count()
}

#[test]
fn no_production_file_is_over_500_lines() {
    let mut over = Vec::new();
    let mut read = 0;
    for dir in ["src", "crates", "benches", "fuzz/fuzz_targets"] {
        for (path, text) in crate::files_under(dir) {
            let shown = path
                .strip_prefix(crate::root())
                .unwrap()
                .display()
                .to_string();
            if !shown.ends_with(".rs") || shown.contains("/tests/") {
                continue;
            }
            read += 1;
            let lines = production_lines(&text);
            let allowed = OVER_THE_LIMIT.iter().any(|(f, _)| *f == shown);
            if lines > MAX_LINES && !allowed {
                over.push(format!("{shown}: {lines} lines"));
            }
        }
    }
    assert!(read > 80, "only {read} files read");
    assert!(
        over.is_empty(),
        "over {MAX_LINES} production lines (split by job):\n{}",
        over.join("\n")
    );
}

/// The allowance is for files that are over the limit: one that came back under it leaves
/// the list.
#[test]
fn every_file_allowed_over_the_limit_is_over_it() {
    for (file, why) in OVER_THE_LIMIT {
        let text = std::fs::read_to_string(crate::root().join(file)).unwrap();
        assert!(
            production_lines(&text) > MAX_LINES,
            "{file} is within the limit now: take it off the list ({why})"
        );
    }
}

/// The function rule is clippy's: the threshold in clippy.toml, the lint on for every crate.
#[test]
fn clippy_keeps_functions_within_80_lines() {
    let clippy = std::fs::read_to_string(crate::root().join("clippy.toml")).unwrap();
    assert!(clippy.contains("too-many-lines-threshold = 80"), "{clippy}");
    let manifest = std::fs::read_to_string(crate::root().join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains("[workspace.lints.clippy]\ntoo_many_lines = \"deny\""),
        "the workspace's lints"
    );
    for (path, text) in crate::files_under("crates") {
        if path.ends_with("Cargo.toml") {
            assert!(
                text.contains("[lints]\nworkspace = true"),
                "{} does not take the workspace's lints",
                path.display()
            );
        }
    }
    let scripts = std::fs::read_to_string(crate::root().join("scripts/test")).unwrap();
    assert!(scripts.contains("cargo clippy --locked --workspace --all-targets -- -D warnings"));
}
