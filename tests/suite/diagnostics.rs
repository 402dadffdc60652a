//! Bad input: every fixture under tests/fixtures/ is a small site with one kind of mistake;
//! its rendered diagnostics are snapshotted with the source beside them
//! (snapshots/diagnostics/). Fixtures are grouped by the stage that catches them.

use cci_core::codes::Code;

#[test]
fn fixture() {
    insta::glob!("../fixtures", "**/*.cci", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let name = format!(
            "tests/fixtures/{}",
            path.strip_prefix(crate::root().join("tests/fixtures"))
                .unwrap()
                .display()
        );
        let b = cci_core::build(&name, &text, &cci_core::stdlib::embedded());
        let diags = &b.compilation.diagnostics;
        assert!(!diags.is_empty(), "{name}: no diagnostic");
        for d in diags.iter() {
            assert!(d.help.is_some(), "{name}: {} has no help", d.code.as_str());
            assert!(
                !d.message.ends_with('.'),
                "{name}: messages end without a period"
            );
            assert!(
                d.primary.span.file.0 as usize == b.compilation.sources.iter().count() - 1,
                "{name}: {} points outside the site file",
                d.code.as_str()
            );
        }
        // A fixture that only warns must still build.
        assert_eq!(b.outputs.is_some(), !diags.has_errors(), "{name}");
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("../../snapshots/diagnostics");
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        // The input beside what it produces, so a reviewer reads one file.
        let shown = format!(
            "── {name} ──\n{text}── diagnostics ──\n{}",
            crate::rendered(&b.compilation)
        );
        settings.bind(|| insta::assert_snapshot!(shown));
    });
}

#[test]
fn every_code_is_unique_and_explained() {
    let mut seen = std::collections::BTreeSet::new();
    for c in Code::ALL {
        assert!(seen.insert(c.as_str()), "{} twice", c.as_str());
        assert!(!c.title().is_empty() && !c.explanation_template().is_empty());
        assert_eq!(Code::parse(c.as_str()), Some(*c));
    }
}

/// An explanation names the stdlib's figures by placeholder; filled in from the embedded
/// stdlib, none is left, and one from an edited stdlib says the edited figure.
#[test]
fn every_explanation_takes_its_figures_from_the_stdlib() {
    let lib = cci_core::stdlib_only(&cci_core::stdlib::embedded());
    for c in Code::ALL {
        let text = cci_core::explain::explanation(*c, &lib);
        let left = text.match_indices('{').find(|(i, _)| {
            let rest = &text[i + 1..];
            let name: String = rest
                .chars()
                .take_while(|ch| ch.is_ascii_lowercase() || *ch == '_')
                .collect();
            !name.is_empty() && rest[name.len()..].starts_with('}')
        });
        assert!(
            left.is_none(),
            "{}: a placeholder is left in {text}",
            c.as_str()
        );
    }
    let edited: Vec<(String, String)> = cci_core::stdlib::embedded()
        .into_iter()
        .map(|(n, t)| {
            (
                n,
                t.replace("  min_vcpu        = 4\n", "  min_vcpu        = 6\n"),
            )
        })
        .collect();
    let lib = cci_core::stdlib_only(&edited);
    assert!(cci_core::explain::explanation(Code::E0401, &lib).contains("at least 6 cores"));
}

