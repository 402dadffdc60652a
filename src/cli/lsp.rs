//! `cci-dsl lsp`: the language server (`cci-ide`), with the TLS inspector of `cci-tls`.

use super::args::Cli;
use super::load_stdlib;
use std::process::ExitCode;

pub fn run(cli: &Cli) -> Result<ExitCode, String> {
    cci_ide::server::run(load_stdlib(cli)?, &cci_tls::inspect)?;
    Ok(ExitCode::SUCCESS)
}
