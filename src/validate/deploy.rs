//! How a job is deployed: standalone or native, its own cluster or a session's, HA, and the
//! REST Service and Ingress. Checks the combinations Flink refuses at run time, and adds the
//! Flink options each combination needs.

use super::paths::under;
use super::units;
use crate::derive::wiring;
use crate::diag::Diagnostics;
use crate::flink::config::{self, Format, Value};
use crate::load::spec::{IngressSpec, JobSpec, RestSpec, ServiceType, Target, UpgradeMode};
use crate::load::Source;
use crate::model::{Ingress, Jar, Job, Kind, Rest};

/// Option prefixes a job may set for itself when submitted to a session cluster: they reach
/// the job through `flink run -D`. Everything else configures the cluster's processes.
const JOB_LEVEL: &[&str] = &[
    "pipeline.",
    "execution.",
    "state.",
    "restart-strategy.",
    "table.",
    "python.",
];

pub fn job_level(key: &str) -> bool {
    JOB_LEVEL.iter().any(|p| key.starts_with(p))
}

/// Fields of a session job that only its cluster can have.
pub fn cluster_fields(src: &Source, spec: &JobSpec, cluster: &Job, diags: &mut Diagnostics) {
    let set = [
        ("mode", spec.mode.is_some()),
        ("ha", spec.ha.is_some()),
        ("rest", spec.rest.is_some()),
        ("ingress", spec.ingress.is_some()),
        ("jobManager", src.has("jobManager")),
        ("taskManager", src.has("taskManager")),
        ("plugins", !spec.plugins.is_empty()),
        ("logging", spec.logging.is_some()),
        ("networkPolicy", spec.network_policy.is_some()),
        ("podDisruptionBudget", spec.pod_disruption_budget.is_some()),
        (
            "image.base",
            spec.image.as_ref().is_some_and(|i| i.base.is_some()),
        ),
        (
            "image.java",
            spec.image.as_ref().is_some_and(|i| i.java.is_some()),
        ),
        ("env", !spec.env.is_empty()),
        ("envFrom", !spec.env_from.is_empty()),
        ("volumes", !spec.volumes.is_empty()),
        ("podAnnotations", !spec.pod_annotations.is_empty()),
        ("priorityClassName", spec.priority_class_name.is_some()),
        (
            "terminationGracePeriodSeconds",
            spec.termination_grace_period_seconds.is_some(),
        ),
        ("serviceAccount", spec.service_account.is_some()),
        ("metrics", spec.metrics.is_some()),
    ];
    for (field, _) in set.iter().filter(|(_, is_set)| *is_set) {
        diags.push(
            src.key_error(
                field,
                format!(
                    "`{field}` belongs to the session cluster `{}`, not to a job submitted to it",
                    cluster.name
                ),
            )
            .help(format!(
                "set it in {}, or remove `session` to give the job a cluster of its own",
                cluster.source
            )),
        );
    }
}

/// A session job runs on its cluster's Flink; its client must be the same version.
pub fn session_version(
    src: &Source,
    spec: &JobSpec,
    cluster: &Job,
    diags: &mut Diagnostics,
) -> Option<crate::flink::Version> {
    let Some(v) = &spec.flink_version else {
        return Some(cluster.version);
    };
    match super::version(v) {
        Ok(v) if v == cluster.version => Some(v),
        Ok(v) => {
            diags.push(
                src.error(
                    "flinkVersion",
                    format!(
                        "the job is built for Flink {v}, but session cluster `{}` runs {}",
                        cluster.name, cluster.version
                    ),
                )
                .help("remove flinkVersion: a session job uses its cluster's version"),
            );
            // Go on with the cluster's version, so the rest of the spec is checked too.
            Some(cluster.version)
        }
        Err((msg, help)) => {
            diags.push(src.error("flinkVersion", msg).help(help));
            None
        }
    }
}

pub fn job_manager_replicas(src: &Source, spec: &JobSpec, diags: &mut Diagnostics) -> u32 {
    let n = spec.job_manager.replicas.unwrap_or(1);
    if n == 0 {
        diags.push(src.error("jobManager.replicas", "must be at least 1"));
        return 1;
    }
    if n > 1 && spec.ha.is_none() {
        diags.push(
            src.error(
                "jobManager.replicas",
                format!("{n} JobManagers need high availability: without it each would run the job on its own"),
            )
            .help("add ha.storageDir, or set jobManager.replicas to 1"),
        );
    }
    n
}

