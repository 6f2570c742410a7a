//! Opening input files. A pull request can put anything at a path a spec names: a named pipe
//! (a plain read would wait forever), a link to `/dev/zero`, to `/proc/self` or to a folder
//! outside the project anywhere along the path, a folder, a file of gigabytes. Only regular
//! files inside the project, reached through real folders, of a size a spec can reasonably
//! have, are read.

use std::ffi::CString;
use std::fs::File;
use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

/// No spec, profile or project file comes near this; Kubernetes itself refuses objects over
/// about 1.5 MiB, so a larger input could not become a valid manifest anyway.
pub const MAX_INPUT: u64 = 1 << 20;

/// How many links, each to a file inside the project, a path may pass through as its last
/// part (`jobs/a.yaml -> ../shared/a.yaml`); more is a loop or a maze.
const MAX_HOPS: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub message: String,
    pub help: String,
    /// Nothing is at the path (as opposed to something flinkgen refuses to read).
    pub missing: bool,
}

fn refused(message: impl Into<String>, help: impl Into<String>) -> InputError {
    InputError {
        message: message.into(),
        help: help.into(),
        missing: false,
    }
}

/// What a file that is not a regular file is, for messages.
pub fn what(t: std::fs::FileType) -> &'static str {
    if t.is_dir() {
        "a folder"
    } else if t.is_fifo() {
        "a named pipe"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_block_device() || t.is_char_device() {
        "a device"
    } else if t.is_symlink() {
        "a symbolic link"
    } else if t.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

/// The text of `root/rel`, which must be a regular UTF-8 file of at most `MAX_INPUT` bytes,
/// reached from the project root through real folders only, and not inside the output folder
/// `out_dir` (flinkgen's own files are no input). The last part may be a link to another such
/// file. A leading byte order mark is dropped (YAML allows it).
pub fn read(root: &Path, rel: &str, out_dir: Option<&str>) -> Result<String, InputError> {
    let file = open(root, rel, out_dir)?;
    let cannot =
        |e: std::io::Error| refused(format!("cannot read the file: {e}"), "check the path");
    let meta = file.metadata().map_err(cannot)?;
    if meta.len() > MAX_INPUT {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize + 1);
    file.take(MAX_INPUT + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_INPUT {
        return Err(too_large(bytes.len() as u64));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        refused(
            format!(
                "the file is not valid UTF-8 (byte {})",
                e.utf8_error().valid_up_to()
            ),
            "save the file as UTF-8",
        )
    })?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// Opens `rel` below `root` one part at a time with `openat` and `O_NOFOLLOW`, so no part can
/// be a link and nothing can be swapped in between a check and the open; the opened file is
/// then inspected itself. A link as the last part is resolved by hand, as a path inside the
/// project, and walked again the same way.
fn open(root: &Path, rel: &str, out_dir: Option<&str>) -> Result<File, InputError> {
    let mut path: Vec<String> = Vec::new();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                return Err(refused(
                    format!("`{rel}` leaves its folder with `..`"),
                    "give a path inside the project without `..`",
                ))
            }
            p => path.push(p.to_string()),
        }
    }
    let root_fd = open_at(None, root.as_os_str().as_bytes(), libc::O_DIRECTORY).map_err(|e| {
        refused(
            format!("cannot open the project folder: {e}"),
            "check --root",
        )
    })?;
    for hops in 0..=MAX_HOPS {
        if let Some(out) = out_dir.filter(|o| under(&path, o)) {
            return Err(refused(
                format!(
                    "`{}` is inside the output folder {out}/, which holds flinkgen's own files",
                    path.join("/")
                ),
                "keep inputs outside the output folder; flinkgen's output is never its input",
            ));
        }
        match walk(&root_fd, &path)? {
            Step::File(f) => return Ok(f),
            Step::Other(t) if t.is_dir() && hops > 0 => return Err(refused(
                "this is a symbolic link to a folder; flinkgen does not look for specs through links to folders",
                "move the specs into the input folder, or set the folder in flinkgen.yaml",
            )),
            Step::Other(t) => return Err(refused(
                format!("this is {}, not a regular file", what(t)),
                "name a regular file",
            )),
            Step::Link(target) => path = resolve(&path, &target, root)?,
        }
    }
    Err(refused(
        format!("`{rel}` goes through more than {MAX_HOPS} symbolic links"),
        "link the file directly, or copy it",
    ))
}

enum Step {
    File(File),
    /// Something else, such as a folder or a pipe.
    Other(std::fs::FileType),
    /// The last part is a link with this target.
    Link(Vec<u8>),
}

