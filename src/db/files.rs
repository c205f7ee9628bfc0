//! Reading the files rolec is given, safely whatever is on the disk.
//!
//! - Only regular files are read: a FIFO blocks until someone writes to it and a device such
//!   as `/dev/zero` never ends. Their type is checked before they are opened, and they are
//!   opened without blocking, so a file swapped for a FIFO in between cannot hang a command.
//! - Every read stops at a [`Limit`], through a bounded reader, so a file that grows while it
//!   is read cannot exhaust memory either.
//! - Policy text comes only from policy files: a `*.role` name (also at the end of a symbolic
//!   link) and UTF-8 text. An `import "/etc/shadow"` is refused before it is read, so no
//!   diagnostic can show a line of it.
//! - A directory walk follows a symbolic link to a directory only within the directory given,
//!   and enters each directory once (by device and inode), so links like `x -> .` end.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

const MIB: u64 = 1024 * 1024;

/// The most rolec reads of one kind of file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub bytes: u64,
    /// What the limit is for, in a sentence: "the 16 MiB limit for {what}".
    pub what: &'static str,
}

/// One policy file (`*.role`), given or imported.
pub const POLICY_FILE: Limit = Limit { bytes: 16 * MIB, what: "a policy file" };
/// All the files of a policy together (roots and imports).
pub const POLICY: Limit = Limit { bytes: 64 * MIB, what: "a whole policy" };
/// A catalog snapshot (`--catalog FILE`).
pub const CATALOG: Limit = Limit { bytes: 256 * MIB, what: "a catalog snapshot" };
/// A saved plan (`rolec apply --plan FILE`).
pub const PLAN: Limit = Limit { bytes: 64 * MIB, what: "a saved plan" };
/// A sqitch project's `sqitch.plan`, which `rolec diff --layout sqitch` extends.
pub const SQITCH_PLAN: Limit = Limit { bytes: 64 * MIB, what: "a sqitch plan" };

/// A file a connection reads: a password file, a service file, a certificate, a key or a
/// revocation list.
pub const CONNECTION_FILE: Limit = Limit { bytes: 16 * MIB, what: "a connection setting's file" };

/// The extension of policy files.
const POLICY_EXTENSION: &str = "role";

impl Limit {
    /// "the 16 MiB limit for a policy file"
    pub fn phrase(self) -> String {
        format!("the {} limit for {}", human_size(self.bytes), self.what)
    }
}

