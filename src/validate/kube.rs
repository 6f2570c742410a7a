//! Kubernetes objects users write inline (tolerations, affinity, network policy peers), read
//! with the API's own types so that a misspelt field is an error, not silently dropped.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::diag::Diagnostics;
use crate::load::Source;

/// Reads a Kubernetes object and refuses any field the API type does not know, so a typo in
/// an affinity fails here rather than being dropped by the API server.
pub fn typed<T: DeserializeOwned + Serialize>(
    src: &Source,
    field: &str,
    v: &crate::load::tree::Tree,
    diags: &mut Diagnostics,
) -> Option<serde_json::Value> {
    let json: serde_json::Value = match v.to_json() {
        Ok(j) => j,
        Err(e) => {
            diags.push(src.error(field, format!("cannot be read: {e}")));
            return None;
        }
    };
    let obj: T = match serde_json::from_value(json.clone()) {
        Ok(o) => o,
        Err(e) => {
            diags.push(src.error(field, format!("is not a valid {}: {e}", short_type::<T>())));
            return None;
        }
    };
    let back = serde_json::to_value(&obj).expect("API types serialize");
    if let Some(path) = dropped(&json, &back, "") {
        diags.push(
            src.key_error(
                &format!("{field}{path}"),
                format!("unknown field in {}", short_type::<T>()),
            )
            .help("see the Kubernetes API reference for the allowed fields"),
        );
        return None;
    }
    Some(back)
}

fn short_type<T>() -> &'static str {
    std::any::type_name::<T>()
        .rsplit("::")
        .next()
        .unwrap_or("object")
}

/// The first path present in `a` but lost in `b`.
pub fn dropped(a: &serde_json::Value, b: &serde_json::Value, path: &str) -> Option<String> {
    match (a, b) {
        (serde_json::Value::Object(x), serde_json::Value::Object(y)) => {
            x.iter().find_map(|(k, v)| match y.get(k) {
                None => Some(format!("{path}.{k}")),
                Some(w) => dropped(v, w, &format!("{path}.{k}")),
            })
        }
        (serde_json::Value::Array(x), serde_json::Value::Array(y)) => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (v, w))| dropped(v, w, &format!("{path}[{i}]"))),
        _ => None,
    }
}
