//! `cci-dsl fmt [FILES] [--check]`: the one layout, written back under the file-system policy
//! of `cci_core::output::fs` (no link followed or replaced, mode and owner kept, read-only files
//! refused, the walk enters no linked directory); `-` formats standard input to standard output.

use super::args::Cli;
use super::{print_masked_diff, print_output, read_stdin, report, site_text, MAX_SITE_BYTES};
use cci_core::display::escaped;
use cci_core::output::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Formats each file (every `*.cci` under the working directory when none is named). Exit
/// status: 2 when a file could not be read or written (the others are still formatted), else
/// 1 when a file has syntax errors or, with `--check`, is not formatted.
pub fn run(cli: &Cli, files: &[PathBuf], check: bool) -> Result<ExitCode, String> {
    let files = if files.is_empty() {
        let (found, links) =
            fs::site_files(Path::new(".")).map_err(|e| format!("cannot read .: {e}"))?;
        for l in links {
            errln!(
                "note: skipped {}: a symbolic link (fmt follows no link)",
                escaped(&l.display().to_string())
            );
        }
        found
    } else {
        files.to_vec()
    };
    let (mut failed, mut io_failed) = (false, false);
    for path in &files {
        let done = if path.as_os_str() == "-" {
            stdin(cli, check)
        } else {
            file(cli, path, check)
        };
        match done {
            Ok(not_formatted) => failed |= not_formatted,
            Err(msg) => {
                errln!("error: {}", escaped(&msg));
                io_failed = true;
            }
        }
    }
    Ok(match (io_failed, failed) {
        (true, _) => ExitCode::from(2),
        (false, true) => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    })
}

/// The formatted text, or `None` (reported) when the text has syntax errors.
fn formatted(cli: &Cli, name: &str, text: &str) -> Option<String> {
    // A file that does not parse is reported, not formatted: its shape is not known.
    let mut sources = cci_core::span::Sources::default();
    let id = sources.add(name.to_string(), text.to_string());
    let (_, diags) = cci_core::parse::parse_file(text, id);
    if diags.has_errors() {
        report(cli, &diags, &sources);
        errln!("{}: not formatted (syntax errors)", escaped(name));
        return None;
    }
    Some(cci_core::format::format(text))
}

/// `fmt -`: standard input formatted to standard output (or, with `--check`, its diff).
fn stdin(cli: &Cli, check: bool) -> Result<bool, String> {
    let text = site_text("<stdin>", read_stdin("<stdin>")?)?;
    let Some(formatted) = formatted(cli, "<stdin>", &text) else {
        return Ok(true);
    };
    if check {
        if formatted != text {
            print_masked_diff(cli, "fmt", "<stdin>", "formatted", &text, &formatted);
        }
        return Ok(formatted != text);
    }
    print_output(cli, "fmt", "text", Some("<stdin>"), &formatted);
    Ok(false)
}

/// One named file: read (a regular file, not a link), formatted, replaced whole.
fn file(cli: &Cli, path: &Path, check: bool) -> Result<bool, String> {
    let (bytes, was) = fs::read_for_rewrite(path, MAX_SITE_BYTES).map_err(|e| e.to_string())?;
    let name = path.display().to_string();
    let text = site_text(&name, bytes)?;
    let Some(formatted) = formatted(cli, &name, &text) else {
        return Ok(true);
    };
    if formatted == text {
        return Ok(false);
    }
    if check {
        print_masked_diff(cli, "fmt", &escaped(&name), "formatted", &text, &formatted);
        return Ok(true);
    }
    fs::replace_file(path, &was, formatted.as_bytes()).map_err(|e| e.to_string())?;
    errln!("formatted {}", escaped(&name));
    Ok(false)
}