/// Long because every way a part of the path can fail to open is named where the descriptor is.
fn walk(root: &OwnedFd, path: &[String]) -> Result<Step, InputError> {
    let Some((last, folders)) = path.split_last() else {
        return Err(refused(
            "this is the project folder, not a file",
            "name a file",
        ));
    };
    let mut dir: Option<OwnedFd> = None;
    for (n, part) in folders.iter().enumerate() {
        let at = dir.as_ref().unwrap_or(root);
        match open_at(
            Some(at),
            part.as_bytes(),
            libc::O_DIRECTORY | libc::O_NOFOLLOW,
        ) {
            Ok(fd) => dir = Some(fd),
            Err(e) => {
                let shown = path[..=n].join("/");
                return Err(match kind_at(at, part) {
                    Some(t) if t.is_symlink() => refused(
                        format!("`{shown}` is a symbolic link to a folder; flinkgen reads project files only through real folders"),
                        "copy the file into the project, or name it by its real path",
                    ),
                    Some(t) if !t.is_dir() => refused(
                        format!("`{shown}` is {}, not a folder", what(t)),
                        "check the path",
                    ),
                    None if e.kind() == std::io::ErrorKind::NotFound => InputError {
                        missing: true,
                        ..refused("the file does not exist", "check the path")
                    },
                    _ => refused(format!("cannot open `{shown}`: {e}"), "check the path"),
                });
            }
        }
    }
    let at = dir.as_ref().unwrap_or(root);
    // O_NONBLOCK: opening a named pipe does not wait for a writer.
    match open_at(
        Some(at),
        last.as_bytes(),
        libc::O_NOFOLLOW | libc::O_NONBLOCK,
    ) {
        Ok(fd) => {
            let file = File::from(fd);
            let t = file
                .metadata()
                .map_err(|e| refused(format!("cannot read the file: {e}"), "check the path"))?
                .file_type();
            if !t.is_file() {
                return Ok(Step::Other(t));
            }
            Ok(Step::File(file))
        }
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            let mut buf = vec![0u8; libc::PATH_MAX as usize];
            let name = c_name(last.as_bytes())?;
            // SAFETY: the descriptor is open, the name NUL-terminated, the buffer as long as said.
            let n = unsafe {
                libc::readlinkat(
                    std::os::fd::AsRawFd::as_raw_fd(at),
                    name.as_ptr(),
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                )
            };
            if n < 0 {
                return Err(refused(
                    format!("cannot read the link: {}", std::io::Error::last_os_error()),
                    "check the path",
                ));
            }
            buf.truncate(n as usize);
            Ok(Step::Link(buf))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(InputError {
            missing: true,
            ..refused("the file does not exist", "check the path")
        }),
        Err(e) => Err(refused(
            format!("cannot read the file: {e}"),
            "check the path",
        )),
    }
}

/// The project path a link at `path` points to. Every folder on the way is real (walk checked
/// it), so `..` in the target can be resolved by name.
fn resolve(path: &[String], target: &[u8], root: &Path) -> Result<Vec<String>, InputError> {
    let outside = || {
        refused(
            "this is a symbolic link that leads outside the project (or nowhere)",
            "flinkgen reads only files inside the project; copy the file here instead",
        )
    };
    let target = std::str::from_utf8(target).map_err(|_| outside())?;
    let mut at: Vec<String> = if let Some(abs) = target.strip_prefix('/') {
        // An absolute target counts only when it names a place inside the project itself.
        let real = std::fs::canonicalize(root).map_err(|_| outside())?;
        let rest = Path::new("/")
            .join(abs)
            .strip_prefix(&real)
            .map_err(|_| outside())?
            .to_string_lossy()
            .into_owned();
        return resolve(&[String::new()], rest.as_bytes(), root);
    } else {
        path[..path.len() - 1].to_vec()
    };
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                at.pop().ok_or_else(outside)?;
            }
            p => at.push(p.to_string()),
        }
    }
    Ok(at)
}

/// Whether the parts of `path` lie below the folder `dir` (`a/b`).
fn under(path: &[String], dir: &str) -> bool {
    let dir: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    !dir.is_empty() && path.len() > dir.len() && path.iter().zip(&dir).all(|(a, b)| a == b)
}

fn c_name(name: &[u8]) -> Result<CString, InputError> {
    CString::new(name).map_err(|_| refused("the path contains a NUL byte", "rename the file"))
}

