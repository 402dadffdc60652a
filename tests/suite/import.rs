//! `cci-dsl import`: enterprise-setup's terraform.tfvars into a site that checks, secrets never
//! copied or echoed, every variable accounted for, and the CLI's exit codes and `-o` rules.
//! Fixtures in tests/fixtures/import/: the real template of the guide's release
//! (enterprise-setup@8e36728) and a filled-in copy with fake secrets.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn cli() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cci-dsl"))
}

fn fixture(name: &str) -> PathBuf {
    crate::root().join("tests/fixtures/import").join(name)
}

const FIXTURES: &[&str] = &["template-8e36728.tfvars", "filled-in.tfvars"];

/// The fake secrets of filled-in.tfvars, and the value of its unknown (fork) variable.
const SECRETS: &[&str] = &[
    "hunter2-passphrase",
    "hunter2",
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "0123456789abcdef0123456789abcdef",
];

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

fn import_to(tfvars: &Path, out: &Path) -> Output {
    cli()
        .arg("import")
        .arg(tfvars)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap()
}

/// The variables a tfvars file sets (`name = ...` at the start of a line).
fn variables(tfvars: &str) -> Vec<String> {
    tfvars
        .lines()
        .map(str::trim_start)
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, _)| k.trim().to_string())
        .filter(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .collect()
}

/// The error codes a command's diagnostics name, each once.
fn error_codes(stderr: &[u8]) -> Vec<String> {
    let t = text(stderr);
    let mut found: Vec<String> = t
        .match_indices("E0")
        .map(|(i, _)| t[i..].chars().take(5).collect::<String>())
        .filter(|c| c.len() == 5 && c[1..].chars().all(|d| d.is_ascii_digit()))
        .collect();
    found.sort();
    found.dedup();
    found
}

