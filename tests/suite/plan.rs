//! `cci-dsl plan`: through the binary, on every example (text and JSON snapshotted under
//! snapshots/plan/), and the guide's reservation worked out by hand for the default site.

use std::process::Command;

fn plan(site: &std::path::Path, format: &str) -> (Option<i32>, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_cci-dsl"))
        .args(["plan", "--format", format])
        .arg(site)
        .env_remove("COLUMNS") // not a terminal: 100 columns
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8(o.stderr).unwrap(),
    )
}

#[test]
fn every_example_has_a_plan() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../snapshots/plan");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for site in crate::examples() {
            let name = site.file_stem().unwrap().to_string_lossy().into_owned();
            let (code, text, stderr) = plan(&site, "text");
            assert_eq!(code, Some(0), "{name}: {stderr}");
            insta::assert_snapshot!(format!("{name}.txt"), text);
            let (code, json, _) = plan(&site, "json");
            assert_eq!(code, Some(0));
            let value: serde_json::Value =
                serde_json::from_str(&json).expect("plan --format json is JSON");
            insta::assert_snapshot!(
                format!("{name}.json"),
                serde_json::to_string_pretty(&value).unwrap()
            );
        }
    });
}

/// The guide (ch. 1): each client reserves two CPUs and 4 GB; the rest makes containers. An
/// m4.2xlarge (8 vCPU, 32 GiB) keeps 6 vCPU and 28 GiB: 3 medium containers (2 vCPU, 4 GiB)
/// by CPU, 7 by memory, so 3; the fleet of 1..5 clients runs 3..15.
#[test]
fn the_default_sites_clients_run_what_the_reservation_leaves() {
    let (_, json, _) = plan(&crate::root().join("examples/default.cci"), "json");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let fleet = &v["fleets"][0];
    assert_eq!(fleet["instance"], "m4.2xlarge");
    assert_eq!(fleet["containers_per_client"]["medium"], 3);
    assert_eq!(fleet["containers_per_client"]["small"], 6);
    assert_eq!(fleet["containers_per_client"]["xlarge"], 0);
    assert_eq!(fleet["default_class"]["containers_min"], 3);
    assert_eq!(fleet["default_class"]["containers_max"], 15);
    assert_eq!(v["nomad_reserved"]["vcpu"], 2);
    assert_eq!(v["clients"]["guide"]["min"], 1);
    assert_eq!(v["clients"]["guide"]["max"], 5);
    // us-west-2, m4 at $0.05 per vCPU-hour, 730 h, gp3 at $0.08 per GiB-month: the services
    // box and one client are 2 x (8 x 0.05 x 730 + 100 x 0.08) = $600.
    assert_eq!(v["monthly_cost_usd"]["min"], "600.00");
    assert_eq!(v["monthly_cost_usd"]["max"], "1800.00");
}

#[test]
fn a_site_with_errors_has_no_plan() {
    let (code, stdout, stderr) = plan(
        &crate::root().join("tests/fixtures/check/services-undersized.cci"),
        "text",
    );
    assert_eq!(code, Some(1));
    assert!(stdout.is_empty());
    assert!(stderr.contains("E0405"), "{stderr}");
}

/// `plan` fits the width: 100 columns when standard output is not a terminal, `COLUMNS` when
/// set (80 here: every example's tables fit it when their columns wrap at spaces, and its prose
/// wraps too); every word is still printed.
#[test]
fn the_plans_tables_fit_the_width() {
    let table_lines = |text: &str| -> Vec<String> {
        text.lines()
            .skip_while(|l| !l.starts_with("  fleet"))
            .filter(|l| l.starts_with("  ") && !l.starts_with("  the guide"))
            .map(String::from)
            .collect()
    };
    for site in crate::examples() {
        let name = site.file_stem().unwrap().to_string_lossy().into_owned();
        let (_, wide, _) = plan(&site, "text");
        assert!(wide.contains("Port matrix") && table_lines(&wide).len() > 10);
        for line in table_lines(&wide) {
            assert!(line.chars().count() <= 100, "{name}: {line}");
        }
        let o = Command::new(env!("CARGO_BIN_EXE_cci-dsl"))
            .args(["plan"])
            .arg(&site)
            .env("COLUMNS", "80")
            .output()
            .unwrap();
        let narrow = String::from_utf8(o.stdout).unwrap();
        // Every line, prose included, unless it is one word too long to break.
        for line in narrow.lines() {
            let one_word = line.split_whitespace().count() == 1;
            assert!(line.chars().count() <= 80 || one_word, "{name}: {line}");
        }
        let all_words = |t: &str| {
            let mut w: Vec<&str> = t.split_whitespace().collect();
            w.sort_unstable();
            w.join(" ")
        };
        assert_eq!(all_words(&wide), all_words(&narrow), "{name}: nothing lost");
        assert!(
            table_lines(&narrow).len() > table_lines(&wide).len(),
            "{name}: wrapped"
        );
    }
}
