//! Which option keys exist in which Flink version, and which ones flinkgen owns.

use super::Version;

/// A key flinkgen writes itself; setting it by hand would silently fight the generated value.
pub struct Owned {
    pub key: &'static str,
    /// The spec field that sets it, or why flinkgen pins it.
    pub field: &'static str,
}

/// Keys pinned to one value because other generated files depend on it.
const FIXED: &[(&str, &str)] = &[
    (
        "jobmanager.rpc.address",
        "it is the JobManager Service's name",
    ),
    (
        "jobmanager.rpc.port",
        "the JobManager Service and probe use 6123",
    ),
    ("blob.server.port", "the JobManager Service exposes 6124"),
    ("taskmanager.rpc.port", "the TaskManager probe uses 6122"),
    ("rest.port", "the JobManager Service exposes 8081"),
];

/// Why a user may not set `key`, as help text, if flinkgen owns it.
pub fn owner_help(key: &str) -> Option<String> {
    if key.starts_with("taskmanager.memory.") || key.starts_with("jobmanager.memory.") {
        return Some(
            "memory is set by the profile's memory fields (or the job's profile overrides)".into(),
        );
    }
    if key.starts_with("kubernetes.pod-template-file") || key.starts_with("$internal.") {
        return Some("flinkgen writes it for native mode (`mode: native`)".into());
    }
    if key == "external-resources" || key.starts_with("external-resource.gpu.") {
        return Some("GPUs are declared by the TaskManager profile's resources (nvidia.com/gpu or amd.com/gpu)".into());
    }
    if let Some((_, why)) = FIXED.iter().find(|(k, _)| *k == key) {
        return Some(format!("flinkgen pins it: {why}"));
    }
    OWNED
        .iter()
        .find(|o| o.key == key)
        .map(|o| format!("use {} instead", o.field))
}

