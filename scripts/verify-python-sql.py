#!/usr/bin/env python3
"""Runs PyFlink and SQL jobs on real Flink exactly as flinkgen renders them.

For each Flink release (default: 1.20.4 and 2.3.0) this writes a flinkgen project with
  word-len          python: script + pyFiles (src/lib/) + requirements, application mode
  orders-sql        sql: a script with SET, DDL and EXECUTE STATEMENT SET, application mode
  shared            a session cluster with python (requirements)
  word-len-session  the same Python job submitted to `shared` (`flink run -py`)
  orders-sql-session  the same SQL job submitted to `shared`
renders it with flinkgen, and lays out each image the way its generated Dockerfile builds it:
Flink's distribution from PyPI (apache-flink, the same files as the official image), the
Dockerfile's PyFlink release checked against the job's and its requirements installed into a
virtual environment that stands in for /opt/flink-python, every COPY of the final stage, and
the SQL runner compiled with the Dockerfile's own javac/jar command from the SqlRunner.java
flinkgen wrote (twice, a second apart: the two jars must be the same bytes). The configuration is the ConfigMap's (RPC address 127.0.0.1, image paths
mapped to the local folders).

Application jobs start with the JobManager container's arguments (standalone-job) and one
TaskManager; they pass when the JobManager exits 0 after the job FINISHED, with the script's
marker (Python: its requirement imported on the client; SQL: the runner's last statement and
the pipeline name the script SETs) and, for Python, the UDF running in a Python worker of the
TaskManager. Session jobs run the generated submitter (its script and arguments from
submit-job.yaml) against a session cluster started from the cluster's output, and pass when
the job with the submitter's fixed id FINISHES.

Usage: scripts/verify-python-sql.py [VERSION ...]   Needs Java 17 and Python 3.11 (PyPI has
apache-flink wheels for it from 1.19 on), PyYAML, network access to PyPI; not run in CI.
"""
import glob
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CACHE = os.path.expanduser("~/.cache/flinkgen")


_spec = importlib.util.spec_from_file_location("local_cluster", os.path.join(HERE, "local_cluster.py"))
local_cluster = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(local_cluster)
vwf, vss = local_cluster.vwf, local_cluster.vss

SCRIPT = '''\
import os
import sys

import tabulate
from pyflink.table import DataTypes, EnvironmentSettings, TableEnvironment
from pyflink.table.udf import udf

from util import length

print("flinkgen-verify-python: client has tabulate " + tabulate.__version__, flush=True)
print("flinkgen-verify-python: client pid %d" % os.getpid(), flush=True)
MARKS = @MARKS@


@udf(result_type=DataTypes.BIGINT())
def word_len(s):
    # Each call leaves a line in a file of its process: which process and interpreter ran
    # the UDF, so the check sees it ran in a Python worker, not only that the plan has one.
    with open(os.path.join(MARKS, "udf-%d" % os.getpid()), "a") as f:
        f.write("%d %s\\n" % (os.getppid(), sys.executable))
    return length(s)


t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
t_env.create_temporary_function("word_len", word_len)
t_env.execute_sql("CREATE TABLE words (w STRING) WITH ('connector' = 'datagen', "
                  "'number-of-rows' = '200', 'fields.w.length' = '8')")
t_env.execute_sql("CREATE TABLE lengths (n BIGINT) WITH ('connector' = 'blackhole')")
t_env.execute_sql("INSERT INTO lengths SELECT word_len(w) FROM words")
'''

SQL = '''\
-- A bounded job with two sinks; the name is set by the script.
SET 'pipeline.name' = 'flinkgen-verify-sql';
CREATE TABLE orders (id BIGINT, amount DOUBLE) WITH ('connector' = 'datagen', 'number-of-rows' = '500');
CREATE TABLE ids (id BIGINT) WITH ('connector' = 'blackhole');
CREATE TABLE amounts (amount DOUBLE) WITH ('connector' = 'blackhole');
EXECUTE STATEMENT SET BEGIN
  INSERT INTO ids SELECT id FROM orders;
  INSERT INTO amounts SELECT amount FROM orders WHERE amount > 0; -- a comment; with a semicolon
END;
'''


