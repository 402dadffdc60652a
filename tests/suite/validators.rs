//! The real, independent tools on every example's outputs (scripts/validate-outputs.sh):
//! HashiCorp's HCL parser, terraform fmt and validate against the real aws provider,
//! parliament, cloud-init schema, shellcheck (also on scripts inside the user-data), dot,
//! and the security scanners checkov and trivy.
//!
//! `scripts/test` installs the tools and sets CCI_REQUIRE_VALIDATORS=1, so in CI a missing
//! tool fails. A plain `cargo test` on a machine without them says it skipped them.

use std::process::Command;

/// The examples are validated two at a time: the tools mostly start up (Python, Terraform's
/// provider) and wait on the disk, and one after the other they were minutes of the suite.
const SIDE_BY_SIDE: usize = 2;

#[test]
fn the_independent_validators_accept_every_examples_outputs() {
    if crate::installed_tool("PARLIAMENT", "the validators are").is_none() {
        return;
    }
    let examples = crate::examples();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..SIDE_BY_SIDE {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(path) = examples.get(i) else { break };
                let found = validate(path);
                failures.lock().unwrap().extend(found);
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// One example's outputs through scripts/validate-outputs.sh: what failed.
fn validate(path: &std::path::Path) -> Vec<String> {
    let tools = crate::tools_dir();
    let script = crate::root().join("scripts/validate-outputs.sh");
    let mut failures = Vec::new();
    let b = crate::build_file(path);
    let outputs = b.outputs.expect("example builds");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    cci_core::output::write_atomically(&out, &outputs).unwrap();
    let o = Command::new("bash")
        .arg(&script)
        .arg(&out)
        .env("VALIDATE_REQUIRE_ALL", "1")
        // checkov and trivy too: a finding the site did not ask for is a failure; what
        // it did ask for carries a skip with its reason in the generated code.
        .env("VALIDATE_SECURITY", "1")
        .env("CCI_TOOLS_DIR", &tools)
        .output()
        .expect("bash runs");
    let report = format!(
        "== {}\n{}{}",
        path.display(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    eprintln!("{report}");
    // Every tool the issue names ran on this example.
    let stdout = String::from_utf8_lossy(&o.stdout);
    for tool in [
        "json-strict",
        "hcl2json",
        "terraform-fmt",
        "terraform-validate",
        "parliament",
        "cloud-init-schema",
        "shellcheck-embedded",
        "graphviz-dot",
        "checkov",
        "trivy",
    ] {
        if !stdout
            .lines()
            .any(|l| l.starts_with(tool) && l.contains("PASS"))
        {
            failures.push(format!("{}: {tool} did not pass", path.display()));
        }
    }
    if !o.status.success() {
        failures.push(report);
    }
    failures
}
