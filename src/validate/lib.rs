//! What a built image adds besides the job jar: jars for Flink's `lib/` folder and project
//! files at absolute paths.

use std::collections::BTreeMap;

use super::image::project_path;
use crate::diag::Diagnostics;
use crate::flink::Version;
use crate::load::spec::LibJar as SpecJar;
use crate::load::Source;
use crate::model::LibJar;

/// Jars every Flink distribution (1.17 to 2.3) ships in `lib/`, by the name before the
/// version; a second copy would put two versions of the same classes on the classpath.
const SHIPPED: &[&str] = &[
    "flink-cep",
    "flink-connector-files",
    "flink-csv",
    "flink-dist",
    "flink-json",
    "flink-scala_2.12",
    "flink-table-api-java-uber",
    "flink-table-planner-loader",
    "flink-table-runtime",
    "log4j-1.2-api",
    "log4j-api",
    "log4j-core",
    "log4j-slf4j-impl",
];

/// log4j's JSON template layout, which Flink ships in `lib/` from 2.1 on (checked in each
/// distribution): before that, a spec may add it itself.
const JSON_LAYOUT: &str = "log4j-layout-template-json";

pub fn lib(
    src: &Source,
    jars: &[SpecJar],
    version: Version,
    diags: &mut Diagnostics,
) -> Option<Vec<LibJar>> {
    let mut out = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut ok = true;
    for (i, j) in jars.iter().enumerate() {
        let field = format!("image.lib[{i}]");
        let jar = match j {
            SpecJar::File(path) => project_path(src, &field, path, true, diags).map(LibJar::File),
            SpecJar::Download(d) => download(src, &field, d, diags),
        };
        let Some(jar) = jar else {
            ok = false;
            continue;
        };
        let name = jar.file_name().to_string();
        if names.contains(&name) {
            diags.push(src.error(&field, format!("a jar named `{name}` is listed twice; the second would overwrite the first in lib/")));
            ok = false;
            continue;
        }
        ok &= checked_name(src, &field, &name, version, diags);
        names.push(name);
        out.push(jar);
    }
    ok.then_some(out)
}

/// Maven Central, where `maven:` coordinates are fetched from.
const MAVEN_CENTRAL: &str = "https://repo1.maven.org/maven2";

/// The Maven Central URL of `group:artifact:version[:classifier]`, as Maven lays it out.
pub fn maven_url(coordinates: &str) -> Option<String> {
    let parts: Vec<&str> = coordinates.split(':').collect();
    let (group, artifact, version, classifier) = match parts[..] {
        [g, a, v] => (g, a, v, None),
        [g, a, v, c] => (g, a, v, Some(c)),
        _ => return None,
    };
    let plain = |s: &str, extra: &[char]| {
        !s.is_empty()
            && !s.starts_with('.')
            && s.chars().all(|c| {
                c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' || extra.contains(&c)
            })
    };
    let ok = plain(group, &[])
        && plain(artifact, &[])
        && plain(version, &['+'])
        && classifier.is_none_or(|c| plain(c, &[]))
        && !group.contains("..");
    ok.then(|| {
        let suffix = classifier.map(|c| format!("-{c}")).unwrap_or_default();
        format!(
            "{MAVEN_CENTRAL}/{}/{artifact}/{version}/{artifact}-{version}{suffix}.jar",
            group.replace('.', "/")
        )
    })
}

fn download(
    src: &Source,
    field: &str,
    d: &crate::load::spec::LibDownload,
    diags: &mut Diagnostics,
) -> Option<LibJar> {
    let url = match (&d.url, &d.maven) {
        (Some(u), None) => u.clone(),
        (None, Some(m)) => match maven_url(m) {
            Some(u) => u,
            None => {
                diags.push(
                    src.error(&format!("{field}.maven"), format!("`{m}` is not Maven coordinates"))
                        .help("write group:artifact:version, such as org.apache.flink:flink-sql-connector-kafka:3.3.0-1.20"),
                );
                return None;
            }
        },
        _ => {
            diags.push(
                src.key_error(field, "give the jar's url or its maven coordinates, one of them")
                    .help("write { maven: org.apache.flink:flink-sql-connector-kafka:3.3.0-1.20, sha256: … } or { url: https://…, sha256: … }"),
            );
            return None;
        }
    };
    let Some(sha256) = d.sha256.as_deref() else {
        diags.push(
            src.key_error(field, format!("the download of {url} has no sha256, so the build could not tell it from a tampered one"))
                .field(format!("{field}.sha256"))
                .help(format!("compute it once and add it: curl -fsSL {url} | sha256sum")),
        );
        return None;
    };
    let url = url.as_str();
    let mut ok = true;
    let path = url.strip_prefix("https://").unwrap_or_default();
    let plain = path
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | '+' | '%' | ':'));
    if path.is_empty() || !plain || !path.contains('/') || !path.ends_with(".jar") {
        diags.push(
            src.error(&format!("{field}.url"), format!("`{url}` is not an https:// URL of a .jar"))
                .help("write the jar's https:// URL without query, such as https://repo1.maven.org/maven2/org/apache/flink/flink-sql-connector-kafka/3.3.0-1.20/flink-sql-connector-kafka-3.3.0-1.20.jar"),
        );
        ok = false;
    }
    if sha256.len() != 64
        || !sha256
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    {
        diags.push(
            src.error(
                &format!("{field}.sha256"),
                format!("`{sha256}` is not a SHA-256 checksum"),
            )
            .help("write 64 lowercase hex digits, as `sha256sum <jar>` prints them"),
        );
        ok = false;
    }
    ok.then(|| LibJar::Download {
        url: url.to_string(),
        sha256: sha256.to_string(),
    })
}

