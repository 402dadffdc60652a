//! The subcommands, one module each, and what they share: reading the site and the stdlib,
//! the world a site is compiled in, printing diagnostics.

pub mod args;
pub mod build;
pub mod check;
pub mod diff;
pub mod explain;
pub mod explain_examples;
pub mod fmt;
pub mod generated;
pub mod graph;
pub mod import;
pub mod init;
pub mod lsp;
pub mod plan;
pub mod reference;

use args::{Cli, Color, Deny, MessageFormat};
use cci_core::diagnostics::{render, render_json, Diagnostics, Style};
use cci_core::display::shown_text;
use cci_core::output::fs::read_source;
use cci_core::secrets::secret_ranges;
use cci_core::span::Sources;
use cci_core::World;
use std::io::IsTerminal;
use std::path::Path;

/// Now, in seconds since the Unix epoch: certificates are checked against the clock.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The world a site is compiled in: the files it names (read by `read`), now, and the TLS
/// inspector of `cci-tls`.
pub fn world(read: &dyn Fn(&str) -> Result<Vec<u8>, String>) -> World<'_> {
    World {
        read_file: read,
        now_unix: now_unix(),
        inspect_tls: &cci_tls::inspect,
    }
}

/// The largest site file read: far beyond any real site, small enough that every span fits.
pub const MAX_SITE_BYTES: u64 = 64 << 20;

/// The site's name as diagnostics show it, and its text; `-` reads standard input. A named
/// file must be a regular file (links followed) of at most 64 MiB.
pub fn read_site(path: &Path) -> Result<(String, String), String> {
    if path.as_os_str() == "-" {
        let name = "<stdin>";
        return Ok((name.into(), site_text(name, read_stdin(name)?)?));
    }
    let name = path.display().to_string();
    let bytes = read_source(path, MAX_SITE_BYTES).map_err(|e| format!("cannot read {e}"))?;
    Ok((name.clone(), site_text(&name, bytes)?))
}

/// Standard input, at most 64 MiB.
pub fn read_stdin(name: &str) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(MAX_SITE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {name}: {e}"))?;
    if bytes.len() as u64 > MAX_SITE_BYTES {
        return Err(format!(
            "{name} is larger than {} MiB; a site file is a few kilobytes",
            MAX_SITE_BYTES >> 20
        ));
    }
    Ok(bytes)
}

/// A site's bytes as text: UTF-8, without the byte-order mark editors on Windows write.
pub fn site_text(name: &str, bytes: Vec<u8>) -> Result<String, String> {
    let mut text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "{name} is not UTF-8 text (byte {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(text)
}

/// The stdlib: the embedded copy, or `--stdlib DIR`'s `*.cci` files.
pub fn load_stdlib(cli: &Cli) -> Result<Vec<(String, String)>, String> {
    let Some(dir) = &cli.stdlib else {
        return Ok(cci_core::stdlib::embedded());
    };
    let mut files = Vec::new();
    // Same load order as the embedded copy; any other *.cci files after, sorted.
    let known: Vec<&str> = cci_core::stdlib::FILES
        .iter()
        .filter_map(|(n, _)| n.rsplit('/').next())
        .collect();
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".cci"))
        .collect();
    names.sort_by_key(|n| {
        (
            known.iter().position(|k| k == n).unwrap_or(usize::MAX),
            n.clone(),
        )
    });
    for n in names {
        let p = dir.join(&n);
        let bytes = read_source(&p, MAX_SITE_BYTES).map_err(|e| format!("cannot read {e}"))?;
        files.push((
            p.display().to_string(),
            site_text(&p.display().to_string(), bytes)?,
        ));
    }
    if files.is_empty() {
        return Err(format!("{} holds no .cci files", dir.display()));
    }
    Ok(files)
}

/// Prints the diagnostics; true when they fail the command (an error, or a warning under
/// `--deny warnings`). Under `--message-format json`, as JSON lines on standard output.
pub fn report(cli: &Cli, diags: &Diagnostics, sources: &Sources) -> bool {
    let denied = cli.deny.contains(&Deny::Warnings) && diags.warning_count() > 0;
    let fails = diags.has_errors() || denied;
    let (errors, warnings) = cli.reported.get();
    cli.reported.set((
        errors + diags.error_count(),
        warnings + diags.warning_count(),
    ));
    if diags.is_empty() {
        return fails;
    }
    if cli.message_format == MessageFormat::Json {
        // `--deny warnings` shows in the summary's `success`.
        out!("{}", render_json(diags, sources));
        return fails;
    }
    let fancy = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let style = if fancy { Style::Fancy } else { Style::Plain };
    err!("{}", render(diags, sources, style));
    errln!(
        "\n{} error(s), {} warning(s)",
        diags.error_count(),
        diags.warning_count()
    );
    if denied && !diags.has_errors() {
        errln!("error: warnings are denied (--deny warnings)");
    }
    fails
}

/// Whether standard output is for machines (`--message-format json`): JSON lines only.
pub fn machine(cli: &Cli) -> bool {
    cli.message_format == MessageFormat::Json
}

/// `--message-format json`'s last line: what was reported, and whether the command succeeded.
pub fn print_summary(cli: &Cli, success: bool) {
    let (errors, warnings) = cli.reported.get();
    outln!(
        "{}",
        serde_json::json!({
            "version": cci_core::JSON_VERSION,
            "type": "summary",
            "errors": errors,
            "warnings": warnings,
            "success": success,
        })
    );
}

/// A failure that is not a diagnostic (I/O, usage) as a record, under `--message-format json`;
/// stderr says it too.
pub fn print_failure(message: &str) {
    outln!(
        "{}",
        serde_json::json!({
            "version": cci_core::JSON_VERSION,
            "type": "failure",
            "message": cci_core::display::escaped(message),
        })
    );
}

/// A command's product (a plan, a diff, a graph, formatted text) on standard output: as it
/// is, or under `--message-format json` as one `output` record (JSON products embedded as
/// JSON, others as a string). `file` names the file a diff or text is of.
pub fn print_output(cli: &Cli, command: &str, format: &str, file: Option<&str>, text: &str) {
    if !machine(cli) {
        out!("{text}");
        return;
    }
    let content = match format {
        "json" => serde_json::from_str(text).unwrap_or_else(|_| text.into()),
        _ => serde_json::Value::from(text),
    };
    let mut record = serde_json::json!({
        "version": cci_core::JSON_VERSION,
        "type": "output",
        "command": command,
        "format": format,
    });
    if let Some(file) = file {
        record["file"] = file.into();
    }
    record["content"] = content;
    outln!("{record}");
}

/// A unified diff on standard output from `old` (headed `name`) to `new` (headed `name
/// (what)`), with anything that looks like a secret masked on both sides (the masks keep every
/// offset, so the diff is the same). `name` is shown as it is: escape it first. Under
/// `--message-format json`, an `output` record of `command`.
pub fn print_masked_diff(cli: &Cli, command: &str, name: &str, what: &str, old: &str, new: &str) {
    let mask = |t: &str| shown_text(t, &secret_ranges(t));
    let (old, new) = (mask(old), mask(new));
    let diff = similar::TextDiff::from_lines(&old, &new);
    let text = diff
        .unified_diff()
        .header(name, &format!("{name} ({what})"))
        .to_string();
    print_output(cli, command, "diff", Some(name), &text);
}
