//! Safe outputs: no output may overwrite an input, every output file appears whole or not at
//! all, and a closed standard output ends the program quietly.
//!
//! - [`check_paths`] refuses an output path that is, or resolves to the same file as (same
//!   device and inode: hard links, symbolic links, `./x` vs `x`), any input file, and two
//!   outputs that would be the same file. The error names both paths and their options.
//! - [`write_file`] and [`write_file_at`] write to a temporary file in the destination's
//!   directory and rename it over the destination only when writing succeeded, so a failed run
//!   leaves the previous file (or no file), never a truncated one. The rename replaces the
//!   destination path itself: a symbolic link at the destination is replaced, not written
//!   through.
//! - [`is_broken_pipe`] recognises a closed standard output (`ecmova ... | head -1`): `main`
//!   then exits with code 0 and prints nothing, like a reader that stopped reading on purpose.
//!   (Rust ignores SIGPIPE, so the write fails with `EPIPE` instead of killing the process.)

use anyhow::{bail, Context, Result};
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A path given on the command line, with the option that named it (for error messages).
#[derive(Debug, Clone)]
pub struct Named<'a> {
    /// The option (`--out`, `--series`...) or the positional argument's name.
    pub option: &'a str,
    /// The path.
    pub path: &'a Path,
}

/// Whether two paths name the same existing file (same device and inode on Unix, same
/// canonical path elsewhere).
fn same_existing_file(a: &Path, b: &Path) -> bool {
    let (Ok(ma), Ok(mb)) = (std::fs::metadata(a), std::fs::metadata(b)) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        ma.dev() == mb.dev() && ma.ino() == mb.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (ma, mb);
        matches!(
            (std::fs::canonicalize(a), std::fs::canonicalize(b)),
            (Ok(x), Ok(y)) if x == y
        )
    }
}

/// The absolute, symlink-resolved form of a path that may not exist yet (its directory is
/// resolved, its file name kept).
fn resolved(p: &Path) -> PathBuf {
    if let Ok(c) = std::fs::canonicalize(p) {
        return c;
    }
    let parent = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match (std::fs::canonicalize(parent), p.file_name()) {
        (Ok(d), Some(name)) => d.join(name),
        _ => p.to_path_buf(),
    }
}

/// Whether two paths are, or would be, the same file.
pub fn same_file(a: &Path, b: &Path) -> bool {
    same_existing_file(a, b) || resolved(a) == resolved(b)
}

/// Refuses any output that is an input, and two outputs that are the same file.
pub fn check_paths(inputs: &[Named<'_>], outputs: &[Named<'_>]) -> Result<()> {
    for o in outputs {
        for i in inputs {
            if same_file(o.path, i.path) {
                bail!(
                    "{} {} is the input file {} ({}): refusing to overwrite an input; write \
                     the output to another file",
                    o.option,
                    o.path.display(),
                    i.path.display(),
                    i.option
                );
            }
        }
    }
    for (k, a) in outputs.iter().enumerate() {
        for b in &outputs[k + 1..] {
            if same_file(a.path, b.path) {
                bail!(
                    "{} {} and {} {} are the same file: give each output its own path",
                    a.option,
                    a.path.display(),
                    b.option,
                    b.path.display()
                );
            }
        }
    }
    Ok(())
}

/// A temporary file beside `dest`, removed on drop unless it was renamed over `dest`.
struct TempFile {
    path: PathBuf,
    done: bool,
}

impl TempFile {
    fn new_beside(dest: &Path) -> Result<(Self, File)> {
        let dir = match dest.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = dest
            .file_name()
            .with_context(|| format!("{} is not a file path", dest.display()))?
            .to_string_lossy()
            .into_owned();
        let pid = std::process::id();
        for k in 0..100u32 {
            let path = dir.join(format!(".{name}.{pid}.{k}.ecmova-tmp"));
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(f) => return Ok((TempFile { path, done: false }, f)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(e).with_context(|| {
                        format!("cannot create a temporary file in {}", dir.display())
                    })
                }
            }
        }
        bail!("cannot create a temporary file in {}", dir.display())
    }

    fn commit(mut self, dest: &Path) -> Result<()> {
        std::fs::rename(&self.path, dest).with_context(|| {
            format!("cannot move {} to {}", self.path.display(), dest.display())
        })?;
        self.done = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Writes `dest` through `write` into a temporary file, renamed over `dest` on success.
pub fn write_file(
    dest: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    let (tmp, file) = TempFile::new_beside(dest)?;
    let mut w = BufWriter::new(file);
    write(&mut w)?;
    let file = w
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(|| format!("cannot write {}", dest.display()))?;
    file.sync_all()
        .with_context(|| format!("cannot write {}", dest.display()))?;
    drop(file);
    tmp.commit(dest)
}

/// Like [`write_file`] for writers that want a path (Parquet): `write` gets the temporary
/// file's path.
pub fn write_file_at(dest: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let (tmp, file) = TempFile::new_beside(dest)?;
    drop(file);
    write(&tmp.path)?;
    tmp.commit(dest)
}

/// The message of an error and its causes, joined by `: `, leaving out a cause whose text
/// the message already holds (library errors that print their source in their own text,
/// such as `path: No such file or directory`, would otherwise show it twice).
pub fn error_message(err: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// Whether an error is, or was caused by, writing to a closed pipe.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        if let Some(e) = cause.downcast_ref::<std::io::Error>() {
            return e.kind() == std::io::ErrorKind::BrokenPipe;
        }
        if let Some(e) = cause.downcast_ref::<serde_json::Error>() {
            return e.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe);
        }
        if let Some(e) = cause.downcast_ref::<csv::Error>() {
            if let csv::ErrorKind::Io(io) = e.kind() {
                return io.kind() == std::io::ErrorKind::BrokenPipe;
            }
        }
        false
    })
}

