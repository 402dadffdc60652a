//! `cci-dsl reference`: the language reference (docs/language.md is this output).

use super::args::Cli;
use super::load_stdlib;
use std::process::ExitCode;

pub fn run(cli: &Cli) -> Result<ExitCode, String> {
    let lib = cci_core::stdlib_only(&load_stdlib(cli)?);
    out!("{}", cci_core::resolve::language_reference(&lib));
    Ok(ExitCode::SUCCESS)
}