/// The site with every `# TODO(cci-dsl)` decided as written: the comments deleted.
pub(crate) fn decided(site: &str) -> String {
    site.lines()
        .filter_map(|l| match l.find("# TODO(cci-dsl)") {
            Some(at) if l[..at].trim().is_empty() => None,
            Some(at) => Some(l[..at].trim_end()),
            None => Some(l),
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

/// An imported site is refused by `check` for its open decisions only (E0108, each TODO), and
/// checks once they are decided.
#[test]
fn every_fixtures_site_passes_check_once_decided_and_is_formatted() {
    let dir = tempfile::tempdir().unwrap();
    for name in FIXTURES {
        let site = dir.path().join(format!("{name}.cci"));
        let o = import_to(&fixture(name), &site);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", text(&o.stderr));
        let written = std::fs::read_to_string(&site).unwrap();
        assert!(
            written.contains("# TODO(cci-dsl)"),
            "{name}: no open decision"
        );
        let c = cli().arg("check").arg(&site).output().unwrap();
        assert_eq!(c.status.code(), Some(1), "{name}: check took the TODOs");
        assert_eq!(
            error_codes(&c.stderr),
            ["E0108"],
            "{name}: {}",
            text(&c.stderr)
        );
        let done = dir.path().join(format!("{name}.decided.cci"));
        std::fs::write(&done, decided(&written)).unwrap();
        let c = cli().arg("check").arg(&done).output().unwrap();
        assert_eq!(
            c.status.code(),
            Some(0),
            "{name}: check refused the decided site:\n{}\n{}",
            decided(&written),
            text(&c.stderr)
        );
        // Formatted as `cci-dsl fmt` would: committed as it is written.
        let f = cli().args(["fmt", "--check"]).arg(&site).output().unwrap();
        assert_eq!(f.status.code(), Some(0), "{name}: {}", text(&f.stdout));
    }
}

#[test]
fn stdout_without_o_is_the_same_site() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site.cci");
    assert!(import_to(&fixture("filled-in.tfvars"), &site)
        .status
        .success());
    let o = cli()
        .arg("import")
        .arg(fixture("filled-in.tfvars"))
        .output()
        .unwrap();
    assert!(o.status.success());
    assert_eq!(text(&o.stdout), std::fs::read_to_string(&site).unwrap());
}

#[test]
fn no_secret_reaches_stdout_stderr_or_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site.cci");
    let tfvars = fixture("filled-in.tfvars");
    let written = import_to(&tfvars, &site);
    let printed = cli().arg("import").arg(&tfvars).output().unwrap();
    // A file that fails to parse on the passphrase's line: the error must not quote the line.
    let broken = dir.path().join("broken.tfvars");
    std::fs::write(
        &broken,
        "aws_region = \"us-west-2\"\ncircle_secret_passphrase = \"hunter2-passphrase\naws_access_key = \"AKIAIOSFODNN7EXAMPLE\"\n",
    )
    .unwrap();
    let failed = cli().arg("import").arg(&broken).output().unwrap();
    assert_eq!(failed.status.code(), Some(1));
    let file = std::fs::read_to_string(&site).unwrap();
    for (what, shown) in [
        ("the written file", file),
        ("stderr of -o", text(&written.stderr)),
        ("stdout of -o", text(&written.stdout)),
        ("stdout", text(&printed.stdout)),
        ("stderr", text(&printed.stderr)),
        ("stdout of a parse error", text(&failed.stdout)),
        ("stderr of a parse error", text(&failed.stderr)),
    ] {
        for secret in SECRETS {
            assert!(!shown.contains(secret), "{secret} in {what}:\n{shown}");
        }
    }
    assert!(text(&printed.stdout).contains("passphrase         = secret"));
}

#[test]
fn every_variable_of_the_filled_in_fixture_is_accounted_for() {
    let tfvars = std::fs::read_to_string(fixture("filled-in.tfvars")).unwrap();
    let o = cli()
        .arg("import")
        .arg(fixture("filled-in.tfvars"))
        .output()
        .unwrap();
    assert!(o.status.success());
    let (site, report) = (text(&o.stdout), text(&o.stderr));
    let vars = variables(&tfvars);
    assert!(
        vars.len() >= 20,
        "the fixture sets {} variables",
        vars.len()
    );
    for v in vars {
        let in_report = report
            .lines()
            .any(|l| l.split(": ").nth(1) == Some(v.as_str()));
        assert!(
            in_report || site.contains(&v),
            "{v}: neither reported nor in the site\n{report}"
        );
        assert!(
            in_report,
            "{v} has no line of its own in the report\n{report}"
        );
    }
    for expected in [
        "not carried: aws_access_key: never copied or shown: use an instance profile or your AWS profile instead",
        "not carried: builder_instance_type: CircleCI 1.0 builders are not part of Server 2.16's model",
        "not carried: datadog_api_key: not a variable of enterprise-setup",
        "todo: route_zone_id: the language takes the zone's name, not its id `Z3P5QSUBK4POTI`",
    ] {
        assert!(report.contains(expected), "missing: {expected}\n{report}");
    }
}

#[test]
fn o_refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site.cci");
    std::fs::write(&site, "mine\n").unwrap();
    let o = import_to(&fixture("template-8e36728.tfvars"), &site);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("already exists"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(std::fs::read_to_string(&site).unwrap(), "mine\n");
    let o = cli()
        .arg("import")
        .arg(fixture("template-8e36728.tfvars"))
        .arg("-o")
        .arg(&site)
        .arg("--force")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(std::fs::read_to_string(&site)
        .unwrap()
        .contains("use circleci/2.16"));
}

#[test]
fn unparsable_tfvars_exit_1_with_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.tfvars");
    std::fs::write(
        &bad,
        "aws_region = \"us-west-2\"\naws_vpc_id = = \"vpc-0a1b2c3d\"\n",
    )
    .unwrap();
    let o = cli().arg("import").arg(&bad).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.starts_with("error: ") && err.contains("line 2, column"),
        "{err}"
    );
    assert!(o.stdout.is_empty());
    // Not a tfvars file at all.
    std::fs::write(&bad, "variable \"aws_region\" {}\n").unwrap();
    let o = cli().arg("import").arg(&bad).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("holds only `name = value` lines"));
    // I/O: a file that is not there.
    let o = cli()
        .arg("import")
        .arg(dir.path().join("missing.tfvars"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

fn snapshot(name: &str, value: String) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../snapshots/import");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name, value));
}

/// What an operator reads: the site of the filled-in fixture.
#[test]
fn the_filled_in_site() {
    let tfvars = std::fs::read_to_string(fixture("filled-in.tfvars")).unwrap();
    let i = cci_import::import(&tfvars, "filled-in.tfvars").unwrap();
    snapshot("filled-in.cci", i.site_text);
}

/// What the command prints for the real template of the guide's release.
#[test]
fn the_templates_report() {
    let o = cli()
        .arg("import")
        .arg(fixture("template-8e36728.tfvars"))
        .output()
        .unwrap();
    assert!(o.status.success());
    snapshot("template-8e36728.report", text(&o.stderr));
}
