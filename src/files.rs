//! Files the app writes, all readable by their owner only (0600 files, 0700 folders) whatever
//! the umask, and written so a crash leaves the old or the new content, never half of one.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;

use crate::error::{Error, Result};

#[cfg(unix)]
fn private_file(opts: &mut OpenOptions) -> &mut OpenOptions {
    std::os::unix::fs::OpenOptionsExt::mode(opts, 0o600)
}
#[cfg(not(unix))]
fn private_file(opts: &mut OpenOptions) -> &mut OpenOptions {
    // On Windows a file created in the user's profile inherits the owner-only ACL of the folder.
    opts
}

/// Creates a new file (never over an existing one), readable by its owner only.
pub fn create_new_private(path: &Path) -> Result<File> {
    let mut opts = OpenOptions::new();
    opts.write(true).read(true).create_new(true);
    private_file(&mut opts).open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Error::AlreadyExists {
                what: "a file of that name",
            }
        } else {
            e.into()
        }
    })
}

/// Creates or truncates a file readable by its owner only; an existing file's mode is tightened
/// too (the user confirmed the overwrite in the save dialog).
pub fn create_private(path: &Path) -> Result<File> {
    let mut opts = OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    let f = private_file(&mut opts).open(path)?;
    restrict_file(path)?;
    Ok(f)
}

/// The folder a path names a file in (`.` for a bare file name).
pub fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Sets a file to 0600.
pub fn restrict_file(path: &Path) -> Result<()> {
    set_mode(path, 0o600)
}

/// Creates a folder (and its parents) and sets the folder itself to 0700.
pub fn create_private_dir(path: &Path) -> Result<()> {
    fs::create_dir_all(path)?;
    restrict_dir(path)
}

pub fn restrict_dir(path: &Path) -> Result<()> {
    set_mode(path, 0o700)
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    #[cfg(unix)]
    fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(mode))?;
    let _ = (path, mode);
    Ok(())
}

/// Writes `bytes` to `path` atomically: a private temp file beside it, fsync, rename over the
/// old one, fsync the folder.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = folder_of(path);
    let name = path.file_name().ok_or(Error::Internal {
        detail: "atomic write without a name".into(),
    })?;
    let mut tmp_name = name.to_os_string();
    tmp_name.push(".tmp");
    let tmp = dir.join(tmp_name);
    let _ = fs::remove_file(&tmp); // a leftover from an interrupted write is ours to replace
    {
        let mut f = create_new_private(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    sync_dir(dir)
}

pub fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    let _ = dir;
    Ok(())
}

/// Reads a whole file of at most `limit` bytes, checking the size on the opened handle.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let f = File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::NotFound { what: "file" },
        _ => e.into(),
    })?;
    let len = f.metadata()?.len();
    if len > limit {
        return Err(Error::TooLarge {
            field: "file",
            limit: limit as usize,
        });
    }
    let mut out = Vec::with_capacity(len as usize);
    f.take(limit + 1).read_to_end(&mut out)?;
    if out.len() as u64 > limit {
        return Err(Error::TooLarge {
            field: "file",
            limit: limit as usize,
        });
    }
    Ok(out)
}

/// Reads a file a person chose (an attachment): a regular file only — no symlink followed, no
/// FIFO or device (opened without blocking, so a FIFO cannot hang the app) — with the size
/// checked on the opened handle, not on the path, and the read bounded by the same limit.
pub fn read_chosen_file(path: &Path, limit: usize, field: &'static str) -> Result<Vec<u8>> {
    let mut opts = OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use rustix::fs::OFlags;
        std::os::unix::fs::OpenOptionsExt::custom_flags(
            &mut opts,
            (OFlags::NOFOLLOW | OFlags::NONBLOCK).bits() as i32,
        );
    }
    let f = opts.open(path).map_err(|e| {
        // ELOOP: the last component is a symlink.
        #[cfg(unix)]
        let is_link = e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error());
        #[cfg(not(unix))]
        let is_link = false;
        if is_link {
            Error::invalid(field, "is a link, not a file: choose the file itself")
        } else {
            e.into()
        }
    })?;
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(Error::invalid(field, "is not a regular file"));
    }
    if meta.len() > limit as u64 {
        return Err(Error::TooLarge { field, limit });
    }
    let mut out = Vec::with_capacity(meta.len() as usize);
    f.take(limit as u64 + 1).read_to_end(&mut out)?;
    if out.len() > limit {
        return Err(Error::TooLarge { field, limit });
    }
    Ok(out)
}

/// Re-tightens a store folder and the files in it to 0700 / 0600 (a store written by an older
/// version, or copied in with a loose umask). Best effort: a file system without Unix modes, or
/// a folder owned by another account, must not keep a person out of their records; links are
/// left alone (never followed to change something outside the store).
pub fn restrict_store(dir: &Path, files: &[std::path::PathBuf]) {
    if fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir()) {
        let _ = restrict_dir(dir);
    }
    for f in files {
        if fs::symlink_metadata(f).is_ok_and(|m| m.is_file()) {
            let _ = restrict_file(f);
        }
    }
}

/// Bytes free for an unprivileged writer on the file system holding `dir`.
pub fn available_space(dir: &Path) -> Result<u64> {
    #[cfg(unix)]
    {
        let st = rustix::fs::statvfs(dir).map_err(|e| Error::from(std::io::Error::from(e)))?;
        Ok(st.f_bavail.saturating_mul(st.f_frsize))
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn what_is_written_is_private_whatever_the_umask() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a/b");
        create_private_dir(&sub).unwrap();
        assert_eq!(
            fs::metadata(&sub).unwrap().permissions().mode() & 0o777,
            0o700
        );
        let f = sub.join("k.json");
        write_atomic(&f, b"x").unwrap();
        assert_eq!(
            fs::metadata(&f).unwrap().permissions().mode() & 0o777,
            0o600
        );
        fs::set_permissions(&f, fs::Permissions::from_mode(0o644)).unwrap();
        create_private(&f).unwrap();
        assert_eq!(
            fs::metadata(&f).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_chosen_file_must_be_a_regular_file_within_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("scan.pdf");
        fs::write(&good, b"%PDF-1.4 scan").unwrap();
        assert_eq!(
            read_chosen_file(&good, 100, "attachment").unwrap(),
            b"%PDF-1.4 scan"
        );
        assert!(matches!(
            read_chosen_file(&good, 5, "attachment"),
            Err(Error::TooLarge { .. })
        ));
        let link = dir.path().join("link.pdf");
        std::os::unix::fs::symlink(&good, &link).unwrap();
        assert!(matches!(
            read_chosen_file(&link, 100, "attachment"),
            Err(Error::InvalidInput { .. })
        ));
        assert!(matches!(
            read_chosen_file(dir.path(), 100, "attachment"),
            Err(Error::InvalidInput { .. }) | Err(Error::Io { .. })
        ));
        let fifo = dir.path().join("pipe.pdf");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        // Opened without blocking and refused: a FIFO would otherwise hang the window.
        assert!(matches!(
            read_chosen_file(&fifo, 100, "attachment"),
            Err(Error::InvalidInput { .. })
        ));
        assert!(matches!(
            read_chosen_file(Path::new("/dev/zero"), 100, "attachment"),
            Err(Error::InvalidInput { .. })
        ));
    }

    #[test]
    fn bounded_reads_refuse_large_files() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("big");
        fs::write(&f, vec![0u8; 2000]).unwrap();
        assert!(matches!(
            read_bounded(&f, 1000),
            Err(Error::TooLarge { .. })
        ));
        assert_eq!(read_bounded(&f, 2000).unwrap().len(), 2000);
    }
}
