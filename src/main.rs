//! The `cci-dsl` command line: reads files, calls the library, renders diagnostics, sets
//! the exit code (0 success, 1 the input has errors, 2 usage or I/O errors).

mod lsp_server;

use cci_dsl::codes::Code;
use cci_dsl::diagnostics::{render, render_json, Style};
use cci_dsl::display::escaped;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "cci-dsl",
    version,
    about = "Compile a CircleCI Server 2.x site description into Terraform, IAM, security groups and cloud-init",
    long_about = "Compile a CircleCI Server 2.x site description (site.cci) into everything needed to stand it up on AWS:\n\
                  Terraform, IAM policy JSON, security groups, cloud-init user-data and a dependency graph.\n\n\
                  Every problem in the site file is reported at once, each with a code, the place and a fix.\n\
                  `cci-dsl explain CODE` prints the long form of a code.",
    after_help = "Exit status: 0 success, 1 the site has errors, 2 usage or I/O error.\n\
                  Start with: cci-dsl init site.cci && cci-dsl build site.cci -o out/"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
    /// How to print diagnostics.
    #[arg(long, global = true, value_enum, default_value_t = MessageFormat::Human)]
    message_format: MessageFormat,
    /// Colour and Unicode in diagnostics.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Read the stdlib from this directory instead of the embedded copy (its `*.cci` files).
    #[arg(long, global = true, value_name = "DIR")]
    stdlib: Option<PathBuf>,
    /// `--deny warnings`: a warning fails the command like an error (for CI); nothing is written.
    #[arg(long, global = true, value_enum, value_name = "WHAT")]
    deny: Vec<Deny>,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum Deny {
    Warnings,
}

#[derive(Subcommand)]
enum Command {
    /// Check the site and write every output into a directory, atomically.
    Build {
        /// The site file (`-` reads standard input).
        site: PathBuf,
        /// Output directory (replaced as a whole; files cci-dsl did not write are kept).
        #[arg(short, long, default_value = "out")]
        out: PathBuf,
        /// Write nothing; exit 1 naming each file of the output directory that is not what the
        /// site compiles to (for CI: is the committed `out/` up to date?).
        #[arg(long)]
        check: bool,
        /// With `--check`: print how each file differs (a unified diff).
        #[arg(long, requires = "check")]
        diff: bool,
    },
    /// Check the site and report every problem; write nothing.
    Check {
        /// The site file (`-` reads standard input).
        site: PathBuf,
    },
    /// Print the site's resource dependency graph, or its network flows (`--view network`).
    Graph {
        /// The site file (`-` reads standard input).
        site: PathBuf,
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
        /// `resources`: the Terraform resources and what depends on what; `network`: the port
        /// matrix, one node per endpoint, one edge per (from, to) with its ports.
        #[arg(long, value_enum, default_value_t = GraphView::Resources)]
        view: GraphView,
    },
    /// What the site will hold: containers per Nomad client and fleet at each resource class,
    /// the services box and client count against the guide's tables, monthly on-demand cost,
    /// the port matrix.
    Plan {
        /// The site file (`-` reads standard input).
        site: PathBuf,
        #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
        format: PlanFormat,
    },
    /// Explain a diagnostic code, e.g. `cci-dsl explain E0405`.
    Explain {
        /// The code; omit to list them all.
        code: Option<String>,
    },
    /// Format site files in the one canonical layout (comments kept where they are).
    Fmt {
        /// Files to format; none: every `*.cci` under the current directory.
        files: Vec<PathBuf>,
        /// Change nothing; exit 1 and print a diff when a file is not formatted (for CI).
        #[arg(long)]
        check: bool,
    },
    /// Run the language server on stdin/stdout (diagnostics as you type, hover, go to
    /// definition, completion, formatting).
    Lsp,
    /// Print the language reference (Markdown; docs/language.md is this output).
    Reference,
    /// Print a shell completion script: `cci-dsl completions bash > /etc/bash_completion.d/cci-dsl`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `cci-dsl man > cci-dsl.1 && man ./cci-dsl.1`.
    Man,
    /// Convert the terraform.tfvars of CircleCI's enterprise-setup Terraform into a site file.
    ///
    /// Every variable is reported on stderr: carried, to do (a placeholder or a guess marked
    /// `# TODO` in the site) or not carried, with why. The passphrase becomes `passphrase =
    /// secret`; it and the AWS keys are never copied or printed. Exit status: 0 success, 1 the
    /// tfvars are not HCL, 2 I/O (an existing output file without --force).
    Import {
        /// The tfvars file (`-` reads standard input).
        tfvars: PathBuf,
        /// Write the site here instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Overwrite the output file if it exists.
        #[arg(long, requires = "output")]
        force: bool,
    },
    /// Write a commented site file for the guide's default AWS install.
    Init {
        /// Where to write it.
        #[arg(default_value = "site.cci")]
        path: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum MessageFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, ValueEnum)]
enum PlanFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum GraphFormat {
    Dot,
    Mermaid,
    Json,
    /// Drawn and laid out by cci-dsl itself (no Graphviz needed).
    Svg,
}

