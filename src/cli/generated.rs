//! `cci-dsl completions SHELL`, `cci-dsl man` and `--version`: generated from the clap
//! definitions and the embedded stdlib.

use super::args::CommandLine;
use std::process::ExitCode;

pub fn completions(shell: clap_complete::Shell) -> Result<ExitCode, String> {
    let mut buf = Vec::new();
    clap_complete::generate(
        shell,
        &mut <CommandLine as clap::CommandFactory>::command(),
        "cci-dsl",
        &mut buf,
    );
    let mut script = String::from_utf8_lossy(&buf).into_owned();
    if shell == clap_complete::Shell::Bash {
        script = bash_fixed(&script);
    }
    out!("{script}");
    Ok(ExitCode::SUCCESS)
}

/// clap_complete's bash script for a hyphenated name (clap-rs/clap#6421) names each
/// subcommand's state `cci__subcmd__dsl__subcmd__build` where it matches, but sets
/// `cci__dsl__subcmd__build`, so nothing after the subcommand completes: one spelling for both.
fn bash_fixed(script: &str) -> String {
    script.replace("cci__subcmd__dsl", "cci__dsl")
}

/// The manual page of `cci-dsl`, or with a name, of its subcommand: `cci-dsl man build` is
/// cci-dsl-build(1), the page the main page's SUBCOMMANDS section names.
pub fn man(page: Option<&str>) -> Result<ExitCode, String> {
    // Built, the subcommands are named `cci-dsl-build` and their synopsis `cci-dsl build`;
    // `help` has no page of its own (it is `--help`).
    let mut cmd = <CommandLine as clap::CommandFactory>::command().disable_help_subcommand(true);
    cmd.build();
    let cmd = match page {
        None => cmd,
        Some(name) => cmd.find_subcommand(name).cloned().ok_or_else(|| {
            let names: Vec<&str> = cmd.get_subcommands().map(clap::Command::get_name).collect();
            format!(
                "no manual page for `{name}`; the subcommands are {}",
                names.join(", ")
            )
        })?,
    };
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd)
        .source(format!("cci-dsl {}", env!("CARGO_PKG_VERSION")))
        .render(&mut buf)
        .map_err(|e| format!("cannot render the manual page: {e}"))?;
    out!("{}", String::from_utf8_lossy(&buf));
    Ok(ExitCode::SUCCESS)
}

/// `--version`'s line: this program's version and the release the embedded stdlib describes
/// (its `release` block), e.g. `cci-dsl 0.1.0 (CircleCI Server X.Y, stdlib embedded)`.
pub fn version() -> String {
    let lib = cci_core::stdlib_only(&cci_core::stdlib::embedded());
    format!(
        "cci-dsl {} (CircleCI Server {}, stdlib embedded)",
        env!("CARGO_PKG_VERSION"),
        lib.release
    )
}
