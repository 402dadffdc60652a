//! cci-dsl: compiles a declarative description of a CircleCI Server 2.x site into Terraform,
//! IAM policies, security groups, cloud-init user-data and a dependency graph.
//!
//! The pipeline, one module per stage (see ARCHITECTURE.md):
//!
//! ```text
//! source ─parse─▶ ast ─resolve─▶ model ─network─▶ security groups ─check─▶ (checked)
//!        ─graph─▶ resource graph ─emit─▶ files (in memory) ─output─▶ disk (CLI only)
//! ```
//!
//! The library does no I/O except in [`output`]; the CLI reads files and calls [`build`].
//! What comes from outside the site's text (the files it names, the clock, the TLS inspector)
//! comes in a [`World`].

pub mod ast;
pub mod check;
pub mod codes;
pub mod diagnostics;
pub mod diff;
pub mod display;
pub mod emit;
pub mod explain;
pub mod fix;
pub mod format;
pub mod graph;
pub mod matrix;
pub mod model;
pub mod names;
pub mod network;
pub mod output;
pub mod parse;
pub mod plan;
pub mod resolve;
pub mod secrets;
pub mod shapes;
pub mod span;
pub mod stdlib;
pub mod suggest;
pub mod tls;
pub mod values;
pub mod world;

pub use world::World;

pub use display::JSON_VERSION;

use codes::Code;
use diagnostics::{Diagnostic, Diagnostics};
use span::Sources;

/// The front half of the pipeline: parse, resolve, check.
pub struct Compilation {
    pub sources: Sources,
    pub diagnostics: Diagnostics,
    pub stdlib: model::Stdlib,
    /// `None` when the site is too broken to model.
    pub site: Option<model::Site>,
    /// The site's flows and security groups, as `check` read them; `None` without a site.
    pub network: Option<network::Network>,
    /// The site file's lossless syntax tree (the editor's answers read it).
    pub site_tree: rowan::GreenNode,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.has_errors()
    }
}

/// Parses and checks a site against a stdlib (normally [`stdlib::embedded`]).
pub fn compile(site_name: &str, site_text: &str, stdlib_files: &[(String, String)]) -> Compilation {
    compile_in(site_name, site_text, stdlib_files, &World::none())
}

/// The stdlib alone, as a site that adds nothing to it sees it (the language reference, an
/// editor's hover texts, `import`).
pub fn stdlib_only(stdlib_files: &[(String, String)]) -> model::Stdlib {
    compile("<stdlib>", "", stdlib_files).stdlib
}

/// [`compile`], with the files the site names and the time.
pub fn compile_in(
    site_name: &str,
    site_text: &str,
    stdlib_files: &[(String, String)],
    world: &World,
) -> Compilation {
    let mut sources = Sources::default();
    let mut diagnostics = Diagnostics::default();
    let mut lib_asts = Vec::new();
    for (name, text) in stdlib_files {
        let id = sources.add(name.clone(), text.clone());
        let (ast, d) = parse::parse_file(text, id);
        diagnostics.extend(d);
        lib_asts.push(ast);
    }
    let site_id = sources.add(site_name, site_text);
    let site_tree = parse::parse_tree(site_text);
    let (site_ast, d) = parse::lower_parsed(&site_tree, site_id);
    diagnostics.extend(d);
    parse::open_decisions(&site_tree.green, site_id, &mut diagnostics);

    // The site may add library kinds of its own (an instance type the catalog lacks).
    let mut all: Vec<&ast::File> = lib_asts.iter().collect();
    all.push(&site_ast);
    let stdlib = resolve::read_stdlib(&all, lib_asts.len(), &mut diagnostics);
    // Rules carry their origin (file:line) into the outputs: the file name, never its path.
    let site = resolve::resolve_site(
        &site_ast,
        &stdlib,
        file_name(site_name),
        &sources,
        &mut diagnostics,
    );
    let network = site
        .as_ref()
        .map(|s| check::check_site(s, &stdlib, world, &mut diagnostics));
    Compilation {
        sources,
        diagnostics,
        stdlib,
        site,
        network,
        site_tree: site_tree.green,
    }
}

/// The site file's name without its directories, as the outputs' headers name it: an output
/// never depends on the working directory or on how the path was typed (`site.cci`,
/// `./site.cci`, `/abs/site.cci` give the same bytes; tested in tests/suite/output.rs).
fn file_name(site_name: &str) -> &str {
    site_name
        .rsplit(['/', '\\'])
        .find(|part| !part.is_empty() && *part != ".")
        .unwrap_or(site_name)
}

/// Everything `build` produces.
pub struct Build {
    pub compilation: Compilation,
    pub network: Option<network::Network>,
    pub graph: Option<graph::ResourceGraph>,
    /// `Some` only when there are no errors.
    pub outputs: Option<emit::Outputs>,
}

/// The whole pipeline, in memory. Outputs exist only when no stage reported an error.
pub fn build(site_name: &str, site_text: &str, stdlib_files: &[(String, String)]) -> Build {
    build_in(site_name, site_text, stdlib_files, &World::none())
}

/// [`build`], with the files the site names and the time.
pub fn build_in(
    site_name: &str,
    site_text: &str,
    stdlib_files: &[(String, String)],
    world: &World,
) -> Build {
    let mut compilation = compile_in(site_name, site_text, stdlib_files, world);
    let site = match (&compilation.site, compilation.has_errors()) {
        (Some(site), false) => site.clone(),
        _ => {
            return Build {
                compilation,
                network: None,
                graph: None,
                outputs: None,
            };
        }
    };
    let net = compilation.network.take().unwrap_or_default();
    let g = graph::build(
        &site,
        &compilation.stdlib,
        &net,
        &mut compilation.diagnostics,
    );
    let mut outputs = None;
    if !compilation.has_errors() {
        let input = emit::Input {
            site: &site,
            lib: &compilation.stdlib,
            net: &net,
            graph: &g,
            source_name: file_name(site_name),
        };
        let emitted = emit::emit(&input, emit::templates(), &mut compilation.diagnostics);
        match emitted {
            Ok(o) if !compilation.diagnostics.has_errors() => outputs = Some(o),
            Ok(_) => {}
            Err(e) => compilation.diagnostics.push(
                Diagnostic::new(Code::E0601, site.name_span, format!("output could not be produced: {}", e.0))
                    .label("while emitting this site")
                    .help("this is a bug in cci-dsl or in an edited stdlib template; please report it with the site file"),
            ),
        }
    }
    Build {
        compilation,
        network: Some(net),
        graph: Some(g),
        outputs,
    }
}
