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

/// Standard output of a `--message-format json` run: every line a JSON object of version 1,
/// the summary last and only there; returned parsed.
fn parsed(o: &Output) -> Vec<serde_json::Value> {
    let stdout = text(&o.stdout);
    let records: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}\n{stdout}")))
        .collect();
    assert!(stdout.ends_with('\n'), "{stdout}");
    for r in &records {
        assert!(r.is_object(), "{r}");
        assert_eq!(r["version"], 1, "{r}");
    }
    let summaries = records.iter().filter(|r| r["type"] == "summary").count();
    assert_eq!(summaries, 1, "{stdout}");
    assert_eq!(records.last().unwrap()["type"], "summary", "{stdout}");
    records
}

fn of_type<'a>(records: &'a [serde_json::Value], t: &str) -> Vec<&'a serde_json::Value> {
    records.iter().filter(|r| r["type"] == t).collect()
}

/// `check --message-format json site | jq`: JSON on standard output and nothing else, nothing
/// on stderr; the place of each diagnostic as the human report says it; the exit status the
/// same.
#[test]
fn json_is_one_record_a_line_on_stdout() {
    let fixture = "tests/fixtures/parse/several-errors.cci";
    let o = run(&["check", "--message-format", "json", fixture]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(text(&o.stderr), "", "stderr");
    let records = parsed(&o);
    let diags = of_type(&records, "diagnostic");
    let codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["E0102", "E0104", "E0105"]);
    // The human report's `,-[...:13:13]`.
    let cidr = diags[1];
    assert_eq!(
        (
            &cidr["file"],
            &cidr["line"],
            &cidr["column"],
            &cidr["end_line"],
            &cidr["end_column"]
        ),
        (
            &fixture.into(),
            &13.into(),
            &13.into(),
            &13.into(),
            &25.into()
        )
    );
    assert_eq!(cidr["severity"], "error");
    assert_eq!(cidr["message"], "malformed CIDR `10.10.0.0/40`");
    assert_eq!(cidr["help"], "the prefix length is 0..32");
    let span = &cidr["spans"][0];
    assert_eq!(
        (&span["primary"], &span["label"]),
        (&true.into(), &"not a valid CIDR".into())
    );
    let source = std::fs::read_to_string(crate::root().join(fixture)).unwrap();
    let (a, b) = (
        span["byte_start"].as_u64().unwrap(),
        span["byte_end"].as_u64().unwrap(),
    );
    assert_eq!(&source[a as usize..b as usize], "10.10.0.0/40");
    let summary = records.last().unwrap();
    assert_eq!(
        (
            &summary["errors"],
            &summary["warnings"],
            &summary["success"]
        ),
        (&3.into(), &0.into(), &false.into())
    );
    // The same run in human form: the same exit status, the same places.
    let human = run(&["check", fixture]);
    assert_eq!(human.status.code(), Some(1));
    assert!(text(&human.stderr).contains(&format!("{fixture}:13:13]")));
}