/// Keys flinkgen always writes or derives from typed fields. Setting them in `flinkConfig` would
/// silently fight the generated value, so it is an error that names the field to use instead.
pub const OWNED: &[Owned] = &[
    Owned {
        key: "high-availability.type",
        field: "ha",
    },
    Owned {
        key: "high-availability",
        field: "ha",
    },
    Owned {
        key: "high-availability.storageDir",
        field: "ha.storageDir",
    },
    Owned {
        key: "high-availability.cluster-id",
        field: "the job or cluster name (flinkgen sets it with ha)",
    },
    Owned {
        key: "kubernetes.cluster-id",
        field: "the job or cluster name (flinkgen sets it with ha or mode: native)",
    },
    Owned {
        key: "kubernetes.namespace",
        field: "namespace",
    },
    Owned {
        key: "kubernetes.service-account",
        field: "mode: native (flinkgen writes the account and its Role)",
    },
    Owned {
        key: "kubernetes.jobmanager.service-account",
        field: "mode: native (flinkgen writes the account and its Role)",
    },
    Owned {
        key: "kubernetes.taskmanager.service-account",
        field: "mode: native (flinkgen writes the account and its Role)",
    },
    Owned {
        key: "kubernetes.container.image.ref",
        field: "image",
    },
    Owned {
        key: "kubernetes.container.image",
        field: "image",
    },
    Owned {
        key: "kubernetes.container.image.pull-policy",
        field: "image.pullPolicy",
    },
    Owned {
        key: "kubernetes.jobmanager.replicas",
        field: "jobManager.replicas",
    },
    Owned {
        key: "kubernetes.rest-service.exposed.type",
        field: "rest.type",
    },
    Owned {
        key: "kubernetes.taskmanager.cpu.amount",
        field: "the TaskManager profile's cpu",
    },
    Owned {
        key: "kubernetes.taskmanager.cpu",
        field: "the TaskManager profile's cpu",
    },
    Owned {
        key: "kubernetes.taskmanager.cpu.limit-factor",
        field: "the TaskManager profile's limitFactor.cpu",
    },
    Owned {
        key: "kubernetes.taskmanager.memory.limit-factor",
        field: "the TaskManager profile's limitFactor.memory",
    },
    Owned {
        key: "execution.target",
        field: "mode and session (flinkgen picks the target)",
    },
    Owned {
        key: "pipeline.jars",
        field: "jar",
    },
    Owned {
        key: "kubernetes.container.image.pull-secrets",
        field: "image.pullSecrets",
    },
    Owned {
        key: "taskmanager.numberOfTaskSlots",
        field: "taskManager.slots",
    },
    Owned {
        key: "parallelism.default",
        field: "parallelism",
    },
    Owned {
        key: "state.backend.type",
        field: "stateBackend",
    },
    Owned {
        key: "state.backend",
        field: "stateBackend",
    },
    Owned {
        key: "execution.checkpointing.interval",
        field: "checkpoints.interval",
    },
    Owned {
        key: "execution.checkpointing.mode",
        field: "checkpoints.mode",
    },
    Owned {
        key: "execution.checkpointing.timeout",
        field: "checkpoints.timeout",
    },
    Owned {
        key: "execution.checkpointing.min-pause",
        field: "checkpoints.minPause",
    },
    Owned {
        key: "execution.checkpointing.max-concurrent-checkpoints",
        field: "checkpoints.maxConcurrent",
    },
    Owned {
        key: "execution.checkpointing.tolerable-failed-checkpoints",
        field: "checkpoints.tolerableFailures",
    },
    Owned {
        key: "execution.checkpointing.externalized-checkpoint-retention",
        field: "checkpoints.retention",
    },
    Owned {
        key: "execution.checkpointing.dir",
        field: "checkpoints.dir",
    },
    Owned {
        key: "state.checkpoints.dir",
        field: "checkpoints.dir",
    },
    Owned {
        key: "execution.checkpointing.num-retained",
        field: "checkpoints.retained",
    },
    Owned {
        key: "state.checkpoints.num-retained",
        field: "checkpoints.retained",
    },
    Owned {
        key: "execution.checkpointing.incremental",
        field: "checkpoints.incremental",
    },
    Owned {
        key: "state.backend.incremental",
        field: "checkpoints.incremental",
    },
    Owned {
        key: "execution.checkpointing.savepoint-dir",
        field: "savepoints.dir",
    },
    Owned {
        key: "state.savepoints.dir",
        field: "savepoints.dir",
    },
    Owned {
        key: "execution.state-recovery.path",
        field: "savepoints.restoreFrom",
    },
    Owned {
        key: "execution.savepoint.path",
        field: "savepoints.restoreFrom",
    },
    Owned {
        key: "execution.state-recovery.claim-mode",
        field: "savepoints.claimMode",
    },
    Owned {
        key: "execution.savepoint-restore-mode",
        field: "savepoints.claimMode",
    },
    Owned {
        key: "execution.savepoint.ignore-unclaimed-state",
        field: "savepoints.allowNonRestoredState",
    },
    Owned {
        key: "execution.state-recovery.ignore-unclaimed-state",
        field: "savepoints.allowNonRestoredState",
    },
    Owned {
        key: "jobmanager.heap.size",
        field: "the JobManager profile's memory",
    },
    Owned {
        key: "jobmanager.heap.mb",
        field: "the JobManager profile's memory",
    },
    Owned {
        key: "taskmanager.heap.size",
        field: "the TaskManager profile's memory",
    },
    Owned {
        key: "taskmanager.heap.mb",
        field: "the TaskManager profile's memory",
    },
];

/// Keys introduced in 1.20 (new, old): the old one is a deprecated fallback from then on.
const RENAMED_IN_1_20: &[(&str, &str)] = &[
    ("execution.checkpointing.dir", "state.checkpoints.dir"),
    (
        "execution.checkpointing.savepoint-dir",
        "state.savepoints.dir",
    ),
    (
        "execution.checkpointing.incremental",
        "state.backend.incremental",
    ),
    (
        "execution.checkpointing.num-retained",
        "state.checkpoints.num-retained",
    ),
    (
        "execution.checkpointing.storage",
        "state.checkpoint-storage",
    ),
    (
        "execution.checkpointing.local-backup.enabled",
        "state.backend.local-recovery",
    ),
    (
        "execution.state-recovery.from-local",
        "state.backend.local-recovery",
    ),
    ("execution.state-recovery.path", "execution.savepoint.path"),
    (
        "execution.state-recovery.claim-mode",
        "execution.savepoint-restore-mode",
    ),
    (
        "execution.state-recovery.ignore-unclaimed-state",
        "execution.savepoint.ignore-unclaimed-state",
    ),
];

