//! `cci-dsl check SITE`: every problem reported, nothing written.

use super::args::Cli;
use super::{load_stdlib, read_site, report, world};
use cci_core::display::escaped;
use cci_core::output::fs::named_file_reader;
use std::path::Path;
use std::process::ExitCode;

pub fn run(cli: &Cli, site: &Path) -> Result<ExitCode, String> {
    let (name, text) = read_site(site)?;
    let read = named_file_reader(site);
    // Built in memory, not written: what only the outputs show (their size) is checked too.
    let c = cci_core::build_in(&name, &text, &load_stdlib(cli)?, &world(&read)).compilation;
    if report(cli, &c.diagnostics, &c.sources) {
        return Ok(ExitCode::from(1));
    }
    errln!(
        "{}: ok ({} warnings)",
        escaped(&name),
        c.diagnostics.warning_count()
    );
    Ok(ExitCode::SUCCESS)
}