pub fn rest(src: &Source, r: &RestSpec, diags: &mut Diagnostics) -> Option<Rest> {
    let service_type = r.service_type.unwrap_or(ServiceType::ClusterIP);
    let mut ok = super::extras::annotations(src, "rest.annotations", &r.annotations, diags);
    if let Some(port) = r.node_port {
        if service_type == ServiceType::ClusterIP {
            diags.push(
                src.error("rest.nodePort", "a ClusterIP Service has no node port")
                    .help("set rest.type to NodePort or LoadBalancer, or remove nodePort"),
            );
            ok = false;
        } else if !(30000..=32767).contains(&port) {
            diags.push(
                src.error(
                    "rest.nodePort",
                    format!("{port} is outside Kubernetes' default node port range"),
                )
                .help("use a port from 30000 to 32767, or leave it out to get a free one"),
            );
            ok = false;
        }
    }
    ok.then(|| Rest {
        service_type,
        node_port: r.node_port,
        annotations: r.annotations.clone(),
    })
}

pub fn ingress(src: &Source, i: &IngressSpec, diags: &mut Diagnostics) -> Option<Ingress> {
    let mut ok = super::extras::annotations(src, "ingress.annotations", &i.annotations, diags);
    if let Some(Err(e)) = i.host.as_deref().map(dns_name) {
        diags.push(src.error("ingress.host", e));
        ok = false;
    }
    let path = i.path.clone().unwrap_or_else(|| "/".into());
    if !path.starts_with('/') || path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        diags.push(
            src.error(
                "ingress.path",
                format!("`{path}` is not an absolute URL path"),
            )
            .help("write a path such as / or /flink"),
        );
        ok = false;
    }
    for (field, value) in [
        ("ingress.className", &i.class_name),
        ("ingress.tlsSecret", &i.tls_secret),
    ] {
        if let Some(v) = value {
            if let Err(e) = units::dns_subdomain(v) {
                diags.push(src.error(field, e));
                ok = false;
            }
        }
    }
    if i.host.is_none() && i.tls_secret.is_some() {
        diags.push(
            src.key_error(
                "ingress.tlsSecret",
                "a TLS certificate is for a host, and the Ingress names none",
            )
            .help("set ingress.host, or remove tlsSecret"),
        );
        ok = false;
    }
    ok.then(|| Ingress {
        host: i.host.clone(),
        path,
        class_name: i.class_name.clone(),
        tls_secret: i.tls_secret.clone(),
        annotations: i.annotations.clone(),
    })
}

/// A host name as an Ingress rule takes it: DNS labels, optionally a leading `*.`.
fn dns_name(host: &str) -> Result<(), String> {
    let rest = host.strip_prefix("*.").unwrap_or(host);
    if host.parse::<std::net::IpAddr>().is_ok() {
        return Err(format!(
            "`{host}` is an IP address; an Ingress rule's host must be a DNS name"
        ));
    }
    if units::dns_subdomain(rest).is_ok() {
        Ok(())
    } else {
        Err(format!(
            "`{host}` is not a host name: lowercase DNS labels separated by dots, such as flink.example.com"
        ))
    }
}

/// A session job is written for the same target as its cluster.
pub fn target(
    src: &Source,
    spec: &JobSpec,
    cluster: Option<&Job>,
    default: Option<Target>,
    diags: &mut Diagnostics,
) -> Target {
    let Some(c) = cluster else {
        return spec.target.or(default).unwrap_or(Target::Manifests);
    };
    if let Some(t) = spec.target.filter(|t| *t != c.target) {
        let name = |t: Target| match t {
            Target::Manifests => "manifests",
            Target::Operator => "operator",
        };
        diags.push(
            src.error(
                "target",
                format!(
                    "session cluster `{}` is written for target {}, so its jobs are too, not {}",
                    c.name,
                    name(c.target),
                    name(t)
                ),
            )
            .help("remove target: a session job follows its cluster"),
        );
    }
    c.target
}

