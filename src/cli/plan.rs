//! `cci-dsl plan SITE [--format json]`: capacity, the guide's tables, monthly cost, the port
//! matrix.

use super::args::{Cli, PlanFormat};
use super::{load_stdlib, print_output, read_site, report, world};
use cci_core::output::fs::named_file_reader;
use cci_core::plan::{json, plan, text};
use std::io::IsTerminal as _;
use std::path::Path;
use std::process::ExitCode;

pub fn run(cli: &Cli, site: &Path, format: PlanFormat) -> Result<ExitCode, String> {
    let (name, text_of_site) = read_site(site)?;
    let read = named_file_reader(site);
    let c = cci_core::compile_in(&name, &text_of_site, &load_stdlib(cli)?, &world(&read));
    let failed = report(cli, &c.diagnostics, &c.sources);
    let (Some(s), Some(net), false) = (&c.site, &c.network, failed) else {
        return Ok(ExitCode::from(1));
    };
    let plan = plan(s, &c.stdlib, net);
    match format {
        PlanFormat::Text => print_output(cli, "plan", "text", None, &text(&plan, width())),
        PlanFormat::Json => print_output(cli, "plan", "json", None, &format!("{:#}", json(&plan))),
    }
    Ok(ExitCode::SUCCESS)
}

/// The width the text fits: `COLUMNS` when set, else the terminal's when standard output is
/// one, else 100.
fn width() -> usize {
    if let Some(n) = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()) {
        return n;
    }
    #[cfg(unix)]
    if std::io::stdout().is_terminal() {
        if let Ok(size) = rustix::termios::tcgetwinsize(std::io::stdout()) {
            if size.ws_col > 0 {
                return usize::from(size.ws_col);
            }
        }
    }
    100
}
