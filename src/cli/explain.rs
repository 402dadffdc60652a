//! `cci-dsl explain [CODE]`: the long form of a diagnostic code, or the list of them.

use super::args::Cli;
use super::explain_examples::example;
use super::load_stdlib;
use cci_core::codes::Code;
use cci_core::explain::explanation;
use std::process::ExitCode;

pub fn run(cli: &Cli, code: Option<&str>) -> Result<ExitCode, String> {
    let Some(s) = code else {
        for c in Code::ALL {
            outln!("{}  {}", c.as_str(), c.title());
        }
        return Ok(ExitCode::SUCCESS);
    };
    let c = Code::parse(s)
        .ok_or_else(|| format!("unknown code `{s}`; `cci-dsl explain` lists them"))?;
    // The figures an explanation names are the stdlib's (`--stdlib` included).
    let lib = cci_core::stdlib_only(&load_stdlib(cli)?);
    outln!(
        "{}: {}\n\n{}\n",
        c.as_str(),
        c.title(),
        explanation(c, &lib)
    );
    if let Some((fixture, wrong, fixed)) = example(c.as_str()) {
        outln!(
            "Wrong (from {fixture}):\n\n{}\n\nFixed:\n\n{}\n",
            indented(&wrong),
            indented(&fixed)
        );
    }
    outln!("The language: docs/language.md, or `cci-dsl reference`.");
    Ok(ExitCode::SUCCESS)
}

/// Lines indented four spaces, as Markdown shows code.
fn indented(lines: &str) -> String {
    lines
        .lines()
        .map(|l| match l {
            "" => String::new(),
            l => format!("    {l}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}
