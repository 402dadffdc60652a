//! Names bound, values typed: the stdlib's and the site's syntax trees become the
//! [`model`](crate::model) types. Unknown names get a "did you mean", wrong types and
//! malformed values an error at their span; every problem is reported, none stops the stage.

use crate::ast::{self, Block, Item};
use crate::codes::Code;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::model::{Site, Stdlib};
use crate::span::Span;
use components::{read_actors, read_externals, read_fleets, read_services};
use fields::list_code;
use library::{read_library_block, Seen};
use release::require_release_blocks;
use rules::{read_rule, RuleScope};
use schema::quoted;
use site::read_site_block;
use std::collections::BTreeMap;

mod components;
mod credentials;
mod fields;
mod library;
mod operations;
mod plan_data;
mod policy;
mod reference;
pub use reference::{block_attributes, language_reference};
mod release;
mod rules;
mod schema;
mod site;

pub use site::passphrase_problem;
pub(crate) use site::MAX_NAME;

/// Block kinds that describe the product (normally in the stdlib; a site may add its own,
/// e.g. an instance type the catalog lacks).
const LIBRARY_KINDS: &[&str] = &[
    "release",
    "actor",
    "externalizable",
    "regions",
    "instance_type",
    "services_sizing",
    "nomad_requirements",
    "nomad_count",
    "policy",
    "machine",
    "os",
    "docker_repository",
    "nomad_client",
    "replicated",
    "output",
    "aws_limits",
    "build_isolation",
    "user_data",
    "proxy_exceptions",
    "not_externalizable",
    "resource_class",
    "prices",
    "enterprise_setup",
    "terraform_resource",
];

/// Library kinds other blocks refer to by name: read before the rest.
const NAMED_FIRST: &[&str] = &["actor", "externalizable", "regions"];

/// Block kinds that describe one site.
const SITE_KINDS: &[&str] = &["site", "actors", "services", "fleet", "external"];

/// Reads the library kinds of every given file into one [`Stdlib`]; `rule_files` says
/// which files' `allow` rules are the library's (the site's own rules are read with the site).
pub fn read_stdlib(files: &[&ast::File], rule_files: usize, diags: &mut Diagnostics) -> Stdlib {
    let mut lib = Stdlib::default();
    let mut seen = Seen::default();
    for first in [true, false] {
        for file in files {
            for item in &file.items {
                match item {
                    Item::Block(b)
                        if LIBRARY_KINDS.contains(&b.kind.node.as_str())
                            && NAMED_FIRST.contains(&b.kind.node.as_str()) == first =>
                    {
                        read_library_block(&mut lib, &mut seen, b, diags)
                    }
                    _ => {}
                }
            }
        }
    }
    // The stdlib's files are loaded first, so file 0 is the stdlib's first file.
    if rule_files > 0 {
        require_release_blocks(&seen, Span::new(crate::span::FileId(0), 0, 0), diags);
    }
    // Rules are read once every actor and externalizable service is known.
    for file in files.iter().take(rule_files) {
        for item in &file.items {
            if let Item::Allow(rule) = item {
                let rules = read_rule(rule, &lib, &RuleScope::Library, diags);
                lib.rules.extend(rules);
            }
        }
    }
    lib
}

/// Binds the site file against the stdlib. `None` when the site is too broken to model;
/// the diagnostics say why.
pub fn resolve_site(
    file: &ast::File,
    lib: &Stdlib,
    site_file_name: &str,
    sources: &crate::span::Sources,
    diags: &mut Diagnostics,
) -> Option<Site> {
    let whole = Span::new(
        sources.iter().last().map(|(id, _)| id).unwrap_or_default(),
        0,
        0,
    );
    credentials::refuse_credentials(file, diags);
    let items = sort_items(file, lib, whole, diags);
    let blocks = &items.blocks;
    let kind = |k: &str| blocks.get(k).map(Vec::as_slice).unwrap_or(&[]);
    let broken = |k: &str| file.broken.iter().any(|b| b == k);
    let site_block = single(blocks, "site", whole, broken("site"), lib, diags);
    let actors_block = single(blocks, "actors", whole, broken("actors"), lib, diags);
    let services_block = single(blocks, "services", whole, broken("services"), lib, diags);
    if kind("fleet").is_empty() && !broken("fleet") {
        diags.push(
            Diagnostic::new(Code::E0208, whole, "the site has no Nomad client fleet")
                .label("no `fleet` block in this file")
                .help(format!(
                    "add one: `fleet nomad {{ instance = {}  count = 1..5  disk = 100 GiB }}`",
                    quoted(&lib.nomad_machine.instance)
                )),
        );
    }

    let site = site_block.and_then(|b| read_site_block(b, lib, diags));
    let externals = read_externals(kind("external"), lib, diags);
    let users = site.as_ref().map(|s| s.daily_active_users);
    let services = services_block.and_then(|b| read_services(b, lib, users, diags));
    let fleets = read_fleets(kind("fleet"), lib, diags);
    let actors = read_actors(actors_block, lib, diags);

    // The site's rules, with the names the site adds (fleets, externals, its own actors).
    let scope = RuleScope::Site {
        fleets: fleets.iter().map(|f| f.name.clone()).collect(),
        externals: externals.keys().cloned().collect(),
        actors: actors.keys().cloned().collect(),
        vm_service: site.as_ref().is_some_and(|s| s.vm_service),
        file_name: site_file_name.to_string(),
    };
    let own_rules = items
        .rules
        .iter()
        .flat_map(|r| read_rule(r, lib, &scope, diags))
        .collect();
    let mut site = site?;
    site.services = services?;
    site.actors = actors;
    site.actors_span = actors_block.map(|b| b.span);
    site.fleets = fleets;
    site.externals = externals;
    site.own_rules = own_rules;
    Some(site)
}