def pyflink(version):
    """A virtual environment with apache-flink==version (the interpreter the image installs),
    and the pyflink package folder, which holds Flink's distribution."""
    venv = os.path.join(CACHE, f"pyflink-{version}")
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    subprocess.run([python, "-m", "pip", "install", "-q", f"apache-flink=={version}"], check=True)
    package = subprocess.run([python, "-c", "import pyflink, os; print(os.path.dirname(pyflink.__file__))"],
                             check=True, capture_output=True, text=True).stdout.strip()
    return venv, package


def write_project(root, version):
    for d in ["jobs", "clusters", "profiles", "src/lib", "sql", "marks"]:
        os.makedirs(os.path.join(root, d))
    files = {
        "flinkgen.yaml": f'flinkVersion: "{version}"\nimage:\n  registry: registry.example.com/verify\n'
                         "profiles:\n  jobManager: jm\n  taskManager: tm\n",
        "profiles/jm.yaml": "cpu: 1\nmemory:\n  process: 1g\n",
        "profiles/tm.yaml": "cpu: 1\nmemory:\n  process: 1600m\n",
        "src/word_len.py": SCRIPT.replace("@MARKS@", repr(os.path.join(root, "marks"))),
        "src/lib/util.py": "def length(s):\n    return len(s)\n",
        "requirements.txt": "tabulate==0.9.0\n",
        "sql/orders.sql": SQL,
        "jobs/word-len.yaml": 'python:\n  script: src/word_len.py\n  pyFiles: [src/lib/]\n'
                              '  requirements: requirements.txt\nimage:\n  tag: "1"\n',
        "jobs/orders-sql.yaml": 'sql:\n  script: sql/orders.sql\nimage:\n  tag: "1"\n',
        "clusters/shared.yaml": 'python:\n  requirements: requirements.txt\nimage:\n  tag: "1"\n',
        "jobs/word-len-session.yaml": 'session: shared\npython:\n  script: src/word_len.py\n'
                                      '  pyFiles: [src/lib/]\n  requirements: requirements.txt\n'
                                      'image:\n  tag: "1"\n',
        "jobs/orders-sql-session.yaml": 'session: shared\nsql:\n  script: sql/orders.sql\nimage:\n  tag: "1"\n',
    }
    for path, text in files.items():
        with open(os.path.join(root, path), "w") as f:
            f.write(text)


