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

use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::path::{Component, Path, PathBuf};

/// An error that names the path and says why, as the CLI prints it.
fn refused(path: &Path, why: &str) -> io::Error {
    io::Error::other(format!("{}: {why}", path.display()))
}

fn link_refused(path: &Path) -> io::Error {
    refused(
        path,
        "is a symbolic link; cci-dsl does not write through links (remove it, or name what it points to)",
    )
}

/// What is at a name, without following a link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    File(FileStat),
    Dir,
    Link,
    /// A FIFO, socket or device.
    Other,
}

/// What a rewrite keeps of a regular file, and what tells that it changed meanwhile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileStat {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub len: u64,
    dev: u64,
    ino: u64,
    mtime: (i64, i64),
}

impl FileStat {
    /// No write permission for anyone: the owner marked it read-only.
    pub fn read_only(&self) -> bool {
        self.mode & 0o222 == 0
    }
}

// The stat fields' types differ between platforms; the casts are the portable form.
#[allow(clippy::unnecessary_cast)]
fn entry_of(st: &rfs::Stat) -> Entry {
    match FileType::from_raw_mode(st.st_mode as _) {
        FileType::RegularFile => Entry::File(FileStat {
            mode: st.st_mode as u32 & 0o7777,
            uid: st.st_uid as u32,
            gid: st.st_gid as u32,
            len: st.st_size as u64,
            dev: st.st_dev as u64,
            ino: st.st_ino as u64,
            mtime: (st.st_mtime as i64, st.st_mtime_nsec as i64),
        }),
        FileType::Directory => Entry::Dir,
        FileType::Symlink => Entry::Link,
        _ => Entry::Other,
    }
}

/// An unpredictable name: `prefix` and 16 hex digits from the system's random source.
fn random_name(prefix: &str) -> io::Result<String> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| io::Error::other(e.to_string()))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{prefix}{hex}"))
}

/// An open directory: everything under it is reached through it, never by a path that a
/// link could redirect.
pub struct Dir {
    fd: OwnedFd,
    /// The path it was opened as, for messages.
    pub shown: PathBuf,
}

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

