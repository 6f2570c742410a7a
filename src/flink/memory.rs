//! Flink's JobManager and TaskManager memory derivation, reproduced exactly (same defaults,
//! same Java float fractions, same truncation, same checks in the same order), so a config
//! Flink would refuse at JVM start is refused at render time with Flink's own words.
//! `tests/data/memory-vectors.json` holds Flink's answers for many configurations.

pub const KIB: u64 = 1 << 10;
pub const MIB: u64 = 1 << 20;
pub const GIB: u64 = 1 << 30;
/// `Long.MAX_VALUE`, Flink's "no limit" for network memory.
pub const UNLIMITED: u64 = i64::MAX as u64;

/// A memory size as Flink prints it in messages: `128.000mb (134217728 bytes)`.
pub fn human(bytes: u64) -> String {
    const UNITS: [(u64, &str); 4] = [(1 << 40, "tb"), (GIB, "gb"), (MIB, "mb"), (KIB, "kb")];
    match UNITS.iter().find(|(m, _)| bytes > *m) {
        None => format!("{bytes} bytes"),
        Some((m, unit)) => {
            // %.3f rounds half-up on the exact quotient.
            let scaled = bytes as u128 * 1000;
            let (q, r) = (scaled / *m as u128, scaled % *m as u128);
            let q = if 2 * r >= *m as u128 { q + 1 } else { q };
            format!("{}.{:03}{unit} ({bytes} bytes)", q / 1000, q % 1000)
        }
    }
}

/// A fraction option: Flink declares them as Java `float` and computes in `double`.
pub fn fraction(value: f32) -> f64 {
    value as f64
}

/// `MemorySize.multiply(double)`: exact decimal product of the bytes and the double's shortest
/// decimal form (`BigDecimal.valueOf`), truncated.
pub fn mul(bytes: u64, factor: f64) -> Result<u64, MemoryError> {
    let text = format!("{factor}");
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let digits: u128 = format!("{int}{frac}").parse().map_err(|_| overflow())?;
    let scale = 10u128.checked_pow(frac.len() as u32).ok_or_else(overflow)?;
    let product = (bytes as u128).checked_mul(digits).ok_or_else(overflow)? / scale;
    if product > UNLIMITED as u128 {
        return Err(overflow());
    }
    Ok(product as u64)
}

/// Why Flink refuses a memory configuration: its message, and the options involved (short
/// keys such as `process.size`), so the caller can name the fields to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryError {
    /// Exactly what Flink says.
    pub message: String,
    /// What Flink leaves out but a user needs, if anything.
    pub detail: Option<String>,
    pub keys: Vec<&'static str>,
}

