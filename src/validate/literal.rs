//! One secret rule for every literal value a spec writes into `out/`: flinkgen's `env`, the
//! sidecars' and init containers' env, command and args, the job's args, JVM options and
//! annotations. A value is a secret when what names it says so (`DB_PASSWORD`,
//! `--api-token`, `-Djavax.net.ssl.keyStorePassword`), unless the value (or the name) says
//! it is only where a secret is: a file path, a variable reference, a switch.

use crate::diag::Diagnostic;
use crate::flink::keys;
use crate::load::Source;

/// The error for a URI field (a checkpoint folder, a jar to fetch) that carries a password.
pub fn uri_with_password(src: &Source, field: &str) -> Diagnostic {
    src.error(field, "the URI carries a password (user:password@); flinkgen never writes a secret into out/, which is committed")
        .help("give the credentials to the filesystem another way: a Secret through env (AWS_ACCESS_KEY_ID, …) or flinkConfigFromSecrets, or the pods' cloud identity")
}

/// Words that, in a name, say its value is a secret.
const WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "APIKEY",
    "API_KEY",
    "TOKEN",
    "PRIVATE_KEY",
    "CREDENTIAL",
    "JAAS",
];

/// Endings that make a name the place of a secret, not the secret (`DB_PASSWORD_FILE`).
const ONLY_A_PLACE: &[&str] = &[
    "_NAME",
    "_FILE",
    "_PATH",
    "_URL",
    "_URI",
    "_ENDPOINT",
    "_HOST",
    "_PORT",
    "_DIR",
    "_LOCATION",
];

/// Names that hold a path whatever their words say: Google's client libraries read the key
/// file this variable points at.
const PATH_VARIABLES: &[&str] = &["GOOGLE_APPLICATION_CREDENTIALS"];

