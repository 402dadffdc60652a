//! The command line's words: subcommands, their arguments and the global options, as clap
//! reads them (and `completions` and `man` print them).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

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
                  A subcommand's --message-format, --color, --deny and --stdlib may also come before its name.\n\
                  Start with: cci-dsl init site.cci --region R --vpc V --subnet S, decide its TODOs, then cci-dsl build site.cci -o out/"
)]
pub struct CommandLine {
    #[command(subcommand)]
    pub command: Command,
    // Before the subcommand's name (`cci-dsl --deny warnings build`), for the subcommands
    // that take them; `Cli::from_line` refuses them for the others.
    #[arg(long, value_enum, hide = true)]
    pub message_format: Option<MessageFormat>,
    #[arg(long, value_enum, hide = true)]
    pub color: Option<Color>,
    #[arg(long, value_name = "DIR", hide = true)]
    pub stdlib: Option<PathBuf>,
    #[arg(long, value_enum, value_name = "WHAT", hide = true)]
    pub deny: Vec<Deny>,
}

/// The options a subcommand runs with, wherever they were given (before or after its name).
pub struct Cli {
    pub command: Command,
    pub message_format: MessageFormat,
    pub color: Color,
    pub stdlib: Option<PathBuf>,
    pub deny: Vec<Deny>,
    /// The errors and warnings reported so far (`--message-format json`'s summary).
    pub reported: std::cell::Cell<(usize, usize)>,
}

impl Cli {
    /// The options of the command line; an option given before the subcommand's name that
    /// the subcommand does not take is a usage error (`cci-dsl --deny warnings man`).
    pub fn from_line(line: CommandLine, name: &str) -> Result<Cli, clap::Error> {
        let (diagnostics, deny, stdlib) = line.command.options();
        let refused = [
            (
                "--message-format",
                line.message_format.is_some() && diagnostics.is_none(),
            ),
            ("--color", line.color.is_some() && diagnostics.is_none()),
            ("--deny", !line.deny.is_empty() && deny.is_none()),
            ("--stdlib", line.stdlib.is_some() && stdlib.is_none()),
        ];
        if let Some((flag, _)) = refused.iter().find(|(_, refused)| *refused) {
            return Err(<CommandLine as clap::CommandFactory>::command().error(
                clap::error::ErrorKind::ArgumentConflict,
                format!("{flag} does not apply to `{name}`"),
            ));
        }
        let mut denied = line.deny.clone();
        denied.extend(deny.map_or(&[][..], |d| &d.deny));
        Ok(Cli {
            message_format: diagnostics
                .and_then(|d| d.message_format)
                .or(line.message_format)
                .unwrap_or(MessageFormat::Human),
            color: diagnostics
                .and_then(|d| d.color)
                .or(line.color)
                .unwrap_or(Color::Auto),
            stdlib: stdlib.and_then(|s| s.stdlib.clone()).or(line.stdlib),
            deny: denied,
            reported: Default::default(),
            command: line.command,
        })
    }
}

/// How diagnostics are printed, for the subcommands that print them.
#[derive(Args)]
pub struct DiagnosticOptions {
    /// How to print diagnostics (human when not given). `json`: standard output carries only
    /// JSON, one object a line, ending with a summary (docs/message-format.md).
    #[arg(long, value_enum)]
    pub message_format: Option<MessageFormat>,
    /// Colour and Unicode in diagnostics (auto when not given: on a terminal, without NO_COLOR).
    #[arg(long, value_enum)]
    pub color: Option<Color>,
}

/// `--deny warnings`, for the subcommands a warning may fail.
#[derive(Args)]
pub struct DenyOption {
    /// `--deny warnings`: a warning fails the command like an error (for CI); nothing is written.
    #[arg(long, value_enum, value_name = "WHAT")]
    pub deny: Vec<Deny>,
}

