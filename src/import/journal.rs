//! The import journal: one JSON object a line, appended and flushed to disk (fsync) as each
//! chunk is sent and settled, so an import killed at any point can be resumed without
//! sending a settled chunk twice.
//!
//! ```text
//! {"event":"start","version":1,"input":{...},"tracker":"...","strategy":"raise",...}
//! {"event":"sending","chunk":0,"first":1,"last":5000,"existed":[]}
//! {"event":"done","chunk":0,"rejected":[[17,"pin_definitions[0].position: ..."]]}
//! {"event":"finished"}
//! ```
//!
//! A chunk with `sending` and no `done` was in flight when the run stopped: it may have been
//! applied. A torn last line (the process died mid-write) is cut off when the journal is
//! reopened.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::api::model::ConflictStrategy;
use crate::import::scan::{Plan, read_at};

pub const VERSION: u32 = 1;

/// How many bytes at each end of the input are hashed into its fingerprint.
const FINGERPRINT_BYTES: u64 = 1 << 20;

/// What identifies an input file: a resume refuses a file whose fingerprint changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub path: String,
    pub size: u64,
    /// Modification time as `seconds.nanoseconds` since the epoch, when the system has one.
    pub modified: Option<String>,
    /// SHA-256 of the first and of the last MiB.
    pub head: String,
    pub tail: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Fingerprints the file behind `path` (read through `file`, which must be that file).
pub fn fingerprint(path: &Path, file: &File) -> io::Result<Fingerprint> {
    let meta = file.metadata()?;
    let size = meta.len();
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| format!("{}.{:09}", d.as_secs(), d.subsec_nanos()));
    let hash_range = |start: u64, len: u64| -> io::Result<String> {
        let mut buf = vec![0u8; len as usize];
        read_at(file, &mut buf, start)?;
        Ok(hex(&Sha256::digest(&buf)))
    };
    let n = size.min(FINGERPRINT_BYTES);
    Ok(Fingerprint {
        path: path.display().to_string(),
        size,
        modified,
        head: hash_range(0, n)?,
        tail: hash_range(size - n, n)?,
    })
}

/// A digest of what pass 1 found (every line's state and offset): equal digests mean the
/// same lines, the same validity and the same chunks.
pub fn plan_digest(plan: &Plan) -> String {
    let mut h = Sha256::new();
    // The bytes journals have always hashed, so an older journal still resumes.
    let codes: Vec<u8> = plan.codes.iter().map(|c| c.journal_byte()).collect();
    h.update(&codes);
    for o in &plan.offsets {
        h.update(o.to_le_bytes());
    }
    for l in &plan.dup_lines {
        h.update(l.to_le_bytes());
    }
    hex(&h.finalize()[..16])
}

/// The first record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub version: u32,
    pub input: Fingerprint,
    pub plan: String,
    /// `host tracker_id`: a resume against another tracker is refused.
    pub tracker: String,
    pub strategy: ConflictStrategy,
    pub chunk_size: usize,
    pub max_chunk_bytes: u64,
    pub chunks: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Record {
    Start(Header),
    /// Written before a chunk's first request. `existed`: its lines whose target was already
    /// stored (the basis for `replaced`/`skipped`, and under `raise` rejected unsent).
    Sending {
        chunk: usize,
        first: u32,
        last: u32,
        existed: Vec<u32>,
    },
    /// Every line of the chunk is settled: the listed ones rejected, the others applied.
    Done {
        chunk: usize,
        rejected: Vec<(u32, String)>,
    },
    /// Every chunk is done.
    Finished,
}

/// What a journal says so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub header: Header,
    pub sending: HashMap<usize, (u32, u32, Vec<u32>)>,
    pub done: HashMap<usize, Vec<(u32, String)>>,
    pub finished: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("journal {}: {message}", path.display())]
    Corrupt { path: PathBuf, message: String },
}

/// An open journal, appended to.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
}

