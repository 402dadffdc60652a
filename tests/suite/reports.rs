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

/// The ports a warning lists stay whole (`7171/tcp`, not `7171/` and `tcp` on two lines).
#[test]
fn wrapping_keeps_ports_whole() {
    let o = run(&["check", "tests/fixtures/check/users-open.cci"]);
    let shown = text(&o.stderr);
    for port in [
        "80/tcp",
        "443/tcp",
        "4434/tcp",
        "64535-65535/tcp",
        "7171/tcp",
        "8081/tcp",
    ] {
        assert!(shown.contains(port), "{port} split:\n{shown}");
    }
    assert!(!shown.lines().any(|l| l.ends_with('/')), "{shown}");
}

/// Each diagnostic opens with rustc's headline, `error[CODE]: message` or
/// `warning[CODE]: message`, on one line: what a CI log is grepped for.
#[test]
fn each_diagnostic_opens_with_a_rustc_headline() {
    let o = run(&["check", "tests/fixtures/check/users-open.cci"]);
    let shown = text(&o.stderr);
    assert!(
        shown.starts_with(
            "warning[W0427]: binding `users` to 0.0.0.0/0 opens to the internet: 80/tcp \
             (HTTP/HTTPS Traffic), 443/tcp (HTTP/HTTPS Traffic), 4434/tcp (HTTP/HTTPS Traffic), \
             64535-65535/tcp (SSH into builds), 7171/tcp (Artifacts access), 8081/tcp \
             (Artifacts access)\n"
        ),
        "{shown}"
    );
    assert!(shown.contains("\nwarning[W0440]: the services box's public address changes"));
    let o = run(&["check", "tests/fixtures/parse/several-errors.cci"]);
    let shown = text(&o.stderr);
    let headlines: Vec<&str> = shown
        .lines()
        .filter(|l| l.starts_with("error[") || l.starts_with("warning["))
        .collect();
    assert_eq!(
        headlines,
        [
            "error[E0102]: unterminated string",
            "error[E0104]: malformed CIDR `10.10.0.0/40`",
            "error[E0105]: unknown protocol `tcpx`"
        ],
        "{shown}"
    );
    // The code is not said a second time, alone on a line, as miette's header does.
    assert!(!shown.lines().any(|l| l.trim() == "E0102"), "{shown}");
    // In colour: the same words, the headline bold.
    let o = run(&[
        "check",
        "--color",
        "always",
        "tests/fixtures/parse/several-errors.cci",
    ]);
    let shown = text(&o.stderr);
    assert!(
        shown.contains("error[E0102]") && shown.contains('\u{1b}'),
        "{shown}"
    );
}
