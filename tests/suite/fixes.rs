//! Every suggestion proven by applying it (as ruff and rustc test their fixes): for every
//! fixture under tests/fixtures/ and a set of generated mistakes, each edit a diagnostic
//! carries is applied alone and the site compiled again. The diagnostic it fixes (same code,
//! same place) is gone, and no error appears that was not there before.

use cci_core::codes::Code;
use cci_core::diagnostics::{Diagnostic, Suggestion};
use cci_core::span::FileId;
use cci_core::Compilation;
use std::collections::BTreeMap;

/// Compiled, not built: no suggestion is about an output, and the test stays fast.
fn compile(name: &str, text: &str) -> Compilation {
    cci_core::compile(name, text, &cci_core::stdlib::embedded())
}

/// Errors a right fix uncovers: the fixed value turns on something the site must then give,
/// which no edit can know. Each names its fixture, the code and why.
const UNCOVERED: &[(&str, Code, &str)] = &[
    (
        "tests/fixtures/resolve/unknown-condition.cci",
        Code::E0410,
        "`always` turns on the stdlib's `contractors` actor; its addresses are the site's to bind",
    ),
    (
        "tests/fixtures/resolve/unknown-function.cci",
        Code::E0409,
        "`enterprise(...)` makes GitHub Enterprise the site's; its addresses are the site's to bind",
    ),
];

fn site_file(c: &Compilation) -> FileId {
    c.sources.iter().last().map(|(id, _)| id).unwrap()
}

/// Errors by code and the line they are on, counted.
fn errors(c: &Compilation) -> BTreeMap<(Code, usize), usize> {
    let mut m = BTreeMap::new();
    for d in c.diagnostics.sorted().into_iter().filter(|d| d.is_error()) {
        *m.entry((d.code, c.sources.line_of(d.primary.span)))
            .or_default() += 1;
    }
    m
}

/// Where an offset of the text before `s` is after it.
fn moved(at: u32, s: &Suggestion) -> u32 {
    let delta = s.replacement.len() as i64 - i64::from(s.span.end - s.span.start);
    if at < s.span.start {
        at
    } else if at >= s.span.end {
        (i64::from(at) + delta) as u32
    } else {
        s.span.start
    }
}

/// What is wrong with applying `s` (fixing `d`) to `text`, if anything.
fn check_one(
    name: &str,
    text: &str,
    before: &Compilation,
    d: &Diagnostic,
    s: &Suggestion,
) -> Option<String> {
    let fixed = cci_core::fix::apply(text, std::slice::from_ref(s));
    let after = compile(name, &fixed);
    let at = moved(d.primary.span.start, s);
    let what = format!(
        "{name}: {} at line {}, `{}` -> `{}`",
        d.code.as_str(),
        before.sources.line_of(d.primary.span),
        &text[s.span.start as usize..s.span.end as usize],
        s.replacement
    );
    if after
        .diagnostics
        .iter()
        .any(|e| e.code == d.code && e.primary.span.start == at)
    {
        return Some(format!("{what}: the diagnostic is still there"));
    }
    // Lines move only when the edit adds or removes a newline; compare counts per code then.
    let newlines = |t: &str| t.matches('\n').count();
    let shifts =
        newlines(&s.replacement) != newlines(&text[s.span.start as usize..s.span.end as usize]);
    let (was, mut now) = (errors(before), errors(&after));
    now.retain(|(c, _), _| !UNCOVERED.iter().any(|(f, u, _)| *f == name && u == c));
    let new: Vec<String> = if shifts {
        let count = |m: &BTreeMap<(Code, usize), usize>, c: Code| -> usize {
            m.iter().filter(|((k, _), _)| *k == c).map(|(_, n)| n).sum()
        };
        now.keys()
            .map(|(c, _)| *c)
            .filter(|c| count(&now, *c) > count(&was, *c))
            .map(|c| c.as_str().to_string())
            .collect()
    } else {
        now.iter()
            .filter(|(k, n)| was.get(k).copied().unwrap_or(0) < **n)
            .map(|((c, l), _)| format!("{} at line {l}", c.as_str()))
            .collect()
    };
    if !new.is_empty() {
        let shown = cci_core::diagnostics::render(
            &after.diagnostics,
            &after.sources,
            cci_core::diagnostics::Style::Plain,
        );
        return Some(format!("{what}: new errors {new:?}\n{shown}"));
    }
    None
}

