//! The addresses of the Terraform, across versions of cci-dsl. A resource's address is its
//! identity in every operator's state: when cci-dsl names it differently, `moved.tf` must move
//! it, or Terraform destroys it and creates it again (a security-group rule: a moment without
//! it; a fleet: every client replaced). tests/fixtures/upgrade/ holds each example's addresses
//! as cci-dsl wrote them before 2026-12 (from the snapshots of that version); the emulator
//! proves Terraform moves them (tests/apply/replace_proof.py, the upgrade step).

use crate::{build_file, examples};
use std::collections::BTreeSet;

/// `TYPE.NAME` of each `resource` block, and the (from, to) of each `moved` block.
fn addresses(
    files: &std::collections::BTreeMap<String, String>,
) -> (BTreeSet<String>, Vec<(String, String)>) {
    let mut resources = BTreeSet::new();
    let mut moves = Vec::new();
    for (name, text) in files.iter().filter(|(n, _)| n.ends_with(".tf")) {
        let mut from = None;
        for line in text.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["resource", kind, name, "{"] => {
                    resources.insert(format!(
                        "{}.{}",
                        kind.trim_matches('"'),
                        name.trim_matches('"')
                    ));
                }
                ["from", "=", a] => from = Some(a.to_string()),
                ["to", "=", b] => moves.push((from.take().expect("from before to"), b.to_string())),
                _ => {}
            }
        }
        assert!(from.is_none(), "{name}: a moved block without `to`");
    }
    (resources, moves)
}

/// Every address an example had before 2026-12 is still there or moved to one that is, and
/// every address it has now was there or is the target of a move: an upgrade creates and
/// destroys nothing.
#[test]
fn every_old_address_is_kept_or_moved() {
    for path in examples() {
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let old_file = crate::root().join(format!("tests/fixtures/upgrade/{stem}.addresses"));
        let old: BTreeSet<String> = std::fs::read_to_string(&old_file)
            .unwrap_or_else(|e| panic!("{}: {e}", old_file.display()))
            .lines()
            .map(str::to_string)
            .collect();
        let files = build_file(&path).outputs.expect("builds").files;
        let (now, moves) = addresses(&files);
        for (from, to) in &moves {
            assert!(
                old.contains(from),
                "{stem}: moved from {from}, which it never had"
            );
            assert!(
                now.contains(to),
                "{stem}: moved to {to}, which it does not have"
            );
            assert!(
                !now.contains(from),
                "{stem}: {from} is both moved and declared"
            );
        }
        let moved_from: BTreeSet<&String> = moves.iter().map(|(f, _)| f).collect();
        let moved_to: BTreeSet<&String> = moves.iter().map(|(_, t)| t).collect();
        let lost: Vec<&String> = old
            .iter()
            .filter(|a| !now.contains(*a) && !moved_from.contains(a))
            .collect();
        let born: Vec<&String> = now
            .iter()
            .filter(|a| !old.contains(*a) && !moved_to.contains(a))
            .collect();
        assert!(lost.is_empty(), "{stem}: destroyed on upgrade: {lost:?}");
        assert!(born.is_empty(), "{stem}: created on upgrade: {born:?}");
        assert!(!moves.is_empty(), "{stem}: nothing renamed?");
    }
}
