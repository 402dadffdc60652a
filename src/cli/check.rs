//! `cci-dsl check SITE`: every problem reported, nothing written. `check --fix SITE` applies
//! the machine-applicable suggestions first and writes the file back under the file-system
//! policy of `cci_core::output::fs` (as `fmt`: atomic, no link followed, mode kept).

use super::args::Cli;
use super::{load_stdlib, machine, read_site, report, site_text, world, MAX_SITE_BYTES};
use cci_core::display::{cut, escaped};
use cci_core::output::fs::{self, named_file_reader};
use cci_core::Compilation;
use std::path::Path;
use std::process::ExitCode;

/// Rounds of fixing: a fix may uncover the next diagnostic (and its fix); three rounds bound it.
const FIX_ROUNDS: usize = 3;

pub fn run(cli: &Cli, site: &Path, fix: bool) -> Result<ExitCode, String> {
    let (name, text) = if fix {
        if site.as_os_str() == "-" {
            return Err("`check --fix` rewrites a file: name one, not `-`".into());
        }
        fixed(cli, site)?
    } else {
        read_site(site)?
    };
    let c = compile(cli, site, &name, &text)?;
    if report(cli, &c.diagnostics, &c.sources) {
        return Ok(ExitCode::from(1));
    }
    if machine(cli) {
        // The summary record says it.
        return Ok(ExitCode::SUCCESS);
    }
    errln!(
        "{}: ok ({} warnings)",
        escaped(&name),
        c.diagnostics.warning_count()
    );
    Ok(ExitCode::SUCCESS)
}

/// Built in memory, not written: what only the outputs show (their size) is checked too.
fn compile(cli: &Cli, site: &Path, name: &str, text: &str) -> Result<Compilation, String> {
    let read = named_file_reader(site);
    Ok(cci_core::build_in(name, text, &load_stdlib(cli)?, &world(&read)).compilation)
}

/// The site with every machine-applicable fix applied, written back when it changed; each
/// change reported on stderr.
fn fixed(cli: &Cli, site: &Path) -> Result<(String, String), String> {
    let (bytes, was) = fs::read_for_rewrite(site, MAX_SITE_BYTES).map_err(|e| e.to_string())?;
    let name = site.display().to_string();
    let original = site_text(&name, bytes)?;
    let mut text = original.clone();
    let mut count = 0;
    for _ in 0..FIX_ROUNDS {
        let c = compile(cli, site, &name, &text)?;
        let Some(file) = site_file(&c, &name) else {
            break;
        };
        let fixed = cci_core::fix::fix(&text, file, &c.diagnostics);
        if fixed.applied.is_empty() {
            break;
        }
        for (d, s) in &fixed.applied {
            let line = c.sources.line_of(s.span);
            errln!(
                "fixed {}:{line} [{}]: {}",
                escaped(&name),
                d.code.as_str(),
                escaped(&cut(&s.message)),
            );
        }
        count += fixed.applied.len();
        text = fixed.text;
    }
    if text != original {
        fs::replace_file(site, &was, text.as_bytes()).map_err(|e| e.to_string())?;
        errln!("{}: {count} fixes applied; checking again", escaped(&name));
    } else {
        errln!("{}: nothing to fix automatically", escaped(&name));
    }
    Ok((name, text))
}

/// The site file among the compilation's sources (the stdlib's files come first).
fn site_file(c: &Compilation, name: &str) -> Option<cci_core::span::FileId> {
    c.sources
        .iter()
        .filter(|(_, f)| f.name == name)
        .map(|(id, _)| id)
        .last()
}
