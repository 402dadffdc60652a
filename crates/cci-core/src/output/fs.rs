//! The file-system policy of every command, in one place. cci-dsl runs on checkouts other
//! people wrote, so:
//!
//! - it follows no symbolic link it did not create when it writes: the directory it writes
//!   into and every directory under it are opened without following links (`O_NOFOLLOW`), and
//!   a link where a file or directory of its own should be is refused by name;
//! - its temporary files and directories are created exclusively (`O_EXCL`) with unpredictable
//!   names, next to what they replace, and removed when the command fails;
//! - a file it rewrites keeps its mode and owner, and a read-only file is refused;
//! - it reads regular files only, bounded in size before anything is read, opened so that a
//!   FIFO cannot block it, and never from `/proc`, `/sys` or `/dev`;
//! - walking a tree, it enters no linked directory, so it cannot leave the tree or loop.

use super::dir::{link_refused, refused};
pub use super::dir::{Dir, Entry, FileStat};
use rustix::fs::{self as rfs, Mode, OFlags};
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};

/// Reads at most `limit` bytes of an open file that must be a regular file no larger than
/// `limit` (checked before reading, so a sparse 2 GB file costs nothing).
pub(super) fn read_bounded(mut file: File, shown: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let meta = file.metadata()?;
    if !meta.file_type().is_file() {
        return Err(refused(shown, "is not a regular file"));
    }
    if meta.len() > limit {
        return Err(too_large(shown, limit));
    }
    let mut bytes = Vec::new();
    (&mut file).take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(shown, limit));
    }
    Ok(bytes)
}

fn too_large(shown: &Path, limit: u64) -> io::Error {
    let size = if limit >= 1 << 20 {
        format!("{} MiB", limit >> 20)
    } else {
        format!("{limit} bytes")
    };
    refused(shown, &format!("is larger than {size}"))
}

/// Reads a file a command was given or a site names: links are followed (a read changes
/// nothing), but only a regular file is read — never a FIFO, a device, or a file of `/proc`,
/// `/sys` or `/dev` — and no more than `limit` bytes.
pub fn read_regular(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let pseudo = |p: &Path| ["/proc", "/sys", "/dev"].iter().any(|d| p.starts_with(d));
    if pseudo(path) || std::fs::canonicalize(path).is_ok_and(|p| pseudo(&p)) {
        return Err(refused(path, "is not a regular file (a system file)"));
    }
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    let fd = rfs::openat(rfs::CWD, path, flags, Mode::empty())
        .map_err(|e| refused(path, &io::Error::from(e).to_string()))?;
    #[cfg(target_os = "linux")]
    if rfs::fstatfs(&fd).is_ok_and(|s| s.f_type == rfs::PROC_SUPER_MAGIC) {
        return Err(refused(path, "is not a regular file (a system file)"));
    }
    read_bounded(File::from(fd), path, limit)
}

/// The largest file a site may name (a certificate chain is a few kilobytes).
pub const MAX_NAMED_FILE_BYTES: u64 = 1 << 20;

