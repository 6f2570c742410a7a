//! What a job runs: a jar (`jar`, `entryClass`, `args`), a PyFlink program (`python`) or a
//! SQL script (`sql`), and how Flink starts it. Python jobs start through Flink's
//! PythonDriver (`-py`/`-pym`, `-pyfs`); SQL jobs through flinkgen's runner, a class the
//! generated Dockerfile compiles against the image's Flink (Flink 1.x has no SQL driver, and
//! 2.x's needs the SQL gateway jar, which no distribution on PyPI ships to verify it with).

use super::image::{jar, plain_path_char, project_path};
use super::subject::Role;
use crate::derive::wiring;
use crate::diag::Diagnostics;
use crate::flink::Version;
use crate::load::scalar::Scalar;
use crate::load::spec::{JobSpec, PythonSpec, SqlSpec};
use crate::load::Source;
use crate::model::{Image, Jar, Program, Python, PythonInstall, Sql};

/// The program as far as it is known before the image: its kind (with a Java job's jar and
/// class), the program arguments, and whether it brings project files, so its image must be
/// built.
pub struct Declared {
    kind: DeclaredKind,
    entry_class: Option<String>,
    args: Vec<String>,
    pub builds: bool,
}

enum DeclaredKind {
    Java(Option<Jar>),
    Python,
    Sql,
}

/// How Flink starts the job.
pub struct Entry {
    pub program: Program,
    pub jar: Option<Jar>,
    pub entry_class: Option<String>,
    pub args: Vec<String>,
}

/// Which program the spec declares; exactly one of `jar`, `python` and `sql` (a session
/// cluster declares none, or `python` for its jobs' Python functions).
/// Long because it resolves the three kinds of program (a jar, Python, SQL) and their entry in turn.
pub fn declared(
    src: &Source,
    spec: &JobSpec,
    role: &Role,
    files: &super::ProjectFiles,
    diags: &mut Diagnostics,
) -> Option<Declared> {
    let has_jar = spec.jar.is_some() || spec.jar_uri.is_some();
    let given: Vec<&str> = [
        (has_jar, "jar"),
        (spec.python.is_some(), "python"),
        (spec.sql.is_some(), "sql"),
    ]
    .iter()
    .filter_map(|&(set, f)| set.then_some(f))
    .collect();
    if given.len() > 1 {
        diags.push(
            src.error(
                given[1],
                format!(
                    "a job runs one program: `{}` and `{}` are both set",
                    given[0], given[1]
                ),
            )
            .help("keep one of jar, python and sql"),
        );
        return None;
    }
    let kind = if matches!(role, Role::Cluster) {
        match spec.python {
            Some(_) => DeclaredKind::Python,
            None => DeclaredKind::Java(None),
        }
    } else {
        match given.first() {
            Some(&"python") => DeclaredKind::Python,
            Some(&"sql") => DeclaredKind::Sql,
            _ => DeclaredKind::Java(job_jar(src, spec, diags)),
        }
    };
    let entry_class = match kind {
        DeclaredKind::Java(_) => entry_class(src, spec, diags),
        DeclaredKind::Python => {
            no_entry_class(
                src,
                spec,
                "Python jobs start through Flink's PythonDriver",
                diags,
            );
            None
        }
        DeclaredKind::Sql => {
            no_entry_class(
                src,
                spec,
                "SQL jobs start through flinkgen's SQL runner",
                diags,
            );
            if let Some(script) = spec.sql.as_ref().map(|s| s.script.as_str()) {
                script_check(src, "sql.script", script, files, diags);
            }
            None
        }
    };
    if let Some(script) = spec.python.as_ref().and_then(|p| p.script.as_deref()) {
        if !script.starts_with("local://") {
            script_check(src, "python.script", script, files, diags);
        }
    }
    let args = args(src, &spec.args, diags);
    if let DeclaredKind::Java(None) = kind {
        if !matches!(role, Role::Cluster) {
            return None;
        }
    }
    let builds = match &kind {
        DeclaredKind::Java(jar) => matches!(jar, Some(Jar::Built(_))),
        // Only an interpreter of its own and files already in the image build nothing.
        DeclaredKind::Python => spec.python.as_ref().is_some_and(|p| {
            let copies = p.script.iter().chain(&p.py_files);
            p.requirements.is_some()
                || p.executable.is_none()
                || copies.into_iter().any(|f| !f.starts_with("local://"))
        }),
        DeclaredKind::Sql => true,
    };
    Some(Declared {
        kind,
        entry_class,
        args,
        builds,
    })
}