/// Writes a message line to standard error, ignoring failures (a closed stderr must not turn
/// a message into a panic, as `eprintln!` would).
pub fn note(args: std::fmt::Arguments<'_>) {
    let mut e = std::io::stderr().lock();
    let _ = e.write_fmt(args);
    let _ = e.write_all(b"\n");
}

/// `note!("...", ...)`: [`note`] with `format!` syntax.
#[macro_export]
macro_rules! note {
    ($($arg:tt)*) => { $crate::output::note(format_args!($($arg)*)) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_s_cause_already_in_its_text_is_not_repeated() {
        // As `#[error("base.toml: {source}")]` with a `source` field would derive it.
        #[derive(Debug)]
        struct Read {
            source: std::io::Error,
        }
        impl std::fmt::Display for Read {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "base.toml: {}", self.source)
            }
        }
        impl std::error::Error for Read {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.source)
            }
        }
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let err = anyhow::Error::new(Read { source: io }).context("in cohort.toml");
        assert_eq!(
            error_message(&err),
            "in cohort.toml: base.toml: no such file"
        );
        // A cause not in the text yet is kept, in order.
        let err = anyhow::anyhow!("no such file").context("base.toml");
        assert_eq!(error_message(&err), "base.toml: no such file");
    }

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ecmova-output-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn leftovers(d: &Path) -> Vec<String> {
        std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("ecmova-tmp"))
            .collect()
    }

    #[test]
    fn a_failed_write_leaves_the_previous_file_whole_and_no_temporary_file() {
        let d = dir("failed");
        let dest = d.join("out.csv");
        std::fs::write(&dest, "previous complete content\n").unwrap();
        let r = write_file(&dest, |w| {
            w.write_all(b"half of the new ")?;
            bail!("the run failed midway")
        });
        assert!(r.is_err());
        assert_eq!(
            std::fs::read_to_string(&dest).unwrap(),
            "previous complete content\n"
        );
        assert!(leftovers(&d).is_empty(), "{:?}", leftovers(&d));
        let r = write_file_at(&dest, |tmp| {
            std::fs::write(tmp, "half")?;
            bail!("parquet writer failed")
        });
        assert!(r.is_err());
        assert_eq!(
            std::fs::read_to_string(&dest).unwrap(),
            "previous complete content\n"
        );
        assert!(leftovers(&d).is_empty());
    }

    #[test]
    fn a_successful_write_replaces_the_file() {
        let d = dir("ok");
        let dest = d.join("out.json");
        std::fs::write(&dest, "old").unwrap();
        write_file(&dest, |w| Ok(w.write_all(b"new")?)).unwrap();
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "new");
        assert!(leftovers(&d).is_empty());
    }

    #[test]
    fn same_file_sees_links_and_spellings() {
        let d = dir("same");
        let a = d.join("a.csv");
        std::fs::write(&a, "x").unwrap();
        let h = d.join("h.csv");
        std::fs::hard_link(&a, &h).unwrap();
        assert!(same_file(&a, &h));
        assert!(same_file(&a, &d.join(".").join("a.csv")));
        assert!(!same_file(&a, &d.join("b.csv")));
        assert!(same_file(&d.join("new.csv"), &d.join(".").join("new.csv")));
        #[cfg(unix)]
        {
            let s = d.join("s.csv");
            std::os::unix::fs::symlink(&a, &s).unwrap();
            assert!(same_file(&a, &s));
        }
    }

    #[test]
    fn broken_pipe_is_recognised_through_contexts() {
        let io = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        let e = anyhow::Error::from(io).context("writing");
        assert!(is_broken_pipe(&e));
        let other = anyhow::Error::from(std::io::Error::from(std::io::ErrorKind::NotFound));
        assert!(!is_broken_pipe(&other));
    }
}