/// A diagnostic's other places come as further spans, each with its label.
#[test]
fn json_carries_the_related_spans() {
    let fixture = "tests/fixtures/resolve/duplicate-attribute.cci";
    let o = run(&["check", "--message-format", "json", fixture]);
    let records = parsed(&o);
    let d = of_type(&records, "diagnostic")
        .into_iter()
        .find(|d| d["code"] == "E0203")
        .unwrap();
    let spans = d["spans"].as_array().unwrap();
    let shown: Vec<(bool, u64, u64, &str)> = spans
        .iter()
        .map(|s| {
            (
                s["primary"].as_bool().unwrap(),
                s["line"].as_u64().unwrap(),
                s["column"].as_u64().unwrap(),
                s["label"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            (true, 7, 3, "set again here"),
            (false, 6, 3, "first set here")
        ]
    );
    assert_eq!((&d["line"], &d["column"]), (&7.into(), &3.into()));
}

/// A site without a problem: the summary alone; `--deny warnings` fails in the summary too.
#[test]
fn json_ends_with_a_summary() {
    let o = run(&["check", "--message-format", "json", "examples/default.cci"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(text(&o.stderr), "");
    assert_eq!(
        text(&o.stdout),
        "{\"version\":1,\"type\":\"summary\",\"errors\":0,\"warnings\":0,\"success\":true}\n"
    );
    let o = run(&[
        "check",
        "--message-format",
        "json",
        "--deny",
        "warnings",
        "examples/evaluation.cci",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(text(&o.stderr), "");
    let records = parsed(&o);
    let s = records.last().unwrap();
    assert_eq!((&s["warnings"], &s["success"]), (&1.into(), &false.into()));
    // A file that cannot be read: a failure record, the summary, exit 2 (stderr says it).
    let o = run(&["check", "--message-format", "json", "/nonexistent.cci"]);
    assert_eq!(o.status.code(), Some(2));
    let records = parsed(&o);
    assert!(of_type(&records, "failure")[0]["message"]
        .as_str()
        .unwrap()
        .contains("/nonexistent.cci"));
    assert_eq!(records.last().unwrap()["success"], false);
}

/// `plan`, `diff` and `graph`: their JSON carries `version` and `type`; under
/// `--message-format json` the product is one `output` record among the others, so standard
/// output stays JSON lines whatever `--format` is.
#[test]
fn products_carry_the_version_and_are_records_in_json_mode() {
    let site = "examples/default.cci";
    for (args, kind) in [
        (vec!["plan", "--format", "json", site], "plan"),
        (
            vec!["diff", "--format", "json", site, "examples/evaluation.cci"],
            "diff",
        ),
        (vec!["graph", "--format", "json", site], "graph"),
        (
            vec!["graph", "--format", "json", "--view", "network", site],
            "graph",
        ),
    ] {
        let o = run(&args);
        assert!(o.status.success(), "{args:?}");
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(
            (&v["version"], &v["type"]),
            (&1.into(), &kind.into()),
            "{args:?}"
        );
        let mut machine = args.clone();
        machine.insert(1, "--message-format=json");
        let o = run(&machine);
        assert!(o.status.success(), "{machine:?}");
        let records = parsed(&o);
        let out = of_type(&records, "output");
        assert_eq!(out.len(), 1, "{machine:?}");
        assert_eq!(
            (&out[0]["command"], &out[0]["format"]),
            (&args[0].into(), &"json".into())
        );
        assert_eq!(out[0]["content"], v, "{machine:?}: the same JSON, embedded");
    }
    for args in [
        vec!["plan", "--message-format=json", site],
        vec![
            "graph",
            "--message-format=json",
            "--format",
            "mermaid",
            site,
        ],
    ] {
        let o = run(&args);
        let records = parsed(&o);
        let out = of_type(&records, "output");
        assert!(out[0]["content"].as_str().unwrap().len() > 100, "{args:?}");
    }
}

/// `fmt --check` and `build`: the diff of an unformatted file is a record; `build`'s human
/// lines ("3 changed, 18 unchanged") stay on stderr, standard output is JSON.
#[test]
fn fmt_and_build_keep_stdout_json() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site.cci");
    let text_of = std::fs::read_to_string(crate::root().join("examples/default.cci")).unwrap();
    std::fs::write(
        &site,
        text_of.replace("daily_active_users = 40", "daily_active_users=40"),
    )
    .unwrap();
    let path = site.to_str().unwrap();
    let o = run(&["fmt", "--check", "--message-format", "json", path]);
    assert_eq!(o.status.code(), Some(1));
    let records = parsed(&o);
    let out = of_type(&records, "output");
    assert_eq!(
        (&out[0]["command"], &out[0]["format"]),
        (&"fmt".into(), &"diff".into())
    );
    assert!(out[0]["content"]
        .as_str()
        .unwrap()
        .contains("+  daily_active_users"));
    let dir = tmp.path().join("out");
    let o = run(&[
        "build",
        "--message-format",
        "json",
        path,
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(parsed(&o).len(), 1, "the summary only");
    assert!(text(&o.stderr).contains("changed"), "{}", text(&o.stderr));
}

/// The example block after `heading` in `explain`'s output, unindented.
fn example_block(shown: &str, heading: &str, end: &str) -> Option<String> {
    let start = shown.find(heading)?;
    let rest = &shown[start..];
    let rest = &rest[rest.find(":\n\n")? + 3..];
    let block = &rest[..rest.find(end)?];
    Some(
        block
            .lines()
            .map(|l| l.strip_prefix("    ").unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// `explain CODE` shows the lines of a site that produce the code, and the same lines fixed:
/// put into the base site every fixture starts from, the wrong lines produce the code; the
/// fixed lines are the base's, which produces nothing.
#[test]
fn explain_shows_a_wrong_and_a_fixed_example() {
    let base = std::fs::read_to_string(crate::root().join("tests/fixtures/base.site")).unwrap();
    let lib = cci_core::stdlib::embedded();
    let clean = cci_core::build("site.cci", &base, &lib);
    assert!(
        clean.compilation.diagnostics.is_empty(),
        "the base is clean"
    );
    let list = text(&run(&["explain"]).stdout);
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for code in list.lines().filter_map(|l| l.split_whitespace().next()) {
        let shown = text(&run(&["explain", code]).stdout);
        let Some(wrong) = example_block(&shown, "\nWrong (from ", "\n\nFixed:") else {
            without.push(code.to_string());
            continue;
        };
        let fixed = example_block(&shown, "\nFixed:", "\n\nThe language").unwrap();
        assert_eq!(
            base.matches(&fixed).count(),
            1,
            "{code}: the fixed lines are the base's:\n{shown}"
        );
        let site = base.replacen(&fixed, &wrong, 1);
        let b = cci_core::build("site.cci", &site, &lib);
        assert!(
            b.compilation
                .diagnostics
                .iter()
                .any(|d| d.code.as_str() == code),
            "{code}: the wrong example does not produce it:\n{site}"
        );
        with.push(code.to_string());
    }
    // Those without: only an edited stdlib, a certificate, a generated site or a fixture that
    // changes the base in several places reaches them.
    assert!(
        with.len() >= 58,
        "{} examples; none for {without:?}",
        with.len()
    );
}
