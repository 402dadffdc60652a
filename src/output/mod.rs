//! Writing a build to disk without losing anything.
//!
//! cci-dsl only ever touches the files it writes, listed in the output's manifest; everything
//! else in the output directory (a `.terraform/` directory, state, lock files, notes) is never
//! moved, renamed or deleted. The build is first written into a staging directory inside the
//! target, so a build that fails before replacing anything leaves the previous output as it
//! was; then each file is renamed over its old version, so no file is ever half-written. A
//! journal marks the replacement while it runs: a build interrupted then (a crash, a kill)
//! leaves it behind, and the next build says so and completes the job.
//!
//! This module and the CLI are the only code that touches the file system.

use crate::emit::Outputs;
use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::Path;

/// Lists what cci-dsl wrote, so the next build knows which files are the user's.
pub const MANIFEST: &str = ".cci-dsl-manifest";
/// Where a build is written before it replaces the previous one.
const STAGING: &str = ".cci-dsl-staging";
/// Present while files are being replaced.
const JOURNAL: &str = ".cci-dsl-journal";

/// What a write found and did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// The previous build was interrupted while replacing files; this one completed it.
    pub completed_interrupted: bool,
}

/// Writes `outputs` into `target`, replacing what the previous build wrote there. Refuses a
/// non-empty directory that cci-dsl did not write (no manifest, no journal).
pub fn write_atomically(target: &Path, outputs: &Outputs) -> io::Result<Written> {
    let mut steps = Steps::from_env();
    let previous = read_previous(target)?;
    let interrupted = target.join(JOURNAL).exists();
    let staging = target.join(STAGING);
    // A file the previous build wrote with the same contents is left as it is (and keeps its
    // modification time): rebuilding an unchanged site touches nothing.
    let changed: Vec<(&String, &String)> = outputs
        .files
        .iter()
        .filter(|(rel, text)| !(previous.contains(*rel) && holds(&target.join(rel), text)))
        .collect();
    let new_keys: BTreeSet<String> = outputs.files.keys().cloned().collect();
    let removed: Vec<&String> = previous.difference(&new_keys).collect();
    if changed.is_empty() && removed.is_empty() && !interrupted && !staging.exists() {
        return Ok(Written::default());
    }
    fs::create_dir_all(target)?;

    // 1. Stage: nothing of the previous output changes yet.
    if staging.exists() {
        fs::remove_dir_all(&staging)?; // left by an interrupted build; only ours is in it
    }
    fs::create_dir_all(&staging)?;
    for (rel, text) in &changed {
        let path = staging.join(rel);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(&path, text)?;
        steps.step();
    }
    let manifest: String = outputs.files.keys().map(|k| format!("{k}\n")).collect();
    fs::write(staging.join(MANIFEST), manifest)?;
    steps.step();

    // 2. Replace, one rename per file, under the journal.
    fs::write(
        target.join(JOURNAL),
        "a cci-dsl build is replacing these files\n",
    )?;
    steps.step();
    for (rel, _) in &changed {
        let to = target.join(rel);
        if let Some(dir) = to.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::rename(staging.join(rel), &to)?;
        steps.step();
    }
    // Files the previous build wrote and this one does not.
    for rel in removed {
        match fs::remove_file(target.join(rel)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        steps.step();
    }
    fs::rename(staging.join(MANIFEST), target.join(MANIFEST))?;
    steps.step();

    // 3. Done: no journal, no staging.
    fs::remove_file(target.join(JOURNAL))?;
    steps.step();
    fs::remove_dir_all(&staging)?;
    Ok(Written {
        completed_interrupted: interrupted,
    })
}

/// Whether the file at `path` holds exactly `text` (a file that cannot be read does not).
fn holds(path: &Path, text: &str) -> bool {
    fs::metadata(path).is_ok_and(|m| m.len() == text.len() as u64)
        && fs::read(path).is_ok_and(|bytes| bytes == text.as_bytes())
}

/// The files the previous build wrote (its manifest). An absent or empty target has none; a
/// non-empty one without manifest or journal was not written by cci-dsl.
fn read_previous(target: &Path) -> io::Result<BTreeSet<String>> {
    if !target.exists() {
        return Ok(BTreeSet::new());
    }
    if !target.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} exists and is not a directory", target.display()),
        ));
    }
    match fs::read_to_string(target.join(MANIFEST)) {
        Ok(text) => Ok(text
            .lines()
            .filter(|l| is_our_path(l))
            .map(str::to_string)
            .collect()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let ours = target.join(JOURNAL).exists();
            if ours || fs::read_dir(target)?.next().is_none() {
                Ok(BTreeSet::new())
            } else {
                Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!(
                        "{} is not empty and was not written by cci-dsl (no {MANIFEST}); refusing to write into it",
                        target.display()
                    ),
                ))
            }
        }
        Err(e) => Err(e),
    }
}

/// A manifest line names a file inside the target: relative, no `..`. (A manifest edited by
/// hand must not make a build delete files elsewhere.)
fn is_our_path(line: &str) -> bool {
    let p = Path::new(line);
    !line.is_empty()
        && p.is_relative()
        && p.components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

/// Counts the file-system steps of a write; `CCI_DSL_FAULT_AFTER=K` aborts the process after
/// the K-th, so the tests can prove an interruption at any step loses nothing.
struct Steps {
    done: usize,
    abort_after: Option<usize>,
}

impl Steps {
    fn from_env() -> Self {
        Steps {
            done: 0,
            abort_after: std::env::var("CCI_DSL_FAULT_AFTER")
                .ok()
                .and_then(|v| v.parse().ok()),
        }
    }

    fn step(&mut self) {
        self.done += 1;
        if self.abort_after == Some(self.done) {
            std::process::abort();
        }
    }
}