/// Refuses copies of what Flink ships or what belongs in `plugins/`, and warns about a
/// connector built for another Flink line (`…-3.3.0-1.20.jar` on 2.2).
fn checked_name(
    src: &Source,
    field: &str,
    name: &str,
    version: Version,
    diags: &mut Diagnostics,
) -> bool {
    let stem = name.strip_suffix(".jar").unwrap_or(name);
    let json_layout = version.at_least(2, 1).then_some(&JSON_LAYOUT);
    let shipped = SHIPPED.iter().chain(json_layout).find(|s| {
        stem.strip_prefix(*s)
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
    });
    if let Some(s) = shipped {
        diags.push(
            src.error(
                field,
                format!(
                    "`{name}` is a copy of {s}, which Flink {} already has in lib/",
                    version.minor_str()
                ),
            )
            .help("remove it: two versions of the same classes on the classpath fail at run time"),
        );
        return false;
    }
    for plugin in crate::flink::OPTIONAL_PLUGINS {
        if stem.starts_with(&format!("flink-{plugin}-")) {
            diags.push(
                src.error(field, format!("`{name}` is a filesystem plugin; Flink loads filesystems only from plugins/"))
                    .help(format!("remove it and add `{plugin}` to plugins")),
            );
            return false;
        }
    }
    if let Some(line) = stem.rsplit('-').next().filter(|l| flink_line(l)) {
        if line != version.minor_str() {
            diags.push(
                src.warning(
                    field,
                    format!(
                        "`{name}` is built for Flink {line}, but the image runs Flink {}",
                        version.minor_str()
                    ),
                )
                .help(format!(
                    "use the connector release built for Flink {}",
                    version.minor_str()
                )),
            );
        }
    }
    true
}

