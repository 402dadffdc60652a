//! `cci-dsl explain [CODE]`: the long form of a diagnostic code, or the list of them.

use cci_core::codes::Code;
use std::process::ExitCode;

pub fn run(code: Option<&str>) -> Result<ExitCode, String> {
    let Some(s) = code else {
        for c in Code::ALL {
            outln!("{}  {}", c.as_str(), c.title());
        }
        return Ok(ExitCode::SUCCESS);
    };
    let c = Code::parse(s)
        .ok_or_else(|| format!("unknown code `{s}`; `cci-dsl explain` lists them"))?;
    outln!(
        "{}: {}\n\n{}\n\nThe language: docs/language.md, or `cci-dsl reference`.",
        c.as_str(),
        c.title(),
        c.explanation()
    );
    Ok(ExitCode::SUCCESS)
}