/// Why a file cannot be read, in a phrase: "cannot read `FILE`: {reason}" ([`CannotRead`]).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("no such file")]
    NotFound,
    #[error("{0}")]
    Io(std::io::Error),
    /// A directory, a FIFO, a device...: what it is ("a FIFO").
    #[error("not a regular file ({0})")]
    NotRegular(&'static str),
    #[error("it is {}, over {}", human_size(*size), limit.phrase())]
    OverLimit { size: u64, limit: Limit },
    /// It grew past its limit while it was read.
    #[error("it is over {}", .0.phrase())]
    GrewOverLimit(Limit),
    #[error("it is not UTF-8 text")]
    NotUtf8,
    /// What makes a file given or imported as policy text not a policy file.
    #[error("not a policy file: {0}")]
    NotPolicyFile(NotPolicyFile),
    /// This file would take the policy's files together over [`POLICY`].
    #[error("the policy's files would be {} together, over {}", human_size(*total), POLICY.phrase())]
    PolicyOverLimit { total: u64 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotPolicyFile {
    #[error("its name does not end in `.role`")]
    Name,
    #[error("it is a link to a file whose name does not end in `.role`")]
    LinkTarget,
    #[error("it is not UTF-8 text")]
    NotUtf8,
}

/// A file that cannot be read, and why: "cannot read `FILE`: reason".
#[derive(Debug, thiserror::Error)]
#[error("cannot read `{}`: {reason}", path.display())]
pub struct CannotRead {
    pub path: PathBuf,
    pub reason: ReadError,
}

impl CannotRead {
    fn at(path: &Path) -> impl FnOnce(std::io::Error) -> CannotRead + '_ {
        move |e| CannotRead { path: path.to_path_buf(), reason: io_reason(e) }
    }
}

/// "16 MiB", "50.5 MiB", "1000 bytes".
pub fn human_size(bytes: u64) -> String {
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= MIB {
        format!("{:.1} MiB", bytes as f64 / MIB as f64)
    } else {
        format!("{bytes} bytes")
    }
}

/// The text of a regular file of at most `limit` bytes. The error is the reason alone (the
/// caller names the file).
pub fn read_text(path: &Path, limit: Limit) -> Result<String, ReadError> {
    String::from_utf8(read_bytes(path, limit)?).map_err(|_| ReadError::NotUtf8)
}

/// The text of a policy file: [`read_text`] within [`POLICY_FILE`], of a file whose name ends
/// in `.role`, also at the end of a symbolic link.
pub fn read_policy_file(path: &Path) -> Result<String, ReadError> {
    if !is_policy_name(path) {
        return Err(ReadError::NotPolicyFile(NotPolicyFile::Name));
    }
    let real = std::fs::canonicalize(path).map_err(io_reason)?;
    if !is_policy_name(&real) {
        return Err(ReadError::NotPolicyFile(NotPolicyFile::LinkTarget));
    }
    read_bytes(path, POLICY_FILE)
        .and_then(|bytes| String::from_utf8(bytes).map_err(|_| ReadError::NotPolicyFile(NotPolicyFile::NotUtf8)))
}

fn is_policy_name(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == POLICY_EXTENSION)
}

fn read_bytes(path: &Path, limit: Limit) -> Result<Vec<u8>, ReadError> {
    // The type first: opening a FIFO waits for a writer, and opening some devices acts.
    let meta = std::fs::metadata(path).map_err(io_reason)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular(file_kind(&meta)));
    }
    if meta.len() > limit.bytes {
        return Err(ReadError::OverLimit { size: meta.len(), limit });
    }
    let file = open_without_blocking(path).map_err(io_reason)?;
    // It may have been replaced between the two looks: the type of what was opened decides.
    let meta = file.metadata().map_err(io_reason)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular(file_kind(&meta)));
    }
    read_bounded(file, limit)
}

/// Reads at most `limit` bytes; more is an error, so a file that grows stops at the limit.
fn read_bounded(reader: impl Read, limit: Limit) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    reader.take(limit.bytes + 1).read_to_end(&mut bytes).map_err(io_reason)?;
    if bytes.len() as u64 > limit.bytes {
        return Err(ReadError::GrewOverLimit(limit));
    }
    Ok(bytes)
}

#[cfg(unix)]
fn open_without_blocking(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    // Has no effect on a regular file; makes opening a FIFO return at once.
    std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path)
}

#[cfg(not(unix))]
fn open_without_blocking(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

fn io_reason(e: std::io::Error) -> ReadError {
    match e.kind() {
        std::io::ErrorKind::NotFound => ReadError::NotFound,
        _ => ReadError::Io(e),
    }
}

/// What a file that is not a regular file is: "a directory", "a FIFO", and so on.
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_dir() {
        "a directory"
    } else {
        special_kind(&kind)
    }
}

#[cfg(unix)]
fn special_kind(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_kind: &std::fs::FileType) -> &'static str {
    "a special file"
}

/// The policy files of the paths given, and why some were left out.
#[derive(Debug, Default)]
pub struct PolicyFiles {
    /// Files given, and the `*.role` files below the directories given (each directory's sorted).
    pub files: Vec<PathBuf>,
    /// One sentence per path left out of a directory walk (a FIFO named `x.role`, a link
    /// leading out of the directory), for the command to print as a warning.
    pub skipped: Vec<String>,
}