/// The name Flink `v` reads an option by, given its current name: before 1.20, the keys
/// renamed in 1.20 go by their older names. Every version-dependent key flinkgen writes is
/// spelled through here, from the same table that decides which spellings a user may set.
pub fn spelled(key: &'static str, v: Version) -> &'static str {
    for (table, (major, minor)) in RENAMES {
        if !v.at_least(*major, *minor) {
            if let Some((_, old)) = table.iter().find(|(new, _)| *new == key) {
                return old;
            }
        }
    }
    key
}

/// Each rename table with the release that introduced its new names.
type Renames = (&'static [(&'static str, &'static str)], (u32, u32));
const RENAMES: &[Renames] = &[(RENAMED_IN_1_20, (1, 20)), (RENAMED_IN_1_17, (1, 17))];

/// Keys introduced in 1.17 (new, old), found by reflecting over the ConfigOptions of 1.15.4,
/// 1.16.3 and 1.17.2: before 1.17 only the old name exists.
const RENAMED_IN_1_17: &[(&str, &str)] = &[
    ("restart-strategy.type", "restart-strategy"),
    ("high-availability.type", "high-availability"),
    ("state.backend.type", "state.backend"),
    ("env.java.opts.all", "env.java.opts"),
    (
        "kubernetes.container.image.ref",
        "kubernetes.container.image",
    ),
    (
        "kubernetes.taskmanager.cpu.amount",
        "kubernetes.taskmanager.cpu",
    ),
    (
        "kubernetes.jobmanager.cpu.amount",
        "kubernetes.jobmanager.cpu",
    ),
];

/// Keys that 2.0 removed: 2.x refuses or ignores them.
const REMOVED_IN_2_0: &[&str] = &[
    "state.backend.async",
    "security.ssl.enabled",
    "web.ssl.enabled",
    "cluster.evenly-spread-out-slots",
    "high-availability.job.delay",
    "pipeline.default-kryo-serializers",
    "pipeline.registered-kryo-types",
    "pipeline.registered-pojo-types",
    "pipeline.time-characteristic",
    "taskmanager.network.numberOfBuffers",
    "taskmanager.network.memory.buffers-per-channel",
    "taskmanager.network.memory.floating-buffers-per-gate",
];

pub enum Verdict {
    Ok,
    /// Accepted but deprecated; the message names the replacement.
    Deprecated(String),
    /// Not usable on this version; the message says why and what to use.
    Invalid(String),
}

/// Per Flink line, from its pinned release (generated from the distributions by
/// `scripts/option-keys.py`): every key a ConfigOption declares, and `<deprecated key> <its
/// option's key>` for every fallback key Flink marks deprecated (`FallbackKey.isDeprecated`).
macro_rules! lines {
    ($(($major:literal, $minor:literal)),*) => {
        &[$(
            (($major, $minor),
             include_str!(concat!("keys/", $major, ".", $minor, ".txt")),
             include_str!(concat!("keys/", $major, ".", $minor, ".deprecated.txt"))),
        )*]
    };
}
const LINES: &[((u32, u32), &str, &str)] = lines!(
    (1, 15),
    (1, 16),
    (1, 17),
    (1, 18),
    (1, 19),
    (1, 20),
    (2, 0),
    (2, 1),
    (2, 2),
    (2, 3)
);

/// A line's keys and deprecated fallbacks, indexed on first use: every option of every job
/// is looked up, and scanning the thousand lines of text for each was two fifths of
/// validating a job.
struct Index {
    keys: std::collections::HashSet<&'static str>,
    replaced: std::collections::HashMap<&'static str, &'static str>,
}

fn index(v: Version) -> Option<&'static Index> {
    static INDEXES: [std::sync::OnceLock<Index>; LINES.len()] =
        [const { std::sync::OnceLock::new() }; LINES.len()];
    let at = LINES
        .iter()
        .position(|(line, _, _)| *line == (v.major, v.minor))?;
    Some(INDEXES[at].get_or_init(|| {
        let (_, text, deprecated) = LINES[at];
        let mut replaced = std::collections::HashMap::new();
        for (old, new) in deprecated.lines().filter_map(|l| l.split_once(' ')) {
            // The first line naming a key wins, as a scan of the text would find it.
            replaced.entry(old).or_insert(new);
        }
        Index {
            keys: text.lines().collect(),
            replaced,
        }
    }))
}

/// The key that replaces `key` in Flink `v`, when `key` is only a deprecated fallback of it.
pub fn replacement(key: &str, v: Version) -> Option<&'static str> {
    index(v)?.replaced.get(key).copied()
}

