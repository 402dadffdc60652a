//! How the binary reports diagnostics: the rustc-style headline, the ASCII frames of
//! `--color never`, wrapping, `--message-format json` (docs/message-format.md), `explain`'s
//! examples.

use std::process::{Command, Output};

fn cli() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cci-dsl"))
}

fn run(args: &[&str]) -> Output {
    cli()
        .current_dir(crate::root())
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// `--color never`, and any run whose stderr is not a terminal: frames drawn in ASCII, no
/// colour, so a CI log or an old terminal shows them as they are.
#[test]
fn color_never_draws_in_ascii() {
    let fixture = "tests/fixtures/check/users-open.cci";
    for args in [
        &["check", "--color", "never", fixture][..],
        &["check", fixture][..],
    ] {
        let o = run(args);
        let shown = text(&o.stderr);
        assert!(
            shown.contains("0.0.0.0/0: every address"),
            "a label:\n{shown}"
        );
        assert!(
            shown.contains(",-[tests/fixtures/check/users-open.cci:12:3]"),
            "{shown}"
        );
        let not_ascii: Vec<char> = shown.chars().filter(|c| !c.is_ascii()).collect();
        assert!(not_ascii.is_empty(), "{args:?}: {not_ascii:?} in\n{shown}");
        assert!(!shown.contains('\u{1b}'), "no colour");
    }
    // `--color always` keeps the Unicode frames and the colours.
    let o = run(&["check", "--color", "always", fixture]);
    let shown = text(&o.stderr);
    assert!(shown.contains('╭') && shown.contains('\u{1b}'), "{shown}");
}
