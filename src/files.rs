//! Files pinscope writes: the one way to write a file whole, to check an output path before
//! any work is done, to make private directories, and to lock a file against a second
//! process.
//!
//! A leaf: it imports nothing of ours, so every floor may use it (the emulator included).
//!
//! - [`WholeFile`] / [`write_whole`]: a regular file (or a missing one) is written under a
//!   temporary name in the same directory, synced, renamed into place and its directory
//!   synced, so it appears whole or not at all. A path that exists and is not a regular file
//!   (a device such as `/dev/null`, a fifo) is written through, never replaced; a symbolic
//!   link is followed and its target written, so the link stays.
//! - New files are private (0600) and new directories too (0700); a file that is replaced
//!   keeps its permissions.
//! - [`check_output`] refuses a directory or an unwritable path up front.
//! - [`Lock`]: an advisory lock (`flock`) on a `.lock` file beside what it protects.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// What is at a path, following symbolic links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Missing,
    Regular,
    Directory,
    /// A device, fifo or socket: written through, never replaced.
    Special,
}

/// What is at `path`, following symbolic links (a dangling link is [`Kind::Missing`]).
pub fn kind(path: &Path) -> io::Result<Kind> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(Kind::Regular),
        Ok(m) if m.is_dir() => Ok(Kind::Directory),
        Ok(_) => Ok(Kind::Special),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Kind::Missing),
        Err(e) => Err(e),
    }
}

/// The directory a file named `path` lives in (`.` for a bare name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// The path a regular or missing file at `path` is really written at: its symbolic links
/// followed (a dangling one too), so that the link stays and its target is replaced.
fn resolve(path: &Path) -> io::Result<PathBuf> {
    if let Ok(real) = std::fs::canonicalize(path) {
        return Ok(real);
    }
    resolve_links(path)
}

/// Follows symbolic links one by one, to a path that may not exist yet.
fn resolve_links(path: &Path) -> io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = std::fs::read_link(&p)?;
                p = if to.is_absolute() {
                    to
                } else {
                    parent_dir(&p).join(to)
                };
            }
            Ok(_) => return Ok(p),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(p),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

/// Checks, before any work is done, that `path` can be written: a directory, a missing
/// directory or one that cannot be written in, and an existing file that cannot be opened
/// for writing are refused. The message names the path and why.
pub fn check_output(path: &Path) -> Result<Kind, String> {
    let shown = path.display();
    let k = kind(path).map_err(|e| format!("cannot write {shown}: {e}"))?;
    match k {
        Kind::Directory => return Err(format!("cannot write {shown}: it is a directory")),
        Kind::Special => {
            // Opened as named: `/dev/stdout` links to a pipe that has no path of its own.
            OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| format!("cannot write {shown}: {e}"))?;
            return Ok(k);
        }
        Kind::Regular | Kind::Missing => {}
    }
    let real = resolve(path).map_err(|e| format!("cannot write {shown}: {e}"))?;
    let dir = parent_dir(&real);
    match kind(dir) {
        Ok(Kind::Directory) => {}
        Ok(Kind::Missing) => {
            return Err(format!(
                "cannot write {shown}: the directory {} does not exist",
                dir.display()
            ));
        }
        Ok(_) => {
            return Err(format!(
                "cannot write {shown}: {} is not a directory",
                dir.display()
            ));
        }
        Err(e) => return Err(format!("cannot write {shown}: {e}")),
    }
    // Writing means a temporary file in the directory, then a rename: try the first half.
    tempfile::Builder::new()
        .prefix(".pinscope-check")
        .tempfile_in(dir)
        .map_err(|e| format!("cannot write {shown}: {e}"))?;
    Ok(k)
}

enum Sink {
    /// A temporary file beside the target, renamed over it on commit.
    Replace {
        tmp: BufWriter<tempfile::NamedTempFile>,
        target: PathBuf,
        keep: Option<std::fs::Permissions>,
    },
    /// An existing device or fifo, written as it is.
    Through(BufWriter<File>),
}

/// A file written whole: see the module's description. Dropped without
/// [`WholeFile::commit`], a replaced file is left as it was.
pub struct WholeFile {
    sink: Sink,
}