/// What the Flink Kubernetes Operator's validator would refuse in the cluster, refused here.
pub fn operator_checks(src: &Source, job: &Job, cluster: Option<&Job>, diags: &mut Diagnostics) {
    if !job.is_operator() {
        operator_only_fields(src, job, diags);
        return;
    }
    release_checks(src, job, diags);
    if job.version.major == 1 && job.version.minor < 19 {
        diags.push(src.warning(
            "flinkVersion",
            format!(
                "the Operator deprecates Flink {}; its support may be removed",
                job.version.minor_str()
            ),
        ));
    }
    if job
        .ingress
        .as_ref()
        .is_some_and(|i| i.host.is_none() && i.path == "/")
    {
        diags.push(
            src.key_error("ingress", "the Operator's Ingress template needs a host or a path other than /; `/` alone would route every path to this cluster")
                .help("set ingress.host, or a path such as /flink/<name>"),
        );
    }
    if job.rest.as_ref().is_some_and(|r| r.node_port.is_some()) {
        diags.push(
            src.error("rest.nodePort", "the Operator picks node ports itself")
                .help("remove nodePort, or use target: manifests"),
        );
    }
    if let Some(mode) = job.upgrade_mode {
        upgrade_mode(src, job, cluster, mode, diags);
    }
    if job.savepoint_trigger_nonce.is_some() && matches!(job.kind, Kind::SessionCluster) {
        diags.push(
            src.key_error(
                "operator.savepointTriggerNonce",
                "a session cluster has no job of its own to take a savepoint of",
            )
            .help("set it on the session job, or use restartNonce for the cluster"),
        );
    }
    if job.restart_nonce.is_some() && matches!(job.kind, Kind::SessionJob(_)) {
        diags.push(
            src.key_error(
                "operator.restartNonce",
                "a FlinkSessionJob is restarted through its cluster",
            )
            .help(
                "set operator.restartNonce on the session cluster, or savepointTriggerNonce here",
            ),
        );
    }
}

/// What the Operator release the project names can run: the Flink version in its CRD's enum,
/// and a Python job's jar, whose name carries the patch release.
fn release_checks(src: &Source, job: &Job, diags: &mut Diagnostics) {
    // The CRD's flinkVersion enum is the release's list of the Flink versions it runs (a
    // FlinkSessionJob has none: its cluster's counts).
    let enum_value = serde_json::json!({
        "flinkVersion": format!("v{}_{}", job.version.major, job.version.minor)
    });
    let deployment = !matches!(job.kind, Kind::SessionJob(_));
    if deployment
        && crate::flink::operator::check(job.operator_release, "FlinkDeployment", &enum_value)
            .is_err()
    {
        let accepting = crate::flink::operator::accepting("FlinkDeployment", &enum_value);
        diags.push(
            src.error("flinkVersion", format!("Flink Kubernetes Operator {} does not run Flink {} (its FlinkDeployment CRD has no `{}`)", job.operator_release, job.version.minor_str(), enum_value["flinkVersion"].as_str().unwrap_or_default()))
                .help(match accepting.last() {
                    Some(r) if *r > job.operator_release => format!("upgrade the Operator and set operatorVersion: \"{r}\" in flinkgen.yaml (releases {} run it)", accepting.join(", ")),
                    Some(_) => format!("use Operator {} (operatorVersion in flinkgen.yaml), or another Flink version", accepting.join(", ")),
                    None => format!("no released Operator flinkgen knows runs Flink {}; use a Flink version the Operator runs, or target: manifests", job.version.minor_str()),
                }),
        );
    }
    if matches!(job.program, crate::model::Program::Python(_)) && !job.image.release_known {
        // The Operator starts PyFlink from its jar, whose name carries the patch release.
        diags.push(
            src.key_error("python", format!("the Operator starts a Python job from opt/{}, whose name carries Flink's patch release, and which release {} runs is not known", job.version.python_jar(), job.image.reference))
                .help("write flinkVersion as the release the image runs (\"1.20.3\"), pin the official image's release, or set image.builtFrom"),
        );
    }
}

/// Fields only the Operator reads are refused on other targets rather than ignored.
fn operator_only_fields(src: &Source, job: &Job, diags: &mut Diagnostics) {
    if job.restart_nonce.is_some() || job.savepoint_trigger_nonce.is_some() {
        diags.push(
            src.key_error("operator", "`operator` asks the Flink Kubernetes Operator for a restart or a savepoint; nothing else reads it")
                .help("set target: operator, or remove it (with target: manifests, restart by applying a changed spec; take savepoints with `flink savepoint`)"),
        );
    }
    if job.upgrade_mode.is_some() {
        diags.push(
            src.error(
                "upgradeMode",
                "`upgradeMode` is read by the Flink Kubernetes Operator only",
            )
            .help("set target: operator, or remove it"),
        );
    }
}

