//! flinkgen's memory derivation against Flink's own: `tests/data/memory-vectors.json` was made
//! by `scripts/memory-vectors.py`, which runs Flink's BashJavaUtils on each configuration.
//! Every size, the JVM flags and every refusal message must match to the byte.

use flinkgen::flink::memory::{self, JobManagerOptions, JvmOptions, TaskManagerOptions};
use serde_json::Value;

/// Flink's `MemorySize.parse` for the forms the vectors use: a number with an optional unit.
fn size(text: &str) -> u64 {
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    let n: u64 = digits.parse().unwrap();
    n << match &text[digits.len()..] {
        "" | "b" => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        other => panic!("unit {other}"),
    }
}

fn jvm(o: &serde_json::Map<String, Value>) -> JvmOptions {
    let s = |k: &str| o.get(k).map(|v| size(v.as_str().unwrap()));
    JvmOptions {
        process: s("process.size"),
        flink: s("flink.size"),
        metaspace: s("jvm-metaspace.size"),
        overhead_min: s("jvm-overhead.min"),
        overhead_max: s("jvm-overhead.max"),
        overhead_fraction: o
            .get("jvm-overhead.fraction")
            .map(|v| v.as_str().unwrap().parse().unwrap()),
    }
}

fn check(
    name: &str,
    expect: &Value,
    got: Result<Vec<(&str, u64)>, memory::MemoryError>,
    flags: Option<String>,
) -> Option<String> {
    match (expect.get("error"), got) {
        (Some(want), Err(e)) if e.message == want.as_str().unwrap() => None,
        (Some(want), Err(e)) => Some(format!(
            "{name}: message differs\n  flink:    {want}\n  flinkgen: {}",
            e.message
        )),
        (Some(want), Ok(_)) => Some(format!(
            "{name}: Flink refuses ({want}) but flinkgen accepts"
        )),
        (None, Err(e)) => Some(format!(
            "{name}: Flink accepts but flinkgen refuses: {}",
            e.message
        )),
        (None, Ok(parts)) => {
            let mut diffs: Vec<String> = parts
                .iter()
                .filter(|(k, v)| expect[*k].as_u64() != Some(*v))
                .map(|(k, v)| format!("{k}: flink {} flinkgen {v}", expect[*k]))
                .collect();
            if expect["jvm"].as_str() != flags.as_deref() {
                diffs.push(format!("jvm: flink {} flinkgen {flags:?}", expect["jvm"]));
            }
            (!diffs.is_empty()).then(|| format!("{name}: {}", diffs.join("; ")))
        }
    }
}

#[test]
fn memory_model_matches_flink_on_every_vector() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/memory-vectors.json"
    ))
    .unwrap();
    let vectors: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert!(vectors.len() >= 60, "at least 60 vectors");
    let mut failures = Vec::new();
    for v in &vectors {
        let name = v["name"].as_str().unwrap();
        let o = v["options"].as_object().unwrap();
        let s = |k: &str| o.get(k).map(|v| size(v.as_str().unwrap()));
        let f = |k: &str| {
            o.get(k)
                .map(|v| v.as_str().unwrap().parse::<f64>().unwrap())
        };
        // A vector holds the answer of the releases listed; their memory defaults agree, and
        // the only one that changed (network.max, before 1.17) comes from the release.
        let release = v["flink_versions"][0].as_str().unwrap();
        let line = release.rsplit_once('.').unwrap().0;
        let version = flinkgen::flink::Version::parse(line).unwrap();
        let failure = if v["component"] == "tm" {
            let opts = TaskManagerOptions {
                jvm: jvm(o),
                framework_heap: s("framework.heap.size"),
                framework_off_heap: s("framework.off-heap.size"),
                task_heap: s("task.heap.size"),
                task_off_heap: s("task.off-heap.size"),
                managed: s("managed.size"),
                managed_fraction: f("managed.fraction"),
                network_min: s("network.min"),
                network_max: s("network.max"),
                network_fraction: f("network.fraction"),
                network_max_default: version.default_network_max(),
            };
            let got = memory::task_manager(&opts);
            let flags = got.as_ref().ok().map(|m| m.jvm_flags());
            let parts = got.map(|m| {
                vec![
                    ("framework_heap", m.framework_heap),
                    ("task_heap", m.task_heap),
                    ("managed", m.managed),
                    ("network", m.network),
                    ("framework_off_heap", m.framework_off_heap),
                    ("task_off_heap", m.task_off_heap),
                    ("metaspace", m.metaspace),
                    ("overhead", m.overhead),
                ]
            });
            check(name, &v["expect"], parts, flags)
        } else {
            let opts = JobManagerOptions {
                jvm: jvm(o),
                heap: s("heap.size"),
                off_heap: s("off-heap.size"),
                direct_memory_limit: o.get("enable-jvm-direct-memory-limit").map(|v| v == "true"),
            };
            let got = memory::job_manager(&opts);
            let flags = got.as_ref().ok().map(|m| m.jvm_flags());
            let parts = got.map(|m| {
                vec![
                    ("heap", m.heap),
                    ("off_heap", m.off_heap),
                    ("metaspace", m.metaspace),
                    ("overhead", m.overhead),
                ]
            });
            check(name, &v["expect"], parts, flags)
        };
        failures.extend(failure);
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors differ from Flink:\n{}",
        failures.len(),
        vectors.len(),
        failures.join("\n")
    );
}
