#!/usr/bin/env python3
"""Checks the state rules `flinkgen diff` applies on real Flink.

For each release (default: 1.20.4 and 2.3.0) this starts a local session cluster (Flink's own
bin/ and lib/ from PyPI, as scripts/verify-session-submit.py assembles them), runs a job with
keyed state at parallelism 2 and no pinned max parallelism, stops it with a savepoint, and
restores that savepoint the ways diff judges:

  parallelism 4                          restored: Flink derived max parallelism 128 at p=2
  parallelism 200                        incompatible: 200 exceeds the stored 128
  pipeline.max-parallelism 256           incompatible: differs from the stored 128
  pipeline.max-parallelism 128           restored: equals the stored value
  state.backend.type rocksdb             restored: a savepoint (canonical format) switches backends

A restore passes when the job is RUNNING; a refusal when the job FAILED with Flink's own
message: "The maximum parallelism (128) of the restored state is lower than the configured
parallelism" (StateAssignmentOperation.checkParallelismPreconditions) or "Max parallelism
mismatch between checkpoint/savepoint state and new program" (Checkpoints.loadAndValidateCheckpoint).

Usage: scripts/verify-state-rules.py [VERSION ...]   Needs Java 17 and a free port 8081.
"""
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("local_cluster", os.path.join(HERE, "local_cluster.py"))
local_cluster = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(local_cluster)
vss = local_cluster.vss
stop = local_cluster.load("verify-python-sql").stop

JOB = """package demo;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

public class Keyed {
    public static class Count extends RichMapFunction<Long, Long> {
        private transient ValueState<Long> count;
        @Override
        public void open(OpenContext ctx) {
            count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Types.LONG));
        }
        @Override
        public Long map(Long x) throws Exception {
            Long c = count.value();
            count.update(c == null ? 1L : c + 1);
            return x;
        }
    }
    public static void main(String[] args) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.fromSequence(0, Long.MAX_VALUE).uid("source")
            .map(x -> { Thread.sleep(2); return x; }).returns(Types.LONG).uid("slow")
            .keyBy(x -> x % 1000)
            .map(new Count()).uid("count")
            .sinkTo(new DiscardingSink<>()).uid("sink");
        env.execute("keyed");
    }
}
"""


def job_jar(home, work):
    src = os.path.join(work, "src", "demo")
    os.makedirs(src)
    open(os.path.join(src, "Keyed.java"), "w").write(JOB)
    classes = os.path.join(work, "classes")
    subprocess.run(["javac", "-nowarn", "-d", classes, "-cp", os.path.join(home, "lib", "*"),
                    os.path.join(src, "Keyed.java")], check=True)
    jar = os.path.join(work, "keyed.jar")
    subprocess.run(["jar", "cf", jar, "-C", classes, "demo"], check=True)
    return jar


def rest(path):
    with urllib.request.urlopen("http://localhost:8081" + path, timeout=10) as r:
        return json.load(r)


def flink(home, *args):
    p = subprocess.run([os.path.join(home, "bin", "flink"), *args], capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, FLINK_HOME=home))
    return p.returncode, p.stdout + p.stderr


def submit(home, jar, *args):
    """(job id, None), or (None, the client's output) when the submission itself failed: a
    restore Flink refuses fails the JobMaster's start, which `flink run -d` waits for on 2.x."""
    code, out = flink(home, "run", "-d", *args, "-c", "demo.Keyed", jar)
    m = re.search(r"JobID ([0-9a-f]{32})", out)
    return (m.group(1), None) if m else (None, out)


def settle(job, timeout=90):
    """RUNNING (every task), FAILED with its root cause, or whatever it is at the timeout."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        j = rest(f"/jobs/{job}")
        if j["state"] == "FAILED":
            ex = rest(f"/jobs/{job}/exceptions")
            text = json.dumps(ex)
            return "FAILED", text
        if j["state"] == "RUNNING" and all(v["status"] == "RUNNING" for v in j["vertices"]):
            return "RUNNING", ""
        time.sleep(1)
    return j["state"], ""


def check(version):
    home0 = vss.flink_home(version)
    work = tempfile.mkdtemp(prefix="flinkgen-verify-state-")
    home = os.path.join(work, "flink")
    shutil.copytree(home0, home, symlinks=True)
    logs = os.path.join(work, "log")
    env = dict(os.environ, FLINK_HOME=home, FLINK_LOG_DIR=logs)
    procs = [subprocess.Popen(["bash", os.path.join(home, "bin", script), "start-foreground"], env=env,
                              stdout=open(os.path.join(work, f"{script}.out"), "w"), stderr=subprocess.STDOUT)
             for script in ["jobmanager.sh", "taskmanager.sh"]]
    results = []
    try:
        for _ in range(90):
            try:
                if rest("/overview")["slots-total"] >= 8:
                    break
            except OSError:
                pass
            time.sleep(1)
        else:
            raise SystemExit(f"the cluster did not start; see {work}")
        jar = job_jar(home, work)
        first, failure = submit(home, jar, "-p", "2")
        assert first, f"the first run failed:\n{failure}"
        state, _ = settle(first)
        assert state == "RUNNING", f"the first run is {state}"
        time.sleep(5)
        code, out = flink(home, "stop", "--savepointPath", "file://" + os.path.join(work, "savepoints"), first)
        m = re.search(r"Savepoint completed\. Path: (\S+)", out)
        assert m, f"no savepoint ({code}):\n{out}"
        savepoint = m.group(1)
        cases = [
            ("parallelism 4", ["-p", "4"], "RUNNING"),
            ("parallelism 200", ["-p", "200"], "FAILED"),
            ("pipeline.max-parallelism 256", ["-p", "2", "-Dpipeline.max-parallelism=256"], "FAILED"),
            ("pipeline.max-parallelism 128", ["-p", "2", "-Dpipeline.max-parallelism=128"], "RUNNING"),
            ("state.backend.type rocksdb", ["-p", "2", "-Dstate.backend.type=rocksdb"], "RUNNING"),
        ]
        for name, args, expected in cases:
            job, failure = submit(home, jar, "-s", savepoint, *args)
            state, text = settle(job) if job else ("FAILED", failure)
            # Flink refuses a larger parallelism in StateAssignmentOperation ("maximum
            # parallelism ... of the restored state is lower") and another configured max
            # parallelism in Checkpoints.loadAndValidateCheckpoint ("Max parallelism mismatch").
            refused = "maximum parallelism" in text or "Max parallelism mismatch" in text
            ok = state == expected and (expected == "RUNNING" or refused)
            results.append((name, expected, state, ok, text[:300]))
            if job and state != "FAILED":
                flink(home, "cancel", job)
                time.sleep(2)
    finally:
        stop(procs)
        subprocess.run(["pkill", "-f", "--", f"-Dlog.file={logs}"], check=False)
    failures = 0
    for name, expected, state, ok, text in results:
        print(f"{'ok  ' if ok else 'FAIL'} Flink {version} restore with {name}: expected {expected}, got {state}"
              + ("" if ok else f" ({text})"))
        failures += not ok
    if not failures:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"logs in {work}/log")
    return failures


def main():
    versions = sys.argv[1:] or ["1.20.4", "2.3.0"]
    sys.exit(1 if sum(check(v) for v in versions) else 0)


if __name__ == "__main__":
    main()