/// What `entry` works from, besides the declaration.
struct Context<'a> {
    src: &'a Source,
    spec: &'a JobSpec,
    role: &'a Role<'a>,
    version: Version,
    image: &'a Image,
}

/// Resolves the entry point once the image and the Flink release are known.
pub fn entry(
    subject: &super::subject::Subject,
    declared: Declared,
    version: Version,
    image: &Image,
    diags: &mut Diagnostics,
) -> Option<Entry> {
    let (src, spec, role) = (subject.src, subject.spec, subject.role);
    let cx = Context {
        src,
        spec,
        role,
        version,
        image,
    };
    let Declared {
        kind,
        entry_class,
        args,
        ..
    } = declared;
    match kind {
        DeclaredKind::Java(jar) => Some(Entry {
            program: Program::Java,
            jar,
            entry_class,
            args,
        }),
        DeclaredKind::Python => python_entry(&cx, spec.python.as_ref()?, args, diags),
        DeclaredKind::Sql => sql_entry(&cx, spec.sql.as_ref()?, diags),
    }
}

/// PythonDriver with the script or module and the shipped files, before the program's own
/// arguments; a session cluster only gets the interpreter.
fn python_entry(
    cx: &Context,
    p: &PythonSpec,
    args: Vec<String>,
    diags: &mut Diagnostics,
) -> Option<Entry> {
    let (executable, install) = python(cx, p, diags)?;
    let Role::Cluster = cx.role else {
        let (mut driver, copies) = python_args(cx.src, p, cx.image.build.is_some(), diags)?;
        driver.extend(args);
        let python = Python {
            executable,
            install,
            copies,
        };
        return Some(Entry {
            program: Program::Python(python),
            jar: None,
            entry_class: Some(wiring::PYTHON_DRIVER.to_string()),
            args: driver,
        });
    };
    for (set, field) in [
        (p.script.is_some(), "python.script"),
        (p.module.is_some(), "python.module"),
        (!p.py_files.is_empty(), "python.pyFiles"),
    ] {
        if set {
            diags.push(
                cx.src.error(field, "a session cluster runs the scripts its jobs bring")
                    .help("set it in the job spec; the cluster's python gives its TaskManagers PyFlink and the requirements"),
            );
        }
    }
    Some(Entry {
        program: Program::Python(Python {
            executable,
            install,
            copies: Vec::new(),
        }),
        jar: None,
        entry_class: None,
        args: Vec::new(),
    })
}

/// flinkgen's runner with the script's path in the image.
fn sql_entry(cx: &Context, s: &SqlSpec, diags: &mut Diagnostics) -> Option<Entry> {
    let src = cx.src;
    if !cx.spec.args.is_empty() {
        diags.push(
            src.error("args", "a SQL job takes no program arguments")
                .help("set options with SET 'key' = 'value'; in the script, or in flinkConfig"),
        );
    }
    if cx.image.build.is_none() {
        diags.push(
            src.error("sql", "a SQL job runs through flinkgen's SQL runner, which the generated Dockerfile builds into the image; image.ref names an existing image")
                .help("build on that image with image.base instead of image.ref"),
        );
        return None;
    }
    if let Role::SessionJob(c) = cx.role {
        if c.is_operator() {
            diags.push(
                src.key_error("sql", "the Operator uploads a FlinkSessionJob's jar from a URI; the SQL runner and script are inside an image")
                    .help("give the job a cluster of its own (remove session), or submit it with target: manifests"),
            );
        }
    }
    let script = project_path(src, "sql.script", &s.script, false, diags)?;
    Some(Entry {
        program: Program::Sql(Sql {
            script: script.clone(),
        }),
        jar: Some(Jar::InImage(wiring::SQL_RUNNER_JAR.to_string())),
        entry_class: Some(wiring::SQL_RUNNER_CLASS.to_string()),
        args: vec![wiring::in_usrlib(&script)],
    })
}

fn no_entry_class(src: &Source, spec: &JobSpec, why: &str, diags: &mut Diagnostics) {
    if spec.entry_class.is_some() {
        diags.push(
            src.error("entryClass", why.to_string())
                .help("remove entryClass"),
        );
    }
}

