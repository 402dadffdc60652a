//! docs/requirements.md, the map from every part of the vendor guide to what implements it,
//! cannot drift from the checkout: its counts are its tables', and every code, path, output
//! file and citation it names exists where it says.

use std::path::PathBuf;

/// The values the `status` column may take.
const STATUSES: &[&str] = &["implemented", "out of scope"];

/// Output files of a build: cited by their path inside the output directory.
const OUTPUT_DIRS: &[&str] = &["terraform/", "iam/", "cloud-init/", "graph/"];
const OUTPUT_FILES: &[&str] = &["ports.md", "security-groups.json"];

/// Directories of the checkout whose paths the map names.
const CHECKOUT_DIRS: &[&str] = &["stdlib/", "src/", "crates/", "tests/", "examples/"];

fn doc() -> String {
    std::fs::read_to_string(crate::root().join("docs/requirements.md"))
        .expect("docs/requirements.md is readable")
}

/// The cells of a Markdown table row, trimmed; `None` for a line that is not one.
fn cells(line: &str) -> Option<Vec<&str>> {
    let inner = line.trim().strip_prefix('|')?.strip_suffix('|')?;
    Some(inner.split('|').map(str::trim).collect())
}

/// The tables whose header is `header`: their body rows, cells trimmed.
fn table_rows<'a>(doc: &'a str, header: &[&str]) -> Vec<Vec<&'a str>> {
    let mut rows = Vec::new();
    let mut inside = false;
    for line in doc.lines() {
        match cells(line) {
            Some(c) if c == header => inside = true,
            Some(c) if inside && c.iter().all(|x| x.chars().all(|ch| ch == '-')) => {}
            Some(c) if inside => rows.push(c),
            _ => inside = false,
        }
    }
    rows
}

/// The texts in backticks, in order. Every line holds whole spans (checked here), so splitting
/// the text at backticks pairs them.
fn code_spans(doc: &str) -> Vec<&str> {
    for (n, line) in doc.lines().enumerate() {
        assert!(
            line.matches('`').count() % 2 == 0,
            "line {}: an unpaired backtick",
            n + 1
        );
    }
    doc.split('`').skip(1).step_by(2).collect()
}

/// Where a cited file is: a bare stdlib file name, a path of the checkout, or an output file
/// (then `Err` with its path inside the output directory).
fn resolve(file: &str) -> Result<PathBuf, String> {
    if is_output(file) {
        Err(file.to_string())
    } else if !file.contains('/') && file.ends_with(".cci") {
        Ok(crate::root().join("stdlib/circleci-2.16").join(file))
    } else {
        Ok(crate::root().join(file))
    }
}

fn is_output(file: &str) -> bool {
    OUTPUT_FILES.contains(&file) || OUTPUT_DIRS.iter().any(|d| file.starts_with(d))
}

/// A citation is `FILE: TEXT` with a file name that has an extension and no space.
fn citation(span: &str) -> Option<(&str, &str)> {
    let (file, text) = span.split_once(": ")?;
    let named = !file.is_empty()
        && !file.contains(' ')
        && file.rsplit_once('.').is_some_and(|(_, ext)| {
            !ext.is_empty() && ext.chars().all(|c| c.is_ascii_alphanumeric())
        });
    named.then_some((file, text))
}

/// Every example's snapshot of one output file.
fn snapshots_of(output: &str) -> Vec<String> {
    let suffix = format!("__{}.snap", output.replace(['/', '.'], "_"));
    crate::files_under("snapshots/examples")
        .into_iter()
        .filter(|(p, _)| p.to_string_lossy().ends_with(&suffix))
        .map(|(_, text)| text)
        .collect()
}

/// The `origin` of each place a rule head (`allow ... "purpose"`) stands in a stdlib file:
/// the first `origin = "..."` between the head and the end of its block.
fn origins_of(text: &str, head: &str) -> Vec<String> {
    text.match_indices(head)
        .filter_map(|(i, _)| {
            let rest = &text[i..];
            let block = &rest[..rest.find('}').map_or(rest.len(), |e| e + 1)];
            let after = &block[block.find("origin")?..];
            let value = &after[after.find('"')? + 1..];
            Some(value[..value.find('"')?].to_string())
        })
        .collect()
}

/// The counts at the top (`| status | rows |`) are the counts of the status column of the
/// map's tables, every status is one of the two, and every row of the map has four cells.
#[test]
fn the_counts_at_the_top_are_the_counts_of_the_tables() {
    let doc = doc();
    let map = table_rows(&doc, &["guide", "status", "where", "note"]);
    assert!(map.len() > 100, "only {} rows in the map", map.len());
    let mut counted = std::collections::BTreeMap::new();
    for row in &map {
        assert_eq!(row.len(), 4, "a row without four cells: {row:?}");
        assert!(STATUSES.contains(&row[1]), "unknown status in {row:?}");
        *counted.entry(row[1]).or_insert(0usize) += 1;
    }
    let stated: std::collections::BTreeMap<&str, usize> = table_rows(&doc, &["status", "rows"])
        .into_iter()
        .map(|r| (r[0], r[1].parse().expect("a count")))
        .collect();
    for status in STATUSES {
        assert_eq!(
            stated.get(status).copied(),
            Some(counted.get(status).copied().unwrap_or(0)),
            "the count of `{status}` at the top"
        );
    }
    assert_eq!(stated.get("total").copied(), Some(map.len()), "the total");
    assert_eq!(stated.len(), STATUSES.len() + 1, "counts: {stated:?}");
}