/// `NAME`, `--flag-name` and `a.property.name` as one form: upper case, `_` between words.
fn normalized(name: &str) -> String {
    name.trim_start_matches('-')
        .chars()
        .map(|c| match c {
            '-' | '.' | '/' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect()
}

/// Whether a name says its value is a secret.
pub fn secret_name(name: &str) -> bool {
    let n = normalized(name);
    // camelCase Java properties (`keyStorePassword`) upper-case to the same words.
    WORDS.iter().any(|w| n.contains(w))
        && !ONLY_A_PLACE.iter().any(|s| n.ends_with(s))
        && !PATH_VARIABLES.contains(&n.as_str())
}

/// Whether a value only says where a secret is, or is no secret at all: an absolute path, a
/// reference the receiver expands (`$(VAR)`, `${VAR}`), a switch, or nothing.
fn only_a_place(value: &str) -> bool {
    let v = value.trim();
    let reference = |open: &str, close: char| {
        v.strip_prefix(open)
            .and_then(|r| r.strip_suffix(close))
            .is_some_and(|inner| {
                !inner.is_empty() && inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
    };
    v.is_empty()
        || v.starts_with('/')
        || reference("$(", ')')
        || reference("${", '}')
        || matches!(v, "true" | "false")
}

/// A variable (`env`, a container's env) whose literal value is a secret.
pub fn secret_variable(name: &str, value: &str) -> bool {
    (secret_name(name) && !only_a_place(value)) || password_in_uri(value)
}

/// The first program argument that carries a secret: `--password=x`, or `--password x`
/// (the flag, then its value). Returns the flag's index and name.
pub fn secret_argument(args: &[String]) -> Option<(usize, String)> {
    if let Some(i) = args.iter().position(|a| password_in_uri(a)) {
        return Some((i, "a URI with a password".into()));
    }
    for (i, a) in args.iter().enumerate() {
        if !a.starts_with('-') {
            continue;
        }
        let (flag, value) = match a.split_once('=') {
            Some((f, v)) => (f, Some(v)),
            None => (a.as_str(), args.get(i + 1).map(String::as_str)),
        };
        if flag.starts_with("-D") {
            continue; // a system property, checked as a JVM option below
        }
        let secret =
            secret_name(flag) && value.is_some_and(|v| !v.starts_with('-') && !only_a_place(v));
        if secret {
            return Some((i, flag.to_string()));
        }
    }
    jvm_secret(&args.join(" ")).map(|k| {
        let at = args.iter().position(|a| a.contains(&k)).unwrap_or(0);
        (at, format!("-D{k}"))
    })
}

/// In a line of JVM options, the first system property (`-Dkey=value`) whose value is a
/// secret: its key says so by the words above or by Flink's own rule.
pub fn jvm_secret(opts: &str) -> Option<String> {
    opts.split_whitespace()
        .filter_map(|o| o.strip_prefix("-D"))
        .filter_map(|o| o.split_once('='))
        .find(|(k, v)| (secret_name(k) || keys::is_sensitive(k)) && !only_a_place(v))
        .map(|(k, _)| k.to_string())
}

/// A URI with a password in it (`s3://KEY:SECRET@bucket/…`, `https://user:pass@host/…`):
/// whatever names the value, the userinfo before `@` is a credential written in clear.
pub fn password_in_uri(value: &str) -> bool {
    value.split_whitespace().any(|word| {
        let Some((_, rest)) = word.split_once("://") else {
            return false;
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        authority.rsplit_once('@').is_some_and(|(userinfo, _)| {
            userinfo.split_once(':').is_some_and(|(_, p)| !p.is_empty())
        })
    })
}

/// An annotation whose value is a secret. `SECRET` alone does not count here: annotations
/// such as Vault's `agent-inject-secret-<name>` name where a secret is, not its value.
pub fn secret_annotation(key: &str, value: &str) -> bool {
    const VALUE_WORDS: &[&str] = &[
        "PASSWORD",
        "PASSWD",
        "APIKEY",
        "API_KEY",
        "TOKEN",
        "PRIVATE_KEY",
    ];
    let name = key.rsplit('/').next().unwrap_or(key);
    let n = normalized(name);
    let names_a_value = secret_name(name) && VALUE_WORDS.iter().any(|w| n.contains(w));
    let literal = !only_a_place(value) && value.parse::<f64>().is_err();
    (names_a_value && literal) || password_in_uri(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn names_and_values() {
        for (name, value) in [
            ("DB_PASSWORD", "hunter2"),
            ("API_TOKEN", "abc"),
            ("kafkaApiKey", "k"),
            ("AWS_SECRET_ACCESS_KEY", "wJalr"),
        ] {
            assert!(secret_variable(name, value), "{name}");
        }
        for (name, value) in [
            ("GOOGLE_APPLICATION_CREDENTIALS", "/etc/gcp/key.json"),
            ("GOOGLE_APPLICATION_CREDENTIALS", "key.json"),
            ("DB_PASSWORD_FILE", "secrets/db"),
            ("TLS_SECRET_NAME", "my-tls"),
            ("DB_PASSWORD", "/run/secrets/db"),
            ("DB_PASSWORD", "$(DB_PASSWORD_FROM_SECRET)"),
            ("DB_PASSWORD", ""),
            ("LOG_LEVEL", "hunter2"),
        ] {
            assert!(!secret_variable(name, value), "{name}={value}");
        }
    }

    #[test]
    fn arguments_and_jvm_options() {
        assert_eq!(
            secret_argument(&strings(&["--db-password", "hunter2"])),
            Some((0, "--db-password".into()))
        );
        assert_eq!(
            secret_argument(&strings(&["--input", "x", "--api-token=abc"])),
            Some((2, "--api-token".into()))
        );
        assert!(secret_argument(&strings(&["--password-file", "/run/x"])).is_none());
        assert!(secret_argument(&strings(&["--token", "--verbose"])).is_none());
        assert!(secret_argument(&strings(&["--input", "topic-password"])).is_none());
        assert_eq!(
            secret_argument(&strings(&["-Djavax.net.ssl.keyStorePassword=changeit"])),
            Some((0, "-Djavax.net.ssl.keyStorePassword".into()))
        );
        assert_eq!(
            jvm_secret("-Xss2m -Dsasl.jaas.config=org.Foo -Dfile.encoding=UTF-8"),
            Some("sasl.jaas.config".into())
        );
        assert_eq!(jvm_secret("-Djavax.net.ssl.trustStore=/etc/ts.jks"), None);
    }

    #[test]
    fn passwords_in_uris() {
        assert!(password_in_uri("s3://AKIA123:wJalrXUtn@bucket/ckpt"));
        assert!(password_in_uri(
            "--source https://user:hunter2@repo.example.com/x.jar"
        ));
        assert!(secret_variable("CHECKPOINTS", "s3://k:s@b/p"));
        assert!(!password_in_uri("s3://bucket/path@v2"));
        assert!(!password_in_uri("https://user@host/x"));
        assert!(!password_in_uri("kafka:9092"));
    }

    #[test]
    fn annotations() {
        assert!(secret_annotation("example.com/api-token", "abc"));
        assert!(!secret_annotation(
            "vault.hashicorp.com/agent-inject-secret-db",
            "database/creds/app"
        ));
        assert!(!secret_annotation(
            "vault.hashicorp.com/agent-inject-token",
            "true"
        ));
    }
}
