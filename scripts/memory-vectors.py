#!/usr/bin/env python3
"""Regenerates tests/data/memory-vectors.json: Flink's own memory derivation for many configs.

Each configuration is written as config.yaml (flink-conf.yaml before 1.19) into a scratch conf dir and run through Flink's
BashJavaUtils (GET_TM_RESOURCE_PARAMS / GET_JM_RESOURCE_PARAMS --configDir), the code Flink's
start scripts run. Each answer is stored once, with the versions that produced it: most cases
agree on every version; where a default changed (1.15 and 1.16 cap network memory at 1 GiB), a
case has one vector per answer. Flink comes from PyPI (apache-flink-libraries), cached in ~/.cache/flinkgen, and
Java 11+ must be on PATH. Takes a few minutes.

Usage: scripts/memory-vectors.py [VERSION ...]   (default: 1.15.4 1.16.3 1.17.2 1.20.4 2.2.1 2.3.0)
"""
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from importlib import import_module  # noqa: E402

verify = import_module("verify-with-flink")

TM = "taskmanager.memory."
JM = "jobmanager.memory."

# (name, component, options). Options use Flink's own keys, without the common prefix.
CASES = [
    # --- TaskManager: total process memory (case C)
    ("tm-process-1728m-default", "tm", {"process.size": "1728m"}),
    ("tm-process-4g", "tm", {"process.size": "4g"}),
    ("tm-process-1g", "tm", {"process.size": "1g"}),
    ("tm-process-2g", "tm", {"process.size": "2g"}),
    ("tm-process-8g", "tm", {"process.size": "8g"}),
    ("tm-process-16g-overhead-max-clamp", "tm", {"process.size": "16g"}),
    ("tm-process-100g", "tm", {"process.size": "100g"}),
    ("tm-process-1920m-float-fraction", "tm", {"process.size": "1920m"}),
    ("tm-process-1000m-overhead-min-clamp", "tm", {"process.size": "1000m"}),
    ("tm-process-982m-smallest", "tm", {"process.size": "982m"}),
    ("tm-process-981m-too-small", "tm", {"process.size": "981m"}),
    ("tm-process-600m-error", "tm", {"process.size": "600m"}),
    ("tm-process-odd-bytes", "tm", {"process.size": "1234567891b"}),
    ("tm-process-network-min-clamp", "tm", {"process.size": "1100m"}),
    ("tm-process-network-max", "tm", {"process.size": "8g", "network.max": "200m"}),
    ("tm-process-network-fixed", "tm", {"process.size": "4g", "network.min": "300m", "network.max": "300m"}),
    ("tm-process-network-fraction", "tm", {"process.size": "4g", "network.fraction": "0.25"}),
    ("tm-process-network-fraction-0", "tm", {"process.size": "4g", "network.fraction": "0", "network.min": "0"}),
    ("tm-process-network-min-gt-max", "tm", {"process.size": "4g", "network.min": "500m", "network.max": "100m"}),
    ("tm-process-network-fraction-1", "tm", {"process.size": "4g", "network.fraction": "1"}),
    ("tm-process-managed-fraction", "tm", {"process.size": "4g", "managed.fraction": "0.7"}),
    ("tm-process-managed-fraction-0", "tm", {"process.size": "4g", "managed.fraction": "0"}),
    ("tm-process-managed-fraction-too-big", "tm", {"process.size": "2g", "managed.fraction": "0.9"}),
    ("tm-process-managed-size", "tm", {"process.size": "4g", "managed.size": "1g"}),
    ("tm-process-managed-size-0", "tm", {"process.size": "4g", "managed.size": "0"}),
    ("tm-process-managed-size-ignores-fraction", "tm", {"process.size": "4g", "managed.size": "512m", "managed.fraction": "0.9"}),
    ("tm-process-task-heap", "tm", {"process.size": "4g", "task.heap.size": "1g"}),
    ("tm-process-task-heap-network-out-of-range", "tm", {"process.size": "4g", "task.heap.size": "1g", "network.max": "100m"}),
    ("tm-process-task-heap-too-big", "tm", {"process.size": "2g", "task.heap.size": "2g"}),
    ("tm-process-task-off-heap", "tm", {"process.size": "4g", "task.off-heap.size": "256m"}),
    ("tm-process-framework", "tm", {"process.size": "4g", "framework.heap.size": "256m", "framework.off-heap.size": "64m"}),
    ("tm-process-metaspace", "tm", {"process.size": "2g", "jvm-metaspace.size": "512m"}),
    ("tm-process-metaspace-too-big", "tm", {"process.size": "1g", "jvm-metaspace.size": "900m"}),
    ("tm-process-overhead-fixed", "tm", {"process.size": "4g", "jvm-overhead.min": "300m", "jvm-overhead.max": "300m"}),
    ("tm-process-overhead-fraction", "tm", {"process.size": "4g", "jvm-overhead.fraction": "0.2"}),
    ("tm-process-overhead-min-gt-max", "tm", {"process.size": "4g", "jvm-overhead.min": "2g", "jvm-overhead.max": "1g"}),
    ("tm-process-overhead-fraction-1", "tm", {"process.size": "4g", "jvm-overhead.fraction": "1.0"}),
    ("tm-process-overhead-0", "tm", {"process.size": "2g", "jvm-overhead.min": "0", "jvm-overhead.max": "0"}),
    ("tm-process-overhead-fraction-huge", "tm", {"process.size": "4g", "jvm-overhead.fraction": "1e99"}),
    ("tm-process-network-fraction-negative", "tm", {"process.size": "4g", "network.fraction": "-0.1"}),
    ("tm-process-managed-fraction-1", "tm", {"process.size": "4g", "managed.fraction": "1"}),
    # --- TaskManager: total Flink memory (case B)
    ("tm-flink-1280m", "tm", {"flink.size": "1280m"}),
    ("tm-flink-4g", "tm", {"flink.size": "4g"}),
    ("tm-flink-with-process", "tm", {"flink.size": "1280m", "process.size": "1728m"}),
    ("tm-flink-with-process-overhead-too-small", "tm", {"flink.size": "1500m", "process.size": "1728m"}),
    ("tm-flink-with-process-overhead-too-big", "tm", {"flink.size": "1g", "process.size": "4g"}),
    ("tm-flink-with-process-too-small", "tm", {"flink.size": "2g", "process.size": "2g"}),
    ("tm-flink-with-process-fraction-ignored", "tm", {"flink.size": "1280m", "process.size": "1728m", "jvm-overhead.fraction": "0.3"}),
    ("tm-flink-task-heap", "tm", {"flink.size": "2g", "task.heap.size": "1g"}),
    ("tm-flink-task-heap-exceeds", "tm", {"flink.size": "1g", "task.heap.size": "1g"}),
    ("tm-flink-task-heap-0", "tm", {"flink.size": "1024m", "managed.size": "512m", "network.min": "256m", "network.max": "256m"}),
    ("tm-flink-too-small", "tm", {"flink.size": "300m"}),
    ("tm-flink-overhead-min-clamp", "tm", {"flink.size": "600m"}),
    ("tm-flink-overhead-max-clamp", "tm", {"flink.size": "20g"}),
    # --- TaskManager: fine-grained (case A)
    ("tm-fine-grained", "tm", {"task.heap.size": "1g", "managed.size": "1g"}),
    ("tm-fine-grained-zero-heap", "tm", {"task.heap.size": "0", "managed.size": "512m"}),
    ("tm-fine-grained-network-clamp", "tm", {"task.heap.size": "100m", "managed.size": "100m"}),
    ("tm-fine-grained-with-flink", "tm", {"task.heap.size": "1g", "managed.size": "1g", "flink.size": "2560m"}),
    ("tm-fine-grained-with-flink-exceeds", "tm", {"task.heap.size": "1g", "managed.size": "1g", "flink.size": "2g"}),
    ("tm-fine-grained-with-flink-network-range", "tm", {"task.heap.size": "1g", "managed.size": "1g", "flink.size": "4g", "network.max": "512m"}),
    ("tm-fine-grained-with-process", "tm", {"task.heap.size": "1g", "managed.size": "1g", "process.size": "3g"}),
    ("tm-fine-grained-with-process-too-small", "tm", {"task.heap.size": "1g", "managed.size": "1g", "process.size": "2g"}),
    ("tm-fine-grained-all", "tm", {"task.heap.size": "700m", "managed.size": "300m", "task.off-heap.size": "50m", "framework.heap.size": "100m", "framework.off-heap.size": "100m", "network.fraction": "0.2", "jvm-metaspace.size": "128m", "jvm-overhead.fraction": "0.15"}),
    ("tm-nothing-configured", "tm", {}),
    ("tm-only-task-heap", "tm", {"task.heap.size": "1g"}),
    # --- JobManager
    ("jm-process-1600m-default", "jm", {"process.size": "1600m"}),
    ("jm-process-2g", "jm", {"process.size": "2g"}),
    ("jm-process-20g-overhead-max", "jm", {"process.size": "20g"}),
    ("jm-process-1920m-float-fraction", "jm", {"process.size": "1920m"}),
    ("jm-process-577m-smallest", "jm", {"process.size": "577m"}),
    ("jm-process-576m-too-small", "jm", {"process.size": "576m"}),
    ("jm-process-500m-error", "jm", {"process.size": "500m"}),
    ("jm-process-400m-error", "jm", {"process.size": "400m"}),
    ("jm-process-off-heap-0", "jm", {"process.size": "1g", "off-heap.size": "0"}),
    ("jm-process-direct-limit", "jm", {"process.size": "2g", "enable-jvm-direct-memory-limit": "true"}),
    ("jm-process-metaspace", "jm", {"process.size": "2g", "jvm-metaspace.size": "512m"}),
    ("jm-process-overhead-fraction", "jm", {"process.size": "2g", "jvm-overhead.fraction": "0.25"}),
    ("jm-process-overhead-min-gt-max", "jm", {"process.size": "2g", "jvm-overhead.min": "1g", "jvm-overhead.max": "500m"}),
    ("jm-flink-1g", "jm", {"flink.size": "1g"}),
    ("jm-flink-128m-equal-off-heap", "jm", {"flink.size": "128m"}),
    ("jm-flink-100m-error", "jm", {"flink.size": "100m"}),
    ("jm-flink-with-process", "jm", {"flink.size": "1g", "process.size": "1600m"}),
    ("jm-flink-with-process-overhead-range", "jm", {"flink.size": "1g", "process.size": "4g"}),
    ("jm-flink-with-process-too-small", "jm", {"flink.size": "1g", "process.size": "1g"}),
    ("jm-heap", "jm", {"heap.size": "1g"}),
    ("jm-heap-0", "jm", {"heap.size": "0"}),
    ("jm-heap-with-flink", "jm", {"heap.size": "1g", "flink.size": "1500m"}),
    ("jm-heap-with-flink-too-big", "jm", {"heap.size": "2g", "flink.size": "1g"}),
    ("jm-heap-off-heap-flink-match", "jm", {"heap.size": "1g", "off-heap.size": "256m", "flink.size": "1280m"}),
    ("jm-heap-off-heap-flink-mismatch", "jm", {"heap.size": "1g", "off-heap.size": "256m", "flink.size": "2g"}),
    ("jm-heap-with-process", "jm", {"heap.size": "1g", "process.size": "1600m"}),
    ("jm-heap-with-process-overhead-range", "jm", {"heap.size": "1g", "process.size": "3g"}),
    ("jm-heap-direct-limit", "jm", {"heap.size": "512m", "off-heap.size": "256m", "enable-jvm-direct-memory-limit": "true"}),
    ("jm-nothing-configured", "jm", {}),
    ("jm-process-overhead-fraction-huge", "jm", {"process.size": "2g", "jvm-overhead.fraction": "1e99"}),
]