/// Keys whose names Flink builds from a user-chosen part, or that plugins and connectors
/// declare outside the distribution's jars: no list can hold them.
const OPEN_PREFIXES: &[&str] = &[
    "metrics.reporter.",
    "external-resource.",
    "s3.",
    "fs.",
    "gs.",
    "azure.",
    "presto.",
    "hadoop.",
    "security.delegation.token.provider.",
    "kubernetes.operator.",
    "job.autoscaler.",
    "$internal.",
];

/// The declared keys of the line `v` belongs to, sorted.
pub fn declared_keys(v: Version) -> Vec<&'static str> {
    LINES
        .iter()
        .find(|(line, _, _)| *line == (v.major, v.minor))
        .map(|(_, text, _)| text.lines().collect())
        .unwrap_or_default()
}

/// Whether Flink `v` reads `key`: a declared option, or one of the open families.
pub fn declared(key: &str, v: Version) -> bool {
    OPEN_PREFIXES.iter().any(|p| key.starts_with(p))
        || index(v).is_some_and(|i| i.keys.contains(key))
}

/// Judges a user-supplied key for the job's Flink version.
pub fn check(key: &str, v: Version) -> Verdict {
    let removed = REMOVED_IN_2_0.contains(&key) || key.starts_with("taskmanager.network.netty.");
    if v.major >= 2 && removed {
        return Verdict::Invalid(format!("`{key}` was removed in Flink 2.0"));
    }
    let akka = key.strip_prefix("akka.");
    if let (true, Some(rest)) = (v.major >= 2, akka) {
        return Verdict::Invalid(format!(
            "`{key}` is unknown since Flink 2.0; use `pekko.{rest}`"
        ));
    }
    for (table, (major, minor)) in RENAMES {
        for (new, old) in *table {
            if key == *new && !v.at_least(*major, *minor) {
                return Verdict::Invalid(format!(
                    "`{new}` exists from Flink {major}.{minor}; on {} use `{old}`",
                    v.minor_str()
                ));
            }
            if key == *old && v.at_least(*major, *minor) {
                return Verdict::Deprecated(format!(
                    "`{old}` is deprecated since Flink {major}.{minor}; use `{new}`"
                ));
            }
        }
    }
    if let Some(rest) = akka {
        return Verdict::Deprecated(format!(
            "`{key}` is deprecated since Flink 1.18; use `pekko.{rest}`"
        ));
    }
    if let Some(new) = replacement(key, v) {
        return Verdict::Deprecated(format!(
            "`{key}` is a deprecated name in Flink {}; use `{new}`",
            v.minor_str()
        ));
    }
    Verdict::Ok
}

/// A key that Flink could read: letters, digits and `.-_`, not starting or ending with a dot.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && !key.starts_with('.')
        && !key.ends_with('.')
        && !key.contains("..")
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// Substrings that make Flink treat an option as secret (`GlobalConfiguration.isSensitive`,
/// read from the 1.20.3 distribution: the lowercased key contains one of them). Such a value
/// must never be written into a committed file.
const SENSITIVE: &[&str] = &[
    "password",
    "secret",
    "fs.azure.account.key",
    "apikey",
    "auth-params",
    "service-key",
    "token",
    "basic-auth",
    "jaas.config",
    "http-headers",
];

