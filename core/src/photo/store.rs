//! Content-addressed, crash-safe storage of evidence files.
//!
//! Evidence is named by the SHA-256 of its bytes so that re-ingesting is
//! idempotent and tampering is detectable. Files appear atomically
//! (temp file in the same directory → write → fsync → rename → fsync dir),
//! so a crash or full disk never leaves a half-written evidence photo behind.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub(super) use linkage_protocol::digest::sha256_hex;

/// Lowercase hex SHA-256 of a file's content, streamed.
pub(super) fn sha256_file(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(linkage_protocol::digest::to_hex(&hasher.finalize()))
}

/// A fully written and fsynced temporary file waiting to be renamed into place.
pub(super) struct Staged {
    temp: tempfile::NamedTempFile,
    target: PathBuf,
}

/// Writes `bytes` to a temp file next to `target` and fsyncs it, unless
/// `target` already is a file (content-addressed names make it identical).
/// The temp file is deleted automatically if it is never committed. Anything
/// else in the way of `target` (e.g. a directory) makes the commit fail.
pub(super) fn stage(target: &Path, bytes: &[u8]) -> io::Result<Option<Staged>> {
    if target.is_file() {
        return Ok(None);
    }
    let dir = target
        .parent()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "target has no parent"))?;
    let mut temp = tempfile::Builder::new()
        .prefix(".evidence-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    Ok(Some(Staged {
        temp,
        target: target.to_path_buf(),
    }))
}

impl Staged {
    /// Atomically renames the temp file onto its target and fsyncs the directory.
    pub fn commit(self) -> io::Result<()> {
        self.temp.persist(&self.target).map_err(|e| e.error)?;
        if let Some(dir) = self.target.parent() {
            sync_dir(dir);
        }
        Ok(())
    }
}

/// Best effort: makes the rename durable on POSIX; not possible on every platform.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Creates `dir` (and parents) if needed.
pub(super) fn ensure_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_commit_and_cleanup() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.jpg");
        stage(&target, b"one").unwrap().unwrap().commit().unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"one");
        // Existing target: nothing staged.
        assert!(stage(&target, b"two").unwrap().is_none());
        // Dropped without commit: temp file removed.
        drop(stage(&dir.path().join("b.jpg"), b"x").unwrap());
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.jpg")]);
        assert_eq!(sha256_file(&target).unwrap(), sha256_hex(b"one"));
    }
}
