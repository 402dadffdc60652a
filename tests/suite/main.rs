//! The test suite, through the library's public entry points and the CLI binary.

#[path = "../support/agreement.rs"]
mod agreement;
mod apply;
mod cli;
mod diagnostics;
mod examples;
mod format;
mod generated;
mod grammar;
mod graph_svg;
mod import;
mod lsp;
mod output;
mod plan;
mod release;
mod requirements;
mod robustness;
#[path = "../support/site_gen.rs"]
mod site_gen;
mod stdlib;
mod tls;
#[path = "../support/tls_fixtures.rs"]
mod tls_fixtures;
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
    let mut out = Vec::new();
    let mut dirs = vec![root().join(dir)];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).expect("readable directory") {
            let p = e.expect("readable entry").path();
            if p.is_dir() {
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
pub fn build_file(path: &Path) -> cci_dsl::Build {
    let text = std::fs::read_to_string(path).expect("readable site");
    let name = path
        .strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string();
    cci_dsl::build(&name, &text, &cci_dsl::stdlib::embedded())
}

/// Renders diagnostics without colour, as snapshots and CI logs want them.
pub fn rendered(b: &cci_dsl::Compilation) -> String {
    cci_dsl::diagnostics::render(
        &b.diagnostics,
        &b.sources,
        cci_dsl::diagnostics::Style::Plain,
    )
}
