//! `cci-dsl import TFVARS [-o SITE [--force]]`: exit 1 when the tfvars are not HCL (or not
//! UTF-8), 2 for I/O.

use super::{read_stdin, MAX_SITE_BYTES};
use cci_core::display::escaped;
use cci_core::output::fs;
use std::path::Path;
use std::process::ExitCode;

pub fn run(tfvars: &Path, output: Option<&Path>, force: bool) -> Result<ExitCode, String> {
    let (name, bytes) = if tfvars.as_os_str() == "-" {
        ("<stdin>".to_string(), read_stdin("<stdin>")?)
    } else {
        let bytes =
            fs::read_source(tfvars, MAX_SITE_BYTES).map_err(|e| format!("cannot read {e}"))?;
        (tfvars.display().to_string(), bytes)
    };
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            errln!(
                "error: {}: not UTF-8 text (byte {}); cannot read it as tfvars",
                escaped(&name),
                e.utf8_error().valid_up_to()
            );
            return Ok(ExitCode::from(1));
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let base = Path::new(&name)
        .file_name()
        .map_or(name.clone(), |f| f.to_string_lossy().to_string());
    let imported = match cci_import::import(text, &base) {
        Ok(i) => i,
        Err(e) => {
            errln!("error: {}: {e}", escaped(&name));
            return Ok(ExitCode::from(1));
        }
    };
    for note in &imported.report {
        errln!("{note}");
    }
    let Some(path) = output else {
        out!("{}", imported.site_text);
        return Ok(ExitCode::SUCCESS);
    };
    write_new_or_replace(path, imported.site_text.as_bytes(), force)?;
    let shown = escaped(&path.display().to_string());
    errln!("wrote {shown}: review its TODOs, then `cci-dsl check {shown}`");
    Ok(ExitCode::SUCCESS)
}

/// Writes a new file, or with `force` replaces an existing one under the file-system policy
/// (not through a link, its mode and owner kept, never a read-only file).
fn write_new_or_replace(path: &Path, bytes: &[u8], force: bool) -> Result<(), String> {
    if force && std::fs::symlink_metadata(path).is_ok() {
        let (_, was) = fs::read_for_rewrite(path, MAX_SITE_BYTES).map_err(|e| e.to_string())?;
        return fs::replace_file(path, &was, bytes).map_err(|e| e.to_string());
    }
    // Never over anything without --force, even a file (or a link) that appears meanwhile.
    fs::write_new_file(path, bytes).map_err(|e| {
        let msg = format!("cannot write {e}");
        if msg.ends_with("already exists; not overwriting it") {
            format!("{msg} (--force to replace it)")
        } else {
            msg
        }
    })
}