/// Every suggestion of every diagnostic of `text`, applied alone; returns how many were
/// tried and what went wrong.
fn prove(name: &str, text: &str) -> (usize, Vec<String>) {
    let before = compile(name, text);
    let file = site_file(&before);
    let mut tried = 0;
    let mut wrong = Vec::new();
    for d in before.diagnostics.sorted() {
        for s in d.suggestions.iter().filter(|s| s.span.file == file) {
            tried += 1;
            wrong.extend(check_one(name, text, &before, d, s));
        }
    }
    (tried, wrong)
}

fn fixtures() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let root = crate::root().join("tests/fixtures");
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "cci") {
                let name = format!(
                    "tests/fixtures/{}",
                    p.strip_prefix(&root).unwrap().display()
                );
                out.push((name, std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// Ordinary mistakes made in the examples: a misspelt name, a quoted number, a number without
/// its unit, a mistyped protocol or unit.
fn generated() -> Vec<(String, String)> {
    const MISTAKES: &[(&str, &str)] = &[
        ("disk     = 100 GiB", "disk     = \"100\""),
        ("disk     = 100 GiB", "disk     = \"100 GiB\""),
        ("disk     = 100 GiB", "disk     = 100"),
        ("disk     = 100 GiB", "disk     = 100 GiBs"),
        ("instance = \"m4.2xlarge\"", "instance = \"m4.2xlarg\""),
        ("instance = \"m4.2xlarge\"", "instnace = \"m4.2xlarge\""),
        ("daily_active_users = 40", "daily_active_users = \"40\""),
        (
            "github             = github_com",
            "github             = githbu_com",
        ),
        ("services {", "servces {"),
        ("fleet nomad {", "flet nomad {"),
        ("allow tcp", "allow tpc"),
        ("from users", "from usres"),
        ("to nomad", "to nomda"),
        ("ssh_key = \"ops\"", "ssh_key = ops"),
    ];
    let mut out = Vec::new();
    for e in std::fs::read_dir(crate::root().join("examples")).unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        for (i, (from, to)) in MISTAKES.iter().enumerate() {
            if text.contains(from) {
                let name = format!("{} (mistake {i})", p.file_name().unwrap().to_string_lossy());
                out.push((name, text.replacen(from, to, 1)));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_suggestion_fixes_its_diagnostic_and_adds_no_error() {
    let generated = generated();
    assert!(
        generated.len() >= 20,
        "{} generated mistakes",
        generated.len()
    );
    let sites: Vec<(String, String)> = fixtures().into_iter().chain(generated).collect();
    let total = sites.len();
    // Two threads (the machines that run the suite have two cores): each site is independent.
    let half = sites.len().div_ceil(2);
    let results: Vec<(usize, Vec<String>)> = std::thread::scope(|s| {
        let workers: Vec<_> = sites
            .chunks(half)
            .map(|chunk| {
                s.spawn(move || chunk.iter().map(|(n, t)| prove(n, t)).collect::<Vec<_>>())
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let tried: usize = results.iter().map(|(n, _)| n).sum();
    let with_edits = results.iter().filter(|(n, _)| *n > 0).count();
    let wrong: Vec<String> = results.into_iter().flat_map(|(_, w)| w).collect();
    eprintln!("{tried} suggestions tried in {with_edits} of {total} sites");
    assert!(tried >= 30, "only {tried} suggestions");
    assert!(
        wrong.is_empty(),
        "{} wrong suggestions:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

fn cli() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_cci-dsl"))
}

fn default_site() -> String {
    std::fs::read_to_string(crate::root().join("examples/default.cci")).unwrap()
}

/// Four ordinary mistakes in the default site, each with a certain fix.
fn with_mistakes() -> String {
    default_site()
        .replacen(
            "instance = \"m4.2xlarge\"  #",
            "instnace = \"m4.2xlarge\"  #",
            1,
        )
        .replacen("disk     = 100 GiB", "disk     = \"100\"", 1)
        .replacen("count    = 1..5", "count    = \"5\"", 1)
        .replacen(
            "github             = github_com",
            "github             = githbu_com",
            1,
        )
}

/// `check --fix` applies every certain fix, says what it changed, writes the file under fmt's
/// policy (the mode kept) and checks the result: the default site again, which passes.
#[test]
fn check_fix_applies_the_certain_fixes_and_keeps_the_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site.cci");
    std::fs::write(&site, with_mistakes()).unwrap();
    std::fs::set_permissions(&site, std::fs::Permissions::from_mode(0o640)).unwrap();
    let before = cli().arg("check").arg(&site).output().unwrap();
    assert_eq!(before.status.code(), Some(1));
    let o = cli().args(["check", "--fix"]).arg(&site).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let fixed = std::fs::read_to_string(&site).unwrap();
    assert!(err.contains("4 fixes applied"), "{err}");
    for word in ["E0202", "E0301", "E0219"] {
        assert!(err.contains(word), "{word} not reported as fixed: {err}");
    }
    assert!(fixed.contains("instance = \"m4.2xlarge\"  #"), "{fixed}");
    assert!(fixed.contains("disk     = 100 GiB"), "{fixed}");
    assert!(fixed.contains("count    = 5"), "{fixed}");
    assert!(fixed.contains("= github_com"), "{fixed}");
    let mode = std::fs::metadata(&site).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    // No temporary file left beside it.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

/// What has no certain fix is left, reported, and fails the check; a file with nothing to fix
/// is not rewritten.
#[test]
fn check_fix_leaves_what_a_person_must_choose() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site.cci");
    let text = default_site().replacen("\"m4.2xlarge\"  #", "\"t3.medium\"  #", 1);
    std::fs::write(&site, &text).unwrap();
    let o = cli().args(["check", "--fix"]).arg(&site).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("nothing to fix automatically"), "{err}");
    assert!(
        err.contains("E0405") && err.contains("possible fix"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&site).unwrap(), text);
}

/// A site given as a symbolic link is refused (fmt follows no link); neither the link nor its
/// target changes. Standard input cannot be fixed.
#[test]
fn check_fix_refuses_a_link_and_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("real.cci");
    let link = dir.path().join("site.cci");
    std::fs::write(&target, with_mistakes()).unwrap();
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let o = cli().args(["check", "--fix"]).arg(&link).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("link"), "{err}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), with_mistakes());
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let o = cli().args(["check", "--fix", "-"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

/// `--message-format json` carries the edits as rustc does.
#[test]
fn json_diagnostics_carry_their_suggestions() {
    let fixture = crate::root().join("tests/fixtures/parse/unknown-unit.cci");
    let o = cli()
        .args(["--message-format", "json", "check"])
        .arg(&fixture)
        .output()
        .unwrap();
    let text = String::from_utf8(o.stdout).unwrap();
    let d: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let s = &d["suggestions"][0];
    assert_eq!(s["replacement"], "GiB", "{d}");
    assert_eq!(s["applicability"], "MachineApplicable");
    assert_eq!(s["line"], d["line"]);
    let source = std::fs::read_to_string(&fixture).unwrap();
    let (start, end) = (
        s["byte_start"].as_u64().unwrap() as usize,
        s["byte_end"].as_u64().unwrap() as usize,
    );
    assert_eq!(&source[start..end], "GiBs");
    let line = source
        .lines()
        .nth(s["line"].as_u64().unwrap() as usize - 1)
        .unwrap();
    let column = s["column"].as_u64().unwrap() as usize;
    assert!(line[column - 1..].starts_with("GiBs"), "{line} at {column}");
}
