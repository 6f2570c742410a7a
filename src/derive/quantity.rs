//! How quantities are written for their readers: Flink sizes (`1728m`), Kubernetes memory
//! (`1728Mi`) and cpu (`500m`). Validation parses what users write into bytes and millicores;
//! everything written out goes through here.

pub const MIB: u64 = 1 << 20;

/// A Flink memory size: MiB when exact, as Flink's docs write them, else bytes.
pub fn flink_size(bytes: u64) -> String {
    if bytes.is_multiple_of(MIB) {
        format!("{}m", bytes / MIB)
    } else {
        format!("{bytes}b")
    }
}

/// A Kubernetes memory quantity with a binary suffix when exact.
pub fn k8s_memory(bytes: u64) -> String {
    if bytes.is_multiple_of(MIB) {
        format!("{}Mi", bytes / MIB)
    } else if bytes.is_multiple_of(1024) {
        format!("{}Ki", bytes / 1024)
    } else {
        bytes.to_string()
    }
}

/// A Kubernetes cpu quantity: whole cores when exact, else millicores.
pub fn k8s_cpu(millis: u64) -> String {
    if millis.is_multiple_of(1000) {
        (millis / 1000).to_string()
    } else {
        format!("{millis}m")
    }
}
