//! Writing a build to disk without losing anything, on a checkout someone else may have
//! prepared.
//!
//! cci-dsl only ever touches the files it writes, listed in the output's manifest with their
//! SHA-256; everything else in the output directory (a `.terraform/` directory, state, lock
//! files, notes) is never moved, renamed or deleted, and a file the manifest lists is deleted
//! only while it still holds what cci-dsl wrote (a forged line, or a file the operator has
//! edited since, is reported and kept). The build is first written into a staging directory
//! inside the target (created exclusively, under an unpredictable name), so a build that
//! fails before replacing anything — a full disk included — removes its staging and leaves the
//! previous output as it was; then each file is renamed over its old version, so no file is
//! ever half-written. A journal marks the replacement while it runs: a build interrupted then
//! (a crash, a kill) leaves it behind, and the next build says so and completes the job.
//! Nothing in the target is reached through a link (`fs`).
//!
//! This module is the only code of the library that touches the file system.

mod dir;
pub mod fs;

use crate::emit::Outputs;
use fs::{Dir, Entry};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

/// Lists what cci-dsl wrote, so the next build knows which files are the user's.
pub const MANIFEST: &str = ".cci-dsl-manifest";
/// The prefix of the directory a build is written into before it replaces the previous one.
const STAGING: &str = ".cci-dsl-staging-";
/// Present while files are being replaced.
const JOURNAL: &str = ".cci-dsl-journal";
/// The manifest's first line; the lines after it are `SHA-256  path`.
const MANIFEST_HEADER: &str = "# cci-dsl manifest 2: the files the last build wrote, with their SHA-256; a file is deleted only while it still holds them";
/// The largest file of ours read back (to compare or verify): far beyond any output.
const MAX_OUTPUT_FILE: u64 = 256 << 20;

/// What a write found and did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// The previous build was interrupted while replacing files; this one completed it.
    pub completed_interrupted: bool,
    /// Files the previous manifest lists that this build no longer writes and did not
    /// delete, each with why (edited since, not a file of ours, a link).
    pub kept: Vec<(String, String)>,
    /// Files in the Terraform directory that cci-dsl did not write and Terraform reads with
    /// the generated ones (`*.tf`, `*.tf.json`, `*.tfvars`, ...): a checkout may carry them.
    pub foreign_terraform: Vec<String>,
    /// The files whose contents changed (written), sorted.
    pub changed: Vec<String>,
    /// How many files already held what this build writes (not rewritten).
    pub unchanged: usize,
    /// Files the previous build wrote, this one does not, and it deleted.
    pub removed: Vec<String>,
}

/// How an output directory compares with what a site compiles to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Files whose contents differ, with what is there now (`None`: missing, or not a regular
    /// file cci-dsl could read).
    pub differ: Vec<(String, Option<Vec<u8>>)>,
    /// How many files hold exactly what the site compiles to.
    pub same: usize,
    /// Files the directory's manifest lists that the site no longer writes, still there.
    pub stale: Vec<String>,
}

/// Compares `target` with `outputs` without writing anything (`build --check`), reading
/// under the same policy as a build (no link followed).
pub fn compare(target: &Path, outputs: &Outputs) -> io::Result<Comparison> {
    let mut c = Comparison::default();
    if std::fs::symlink_metadata(target).is_err() {
        c.differ = outputs.files.keys().map(|k| (k.clone(), None)).collect();
        return Ok(c);
    }
    let root = fs::open_path(target, false)?;
    for (rel, text) in &outputs.files {
        let now = read_ours(&root, rel)?;
        if now.as_deref() == Some(text.as_bytes()) {
            c.same += 1;
        } else {
            c.differ.push((rel.clone(), now));
        }
    }
    for rel in read_previous(&root)?.keys() {
        if !outputs.files.contains_key(rel) && read_ours(&root, rel)?.is_some() {
            c.stale.push(rel.clone());
        }
    }
    Ok(c)
}

/// The bytes of the regular file of ours at `rel`, or `None` (missing, a link, not a file).
fn read_ours(root: &Dir, rel: &str) -> io::Result<Option<Vec<u8>>> {
    let parent = Path::new(rel).parent().unwrap_or(Path::new(""));
    let Ok(Some(dir)) = root.descend(parent, false) else {
        return Ok(None);
    };
    match dir.entry(file_name(rel))? {
        Some(Entry::File(_)) => Ok(dir.read(file_name(rel), MAX_OUTPUT_FILE).unwrap_or(None)),
        _ => Ok(None),
    }
}

