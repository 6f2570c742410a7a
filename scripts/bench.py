#!/usr/bin/env python3
"""Benchmarks flinkgen on generated projects of 1, 100 and 1000 jobs.

For each size: a full render into an empty out/, a no-op re-render (nothing changed; it must
write zero files), and `check`. Reports the median wall time of several runs and the peak
resident memory of the process. Uses the release binary (builds it first).

Usage: scripts/bench.py [SIZES...]   (default: 1 100 1000)
"""
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
BIN = os.path.join(REPO, "target", "release", "flinkgen")
RUNS = 7


def project(root, n):
    os.makedirs(os.path.join(root, "jobs"))
    os.makedirs(os.path.join(root, "profiles"))
    with open(os.path.join(root, "flinkgen.yaml"), "w") as f:
        f.write('namespace: bench\nflinkVersion: "1.20"\nimage:\n  registry: registry.example.com/bench\n'
                "profiles:\n  jobManager: jm\n  taskManager: tm\n")
    with open(os.path.join(root, "profiles", "jm.yaml"), "w") as f:
        f.write("cpu: 1\nmemory:\n  process: 1600m\n")
    with open(os.path.join(root, "profiles", "tm.yaml"), "w") as f:
        f.write("cpu: 2\nmemory:\n  process: 4g\n")
    for i in range(n):
        with open(os.path.join(root, "jobs", f"job-{i:04d}.yaml"), "w") as f:
            f.write(f"jar: target/job-{i}.jar\nentryClass: com.example.Job{i}\nimage:\n  tag: \"1.{i}.0\"\n"
                    "taskManager:\n  replicas: 2\n  slots: 2\nstateBackend: rocksdb\nplugins: [s3-fs-presto]\n"
                    f"checkpoints:\n  interval: 30s\n  dir: s3://state/job-{i}/ckpt\n"
                    f"args: [--input, topic-{i}]\nflinkConfig:\n  restart-strategy.type: exponential-delay\n")


def run(root, *args):
    """Wall time in ms, peak RSS in MiB, and stderr of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    p = subprocess.run([BIN, *args, "--root", root], capture_output=True, text=True)
    elapsed = (time.perf_counter() - start) * 1000
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if p.returncode != 0:
        sys.exit(f"flinkgen {' '.join(args)} failed:\n{p.stderr}")
    return elapsed, max(peak, before) / 1024, p.stderr


def measure(root, n):
    out = os.path.join(root, "out")
    fresh = []
    for _ in range(RUNS):
        shutil.rmtree(out, ignore_errors=True)
        fresh.append(run(root, "render", "--quiet")[0])
    noop = []
    for _ in range(RUNS):
        ms, _, err = run(root, "render")
        assert " 0 file(s) written" in err and " 0 deleted" in err, err
        noop.append(ms)
    check = [run(root, "check", "--quiet")[0] for _ in range(RUNS)]
    # The same no-op without the render cache: every stage runs and compares in memory.
    os.environ["FLINKGEN_NO_CACHE"] = "1"
    uncached = [run(root, "render", "--quiet")[0] for _ in range(RUNS)]
    del os.environ["FLINKGEN_NO_CACHE"]
    # Peak memory of a fresh render, measured in its own child so earlier runs do not count.
    shutil.rmtree(out, ignore_errors=True)
    rss = subprocess.run([sys.executable, "-c", f"import resource,subprocess;subprocess.run([{BIN!r},'render','--quiet','--root',{root!r}]);print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"],
                         capture_output=True, text=True).stdout.strip()
    files = sum(len(fs) for _, _, fs in os.walk(out))
    return (statistics.median(fresh), statistics.median(noop), statistics.median(check),
            statistics.median(uncached), int(rss) / 1024, files)


def main():
    sizes = [int(s) for s in sys.argv[1:]] or [1, 100, 1000]
    subprocess.run(["cargo", "build", "--release", "--quiet", "--manifest-path", os.path.join(REPO, "Cargo.toml")], check=True)
    print(f"flinkgen on {os.cpu_count()} cores, median of {RUNS} runs")
    print(f"{'jobs':>6} {'files':>6} {'render (ms)':>12} {'no-op (ms)':>11} {'check (ms)':>11} {'no-op, no cache (ms)':>21} {'peak RSS (MiB)':>15}")
    for n in sizes:
        with tempfile.TemporaryDirectory() as root:
            project(root, n)
            fresh, noop, check, uncached, rss, files = measure(root, n)
            print(f"{n:>6} {files:>6} {fresh:>12.1f} {noop:>11.1f} {check:>11.1f} {uncached:>21.1f} {rss:>15.1f}")


if __name__ == "__main__":
    main()