impl WholeFile {
    /// Starts writing `path`.
    pub fn create(path: &Path) -> io::Result<WholeFile> {
        let sink = match kind(path)? {
            Kind::Directory => {
                return Err(io::Error::new(
                    io::ErrorKind::IsADirectory,
                    "it is a directory",
                ));
            }
            // Opened as named: `/dev/stdout` links to a pipe that has no path of its own.
            Kind::Special => {
                Sink::Through(BufWriter::new(OpenOptions::new().write(true).open(path)?))
            }
            k @ (Kind::Regular | Kind::Missing) => {
                let real = resolve(path)?;
                let keep = match k {
                    Kind::Regular => std::fs::metadata(&real).ok().map(|m| m.permissions()),
                    _ => None,
                };
                // tempfile creates the file 0600 on Unix.
                let tmp = tempfile::Builder::new()
                    .prefix(".pinscope-")
                    .suffix(".tmp")
                    .tempfile_in(parent_dir(&real))?;
                Sink::Replace {
                    tmp: BufWriter::with_capacity(1 << 16, tmp),
                    target: real,
                    keep,
                }
            }
        };
        Ok(WholeFile { sink })
    }

    /// Makes the content durable and puts it in place.
    pub fn commit(self) -> io::Result<()> {
        match self.sink {
            Sink::Through(mut w) => w.flush(),
            Sink::Replace { tmp, target, keep } => {
                let tmp = tmp.into_inner().map_err(|e| e.into_error())?;
                if let Some(p) = keep {
                    tmp.as_file().set_permissions(p)?;
                }
                tmp.as_file().sync_all()?;
                tmp.persist(&target).map_err(|e| e.error)?;
                sync_dir(parent_dir(&target));
                Ok(())
            }
        }
    }
}

impl Write for WholeFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.sink {
            Sink::Replace { tmp, .. } => tmp.write(buf),
            Sink::Through(w) => w.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.sink {
            Sink::Replace { tmp, .. } => tmp.write_all(buf),
            Sink::Through(w) => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Replace { tmp, .. } => tmp.flush(),
            Sink::Through(w) => w.flush(),
        }
    }
}

/// Writes `path` whole with what `fill` writes (see [`WholeFile`]), creating its directory
/// (private) when missing.
pub fn write_whole(
    path: &Path,
    fill: impl FnOnce(&mut WholeFile) -> io::Result<()>,
) -> io::Result<()> {
    create_private_dir_all(parent_dir(path))?;
    let mut f = WholeFile::create(path)?;
    fill(&mut f)?;
    f.commit()
}

/// Makes a new directory entry durable (best effort: the file's own sync holds its
/// content); a no-op where directories cannot be opened.
pub fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Creates `dir` and its missing parents, each private (0700). Directories that exist are
/// left as they are.
pub fn create_private_dir_all(dir: &Path) -> io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Makes a directory private (0700) when an earlier version left it open to others. Only a
/// real directory (not a link) owned by this user is changed; returns whether it was.
pub fn tighten_dir(dir: &Path) -> io::Result<bool> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let m = match std::fs::symlink_metadata(dir) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e),
        };
        if !m.is_dir() || m.uid() != rustix::process::geteuid().as_raw() || m.mode() & 0o077 == 0 {
            return Ok(false);
        }
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        Ok(true)
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(false)
    }
}