/// Every diagnostic code the map names (E0nnn, W0nnn) is one the compiler has.
#[test]
fn every_diagnostic_code_named_exists() {
    let doc = doc();
    let known: Vec<&str> = cci_core::codes::Code::ALL
        .iter()
        .map(|c| c.as_str())
        .collect();
    let b = doc.as_bytes();
    let mut named = 0;
    for i in 0..b.len().saturating_sub(4) {
        let code = (b[i] == b'E' || b[i] == b'W')
            && b[i + 1] == b'0'
            && b[i + 2..i + 5].iter().all(u8::is_ascii_digit)
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
            && b.get(i + 5).is_none_or(|c| !c.is_ascii_alphanumeric());
        if code {
            let c = &doc[i..i + 5];
            assert!(
                known.contains(&c),
                "{c} is not a diagnostic code (src/codes.rs)"
            );
            named += 1;
        }
    }
    assert!(named >= 40, "only {named} codes named");
}

/// Every path of the checkout the map names (under stdlib/, src/, tests/, examples/) exists,
/// and every output file it names in backticks is one some example emits.
#[test]
fn every_path_named_exists() {
    let doc = doc();
    let path_char = |c: char| c.is_ascii_alphanumeric() || "_./-+@".contains(c);
    let mut named = 0;
    for (i, _) in doc.char_indices() {
        let starts =
            CHECKOUT_DIRS.iter().any(|d| doc[i..].starts_with(d)) && !doc[..i].ends_with(path_char);
        if !starts {
            continue;
        }
        let end = doc[i..]
            .find(|c| !path_char(c))
            .map_or(doc.len(), |e| i + e);
        let path = doc[i..end].trim_end_matches(['.', ',', ':']);
        assert!(
            crate::root().join(path).exists(),
            "docs/requirements.md names `{path}`, which does not exist"
        );
        named += 1;
    }
    assert!(named >= 20, "only {named} paths named");
    for span in code_spans(&doc) {
        let file = citation(span).map_or(span, |(f, _)| f);
        if is_output(file) {
            assert!(
                !snapshots_of(file).is_empty(),
                "`{file}` is not an output of any example (snapshots/examples/)"
            );
        }
    }
}

/// Every citation `FILE: TEXT` is found in that file: a stdlib entry or decision in its
/// stdlib file, a test or template in the checkout, a text in some example's output file.
/// A port rule cited `ports.cci: allow ... "purpose" @ ORIGIN` must stand in the stdlib with
/// an origin that starts with ORIGIN; and every rule the stdlib takes from the guide's tables
/// is cited so.
#[test]
fn every_citation_is_found_in_the_file_it_names() {
    let doc = doc();
    let mut rules_cited: Vec<(String, String)> = Vec::new();
    let mut checked = 0;
    for span in code_spans(&doc) {
        let Some((file, text)) = citation(span) else {
            continue;
        };
        checked += 1;
        let (wanted, origin) = match text.split_once(" @ ") {
            Some((head, origin)) => (head, Some(origin)),
            None => (text, None),
        };
        let found = match resolve(file) {
            Err(output) => snapshots_of(&output).iter().any(|s| s.contains(wanted)),
            Ok(path) => {
                let contents = std::fs::read_to_string(&path).unwrap_or_else(|e| {
                    panic!("`{span}`: {} is not readable: {e}", path.display())
                });
                match origin {
                    None => contents.contains(wanted),
                    Some(origin) => {
                        rules_cited.push((wanted.to_string(), origin.to_string()));
                        origins_of(&contents, wanted)
                            .iter()
                            .any(|o| o.starts_with(origin))
                    }
                }
            }
        };
        assert!(found, "`{span}` is not found in {file}");
    }
    assert!(checked >= 150, "only {checked} citations checked");

    // Completeness: each guide row of the stdlib's port tables has its line in the map.
    let ports =
        std::fs::read_to_string(crate::root().join("stdlib/circleci-2.16/ports.cci")).unwrap();
    let mut guide_rules = std::collections::BTreeSet::new();
    for line in ports.lines().filter(|l| l.starts_with("allow ")) {
        let Some(close) = line.match_indices('"').nth(1).map(|(i, _)| i) else {
            continue;
        };
        let head = &line[..=close];
        for origin in origins_of(&ports, head) {
            if origin.starts_with("guide") {
                guide_rules.insert((head, origin));
            }
        }
    }
    for (head, origin) in &guide_rules {
        assert!(
            rules_cited
                .iter()
                .any(|(h, o)| h == head && origin.starts_with(o.as_str())),
            "ports.cci's `{head}` ({origin}) is not in docs/requirements.md"
        );
    }
    assert!(
        guide_rules.len() >= 60,
        "only {} guide rules in ports.cci",
        guide_rules.len()
    );
}
