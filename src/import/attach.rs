//! The objects around a plain cluster's workloads (Services, Ingress, account, monitor,
//! network policy, disruption budget, autoscaler), joined to the cluster whose pods they
//! select or whose Services they name.

use crate::load::tree::Tree;

use super::draft::Draft;
use super::objects::Obj;
use super::plain::Workload;

/// Whether a selector (`matchLabels` or a Service's plain map) picks pods with these labels.
fn selects(selector: Option<&Tree>, labels: &[(String, String)]) -> bool {
    let Some(sel) = selector else {
        return false;
    };
    let sel = sel.get("matchLabels").unwrap_or(sel);
    let wanted: Vec<(String, String)> = sel
        .entries()
        .iter()
        .filter_map(|(k, v)| Some((k.scalar_text()?, v.scalar_text()?)))
        .collect();
    !wanted.is_empty() && wanted.iter().all(|w| labels.contains(w))
}

/// Services, Ingress, account, monitor, policy and budget of a cluster, found by the pods
/// they select or the Services they name. Long because each kind joins in its own way.
pub(super) fn attach(
    objs: &[Obj],
    used: &mut [bool],
    jm: &Workload,
    tm: Option<&Workload>,
    d: &mut Draft,
) {
    let tm_labels: &[(String, String)] = tm.map_or(&[], |t| &t.labels);
    let mut services = Vec::new();
    for (i, o) in objs.iter().enumerate() {
        if used[i] {
            continue;
        }
        let sel = o.at(&["spec", "selector"]);
        let jm_pods = selects(sel, &jm.labels);
        let tm_pods = selects(sel, tm_labels);
        match o.kind.as_str() {
            "Service" if jm_pods || tm_pods => {
                used[i] = true;
                services.push(o.name.clone());
                let ty = o
                    .text(&["spec", "type"])
                    .unwrap_or_else(|| "ClusterIP".into());
                let ports: Vec<&Tree> = o
                    .at(&["spec", "ports"])
                    .map(Tree::items)
                    .unwrap_or(&[])
                    .iter()
                    .collect();
                let rest = ports
                    .iter()
                    .find(|p| p.get("port").and_then(Tree::scalar_text).as_deref() == Some("8081"));
                if jm_pods && ty != "ClusterIP" {
                    if let Some(p) = rest {
                        d.put(&["rest", "type"], Tree::Text(ty.clone()));
                        if let Some(np) = p.get("nodePort") {
                            d.put(&["rest", "nodePort"], np.clone());
                        }
                        if let Some(a) = o.at(&["metadata", "annotations"]) {
                            d.put(&["rest", "annotations"], a.clone());
                        }
                        continue;
                    }
                }
                if tm_pods && ty != "ClusterIP" {
                    d.warn(o.warning("spec.type", format!("the {ty} Service {} exposes TaskManager ports (queryable state); flinkgen writes no such Service: add it through `resources` if something still uses it", o.name)));
                } else if !jm_pods && o.text(&["spec", "clusterIP"]).as_deref() != Some("None") {
                    d.warn(o.warning("metadata.name", format!("the Service {} selects the TaskManagers; flinkgen writes no such Service: add it through `resources` if something uses it", o.name)));
                }
            }
            "PodDisruptionBudget" if tm_pods => {
                used[i] = true;
                for k in ["maxUnavailable", "minAvailable"] {
                    if let Some(v) = o.at(&["spec", k]) {
                        d.put(&["podDisruptionBudget", k], v.clone());
                    }
                }
            }
            "PodDisruptionBudget" if jm_pods => {
                used[i] = true;
                d.warn(o.warning("spec.selector", format!("the PodDisruptionBudget {} covers the JobManager; flinkgen's podDisruptionBudget covers the TaskManagers only (a single JobManager is restarted by its Deployment, and HA keeps standbys): not imported", o.name)));
            }
            "NetworkPolicy"
                if selects(o.at(&["spec", "podSelector"]), &jm.labels)
                    || selects(o.at(&["spec", "podSelector"]), tm_labels) =>
            {
                used[i] = true;
                d.spec.child("networkPolicy");
                d.warn(o.warning("spec", format!("the NetworkPolicy {} is replaced by flinkgen's (the cluster's own pods, the REST port from `networkPolicy.restFrom`, the metrics port from `metrics.prometheus.from`): move its peers there", o.name)));
            }
            "PodMonitor"
                if selects(o.at(&["spec", "selector"]), &jm.labels)
                    || selects(o.at(&["spec", "selector"]), tm_labels) =>
            {
                used[i] = true;
                let prom = d.spec.child("metrics").child("prometheus");
                prom.set("podMonitor", Tree::Bool(true));
                if let Some(ep) = o
                    .at(&["spec", "podMetricsEndpoints"])
                    .and_then(|e| e.items().first())
                {
                    for k in ["interval", "scrapeTimeout"] {
                        if let Some(v) = ep.get(k) {
                            prom.set(k, v.clone());
                        }
                    }
                }
                if let Some(l) = o.at(&["metadata", "labels"]) {
                    prom.set("labels", l.clone());
                }
            }
            "HorizontalPodAutoscaler"
                if tm.is_some_and(|t| {
                    o.text(&["spec", "scaleTargetRef", "name"]).as_deref()
                        == Some(t.obj.name.as_str())
                }) =>
            {
                used[i] = true;
                d.warn(o.warning("spec", "the TaskManagers' HorizontalPodAutoscaler is imported only with reactive mode (`scheduler-mode: reactive`): see taskManager.autoscaler"));
                if let (Some(min), Some(max)) = (
                    o.at(&["spec", "minReplicas"]),
                    o.at(&["spec", "maxReplicas"]),
                ) {
                    d.put(&["taskManager", "autoscaler", "minReplicas"], min.clone());
                    d.put(&["taskManager", "autoscaler", "maxReplicas"], max.clone());
                }
            }
            _ => {}
        }
    }
    let account = d
        .spec
        .at(&["serviceAccount", "name"])
        .and_then(Tree::scalar_text);
    for (i, o) in objs.iter().enumerate() {
        if used[i] {
            continue;
        }
        match o.kind.as_str() {
            "Ingress" => {
                let backends: Vec<String> = o
                    .at(&["spec", "rules"])
                    .map(Tree::items)
                    .unwrap_or(&[])
                    .iter()
                    .flat_map(|r| {
                        r.at(&["http", "paths"])
                            .map(Tree::items)
                            .unwrap_or(&[])
                            .iter()
                    })
                    .filter_map(|p| {
                        p.at(&["backend", "service", "name"])
                            .and_then(Tree::scalar_text)
                    })
                    .collect();
                if !backends.iter().any(|b| services.contains(b)) {
                    continue;
                }
                used[i] = true;
                if let Some(rule) = o.at(&["spec", "rules"]).and_then(|r| r.items().first()) {
                    if let Some(h) = rule.get("host") {
                        d.put(&["ingress", "host"], h.clone());
                    }
                    if let Some(p) = rule
                        .at(&["http", "paths"])
                        .and_then(|p| p.items().first())
                        .and_then(|p| p.get("path"))
                    {
                        d.put(&["ingress", "path"], p.clone());
                    }
                } else {
                    d.spec.child("ingress");
                }
                if let Some(c) = o.at(&["spec", "ingressClassName"]) {
                    d.put(&["ingress", "className"], c.clone());
                }
                if let Some(s) = o
                    .at(&["spec", "tls"])
                    .and_then(|t| t.items().first())
                    .and_then(|t| t.get("secretName"))
                {
                    d.put(&["ingress", "tlsSecret"], s.clone());
                }
                if let Some(a) = o.at(&["metadata", "annotations"]) {
                    d.put(&["ingress", "annotations"], a.clone());
                }
            }
            "ServiceAccount" if account.as_deref() == Some(o.name.as_str()) => {
                used[i] = true;
                d.put(&["serviceAccount", "create"], Tree::Bool(true));
                if let Some(a) = o.at(&["metadata", "annotations"]) {
                    d.put(&["serviceAccount", "annotations"], a.clone());
                }
            }
            "RoleBinding" => {
                let binds = o
                    .at(&["subjects"])
                    .map(Tree::items)
                    .unwrap_or(&[])
                    .iter()
                    .any(|s| {
                        s.get("kind").and_then(Tree::as_str) == Some("ServiceAccount")
                            && s.get("name").and_then(Tree::scalar_text) == account
                    });
                if !binds {
                    continue;
                }
                used[i] = true;
                let role = o.text(&["roleRef", "name"]).unwrap_or_default();
                if let Some(r) = objs.iter().position(|x| x.is("Role") && x.name == role) {
                    used[r] = true;
                }
                d.warn(o.warning("roleRef", format!("the RoleBinding {} (Role {role}) is replaced by the least RBAC flinkgen writes for what the cluster does (HA, native mode): check the account needs nothing else", o.name)));
            }
            _ => {}
        }
    }
}
