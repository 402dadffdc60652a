//! `cci-dsl build SITE -o OUT [--check [--diff]]`: write the outputs (saying what changed), or
//! say whether `OUT` is what the site compiles to, writing nothing.

use super::args::Cli;
use super::{load_stdlib, print_masked_diff, read_site, report, world};
use cci_core::display::escaped;
use cci_core::emit::Outputs;
use cci_core::output::fs::named_file_reader;
use std::path::Path;
use std::process::ExitCode;

/// At most this many file names in a line that says what changed.
const NAMED: usize = 8;

pub fn run(
    cli: &Cli,
    site: &Path,
    out: &Path,
    check: bool,
    diff: bool,
) -> Result<ExitCode, String> {
    let (name, text) = read_site(site)?;
    let read = named_file_reader(site);
    let mut b = cci_core::build_in(&name, &text, &load_stdlib(cli)?, &world(&read));
    cci_picture::draw_into(&mut b);
    let failed = report(cli, &b.compilation.diagnostics, &b.compilation.sources);
    let shown_out = escaped(&out.display().to_string());
    let Some(outputs) = b.outputs.filter(|_| !failed) else {
        let what = if check {
            "not checked"
        } else {
            "left as it was"
        };
        errln!("error: {} did not pass; {shown_out} {what}", escaped(&name));
        return Ok(ExitCode::from(1));
    };
    if check {
        return check_against(cli, out, &outputs, &name, diff);
    }
    let written = cci_core::output::write_atomically(out, &outputs)
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    if written.completed_interrupted {
        errln!(
            "note: the previous build into this directory was interrupted; this one completed it"
        );
    }
    for rel in &written.foreign_terraform {
        errln!(
            "note: {} was not written by cci-dsl, and Terraform reads it with the generated files: review it before you apply",
            escaped(&out.join(rel).display().to_string())
        );
    }
    for (rel, why) in &written.kept {
        errln!(
            "note: kept {}: the previous build wrote it and this one does not, but it is {why}; delete it yourself if it is not needed",
            escaped(&out.join(rel).display().to_string())
        );
    }
    if written.changed.is_empty() && written.removed.is_empty() {
        errln!(
            "{shown_out} is up to date ({} files unchanged)",
            written.unchanged
        );
        return Ok(ExitCode::SUCCESS);
    }
    errln!(
        "{shown_out}: {} changed{}, {} unchanged{}",
        written.changed.len(),
        listed(&written.changed),
        written.unchanged,
        if written.removed.is_empty() {
            String::new()
        } else {
            format!(
                ", {} removed{}",
                written.removed.len(),
                listed(&written.removed)
            )
        }
    );
    errln!(
        "next: review {0}/ports.md, then\n  cd {0}/terraform && terraform init && TF_VAR_circle_secret_passphrase=... terraform apply",
        shown_out.trim_end_matches('/')
    );
    Ok(ExitCode::SUCCESS)
}

/// ` (a, b, c)`, or the first few and how many more.
fn listed(names: &[String]) -> String {
    let mut shown: Vec<String> = names.iter().take(NAMED).map(|n| escaped(n)).collect();
    if names.len() > NAMED {
        shown.push(format!("and {} more", names.len() - NAMED));
    }
    format!(" ({})", shown.join(", "))
}

/// `build --check`: exit 1 naming each file that differs (with `--diff`, how), is missing or
/// is stale; nothing is written.
fn check_against(
    cli: &Cli,
    out: &Path,
    outputs: &Outputs,
    site: &str,
    diff: bool,
) -> Result<ExitCode, String> {
    let c = cci_core::output::compare(out, outputs)
        .map_err(|e| format!("cannot read {}: {e}", out.display()))?;
    let shown = |rel: &str| escaped(&out.join(rel).display().to_string());
    for (rel, now) in &c.differ {
        match now {
            None => errln!("{} is missing", shown(rel)),
            Some(bytes) => {
                errln!("{} differs", shown(rel));
                if diff {
                    print_masked_diff(
                        cli,
                        "build",
                        &shown(rel),
                        "compiled",
                        &String::from_utf8_lossy(bytes),
                        &outputs.files[rel],
                    );
                }
            }
        }
    }
    for rel in &c.stale {
        errln!(
            "{} is stale: {} no longer writes it",
            shown(rel),
            escaped(site)
        );
    }
    let out_shown = escaped(&out.display().to_string());
    if c.differ.is_empty() && c.stale.is_empty() {
        errln!(
            "{out_shown} is what {} compiles to ({} files)",
            escaped(site),
            c.same
        );
        return Ok(ExitCode::SUCCESS);
    }
    errln!(
        "error: {out_shown} is not what {} compiles to: {} differ, {} stale, {} the same; `cci-dsl build {} -o {out_shown}` writes it",
        escaped(site),
        c.differ.len(),
        c.stale.len(),
        c.same,
        escaped(site)
    );
    Ok(ExitCode::from(1))
}
