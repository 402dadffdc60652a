//! The test suite, through the library's public entry points and the CLI binary.

#[path = "../support/agreement.rs"]
mod agreement;
mod apply;
mod boot;
mod cli;
mod diagnostics;
mod diff;
mod editors;
mod examples;
mod fixes;
mod format;
mod generated;
mod grammar;
mod graph_svg;
mod hostile;
mod import;
mod isolation;
mod layers;
mod lsp;
#[path = "../support/mangle.rs"]
mod mangle;
mod output;
mod plan;
mod release;
mod reports;
mod requirements;
mod robustness;
#[path = "../support/site_gen.rs"]
mod site_gen;
mod sizes;
mod stdlib;
mod tls;
#[path = "../support/tls_fixtures.rs"]
mod tls_fixtures;
mod upgrade;
mod user_data;
mod validators;

use std::path::{Path, PathBuf};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where scripts/install-validators.sh put the independent tools (and their env.sh).
pub fn tools_dir() -> PathBuf {
    std::env::var("CCI_TOOLS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/cci-validators")
        })
}

/// The tools' env.sh when it records `variable` (the tool is installed). Otherwise `None`
/// after saying the test is skipped, or a failure when CCI_REQUIRE_VALIDATORS=1 (scripts/test).
pub fn installed_tool(variable: &str, what: &str) -> Option<PathBuf> {
    let env_sh = tools_dir().join("env.sh");
    if std::fs::read_to_string(&env_sh).is_ok_and(|t| t.contains(variable)) {
        return Some(env_sh);
    }
    let required = std::env::var("CCI_REQUIRE_VALIDATORS").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{what} required but not installed in {}",
        tools_dir().display()
    );
    eprintln!("SKIPPED: {what} not installed (run scripts/install-validators.sh, or scripts/test)");
    None
}

/// The node_modules holding the IAM policy evaluator (@cloud-copilot/iam-simulate), found by
/// its files rather than env.sh (which an install of another checkout may rewrite); `None`
/// after saying the test is skipped, or a failure when CCI_REQUIRE_VALIDATORS=1.
pub fn iam_simulate() -> Option<PathBuf> {
    let modules = tools_dir().join("node/node_modules");
    if modules
        .join("@cloud-copilot/iam-simulate/package.json")
        .is_file()
    {
        return Some(modules);
    }
    installed_tool("IAM_SIMULATE_NODE_MODULES", "the IAM policy evaluator is").map(|_| modules)
}

/// Every file under a directory of the checkout (recursively), path and text, sorted.
pub fn files_under(dir: &str) -> Vec<(PathBuf, String)> {
    files_under_path(&root().join(dir))
}

/// Every file under `dir` (recursively, not following links), path and text, sorted.
pub fn files_under_path(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).expect("readable directory") {
            let e = e.expect("readable entry");
            let p = e.path();
            if e.file_type().expect("a file type").is_dir() {
                dirs.push(p);
            } else if let Ok(text) = std::fs::read_to_string(&p) {
                out.push((p, text));
            }
        }
    }
    out.sort();
    out
}

/// Every example site, sorted.
pub fn examples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .expect("examples/ exists")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.extension().is_some_and(|e| e == "cci"))
        .collect();
    v.sort();
    v
}

/// Builds a site file with the embedded stdlib, as the CLI would.
pub fn build_file(path: &Path) -> cci_core::Build {
    let text = std::fs::read_to_string(path).expect("readable site");
    let name = path
        .strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string();
    cci_core::build(&name, &text, &cci_core::stdlib::embedded())
}

/// [`build_file`] with the network view's SVG, which the core leaves to `cci-picture`: every
/// file `cci-dsl build` writes. (The layout costs a tenth of a second a site in a debug build,
/// so the tests that read other files use [`build_file`].)
pub fn build_file_as_written(path: &Path) -> cci_core::Build {
    let mut b = build_file(path);
    cci_picture::draw_into(&mut b);
    b
}

/// Renders diagnostics without colour, as snapshots and CI logs want them.
pub fn rendered(b: &cci_core::Compilation) -> String {
    cci_core::diagnostics::render(
        &b.diagnostics,
        &b.sources,
        cci_core::diagnostics::Style::Plain,
    )
}

/// Whether these commands are on PATH and the tests run as root (the tests that run the
/// generated scripts in network namespaces need both). Otherwise like [`installed_tool`]:
/// skipped with a word, or a failure under CCI_REQUIRE_VALIDATORS=1.
pub fn namespace_tools(commands: &[&str], what: &str) -> bool {
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    let missing: Vec<&str> = commands
        .iter()
        .copied()
        .filter(|c| {
            !std::process::Command::new("sh")
                .arg("-c")
                .arg(format!("command -v {c}"))
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .collect();
    if root && missing.is_empty() {
        return true;
    }
    let why = if root {
        format!("{} not on PATH", missing.join(", "))
    } else {
        "not root".to_string()
    };
    let required = std::env::var("CCI_REQUIRE_VALIDATORS").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{what}: {why} (scripts/install-validators.sh installs them)"
    );
    eprintln!("SKIPPED: {what}: {why}");
    false
}

/// Runs tests/run/NAME.py with the emulator's Python (it has boto3 and PyYAML) for each of
/// the examples the issue names, side by side, and fails with every report that failed.
pub fn run_in_namespaces(env_sh: &Path, script: &str, sites: &[&str]) {
    let script = root().join("tests/run").join(script);
    let handles: Vec<_> = sites
        .iter()
        .map(|site| {
            let (env_sh, script) = (env_sh.to_path_buf(), script.clone());
            let site = root().join("examples").join(site);
            std::thread::spawn(move || {
                let start = std::time::Instant::now();
                let o = std::process::Command::new("bash")
                    .arg("-c")
                    .arg(r#". "$1" && exec "$MOTO_PYTHON" "$2" "$3" "$4""#)
                    .arg("run")
                    .arg(&env_sh)
                    .arg(&script)
                    .arg(env!("CARGO_BIN_EXE_cci-dsl"))
                    .arg(&site)
                    .output()
                    .expect("bash runs");
                let report = format!(
                    "== {} ({:.1} s)\n{}{}",
                    site.display(),
                    start.elapsed().as_secs_f64(),
                    String::from_utf8_lossy(&o.stdout),
                    String::from_utf8_lossy(&o.stderr)
                );
                (o.status.success(), report)
            })
        })
        .collect();
    let mut failures = Vec::new();
    for h in handles {
        let (ok, report) = h.join().expect("the run finishes");
        eprintln!("{report}");
        if !ok {
            failures.push(report);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
