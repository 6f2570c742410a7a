#!/usr/bin/env python3
"""Benchmarks flinkgen on generated projects of 100, 1,000 and 10,000 jobs.

For each size: a cold render into an empty out/; a render after one spec was edited (each run
edits it anew, so each run writes that job's files); a no-op re-render (nothing changed; it
must write zero files), with the render cache and without it; `check`; and, as the floor a
cold render is compared with, `cp -r` of the same out/ tree. Reports the median wall time of
several runs and the peak resident memory of a cold render. Uses the release binary (builds it
first). Run it on a RAM disk to see flinkgen's own share: TMPDIR=/dev/shm scripts/bench.py.

Usage: scripts/bench.py [SIZES...]   (default: 100 1000 10000)
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


def edit_one(root, k):
    """A real change to one spec: its program arguments."""
    path = os.path.join(root, "jobs", "job-0000.yaml")
    text = open(path).read()
    head = text[:text.index("args: [")]
    tail = text[text.index("]\n", text.index("args: [")) + 2:]
    with open(path, "w") as f:
        f.write(f"{head}args: [--input, topic-0, --edit, '{k}']\n{tail}")


def copy_tree(out, root):
    """Wall time in ms of `cp -r` of the output tree."""
    target = os.path.join(root, "copy")
    shutil.rmtree(target, ignore_errors=True)
    start = time.perf_counter()
    subprocess.run(["cp", "-r", out, target], check=True)
    elapsed = (time.perf_counter() - start) * 1000
    shutil.rmtree(target)
    return elapsed


def measure(root, n):
    runs = RUNS if n < 10000 else 3
    out = os.path.join(root, "out")
    fresh = []
    for _ in range(runs):
        shutil.rmtree(out, ignore_errors=True)
        fresh.append(run(root, "render", "--quiet")[0])
    copies = [copy_tree(out, root) for _ in range(runs)]
    edited = []
    for k in range(runs):
        edit_one(root, k)
        ms, _, err = run(root, "render")
        assert " 0 file(s) written" not in err, err
        edited.append(ms)
    noop = []
    for _ in range(runs):
        ms, _, err = run(root, "render")
        assert " 0 file(s) written" in err and " 0 deleted" in err, err
        noop.append(ms)
    check = [run(root, "check", "--quiet")[0] for _ in range(runs)]
    # The same no-op without the render cache: every stage runs and compares in memory.
    os.environ["FLINKGEN_NO_CACHE"] = "1"
    uncached = [run(root, "render", "--quiet")[0] for _ in range(runs)]
    del os.environ["FLINKGEN_NO_CACHE"]
    # Peak memory of a fresh render, measured in its own child so earlier runs do not count.
    shutil.rmtree(out, ignore_errors=True)
    rss = subprocess.run([sys.executable, "-c", f"import resource,subprocess;subprocess.run([{BIN!r},'render','--quiet','--root',{root!r}]);print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"],
                         capture_output=True, text=True).stdout.strip()
    files = sum(len(fs) for _, _, fs in os.walk(out))
    med = statistics.median
    return (med(fresh), med(copies), med(edited), med(noop), med(check), med(uncached),
            int(rss) / 1024, files)


def main():
    sizes = [int(s) for s in sys.argv[1:]] or [100, 1000, 10000]
    subprocess.run(["cargo", "build", "--release", "--quiet", "--manifest-path", os.path.join(REPO, "Cargo.toml")], check=True)
    print(f"flinkgen on {os.cpu_count()} cores in {tempfile.gettempdir()}, median of {RUNS} runs (3 at 10,000 jobs)")
    print(f"{'jobs':>6} {'files':>6} {'cold (ms)':>10} {'cp -r (ms)':>11} {'one edit (ms)':>14} {'no-op (ms)':>11} "
          f"{'check (ms)':>11} {'no-op, no cache (ms)':>21} {'peak RSS (MiB)':>15}")
    for n in sizes:
        with tempfile.TemporaryDirectory() as root:
            project(root, n)
            fresh, copies, edited, noop, check, uncached, rss, files = measure(root, n)
            print(f"{n:>6} {files:>6} {fresh:>10.1f} {copies:>11.1f} {edited:>14.1f} {noop:>11.1f} "
                  f"{check:>11.1f} {uncached:>21.1f} {rss:>15.1f}")


if __name__ == "__main__":
    main()