impl Dir {
    /// The directory a command was told to write into, created (with its parents) when
    /// missing. The path's last component must be the directory itself, not a link to one;
    /// the directories above it are the user's choice.
    pub fn open_or_create(path: &Path) -> io::Result<Dir> {
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => return Err(link_refused(path)),
            Ok(m) if !m.is_dir() => return Err(refused(path, "exists and is not a directory")),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => std::fs::create_dir_all(path)?,
            Err(e) => return Err(e),
        }
        Dir::open(path)
    }

    /// An existing directory (not a link to one).
    pub fn open(path: &Path) -> io::Result<Dir> {
        let dir = if path.as_os_str().is_empty() {
            Path::new(".")
        } else {
            path
        };
        match rfs::openat(rfs::CWD, dir, DIR_FLAGS, Mode::empty()) {
            Ok(fd) => Ok(Dir {
                fd,
                shown: path.to_path_buf(),
            }),
            Err(rustix::io::Errno::LOOP) => Err(link_refused(path)),
            Err(e) => Err(refused(path, &io::Error::from(e).to_string())),
        }
    }

    fn path_of(&self, name: &str) -> PathBuf {
        self.shown.join(name)
    }

    /// What is at `name`, if anything, without following a link.
    pub fn entry(&self, name: &str) -> io::Result<Option<Entry>> {
        match rfs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(Some(entry_of(&st))),
            Err(rustix::io::Errno::NOENT) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The subdirectory `name`, created when missing and `create`; a link or a file there is
    /// refused.
    pub fn child(&self, name: &str, create: bool) -> io::Result<Option<Dir>> {
        let shown = self.path_of(name);
        if create {
            match rfs::mkdirat(&self.fd, name, Mode::from_raw_mode(0o777)) {
                Ok(()) | Err(rustix::io::Errno::EXIST) => {}
                Err(e) => return Err(refused(&shown, &io::Error::from(e).to_string())),
            }
        }
        match rfs::openat(&self.fd, name, DIR_FLAGS, Mode::empty()) {
            Ok(fd) => Ok(Some(Dir { fd, shown })),
            Err(rustix::io::Errno::NOENT) => Ok(None),
            Err(rustix::io::Errno::LOOP) => Err(link_refused(&shown)),
            Err(rustix::io::Errno::NOTDIR) => match self.entry(name)? {
                Some(Entry::Link) => Err(link_refused(&shown)),
                _ => Err(refused(&shown, "is not a directory")),
            },
            Err(e) => Err(refused(&shown, &io::Error::from(e).to_string())),
        }
    }

    /// The directory at a relative path of plain components (`terraform`, `graph/x`).
    pub fn descend(&self, rel: &Path, create: bool) -> io::Result<Option<Dir>> {
        let mut dir = Dir {
            fd: self.fd.try_clone()?,
            shown: self.shown.clone(),
        };
        for c in rel.components() {
            let Component::Normal(name) = c else {
                return Err(refused(
                    &self.shown.join(rel),
                    "is not a plain relative path",
                ));
            };
            match dir.child(&name.to_string_lossy(), create)? {
                Some(d) => dir = d,
                None => return Ok(None),
            }
        }
        Ok(Some(dir))
    }

    /// The bytes of the regular file `name` (at most `limit`), or `None` when nothing is
    /// there; a link, a directory or anything else is an error.
    pub fn read(&self, name: &str, limit: u64) -> io::Result<Option<Vec<u8>>> {
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        let fd = match rfs::openat(&self.fd, name, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(rustix::io::Errno::NOENT) => return Ok(None),
            Err(rustix::io::Errno::LOOP) => return Err(link_refused(&self.path_of(name))),
            Err(e) => return Err(e.into()),
        };
        read_bounded(File::from(fd), &self.path_of(name), limit).map(Some)
    }

    /// A new file with an unpredictable name starting with `prefix`, created exclusively
    /// (nothing that was there, link or file, is opened) with `mode`.
    pub fn create_temp(&self, prefix: &str, mode: u32) -> io::Result<(String, File)> {
        for _ in 0..8 {
            let name = random_name(prefix)?;
            match self.create_new(&name, mode) {
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                other => return other.map(|f| (name, f)),
            }
        }
        Err(refused(&self.shown, "cannot create a temporary file"))
    }

    /// The file `name`, which must not exist yet (a link there is not followed: it fails).
    pub fn create_new(&self, name: &str, mode: u32) -> io::Result<File> {
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rfs::openat(&self.fd, name, flags, Mode::from_raw_mode(mode as _))?;
        Ok(File::from(fd))
    }

    /// A new directory with an unpredictable name starting with `prefix`.
    pub fn create_temp_dir(&self, prefix: &str) -> io::Result<(String, Dir)> {
        for _ in 0..8 {
            let name = random_name(prefix)?;
            match rfs::mkdirat(&self.fd, name.as_str(), Mode::from_raw_mode(0o700)) {
                Err(rustix::io::Errno::EXIST) => continue,
                Err(e) => return Err(e.into()),
                Ok(()) => {
                    let dir = self
                        .child(&name, false)?
                        .ok_or_else(|| refused(&self.path_of(&name), "vanished"))?;
                    return Ok((name, dir));
                }
            }
        }
        Err(refused(&self.shown, "cannot create a temporary directory"))
    }

    /// Renames `from` here to `to` in `dir`, replacing what is there (a link there is
    /// replaced, not followed).
    pub fn rename(&self, from: &str, dir: &Dir, to: &str) -> io::Result<()> {
        Ok(rfs::renameat(&self.fd, from, &dir.fd, to)?)
    }

    /// Removes the name `name` (a file or a link: a link is removed, never followed).
    pub fn remove_file(&self, name: &str) -> io::Result<()> {
        match rfs::unlinkat(&self.fd, name, AtFlags::empty()) {
            Ok(()) | Err(rustix::io::Errno::NOENT) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes the directory `name` and everything in it, entering no link.
    pub fn remove_tree(&self, name: &str) -> io::Result<()> {
        if let Some(dir) = self.child(name, false)? {
            for n in dir.names()? {
                match dir.entry(&n)? {
                    Some(Entry::Dir) => dir.remove_tree(&n)?,
                    Some(_) => dir.remove_file(&n)?,
                    None => {}
                }
            }
        }
        match rfs::unlinkat(&self.fd, name, AtFlags::REMOVEDIR) {
            Ok(()) | Err(rustix::io::Errno::NOENT) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The names in the directory, sorted (not `.` and `..`).
    pub fn names(&self) -> io::Result<Vec<String>> {
        let mut dir = rfs::Dir::read_from(&self.fd)?;
        let mut out = Vec::new();
        while let Some(e) = dir.read() {
            let name = e?.file_name().to_string_lossy().into_owned();
            if name != "." && name != ".." {
                out.push(name);
            }
        }
        out.sort();
        Ok(out)
    }
}

/// Reads at most `limit` bytes of an open file that must be a regular file no larger than
/// `limit` (checked before reading, so a sparse 2 GB file costs nothing).
fn read_bounded(mut file: File, shown: &Path, limit: u64) -> io::Result<Vec<u8>> {
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

fn parent_and_name(path: &Path) -> io::Result<(Dir, String)> {
    let name = path
        .file_name()
        .ok_or_else(|| refused(path, "names no file"))?
        .to_string_lossy()
        .into_owned();
    let parent = path.parent().unwrap_or(Path::new(""));
    Ok((Dir::open(parent)?, name))
}

/// Replaces the regular file at `path`, read as `was`, with `contents`: written beside it
/// under an unpredictable name with its mode and owner, then renamed over it, so a reader
/// never sees half a file. Refused when it is read-only, a link, or changed since it was read.
pub fn replace_file(path: &Path, was: &FileStat, contents: &[u8]) -> io::Result<()> {
    if was.read_only() {
        return Err(refused(path, "is read-only; not changed"));
    }
    let (dir, name) = parent_and_name(path)?;
    let (tmp, mut file) = dir.create_temp(&format!(".{name}.cci-dsl-"), 0o600)?;
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
