//! What flinkgen knows about Flink releases: images, config file names, and which option keys
//! exist, were renamed or were removed in each version. Facts are from the released jars and
//! the apache/flink-docker release metadata (see docs/src/sources.md).

pub mod config;
pub mod keys;
pub mod memory;
pub mod operator;

use std::fmt;

/// A supported Flink release line and the patch release its images are pinned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

struct Line {
    major: u32,
    minor: u32,
    pinned_patch: u32,
    java: &'static [u32],
    default_java: u32,
}

/// Release lines with official images: the one table to edit when Flink releases (see docs/src/flink-releases.md,
/// "Adding a Flink release"; `scripts/check-releases.py` compares it with PyPI). The pinned
/// patch is the newest with both an official image (apache/flink-docker `release.metadata`)
/// and a PyPI distribution to verify against; a spec may name any other patch of a line.
const LINES: &[Line] = &[
    // 1.15 and 1.16: apache/flink-docker published their last images (1.15.4, 1.16.3) for
    // Java 8 and 11 before removing the lines with 1.19.
    Line {
        major: 1,
        minor: 15,
        pinned_patch: 4,
        java: &[8, 11],
        default_java: 11,
    },
    Line {
        major: 1,
        minor: 16,
        pinned_patch: 3,
        java: &[8, 11],
        default_java: 11,
    },
    Line {
        major: 1,
        minor: 17,
        pinned_patch: 2,
        java: &[8, 11],
        default_java: 11,
    },
    Line {
        major: 1,
        minor: 18,
        pinned_patch: 1,
        java: &[8, 11, 17],
        default_java: 11,
    },
    Line {
        major: 1,
        minor: 19,
        pinned_patch: 3,
        java: &[8, 11, 17],
        default_java: 11,
    },
    Line {
        major: 1,
        minor: 20,
        pinned_patch: 4,
        // apache/flink-docker publishes 1.20 for Java 8, 11 and 17 only.
        java: &[8, 11, 17],
        default_java: 11,
    },
    Line {
        major: 2,
        minor: 0,
        pinned_patch: 2,
        java: &[11, 17, 21],
        default_java: 17,
    },
    Line {
        major: 2,
        minor: 1,
        pinned_patch: 2,
        java: &[11, 17, 21],
        default_java: 17,
    },
    Line {
        major: 2,
        minor: 2,
        pinned_patch: 1,
        java: &[11, 17, 21],
        default_java: 17,
    },
    Line {
        major: 2,
        minor: 3,
        pinned_patch: 0,
        java: &[11, 17, 21],
        default_java: 17,
    },
];

/// The `env.java.opts.all` value Flink ships in its default configuration. A ConfigMap replaces
/// that file, so the flags must be restated or Java 17+ fails with illegal-access errors.
const JAVA_OPTS_1X: &str = "--add-exports=java.base/sun.net.util=ALL-UNNAMED --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED --add-exports=jdk.compiler/com.sun.tools.javac.api=ALL-UNNAMED --add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED --add-exports=jdk.compiler/com.sun.tools.javac.parser=ALL-UNNAMED --add-exports=jdk.compiler/com.sun.tools.javac.tree=ALL-UNNAMED --add-exports=jdk.compiler/com.sun.tools.javac.util=ALL-UNNAMED --add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.text=ALL-UNNAMED --add-opens=java.base/java.time=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED";

impl Version {
    /// Parses "1.20" or "1.20.3"; the error lists what is supported.
    pub fn parse(text: &str) -> Result<Version, String> {
        let parts: Vec<&str> = text.trim().split('.').collect();
        let nums: Option<Vec<u32>> = parts.iter().map(|p| p.parse().ok()).collect();
        let (major, minor, patch) = match nums.as_deref() {
            Some([a, b]) => (*a, *b, None),
            Some([a, b, c]) => (*a, *b, Some(*c)),
            _ => return Err(format!("`{text}` is not a Flink version")),
        };
        if (major, minor) < (1, 15) {
            return Err(format!(
                "Flink {major}.{minor} is older than 1.15, which the Flink Kubernetes Operator refuses too"
            ));
        }
        let line = LINES
            .iter()
            .find(|l| l.major == major && l.minor == minor)
            .ok_or_else(|| format!("Flink {major}.{minor} is not supported"))?;
        Ok(Version {
            major,
            minor,
            patch: patch.unwrap_or(line.pinned_patch),
        })
    }

    pub fn supported_list() -> String {
        LINES
            .iter()
            .map(|l| format!("\"{}.{}\"", l.major, l.minor))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn line(&self) -> &'static Line {
        LINES
            .iter()
            .find(|l| l.major == self.major && l.minor == self.minor)
            .expect("versions are only built by parse")
    }

