//! `flinkgen init`: the smallest project that renders, with comments that say what to change.
//! Existing files are never overwritten, so it is safe to run in an existing repository.

use std::path::Path;

const FILES: &[(&str, &str)] = &[
    (
        "flinkgen.yaml",
        "# yaml-language-server: $schema=schema/project.schema.json\n# Defaults for every job in jobs/; see `flinkgen schema` for all fields.\nnamespace: streaming\nflinkVersion: \"2.3\"\nimage:\n  # Job images are <registry>/<job name>:<tag>.\n  registry: registry.example.com/flink\nprofiles:\n  jobManager: jm-small\n  taskManager: tm-small\n",
    ),
    (
        "jobs/my-job.yaml",
        "# yaml-language-server: $schema=../schema/job.schema.json\n# One Flink job in application mode. Render it with `flinkgen render`.\njar: target/my-job.jar\nentryClass: com.example.MyJob\nimage:\n  tag: \"0.1.0\"\ntaskManager:\n  replicas: 1\n  slots: 2\ncheckpoints:\n  interval: 30s\n",
    ),
    (
        "profiles/jm-small.yaml",
        "# yaml-language-server: $schema=../schema/profile.schema.json\ndescription: JobManager of one application cluster.\ncpu: 1\nmemory:\n  process: 1600m\n",
    ),
    (
        "profiles/tm-small.yaml",
        "# yaml-language-server: $schema=../schema/profile.schema.json\ndescription: TaskManager with two slots.\ncpu: 2\nmemory:\n  process: 4g\n",
    ),
];

/// What `.gitignore` gets: the temporary files, the journal and the staging folder a killed
/// render leaves in `out/` until the next render finishes it.
const IGNORED: &[&str] = &[
    "**/.*.flinkgen-tmp-*",
    "**/.flinkgen-journal",
    "**/.flinkgen-stage/",
];

/// Creates the project files that do not exist yet and returns their paths; adds the files
/// an interrupted render may leave to `.gitignore`. Nothing that exists is overwritten, and no
/// link is followed: a dangling link at a file's path is reported, not written through.
pub fn scaffold(dir: &Path) -> Result<Vec<String>, String> {
    let fail = |path: &Path, e: std::io::Error| format!("cannot write {}: {e}", path.display());
    let taken = |path: &Path| std::fs::symlink_metadata(path).is_ok();
    if taken(dir) && !dir.is_dir() {
        return Err(format!(
            "{} exists and is not a folder; give init a folder for the new project",
            dir.display()
        ));
    }
    let schemas: Vec<(String, String)> = crate::schema::schemas()
        .into_iter()
        .map(|(name, text)| (format!("schema/{name}"), text))
        .collect();
    let all = FILES
        .iter()
        .map(|(rel, text)| (rel.to_string(), text.to_string()))
        .chain(schemas);
    let mut created = Vec::new();
    for (rel, text) in all {
        let path = dir.join(&rel);
        if taken(&path) {
            continue;
        }
        let parent = path.parent().expect("project files live in folders");
        std::fs::create_dir_all(parent).map_err(|e| fail(parent, e))?;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
            .map_err(|e| fail(&path, e))?;
        created.push(rel);
    }
    let ignore = dir.join(".gitignore");
    if std::fs::symlink_metadata(&ignore).is_ok_and(|m| !m.is_file()) {
        return Err(format!(
            "{} is not a regular file; add {} to it yourself",
            ignore.display(),
            IGNORED.join(" and ")
        ));
    }
    let current = std::fs::read_to_string(&ignore).unwrap_or_default();
    let missing: Vec<&str> = IGNORED
        .iter()
        .copied()
        .filter(|entry| !current.lines().any(|l| l.trim() == *entry))
        .collect();
    if !missing.is_empty() {
        let sep = if current.is_empty() || current.ends_with('\n') {
            ""
        } else {
            "\n"
        };
        let text = format!(
            "{current}{sep}# what an interrupted flinkgen render leaves until the next one\n{}\n",
            missing.join("\n")
        );
        std::fs::write(&ignore, text).map_err(|e| fail(&ignore, e))?;
        created.push(".gitignore".into());
    }
    Ok(created)
}
