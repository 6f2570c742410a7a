//! Parsing of the quantities users write: memory sizes, cpu, durations, and Kubernetes names.
//! Flink and Kubernetes read the same letters differently (`2G` is 2^30 bytes for Flink and
//! 10^9 for Kubernetes, `500m` is MiB for one and millicores for the other), so every form we
//! accept has exactly one meaning.

use crate::load::scalar::Scalar;

pub use crate::derive::quantity::{flink_size, k8s_cpu, k8s_memory, MIB};

/// A size written without a unit. Flink reads it as bytes; a large number probably means
/// bytes, a small one megabytes, and the suggestion says which it takes it for.
fn no_unit(digits: &str) -> String {
    let n: u64 = digits.parse().unwrap_or(0);
    let guess = if n >= MIB {
        let exact = if n.is_multiple_of(MIB) {
            format!(" or `{}m`", n / MIB)
        } else {
            String::new()
        };
        format!("if it is bytes, write `{digits}b`{exact}")
    } else {
        format!("if it is megabytes, write `{digits}m`")
    };
    format!("`{digits}` has no unit; Flink would read it as bytes; {guess}")
}

/// A memory size in bytes, from a Flink size with a lowercase unit (`1728m`, `2g`, `512mb`)
/// or a binary Kubernetes quantity (`2Gi`, `1728Mi`).
pub fn memory(v: &Scalar) -> Result<u64, String> {
    let text = match v {
        Scalar::Text(t) => t.trim().to_string(),
        Scalar::Int(n) => return Err(no_unit(&n.to_string())),
        _ => {
            return Err("a number is not a memory size; write for example `1728m` or `2Gi`".into())
        }
    };
    let digits: String = text.chars().take_while(|c| c.is_ascii_digit()).collect();
    let unit = text[digits.len()..].trim();
    if digits.is_empty() {
        return Err(format!(
            "`{text}` is not a memory size; write for example `1728m` or `2Gi`"
        ));
    }
    if unit.starts_with('.') {
        return Err(format!(
            "`{text}`: sizes must be whole numbers; use a smaller unit (`1536m`, not `1.5g`)"
        ));
    }
    let factor: u64 = match unit {
        "b" => 1,
        "k" | "kb" | "Ki" => 1 << 10,
        "m" | "mb" | "Mi" => 1 << 20,
        "g" | "gb" | "Gi" => 1 << 30,
        "t" | "tb" | "Ti" => 1 << 40,
        "" => return Err(no_unit(&digits)),
        "K" | "M" | "G" | "T" | "KB" | "MB" | "GB" | "TB" | "k8s" => {
            return Err(format!(
                "`{text}` is ambiguous: Kubernetes reads `{unit}` as a power of 10, Flink as a power of 2; write `{}{}` (Flink) or `{}{}i` (Kubernetes)",
                digits,
                unit[..1].to_ascii_lowercase(),
                digits,
                &unit[..1].to_ascii_uppercase()
            ))
        }
        // Flink reads units in any case (`4Gb` is 4 GiB to it); one spelling keeps specs clear.
        u if matches!(u.to_ascii_lowercase().as_str(), "kb" | "mb" | "gb" | "tb" | "bytes") => {
            let flink = &u[..1].to_ascii_lowercase();
            return Err(format!(
                "`{text}`: Flink reads `{u}` as a power of 2 ({}{flink}), but Kubernetes would not; write `{digits}{flink}` (Flink) or `{digits}{}i` (Kubernetes)",
                digits,
                &u[..1].to_ascii_uppercase()
            ));
        }
        _ => {
            return Err(format!(
                "`{text}` has an unknown unit `{}`; use b, k, m, g, t (Flink) or Ki, Mi, Gi, Ti (Kubernetes)",
                unit.trim()
            ))
        }
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is too large"))?;
    n.checked_mul(factor)
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// CPU in millicores, from `1`, `0.5` or `500m`.
pub fn cpu(v: &Scalar) -> Result<u64, String> {
    let text = v.as_text();
    let millis = if let Some(m) = text.strip_suffix('m') {
        m.parse::<u64>().ok()
    } else {
        decimal_millis(&text)
    };
    match millis {
        Some(0) => Err("cpu must be more than 0".into()),
        Some(m) => Ok(m),
        None => Err(format!(
            "`{text}` is not a cpu amount; write cores (`1`, `0.5`) or millicores (`500m`)"
        )),
    }
}

fn decimal_millis(text: &str) -> Option<u64> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if int.is_empty() && frac.is_empty() || frac.len() > 3 {
        return None;
    }
    let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if !all_digits(int) || !all_digits(frac) {
        return None;
    }
    let whole: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let frac_millis: u64 = format!("{frac:0<3}").parse().ok()?;
    whole.checked_mul(1000)?.checked_add(frac_millis)
}

/// A Flink duration (`30s`, `5 min`, `100ms`); returns milliseconds, the text is kept as written.
pub fn duration(v: &Scalar) -> Result<u64, String> {
    let text = v.as_text();
    let t = text.trim();
    let digits: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
    let unit = t[digits.len()..].trim();
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a duration; write for example `30s` or `5 min`"))?;
    let per: u64 = match unit {
        "" | "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 1,
        "s" | "sec" | "secs" | "second" | "seconds" => 1000,
        "m" | "min" | "minute" | "minutes" => 60_000,
        "h" | "hour" | "hours" => 3_600_000,
        "d" | "day" | "days" => 86_400_000,
        _ => {
            return Err(format!(
                "`{text}` has an unknown time unit `{unit}`; use ms, s, min, h or d"
            ))
        }
    };
    n.checked_mul(per)
        .ok_or_else(|| format!("`{text}` is too long"))
}

/// A DNS-1123 label: what Kubernetes accepts as a resource name segment.
pub fn dns_label(name: &str, max: usize) -> Result<(), String> {
    if name.is_empty() {
        return Err("the name is empty".into());
    }
    if name.len() > max {
        return Err(format!(
            "`{name}` has {} characters; at most {max} are allowed",
            name.len()
        ));
    }
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let ok_ends = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit());
    if ok_chars && ok_ends {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a valid name: use lowercase letters, digits and `-`, starting with a letter and ending with a letter or digit"
        ))
    }
}