def parse_success(component, results):
    jvm, dynamic = results[0], results[1]
    sizes = {k: int(v) for k, v in re.findall(r"-D [a-z]+\.memory\.([a-z.-]+)=(\d+)b", dynamic)}
    if component == "tm":
        keys = {"framework.heap.size": "framework_heap", "task.heap.size": "task_heap",
                "managed.size": "managed", "network.min": "network",
                "framework.off-heap.size": "framework_off_heap", "task.off-heap.size": "task_off_heap",
                "jvm-metaspace.size": "metaspace", "jvm-overhead.min": "overhead"}
        assert sizes["network.min"] == sizes["network.max"] and sizes["jvm-overhead.min"] == sizes["jvm-overhead.max"]
    else:
        keys = {"heap.size": "heap", "off-heap.size": "off_heap", "jvm-metaspace.size": "metaspace",
                "jvm-overhead.min": "overhead"}
    return {"jvm": jvm.strip(), **{name: sizes[k] for k, name in keys.items()}}


def parse_error(log):
    # The top-level message, without the "TaskManager/JobManager memory configuration failed: " prefix.
    m = re.search(r"IllegalConfigurationException: (?:(?:TaskManager|JobManager) memory configuration failed: )?(.*)", log)
    return {"error": m.group(1).strip() if m else log.strip().splitlines()[-1]}