/// A script is one file: the loader's checked reader must have found a regular file there (a
/// Python script may also be missing, when the build makes it). A SQL script is then checked
/// for what would fail the job, at the script's line.
fn script_check(
    src: &Source,
    field: &str,
    script: &str,
    files: &super::ProjectFiles,
    diags: &mut Diagnostics,
) {
    if script.ends_with('/') {
        diags.push(
            src.error(
                field,
                format!("`{script}` names a folder; the script is one file"),
            )
            .help("name the script file itself, such as sql/job.sql or src/job.py"),
        );
        return;
    }
    let text = match files.get(script) {
        Some(Ok(text)) => text,
        Some(Err(e)) if e.missing && field == "python.script" => return,
        Some(Err(e)) => {
            diags.push(
                src.error(field, format!("`{script}`: {}", e.message))
                    .help(e.help.clone()),
            );
            return;
        }
        // Not a plain project path: project_path reports it.
        None => return,
    };
    if field != "sql.script" {
        return;
    }
    for p in super::sql::check(text) {
        diags.push(
            src.error(field, format!("{script}:{}: {}", p.line, p.message))
                .help(p.help),
        );
    }
}

/// The interpreter, and what the generated image installs (None: the image has it).
type Interpreter = (String, Option<PythonInstall>);

/// The interpreter and what the generated image installs.
fn python(cx: &Context, p: &PythonSpec, diags: &mut Diagnostics) -> Option<Interpreter> {
    let (src, version) = (cx.src, cx.version);
    if let Role::SessionJob(cluster) = cx.role {
        session_cluster_python(src, cluster, diags);
    }
    if cx.image.build.is_none() {
        return existing_image_python(cx, p, diags);
    }
    let requirements = match &p.requirements {
        Some(r) => Some(project_path(src, "python.requirements", r, false, diags)?),
        None => None,
    };
    if let Some(e) = &p.executable {
        own_interpreter(cx, e, diags)?;
        return Some((
            e.clone(),
            Some(PythonInstall {
                pyflink: None,
                requirements,
            }),
        ));
    }
    if version.image_python().is_none() {
        let newest = version.newest_pyflink_python().unwrap_or("an older one");
        diags.push(
            src.key_error("python", format!("PyPI has no apache-flink {version} for the Python of the official image (Ubuntu 22.04's 3.10); its wheels stop at Python {newest}"))
                .help(format!("use Flink 1.17 or later, or build on an image with Python {newest} and PyFlink (image.base and python.executable)")),
        );
        return None;
    }
    Some((
        wiring::PYTHON_EXECUTABLE.to_string(),
        Some(PythonInstall {
            pyflink: Some(version.to_string()),
            requirements,
        }),
    ))
}

/// A session job's Python functions run in its cluster's TaskManagers.
fn session_cluster_python(src: &Source, cluster: &crate::model::Job, diags: &mut Diagnostics) {
    if !matches!(cluster.program, Program::Python(_)) {
        diags.push(
            src.key_error("python", format!("the TaskManagers of session cluster `{}` run the job's Python functions, and its image has no PyFlink", cluster.name))
                .help(format!("add python: {{}} (and its requirements) to {}", cluster.source)),
        );
    }
    if cluster.is_operator() {
        diags.push(
            src.key_error("python", "the Operator uploads a FlinkSessionJob's jar from a URI; it cannot start a Python script inside an image")
                .help("give the job a cluster of its own (remove session), or submit it with target: manifests"),
        );
    }
}

/// An image that exists (`image.ref`): trusted to have the interpreter and PyFlink, except
/// the official one, which has no Python.
fn existing_image_python(
    cx: &Context,
    p: &PythonSpec,
    diags: &mut Diagnostics,
) -> Option<Interpreter> {
    let (src, image) = (cx.src, cx.image);
    if super::image::is_official(&image.reference) {
        diags.push(
            src.key_error("python", format!("`{}` is the official Flink image, which has no Python", image.reference))
                .help("remove image.ref, so flinkgen builds an image with Python and PyFlink, or name an image that has them"),
        );
        return None;
    }
    if let Some(r) = &p.requirements {
        diags.push(
            src.error("python.requirements", format!("`{r}` would be installed into an image flinkgen builds, but image.ref names an existing image"))
                .help("install the requirements into that image, or build on it with image.base"),
        );
    }
    let executable = p.executable.clone().unwrap_or_else(|| "python3".into());
    diags.push(
        src.warning(
            "python",
            format!(
                "flinkgen cannot check that image.ref has `{executable}` with apache-flink=={}",
                match cx.image.release_known {
                    true => cx.version.to_string(),
                    false => format!("{}.*", cx.version.minor_str()),
                }
            ),
        )
        .help("install PyFlink of the job's exact Flink release into that image"),
    );
    Some((executable, None))
}