fn err(message: String, keys: &[&'static str]) -> MemoryError {
    MemoryError {
        message,
        detail: None,
        keys: keys.to_vec(),
    }
}

/// `Double.toString`: Flink prints fractions this way in its messages.
fn java_double(d: f64) -> String {
    if d.is_nan() {
        return "NaN".into();
    }
    if d.is_infinite() {
        return if d > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if d == 0.0 || (1e-3..1e7).contains(&d.abs()) {
        let s = format!("{d}");
        if s.contains('.') {
            s
        } else {
            format!("{s}.0")
        }
    } else {
        let s = format!("{d:e}");
        let (mantissa, exp) = s.split_once('e').expect("exponent form");
        let mantissa = if mantissa.contains('.') {
            mantissa.to_string()
        } else {
            format!("{mantissa}.0")
        };
        format!("{mantissa}E{exp}")
    }
}

fn overflow() -> MemoryError {
    err("the memory sizes add up to more than 8 EiB".into(), &[])
}

fn add(parts: &[u64]) -> Result<u64, MemoryError> {
    parts
        .iter()
        .try_fold(0u64, |acc, p| acc.checked_add(*p))
        .filter(|s| *s <= UNLIMITED)
        .ok_or_else(overflow)
}

/// A size derived as a fraction of another, clamped to [min, max].
#[derive(Debug, Clone, Copy)]
struct Range {
    min: u64,
    max: u64,
    fraction: f64,
}

/// A fraction option as Flink's `ConfigOption.toString()` shows it in messages.
struct FractionOption {
    key: &'static str,
    default: &'static str,
    fallback: &'static str,
}

const NETWORK_FRACTION: FractionOption = FractionOption {
    key: "taskmanager.memory.network.fraction",
    default: "0.1",
    fallback: "{key=taskmanager.network.memory.fraction, isDeprecated=true}",
};
const MANAGED_FRACTION: FractionOption = FractionOption {
    key: "taskmanager.memory.managed.fraction",
    default: "0.4",
    fallback: "",
};
const TM_OVERHEAD_FRACTION: FractionOption = FractionOption {
    key: "taskmanager.memory.jvm-overhead.fraction",
    default: "0.1",
    fallback: "",
};
const JM_OVERHEAD_FRACTION: FractionOption = FractionOption {
    key: "jobmanager.memory.jvm-overhead.fraction",
    default: "0.1",
    fallback: "",
};

fn range(
    min: u64,
    max: u64,
    written: f64,
    option: &FractionOption,
    keys: &[&'static str],
) -> Result<Range, MemoryError> {
    let f = self::fraction(written as f32);
    if min > max || !(0.0..1.0).contains(&f) {
        return Err(err(
            format!(
                "Inconsistently configured Key: '{}' , default: {} (fallback keys: [{}]) ({}) and its min ({}), max ({}) value",
                option.key,
                option.default,
                option.fallback,
                java_double(f),
                human(min),
                human(max)
            ),
            keys,
        ));
    }
    Ok(Range {
        min,
        max,
        fraction: f,
    })
}

impl Range {
    fn cap(&self, v: u64) -> u64 {
        v.clamp(self.min, self.max)
    }
    fn of(&self, base: u64) -> Result<u64, MemoryError> {
        Ok(self.cap(mul(base, self.fraction)?))
    }
    /// The size that is `fraction` of `base + size`.
    fn inverse_of(&self, base: u64) -> Result<u64, MemoryError> {
        Ok(self.cap(mul(base, self.fraction / (1.0 - self.fraction))?))
    }
    fn contains(&self, v: u64) -> bool {
        (self.min..=self.max).contains(&v)
    }
}

/// Options shared by both processes (`*.memory.` prefix omitted), as configured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JvmOptions {
    pub process: Option<u64>,
    pub flink: Option<u64>,
    pub metaspace: Option<u64>,
    pub overhead_min: Option<u64>,
    pub overhead_max: Option<u64>,
    /// Fractions as written; the model reads them as the Java floats Flink declares.
    pub overhead_fraction: Option<f64>,
}

/// TaskManager options (`taskmanager.memory.` prefix omitted), as configured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskManagerOptions {
    pub jvm: JvmOptions,
    pub framework_heap: Option<u64>,
    pub framework_off_heap: Option<u64>,
    pub task_heap: Option<u64>,
    pub task_off_heap: Option<u64>,
    pub managed: Option<u64>,
    pub managed_fraction: Option<f64>,
    pub network_min: Option<u64>,
    pub network_max: Option<u64>,
    pub network_fraction: Option<f64>,
    /// The release's `network.max` when none is set: no limit from 1.17, 1 GiB before
    /// (`Version::default_network_max`).
    pub network_max_default: Option<u64>,
}

/// What a profile configures of one process's memory.
#[derive(Debug, Clone, PartialEq)]
pub enum Configured {
    JobManager(JobManagerOptions),
    TaskManager(TaskManagerOptions),
}

/// JobManager options (`jobmanager.memory.` prefix omitted), as configured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobManagerOptions {
    pub jvm: JvmOptions,
    pub heap: Option<u64>,
    pub off_heap: Option<u64>,
    pub direct_memory_limit: Option<bool>,
}

/// Every component of a TaskManager process, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskManagerMemory {
    pub framework_heap: u64,
    pub task_heap: u64,
    pub managed: u64,
    pub network: u64,
    pub framework_off_heap: u64,
    pub task_off_heap: u64,
    pub metaspace: u64,
    pub overhead: u64,
}

/// Every component of a JobManager process, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobManagerMemory {
    pub heap: u64,
    pub off_heap: u64,
    pub metaspace: u64,
    pub overhead: u64,
    pub direct_memory_limit: bool,
}

impl TaskManagerMemory {
    pub fn total_flink(&self) -> u64 {
        self.framework_heap
            + self.task_heap
            + self.managed
            + self.network
            + self.framework_off_heap
            + self.task_off_heap
    }
    pub fn total_process(&self) -> u64 {
        self.total_flink() + self.metaspace + self.overhead
    }
    /// The flags `taskmanager.sh` starts the JVM with.
    pub fn jvm_flags(&self) -> String {
        let heap = self.framework_heap + self.task_heap;
        let direct = self.framework_off_heap + self.task_off_heap + self.network;
        format!(
            "-Xmx{heap} -Xms{heap} -XX:MaxDirectMemorySize={direct} -XX:MaxMetaspaceSize={}",
            self.metaspace
        )
    }
}