/// A site file's items by what they are: its blocks by kind, its rules.
struct SiteItems<'a> {
    blocks: BTreeMap<&'a str, Vec<&'a Block>>,
    rules: Vec<&'a ast::AllowRule>,
}

/// Sorts the items; reports unknown blocks, a `use` of another library, and a missing `use`.
fn sort_items<'a>(
    file: &'a ast::File,
    lib: &Stdlib,
    whole: Span,
    diags: &mut Diagnostics,
) -> SiteItems<'a> {
    let mut items = SiteItems {
        blocks: BTreeMap::new(),
        rules: Vec::new(),
    };
    let mut use_seen = false;
    for item in &file.items {
        match item {
            Item::Use(u) => {
                use_seen = true;
                check_use(u, lib, diags);
            }
            Item::Block(b) => {
                let kind = b.kind.node.as_str();
                if SITE_KINDS.contains(&kind) {
                    items.blocks.entry(kind).or_default().push(b);
                } else if !LIBRARY_KINDS.contains(&kind) {
                    let candidates = SITE_KINDS.iter().chain(LIBRARY_KINDS).copied();
                    diags.push(
                        Diagnostic::new(
                            Code::E0201,
                            b.kind.span,
                            format!("unknown block `{kind}`"),
                        )
                        .label("not a block this language knows")
                        .help_name(kind, b.kind.span, candidates, || {
                            format!(
                                "a site is made of {}",
                                list_code(SITE_KINDS.iter().copied())
                            )
                        }),
                    );
                }
            }
            Item::Allow(r) => items.rules.push(r),
        }
    }
    if !use_seen {
        // Not fatal: the one release this compiler carries is assumed, but a site should pin
        // the release it was written for.
        diags.push(
            Diagnostic::new(
                Code::W0220,
                whole,
                "the site does not say which CircleCI Server release it targets",
            )
            .label("no `use` line in this file")
            .help(format!(
                "add `use circleci/{}` as the first line",
                lib.release
            )),
        );
    }
    items
}

fn check_use(u: &ast::UseDecl, lib: &Stdlib, diags: &mut Diagnostics) {
    let want = format!("circleci/{}", lib.release);
    if u.path.node != want {
        diags.push(
            Diagnostic::new(
                Code::E0209,
                u.path.span,
                format!("unknown library `{}`", u.path.node),
            )
            .label("not a known library")
            .help(format!(
                "this compiler carries `{want}`: write `use {want}`"
            )),
        );
    }
}

/// An `actors` block binding the actors the stdlib requires, for E0208's help.
fn actors_example(lib: &Stdlib) -> String {
    let bound: Vec<String> = lib
        .actors_in_order()
        .iter()
        .filter(|a| a.required == crate::model::Condition::Always)
        .enumerate()
        .map(|(i, a)| match i {
            0 => format!("{} = [10.0.0.0/8]", a.name),
            _ => format!("{} = [10.{i}.0.0/24]", a.name),
        })
        .collect();
    format!("actors {{ {} }}", bound.join("  "))
}

/// The one block of a kind; a missing one is reported unless it failed to parse.
fn single<'a>(
    blocks: &BTreeMap<&str, Vec<&'a Block>>,
    kind: &str,
    whole: Span,
    broken: bool,
    lib: &Stdlib,
    diags: &mut Diagnostics,
) -> Option<&'a Block> {
    match blocks.get(kind).map(Vec::as_slice).unwrap_or(&[]) {
        [] if broken => None,
        [] => {
            let example = match kind {
                "site" => "site \"acme\" { aws { ... } daily_active_users = 40  github = github_com  passphrase = secret }".to_string(),
                "actors" => actors_example(lib),
                _ => format!(
                    "services {{ instance = {}  disk = 100 GiB }}",
                    quoted(&lib.services_machine.instance)
                ),
            };
            diags.push(
                Diagnostic::new(
                    Code::E0208,
                    whole,
                    format!("the site has no `{kind}` block"),
                )
                .label(format!("no `{kind}` block in this file"))
                .help(format!("add `{example}`")),
            );
            None
        }
        [one] => Some(one),
        [first, rest @ ..] => {
            for b in rest {
                diags.push(
                    Diagnostic::new(Code::E0204, b.kind.span, format!("`{kind}` appears twice"))
                        .label(format!("second `{kind}` block"))
                        .with(first.kind.span, "first one here")
                        .help(format!("merge the two `{kind}` blocks into one")),
                );
            }
            Some(first)
        }
    }
}