/// An interpreter of the base image instead of the one flinkgen installs.
fn own_interpreter(cx: &Context, e: &str, diags: &mut Diagnostics) -> Option<()> {
    let src = cx.src;
    if cx.spec.image.as_ref().is_none_or(|i| i.base.is_none()) {
        diags.push(
            src.error(
                "python.executable",
                format!(
                    "the generated image installs its own Python ({}); `{e}` would not be in it",
                    wiring::PYTHON_EXECUTABLE
                ),
            )
            .help("remove executable, or build on an image that has it with image.base"),
        );
        return None;
    }
    if !plain_executable(e) {
        diags.push(
            src.error(
                "python.executable",
                format!("`{e}` is not a command name or absolute path"),
            )
            .help("write python3 or /usr/local/bin/python3"),
        );
        return None;
    }
    diags.push(
        src.warning(
            "python.executable",
            format!(
                "flinkgen cannot check that image.base has `{e}` with apache-flink=={}",
                cx.version
            ),
        )
        .help("install PyFlink of the job's exact Flink release into the base image"),
    );
    Some(())
}

fn plain_executable(e: &str) -> bool {
    !e.is_empty()
        && e.chars().all(plain_path_char)
        && (e.starts_with('/') || !e.contains('/'))
        && !e.split('/').any(|s| matches!(s, "." | ".."))
}

/// PythonDriver's own arguments: the script (`-py`) or module (`-pym`) and the extra files
/// (`-pyfs`), as paths inside the image; and the project files the image copies there.
fn python_args(
    src: &Source,
    p: &PythonSpec,
    built: bool,
    diags: &mut Diagnostics,
) -> Option<(Vec<String>, Copies)> {
    let mut copies = Copies::new();
    let mut args = match (&p.script, &p.module) {
        (Some(_), Some(_)) => {
            diags.push(
                src.error("python.module", "set script or module, not both")
                    .help("script runs a file; module runs `python -m <module>` from pyFiles"),
            );
            return None;
        }
        (None, None) => {
            diags.push(
                src.key_error("python", "the Python job has no script or module")
                    .field("python.script")
                    .help("set script: the job's .py file (src/job.py), or module with pyFiles"),
            );
            return None;
        }
        (Some(s), None) => {
            let path = python_path(src, "python.script", s, built, &mut copies, diags)?;
            if !path.ends_with(".py") {
                diags.push(
                    src.error("python.script", format!("`{s}` is not a .py file"))
                        .help("name the job's Python file; for a package, use module and pyFiles"),
                );
                return None;
            }
            vec!["-py".to_string(), path]
        }
        (None, Some(m)) => {
            let valid = !m.is_empty()
                && m.split('.').all(|part| {
                    part.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                        && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                });
            if !valid {
                diags.push(
                    src.error(
                        "python.module",
                        format!("`{m}` is not a Python module name"),
                    )
                    .help("write a dotted name such as jobs.word_len"),
                );
                return None;
            }
            if p.py_files.is_empty() {
                diags.push(
                    src.error("python.module", format!("nothing ships module `{m}`"))
                        .help("list the folder or file that holds it in pyFiles"),
                );
            }
            vec!["-pym".to_string(), m.clone()]
        }
    };
    let shipped: Vec<String> = (p.py_files.iter().enumerate())
        .filter_map(|(i, f)| {
            let field = format!("python.pyFiles[{i}]");
            python_path(src, &field, f, built, &mut copies, diags)
        })
        .collect();
    if !shipped.is_empty() {
        args.extend(["-pyfs".to_string(), shipped.join(",")]);
    }
    Some((args, copies))
}

/// (project path, path in the image) of each file a Python job copies into usrlib/.
type Copies = Vec<(String, String)>;