/// A DNS-1123 subdomain (Secret, IngressClass and host names): dot-separated labels of
/// lowercase alphanumerics and `-`, each starting and ending alphanumeric.
pub fn dns_subdomain(name: &str) -> Result<(), String> {
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if !name.is_empty() && name.len() <= 253 && name.split('.').all(label_ok) {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a DNS subdomain: lowercase letters, digits, `-` and `.`, at most 253 characters"
        ))
    }
}

/// A Kubernetes label key: optional DNS prefix and `/`, then a name of at most 63 characters.
pub fn label_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix {
        let ok =
            !p.is_empty() && p.len() <= 253 && p.split('.').all(|seg| dns_label(seg, 63).is_ok());
        if !ok {
            return Err(format!("`{key}`: the prefix `{p}` is not a DNS subdomain"));
        }
    }
    label_value(name).and_then(|_| {
        if name.is_empty() {
            Err(format!("`{key}`: the name part is empty"))
        } else {
            Ok(())
        }
    })
    .map_err(|_| format!("`{key}` is not a valid label key: at most 63 letters, digits, `-`, `_` or `.`, starting and ending alphanumeric"))
}

/// A Kubernetes label value: empty, or at most 63 alphanumerics with `-_.` inside.
pub fn label_value(v: &str) -> Result<(), String> {
    if v.is_empty() {
        return Ok(());
    }
    let ok = v.len() <= 63
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && v.starts_with(|c: char| c.is_ascii_alphanumeric())
        && v.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(format!("`{v}` is not a valid label value: at most 63 letters, digits, `-`, `_` or `.`, starting and ending alphanumeric"))
    }
}

/// A key of a Secret or ConfigMap: `[-._a-zA-Z0-9]+`.
/// As Kubernetes' `IsConfigMapKey` (apimachinery `util/validation`, with `hasChDirPrefix`):
/// the kubelet writes each key as a file beside its own `..data` link, so `.`, `..` and names
/// starting with `..` are refused by the API server.
pub fn config_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 253
        && k != "."
        && !k.starts_with("..")
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A disk size as people write it: whole GiB as `Gi`, else `Mi`.
pub fn disk_size(bytes: u64) -> String {
    if bytes > 0 && bytes.is_multiple_of(1 << 30) {
        format!("{}Gi", bytes >> 30)
    } else {
        crate::derive::quantity::k8s_memory(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Scalar {
        Scalar::Text(s.into())
    }

    #[test]
    fn memory_forms() {
        assert_eq!(memory(&t("1728m")), Ok(1728 * MIB));
        assert_eq!(memory(&t("2g")), Ok(2048 * MIB));
        assert_eq!(memory(&t("2Gi")), Ok(2048 * MIB));
        assert_eq!(memory(&t("512mb")), Ok(512 * MIB));
        assert!(memory(&t("4 GB")).unwrap_err().contains("ambiguous"));
        assert!(memory(&t("2G"))
            .unwrap_err()
            .contains("`2g` (Flink) or `2Gi`"));
        assert!(memory(&t("1.5g")).unwrap_err().contains("whole numbers"));
        assert!(memory(&t("-1g")).is_err());
        assert!(memory(&t("1e99")).is_err());
        assert!(memory(&t("99999999999999t"))
            .unwrap_err()
            .contains("too large"));
        assert!(memory(&Scalar::Int(1024)).unwrap_err().contains("no unit"));
    }

    #[test]
    fn cpu_forms() {
        assert_eq!(cpu(&Scalar::Int(2)), Ok(2000));
        assert_eq!(cpu(&Scalar::Float(0.5)), Ok(500));
        assert_eq!(cpu(&t("250m")), Ok(250));
        assert_eq!(cpu(&t("1.25")), Ok(1250));
        assert!(cpu(&t("0")).is_err());
        assert!(cpu(&t("0.0001")).is_err());
        assert!(cpu(&Scalar::Int(-1)).is_err());
        assert_eq!(k8s_cpu(1500), "1500m");
        assert_eq!(k8s_cpu(2000), "2");
    }

    #[test]
    fn durations_and_names() {
        assert_eq!(duration(&t("30s")), Ok(30_000));
        assert_eq!(duration(&t("5 min")), Ok(300_000));
        assert_eq!(duration(&Scalar::Int(100)), Ok(100));
        assert!(duration(&t("10 parsecs")).is_err());
        assert!(dns_label("word-count", 45).is_ok());
        assert!(dns_label("Word", 45).is_err());
        assert!(dns_label("-a", 45).is_err());
        assert!(dns_label(&"a".repeat(46), 45).is_err());
        assert!(label_key("team").is_ok());
        assert!(label_key("example.com/team").is_ok());
        assert!(label_key("bad key").is_err());
        assert!(label_value("no").is_ok());
        assert!(label_value("a b").is_err());
    }
}
