//! An open directory, and everything the file-system policy does through one: each name is
//! looked up relative to the directory's descriptor (`*at` calls), never by a path a link
//! could redirect, and never following a link at the name itself (`O_NOFOLLOW`).

use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags};
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::path::{Component, Path, PathBuf};

use super::fs::read_bounded;

/// An error that names the path and says why, as the CLI prints it.
pub(crate) fn refused(path: &Path, why: &str) -> io::Error {
    io::Error::other(format!("{}: {why}", path.display()))
}

pub(crate) fn link_refused(path: &Path) -> io::Error {
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

    /// A directory the operator named above the working directory: links followed.
    pub fn open_following(path: &Path) -> io::Result<Dir> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        match rfs::openat(rfs::CWD, path, flags, Mode::empty()) {
            Ok(fd) => Ok(Dir {
                fd,
                shown: path.to_path_buf(),
            }),
            Err(e) => Err(refused(path, &io::Error::from(e).to_string())),
        }
    }

    fn path_of(&self, name: &OsStr) -> PathBuf {
        self.shown.join(name)
    }

    /// What is at `name`, if anything, without following a link.
    pub fn entry(&self, name: impl AsRef<OsStr>) -> io::Result<Option<Entry>> {
        let name = name.as_ref();
        match rfs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(Some(entry_of(&st))),
            Err(rustix::io::Errno::NOENT) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The subdirectory `name`, created when missing and `create`; a link or a file there is
    /// refused.
    pub fn child(&self, name: impl AsRef<OsStr>, create: bool) -> io::Result<Option<Dir>> {
        let name = name.as_ref();
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
        let mut dir = self.try_clone()?;
        for c in rel.components() {
            let Component::Normal(name) = c else {
                return Err(refused(
                    &self.shown.join(rel),
                    "is not a plain relative path",
                ));
            };
            match dir.child(name, create)? {
                Some(d) => dir = d,
                None => return Ok(None),
            }
        }
        Ok(Some(dir))
    }

    /// The bytes of the regular file `name` (at most `limit`), or `None` when nothing is
    /// there; a link, a directory or anything else is an error.
    pub fn read(&self, name: impl AsRef<OsStr>, limit: u64) -> io::Result<Option<Vec<u8>>> {
        let name = name.as_ref();
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
    pub fn create_new(&self, name: impl AsRef<OsStr>, mode: u32) -> io::Result<File> {
        let name = name.as_ref();
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
                        .ok_or_else(|| refused(&self.path_of(name.as_ref()), "vanished"))?;
                    return Ok((name, dir));
                }
            }
        }
        Err(refused(&self.shown, "cannot create a temporary directory"))
    }

    /// Renames `from` here to `to` in `dir`, replacing what is there (a link there is
    /// replaced, not followed).
    pub fn rename(
        &self,
        from: impl AsRef<OsStr>,
        dir: &Dir,
        to: impl AsRef<OsStr>,
    ) -> io::Result<()> {
        Ok(rfs::renameat(
            &self.fd,
            from.as_ref(),
            &dir.fd,
            to.as_ref(),
        )?)
    }

    /// Removes the name `name` (a file or a link: a link is removed, never followed).
    pub fn remove_file(&self, name: impl AsRef<OsStr>) -> io::Result<()> {
        match rfs::unlinkat(&self.fd, name.as_ref(), AtFlags::empty()) {
            Ok(()) | Err(rustix::io::Errno::NOENT) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes the directory `name` and everything in it, entering no link.
    pub fn remove_tree(&self, name: impl AsRef<OsStr>) -> io::Result<()> {
        let name = name.as_ref();
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

    /// The names in the directory, sorted (not `.` and `..`), as the file system has them.
    pub fn names(&self) -> io::Result<Vec<OsString>> {
        use std::os::unix::ffi::OsStrExt;
        let mut dir = rfs::Dir::read_from(&self.fd)?;
        let mut out = Vec::new();
        while let Some(e) = dir.read() {
            let e = e?;
            let name = OsStr::from_bytes(e.file_name().to_bytes());
            if name != "." && name != ".." {
                out.push(name.to_os_string());
            }
        }
        out.sort();
        Ok(out)
    }

    /// Makes `tmp` (a file here) appear as `name` only if nothing is there (`linkat`, which
    /// never replaces), then removes `tmp`.
    pub fn link_new(&self, tmp: impl AsRef<OsStr>, name: impl AsRef<OsStr>) -> io::Result<()> {
        let linked = rfs::linkat(
            &self.fd,
            tmp.as_ref(),
            &self.fd,
            name.as_ref(),
            AtFlags::empty(),
        );
        let _ = self.remove_file(tmp);
        match linked {
            Err(rustix::io::Errno::EXIST) => Err(io::Error::from(io::ErrorKind::AlreadyExists)),
            other => Ok(other?),
        }
    }

    /// The descriptor's directory, once more (for walking from it).
    pub fn try_clone(&self) -> io::Result<Dir> {
        Ok(Dir {
            fd: self.fd.try_clone()?,
            shown: self.shown.clone(),
        })
    }
}
