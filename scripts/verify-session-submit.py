#!/usr/bin/env python3
"""Runs a rendered session-job submitter against a real Flink session cluster.

A generated `submit-job.yaml` holds a bash script and the `flink run` arguments. This script
assembles a Flink distribution for VERSION from PyPI (apache-flink for bin/ and conf/,
apache-flink-libraries for lib/, cached in ~/.cache/flinkgen), compiles a small endless job,
starts a local session cluster (JobManager + TaskManager on localhost:8081) and runs the
submitter script as the Kubernetes Job would, with the REST host pointed at localhost and the
jar and main class swapped for the test job. It checks each promise the submitter makes:

  1. an unreachable cluster fails with a clear message after the wait time;
  2. the first run submits the job under its fixed job id, and it runs;
  3. running it again submits nothing and exits 0;
  4. a changed submission (same job, new id) is refused while the old one runs;
  5. after the job is cancelled, the same submission fails with the reason.

Usage: scripts/verify-session-submit.py SUBMIT_JOB_YAML [VERSION]   (default 2.2.1)
Needs Java 17 (javac) and a free port 8081.
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
import zipfile

CACHE = os.path.expanduser("~/.cache/flinkgen")
sys.path.insert(0, os.path.dirname(__file__))
from importlib import import_module  # noqa: E402

flink_lib = import_module("verify-with-flink").flink_lib

JOB_SOURCE = """package demo;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
public class Forever {
    public static void main(String[] args) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.fromSequence(0, Long.MAX_VALUE)
            .map(x -> { Thread.sleep(200); return x; }).returns(Long.class)
            .filter(x -> x < 0)
            .print();
        env.execute("forever");
    }
}
"""


def flink_home(version):
    """A runnable FLINK_HOME: bin and conf from apache-flink, lib from the libraries."""
    home = os.path.join(CACHE, f"home-{version}")
    if os.path.isdir(os.path.join(home, "lib")):
        return home
    lib = flink_lib(version)
    tmp = tempfile.mkdtemp()
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q",
                    f"apache-flink=={version}", "-d", tmp], check=True)
    # A wheel (pyflink/bin, pyflink/conf) where PyPI has one for this Python, else the sdist
    # (apache-flink-X/deps/bin, deps/conf).
    wheels = glob.glob(os.path.join(tmp, "apache_flink-*.whl"))
    if wheels:
        with zipfile.ZipFile(wheels[0]) as z:
            z.extractall(tmp, [n for n in z.namelist() if n.startswith(("pyflink/bin/", "pyflink/conf/"))])
        src = os.path.join(tmp, "pyflink")
    else:
        sdist = glob.glob(os.path.join(tmp, "apache-flink-*.tar.gz"))[0]
        with tarfile.open(sdist) as t:
            t.extractall(tmp, [m for m in t.getmembers() if "/deps/bin/" in m.name or "/deps/conf/" in m.name])
        src = glob.glob(os.path.join(tmp, "apache-flink-*", "deps"))[0]
    os.makedirs(home, exist_ok=True)
    shutil.copytree(os.path.join(src, "bin"), os.path.join(home, "bin"), dirs_exist_ok=True)
    shutil.copytree(os.path.join(src, "conf"), os.path.join(home, "conf"))
    # The start scripts look for flink-dist with `find`, which does not follow symlinks.
    shutil.copytree(lib, os.path.join(home, "lib"))
    for jar in glob.glob(os.path.join(os.path.dirname(lib), "bin", "*.jar")):
        shutil.copy(jar, os.path.join(home, "bin"))
    for f in glob.glob(os.path.join(home, "bin", "*")):
        os.chmod(f, 0o755)
    for name in ("config.yaml", "flink-conf.yaml"):
        conf = os.path.join(home, "conf", name)
        if os.path.exists(conf):
            text = open(conf).read().replace("numberOfTaskSlots: 1", "numberOfTaskSlots: 8")
            open(conf, "w").write(text)
    shutil.rmtree(tmp)
    return home


def job_jar(home, version):
    jar = os.path.join(CACHE, f"forever-{version}.jar")
    if not os.path.exists(jar):
        tmp = tempfile.mkdtemp()
        os.makedirs(os.path.join(tmp, "src", "demo"))
        open(os.path.join(tmp, "src", "demo", "Forever.java"), "w").write(JOB_SOURCE)
        subprocess.run(["javac", "-d", os.path.join(tmp, "cls"), "-cp", os.path.join(home, "lib", "*"),
                        os.path.join(tmp, "src", "demo", "Forever.java")], check=True)
        subprocess.run(["jar", "cf", jar, "-C", os.path.join(tmp, "cls"), "demo"], check=True)
        shutil.rmtree(tmp)
    return jar


def submitter(path):
    """(script, program arguments, env) of the generated submit container."""
    try:
        import yaml
    except ImportError:
        raise SystemExit("needs PyYAML: python3 -m pip install pyyaml")
    doc = yaml.safe_load(open(path))
    c = doc["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in c["env"]}
    command = [k8s_expand(a, env) for a in c["command"]]
    return command[2], command[4:], env


def k8s_expand(text, env):
    """What the kubelet makes of a command or argument: `$$` is `$`, `$(NAME)` of a defined
    variable is its value, anything else stays as written."""
    out, i = [], 0
    while i < len(text):
        if text.startswith("$$", i):
            out.append("$")
            i += 2
        elif text.startswith("$(", i) and ")" in text[i:]:
            name = text[i + 2:text.index(")", i)]
            if name in env:
                out.append(env[name])
                i += len(name) + 3
            else:
                out.append("$(")
                i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def run(home, script, args, env, **over):
    e = dict(os.environ, FLINK_HOME=home, PATH=os.path.join(home, "bin") + os.pathsep + os.environ["PATH"])
    e.update(env)
    e.update(over)
    p = subprocess.run(["bash", "-c", script, "flinkgen-submit", *args], env=e,
                       capture_output=True, text=True, timeout=600)
    return p.returncode, p.stdout + p.stderr


def jobs():
    with urllib.request.urlopen("http://localhost:8081/jobs/overview") as r:
        return {j["jid"]: j["state"] for j in json.load(r)["jobs"]}


def main():
    path = sys.argv[1]
    version = sys.argv[2] if len(sys.argv) > 2 else "2.2.1"
    home = flink_home(version)
    jar = job_jar(home, version)
    script, args, env = submitter(path)
    # The test job stands in for the spec's jar; everything else is as generated.
    args = [jar if a.startswith("/opt/flink/usrlib/") else a for a in args]
    if "--class" in args:
        args[args.index("--class") + 1] = "demo.Forever"
    else:
        args = ["--class", "demo.Forever", *args]
    args = [a for a in args if a != "--fromSavepoint" and not a.startswith("s3://") and a != "--allowNonRestoredState"]
    local = {"FLINK_REST_HOST": "localhost"}
    failures = []

    def check(name, cond, output):
        print(("ok   " if cond else "FAIL ") + name)
        if not cond:
            failures.append(name)
            print("     " + output.replace("\n", "\n     "))

    code, out = run(home, script, args, env, FLINK_REST_HOST="localhost", FLINK_REST_PORT="1", FLINK_WAIT_SECONDS="6")
    check("unreachable cluster fails clearly", code == 1 and "is unreachable at localhost:1 after 6s" in out, out)

    logs = tempfile.mkdtemp()
    procs = [subprocess.Popen(["bash", os.path.join(home, "bin", s), "start-foreground"],
                              env=dict(os.environ, FLINK_HOME=home, FLINK_LOG_DIR=logs),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for s in ("jobmanager.sh", "taskmanager.sh")]
    try:
        code, out = run(home, script, args, env, **local)
        check("first run submits under the fixed job id", code == 0 and env["FLINK_JOB_ID"] in out, out)
        time.sleep(5)
        check("the job runs", jobs().get(env["FLINK_JOB_ID"]) == "RUNNING", str(jobs()))
        code, out = run(home, script, args, env, **local)
        check("a second run submits nothing", code == 0 and "is already RUNNING" in out and len(jobs()) == 1, out)
        newer = env["FLINK_JOB_ID"][:16] + "0" * 16
        code, out = run(home, script, args, env, FLINK_JOB_ID=newer, **local)
        check("a changed submission is refused while the old one runs",
              code == 1 and "an earlier submission" in out and len(jobs()) == 1, out)
        subprocess.run([os.path.join(home, "bin", "flink"), "cancel", "-m", "localhost:8081", env["FLINK_JOB_ID"]],
                       env=dict(os.environ, FLINK_HOME=home), capture_output=True)
        time.sleep(3)
        code, out = run(home, script, args, env, **local)
        check("a cancelled submission is not repeated", code == 1 and "ended as CANCELED" in out, out)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
