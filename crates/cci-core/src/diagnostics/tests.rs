use super::*;
use crate::codes::Code;

/// A site of one line and a warning on it whose help is `help`.
fn rendered_help(help: &str, style: Style) -> String {
    let mut sources = Sources::default();
    let file = sources.add(
        "site.cci",
        "allow tcp 8800 from 10.0.0.0/8 to services \"x\"\n",
    );
    let span = Span {
        file,
        start: 10,
        end: 14,
    };
    let mut diags = Diagnostics::default();
    diags.push(
        Diagnostic::new(Code::parse("W0427").unwrap(), span, "a port")
            .label("here")
            .help(help),
    );
    render(&diags, &sources, style)
}

/// Wrapped at spaces only: a port and its protocol, or a range, never split over two lines
/// (textwrap's Unicode rules break after `/` and at `-`).
#[test]
fn wrapping_keeps_ports_whole() {
    let help = "open ".to_string() + &"8800/tcp 64535-65535/tcp ".repeat(12);
    for style in [Style::Plain, Style::Fancy] {
        let shown = rendered_help(help.trim_end(), style);
        let help_lines: Vec<&str> = shown.lines().skip_while(|l| !l.contains("help:")).collect();
        assert!(help_lines.len() > 2, "wrapped:\n{shown}");
        assert_eq!(shown.matches("8800/tcp").count(), 12, "{shown}");
        assert_eq!(shown.matches("64535-65535/tcp").count(), 12, "{shown}");
        for l in help_lines {
            assert!(l.len() <= 120, "{l}");
            assert!(!l.ends_with('/') && !l.ends_with('-'), "split: {l:?}");
        }
    }
}