/// Reads the files a site names (`file("...")`), relative to the site file's directory (the
/// working directory for `-`, standard input): regular files only (no FIFO, device or `/proc`
/// file), at most [`MAX_NAMED_FILE_BYTES`]. An error says why, not which file: the diagnostic
/// names it already.
pub fn named_file_reader(site: &Path) -> impl Fn(&str) -> Result<Vec<u8>, String> {
    let dir = match site.parent() {
        Some(d) if site.as_os_str() != "-" => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    move |relative: &str| {
        read_regular(&dir.join(relative), MAX_NAMED_FILE_BYTES).map_err(|e| {
            let msg = e.to_string();
            match msg.rsplit_once(": ") {
                Some((_, why)) if e.kind() == io::ErrorKind::Other => why.to_string(),
                _ => msg,
            }
        })
    }
}

/// Reads a file that is about to be rewritten: it must be a regular file itself, not a link.
pub fn read_for_rewrite(path: &Path, limit: u64) -> io::Result<(Vec<u8>, FileStat)> {
    let (dir, name) = parent_and_name(path)?;
    match dir.entry(&name)? {
        Some(Entry::File(st)) => {
            let bytes = dir
                .read(&name, limit)?
                .ok_or_else(|| refused(path, "vanished"))?;
            Ok((bytes, st))
        }
        Some(Entry::Link) => Err(link_refused(path)),
        Some(_) => Err(refused(path, "is not a regular file")),
        None => Err(refused(path, "No such file or directory")),
    }
}

/// The directory a path names, under the policy for paths a command is given: every
/// component below the working directory (a relative path, or an absolute one inside the
/// working directory) is entered without following a link, so a link planted in a checkout
/// cannot redirect a write; above the working directory (an absolute path elsewhere, `..`)
/// the path is the operator's own and is followed, all but its last component. Missing
/// directories are created when `create`.
pub fn open_path(path: &Path, create: bool) -> io::Result<Dir> {
    let (mut dir, rest) = start_of(path)?;
    let mut seen = dir.shown.clone();
    for c in rest.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                seen.push("..");
                dir = Dir::open(&seen)?;
            }
            Component::Normal(name) => {
                seen.push(name);
                dir = match dir.child(name, create)? {
                    Some(d) => d,
                    None => return Err(refused(&seen, "No such file or directory")),
                };
            }
            Component::RootDir | Component::Prefix(_) => unreachable!("a relative rest"),
        }
    }
    dir.shown = path.to_path_buf();
    Ok(dir)
}

/// Where a walk starts and what is left to walk: the working directory and a relative path,
/// or, for an absolute path outside it, its parent (followed) and its last component.
fn start_of(path: &Path) -> io::Result<(Dir, PathBuf)> {
    if !path.is_absolute() {
        return Ok((Dir::open(Path::new("."))?, path.to_path_buf()));
    }
    let cwds = [
        std::env::current_dir().ok(),
        std::env::var_os("PWD").map(PathBuf::from),
    ];
    for cwd in cwds.into_iter().flatten() {
        if let Ok(inside) = path.strip_prefix(&cwd) {
            let mut d = Dir::open(Path::new("."))?;
            d.shown = cwd;
            return Ok((d, inside.to_path_buf()));
        }
    }
    let parent = path.parent().unwrap_or(Path::new("/"));
    let last: PathBuf = path.file_name().map(PathBuf::from).unwrap_or_default();
    Ok((Dir::open_following(parent)?, last))
}

/// The directory a command was told to write into, created (with its parents) when missing;
/// refused when it, or a directory on the way below the working directory, is a link.
pub fn open_or_create(path: &Path) -> io::Result<Dir> {
    open_path(path, true)
}

/// The directory holding `path`'s file (under `open_path`'s policy) and the file's name.
fn parent_and_name(path: &Path) -> io::Result<(Dir, OsString)> {
    let name = path
        .file_name()
        .ok_or_else(|| refused(path, "names no file"))?
        .to_os_string();
    let parent = path.parent().unwrap_or(Path::new(""));
    let mut dir = open_path(parent, false)?;
    dir.shown = parent.to_path_buf();
    Ok((dir, name))
}

/// Writes a new file at `path` — never over anything already there, link or file — whole:
/// written under an unpredictable name beside it, then linked into place (`linkat` does not
/// replace), so a full disk or a crash leaves nothing half-written or empty behind.
pub fn write_new_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    let (dir, name) = parent_and_name(path)?;
    let prefix = format!(".{}.cci-dsl-", name.to_string_lossy());
    let (tmp, mut file) = dir.create_temp(&prefix, 0o666)?;
    if let Err(e) = file.write_all(contents) {
        let _ = dir.remove_file(&tmp);
        return Err(e);
    }
    match dir.link_new(&tmp, &name) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            Err(refused(path, "already exists; not overwriting it"))
        }
        other => other,
    }
}

