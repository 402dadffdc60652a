//! `cci-dsl completions SHELL` and `cci-dsl man`: generated from the clap definitions.

use super::args::Cli;
use std::process::ExitCode;

pub fn completions(shell: clap_complete::Shell) -> Result<ExitCode, String> {
    let mut buf = Vec::new();
    clap_complete::generate(
        shell,
        &mut <Cli as clap::CommandFactory>::command(),
        "cci-dsl",
        &mut buf,
    );
    out!("{}", String::from_utf8_lossy(&buf));
    Ok(ExitCode::SUCCESS)
}

pub fn man() -> Result<ExitCode, String> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
        .render(&mut buf)
        .map_err(|e| format!("cannot render the manual page: {e}"))?;
    out!("{}", String::from_utf8_lossy(&buf));
    Ok(ExitCode::SUCCESS)
}