/// Each code is raised by the stage its number names (E01xx parse, E02xx/E03xx resolve, E04xx
/// check, E05xx graph, E06xx emission), and only there.
#[test]
fn every_code_is_raised_by_its_own_stage() {
    const CORE: &str = "crates/cci-core/src";
    use cci_core::codes::Stage;
    let stage_of = |path: &std::path::Path| -> Option<Stage> {
        let p = path.strip_prefix(crate::root().join(CORE)).ok()?;
        let s = p.to_str()?;
        Some(match s {
            "lib.rs" => Stage::Emit,
            _ if s.starts_with("resolve/") => Stage::Resolve,
            _ if s.starts_with("emit/") => Stage::Emit,
            _ if s.starts_with("graph/") => Stage::Graph,
            _ if s.starts_with("parse/") => Stage::Parse,
            _ if s.starts_with("check/") => Stage::Check,
            _ => return None,
        })
    };
    let mut raised = 0;
    for (p, text) in crate::files_under(CORE) {
        for (i, _) in text.match_indices("Code::") {
            let name: String = text[i + 6..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            let Some(code) = Code::parse(&name) else {
                continue;
            };
            raised += 1;
            let stage = stage_of(&p);
            assert_eq!(
                stage,
                Some(code.stage()),
                "{name} raised in {}",
                p.display()
            );
        }
    }
    assert!(raised > 60, "only {raised} places raise a code");
}

#[test]
fn the_fixtures_exercise_at_least_twenty_codes() {
    let mut codes = std::collections::BTreeSet::new();
    for entry in walk(&crate::root().join("tests/fixtures")) {
        let text = std::fs::read_to_string(&entry).unwrap();
        let b = cci_core::compile("f.cci", &text, &cci_core::stdlib::embedded());
        codes.extend(b.diagnostics.iter().map(|d| d.code.as_str()));
    }
    assert!(
        codes.len() >= 20,
        "only {} codes exercised: {codes:?}",
        codes.len()
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "cci") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The cycle check names the loop (no site can make one today, so the graph is built here).
#[test]
fn a_dependency_cycle_is_an_error_that_names_the_path() {
    use cci_core::graph::{stable_toposort, Node, Resource, TfFile};
    let mut g = petgraph::graph::DiGraph::<Node, ()>::new();
    let mk = |a: &str| Node {
        address: a.into(),
        file: TfFile::Outputs,
        resource: Resource::Outputs,
        rank: a.into(),
    };
    let a = g.add_node(mk("aws_a.one"));
    let b = g.add_node(mk("aws_b.two"));
    let c = g.add_node(mk("aws_c.three"));
    let d = g.add_node(mk("aws_d.free"));
    g.add_edge(a, b, ());
    g.add_edge(b, c, ());
    g.add_edge(c, a, ());
    g.add_edge(d, a, ());
    let cycle = stable_toposort(&g).expect_err("a cycle");
    let diag = cci_core::graph::cycle_diagnostic(&g, &cycle, cci_core::span::Span::default());
    assert_eq!(diag.code, Code::E0501);
    assert_eq!(
        diag.message,
        "dependency cycle: aws_a.one -> aws_b.two -> aws_c.three -> aws_a.one"
    );
}

/// What AWS would refuse is said before apply: more fleets than Auto Scaling groups allowed
/// (W0425), and names longer than AWS takes (E0422, with a stdlib whose limit is lower).
#[test]
fn aws_limits_are_checked_before_apply() {
    let site = std::fs::read_to_string(crate::root().join("examples/default.cci")).unwrap();
    let fleets: String = (0..501)
        .map(|i| {
            format!("fleet f{i} {{ instance = \"m4.2xlarge\"  count = 0..1  disk = 100 GiB }}\n")
        })
        .collect();
    let b = cci_core::compile(
        "many.cci",
        &format!("{site}{fleets}"),
        &cci_core::stdlib::embedded(),
    );
    assert!(b.diagnostics.iter().any(|d| d.code == Code::W0425));

    let mut lib = cci_core::stdlib::embedded();
    for (_, text) in lib.iter_mut() {
        *text = text.replace("role_name_length = 64", "role_name_length = 20");
    }
    let b = cci_core::compile("site.cci", &site, &lib);
    let shown = crate::rendered(&b);
    assert!(
        shown.contains("E0422") && shown.contains("acme-circleci-services"),
        "{shown}"
    );

    // A prefix counts with the 26 characters Terraform appends; the fleet's name is pointed at.
    // `acme-nomad-nomad-` is 17 characters: 43 with the suffix.
    for (limit, reported) in [(43, false), (42, true)] {
        let mut lib = cci_core::stdlib::embedded();
        for (_, text) in lib.iter_mut() {
            *text = text.replace(
                "launch_template_name_length = 128",
                &format!("launch_template_name_length = {limit}"),
            );
        }
        let b = cci_core::compile("site.cci", &site, &lib);
        let d = b.diagnostics.iter().find(|d| d.code == Code::E0422);
        assert_eq!(d.is_some(), reported, "limit {limit}");
        if let Some(d) = d {
            assert!(d.message.contains("`acme-nomad-nomad-`"), "{}", d.message);
            assert_eq!(
                &site[d.primary.span.start as usize..d.primary.span.end as usize],
                "nomad",
                "points at the fleet's name"
            );
        }
    }
}

/// Codes no fixture under tests/fixtures/ produces, each with where it is tested instead.
const NOT_FROM_A_FIXTURE: &[(&str, &str)] = &[
    // Only an edited stdlib can be wrong this way (a fixture is a site on the embedded one).
    (
        "E0214",
        "an actor the stdlib names: release.rs, edited stdlib",
    ),
    ("E0315", "a release's checksum: release.rs, edited stdlib"),
    (
        "E0321",
        "a price of the stdlib: resolve/plan_data.rs unit tests",
    ),
    ("W0419", "an output's port: release.rs, edited stdlib"),
    (
        "E0420",
        "the Nomad servers' port: release.rs, edited stdlib",
    ),
    (
        "E0501",
        "a dependency cycle between the stdlib's groups: stdlib.rs, diagnostics.rs",
    ),
    ("E0601", "a template that fails: a bug, no input reaches it"),
    // Reached with I/O: the certificate and key files a site names (World::none reads none).
    ("E0431", "tls.rs"),
    ("E0432", "tls.rs"),
    ("E0433", "tls.rs"),
    ("E0434", "tls.rs"),
    ("E0435", "tls.rs"),
    ("W0436", "tls.rs"),
    ("E0437", "tls.rs"),
    ("E0438", "tls.rs"),
    // Sizes a small fixture does not reach: generated sites.
    ("W0425", "hundreds of fleets: diagnostics.rs, generated"),
    (
        "E0602",
        "user-data over 16 KB gzipped: user_data.rs, generated",
    ),
    ("W0603", "user-data near the limit: user_data.rs, generated"),
];

/// Every code of the code table is produced by some fixture (its snapshot shows how it reads),
/// or is listed above with the reason.
#[test]
fn every_code_has_a_fixture_that_produces_it() {
    let mut produced = std::collections::BTreeSet::new();
    for (p, text) in crate::files_under("tests/fixtures") {
        if p.extension().is_none_or(|x| x != "cci") {
            continue;
        }
        let name = p.display().to_string();
        let b = cci_core::build(&name, &text, &cci_core::stdlib::embedded());
        produced.extend(b.compilation.diagnostics.iter().map(|d| d.code));
    }
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| !produced.contains(*c))
        .map(|c| c.as_str())
        .filter(|c| !NOT_FROM_A_FIXTURE.iter().any(|(e, _)| e == c))
        .collect();
    assert!(missing.is_empty(), "no fixture produces {missing:?}");
    for (e, _) in NOT_FROM_A_FIXTURE {
        let c = Code::parse(e).unwrap();
        assert!(
            !produced.contains(&c),
            "{e} is exempt but a fixture produces it"
        );
    }
}