/// `1.20` or `2.2`: the suffix connector releases carry for the Flink line they target.
fn flink_line(s: &str) -> bool {
    match s.split_once('.') {
        Some((major, minor)) => {
            matches!(major, "1" | "2")
                && !minor.is_empty()
                && minor.len() <= 2
                && minor.chars().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

/// Folders the pods mount over: whatever the image has there is hidden at run time.
const MOUNTED: &[(&str, &str)] = &[
    (
        "/opt/flink/conf",
        "the Flink configuration ConfigMap is mounted there",
    ),
    ("/opt/flink/log", "an emptyDir for logs is mounted there"),
    ("/tmp", "an emptyDir for temporary files is mounted there"),
    (
        "/opt/flink/pod-template",
        "the native pod template is mounted there",
    ),
];

/// Folders of the image the pods need as the image has them: a volume there (or above them)
/// hides Flink itself or the job's jar.
const IMAGE_FOLDERS: &[(&str, &str)] = &[
    ("/opt/flink/bin", "Flink's start scripts are there"),
    ("/opt/flink/lib", "Flink's own jars are there"),
    (
        "/opt/flink/opt",
        "Flink's optional jars (the Python and SQL runners) are there",
    ),
    ("/opt/flink/plugins", "the image's plugins are there"),
    ("/opt/flink/usrlib", "the job's jar and files are there"),
    (
        crate::derive::local_state::DIR,
        "the TaskManagers' local-state claims are mounted there",
    ),
    // The system's own folders: the programs, libraries and users the container runs with,
    // and the files the kubelet mounts itself (/etc/hosts, the account token).
    ("/bin", "the system's programs are there"),
    ("/sbin", "the system's programs are there"),
    ("/usr", "the system's programs and libraries are there"),
    ("/lib", "the system's libraries are there"),
    ("/lib64", "the system's libraries are there"),
    (
        "/etc",
        "the system's users, hosts and certificates are there",
    ),
    ("/dev", "the container's devices are there"),
    (
        "/var/run/secrets/kubernetes.io",
        "the kubelet mounts the service-account token there",
    ),
];

/// Folders whose every part the pods need: a volume anywhere at or below them hides a part
/// of the runtime (a volume at /opt/java/openjdk removes Java).
const WHOLE: &[(&str, &str)] = &[
    (
        crate::derive::wiring::PYTHON_VENV,
        "the Python interpreter with PyFlink that flinkgen's image installs is there",
    ),
    ("/opt/java", "the image's Java runtime is there"),
    ("/proc", "the kernel's process view is there"),
    ("/sys", "the kernel's device view is there"),
];

/// The folder of Flink's or of flinkgen's that a volume at `path` would cover (at it, or at a
/// folder above it such as `/opt/flink` or `/opt`), or be mounted inside of, and why that
/// breaks the pods.
pub fn reserved_for_volume(path: &str) -> Option<(&'static str, &'static str)> {
    let covers = |dir: &str| crate::derive::wiring::under(dir, path);
    MOUNTED
        .iter()
        .chain(WHOLE)
        .find(|(dir, _)| covers(dir) || super::paths::under(path, dir))
        .or_else(|| IMAGE_FOLDERS.iter().find(|(dir, _)| covers(dir)))
        .copied()
}

/// The mounted folder that would hide `path` in the pods, and why it is mounted.
pub fn hidden_by_mount(path: &str) -> Option<&'static (&'static str, &'static str)> {
    MOUNTED
        .iter()
        .find(|(dir, _)| super::paths::under(path, dir))
}

pub fn files(
    src: &Source,
    files: Option<&BTreeMap<String, String>>,
    diags: &mut Diagnostics,
) -> Option<Vec<(String, String)>> {
    let mut ok = true;
    let mut out = Vec::new();
    for (from, to) in files.into_iter().flatten() {
        let field = format!("image.files.{from}");
        let Some(from) = project_path(src, &field, from, false, diags) else {
            ok = false;
            continue;
        };
        let dest_ok = to.starts_with('/')
            && to
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | '+'))
            && !to
                .trim_end_matches('/')
                .split('/')
                .skip(1)
                .any(|s| matches!(s, "" | "." | ".."));
        if !dest_ok {
            diags.push(
                src.error(&field, format!("`{to}` is not an absolute path inside the image"))
                    .help("write an absolute path of letters, digits and `._-+/`, such as /opt/flink/usrlib/sql/"),
            );
            ok = false;
            continue;
        }
        if let Some((dir, why)) = hidden_by_mount(to) {
            diags.push(
                src.error(&field, format!("`{to}` would be hidden at run time: {why}"))
                    .help(format!(
                        "copy it somewhere outside {dir}, such as /opt/flink/usrlib/"
                    )),
            );
            ok = false;
            continue;
        }
        out.push((from, to.clone()));
    }
    ok.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maven_coordinates_are_laid_out_as_maven_central_does() {
        assert_eq!(
            maven_url("org.apache.flink:flink-sql-connector-kafka:3.3.0-1.20").unwrap(),
            "https://repo1.maven.org/maven2/org/apache/flink/flink-sql-connector-kafka/3.3.0-1.20/flink-sql-connector-kafka-3.3.0-1.20.jar"
        );
        assert_eq!(
            maven_url("io.confluent:kafka-avro-serializer:7.7.1:shaded").unwrap(),
            "https://repo1.maven.org/maven2/io/confluent/kafka-avro-serializer/7.7.1/kafka-avro-serializer-7.7.1-shaded.jar"
        );
        for bad in ["a:b", "a:b:c:d:e", "a/b:c:d", "..:b:c", "a::c", "a:b:c d"] {
            assert!(maven_url(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn connector_lines_are_read_from_the_name() {
        assert!(flink_line("1.20") && flink_line("2.2"));
        assert!(!flink_line("3.3.0") && !flink_line("0.1") && !flink_line("jar"));
        let jar = LibJar::Download {
            url: "https://repo/x/flink-sql-connector-kafka-3.3.0-1.20.jar".into(),
            sha256: String::new(),
        };
        assert_eq!(jar.file_name(), "flink-sql-connector-kafka-3.3.0-1.20.jar");
    }
}