/// Every `*.role` file of the paths given, in order: a file itself (read later, so a file that
/// is not a policy file is an error then), or the files below a directory.
pub fn policy_files(paths: &[PathBuf]) -> Result<PolicyFiles, CannotRead> {
    let mut out = PolicyFiles::default();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(CannotRead::at(path))?;
        if meta.is_dir() {
            walk(path, &meta, &mut out)?;
        } else {
            out.files.push(path.clone());
        }
    }
    Ok(out)
}

/// Identifies a directory however it is reached.
#[cfg(unix)]
type DirId = (u64, u64);

#[cfg(unix)]
fn dir_id(_path: &Path, meta: &std::fs::Metadata) -> DirId {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
type DirId = PathBuf;

#[cfg(not(unix))]
fn dir_id(path: &Path, _meta: &std::fs::Metadata) -> DirId {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The `*.role` files below `root`, sorted. A symbolic link to a directory is followed when the
/// directory is inside `root` (a link to `/` would walk the whole file system), and each
/// directory is entered once, so links in a loop, or many links to one directory, end. Links
/// are followed after the real directories are walked, so a file is found by its real path.
fn walk(root: &Path, root_meta: &std::fs::Metadata, out: &mut PolicyFiles) -> Result<(), CannotRead> {
    let top = std::fs::canonicalize(root).map_err(CannotRead::at(root))?;
    let mut entered: HashSet<DirId> = HashSet::from([dir_id(root, root_meta)]);
    let mut files = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    // Links to directories inside `root`, with what they lead to.
    let mut links: Vec<(PathBuf, DirId)> = Vec::new();
    while let Some(dir) = dirs
        .pop()
        .or_else(|| std::iter::from_fn(|| links.pop()).find_map(|(path, id)| entered.insert(id).then_some(path)))
    {
        // Sorted, so that which of two links to a directory is followed does not vary.
        let mut entries: Vec<std::fs::DirEntry> =
            std::fs::read_dir(&dir).map_err(CannotRead::at(&dir))?.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else { continue };
            let is_link = kind.is_symlink();
            // What the entry is, through a link.
            let meta = if is_link { std::fs::metadata(&path) } else { entry.metadata() };
            let meta = match meta {
                Ok(meta) => meta,
                Err(_) if is_policy_name(&path) => {
                    out.skipped.push(format!("skipped `{}`: a symbolic link to nothing", path.display()));
                    continue;
                }
                Err(_) => continue,
            };
            if meta.is_dir() {
                if !is_link {
                    if entered.insert(dir_id(&path, &meta)) {
                        dirs.push(path);
                    }
                } else if std::fs::canonicalize(&path).is_ok_and(|target| target.starts_with(&top)) {
                    let id = dir_id(&path, &meta);
                    links.push((path, id));
                } else {
                    out.skipped.push(format!(
                        "skipped `{}`: a symbolic link to a directory outside `{}`",
                        path.display(),
                        root.display()
                    ));
                }
            } else if is_policy_name(&path) {
                if meta.is_file() {
                    files.push(path);
                } else {
                    let reason = ReadError::NotRegular(file_kind(&meta));
                    out.skipped.push(format!("skipped `{}`: {reason}", path.display()));
                }
            }
        }
    }
    files.sort();
    out.files.extend(files);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bounded_read_stops_at_the_limit() {
        let limit = Limit { bytes: 1000, what: "a test" };
        // An endless reader, as /dev/zero or a file that keeps growing.
        let err = read_bounded(std::io::repeat(0), limit).unwrap_err();
        assert_eq!(err.to_string(), "it is over the 1000 bytes limit for a test");
        assert_eq!(read_bounded(&[7u8; 1000][..], limit).unwrap().len(), 1000);
    }

    #[test]
    fn sizes_are_in_mib() {
        assert_eq!(
            ReadError::OverLimit { size: 50 * MIB + MIB / 2, limit: POLICY_FILE }.to_string(),
            "it is 50.5 MiB, over the 16 MiB limit for a policy file"
        );
    }
}