/// Where each entry point can take the jar from. Flink 1.19 added artifact fetching
/// (`--jars` of `standalone-job`, remote `pipeline.jars` of native application clusters);
/// `flink run` reads only local files; the Operator fetches a FlinkSessionJob's jar itself.
/// Long because it is one match over jar form and entry point, each arm a rule with its reason.
pub fn jar_checks(src: &Source, spec: &JobSpec, job: &Job, diags: &mut Diagnostics) {
    // Python and SQL jobs start from jars the image has by construction (validate::program).
    let (Some(jar), crate::model::Program::Java) = (&job.jar, &job.program) else {
        return;
    };
    let field = if spec.jar_uri.is_some() {
        "jarUri"
    } else {
        "jar"
    };
    let session_job = matches!(job.kind, Kind::SessionJob(_));
    let fetches = job.version.at_least(1, 19);
    let v = job.version.minor_str();
    let err = |msg: String, help: &str| src.error(field, msg).help(help.to_string());
    match jar {
        Jar::Built(_) if session_job && job.is_operator() => diags.push(err(
            "a FlinkSessionJob's jar is fetched by the Operator, not taken from an image".into(),
            "publish the built jar and write its URI as jar, such as https://repo.example.com/jobs/my-job-1.0.jar",
        )),
        Jar::Built(_) if job.image.build.is_none() => diags.push(err(
            "a jar from the project is copied into an image flinkgen builds, but image.ref names an existing image".into(),
            "write jar: local:///<its path in that image>, or remove image.ref",
        )),
        Jar::Built(_) => usrlib_scan(src, job, diags),
        Jar::InImage(_) if session_job && job.is_operator() => diags.push(err(
            "the Operator fetches a FlinkSessionJob's jar itself; it cannot read a path inside an image".into(),
            "publish the jar and write its URI as jar (https://…, s3://…)",
        )),
        Jar::InImage(p) if !job.is_native() && !session_job && !fetches && !under(p, wiring::USRLIB) => {
            diags.push(err(
                format!("`standalone-job` of Flink {v} finds the job jar only in /opt/flink/usrlib/ (its --jars option came with 1.19)"),
                "put the jar under /opt/flink/usrlib/ in the image, use mode: native, or Flink 1.19 or later",
            ))
        }
        Jar::InImage(p) => {
            let official_only = job.image.build.is_some()
                && !session_job
                && spec.image.as_ref().is_none_or(|i| i.base.is_none());
            // The jar may also be on a volume of the JobManager, or copied in by image.files.
            let on_volume = job.job_manager.extras.mounts.keys().any(|m| under(p, m));
            let copied = job
                .image
                .build
                .iter()
                .flat_map(|b| &b.files)
                .any(|(_, to)| under(p, to));
            if official_only && !p.starts_with("/opt/flink/examples/") && !on_volume && !copied {
                diags.push(err(
                    format!("the built image is the official Flink image plus what the spec adds, which has no {p}"),
                    "name the image that has it with image.ref (or image.base), or give the jar's project path to copy it in",
                ));
            }
        }
        Jar::Remote(_) if session_job && !job.is_operator() => diags.push(err(
            "a session job is submitted with `flink run`, which reads the jar from a local file, not from a URI".into(),
            "give the jar's project path (copied into the submitter's image), run an image that has it (image.ref and jar: local:///…), or use target: operator, whose Operator fetches session jobs' jars",
        )),
        Jar::Remote(_) if session_job => {}
        Jar::Remote(_) if !fetches => diags.push(err(
            format!("Flink {v} cannot fetch the job jar: application clusters fetch remote jars from Flink 1.19 on"),
            "use Flink 1.19 or later, or give the jar's project path to build it into the image",
        )),
        Jar::Remote(u) => {
            let scheme = u.split("://").next().unwrap_or_default();
            let http = scheme == "http" || scheme == "https";
            if job.is_operator() && !job.is_native() && !http {
                // The Operator's standalone mode puts jarURI on pipeline.classpaths, which the
                // JVM opens as a URL: `unknown protocol: s3` in a crash loop (operator PR #1258).
                diags.push(err(
                    format!("the Operator's standalone mode loads jarURI as a Java URL, which cannot open `{scheme}://`"),
                    "use mode: native (Flink fetches the jar through its plugins), an https:// URL, or a jar inside the image",
                ));
                return;
            }
            if scheme == "http" {
                diags.push(
                    src.warning(field, "the jar is fetched over plain HTTP: anything on the way can swap it")
                        .help("use https://"),
                );
            } else if scheme != "https" {
                // The JobManager fetches it through its filesystem plugins.
                super::state::location(src, field, u, &job.plugins, diags);
            }
        }
    }
}

