//! `cci-dsl diff OLD NEW`: through the binary; every pair of examples snapshotted (Markdown,
//! under snapshots/diff/, and the JSON read back); one-line changes a reviewer meets (a
//! resize, a port opened to the internet, a fleet added, an actor widened) said in words; a
//! side read from a git revision; a broken side refused.

use std::path::Path;
use std::process::Command;

fn diff(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_cci-dsl"))
        .arg("diff")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8(o.stderr).unwrap(),
    )
}

#[test]
fn every_pair_of_examples_is_diffed() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../snapshots/diff");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    let examples = crate::examples();
    let root = crate::root();
    settings.bind(|| {
        for (i, a) in examples.iter().enumerate() {
            for b in &examples[i + 1..] {
                let (a, b) = (
                    a.strip_prefix(&root).unwrap().to_str().unwrap(),
                    b.strip_prefix(&root).unwrap().to_str().unwrap(),
                );
                let (code, text, err) = diff(&root, &[a, b]);
                assert_eq!(code, Some(0), "{a} → {b}: {err}");
                let name = |p: &str| {
                    Path::new(p)
                        .file_stem()
                        .unwrap()
                        .to_str()
                        .unwrap()
                        .to_string()
                };
                insta::assert_snapshot!(format!("{}-{}", name(a), name(b)), text);
                let (code, json, _) = diff(&root, &["--format", "json", a, b]);
                assert_eq!(code, Some(0));
                let v: serde_json::Value = serde_json::from_str(&json).unwrap();
                assert_eq!(
                    (v["type"].as_str(), v["version"].as_u64()),
                    (Some("diff"), Some(1))
                );
                assert_eq!(v["changed"], true, "{a} → {b}");
            }
        }
    });
}

/// The default site, changed by `edit`, diffed against itself as written.
fn change(edit: impl Fn(&str) -> String) -> String {
    let dir = tempfile::tempdir().unwrap();
    let site = std::fs::read_to_string(crate::root().join("examples/default.cci")).unwrap();
    let changed = edit(&site);
    assert_ne!(changed, site, "the edit changed nothing");
    std::fs::write(dir.path().join("old.cci"), &site).unwrap();
    std::fs::write(dir.path().join("new.cci"), changed).unwrap();
    let (code, text, err) = diff(dir.path(), &["old.cci", "new.cci"]);
    assert_eq!(code, Some(0), "{err}");
    text
}

#[test]
fn a_resized_services_box_is_an_update_that_stops_it_and_costs_more() {
    let text = change(|s| s.replacen("instance = \"m4.2xlarge\"", "instance = \"m5.4xlarge\"", 1));
    assert!(
        text.contains("- services instance: m4.2xlarge → m5.4xlarge"),
        "{text}"
    );
    assert!(
        text.contains("- update `aws_instance.services` (instance_type), stopping the instance"),
        "{text}"
    );
    assert!(text.contains("**Terraform**: 0 to create, 1 to update in place (1 stopping the instance), 0 to replace, 0 to destroy"), "{text}");
    assert!(text.contains("**Monthly on-demand cost**"), "{text}");
    assert!(!text.contains("Flows"), "{text}");
}

/// Binding `github` to its own range leaves the other flows on the 443 egress rule to any
/// address: the rule stays, its description updated. (A rule was named after the first actor
/// on its range, so this renamed it: destroyed and created, a moment without egress on 443.)
#[test]
fn a_rule_keeps_its_address_when_an_actor_leaves_its_range() {
    let text = change(|s| {
        s.replace(
            "  admins = [10.10.0.0/24]",
            "  admins = [10.10.0.0/24]\n  github = [192.30.252.0/22]",
        )
    });
    for group in ["services", "nomad"] {
        let rule = format!("aws_vpc_security_group_egress_rule.{group}_out_tcp_443_any_ipv4");
        assert!(
            text.contains(&format!("- update `{rule}` (description)")),
            "{text}"
        );
        assert!(!text.contains(&format!("destroy `{rule}`")), "{text}");
    }
}

#[test]
fn a_port_opened_to_the_internet_says_who_reaches_it() {
    let text =
        change(|s| format!("{s}\nallow tcp 9100 from 0.0.0.0/0 to nomad \"node exporter\"\n"));
    assert!(text.contains("**Flows opened (1)**"), "{text}");
    assert!(
        text.contains("- `9100/tcp` from **0.0.0.0/0** (anywhere: 0.0.0.0/0) to **nomad (all fleets)**: node exporter"),
        "{text}"
    );
    assert!(
        text.contains("- create `aws_vpc_security_group_ingress_rule."),
        "{text}"
    );
}

