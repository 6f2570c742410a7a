//! Opening input files. A pull request can put anything at a spec's path: a named pipe (a
//! plain read would wait forever), a link to `/dev/zero` or to a file outside the project, a
//! folder, a file of gigabytes. Only regular files inside the project, of a size a spec can
//! reasonably have, are read.

use std::fs::OpenOptions;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// No spec, profile or project file comes near this; Kubernetes itself refuses objects over
/// about 1.5 MiB, so a larger input could not become a valid manifest anyway.
pub const MAX_INPUT: u64 = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub message: String,
    pub help: String,
}

fn refused(message: impl Into<String>, help: impl Into<String>) -> InputError {
    InputError {
        message: message.into(),
        help: help.into(),
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
    } else if t.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

/// The text of `root/rel`, which must be a regular UTF-8 file of at most `MAX_INPUT` bytes,
/// or a link to one inside the project. A leading byte order mark is dropped (YAML allows it).
pub fn read(root: &Path, rel: &str) -> Result<String, InputError> {
    let path = root.join(rel);
    let meta = std::fs::symlink_metadata(&path)
        .map_err(|e| refused(format!("cannot read the file: {e}"), "check the path"))?;
    if meta.file_type().is_symlink() {
        let inside = match (std::fs::canonicalize(&path), std::fs::canonicalize(root)) {
            (Ok(target), Ok(root)) => target.starts_with(&root),
            _ => false,
        };
        if !inside {
            return Err(refused(
                "this is a symbolic link that leads outside the project (or nowhere)",
                "flinkgen reads only files inside the project; copy the file here instead",
            ));
        }
        if path.is_dir() {
            return Err(refused(
                "this is a symbolic link to a folder; flinkgen does not look for specs through links to folders",
                "move the specs into the input folder, or set the folder in flinkgen.yaml",
            ));
        }
    }
    // O_NONBLOCK: opening a named pipe does not wait for a writer. The opened file itself is
    // then inspected, so what is read is what was checked.
    let cannot =
        |e: std::io::Error| refused(format!("cannot read the file: {e}"), "check the path");
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&path)
        .map_err(cannot)?;
    let meta = file.metadata().map_err(cannot)?;
    if !meta.file_type().is_file() {
        return Err(refused(
            format!("this is {}, not a regular file", what(meta.file_type())),
            "flinkgen reads specs only from regular files",
        ));
    }
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

fn too_large(len: u64) -> InputError {
    refused(
        format!("the file is {len} bytes; inputs are limited to {MAX_INPUT} bytes (1 MiB)"),
        "a spec this large could not become a Kubernetes object (about 1 MiB each); split it or move data out of it",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_inside_the_project_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("p");
        std::fs::create_dir_all(root.join("jobs/folder.yaml")).unwrap();
        std::fs::write(root.join("jobs/a.yaml"), "\u{feff}name: a\n").unwrap();
        std::fs::write(dir.path().join("outside.yaml"), "x: 1\n").unwrap();
        std::os::unix::fs::symlink(dir.path().join("outside.yaml"), root.join("jobs/out.yaml"))
            .unwrap();
        std::os::unix::fs::symlink(root.join("jobs/a.yaml"), root.join("jobs/in.yaml")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", root.join("jobs/zero.yaml")).unwrap();
        let fifo = std::ffi::CString::new(root.join("jobs/pipe.yaml").to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
        std::fs::write(
            root.join("jobs/big.yaml"),
            vec![b'#'; MAX_INPUT as usize + 1],
        )
        .unwrap();

        assert_eq!(read(&root, "jobs/a.yaml").unwrap(), "name: a\n");
        assert_eq!(read(&root, "jobs/in.yaml").unwrap(), "name: a\n");
        for (rel, says) in [
            ("jobs/out.yaml", "outside the project"),
            ("jobs/zero.yaml", "outside the project"),
            ("jobs/pipe.yaml", "named pipe"),
            ("jobs/folder.yaml", "a folder"),
            ("jobs/big.yaml", "limited to"),
        ] {
            let e = read(&root, rel).unwrap_err();
            assert!(e.message.contains(says), "{rel}: {}", e.message);
        }
    }
}
