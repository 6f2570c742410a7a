//! Quantities as the input's readers take them: Flink's memory sizes, the Operator's memory
//! (a Flink size, else a Kubernetes quantity) and Kubernetes cpu.

/// A size as Flink's `MemorySize.parse` reads it: digits, optional spaces, then a unit in any
/// case; every unit is a power of two and no unit means bytes.
pub fn flink_memory(text: &str) -> Option<u64> {
    let t = text.trim();
    let digits: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() {
        return None;
    }
    let unit = t[digits.len()..].trim().to_ascii_lowercase();
    let shift = match unit.as_str() {
        "" | "b" | "bytes" => 0,
        "k" | "kb" | "kibibytes" => 10,
        "m" | "mb" | "mebibytes" => 20,
        "g" | "gb" | "gibibytes" => 30,
        "t" | "tb" | "tebibytes" => 40,
        _ => return None,
    };
    digits.parse::<u64>().ok()?.checked_mul(1u64 << shift)
}

/// The Operator's reading of `resource.memory` / `resources.*.memory`
/// (`ResourceConfigUtils.parseResourceMemoryString`): a Flink size first, else a Kubernetes
/// quantity, upper-cased, with a trailing `B` dropped and `I` taken as `i`.
pub fn operator_memory(text: &str) -> Option<u64> {
    flink_memory(text).or_else(|| {
        let mut q: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        if q.ends_with('B') {
            q.pop();
        }
        if q.ends_with('I') {
            q.pop();
            q.push('i');
        }
        k8s_quantity(&q).map(|v| v.floor() as u64)
    })
}

/// A Kubernetes quantity as a number (`2Gi`, `1.5G`, `500m`, `1e3`).
pub fn k8s_quantity(text: &str) -> Option<f64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(t.len());
    let (num, suffix) = t.split_at(split);
    let n: f64 = num.parse().ok()?;
    let factor = match suffix {
        "" => 1.0,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        s if s.starts_with(['e', 'E']) => 10f64.powi(s[1..].parse().ok()?),
        _ => return None,
    };
    let v = n * factor;
    (v.is_finite() && v >= 0.0).then_some(v)
}

/// Cpu in millicores from a Kubernetes quantity or Flink's double (`0.5`, `500m`, `1.0`).
pub fn cpu_millis(text: &str) -> Option<u64> {
    let cores = k8s_quantity(text)?;
    let millis = (cores * 1000.0).round() as u64;
    (millis > 0).then_some(millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sizes_as_flink_and_the_operator_do() {
        assert_eq!(flink_memory("1728m"), Some(1728 << 20));
        assert_eq!(flink_memory("2 GB"), Some(2 << 30));
        assert_eq!(flink_memory("2Gi"), None);
        assert_eq!(operator_memory("2048m"), Some(2048 << 20));
        assert_eq!(operator_memory("2Gi"), Some(2 << 30));
        assert_eq!(
            operator_memory("2G"),
            Some(2 << 30),
            "Flink's reading comes first"
        );
        assert_eq!(operator_memory("1.5Gi"), Some(3 << 29));
        assert_eq!(operator_memory("1000000k"), Some(1_000_000 << 10));
        assert_eq!(cpu_millis("500m"), Some(500));
        assert_eq!(cpu_millis("0.25"), Some(250));
        assert_eq!(cpu_millis("1.0"), Some(1000));
        assert_eq!(cpu_millis("x"), None);
    }
}