impl JobManagerMemory {
    pub fn total_flink(&self) -> u64 {
        self.heap + self.off_heap
    }
    pub fn total_process(&self) -> u64 {
        self.total_flink() + self.metaspace + self.overhead
    }
    /// The flags `jobmanager.sh` starts the JVM with.
    pub fn jvm_flags(&self) -> String {
        let direct = if self.direct_memory_limit {
            format!(" -XX:MaxDirectMemorySize={}", self.off_heap)
        } else {
            String::new()
        };
        format!(
            "-Xmx{0} -Xms{0}{direct} -XX:MaxMetaspaceSize={1}",
            self.heap, self.metaspace
        )
    }
}

/// Which process the shared JVM rules apply to: option prefix and Flink's option names.
struct Process {
    prefix: &'static str,
    fine_grained: &'static str,
}

const TM: Process = Process {
    prefix: "taskmanager",
    fine_grained: "taskmanager.memory.task.heap.size and taskmanager.memory.managed.size",
};
const JM: Process = Process {
    prefix: "jobmanager",
    fine_grained: "jobmanager.memory.heap.size",
};

fn overhead_range(p: &Process, o: &JvmOptions) -> Result<Range, MemoryError> {
    let option = if p.prefix == "taskmanager" {
        &TM_OVERHEAD_FRACTION
    } else {
        &JM_OVERHEAD_FRACTION
    };
    range(
        o.overhead_min.unwrap_or(192 * MIB),
        o.overhead_max.unwrap_or(GIB),
        o.overhead_fraction.unwrap_or(0.1),
        option,
        &[
            "jvm-overhead.min",
            "jvm-overhead.max",
            "jvm-overhead.fraction",
        ],
    )
}

/// Metaspace and overhead once total Flink memory is known (the fine-grained and flink.size paths).
fn overhead_from_flink(
    p: &Process,
    o: &JvmOptions,
    total_flink: u64,
) -> Result<(u64, u64), MemoryError> {
    let metaspace = o.metaspace.unwrap_or(256 * MIB);
    let flink_and_meta = add(&[total_flink, metaspace])?;
    let range = overhead_range(p, o)?;
    let Some(process) = o.process else {
        return Ok((metaspace, range.inverse_of(flink_and_meta)?));
    };
    if process < flink_and_meta {
        return Err(err(
            format!(
                "The configured Total Process Memory size ({}) is less than the sum of the derived Total Flink Memory size ({}) and the configured or default JVM Metaspace size  ({}).",
                human(process),
                human(total_flink),
                human(metaspace)
            ),
            &["process.size", "flink.size", "jvm-metaspace.size"],
        ));
    }
    let overhead = process - flink_and_meta;
    if !range.contains(overhead) {
        return Err(err(
            format!(
                "Derived JVM Overhead size ({}) is not in configured JVM Overhead range [{}, {}].",
                human(overhead),
                human(range.min),
                human(range.max)
            ),
            &[
                "process.size",
                "flink.size",
                "jvm-overhead.min",
                "jvm-overhead.max",
            ],
        ));
    }
    Ok((metaspace, overhead))
}

/// Metaspace, overhead and total Flink memory from the total process memory.
fn split_process(
    p: &Process,
    o: &JvmOptions,
    process: u64,
) -> Result<(u64, u64, u64), MemoryError> {
    let metaspace = o.metaspace.unwrap_or(256 * MIB);
    let overhead = overhead_range(p, o)?.of(process)?;
    let jvm = add(&[metaspace, overhead])?;
    if jvm > process {
        return Err(err(
            format!(
                "Sum of configured JVM Metaspace ({}) and JVM Overhead ({}) exceed configured Total Process Memory ({}).",
                human(metaspace),
                human(overhead),
                human(process)
            ),
            &["process.size", "jvm-metaspace.size", "jvm-overhead.min", "jvm-overhead.fraction"],
        ));
    }
    Ok((metaspace, overhead, process - jvm))
}

fn nothing_configured(p: &Process) -> MemoryError {
    err(
        format!(
            "Either required fine-grained memory ({}), or Total Flink Memory size (Key: '{pre}.memory.flink.size' , default: null (fallback keys: [])), or Total Process Memory size (Key: '{pre}.memory.process.size' , default: null (fallback keys: [])) need to be configured explicitly.",
            p.fine_grained,
            pre = p.prefix
        ),
        &["process.size", "flink.size"],
    )
}