#[derive(Clone, Copy, ValueEnum)]
enum GraphView {
    Resources,
    Network,
}

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

mod build_command;
mod fmt_command;

const INIT_TEMPLATE: &str = include_str!("../examples/default.cci");

fn main() -> ExitCode {
    // A crash prints where it happened, never the input: a panic's message may quote the
    // site, which may hold a secret or a terminal escape.
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map_or_else(String::new, |l| format!(" at {}:{}", l.file(), l.line()));
        errln!("error: internal error{at}; please report it (the input is not shown)");
    }));
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => code,
        Err(msg) => {
            errln!("error: {}", escaped(&msg));
            ExitCode::from(2)
        }
    }
}

fn run(cli: &Cli) -> Result<ExitCode, String> {
    match &cli.command {
        Command::Explain { code } => explain(code.as_deref()),
        Command::Fmt { files, check } => fmt_command::fmt(cli, files, *check),
        Command::Lsp => {
            lsp_server::run(load_stdlib(cli)?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Reference => {
            let c = cci_dsl::compile("<none>", "use circleci/2.16\n", &load_stdlib(cli)?);
            out!("{}", cci_dsl::resolve::language_reference(&c.stdlib));
            Ok(ExitCode::SUCCESS)
        }
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(
                *shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "cci-dsl",
                &mut buf,
            );
            out!("{}", String::from_utf8_lossy(&buf));
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
                .render(&mut buf)
                .map_err(|e| format!("cannot render the manual page: {e}"))?;
            out!("{}", String::from_utf8_lossy(&buf));
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            tfvars,
            output,
            force,
        } => import(tfvars, output.as_deref(), *force),
        Command::Init { path } => {
            cci_dsl::output::fs::write_new_file(path, INIT_TEMPLATE.as_bytes())
                .map_err(|e| format!("cannot write {e}"))?;
            errln!(
                "wrote {}: fill in the aws block and the actors, then `cci-dsl build {}`",
                path.display(),
                path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { site } => {
            let (name, text) = read_site(site)?;
            let read = file_reader(site);
            // Built in memory, not written: what only the outputs show (their size) is checked too.
            let c = cci_dsl::build_in(&name, &text, &load_stdlib(cli)?, &world(&read)).compilation;
            if report(cli, &c.diagnostics, &c.sources) {
                return Ok(ExitCode::from(1));
            }
            errln!(
                "{}: ok ({} warnings)",
                escaped(&name),
                c.diagnostics.warning_count()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Build {
            site,
            out,
            check,
            diff,
        } => build_command::build(cli, site, out, *check, *diff),
        Command::Plan { site, format } => {
            let (name, text) = read_site(site)?;
            let read = file_reader(site);
            let c = cci_dsl::compile_in(&name, &text, &load_stdlib(cli)?, &world(&read));
            let failed = report(cli, &c.diagnostics, &c.sources);
            match (&c.site, &c.network, failed) {
                (Some(s), Some(net), false) => {
                    let plan = cci_dsl::plan::plan(s, &c.stdlib, net);
                    match format {
                        PlanFormat::Text => out!("{}", cci_dsl::plan::text(&plan)),
                        PlanFormat::Json => out!("{:#}", cci_dsl::plan::json(&plan)),
                    }
                    Ok(ExitCode::SUCCESS)
                }
                _ => Ok(ExitCode::from(1)),
            }
        }
        Command::Graph { site, format, view } => {
            use cci_dsl::emit::graph_render::{render, Format, View};
            let (name, text) = read_site(site)?;
            let read = file_reader(site);
            let b = cci_dsl::build_in(&name, &text, &load_stdlib(cli)?, &world(&read));
            let failed = report(cli, &b.compilation.diagnostics, &b.compilation.sources);
            let c = &b.compilation;
            match (&b.graph, &c.site, &b.network, failed) {
                (Some(g), Some(s), Some(net), false) => {
                    let format = match format {
                        GraphFormat::Dot => Format::Dot,
                        GraphFormat::Mermaid => Format::Mermaid,
                        GraphFormat::Json => Format::Json,
                        GraphFormat::Svg => Format::Svg,
                    };
                    let view = match view {
                        GraphView::Resources => View::Resources,
                        GraphView::Network => View::Network,
                    };
                    out!("{}", render(view, format, g, net, s));
                    Ok(ExitCode::SUCCESS)
                }
                _ => Ok(ExitCode::from(1)),
            }
        }
    }
}

/// The largest file a site may name (a certificate chain is a few kilobytes).
const MAX_NAMED_FILE_BYTES: u64 = 1 << 20;

/// Reads the files a site names (`file("...")`), relative to the site file's directory:
/// regular files only (no FIFO, device or `/proc` file), at most 1 MiB.
pub(crate) fn file_reader(site: &Path) -> impl Fn(&str) -> Result<Vec<u8>, String> {
    let dir = match site.parent() {
        Some(d) if site.as_os_str() != "-" => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    move |relative: &str| {
        cci_dsl::output::fs::read_regular(&dir.join(relative), MAX_NAMED_FILE_BYTES).map_err(|e| {
            // The path is in the diagnostic already; say only why.
            let msg = e.to_string();
            match msg.rsplit_once(": ") {
                Some((_, why)) if e.kind() == std::io::ErrorKind::Other => why.to_string(),
                _ => msg,
            }
        })
    }
}

/// The files the site names, and now (certificates are checked against the clock).
pub(crate) fn world(read: &dyn Fn(&str) -> Result<Vec<u8>, String>) -> cci_dsl::World<'_> {
    let now_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    cci_dsl::World {
        read_file: read,
        now_unix,
    }
}

/// The largest site file read: far beyond any real site, small enough that every span fits.
pub(crate) const MAX_SITE_BYTES: u64 = 64 << 20;

/// The site's name as diagnostics show it, and its text; `-` reads standard input. A named
/// file must be a regular file (links followed) of at most 64 MiB.
pub(crate) fn read_site(path: &Path) -> Result<(String, String), String> {
    if path.as_os_str() == "-" {
        let name = "<stdin>";
        return Ok((name.into(), site_text(name, read_stdin(name)?)?));
    }
    let name = path.display().to_string();
    let bytes = cci_dsl::output::fs::read_source(path, MAX_SITE_BYTES)
        .map_err(|e| format!("cannot read {e}"))?;
    Ok((name.clone(), site_text(&name, bytes)?))
}

/// Standard input, at most 64 MiB.
pub(crate) fn read_stdin(name: &str) -> Result<Vec<u8>, String> {
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
pub(crate) fn site_text(name: &str, bytes: Vec<u8>) -> Result<String, String> {
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

pub(crate) fn load_stdlib(cli: &Cli) -> Result<Vec<(String, String)>, String> {
    let Some(dir) = &cli.stdlib else {
        return Ok(cci_dsl::stdlib::embedded());
    };
    let mut files = Vec::new();
    // Same load order as the embedded copy; any other *.cci files after, sorted.
    let known: Vec<&str> = cci_dsl::stdlib::FILES
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
        let bytes = cci_dsl::output::fs::read_source(&p, MAX_SITE_BYTES)
            .map_err(|e| format!("cannot read {e}"))?;
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
/// `--deny warnings`).
pub(crate) fn report(
    cli: &Cli,
    diags: &cci_dsl::diagnostics::Diagnostics,
    sources: &cci_dsl::span::Sources,
) -> bool {
    let denied = cli.deny.contains(&Deny::Warnings) && diags.warning_count() > 0;
    let fails = diags.has_errors() || denied;
    if diags.is_empty() {
        return fails;
    }
    match cli.message_format {
        MessageFormat::Json => err!("{}", render_json(diags, sources)),
        MessageFormat::Human => {
            let fancy = match cli.color {
                Color::Always => true,
                Color::Never => false,
                Color::Auto => {
                    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
                }
            };
            let style = if fancy { Style::Fancy } else { Style::Plain };
            err!("{}", render(diags, sources, style));
            errln!(
                "{} error(s), {} warning(s)",
                diags.error_count(),
                diags.warning_count()
            );
        }
    }
    if denied && !diags.has_errors() {
        errln!("error: warnings are denied (--deny warnings)");
    }
    fails
}

/// `cci-dsl import`: exit 1 when the tfvars are not HCL (or not UTF-8), 2 for I/O.
fn import(tfvars: &Path, output: Option<&Path>, force: bool) -> Result<ExitCode, String> {
    let (name, bytes) = if tfvars.as_os_str() == "-" {
        ("<stdin>".to_string(), read_stdin("<stdin>")?)
    } else {
        let bytes = cci_dsl::output::fs::read_source(tfvars, MAX_SITE_BYTES)
            .map_err(|e| format!("cannot read {e}"))?;
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
    let imported = match cci_dsl::import::import(text, &base) {
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
        let (_, was) = cci_dsl::output::fs::read_for_rewrite(path, MAX_SITE_BYTES)
            .map_err(|e| e.to_string())?;
        return cci_dsl::output::fs::replace_file(path, &was, bytes).map_err(|e| e.to_string());
    }
    // Never over anything without --force, even a file (or a link) that appears meanwhile.
    cci_dsl::output::fs::write_new_file(path, bytes).map_err(|e| {
        let msg = format!("cannot write {e}");
        if msg.ends_with("already exists; not overwriting it") {
            format!("{msg} (--force to replace it)")
        } else {
            msg
        }
    })
}

fn explain(code: Option<&str>) -> Result<ExitCode, String> {
    match code {
        None => {
            for c in Code::ALL {
                outln!("{}  {}", c.as_str(), c.title());
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(s) => match Code::parse(s) {
            Some(c) => {
                outln!(
                    "{}: {}\n\n{}\n\nThe language: docs/language.md, or `cci-dsl reference`.",
                    c.as_str(),
                    c.title(),
                    c.explanation()
                );
                Ok(ExitCode::SUCCESS)
            }
            None => Err(format!("unknown code `{s}`; `cci-dsl explain` lists them")),
        },
    }
}