/// Opens `path` for appending, creating it private (0600) with its directory.
pub fn open_private(path: &Path, opts: &mut OpenOptions) -> io::Result<File> {
    create_private_dir_all(parent_dir(path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

/// Why a lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it.
    #[error("{} is in use by another pinscope process (lock {})", what.display(), lock.display())]
    Held { what: PathBuf, lock: PathBuf },
    #[error("cannot lock {}: {source}", lock.display())]
    Io { lock: PathBuf, source: io::Error },
}

/// An advisory lock on `FILE.lock` beside a file; released (and the lock file removed) when
/// dropped, and by the system when the process ends however it ends.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
    _file: File,
}

impl Lock {
    /// The lock file that guards `what`.
    pub fn path_for(what: &Path) -> PathBuf {
        let mut name = what.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        what.with_file_name(name)
    }

    /// Takes the lock on `what` without waiting: [`LockError::Held`] when another process
    /// has it.
    pub fn try_take(what: &Path) -> Result<Lock, LockError> {
        let lock = Lock::path_for(what);
        let io_err = |source| LockError::Io {
            lock: lock.clone(),
            source,
        };
        loop {
            let file = open_private(
                &lock,
                OpenOptions::new().create(true).truncate(false).write(true),
            )
            .map_err(io_err)?;
            #[cfg(unix)]
            {
                use rustix::fs::{FlockOperation, flock};
                match flock(&file, FlockOperation::NonBlockingLockExclusive) {
                    Ok(()) => {}
                    Err(e) if e == rustix::io::Errno::WOULDBLOCK => {
                        return Err(LockError::Held {
                            what: what.to_path_buf(),
                            lock,
                        });
                    }
                    Err(e) => return Err(io_err(e.into())),
                }
                // The holder before us may have removed the file after we opened it: the
                // lock counts only if the path still names the file we locked.
                use std::os::unix::fs::MetadataExt;
                let ours = file.metadata().map_err(io_err)?;
                match std::fs::metadata(&lock) {
                    Ok(now) if now.dev() == ours.dev() && now.ino() == ours.ino() => {}
                    Ok(_) => continue,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(io_err(e)),
                }
            }
            return Ok(Lock {
                path: lock,
                _file: file,
            });
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Removed while still held, so nobody can lock a file that is about to go.
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(p: &Path) -> String {
        std::fs::read_to_string(p).unwrap_or_default()
    }

    #[test]
    fn a_regular_file_is_replaced_whole_and_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("new").join("out.ndjson");
        write_whole(&p, |w| w.write_all(b"one\n")).expect("write");
        assert_eq!(read(&p), "one\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).map(|m| m.permissions().mode() & 0o777);
            assert_eq!(mode(&p).expect("mode"), 0o600);
            assert_eq!(mode(&dir.path().join("new")).expect("mode"), 0o700);
            // A replaced file keeps the permissions it had.
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).expect("chmod");
            write_whole(&p, |w| w.write_all(b"two\n")).expect("write");
            assert_eq!(mode(&p).expect("mode"), 0o640);
        }
        assert_eq!(read(&p), "two\n");
        // A failed fill leaves the old content.
        let r = write_whole(&p, |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("stop"))
        });
        assert!(r.is_err());
        assert_eq!(read(&p), "two\n");
        let left: Vec<_> = std::fs::read_dir(dir.path().join("new"))
            .expect("ls")
            .filter_map(Result::ok)
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left.len(), 1, "no temporary file is left: {left:?}");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_and_a_device_are_written_through() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("real.ndjson");
        std::fs::write(&target, "old\n").expect("write");
        let link = dir.path().join("link.ndjson");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        write_whole(&link, |w| w.write_all(b"new\n")).expect("write");
        assert!(
            std::fs::symlink_metadata(&link)
                .expect("stat")
                .file_type()
                .is_symlink(),
            "the link stays a link"
        );
        assert_eq!(read(&target), "new\n");

        // A link to a fifo is written through the link (as /dev/stdout to a pipe is).
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            let via = dir.path().join("via-link");
            std::os::unix::fs::symlink(&fifo, &via).expect("symlink");
            let reader = {
                let fifo = fifo.clone();
                std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap_or_default())
            };
            write_whole(&via, |w| w.write_all(b"through\n")).expect("write the fifo");
            assert_eq!(reader.join().expect("reader"), "through\n");
            use std::os::unix::fs::FileTypeExt;
            let m = std::fs::metadata(&fifo).expect("stat");
            assert!(m.file_type().is_fifo(), "the fifo is still a fifo");
        }

        let null = Path::new("/dev/null");
        assert_eq!(check_output(null), Ok(Kind::Special));
        write_whole(null, |w| w.write_all(b"gone\n")).expect("write /dev/null");
        let m = std::fs::metadata(null).expect("stat");
        use std::os::unix::fs::FileTypeExt;
        assert!(
            m.file_type().is_char_device(),
            "/dev/null is still a device"
        );
    }

    #[test]
    fn a_directory_or_a_missing_directory_is_refused_up_front() {
        let dir = tempfile::tempdir().expect("tempdir");
        let e = check_output(dir.path()).expect_err("a directory");
        assert!(e.contains("is a directory"), "{e}");
        let e = check_output(&dir.path().join("no").join("r.ndjson")).expect_err("missing dir");
        assert!(e.contains("does not exist"), "{e}");
        assert_eq!(
            check_output(&dir.path().join("r.ndjson")),
            Ok(Kind::Missing)
        );
        assert!(WholeFile::create(dir.path()).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_lock_is_refused_while_held_and_free_after() {
        let dir = tempfile::tempdir().expect("tempdir");
        let what = dir.path().join("r.ndjson.journal");
        let first = Lock::try_take(&what).expect("first");
        match Lock::try_take(&what) {
            Err(LockError::Held { what: w, .. }) => assert_eq!(w, what),
            other => panic!("expected Held, got {other:?}"),
        }
        drop(first);
        assert!(!Lock::path_for(&what).exists(), "the lock file is removed");
        let _again = Lock::try_take(&what).expect("free again");
    }
}