/// A Python file's path in the image: a project path copied into usrlib/, or `local://`.
fn python_path(
    src: &Source,
    field: &str,
    path: &str,
    built: bool,
    copies: &mut Copies,
    diags: &mut Diagnostics,
) -> Option<String> {
    if let Some(inside) = path.strip_prefix("local://") {
        let plain = inside.starts_with('/')
            && inside.chars().all(plain_path_char)
            && !inside
                .split('/')
                .skip(1)
                .any(|s| matches!(s, "" | "." | ".."));
        if !plain {
            diags.push(
                src.error(
                    field,
                    format!("`{path}` is not an absolute path inside the image"),
                )
                .help("write local:///opt/flink/usrlib/job.py"),
            );
            return None;
        }
        if let Some((dir, why)) = super::lib::hidden_by_mount(inside) {
            diags.push(
                src.error(
                    field,
                    format!("the pods cannot see `{path}`: {why}, hiding the image's {dir}"),
                )
                .help("keep it in the image under /opt/flink/usrlib/"),
            );
            return None;
        }
        return Some(inside.to_string());
    }
    if !built {
        diags.push(
            src.error(field, format!("`{path}` is a project path, but image.ref names an existing image, into which nothing is copied"))
                .help("write local:///… for its path inside that image, or build on the image with image.base"),
        );
        return None;
    }
    let project = project_path(src, field, path, false, diags)?;
    let dest = wiring::in_usrlib(&project);
    if let Some((earlier, _)) = copies.iter().find(|(_, d)| d.trim_end_matches('/') == dest) {
        diags.push(
            src.error(
                field,
                format!("`{path}` lands on `{dest}`, as the earlier `{earlier}` does"),
            )
            .help("rename one of them; each lands in usrlib/ under its last path part"),
        );
    }
    let slash = if project.ends_with('/') { "/" } else { "" };
    copies.push((project, format!("{dest}{slash}")));
    Some(dest)
}

/// The job jar, from `jar` or its deprecated spelling `jarUri`.
fn job_jar(src: &Source, spec: &JobSpec, diags: &mut Diagnostics) -> Option<Jar> {
    if let Some(uri) = &spec.jar_uri {
        let unused = if spec.jar.is_some() {
            "; the project jar in `jar` is not used"
        } else {
            ""
        };
        diags.push(
            src.warning(
                "jarUri",
                format!("`jarUri` is deprecated: `jar` takes a URI too{unused}"),
            )
            .help(format!("write jar: {uri}, and remove jarUri")),
        );
        return match jar(src, "jarUri", uri, diags)? {
            Jar::Remote(u) => Some(Jar::Remote(u)),
            _ => {
                diags.push(
                    src.error("jarUri", format!("`{uri}` is not a URI"))
                        .help("write a URI such as https://repo.example.com/jobs/my-job-1.0.jar"),
                );
                None
            }
        };
    }
    let Some(j) = &spec.jar else {
        diags.push(
            src.key_error("", "the job has no jar")
                .field("jar")
                .help("set jar: the project path of the built jar (build/libs/my-job.jar), local:///… for a jar inside the image, or an https:// or s3:// URI; or python or sql"),
        );
        return None;
    };
    jar(src, "jar", j, diags)
}

fn entry_class(src: &Source, spec: &JobSpec, diags: &mut Diagnostics) -> Option<String> {
    let c = spec.entry_class.clone()?;
    if !java_class(&c) {
        diags.push(
            src.error("entryClass", format!("`{c}` is not a Java class name"))
                .help("write the fully qualified name, such as com.example.WordCount"),
        );
    }
    Some(c)
}

fn java_class(c: &str) -> bool {
    c.split('.').all(|part| {
        part.starts_with(|ch: char| ch.is_ascii_alphabetic() || ch == '_' || ch == '$')
            && part
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '$')
    })
}

fn args(src: &Source, args: &[Scalar], diags: &mut Diagnostics) -> Vec<String> {
    let mut out = Vec::new();
    for (i, a) in args.iter().enumerate() {
        match a {
            Scalar::Float(f) => diags.push(
                src.error(
                    &format!("args[{i}]"),
                    format!("the number {f} must be quoted"),
                )
                .help("YAML may change how a float is written (1.10 becomes 1.1); quote it"),
            ),
            other => out.push(other.as_text()),
        }
    }
    if let Some((i, flag)) = super::literal::secret_argument(&out) {
        diags.push(
            src.error(&format!("args[{i}]"), format!("`{flag}` passes a secret on the job's command line; flinkgen never writes a secret into out/, which is committed"))
                .help("have the job read it from a file (a secret volume) or an environment variable (env with { secret: <name>, key: <key> }), and pass the file's path or the variable's name"),
        );
    }
    out
}
