//! `cci-dsl diff OLD NEW [--format json]`: both sites built in memory, then what the change
//! does (`cci_core::diff`). A side is a file, `-`, or `REV:PATH` read from git.

use super::args::{Cli, PlanFormat};
use super::{load_stdlib, print_output, read_site, report, site_text, world, MAX_SITE_BYTES};
use cci_core::diff::{diff, render, Side};
use cci_core::display::escaped;
use cci_core::output::fs::named_file_reader;
use cci_core::Build;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

pub fn run(cli: &Cli, old: &str, new: &str, format: PlanFormat) -> Result<ExitCode, String> {
    let stdlib = load_stdlib(cli)?;
    let mut built = Vec::new();
    for arg in [old, new] {
        let (name, text, dir) = read_side(arg)?;
        let read = named_file_reader(&dir);
        let b = cci_core::build_in(&name, &text, &stdlib, &world(&read));
        let failed = report(cli, &b.compilation.diagnostics, &b.compilation.sources);
        if failed || b.outputs.is_none() {
            errln!("error: {} did not pass; nothing compared", escaped(&name));
            return Ok(ExitCode::from(1));
        }
        built.push((name, b));
    }
    let (Some(o), Some(n)) = (side(&built[0]), side(&built[1])) else {
        return Err("a site compiled without a model".into());
    };
    let d = diff(&o, &n);
    match format {
        PlanFormat::Text => print_output(cli, "diff", "text", None, &render::text(&d)),
        PlanFormat::Json => print_output(
            cli,
            "diff",
            "json",
            None,
            &format!("{:#}\n", render::json(&d)),
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// A built site as `diff` reads it.
fn side((name, b): &(String, Build)) -> Option<Side<'_>> {
    Some(Side {
        label: name.clone(),
        site: b.compilation.site.as_ref()?,
        lib: &b.compilation.stdlib,
        net: b.network.as_ref()?,
        outputs: b.outputs.as_ref()?,
    })
}

/// A side's name, text, and where the files it names are read from (next to a site file; the
/// working directory for `-` and a git revision).
fn read_side(arg: &str) -> Result<(String, String, PathBuf), String> {
    let path = Path::new(arg);
    if arg == "-" || path.exists() {
        let (name, text) = read_site(path)?;
        return Ok((name, text, path.to_path_buf()));
    }
    let Some((rev, file)) = arg
        .split_once(':')
        .filter(|(r, f)| !r.is_empty() && !f.is_empty())
    else {
        return Err(format!(
            "cannot read {}: no such file (a git revision is written REV:PATH)",
            escaped(arg)
        ));
    };
    Ok((arg.to_string(), git_blob(rev, file)?, PathBuf::from("-")))
}

/// The file at a revision, by git's plumbing (`cat-file blob`: no pager, no textconv filter,
/// no hook), at most the size of a site.
fn git_blob(rev: &str, file: &str) -> Result<String, String> {
    if rev.starts_with('-') {
        return Err(format!("{} is not a revision", escaped(rev)));
    }
    let spec = format!("{rev}:{file}");
    let out = Command::new("git")
        .args([
            "--no-pager",
            "-c",
            "core.fsmonitor=false",
            "cat-file",
            "blob",
        ])
        .arg(&spec)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git for {}: {e}", escaped(&spec)))?;
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "cannot read {} from git: {}",
            escaped(&spec),
            escaped(why.trim())
        ));
    }
    if out.stdout.len() as u64 > MAX_SITE_BYTES {
        return Err(format!(
            "{} is larger than a site file can be",
            escaped(&spec)
        ));
    }
    site_text(&spec, out.stdout)
}
