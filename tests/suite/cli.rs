//! The binary: exit codes (0 ok, 1 diagnostics, 2 usage or I/O), help, explain, graph.

use std::process::Command;

fn cli() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cci-dsl"))
}

#[test]
fn exit_codes() {
    let site = crate::root().join("examples/default.cci");
    assert_eq!(
        cli().arg("check").arg(&site).status().unwrap().code(),
        Some(0)
    );
    let bad = crate::root().join("tests/fixtures/resolve/unknown-block.cci");
    assert_eq!(
        cli().arg("check").arg(&bad).status().unwrap().code(),
        Some(1)
    );
    assert_eq!(
        cli()
            .arg("check")
            .arg("/nonexistent.cci")
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        cli().arg("frobnicate").output().unwrap().status.code(),
        Some(2)
    );
    assert_eq!(cli().output().unwrap().status.code(), Some(2));
}

#[test]
fn help_lists_every_command() {
    let o = cli().arg("--help").output().unwrap();
    assert!(o.status.success());
    let help = String::from_utf8(o.stdout).unwrap();
    for cmd in ["build", "check", "graph", "explain", "init"] {
        assert!(help.contains(cmd), "{cmd} missing from --help");
    }
    assert!(help.contains("Exit status"));
}

#[test]
fn explain_prints_the_long_form() {
    let o = cli().args(["explain", "E0405"]).output().unwrap();
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.starts_with("E0405: services machine too small"));
    assert_eq!(
        cli()
            .args(["explain", "E9999"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn json_diagnostics_are_one_object_per_line() {
    let bad = crate::root().join("tests/fixtures/check/nomad-too-small.cci");
    let o = cli()
        .args(["--message-format", "json", "check"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8(o.stderr).unwrap();
    let codes: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["code"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(codes, ["E0401", "E0402", "W0416"]);
}

#[test]
fn graph_formats() {
    let site = crate::root().join("examples/default.cci");
    for (format, marker) in [
        ("dot", "digraph"),
        ("mermaid", "flowchart LR"),
        ("json", "\"edges\""),
    ] {
        let o = cli()
            .args(["graph", "--format", format])
            .arg(&site)
            .output()
            .unwrap();
        assert!(o.status.success(), "{format}");
        assert!(
            String::from_utf8(o.stdout).unwrap().contains(marker),
            "{format}"
        );
    }
}

#[test]
fn init_writes_a_site_that_checks_and_refuses_to_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("site.cci");
    assert!(cli().arg("init").arg(&p).status().unwrap().success());
    assert_eq!(cli().arg("check").arg(&p).status().unwrap().code(), Some(0));
    assert_eq!(
        cli().arg("init").arg(&p).output().unwrap().status.code(),
        Some(2)
    );
}
