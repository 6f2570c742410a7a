//! `metrics.prometheus`: Flink's Prometheus reporter on a named port of every JobManager and
//! TaskManager, scraped through a PodMonitor or pod annotations. Project defaults (also per
//! environment) lie under the spec's own settings.

use super::job::Environment;
use super::Defaults;
use crate::load::spec::JobSpec;

use super::units;
use crate::derive::wiring;
use crate::diag::Diagnostics;
use crate::load::pod::{MetricsSpec, PrometheusSpec};
use crate::load::Source;
use crate::model::Metrics;

/// The reporter's default port, as Flink's documentation and the charts use it.
pub const DEFAULT_PORT: u32 = 9249;

/// Checks one place's settings (`field` is where they are written).
pub fn metrics(
    src: &Source,
    field: &str,
    m: &MetricsSpec,
    diags: &mut Diagnostics,
) -> Option<Metrics> {
    let p: &PrometheusSpec = m.prometheus.as_ref()?;
    let mut ok = true;
    let port = p.port.unwrap_or(DEFAULT_PORT);
    let taken = [
        wiring::RPC_PORT,
        wiring::BLOB_PORT,
        wiring::TM_RPC_PORT,
        wiring::REST_PORT,
    ];
    if !(1024..=65535).contains(&port) || taken.contains(&i64::from(port)) {
        diags.push(
            src.error(&format!("{field}.prometheus.port"), format!("{port} cannot be the metrics port"))
                .help("use a free port from 1024 to 65535 other than 6122, 6123, 6124 and 8081; the default is 9249"),
        );
        ok = false;
    }
    for (k, v) in &p.labels {
        if let Err(e) = units::label_key(k).and_then(|_| units::label_value(v)) {
            diags.push(src.key_error(&format!("{field}.prometheus.labels.{k}"), e));
            ok = false;
        }
    }
    let from: Vec<serde_json::Value> = p
        .from
        .iter()
        .enumerate()
        .filter_map(|(i, peer)| {
            let f = format!("{field}.prometheus.from[{i}]");
            super::kube::typed::<k8s_openapi::api::networking::v1::NetworkPolicyPeer>(
                src, &f, peer, diags,
            )
        })
        .collect();
    ok &= from.len() == p.from.len();
    ok.then(|| Metrics {
        port,
        pod_monitor: p.pod_monitor.unwrap_or(false),
        annotations: p.annotations.unwrap_or(false),
        labels: p.labels.clone(),
        from,
    })
}

/// Reporter options a spec may not set itself, since `metrics.prometheus` writes them.
pub fn owned(key: &str) -> bool {
    key.starts_with("metrics.reporter.prom.")
}

/// The reporter: the project's settings, the environment's, the spec's. A session job's
/// processes are its cluster's, so it has none of its own.
pub fn for_spec(
    src: &Source,
    spec: &JobSpec,
    session_job: bool,
    env: Option<&Environment>,
    defaults: &Defaults,
    user_keys: &[String],
    diags: &mut Diagnostics,
) -> Option<crate::model::Metrics> {
    if session_job {
        return None;
    }
    let env_metrics = env.and_then(|e| defaults.env_metrics.get(e.name));
    let merged = super::layered(
        [
            defaults.metrics.as_ref(),
            env_metrics,
            spec.metrics.as_ref(),
        ],
        MetricsSpec::overlay,
    )?;
    let m = super::metrics::metrics(src, "metrics", &merged, diags)?;
    if !m.from.is_empty() && spec.network_policy.is_none() {
        diags.push(
            src.warning("metrics.prometheus.from", "`from` admits scrapers through the network policy, and the spec has none; every pod can reach the metrics port")
                .help("add networkPolicy: {} to restrict the pods' ingress"),
        );
    }
    super::options::taken_by(
        src,
        user_keys,
        super::metrics::owned,
        "metrics.prometheus",
        "set the port with metrics.prometheus.port; other reporters take another name than `prom`",
        diags,
    );
    // The official images carry the reporter in plugins/metrics-prometheus; another image is
    // trusted to.
    let image = spec.image.as_ref();
    let own_image = image
        .and_then(|i| i.reference.as_deref().or(i.base.as_deref()))
        .is_some_and(|r| !super::image::is_official(r));
    if own_image {
        diags.push(
            src.warning("metrics", "the image is not the official Flink image; flinkgen trusts it to have the Prometheus reporter in plugins/metrics-prometheus")
                .help("keep the official image's plugins/ folder in yours, or the reporter fails to load at start"),
        );
    }
    Some(m)
}