class Image:
    """The image a generated Dockerfile builds, as a local folder: `home` for /opt/flink and
    the shared virtual environment for /opt/flink-python."""

    def __init__(self, root, job_dir, version, venv, package, work):
        self.venv = venv
        self.home = os.path.join(work, "flink")
        shutil.copytree(package, self.home, ignore=shutil.ignore_patterns("*.py", "__pycache__", "*.pyc"))
        for f in glob.glob(os.path.join(self.home, "bin", "*")):
            os.chmod(f, 0o755)
        os.makedirs(os.path.join(self.home, "usrlib"), exist_ok=True)
        os.makedirs(os.path.join(self.home, "log"), exist_ok=True)
        stages = open(os.path.join(job_dir, "Dockerfile")).read().split("\nFROM ")
        self.runner_reproducible = None
        runner = self.build_sql_runner(stages[-2], root, work) if len(stages) > 2 else None
        final = stages[-1]
        assert f"apache-flink=={version}" in final or "apache-flink==" not in final, "PyFlink of another release"
        # The final stage in order: its COPY lines, and the requirements' pip install (the
        # PyFlink release is the venv's already).
        for line in final.splitlines():
            if line.startswith("COPY "):
                local_cluster.copy(line, root, self.path, runner)
            elif line.startswith("RUN ") and " -r " in line:
                requirements = self.path(line.split(" -r ")[1].strip())
                subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q", "-r", requirements], check=True)

    def path(self, p):
        """An image path as the local folder that stands in for it."""
        p = p.replace("$FLINK_HOME", "/opt/flink")
        if p.startswith("/opt/flink-python"):
            return self.venv + p[len("/opt/flink-python"):]
        if p.startswith("/opt/flink"):
            return self.home + p[len("/opt/flink"):]
        return p

    def build_sql_runner(self, stage, root, work):
        """Runs the Dockerfile's compile step with its paths mapped: /flink/lib/ is the
        image's lib/, /src/flinkgen/SqlRunner.java the source flinkgen wrote."""
        lines = stage.splitlines()
        source = next(l for l in lines if l.startswith("COPY ") and l.endswith("/src/flinkgen/SqlRunner.java"))
        run = "\n".join(lines[next(i for i, l in enumerate(lines) if l.startswith("RUN ")):]).strip()
        jars = []
        # Built twice, into two folders: the Dockerfile's command must give the same bytes.
        for n in (1, 2):
            classes, jar = os.path.join(work, f"classes{n}"), os.path.join(work, f"runner{n}", "flinkgen-sql-runner.jar")
            os.makedirs(os.path.dirname(jar))
            command = (run[len("RUN "):].replace("\\\n", " ")
                       .replace("'/flink/lib/*'", f"'{self.home}/lib/*'")
                       .replace("/src/flinkgen/SqlRunner.java", os.path.join(root, source.split()[1]))
                       .replace("/classes", classes).replace("/flinkgen-sql-runner.jar", jar))
            subprocess.run(["bash", "-c", command], check=True, capture_output=True)
            jars.append(jar)
            time.sleep(1.1)
        self.runner_reproducible = open(jars[0], "rb").read() == open(jars[1], "rb").read()
        return jars[0]

    def configure(self, job_dir):
        """conf/ as the ConfigMap mounts it, with the RPC address and image paths local."""
        text = open(os.path.join(job_dir, "configmap.yaml")).read()
        conf = os.path.join(self.home, "conf")
        for f in os.listdir(conf):
            if f in ("config.yaml", "flink-conf.yaml", "log4j-console.properties"):
                os.remove(os.path.join(conf, f))
        for name in ["config.yaml", "flink-conf.yaml", "log4j-console.properties"]:
            if f"  {name}: |" not in text:
                continue
            body = vwf.block(text, name)
            lines = []
            for l in body.splitlines():
                if l.startswith("jobmanager.rpc.address:"):
                    l = "jobmanager.rpc.address: 127.0.0.1"
                lines.append(l.replace("/opt/flink-python", self.venv))
            with open(os.path.join(conf, name), "w") as f:
                f.write("\n".join(lines) + "\n")

    def start(self, script, args, log):
        env = dict(os.environ, FLINK_HOME=self.home, FLINK_LOG_DIR=os.path.join(self.home, "log"))
        return subprocess.Popen(["bash", os.path.join(self.home, "bin", script), "start-foreground",
                                 *[self.path(a) if a.startswith("/opt/flink") else a for a in args]],
                                env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)


def container_args(manifest):
    """The JobManager container's arguments as the process gets them (`$$` is `$`)."""
    import yaml
    c = yaml.safe_load(open(manifest))["spec"]["template"]["spec"]["containers"][0]
    return [vss.k8s_expand(a, {}) for a in c["args"]]


def stop(procs):
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()


def application(root, name, version, venv, package, base):
    work = os.path.join(base, name)
    os.makedirs(work)
    job_dir = os.path.join(root, "out", name)
    image = Image(root, job_dir, version, venv, package, work)
    image.configure(job_dir)
    args = container_args(os.path.join(job_dir, "jobmanager-job.yaml"))
    assert args[0] == "standalone-job", args
    tm = image.start("taskmanager.sh", [], os.path.join(work, "taskmanager.out"))
    jm = image.start("standalone-job.sh", args[1:], os.path.join(work, "jobmanager.out"))
    try:
        code = jm.wait(timeout=300)
    except subprocess.TimeoutExpired:
        code = "timeout"
    finally:
        stop([jm, tm])
    logs = "".join(open(f, errors="replace").read() for f in glob.glob(os.path.join(image.home, "log", "*")))
    out = open(os.path.join(work, "jobmanager.out"), errors="replace").read() + logs
    checks = {"JobManager exited 0": code == 0, "job FINISHED": "switched from state RUNNING to FINISHED" in out}
    if "-py" in args:
        checks["client imported the requirement"] = "flinkgen-verify-python: client has tabulate 0.9.0" in out
        checks["UDF ran in a Python worker"] = udf_ran_in_worker(root, out, venv)
    else:
        checks["every statement ran"] = "flinkgen.SqlRunner: statement 5 of 5" in out
        checks["SET applied"] = "Job flinkgen-verify-sql" in out
        checks["runner jar reproducible"] = image.runner_reproducible is True
    return checks, " ".join(args), work