/// Writes `outputs` into `target`, replacing what the previous build wrote there. Refuses a
/// non-empty directory that cci-dsl did not write (no manifest, no journal), and any link
/// where a directory or a file of its own should be.
pub fn write_atomically(target: &Path, outputs: &Outputs) -> io::Result<Written> {
    let mut steps = Steps::from_env();
    let root = fs::open_or_create(target)?;
    let previous = read_previous(&root)?;
    let interrupted = matches!(root.entry(JOURNAL)?, Some(Entry::File(_)));
    let leftovers = remove_leftover_staging(&root)?;
    // A file the previous build wrote with the same contents is left as it is (and keeps its
    // modification time): rebuilding an unchanged site touches nothing.
    let mut changed = Vec::new();
    for (rel, text) in &outputs.files {
        if !(previous.contains_key(rel) && holds(&root, rel, text)?) {
            changed.push((rel.as_str(), text.as_str()));
        }
    }
    let removed: Vec<(&String, &Option<String>)> = previous
        .iter()
        .filter(|(rel, _)| !outputs.files.contains_key(*rel))
        .collect();
    let foreign_terraform = foreign_terraform(&root, outputs)?;
    let unchanged = outputs.files.len() - changed.len();
    if changed.is_empty() && removed.is_empty() && !interrupted && !leftovers {
        return Ok(Written {
            foreign_terraform,
            unchanged,
            ..Written::default()
        });
    }
    // Every directory a file goes into, each component a real directory, and no file to
    // replace that its owner made read-only, before anything is written.
    let mut dirs = BTreeMap::new();
    for (rel, _) in &changed {
        let parent = Path::new(rel).parent().unwrap_or(Path::new(""));
        if !dirs.contains_key(parent) {
            let d = root.descend(parent, true)?.expect("created");
            dirs.insert(parent.to_path_buf(), d);
        }
        if let Some(Entry::File(st)) = dirs[parent].entry(file_name(rel))? {
            if st.read_only() {
                let shown = root.shown.join(rel);
                return Err(io::Error::other(format!(
                    "{} is read-only; not replaced (make it writable to rebuild)",
                    shown.display()
                )));
            }
        }
    }

    // 1. Stage: nothing of the previous output changes yet. A failure removes the staging.
    let (staging_name, staging) = root.create_temp_dir(STAGING)?;
    let staged = stage(&root, &staging, &changed, outputs, &mut steps);
    if let Err(e) = staged {
        let _ = root.remove_tree(&staging_name);
        return Err(e);
    }
    let replaced = replace(&root, &staging, &dirs, &changed, &removed, &mut steps);
    let _ = root.remove_tree(&staging_name);
    let kept = replaced?;
    root.remove_file(JOURNAL)?;
    steps.step();
    let removed = removed
        .iter()
        .map(|(rel, _)| rel.to_string())
        .filter(|rel| !kept.iter().any(|(k, _)| k == rel))
        .collect();
    Ok(Written {
        completed_interrupted: interrupted,
        kept,
        foreign_terraform,
        changed: changed.iter().map(|(rel, _)| rel.to_string()).collect(),
        unchanged,
        removed,
    })
}

/// The directory of the Terraform outputs, and the endings of the files Terraform reads there.
const TERRAFORM_DIR: &str = "terraform";
const TERRAFORM_READS: &[&str] = &[".tf", ".tf.json", ".tfvars", ".tfvars.json"];

/// Files Terraform would read in the output's Terraform directory that this build does not
/// write.
fn foreign_terraform(root: &Dir, outputs: &Outputs) -> io::Result<Vec<String>> {
    let Ok(Some(dir)) = root.descend(Path::new(TERRAFORM_DIR), false) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for name in dir.names()? {
        let name = name.to_string_lossy().into_owned();
        let rel = format!("{TERRAFORM_DIR}/{name}");
        let read = TERRAFORM_READS.iter().any(|e| name.ends_with(e));
        if read && !outputs.files.contains_key(&rel) {
            out.push(rel);
        }
    }
    Ok(out)
}