    /// Is this release at least `major.minor`?
    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        (self.major, self.minor) >= (major, minor)
    }

    pub fn minor_str(&self) -> String {
        format!("{}.{}", self.major, self.minor)
    }

    pub fn java_versions(&self) -> &'static [u32] {
        self.line().java
    }

    pub fn default_java(&self) -> u32 {
        self.line().default_java
    }

    /// The official image, pinned to the patch release and Java version.
    pub fn image(&self, java: u32) -> String {
        format!("flink:{self}-scala_2.12-java{java}")
    }

    /// `taskmanager.memory.network.max` when unset: 1 GiB before 1.17, no limit since (found
    /// with each release's BashJavaUtils; `tests/data/memory-vectors.json`).
    pub fn default_network_max(&self) -> Option<u64> {
        (!self.at_least(1, 17)).then_some(1 << 30)
    }

    /// The log4j release the distribution ships in `lib/` (read from each one).
    pub fn log4j(&self) -> &'static str {
        if self.at_least(2, 3) {
            "2.25.3"
        } else if self.at_least(1, 20) {
            "2.24.3"
        } else {
            "2.17.1"
        }
    }

    /// 1.18 reads only the legacy flat file; 1.19 and 1.20 prefer it when present; 2.x reads
    /// only config.yaml. So each version gets the one file it is sure to read.
    pub fn config_format(&self) -> config::Format {
        if self.at_least(1, 19) {
            config::Format::ConfigYaml
        } else {
            config::Format::Legacy
        }
    }

    /// The JVM flags the version ships in `env.java.opts.all`. Before 1.18 (images for Java 8
    /// and 11 only) the shipped configuration sets none (verified on 1.17.2's).
    pub fn java_opts(&self) -> Option<String> {
        if !self.at_least(1, 18) {
            None
        } else if self.major >= 2 {
            // 2.x dropped the sun.net.util export from its shipped configuration.
            Some(JAVA_OPTS_1X.replace("--add-exports=java.base/sun.net.util=ALL-UNNAMED ", ""))
        } else {
            Some(JAVA_OPTS_1X.to_string())
        }
    }
}

impl Version {
    /// Where PyFlink lives in the distribution: `opt/flink-python…jar` (read from each
    /// release's apache-flink-libraries; the Scala suffix went away in 1.16).
    pub fn python_jar(&self) -> String {
        if self.at_least(1, 16) {
            format!("opt/flink-python-{self}.jar")
        } else {
            format!("opt/flink-python_2.12-{self}.jar")
        }
    }

    /// The Ubuntu release and Python the official image is built on (apache/flink-docker's
    /// Dockerfiles: eclipse-temurin `-jammy` up to 2.1, `-noble` from 2.2), when PyPI has an
    /// apache-flink wheel of this release for that Python; None for 1.15 and 1.16, whose
    /// newest wheels are for Python 3.8 and 3.9 (`newest_pyflink_python`).
    pub fn image_python(&self) -> Option<(&'static str, &'static str)> {
        if !self.at_least(1, 17) {
            None
        } else if self.at_least(2, 2) {
            Some(("Ubuntu 24.04", "3.12"))
        } else {
            Some(("Ubuntu 22.04", "3.10"))
        }
    }
}

impl Version {
    /// The newest Python PyPI has an apache-flink wheel of this release for, where that is
    /// older than the official image's (checked with `pip download --only-binary`).
    pub fn newest_pyflink_python(&self) -> Option<&'static str> {
        match (self.major, self.minor) {
            (1, 15) => Some("3.8"),
            (1, 16) => Some("3.9"),
            _ => None,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Plugins an official image carries in `opt/`, with the sub-folder they get in `plugins/`.
pub const OPTIONAL_PLUGINS: &[&str] = &[
    "s3-fs-hadoop",
    "s3-fs-presto",
    "gs-fs-hadoop",
    "azure-fs-hadoop",
    "oss-fs-hadoop",
];

/// The filesystem plugins that serve a URI scheme, for checking checkpoint and savepoint paths.
pub fn plugins_for_scheme(scheme: &str) -> Option<&'static [&'static str]> {
    Some(match scheme {
        "s3" => &["s3-fs-hadoop", "s3-fs-presto"],
        "s3a" => &["s3-fs-hadoop"],
        "s3p" => &["s3-fs-presto"],
        "gs" => &["gs-fs-hadoop"],
        "wasb" | "wasbs" | "abfs" | "abfss" => &["azure-fs-hadoop"],
        "oss" => &["oss-fs-hadoop"],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_pins() {
        let v = Version::parse("1.20").unwrap();
        assert_eq!(v.to_string(), "1.20.4");
        assert_eq!(v.image(17), "flink:1.20.4-scala_2.12-java17");
        assert_eq!(Version::parse("2.2.0").unwrap().to_string(), "2.2.0");
        assert!(Version::parse("1.14")
            .unwrap_err()
            .contains("older than 1.15"));
        assert_eq!(Version::parse("1.16").unwrap().to_string(), "1.16.3");
        assert_eq!(
            Version::parse("1.15").unwrap().default_network_max(),
            Some(1 << 30)
        );
        assert_eq!(Version::parse("1.17").unwrap().default_network_max(), None);
        assert!(Version::parse("2.9").unwrap_err().contains("not supported"));
        assert_eq!(Version::parse("1.17").unwrap().to_string(), "1.17.2");
        assert!(Version::parse("1.2").is_err());
        assert!(Version::parse("latest").is_err());
    }

    #[test]
    fn config_file_by_version() {
        assert_eq!(
            Version::parse("1.18").unwrap().config_format(),
            config::Format::Legacy
        );
        assert_eq!(
            Version::parse("1.19").unwrap().config_format(),
            config::Format::ConfigYaml
        );
        assert_eq!(
            Version::parse("2.0").unwrap().config_format(),
            config::Format::ConfigYaml
        );
    }

    #[test]
    fn java_opts_match_shipped_defaults() {
        let v1 = Version::parse("1.20").unwrap().java_opts().unwrap();
        let v2 = Version::parse("2.2").unwrap().java_opts().unwrap();
        assert_eq!(Version::parse("1.17").unwrap().java_opts(), None);
        assert!(v1.starts_with(
            "--add-exports=java.base/sun.net.util=ALL-UNNAMED --add-exports=java.rmi"
        ));
        assert!(v2.starts_with("--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED"));
        assert_eq!(v1.split(' ').count(), 20);
        assert_eq!(v2.split(' ').count(), 19);
    }
}