#[test]
fn a_widened_actor_and_a_rescaled_fleet_are_said_in_words() {
    let site = std::fs::read_to_string(crate::root().join("examples/default.cci")).unwrap();
    let users = site
        .lines()
        .find(|l| l.trim_start().starts_with("users"))
        .unwrap()
        .to_string();
    let count = site
        .lines()
        .find(|l| l.trim_start().starts_with("count"))
        .unwrap()
        .to_string();
    let text = change(|s| {
        s.replace(&users, "  users  = [10.0.0.0/8, 203.0.113.0/24]")
            .replace(&count, "  count    = 2..8")
    });
    assert!(
        text.contains("- **users**: 10.0.0.0/8 (private) → 10.0.0.0/8, 203.0.113.0/24 (public)"),
        "{text}"
    );
    assert!(text.contains("- fleet nomad: 1 to 5 clients"), "{text}");
    assert!(text.contains("→ 2 to 8 clients"), "{text}");
}

#[test]
fn a_side_is_read_from_a_git_revision() {
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let o = Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    let site = std::fs::read_to_string(crate::root().join("examples/default.cci")).unwrap();
    std::fs::write(dir.path().join("site.cci"), &site).unwrap();
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "site.cci"]);
    git(&["commit", "-q", "-m", "site"]);
    let (code, text, err) = diff(dir.path(), &["main:site.cci", "site.cci"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(text.contains("No change"), "{text}");
    std::fs::write(
        dir.path().join("site.cci"),
        site.replacen("100 GiB", "150 GiB", 1),
    )
    .unwrap();
    let (code, text, err) = diff(dir.path(), &["main:site.cci", "site.cci"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        text.starts_with("## cci-dsl diff: main:site.cci → site.cci"),
        "{text}"
    );
    assert!(text.contains("disk: 100 GiB → 150 GiB"), "{text}");
    // A revision that does not exist, and an option smuggled in as one, are refused.
    let (code, _, err) = diff(dir.path(), &["nope:site.cci", "site.cci"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("cannot read nope:site.cci from git"), "{err}");
    let (code, _, err) = diff(dir.path(), &["--", "--output=x:y", "site.cci"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(!dir.path().join("x").exists());
}

#[test]
fn a_side_with_errors_is_reported_and_nothing_compared() {
    let dir = tempfile::tempdir().unwrap();
    let site = std::fs::read_to_string(crate::root().join("examples/default.cci")).unwrap();
    std::fs::write(dir.path().join("old.cci"), &site).unwrap();
    std::fs::write(
        dir.path().join("new.cci"),
        site.replacen("\"m4.2xlarge\"", "\"m4.2xlarj\"", 1),
    )
    .unwrap();
    let (code, out, err) = diff(dir.path(), &["old.cci", "new.cci"]);
    assert_eq!(code, Some(1));
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("new.cci did not pass; nothing compared"),
        "{err}"
    );
}

/// What `diff` says Terraform will do is what `terraform plan` does: the default site applied
/// to the AWS API emulator, then nine one-line changes planned against it
/// (tests/apply/replace_proof.py: resized, re-imaged, disk grown, a port opened, an actor
/// moved, a fleet rescaled and resized, github bound to its own range, a tag added). First, the upgrade: the site applied at
/// the addresses of cci-dsl before 2026-12 plans as moves only (moved.tf).
#[test]
fn diff_predicts_what_terraform_plan_does() {
    let Some(env_sh) = crate::installed_tool("MOTO_PYTHON", "the AWS API emulator is") else {
        return;
    };
    let o = Command::new("bash")
        .arg("-c")
        .arg(r#". "$1" && exec "$MOTO_PYTHON" "$2" "$3" "$4""#)
        .arg("proof")
        .arg(&env_sh)
        .arg(crate::root().join("tests/apply/replace_proof.py"))
        .arg(env!("CARGO_BIN_EXE_cci-dsl"))
        .arg(crate::root().join("examples/default.cci"))
        .output()
        .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    eprintln!("{report}");
    assert!(o.status.success(), "{report}");
    assert_eq!(
        report.matches("\nok    ").count() + usize::from(report.starts_with("ok    ")),
        10,
        "{report}"
    );
}