/// Options Flink calls sensitive by name that hold no secret: references to Secrets by name,
/// and the delegation-token switches and timings (booleans, durations, ratios). Found by
/// reflecting over every ConfigOption of Flink 1.20.3 and keeping the sensitive ones whose
/// type is not a string or whose value names a Kubernetes object.
const NOT_SECRET: &[&str] = &[
    "kubernetes.container.image.pull-secrets",
    "kubernetes.env.secretKeyRef",
    "kubernetes.secrets",
    "security.delegation.tokens.enabled",
    "security.delegation.tokens.renewal.retry.backoff",
    "security.delegation.tokens.renewal.time-ratio",
    "security.kerberos.fetch.delegation-token",
    "security.kerberos.tokens.renewal.retry.backoff",
    "security.kerberos.tokens.renewal.time-ratio",
    "yarn.security.appmaster.delegation.token.services",
];

/// Whether the value of `key` is a secret: Flink hides it, and it is not one of the options
/// whose name only looks like one.
pub fn is_sensitive(key: &str) -> bool {
    let lower = key.to_lowercase();
    SENSITIVE.iter().any(|s| lower.contains(s))
        && !NOT_SECRET.contains(&key)
        && !key.starts_with("security.delegation.token.provider.")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn version_rules() {
        assert!(matches!(
            check("taskmanager.network.numberOfBuffers", v("2.0")),
            Verdict::Invalid(_)
        ));
        assert!(matches!(
            check("taskmanager.network.numberOfBuffers", v("1.20")),
            Verdict::Ok
        ));
        assert!(matches!(
            check("execution.checkpointing.storage", v("1.19")),
            Verdict::Invalid(_)
        ));
        assert!(matches!(
            check("state.checkpoint-storage", v("1.20")),
            Verdict::Deprecated(_)
        ));
        assert!(matches!(
            check("state.checkpoint-storage", v("1.18")),
            Verdict::Ok
        ));
        assert!(matches!(
            check("restart-strategy", v("1.18")),
            Verdict::Deprecated(_)
        ));
        assert!(matches!(
            check("akka.ask.timeout", v("2.1")),
            Verdict::Invalid(_)
        ));
    }

    #[test]
    fn key_syntax() {
        assert!(valid_key("metrics.reporter.prom.port"));
        assert!(valid_key("containerized.master.env.JAVA_TOOL_OPTIONS"));
        assert!(!valid_key("a..b"));
        assert!(!valid_key("a: b"));
        assert!(!valid_key(""));
    }
}

#[cfg(test)]
mod declared_tests {
    use super::*;

    #[test]
    fn declared_keys_come_from_each_release() {
        let v = |s: &str| Version::parse(s).unwrap();
        for key in [
            "taskmanager.data.port",
            "kubernetes.container.image.pull-secrets",
        ] {
            assert!(declared(key, v("1.17")) && declared(key, v("2.3")), "{key}");
        }
        assert!(!declared("execution.checkpointing.dir", v("1.19")));
        assert!(declared("execution.checkpointing.dir", v("1.20")));
        assert!(declared("metrics.reporter.prom.port", v("2.2")));
        assert!(!declared("execution.checkpointing.intervall", v("2.2")));
        for line in LINES {
            // The index answers as a scan of the text does.
            let shown = format!("{}.{}", line.0 .0, line.0 .1);
            let at = v(&shown);
            assert!(line.1.lines().all(|k| declared(k, at)), "{:?}", line.0);
            for (old, _) in line.2.lines().filter_map(|l| l.split_once(' ')) {
                let scanned = line.2.lines().filter_map(|l| l.split_once(' '));
                let first = scanned.into_iter().find(|(o, _)| *o == old).map(|(_, n)| n);
                assert_eq!(replacement(old, at), first, "{old}");
            }
            assert_eq!(replacement("no.such.key", at), None);
            let text = line.1;
            // Every deprecated key is one of the line's keys, replaced by another of them.
            for (old, new) in line.2.lines().filter_map(|l| l.split_once(' ')) {
                assert!(text.lines().any(|k| k == old) && text.lines().any(|k| k == new));
            }
            assert!(text.lines().count() > 700, "{:?}", line.0);
            // Flink names templated options with placeholders (`external-resource.<resource_name>.amount`).
            let plain =
                |k: &str| !k.is_empty() && !k.chars().any(|c| c.is_whitespace() || c.is_control());
            assert!(text.lines().all(plain), "{:?}", line.0);
        }
    }
}