def udf_ran_in_worker(root, client_out, venv, rows=200):
    """The UDF's marks: every row went through it, in processes other than the client's,
    started by the TaskManager with the interpreter the configuration names (the image's
    /opt/flink-python, here the virtual environment)."""
    marks = glob.glob(os.path.join(root, "marks", "udf-*"))
    client = [line.rsplit(" ", 1)[1] for line in client_out.splitlines()
              if line.startswith("flinkgen-verify-python: client pid ")]
    calls = [line.split(" ", 1) for m in marks for line in open(m).read().splitlines()]
    pids = {os.path.basename(m)[len("udf-"):] for m in marks}
    for m in marks:
        os.remove(m)
    return (len(calls) == rows and bool(client) and not pids & set(client)
            and all(exe.startswith(venv) for _, exe in calls))


def session(root, name, version, venv, package, base):
    work = os.path.join(base, name)
    os.makedirs(work)
    job_dir = os.path.join(root, "out", name)
    # The submitter's image keeps the distribution's conf/; its options come as -D arguments.
    image = Image(root, job_dir, version, venv, package, work)
    script, args, env = vss.submitter(os.path.join(job_dir, "submit-job.yaml"))
    args = [image.path(a) if a.startswith("/opt/flink") else a.replace("/opt/flink-python", venv) for a in args]
    code, out = vss.run(image.home, script, args, env, FLINK_REST_HOST="127.0.0.1")
    state, deadline = None, time.time() + 240
    while time.time() < deadline:
        with urllib.request.urlopen("http://127.0.0.1:8081/jobs/overview") as r:
            state = {j["jid"]: j["state"] for j in json.load(r)["jobs"]}.get(env["FLINK_JOB_ID"])
        if state in ("FINISHED", "FAILED", "CANCELED"):
            break
        time.sleep(2)
    with open(os.path.join(work, "submit.out"), "w") as f:
        f.write(out)
    checks = {"submitter exited 0": code == 0, "job FINISHED under the fixed id": state == "FINISHED"}
    if "-py" in args:
        checks["client imported the requirement"] = "flinkgen-verify-python: client has tabulate 0.9.0" in out
    return checks, " ".join(args), work


def main():
    versions = sys.argv[1:] or ["1.20.4", "2.3.0"]
    subprocess.run(["cargo", "build", "-q", "--release", "--manifest-path", os.path.join(REPO, "Cargo.toml")], check=True)
    flinkgen = os.path.join(REPO, "target", "release", "flinkgen")
    failures = 0
    for version in versions:
        venv, package = pyflink(version)
        base = tempfile.mkdtemp(prefix="flinkgen-verify-py-", dir="/var/tmp")
        root = os.path.join(base, "project")
        write_project(root, version)
        subprocess.run([flinkgen, "render", "--root", root], check=True, capture_output=True)
        results = [(n, *application(root, n, version, venv, package, base)) for n in ["word-len", "orders-sql"]]
        # The session cluster, from its own output folder and image.
        work = os.path.join(base, "shared")
        os.makedirs(work)
        cluster = Image(root, os.path.join(root, "out", "shared"), version, venv, package, work)
        cluster.configure(os.path.join(root, "out", "shared"))
        procs = [cluster.start(s, [], os.path.join(work, f"{s}.out")) for s in ("jobmanager.sh", "taskmanager.sh")]
        try:
            for _ in range(60):
                try:
                    urllib.request.urlopen("http://127.0.0.1:8081/overview")
                    break
                except OSError:
                    time.sleep(1)
            for n in ["word-len-session", "orders-sql-session"]:
                results.append((n, *session(root, n, version, venv, package, base)))
        finally:
            stop(procs)
        for name, checks, args, work in results:
            failed = [c for c, ok in checks.items() if not ok]
            if failed:
                failures += 1
                print(f"FAIL Flink {version} {name}: {', '.join(failed)} (logs in {work})")
            else:
                print(f"ok   Flink {version} {name}: {args} -> {', '.join(checks)}")
        if not failures:
            shutil.rmtree(base, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