fn open_at(dir: Option<&OwnedFd>, name: &[u8], flags: i32) -> std::io::Result<OwnedFd> {
    let name =
        CString::new(name).map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
    let base = dir.map_or(libc::AT_FDCWD, std::os::fd::AsRawFd::as_raw_fd);
    // SAFETY: name is NUL-terminated; a returned descriptor is owned by nobody else.
    let fd = unsafe {
        libc::openat(
            base,
            name.as_ptr(),
            flags | libc::O_RDONLY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: fd was just opened and is valid.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// What is at `name` in `dir`, without following a link.
fn kind_at(dir: &OwnedFd, name: &str) -> Option<std::fs::FileType> {
    let fd = open_at(Some(dir), name.as_bytes(), libc::O_PATH | libc::O_NOFOLLOW).ok()?;
    File::from(fd).metadata().ok().map(|m| m.file_type())
}

fn too_large(len: u64) -> InputError {
    refused(
        format!("the file is {len} bytes; inputs are limited to {MAX_INPUT} bytes (1 MiB)"),
        "a spec this large could not become a Kubernetes object (about 1 MiB each); split it or move data out of it",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn only_regular_files_inside_the_project_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("p");
        std::fs::create_dir_all(root.join("jobs/folder.yaml")).unwrap();
        std::fs::create_dir_all(root.join("conf/real")).unwrap();
        std::fs::create_dir_all(root.join("out")).unwrap();
        std::fs::create_dir_all(dir.path().join("elsewhere")).unwrap();
        std::fs::write(root.join("jobs/a.yaml"), "\u{feff}name: a\n").unwrap();
        std::fs::write(root.join("conf/real/x.txt"), "x\n").unwrap();
        std::fs::write(root.join("out/flinkgen.lock"), "lock\n").unwrap();
        std::fs::write(dir.path().join("outside.yaml"), "x: 1\n").unwrap();
        std::fs::write(dir.path().join("elsewhere/secret.txt"), "s3cr3t\n").unwrap();
        symlink(dir.path().join("outside.yaml"), root.join("jobs/out.yaml")).unwrap();
        symlink(root.join("jobs/a.yaml"), root.join("jobs/in.yaml")).unwrap();
        symlink("../jobs/a.yaml", root.join("conf/rel.yaml")).unwrap();
        symlink("../../outside.yaml", root.join("conf/up.yaml")).unwrap();
        symlink("/dev/zero", root.join("jobs/zero.yaml")).unwrap();
        // Links in the middle of a path: to a system folder, to /proc/self, to a folder
        // outside, and even to a real folder of the project.
        symlink("/etc", root.join("etc")).unwrap();
        symlink("/proc/self", root.join("self")).unwrap();
        symlink(dir.path().join("elsewhere"), root.join("else")).unwrap();
        symlink("conf/real", root.join("alias")).unwrap();
        symlink("../out/flinkgen.lock", root.join("conf/lock.txt")).unwrap();
        let fifo = CString::new(root.join("jobs/pipe.yaml").to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
        std::fs::write(
            root.join("jobs/big.yaml"),
            vec![b'#'; MAX_INPUT as usize + 1],
        )
        .unwrap();

        let out = Some("out");
        assert_eq!(read(&root, "jobs/a.yaml", out).unwrap(), "name: a\n");
        assert_eq!(read(&root, "jobs/in.yaml", out).unwrap(), "name: a\n");
        assert_eq!(read(&root, "conf/rel.yaml", out).unwrap(), "name: a\n");
        assert_eq!(read(&root, "conf/real/x.txt", out).unwrap(), "x\n");
        for (rel, says) in [
            ("jobs/out.yaml", "outside the project"),
            ("conf/up.yaml", "outside the project"),
            ("jobs/zero.yaml", "outside the project"),
            ("jobs/pipe.yaml", "named pipe"),
            ("jobs/folder.yaml", "a folder"),
            ("jobs/big.yaml", "limited to"),
            ("etc/passwd", "`etc` is a symbolic link to a folder"),
            ("self/environ", "`self` is a symbolic link to a folder"),
            ("else/secret.txt", "`else` is a symbolic link to a folder"),
            ("alias/x.txt", "`alias` is a symbolic link to a folder"),
            ("out/flinkgen.lock", "inside the output folder"),
            ("conf/lock.txt", "inside the output folder"),
            ("jobs/a.yaml/x", "a regular file, not a folder"),
            ("../p/jobs/a.yaml", "`..`"),
        ] {
            let e = read(&root, rel, out).unwrap_err();
            assert!(e.message.contains(says), "{rel}: {}", e.message);
            assert!(!e.missing, "{rel}");
            assert!(!e.message.contains("s3cr3t") && !e.message.contains("root:"));
        }
        assert!(read(&root, "conf/none/x.txt", out).unwrap_err().missing);
        assert!(read(&root, "conf/none.txt", out).unwrap_err().missing);
    }
}