def run_case(version, component, options):
    lib = verify.flink_lib(version)
    prefix = TM if component == "tm" else JM
    command = "GET_TM_RESOURCE_PARAMS" if component == "tm" else "GET_JM_RESOURCE_PARAMS"
    # Before 1.19 Flink reads only the flat flink-conf.yaml, whose values are taken verbatim
    # (quotes would be part of the value).
    legacy = tuple(int(x) for x in version.split(".")[:2]) < (1, 19)
    with tempfile.TemporaryDirectory() as conf:
        with open(os.path.join(conf, "flink-conf.yaml" if legacy else "config.yaml"), "w") as f:
            for k, v in options.items():
                f.write(f"{prefix}{k}: {v}\n" if legacy else f"{prefix}{k}: '{v}'\n")
        code, results, log = verify.run(lib, conf, command)
    if code == 0 and len(results) >= 2:
        return parse_success(component, results)
    return parse_error(log)


def main():
    versions = sys.argv[1:] or ["1.15.4", "1.16.3", "1.17.2", "1.20.4", "2.2.1", "2.3.0"]
    for v in versions:
        verify.flink_lib(v)
    jobs = [(name, comp, opts, v) for name, comp, opts in CASES for v in versions]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda j: run_case(j[3], j[1], j[2]), jobs))
    by_case = {}
    for (name, comp, opts, v), res in zip(jobs, results):
        by_case.setdefault(name, {"name": name, "component": comp, "options": opts, "results": {}})["results"][v] = res
    vectors = []
    for case in by_case.values():
        # Versions that answer alike share one vector; a case whose answer changed between
        # versions gets one vector per answer, each with the versions that gave it.
        groups = {}
        for v in versions:
            groups.setdefault(json.dumps(case["results"][v], sort_keys=True), []).append(v)
        for answer, vs in groups.items():
            vectors.append({"name": case["name"], "component": case["component"], "options": case["options"],
                            "flink_versions": vs, "expect": json.loads(answer)})
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "memory-vectors.json")
    with open(out, "w") as f:
        json.dump(vectors, f, indent=1, sort_keys=True)
        f.write("\n")
    errors = sum(1 for v in vectors if "error" in v["expect"])
    print(f"wrote {len(vectors)} vectors ({errors} errors) from Flink {', '.join(versions)}")


if __name__ == "__main__":
    main()