/// `--stdlib DIR`, for the subcommands that read the stdlib.
#[derive(Args)]
pub struct StdlibOption {
    /// Read the stdlib from this directory instead of the embedded copy (its `*.cci` files).
    #[arg(long, value_name = "DIR")]
    pub stdlib: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
pub enum Deny {
    Warnings,
}

#[derive(Subcommand)]
pub enum Command {
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
        #[command(flatten)]
        diagnostics: DiagnosticOptions,
        #[command(flatten)]
        deny: DenyOption,
        #[command(flatten)]
        stdlib: StdlibOption,
    },
    /// Check the site and report every problem; write nothing.
    Check {
        /// The site file (`-` reads standard input).
        site: PathBuf,
        /// Apply the machine-applicable fixes the diagnostics suggest and write the file back
        /// (atomically, as `fmt` does: no link followed, mode kept); then check again.
        #[arg(long)]
        fix: bool,
        #[command(flatten)]
        diagnostics: DiagnosticOptions,
        #[command(flatten)]
        deny: DenyOption,
        #[command(flatten)]
        stdlib: StdlibOption,
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
        #[command(flatten)]
        diagnostics: DiagnosticOptions,
        #[command(flatten)]
        deny: DenyOption,
        #[command(flatten)]
        stdlib: StdlibOption,
    },
    /// What the site will hold: containers per Nomad client and fleet at each resource class,
    /// the services box and client count against the guide's tables, monthly on-demand cost,
    /// the port matrix.
    Plan {
        /// The site file (`-` reads standard input).
        site: PathBuf,
        #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
        format: PlanFormat,
        #[command(flatten)]
        diagnostics: DiagnosticOptions,
        #[command(flatten)]
        deny: DenyOption,
        #[command(flatten)]
        stdlib: StdlibOption,
    },
    /// What a change to the site does: flows opened and closed (who, ports, exposure), actors'
    /// ranges, machines resized, fleets and their capacity, monthly cost, pins, and what
    /// Terraform will create, update, replace or destroy. Writes Markdown for a pull request.
    ///
    /// OLD and NEW are site files, or `REV:PATH` for a site file at a git revision
    /// (`main:site.cci` from the repository's root, `main:./site.cci` from here). Exit status:
    /// 0 the diff was printed (changed or not), 1 a site has errors, 2 usage or I/O error.
    Diff {
        /// The site before the change (a file, `REV:PATH`, or `-` for standard input).
        old: String,
        /// The site after the change.
        new: String,
        #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
        format: PlanFormat,
        #[command(flatten)]
        diagnostics: DiagnosticOptions,
        #[command(flatten)]
        deny: DenyOption,
        #[command(flatten)]
        stdlib: StdlibOption,
    },
    /// Explain a diagnostic code, e.g. `cci-dsl explain E0405`.
    Explain {
        /// The code; omit to list them all.
        code: Option<String>,
        #[command(flatten)]
        stdlib: StdlibOption,
    },
    /// Format site files in the one canonical layout (comments kept where they are).
    Fmt {
        /// Files to format; none: every `*.cci` under the current directory.
        files: Vec<PathBuf>,
        /// Change nothing; exit 1 and print a diff when a file is not formatted (for CI).
        #[arg(long)]
        check: bool,
        #[command(flatten)]
        diagnostics: DiagnosticOptions,
    },
    /// Run the language server on stdin/stdout (diagnostics as you type, hover, go to
    /// definition, completion, formatting).
    Lsp {
        #[command(flatten)]
        stdlib: StdlibOption,
    },
    /// Print the language reference (Markdown; docs/language.md is this output).
    Reference {
        #[command(flatten)]
        stdlib: StdlibOption,
    },
    /// Print a shell completion script: `cci-dsl completions bash > /etc/bash_completion.d/cci-dsl`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a manual page (roff): `cci-dsl man > cci-dsl.1 && man ./cci-dsl.1`; `cci-dsl man
    /// build` prints cci-dsl-build(1), the page of one subcommand.
    Man {
        /// The subcommand whose page to print; omit for cci-dsl(1).
        subcommand: Option<String>,
    },
    /// Convert the terraform.tfvars of CircleCI's enterprise-setup Terraform into a site file.
    ///
    /// Every variable is reported on stderr: carried, to do (a placeholder or a guess marked
    /// `# TODO(cci-dsl)` in the site, refused by `check` until decided) or not carried, with
    /// why. The passphrase becomes `passphrase = secret`; it and the AWS keys are never copied
    /// or printed. Exit status: 0 success, 1 the tfvars are not HCL, 2 I/O (an existing output
    /// file without --force).
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
    ///
    /// What only you can decide is written as `# TODO(cci-dsl): ...` (error E0108 until you
    /// decide it and delete the comment): the AWS settings not given as options, and who the
    /// end users and administrators are.
    Init {
        /// Where to write it.
        #[arg(default_value = "site.cci")]
        path: PathBuf,
        #[command(flatten)]
        answers: InitAnswers,
    },
}

/// What `init` writes instead of a placeholder.
#[derive(clap::Args, Default)]
pub struct InitAnswers {
    /// The site's name (default: the file's name, when it is a name).
    #[arg(long)]
    pub name: Option<String>,
    /// The AWS region, e.g. us-west-2.
    #[arg(long)]
    pub region: Option<String>,
    /// The VPC's id, e.g. vpc-0a1b2c3d.
    #[arg(long)]
    pub vpc: Option<String>,
    /// A subnet's id (repeat for more: the services box goes in the first).
    #[arg(long, value_name = "SUBNET")]
    pub subnet: Vec<String>,
    /// The EC2 key pair for SSH.
    #[arg(long)]
    pub ssh_key: Option<String>,
}

/// The options a subcommand takes (`None`: it does not take them).
type Options<'a> = (
    Option<&'a DiagnosticOptions>,
    Option<&'a DenyOption>,
    Option<&'a StdlibOption>,
);

impl Command {
    fn options(&self) -> Options<'_> {
        match self {
            Command::Build {
                diagnostics,
                deny,
                stdlib,
                ..
            }
            | Command::Check {
                diagnostics,
                deny,
                stdlib,
                ..
            }
            | Command::Graph {
                diagnostics,
                deny,
                stdlib,
                ..
            }
            | Command::Plan {
                diagnostics,
                deny,
                stdlib,
                ..
            }
            | Command::Diff {
                diagnostics,
                deny,
                stdlib,
                ..
            } => (Some(diagnostics), Some(deny), Some(stdlib)),
            Command::Fmt { diagnostics, .. } => (Some(diagnostics), None, None),
            Command::Explain { stdlib, .. }
            | Command::Lsp { stdlib }
            | Command::Reference { stdlib } => (None, None, Some(stdlib)),
            Command::Completions { .. }
            | Command::Man { .. }
            | Command::Import { .. }
            | Command::Init { .. } => (None, None, None),
        }
    }
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
pub enum MessageFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum PlanFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
    Json,
    /// Drawn and laid out by cci-dsl itself (no Graphviz needed).
    Svg,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum GraphView {
    Resources,
    Network,
}