impl Journal {
    /// Starts a new journal at `path` (replacing any file there) with its header.
    pub fn create(path: &Path, header: Header) -> Result<Journal, JournalError> {
        let io_err = |source| JournalError::Io {
            path: path.to_path_buf(),
            source,
        };
        // Private (0600, in 0700 directories): it names the input and the tracker.
        let file = crate::files::open_private(
            path,
            OpenOptions::new().create(true).write(true).truncate(true),
        )
        .map_err(io_err)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(io_err)?;
        }
        let mut j = Journal {
            path: path.to_path_buf(),
            file,
        };
        j.append(&Record::Start(header))?;
        sync_dir(path);
        Ok(j)
    }

    /// Reopens a journal to continue it: reads what it says and cuts a torn last line.
    pub fn reopen(path: &Path) -> Result<(Journal, Loaded), JournalError> {
        let io_err = |source| JournalError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(io_err)?;
        // A journal of an older version may be 0644: it names the input and the tracker.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(io_err)?;
        }
        let (loaded, good_len) = parse(path, &mut file)?;
        file.set_len(good_len).map_err(io_err)?;
        file.seek(SeekFrom::End(0)).map_err(io_err)?;
        Ok((
            Journal {
                path: path.to_path_buf(),
                file,
            },
            loaded,
        ))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record and waits until it is on disk.
    pub fn append(&mut self, r: &Record) -> Result<(), JournalError> {
        let mut line = serde_json::to_vec(r).map_err(|e| JournalError::Corrupt {
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        line.push(b'\n');
        let io_err = |source| JournalError::Io {
            path: self.path.clone(),
            source,
        };
        self.file.write_all(&line).map_err(io_err)?;
        self.file.sync_data().map_err(io_err)?;
        Ok(())
    }
}

/// Reads a journal without changing it; `Ok(None)` when there is none.
pub fn peek(path: &Path) -> Result<Option<Loaded>, JournalError> {
    match File::open(path) {
        Ok(mut f) => parse(path, &mut f).map(|(l, _)| Some(l)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(JournalError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Parses every complete record; returns them and the length of the good prefix.
fn parse(path: &Path, file: &mut File) -> Result<(Loaded, u64), JournalError> {
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|source| JournalError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    let corrupt = |message: String| JournalError::Corrupt {
        path: path.to_path_buf(),
        message,
    };
    let mut good = 0usize;
    let mut header: Option<Header> = None;
    let mut sending = HashMap::new();
    let mut done = HashMap::new();
    let mut finished = false;
    let mut rest = &bytes[..];
    while let Some(i) = memchr::memchr(b'\n', rest) {
        let line = &rest[..i];
        let record: Record = match serde_json::from_slice(line) {
            Ok(r) => r,
            // A line that does not parse can only be the last one, torn by a crash;
            // anything after it is not trusted either.
            Err(_) => break,
        };
        match record {
            Record::Start(h) => {
                if header.is_some() {
                    return Err(corrupt("a second start record".into()));
                }
                header = Some(h);
            }
            _ if header.is_none() => return Err(corrupt("no start record".into())),
            Record::Sending {
                chunk,
                first,
                last,
                existed,
            } => {
                sending.insert(chunk, (first, last, existed));
            }
            Record::Done { chunk, rejected } => {
                done.insert(chunk, rejected);
            }
            Record::Finished => finished = true,
        }
        good += i + 1;
        rest = &rest[i + 1..];
    }
    let header = header.ok_or_else(|| corrupt("not an import journal (no start record)".into()))?;
    if header.version != VERSION {
        return Err(corrupt(format!(
            "written by journal version {}, this is {VERSION}",
            header.version
        )));
    }
    Ok((
        Loaded {
            header,
            sending,
            done,
            finished,
        },
        good as u64,
    ))
}

/// Makes the journal's new directory entry durable.
fn sync_dir(path: &Path) {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => crate::files::sync_dir(d),
        _ => crate::files::sync_dir(Path::new(".")),
    }
}

/// Where the journal of an import goes: next to the report (`REPORT.journal`) when there is
/// a report file, else in the data dir, named after the input's absolute path.
pub fn default_path(input: &Path, report: Option<&Path>) -> Option<PathBuf> {
    if let Some(r) = report.filter(|r| r.as_os_str() != "-") {
        let mut name = r.file_name()?.to_os_string();
        name.push(".journal");
        return Some(r.with_file_name(name));
    }
    let dir = crate::config::data_dir()?;
    let digest = hex(&Sha256::digest(input.display().to_string().as_bytes())[..8]);
    let stem = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem: String = stem
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(60)
        .collect();
    Some(dir.join("imports").join(format!("{stem}-{digest}.journal")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            version: VERSION,
            input: Fingerprint {
                path: "/x".into(),
                size: 3,
                modified: None,
                head: "a".into(),
                tail: "b".into(),
            },
            plan: "p".into(),
            tracker: "http://h t".into(),
            strategy: ConflictStrategy::Override,
            chunk_size: 2,
            max_chunk_bytes: 10,
            chunks: 2,
        }
    }

    #[test]
    fn round_trip_and_torn_tail() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("sub").join("j.journal");
        let mut j = Journal::create(&path, header()).expect("create");
        j.append(&Record::Sending {
            chunk: 0,
            first: 1,
            last: 2,
            existed: vec![2],
        })
        .expect("append");
        j.append(&Record::Done {
            chunk: 0,
            rejected: vec![(1, "bad".into())],
        })
        .expect("append");
        j.append(&Record::Sending {
            chunk: 1,
            first: 3,
            last: 4,
            existed: vec![],
        })
        .expect("append");
        drop(j);
        // A crash in the middle of a write.
        let mut f = OpenOptions::new().append(true).open(&path).expect("open");
        f.write_all(br#"{"event":"done","chu"#).expect("write");
        drop(f);

        let loaded = peek(&path).expect("peek").expect("exists");
        assert_eq!(loaded.header, header());
        assert_eq!(loaded.done[&0], vec![(1, "bad".to_string())]);
        assert_eq!(loaded.sending[&1], (3, 4, vec![]));
        assert!(!loaded.done.contains_key(&1));
        assert!(!loaded.finished);

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).map(|m| m.permissions().mode() & 0o777);
            assert_eq!(mode(&path).ok(), Some(0o600), "a new journal is private");
            // One left 0644 by an older version is made private when it is continued.
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
            let _ = Journal::reopen(&path).expect("reopen");
            assert_eq!(
                mode(&path).ok(),
                Some(0o600),
                "a continued journal is private"
            );
        }
        let (mut j, again) = Journal::reopen(&path).expect("reopen");
        assert_eq!(again, loaded);
        j.append(&Record::Done {
            chunk: 1,
            rejected: vec![],
        })
        .expect("append");
        j.append(&Record::Finished).expect("append");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            !text.contains("\"chu\n") && !text.contains(r#""chu{"#),
            "{text}"
        );
        let done = peek(&path).expect("peek").expect("exists");
        assert!(done.finished);
        assert_eq!(done.done.len(), 2);
    }

    #[test]
    fn not_a_journal() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("j");
        std::fs::write(&path, "hello\n").expect("write");
        assert!(matches!(peek(&path), Err(JournalError::Corrupt { .. })));
        assert!(peek(&dir.path().join("none")).expect("peek").is_none());
    }

    #[test]
    fn fingerprint_sees_changes() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("in");
        std::fs::write(&path, "abc\n").expect("write");
        let a = fingerprint(&path, &File::open(&path).expect("open")).expect("fp");
        std::fs::write(&path, "abd\n").expect("write");
        let b = fingerprint(&path, &File::open(&path).expect("open")).expect("fp");
        assert_eq!(a.size, b.size);
        assert_ne!(a.head, b.head);
        std::fs::write(&path, "").expect("write");
        let c = fingerprint(&path, &File::open(&path).expect("open")).expect("fp");
        assert_eq!(c.size, 0);
    }

    #[test]
    fn journal_paths() {
        let p = default_path(Path::new("/d/in.ndjson"), Some(Path::new("/r/out.ndjson")))
            .expect("path");
        assert_eq!(p, PathBuf::from("/r/out.ndjson.journal"));
    }
}