pub fn task_manager(o: &TaskManagerOptions) -> Result<TaskManagerMemory, MemoryError> {
    let j = &o.jvm;
    let f = Fixed::of(o);
    let ((task_heap, managed, network), (metaspace, overhead)) =
        if let (Some(th), Some(mm)) = (o.task_heap, o.managed) {
            let network = tm_fine_grained_network(o, &f, th, mm)?;
            let total_flink = add(&[
                f.framework_heap,
                f.framework_off_heap,
                th,
                f.task_off_heap,
                mm,
                network,
            ])?;
            ((th, mm, network), overhead_from_flink(&TM, j, total_flink)?)
        } else if let Some(total_flink) = j.flink {
            (
                tm_split_flink(o, &f, total_flink)?,
                overhead_from_flink(&TM, j, total_flink)?,
            )
        } else if let Some(process) = j.process {
            let (metaspace, overhead, total_flink) = split_process(&TM, j, process)?;
            (tm_split_flink(o, &f, total_flink)?, (metaspace, overhead))
        } else {
            return Err(nothing_configured(&TM));
        };
    Ok(TaskManagerMemory {
        framework_heap: f.framework_heap,
        task_heap,
        managed,
        network,
        framework_off_heap: f.framework_off_heap,
        task_off_heap: f.task_off_heap,
        metaspace,
        overhead,
    })
}

/// The TaskManager components every derivation path takes as configured or defaulted.
#[derive(Clone, Copy)]
struct Fixed {
    framework_heap: u64,
    framework_off_heap: u64,
    task_off_heap: u64,
}

impl Fixed {
    fn of(o: &TaskManagerOptions) -> Fixed {
        Fixed {
            framework_heap: o.framework_heap.unwrap_or(128 * MIB),
            framework_off_heap: o.framework_off_heap.unwrap_or(128 * MIB),
            task_off_heap: o.task_off_heap.unwrap_or(0),
        }
    }
}

fn network_range(o: &TaskManagerOptions) -> Result<Range, MemoryError> {
    range(
        o.network_min.unwrap_or(64 * MIB),
        o.network_max.or(o.network_max_default).unwrap_or(UNLIMITED),
        o.network_fraction.unwrap_or(0.1),
        &NETWORK_FRACTION,
        &["network.min", "network.max", "network.fraction"],
    )
}

fn network_out_of_range(network: u64, r: &Range, total_flink: u64) -> MemoryError {
    let mut e = err(
        "If Total Flink, Task Heap and (or) Managed Memory sizes are explicitly configured then the Network Memory size is the rest of the Total Flink memory after subtracting all other configured types of memory, but the derived Network Memory is inconsistent with its configuration.".into(),
        &["flink.size", "task.heap.size", "managed.size", "network.min", "network.max"],
    );
    e.detail = Some(format!(
        "the rest is {} of {} total Flink memory, outside the network range [{}, {}]",
        human(network),
        human(total_flink),
        human(r.min),
        human(r.max)
    ));
    e
}

/// Network memory as the rest of total Flink memory once the other components are given
/// (framework heap and off-heap, task heap and off-heap, managed); it must fit its range.
fn network_rest(
    o: &TaskManagerOptions,
    parts: [u64; 5],
    total_flink: u64,
) -> Result<u64, MemoryError> {
    let [framework_heap, framework_off_heap, task_heap, task_off_heap, managed] = parts;
    let used = add(&parts)?;
    if used > total_flink {
        return Err(err(
            format!(
                "Sum of configured Framework Heap Memory ({}), Framework Off-Heap Memory ({}), Task Heap Memory ({}), Task Off-Heap Memory ({}) and Managed Memory ({}) exceed configured Total Flink Memory ({}).",
                human(framework_heap), human(framework_off_heap), human(task_heap), human(task_off_heap), human(managed), human(total_flink)
            ),
            &[
                "task.heap.size",
                "managed.size",
                "managed.fraction",
                "flink.size",
                "process.size", "task.off-heap.size", "framework.heap.size", "framework.off-heap.size"],
        ));
    }
    let network = total_flink - used;
    let r = network_range(o)?;
    if !r.contains(network) {
        return Err(network_out_of_range(network, &r, total_flink));
    }
    Ok(network)
}

/// Both task heap and managed memory given: network is the rest of total Flink memory if that
/// is given too, else a fraction of the whole.
fn tm_fine_grained_network(
    o: &TaskManagerOptions,
    f: &Fixed,
    task_heap: u64,
    managed: u64,
) -> Result<u64, MemoryError> {
    let parts = [
        f.framework_heap,
        f.framework_off_heap,
        task_heap,
        f.task_off_heap,
        managed,
    ];
    match o.jvm.flink {
        Some(total_flink) => network_rest(o, parts, total_flink),
        None => network_range(o)?.inverse_of(add(&parts)?),
    }
}