/// Writes the changed files and the new manifest into the staging directory.
fn stage(
    root: &Dir,
    staging: &Dir,
    changed: &[(&str, &str)],
    outputs: &Outputs,
    steps: &mut Steps,
) -> io::Result<()> {
    for (rel, text) in changed {
        let path = Path::new(rel);
        let parent = path.parent().unwrap_or(Path::new(""));
        let name = file_name(rel);
        let dir = staging.descend(parent, true)?.expect("created");
        let mut file = dir.create_new(&name, 0o666)?;
        file.write_all(text.as_bytes())?;
        // A file rewritten keeps the mode and owner it had.
        if let Some(old) = root.descend(parent, false)? {
            if let Some(Entry::File(st)) = old.entry(&name)? {
                fs::keep_mode_and_owner(&file, &st, &old.shown.join(&name))?;
            }
        }
        steps.step();
    }
    let mut manifest = format!("{MANIFEST_HEADER}\n");
    for (rel, text) in &outputs.files {
        manifest.push_str(&format!("{}  {rel}\n", sha256(text.as_bytes())));
    }
    staging
        .create_new(MANIFEST, 0o666)?
        .write_all(manifest.as_bytes())?;
    steps.step();
    Ok(())
}

/// Renames each staged file over its old version under the journal, removes what the
/// previous build wrote and this one does not (when it is still what was written), and
/// installs the manifest. Returns the files kept.
fn replace(
    root: &Dir,
    staging: &Dir,
    dirs: &BTreeMap<std::path::PathBuf, Dir>,
    changed: &[(&str, &str)],
    removed: &[(&String, &Option<String>)],
    steps: &mut Steps,
) -> io::Result<Vec<(String, String)>> {
    let (tmp, mut journal) = root.create_temp(".cci-dsl-journal-", 0o666)?;
    journal.write_all(b"a cci-dsl build is replacing these files\n")?;
    root.rename(&tmp, root, JOURNAL)?;
    steps.step();
    for (rel, _) in changed {
        let parent = Path::new(rel).parent().unwrap_or(Path::new(""));
        let name = file_name(rel);
        let from = staging.descend(parent, false)?.expect("staged");
        from.rename(&name, &dirs[parent], &name)?;
        steps.step();
    }
    let mut kept = Vec::new();
    for (rel, hash) in removed {
        if let Some(why) = remove_if_ours(root, rel, hash.as_deref())? {
            kept.push((rel.to_string(), why));
        }
        steps.step();
    }
    staging.rename(MANIFEST, root, MANIFEST)?;
    steps.step();
    Ok(kept)
}

/// Deletes a file the previous build wrote, if it is still a regular file holding what was
/// written; otherwise says why it was kept.
fn remove_if_ours(root: &Dir, rel: &str, hash: Option<&str>) -> io::Result<Option<String>> {
    if !is_our_kind(rel) {
        return Ok(Some("not a kind of file cci-dsl writes".into()));
    }
    let Some(hash) = hash else {
        return Ok(Some("listed without a checksum (an older manifest)".into()));
    };
    let parent = Path::new(rel).parent().unwrap_or(Path::new(""));
    let dir = match root.descend(parent, false) {
        Ok(Some(d)) => d,
        Ok(None) => return Ok(None),
        Err(_) => return Ok(Some("its directory is a link or not a directory".into())),
    };
    let name = file_name(rel);
    match dir.entry(&name)? {
        None => Ok(None),
        Some(Entry::File(_)) => match dir.read(&name, MAX_OUTPUT_FILE) {
            Ok(Some(bytes)) if sha256(&bytes) == hash => {
                dir.remove_file(&name)?;
                Ok(None)
            }
            Ok(None) => Ok(None),
            _ => Ok(Some("changed since cci-dsl wrote it".into())),
        },
        Some(_) => Ok(Some("not a regular file".into())),
    }
}

