#!/usr/bin/env python3
"""Compares flinkgen builds run for run, interleaved, on a generated project.

A shared machine's load changes by the minute, so two builds measured one after the other
can differ by more than any change between them. This script alternates the builds (and
`cp -r` of the same output tree) within each round, and reports the median, first quartile
and minimum of each: wall time, and CPU time (user + system, all threads). Each build gets a
project of its own: the render cache is keyed by the build, so builds sharing a project would
each find the other's cache stale.

Usage: scripts/compare.py [--jobs N] [--runs N] {cold,edit,noop} BIN [BIN...]
  cold  renders into an empty out/ (and `cp -r` of the tree, the floor a cold render is
        compared with)
  edit  renders after one spec was edited (each run edits it anew)
  noop  renders with nothing changed (from the render cache)
Run it on a RAM disk to see flinkgen's own share: TMPDIR=/dev/shm scripts/compare.py cold A B
"""
import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the project generator and the spec edit of scripts/bench.py)


def timed(argv):
    """Wall and CPU time in ms of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    p = subprocess.run(argv, capture_output=True, text=True)
    wall = (time.perf_counter() - start) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{p.stderr}")
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return wall, cpu


def one(mode, binary, root, k):
    render = [binary, "render", "--quiet", "--root", root]
    if mode == "cold":
        shutil.rmtree(os.path.join(root, "out"), ignore_errors=True)
    elif mode == "edit":
        bench.edit_one(root, k)
    return timed(render)


def copy(root):
    target = os.path.join(root, "copy")
    shutil.rmtree(target, ignore_errors=True)
    return timed(["cp", "-r", os.path.join(root, "out"), target])


def summary(name, values):
    q1, med, _ = statistics.quantiles(values, n=4)
    return f"{name} median {med:7.1f}  q1 {q1:7.1f}  min {min(values):7.1f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("mode", choices=["cold", "edit", "noop"])
    parser.add_argument("binaries", nargs="+")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        roots = {}
        for i, b in enumerate(args.binaries):
            roots[b] = os.path.join(scratch, f"p{i}")
            bench.project(roots[b], args.jobs)
            # Specs as a real project has them, older than the run: the cache trusts a spec by
            # size and time only once it is two seconds older than the run that read it.
            past = time.time() - 60
            for folder, _, files in os.walk(roots[b]):
                for f in files:
                    os.utime(os.path.join(folder, f), (past, past))
            # A first render, so that edit and noop start from a cache and a full out/.
            timed([os.path.abspath(b), "render", "--quiet", "--root", roots[b]])
        times = {b: [] for b in args.binaries}
        if args.mode == "cold":
            times["cp -r"] = []
        for k in range(args.runs):
            for b in args.binaries:
                times[b].append(one(args.mode, os.path.abspath(b), roots[b], k))
            if args.mode == "cold":
                times["cp -r"].append(copy(roots[args.binaries[0]]))
    print(f"{args.mode}, {args.jobs} jobs, {args.runs} rounds, in {tempfile.gettempdir()} (ms)")
    width = max(len(b) for b in times)
    for b, ts in times.items():
        wall = summary("wall", [w for w, _ in ts])
        cpu = summary("cpu", [c for _, c in ts])
        print(f"{b:<{width}}  {wall}   {cpu}")


if __name__ == "__main__":
    main()