/// Total Flink memory split into task heap, managed and network memory.
fn tm_split_flink(
    o: &TaskManagerOptions,
    f: &Fixed,
    total_flink: u64,
) -> Result<(u64, u64, u64), MemoryError> {
    let Fixed {
        framework_heap,
        framework_off_heap,
        task_off_heap,
    } = *f;
    let managed = match o.managed {
        Some(m) => m,
        None => range(
            0,
            UNLIMITED,
            o.managed_fraction.unwrap_or(0.4),
            &MANAGED_FRACTION,
            &["managed.fraction"],
        )?
        .of(total_flink)?,
    };
    let (task_heap, network) = match o.task_heap {
        Some(task_heap) => {
            let network = network_rest(
                o,
                [
                    framework_heap,
                    framework_off_heap,
                    task_heap,
                    task_off_heap,
                    managed,
                ],
                total_flink,
            )?;
            (task_heap, network)
        }
        None => {
            let network = network_range(o)?.of(total_flink)?;
            let others = add(&[
                framework_heap,
                framework_off_heap,
                task_off_heap,
                managed,
                network,
            ])?;
            if others > total_flink {
                return Err(err(
                    format!(
                        "Sum of configured Framework Heap Memory ({}), Framework Off-Heap Memory ({}), Task Off-Heap Memory ({}), Managed Memory ({}) and Network Memory ({}) exceed configured Total Flink Memory ({}).",
                        human(framework_heap), human(framework_off_heap), human(task_off_heap), human(managed), human(network), human(total_flink)
                    ),
                    &["process.size", "flink.size", "managed.size", "managed.fraction", "network.min", "jvm-metaspace.size"],
                ));
            }
            (total_flink - others, network)
        }
    };
    Ok((task_heap, managed, network))
}

pub fn job_manager(o: &JobManagerOptions) -> Result<JobManagerMemory, MemoryError> {
    let j = &o.jvm;
    let direct_memory_limit = o.direct_memory_limit.unwrap_or(false);
    let done = |heap: u64, off_heap: u64, (metaspace, overhead): (u64, u64)| JobManagerMemory {
        heap,
        off_heap,
        metaspace,
        overhead,
        direct_memory_limit,
    };
    if let Some(heap) = o.heap {
        let off_heap = match (j.flink, o.off_heap) {
            (Some(flink), Some(off)) => {
                if add(&[heap, off])? != flink {
                    return Err(err(
                        format!(
                            "Sum of the configured JVM Heap Memory ({}) and the configured Off-heap Memory ({}) does not match the configured Total Flink Memory ({}). Please, make the configuration consistent or configure only one option: either JVM Heap or Total Flink Memory.",
                            human(heap), human(off), human(flink)
                        ),
                        &["heap.size", "off-heap.size", "flink.size"],
                    ));
                }
                off
            }
            (Some(flink), None) => {
                if heap > flink {
                    return Err(err(
                        format!(
                            "The configured JVM Heap Memory ({}) exceeds the configured Total Flink Memory ({}). Please, make the configuration consistent or configure only one option: either JVM Heap or Total Flink Memory.",
                            human(heap), human(flink)
                        ),
                        &["heap.size", "flink.size"],
                    ));
                }
                flink - heap
            }
            (None, off) => off.unwrap_or(128 * MIB),
        };
        let total_flink = add(&[heap, off_heap])?;
        return Ok(done(
            heap,
            off_heap,
            overhead_from_flink(&JM, j, total_flink)?,
        ));
    }
    let split = |total_flink: u64| -> Result<(u64, u64), MemoryError> {
        let off_heap = o.off_heap.unwrap_or(128 * MIB);
        // Flink refuses an equal size too: the heap would be empty.
        if total_flink <= off_heap {
            return Err(err(
                format!(
                    "The configured Total Flink Memory ({}) is less than the configured Off-heap Memory ({}).",
                    human(total_flink),
                    human(off_heap)
                ),
                &["process.size", "flink.size", "off-heap.size"],
            ));
        }
        Ok((total_flink - off_heap, off_heap))
    };
    if let Some(total_flink) = j.flink {
        let (heap, off_heap) = split(total_flink)?;
        return Ok(done(
            heap,
            off_heap,
            overhead_from_flink(&JM, j, total_flink)?,
        ));
    }
    if let Some(process) = j.process {
        let (metaspace, overhead, total_flink) = split_process(&JM, j, process)?;
        let (heap, off_heap) = split(total_flink)?;
        return Ok(done(heap, off_heap, (metaspace, overhead)));
    }
    Err(nothing_configured(&JM))
}

#[cfg(test)]
#[path = "memory/tests.rs"]
mod tests;
