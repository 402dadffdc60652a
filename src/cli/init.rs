//! `cci-dsl init [PATH]`: a commented site file for the guide's default install.

use cci_core::output::fs::write_new_file;
use std::path::Path;
use std::process::ExitCode;

/// The default example, as it is committed.
const INIT_TEMPLATE: &str = include_str!("../../examples/default.cci");

pub fn run(path: &Path) -> Result<ExitCode, String> {
    write_new_file(path, INIT_TEMPLATE.as_bytes()).map_err(|e| format!("cannot write {e}"))?;
    errln!(
        "wrote {}: fill in the aws block and the actors, then `cci-dsl build {}`",
        path.display(),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}
