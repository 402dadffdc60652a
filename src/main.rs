//! The `cci-dsl` command line: reads files, calls the library, renders diagnostics, sets
//! the exit code (0 success, 1 the input has errors, 2 usage or I/O errors). Each subcommand
//! is one function of its own module under `cli/`.

use clap::{CommandFactory as _, FromArgMatches as _};
use std::process::ExitCode;

/// Print to stdout or stderr, ignoring a reader that went away (`cci-dsl graph | head`),
/// where `print!` would panic; the exit status still says how the command went.
macro_rules! out {
    ($($arg:tt)*) => {{ use std::io::Write as _; let _ = write!(std::io::stdout().lock(), $($arg)*); }};
}
macro_rules! outln {
    ($($arg:tt)*) => {{ use std::io::Write as _; let _ = writeln!(std::io::stdout().lock(), $($arg)*); }};
}
macro_rules! err {
    ($($arg:tt)*) => {{ use std::io::Write as _; let _ = write!(std::io::stderr().lock(), $($arg)*); }};
}
macro_rules! errln {
    ($($arg:tt)*) => {{ use std::io::Write as _; let _ = writeln!(std::io::stderr().lock(), $($arg)*); }};
}

mod cli;

use cli::args::{Cli, Command, CommandLine};

fn main() -> ExitCode {
    // A crash prints where it happened, never the input: a panic's message may quote the
    // site, which may hold a secret or a terminal escape.
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map_or_else(String::new, |l| format!(" at {}:{}", l.file(), l.line()));
        errln!("error: internal error{at}; please report it (the input is not shown)");
    }));
    let cli = match parse() {
        Ok(cli) => cli,
        // The release is read from the stdlib only when asked for: compiling it for every
        // command line would cost each command its time.
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayVersion => {
            outln!("{}", cli::generated::version());
            return ExitCode::SUCCESS;
        }
        Err(e) => e.exit(),
    };
    let code = match run(&cli) {
        Ok(code) => code,
        Err(msg) => {
            errln!("error: {}", cci_core::display::escaped(&msg));
            if cli::machine(&cli) {
                cli::print_failure(&msg);
            }
            ExitCode::from(2)
        }
    };
    if cli::machine(&cli) {
        cli::print_summary(&cli, code == ExitCode::SUCCESS);
    }
    code
}

/// The command line, each option taken by the subcommand it applies to.
fn parse() -> Result<Cli, clap::Error> {
    let matches = CommandLine::command().try_get_matches()?;
    let line = CommandLine::from_arg_matches(&matches)?;
    Cli::from_line(line, matches.subcommand_name().unwrap_or_default())
}

/// One call per subcommand.
fn run(cli: &Cli) -> Result<ExitCode, String> {
    match &cli.command {
        Command::Build {
            site,
            out,
            check,
            diff,
            ..
        } => cli::build::run(cli, site, out, *check, *diff),
        Command::Check { site, fix, .. } => cli::check::run(cli, site, *fix),
        Command::Graph {
            site, format, view, ..
        } => cli::graph::run(cli, site, *format, *view),
        Command::Plan { site, format, .. } => cli::plan::run(cli, site, *format),
        Command::Diff {
            old, new, format, ..
        } => cli::diff::run(cli, old, new, *format),
        Command::Explain { code, .. } => cli::explain::run(cli, code.as_deref()),
        Command::Fmt { files, check, .. } => cli::fmt::run(cli, files, *check),
        Command::Lsp { .. } => cli::lsp::run(cli),
        Command::Reference { .. } => cli::reference::run(cli),
        Command::Completions { shell } => cli::generated::completions(*shell),
        Command::Man { subcommand } => cli::generated::man(subcommand.as_deref()),
        Command::Import {
            tfvars,
            output,
            force,
        } => cli::import::run(tfvars, output.as_deref(), *force),
        Command::Init { path, answers } => cli::init::run(path, answers),
    }
}