/// Reads a file whose text a command may print (a site, a tfvars file, the stdlib): as
/// `read_regular`, and not through a link that leads out of the link's own directory (a
/// checkout's `site.cci` linked to `~/.netrc` would otherwise be quoted in diagnostics).
pub fn read_source(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| refused(path, &e.to_string()))?;
    if meta.file_type().is_symlink() {
        let home = path.parent().unwrap_or(Path::new(""));
        let home = if home.as_os_str().is_empty() {
            Path::new(".")
        } else {
            home
        };
        let inside = match (std::fs::canonicalize(home), std::fs::canonicalize(path)) {
            (Ok(h), Ok(t)) => t.starts_with(h),
            _ => false,
        };
        if !inside {
            return Err(refused(
                path,
                "is a symbolic link to a file outside its directory; name the file itself",
            ));
        }
    }
    read_regular(path, limit)
}

/// Replaces the regular file at `path`, read as `was`, with `contents`: written beside it
/// under an unpredictable name with its mode and owner, then renamed over it, so a reader
/// never sees half a file. Refused when it is read-only, a link, or changed since it was read.
pub fn replace_file(path: &Path, was: &FileStat, contents: &[u8]) -> io::Result<()> {
    if was.read_only() {
        return Err(refused(path, "is read-only; not changed"));
    }
    let (dir, name) = parent_and_name(path)?;
    let prefix = format!(".{}.cci-dsl-", name.to_string_lossy());
    let (tmp, mut file) = dir.create_temp(&prefix, 0o600)?;
    let written = (|| {
        file.write_all(contents)?;
        keep_mode_and_owner(&file, was, path)?;
        match dir.entry(&name)? {
            Some(Entry::File(now)) if now == *was => {}
            Some(Entry::Link) => return Err(link_refused(path)),
            _ => {
                return Err(refused(
                    path,
                    "changed while cci-dsl was working on it; not replaced",
                ))
            }
        }
        dir.rename(&tmp, &dir, &name)
    })();
    if written.is_err() {
        let _ = dir.remove_file(&tmp);
    }
    written
}

/// Gives a new file the mode and owner of the file it replaces.
pub fn keep_mode_and_owner(file: &File, was: &FileStat, shown: &Path) -> io::Result<()> {
    rfs::fchmod(file, Mode::from_raw_mode(was.mode as _))?;
    let meta = file.metadata()?;
    use std::os::unix::fs::MetadataExt;
    if meta.uid() != was.uid || meta.gid() != was.gid {
        let (uid, gid) = (
            rfs::Uid::from_raw(was.uid as _),
            rfs::Gid::from_raw(was.gid as _),
        );
        rfs::fchown(file, Some(uid), Some(gid))
            .map_err(|_| refused(shown, "cannot keep its owner; not replaced"))?;
    }
    Ok(())
}

/// The `*.cci` files under `dir`: hidden directories and `target` skipped, no link entered
/// or taken (each one skipped is returned, to say so), no FIFO or device.
pub fn site_files(dir: &Path) -> io::Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    const MAX_DEPTH: usize = 64;
    let mut found = Vec::new();
    let mut links = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), 0)];
    while let Some((d, depth)) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&d)?.filter_map(Result::ok).collect();
        entries.sort_by_key(|e| std::cmp::Reverse(e.file_name()));
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            let path = e.path();
            let Ok(ty) = e.file_type() else { continue };
            if ty.is_symlink() {
                if name.ends_with(".cci") || std::fs::metadata(&path).is_ok_and(|m| m.is_dir()) {
                    links.push(path);
                }
            } else if ty.is_dir() {
                if !name.starts_with('.') && name != "target" && depth < MAX_DEPTH {
                    stack.push((path, depth + 1));
                }
            } else if ty.is_file() && name.ends_with(".cci") {
                found.push(path);
            }
        }
    }
    found.sort();
    links.sort();
    Ok((found, links))
}
