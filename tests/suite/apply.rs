//! `terraform apply` and `destroy` of every example against a local AWS API emulator (moto),
//! with the emulator's API asked afterwards whether what exists is what the output files say
//! (tests/apply/emulator_apply.py: security-group rules, user-data, group sizes, the drain
//! hook, IAM documents, the bucket's settings, outputs; then nothing left after destroy).
//!
//! `scripts/test` installs the emulator, Terraform's offline provider is on the machine, and
//! CCI_REQUIRE_VALIDATORS=1 makes a missing tool a failure. A plain `cargo test` on a machine
//! without them says it skipped this.

use std::process::Command;

#[test]
fn every_example_applies_and_destroys_against_the_aws_api_emulator() {
    let Some(env_sh) = crate::installed_tool("MOTO_PYTHON", "the AWS API emulator is") else {
        return;
    };
    let script = crate::root().join("tests/apply/emulator_apply.py");
    // Every example with an image of its own on each machine, and the default site as written
    // (machines find the release's OS among the emulator's public images).
    let mut runs: Vec<(std::path::PathBuf, &str)> = crate::examples()
        .into_iter()
        .map(|p| (p, "own-ami"))
        .collect();
    runs.push((crate::root().join("examples/default.cci"), "lookup"));

    // The runs mostly wait on Terraform's polling, so they go side by side.
    let handles: Vec<_> = runs
        .into_iter()
        .map(|(site, mode)| {
            let (env_sh, script) = (env_sh.clone(), script.clone());
            std::thread::spawn(move || {
                let o = Command::new("bash")
                    .arg("-c")
                    .arg(r#". "$1" && exec "$MOTO_PYTHON" "$2" "$3" "$4" "$5""#)
                    .arg("apply")
                    .arg(&env_sh)
                    .arg(&script)
                    .arg(env!("CARGO_BIN_EXE_cci-dsl"))
                    .arg(&site)
                    .arg(mode)
                    .output()
                    .expect("bash runs");
                let report = format!(
                    "== {} ({mode})\n{}{}",
                    site.display(),
                    String::from_utf8_lossy(&o.stdout),
                    String::from_utf8_lossy(&o.stderr)
                );
                (o.status.success(), report)
            })
        })
        .collect();
    let mut failures = Vec::new();
    for h in handles {
        let (ok, report) = h.join().expect("the apply thread finishes");
        eprintln!("{report}");
        if !ok {
            failures.push(report);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