fn file_name(rel: &str) -> String {
    Path::new(rel)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether the file of ours at `rel` holds exactly `text` (a link, or anything but a
/// regular file, does not; a directory of the path that is a link is refused).
fn holds(root: &Dir, rel: &str, text: &str) -> io::Result<bool> {
    let parent = Path::new(rel).parent().unwrap_or(Path::new(""));
    let Some(dir) = root.descend(parent, false)? else {
        return Ok(false);
    };
    let name = file_name(rel);
    Ok(match dir.entry(&name)? {
        Some(Entry::File(st)) if st.len == text.len() as u64 => dir
            .read(&name, MAX_OUTPUT_FILE)
            .is_ok_and(|b| b.is_some_and(|b| b == text.as_bytes())),
        _ => false,
    })
}

/// A staging directory or journal being written, by its name.
fn is_ours_temporary(name: &std::ffi::OsStr) -> bool {
    let b = name.as_encoded_bytes();
    b.starts_with(STAGING.as_bytes()) || b.starts_with(b".cci-dsl-journal-")
}

/// Removes staging directories an interrupted build left (a link or file at such a name is
/// removed, never followed); whether there were any.
fn remove_leftover_staging(root: &Dir) -> io::Result<bool> {
    let mut any = false;
    for name in root.names()? {
        if is_ours_temporary(&name) {
            match root.entry(&name)? {
                Some(Entry::Dir) => root.remove_tree(&name)?,
                Some(_) => root.remove_file(&name)?,
                None => {}
            }
            any = true;
        }
    }
    Ok(any)
}

/// The files the previous build wrote (its manifest), each with its checksum when the
/// manifest has one. An absent or empty target has none; a non-empty one without manifest or
/// journal was not written by cci-dsl; a manifest or journal that is not a regular file is
/// not cci-dsl's either.
fn read_previous(root: &Dir) -> io::Result<BTreeMap<String, Option<String>>> {
    for name in [MANIFEST, JOURNAL] {
        if let Some(e) = root.entry(name)? {
            if !matches!(e, Entry::File(_)) {
                return Err(io::Error::other(format!(
                    "{} is not a file cci-dsl wrote ({}); remove it",
                    root.shown.join(name).display(),
                    if e == Entry::Link {
                        "a symbolic link"
                    } else {
                        "not a regular file"
                    }
                )));
            }
        }
    }
    match root.read(MANIFEST, MAX_OUTPUT_FILE)? {
        Some(bytes) => Ok(parse_manifest(&String::from_utf8_lossy(&bytes))),
        None => {
            let ours = root.entry(JOURNAL)?.is_some();
            let names = root.names()?;
            let only_staging = names.iter().all(|n| is_ours_temporary(n));
            if ours || only_staging {
                Ok(BTreeMap::new())
            } else {
                Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!(
                        "{} is not empty and was not written by cci-dsl (no {MANIFEST}); refusing to write into it",
                        root.shown.display()
                    ),
                ))
            }
        }
    }
}

/// Manifest lines: `SHA-256  path`, or a bare path (an older manifest). A line naming no
/// file inside the target (absolute, `..`) is dropped: a manifest edited by hand must not
/// make a build touch files elsewhere.
fn parse_manifest(text: &str) -> BTreeMap<String, Option<String>> {
    let mut out = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (hash, rel) = match line.split_once("  ") {
            Some((h, p)) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                (Some(h.to_string()), p)
            }
            _ => (None, line),
        };
        if is_our_path(rel) {
            out.insert(rel.to_string(), hash);
        }
    }
    out
}

/// The endings of the files cci-dsl writes. A manifest line is obeyed only for these, and
/// never for a hidden file: a forged line cannot delete a lock file, state or a dotfile whose
/// contents anyone could predict.
const OUR_ENDINGS: &[&str] = &[".tf", ".json", ".yaml", ".md", ".dot", ".mmd", ".svg"];

pub fn is_our_kind(rel: &str) -> bool {
    OUR_ENDINGS.iter().any(|e| rel.ends_with(e))
        && !Path::new(rel)
            .components()
            .any(|c| c.as_os_str().as_encoded_bytes().starts_with(b"."))
}

/// A manifest path names a file inside the target: relative, plain components only.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_lines_outside_the_target_are_dropped() {
        let h = "a".repeat(64);
        let m = parse_manifest(&format!(
            "{MANIFEST_HEADER}\n{h}  iam/x.json\nold/bare.tf\n{h}  ../up\n/abs\n{h}  a/../b\n"
        ));
        assert_eq!(
            m.into_iter().collect::<Vec<_>>(),
            vec![
                ("iam/x.json".to_string(), Some(h.clone())),
                ("old/bare.tf".to_string(), None)
            ]
        );
    }
}
