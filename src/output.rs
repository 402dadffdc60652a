//! Writing a build to disk, atomically: the new tree is written into a temporary directory
//! beside the target and renamed into place, so a failed or interrupted build leaves the
//! previous output as it was. Files in the target that cci-dsl did not write (a
//! `.terraform/` directory, state files, lock files) are carried over into the new tree.
//! This module and the CLI are the only code that touches the file system.

use crate::emit::Outputs;
use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Lists what cci-dsl wrote, so the next build knows which files are the user's.
pub const MANIFEST: &str = ".cci-dsl-manifest";

/// Replaces `target` with `outputs`. Refuses to replace a non-empty directory that has no
/// manifest (it was not written by cci-dsl).
pub fn write_atomically(target: &Path, outputs: &Outputs) -> io::Result<()> {
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent)?;
    let previous = read_previous(target)?;

    let staging = stage(&parent, outputs)?;

    let Some(previous) = previous else {
        // No previous output: one rename.
        let staged = staging.keep();
        return fs::rename(&staged, target).inspect_err(|_| {
            let _ = fs::remove_dir_all(&staged);
        });
    };

    // Move the user's files into the new tree, remembering how to put them back.
    let mut moved: Vec<(PathBuf, PathBuf)> = Vec::new();
    let result = (|| -> io::Result<()> {
        for rel in user_entries(target, &previous)? {
            let from = target.join(&rel);
            let to = staging.path().join(&rel);
            if to.exists() {
                // cci-dsl now writes a file of that name; keep the user's copy beside it.
                continue;
            }
            if let Some(dir) = to.parent() {
                fs::create_dir_all(dir)?;
            }
            fs::rename(&from, &to)?;
            moved.push((from, to));
        }
        Ok(())
    })();
    let undo = |moved: &[(PathBuf, PathBuf)]| {
        for (from, to) in moved.iter().rev() {
            let _ = fs::rename(to, from);
        }
    };
    if let Err(e) = result {
        undo(&moved);
        return Err(e);
    }

    let backup = tempfile::Builder::new()
        .prefix(".cci-dsl-previous-")
        .tempdir_in(&parent)?;
    let backup_path = backup.path().join("out");
    if let Err(e) = fs::rename(target, &backup_path) {
        undo(&moved);
        return Err(e);
    }
    let staged = staging.keep();
    if let Err(e) = fs::rename(&staged, target) {
        // Put the previous output back exactly as it was.
        let _ = fs::rename(&backup_path, target);
        let moved_back: Vec<(PathBuf, PathBuf)> = moved
            .iter()
            .map(|(from, to)| {
                (
                    from.clone(),
                    staged.join(to.strip_prefix(&staged).unwrap_or(to)),
                )
            })
            .collect();
        undo(&moved_back);
        let _ = fs::remove_dir_all(&staged);
        return Err(e);
    }
    drop(backup); // removes the previous output
    Ok(())
}

/// Writes the outputs and their manifest into a new directory beside the target.
fn stage(parent: &Path, outputs: &Outputs) -> io::Result<tempfile::TempDir> {
    let staging = tempfile::Builder::new()
        .prefix(".cci-dsl-staging-")
        .tempdir_in(parent)?;
    for (rel, text) in &outputs.files {
        let path = staging.path().join(rel);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(&path, text)?;
    }
    let manifest: String = outputs.files.keys().map(|k| format!("{k}\n")).collect();
    fs::write(staging.path().join(MANIFEST), manifest)?;
    Ok(staging)
}

/// The previous manifest's entries, `None` when there is no previous output.
fn read_previous(target: &Path) -> io::Result<Option<BTreeSet<String>>> {
    if !target.exists() {
        return Ok(None);
    }
    if !target.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} exists and is not a directory", target.display()),
        ));
    }
    match fs::read_to_string(target.join(MANIFEST)) {
        Ok(text) => Ok(Some(text.lines().map(str::to_string).collect())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if fs::read_dir(target)?.next().is_none() {
                Ok(Some(BTreeSet::new()))
            } else {
                Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!(
                        "{} is not empty and was not written by cci-dsl (no {MANIFEST}); refusing to replace it",
                        target.display()
                    ),
                ))
            }
        }
        Err(e) => Err(e),
    }
}

/// Paths under `target` that the previous build did not write (whole directories where
/// nothing inside was ours).
fn user_entries(target: &Path, ours: &BTreeSet<String>) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    walk(target, "", ours, &mut out)?;
    Ok(out)
}

fn walk(
    dir: &Path,
    prefix: &str,
    ours: &BTreeSet<String>,
    out: &mut Vec<String>,
) -> io::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().to_string();
        let rel = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        if rel == MANIFEST || ours.contains(&rel) {
            continue;
        }
        let holds_ours = ours.iter().any(|p| p.starts_with(&format!("{rel}/")));
        if e.file_type()?.is_dir() && holds_ours {
            walk(&e.path(), &rel, ours, out)?;
        } else {
            out.push(rel);
        }
    }
    Ok(())
}