/// `standalone-job` without a job class scans usrlib/ for the one jar whose manifest names a
/// main class, and fails when it finds several: files copied there could add more.
fn usrlib_scan(src: &Source, job: &Job, diags: &mut Diagnostics) {
    if job.is_native() || job.entry_class.is_some() || !matches!(job.kind, Kind::Application) {
        return;
    }
    let files = job.image.build.iter().flat_map(|b| &b.files);
    for (from, to) in files {
        let into_usrlib = under(to, wiring::USRLIB);
        let may_hold_jars = from.ends_with('/') || from.ends_with(".jar") || to.ends_with(".jar");
        if into_usrlib && may_hold_jars {
            diags.push(
                src.error(
                    &format!("image.files.{from}"),
                    format!("`{from}` lands in /opt/flink/usrlib/, where standalone-job looks for the one jar with a main class; a second one fails the start"),
                )
                .help("set entryClass, or copy it outside /opt/flink/usrlib/"),
            );
        }
    }
}

/// What each upgrade mode needs to resume the job: checkpoints, savepoints, HA metadata.
fn upgrade_mode(
    src: &Source,
    job: &Job,
    cluster: Option<&Job>,
    mode: UpgradeMode,
    diags: &mut Diagnostics,
) {
    if !job.has_cluster() && cluster.is_none() {
        return;
    }
    if matches!(job.kind, Kind::SessionCluster) {
        diags.push(src.error("upgradeMode", "a session cluster has no job to upgrade"));
        return;
    }
    if mode == UpgradeMode::Stateless {
        return;
    }
    // A session job's state locations and HA may come from its cluster.
    let either = |f: &dyn Fn(&Job) -> bool| f(job) || cluster.is_some_and(f);
    let checkpoint_dir = either(&|j| {
        j.state
            .checkpoints
            .as_ref()
            .is_some_and(|c| c.dir.is_some())
    });
    let savepoint_dir = either(&|j| j.state.savepoint_dir.is_some());
    let ha = either(&|j| j.ha.is_some());
    let name = mode.as_str();
    if !checkpoint_dir {
        diags.push(
            src.error(
                "upgradeMode",
                format!("upgradeMode {name} needs a checkpoint directory"),
            )
            .help("set checkpoints.dir"),
        );
    }
    if mode == UpgradeMode::Savepoint && !savepoint_dir {
        diags.push(
            src.error(
                "upgradeMode",
                "upgradeMode savepoint needs a savepoint directory",
            )
            .help("set savepoints.dir"),
        );
    }
    if mode == UpgradeMode::LastState && !ha {
        diags.push(
            src.error(
                "upgradeMode",
                "upgradeMode last-state resumes from HA metadata, so it needs ha",
            )
            .help("add ha.storageDir, or use upgradeMode savepoint"),
        );
    }
}

/// Native mode passes program arguments in the Flink configuration, which must be able to
/// carry them (the legacy flink-conf.yaml cannot carry every string).
pub fn native_checks(src: &Source, job: &Job, diags: &mut Diagnostics) {
    if !job.has_cluster() || job.is_operator() || !job.is_native() {
        return;
    }
    if matches!(job.kind, Kind::SessionCluster) || job.args.is_empty() {
        return;
    }
    let args = Value::List(job.args.clone());
    if let Some(why) = config::unwritable(&args, job.version.config_format()) {
        let mut d = src.error(
            "args",
            format!("native mode passes program arguments in the Flink configuration: {why}"),
        );
        if job.version.config_format() == Format::Legacy {
            d = d.help(format!(
                "Flink {} reads flink-conf.yaml; use mode: standalone or Flink 1.19+",
                job.version.minor_str()
            ));
        }
        diags.push(d);
    }
}

/// Limited egress must still admit the API server for pods that call it; its address is the
/// cluster's, so only a rule for its usual ports (or every port) tells that one may.
pub fn egress_checks(src: &Source, job: &Job, diags: &mut Diagnostics) {
    let api_port = |r: &serde_json::Value| match r["ports"].as_array() {
        None => true,
        Some(ports) => ports
            .iter()
            .any(|p| p["port"] == 443 || p["port"] == 6443 || p.get("port").is_none()),
    };
    let admits_api = job
        .egress
        .as_ref()
        .is_some_and(|e| e.rules.iter().any(api_port));
    if job.egress.is_some() && job.calls_api() && !admits_api {
        diags.push(
            src.warning("networkPolicy.egress", "the pods call the Kubernetes API (native mode or HA), and limited egress does not admit the API server unless a rule here does")
                .help("add a rule to the API server's address and port: kubectl get endpoints kubernetes -n default"),
        );
    }
}
