//! `metrics.prometheus`: Flink's Prometheus reporter on a named port of every JobManager and
//! TaskManager, scraped through a PodMonitor or pod annotations. Project defaults (also per
//! environment) lie under the spec's own settings.

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
    let from = super::kube::typed_list::<k8s_openapi::api::networking::v1::NetworkPolicyPeer>(
        src,
        &format!("{field}.prometheus.from"),
        &p.from,
        diags,
    );
    ok &= from.len() == p.from.len();
    ok &= scrape_durations(src, field, p, diags);
    for (n, l) in p.pod_target_labels.iter().enumerate() {
        if let Err(e) = units::label_key(l) {
            diags.push(src.error(&format!("{field}.prometheus.podTargetLabels[{n}]"), e));
            ok = false;
        }
    }
    let pod_monitor = p.pod_monitor.unwrap_or(false);
    let for_pod_monitor =
        p.interval.is_some() || p.scrape_timeout.is_some() || !p.pod_target_labels.is_empty();
    if !pod_monitor && for_pod_monitor {
        diags.push(
            src.key_error(
                &format!("{field}.prometheus"),
                "interval, scrapeTimeout and podTargetLabels configure the PodMonitor, and podMonitor is not set",
            )
            .help("add podMonitor: true, or remove them"),
        );
        ok = false;
    }
    ok.then(|| Metrics {
        port,
        pod_monitor: p.pod_monitor.unwrap_or(false),
        annotations: p.annotations.unwrap_or(false),
        labels: p.labels.clone(),
        from,
        interval: p.interval.clone(),
        scrape_timeout: p.scrape_timeout.clone(),
        pod_target_labels: p.pod_target_labels.clone(),
    })
}

/// The PodMonitor's interval and scrape timeout: Prometheus durations, the timeout at most the
/// interval.
fn scrape_durations(
    src: &Source,
    field: &str,
    p: &PrometheusSpec,
    diags: &mut Diagnostics,
) -> bool {
    let mut ok = true;
    let durations = [
        ("interval", &p.interval),
        ("scrapeTimeout", &p.scrape_timeout),
    ]
    .map(|(name, value)| (name, value.as_ref().map(|v| (v, prometheus_duration(v)))));
    for (name, value) in &durations {
        if let Some((v, None)) = value {
            diags.push(
                src.error(&format!("{field}.prometheus.{name}"), format!("`{v}` is not a Prometheus duration"))
                    .help("write a number with units from y, w, d, h, m, s, ms in that order, such as 30s or 1m30s"),
            );
            ok = false;
        }
    }
    // Prometheus refuses a configuration whose scrape timeout exceeds its interval
    // (`ScrapeConfig.Validate` in prometheus/config: "scrape timeout greater than scrape
    // interval"); the Prometheus Operator writes both from the PodMonitor as they are.
    if let [(_, Some((i, Some(interval)))), (_, Some((t, Some(timeout))))] = &durations {
        if timeout > interval {
            diags.push(
                src.error(&format!("{field}.prometheus.scrapeTimeout"), format!("a scrape timeout of {t} is longer than the scrape interval {i}; Prometheus refuses such a configuration"))
                    .help("make scrapeTimeout at most the interval"),
            );
            ok = false;
        }
    }
    ok
}

/// The Prometheus Operator's `Duration` pattern (the PodMonitor CRD's `interval`, kept in
/// tests/data/podmonitor-crd.json: `^(0|(([0-9]+)y)?(([0-9]+)w)?…(([0-9]+)ms)?)$`): units y,
/// w, d, h, m, s, ms, each at most once and in that order (`1h30m`, `30s`), or `0`; the empty
/// string, which the pattern also admits, is refused as a mistake. Returns the duration in
/// milliseconds.
fn prometheus_duration(text: &str) -> Option<u64> {
    if text == "0" {
        return Some(0);
    }
    if text.is_empty() {
        return None;
    }
    const UNITS: [&str; 7] = ["y", "w", "d", "h", "m", "s", "ms"];
    // Prometheus' own lengths (common/model's ParseDuration): a year is 365 days.
    const MILLIS: [u64; 7] = [
        31_536_000_000,
        604_800_000,
        86_400_000,
        3_600_000,
        60_000,
        1_000,
        1,
    ];
    let mut rest = text;
    let mut next = 0;
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        // The longest unit that fits: `ms` is not a minute followed by an `s`.
        let (i, unit) = UNITS
            .iter()
            .enumerate()
            .filter(|(_, u)| rest.starts_with(**u))
            .max_by_key(|(_, u)| u.len())?;
        if i < next {
            return None;
        }
        next = i + 1;
        total = total.checked_add(n.checked_mul(MILLIS[i])?)?;
        rest = &rest[unit.len()..];
    }
    Some(total)
}

/// Reporter options a spec may not set itself, since `metrics.prometheus` writes them.
pub fn owned(key: &str) -> bool {
    key.starts_with("metrics.reporter.prom.")
}

/// The reporter: the project's settings, the environment's, the spec's. A session job's
/// processes are its cluster's, so it has none of its own.
pub fn for_spec(
    cx: &super::subject::Subject,
    user_keys: &[String],
    diags: &mut Diagnostics,
) -> Option<crate::model::Metrics> {
    let super::subject::Subject {
        src,
        spec,
        env,
        defaults,
        ..
    } = *cx;
    if cx.cluster().is_some() {
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

#[cfg(test)]
mod tests {
    #[test]
    fn prometheus_durations() {
        for (ok, ms) in [
            ("0", 0),
            ("30s", 30_000),
            ("1m", 60_000),
            ("1m30s", 90_000),
            ("1h30m", 5_400_000),
            ("500ms", 500),
            ("1d12h", 129_600_000),
            ("2w", 1_209_600_000),
            ("1y", 31_536_000_000),
        ] {
            assert_eq!(super::prometheus_duration(ok), Some(ms), "{ok}");
        }
        for bad in ["", "30", "1s1m", "30 s", "1.5m", "1m1m", "s", "-1s", "1x"] {
            assert_eq!(super::prometheus_duration(bad), None, "{bad}");
        }
    }
}
