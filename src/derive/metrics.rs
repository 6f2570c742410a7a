//! Flink's Prometheus reporter (`metrics.prometheus`): the options that turn it on. Its checks
//! are `validate::metrics`; the container port and the scrapers' network rule are the
//! `metrics_port` and `metrics_ingress` macros of `templates/_macros.yaml.j2`.

use crate::flink::config::{Options, Value};
use crate::model::Job;

/// The factory both 1.x and 2.x ship in plugins/metrics-prometheus (read from their
/// distributions), on the spec's port.
pub fn options(job: &Job) -> Options {
    let mut o = Options::new();
    if let Some(m) = &job.metrics {
        o.insert(
            "metrics.reporter.prom.factory.class".into(),
            Value::Text("org.apache.flink.metrics.prometheus.PrometheusReporterFactory".into()),
        );
        o.insert(
            "metrics.reporter.prom.port".into(),
            Value::Text(m.port.to_string()),
        );
    }
    o
}
