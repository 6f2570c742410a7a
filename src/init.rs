//! `flinkgen init`: the smallest project that renders, with comments that say what to change.
//! Existing files are never overwritten, so it is safe to run in an existing repository.

use std::path::Path;

const FILES: &[(&str, &str)] = &[
    (
        "flinkgen.yaml",
        "# yaml-language-server: $schema=schema/project.schema.json\n# Defaults for every job in jobs/; see `flinkgen schema` for all fields.\nnamespace: streaming\nflinkVersion: \"2.2\"\nimage:\n  # Job images are <registry>/<job name>:<tag>.\n  registry: registry.example.com/flink\nprofiles:\n  jobManager: jm-small\n  taskManager: tm-small\n",
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

/// Creates the project files that do not exist yet and returns their paths; adds the temporary
/// files flinkgen may leave after a crash to `.gitignore`.
pub fn scaffold(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut created = Vec::new();
    for (rel, text) in FILES {
        let path = dir.join(rel);
        if path.exists() {
            continue;
        }
        std::fs::create_dir_all(path.parent().expect("project files live in folders"))?;
        std::fs::write(&path, text)?;
        created.push(rel.to_string());
    }
    for (name, text) in crate::schema::schemas() {
        let path = dir.join("schema").join(name);
        if !path.exists() {
            std::fs::create_dir_all(path.parent().expect("schemas live in a folder"))?;
            std::fs::write(&path, text)?;
            created.push(format!("schema/{name}"));
        }
    }
    let ignore = dir.join(".gitignore");
    let entry = "**/.*.flinkgen-tmp";
    let current = std::fs::read_to_string(&ignore).unwrap_or_default();
    if !current.lines().any(|l| l.trim() == entry) {
        let sep = if current.is_empty() || current.ends_with('\n') {
            ""
        } else {
            "\n"
        };
        std::fs::write(
            &ignore,
            format!("{current}{sep}# flinkgen's temporary files\n{entry}\n"),
        )?;
        created.push(".gitignore".into());
    }
    Ok(created)
}
