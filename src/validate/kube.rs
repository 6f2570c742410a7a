//! Kubernetes objects users write inline (tolerations, affinity, network policy peers), read
//! with the API's own types so that a misspelt field is an error, not silently dropped.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::diag::Diagnostics;
use crate::load::Source;

/// Reads a Kubernetes object and refuses any field the API type does not know, so a typo in
/// an affinity fails here rather than being dropped by the API server.
/// Each item of a list read as a `T` (`typed`), at `field[i]`; the items that fail are
/// reported and left out, so a caller compares lengths to know whether all passed.
pub fn typed_list<T: DeserializeOwned + Serialize>(
    src: &Source,
    field: &str,
    items: &[crate::load::tree::Tree],
    diags: &mut Diagnostics,
) -> Vec<serde_json::Value> {
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| typed::<T>(src, &format!("{field}[{i}]"), item, diags))
        .collect()
}

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
    match round_trip::<T>(&json) {
        Ok(back) => Some(back),
        Err(Refusal::Invalid(e)) => {
            diags.push(src.error(field, format!("is not a valid {}: {e}", short_type::<T>())));
            None
        }
        Err(Refusal::Unknown(path)) => {
            diags.push(
                src.key_error(
                    &format!("{field}{path}"),
                    format!("unknown field in {}", short_type::<T>()),
                )
                .help("see the Kubernetes API reference for the allowed fields"),
            );
            None
        }
    }
}

/// Why an object is not its API type.
pub enum Refusal {
    /// It does not deserialize (a wrong type, a missing required field).
    Invalid(String),
    /// It has a field the type drops, at this path (`.spec.prots`).
    Unknown(String),
}

/// The object as its API type writes it back, or why it is not one: a field the type would
/// drop is as much an error as one it cannot read.
pub fn round_trip<T: DeserializeOwned + Serialize>(
    json: &serde_json::Value,
) -> Result<serde_json::Value, Refusal> {
    let obj: T =
        serde_json::from_value(json.clone()).map_err(|e| Refusal::Invalid(e.to_string()))?;
    let back = serde_json::to_value(&obj).expect("API types serialize");
    match dropped(json, &back, "") {
        Some(path) => Err(Refusal::Unknown(path)),
        None => Ok(back),
    }
}

fn short_type<T>() -> &'static str {
    std::any::type_name::<T>()
        .rsplit("::")
        .next()
        .unwrap_or("object")
}

/// The first path present in `a` but lost in `b`.
fn dropped(a: &serde_json::Value, b: &serde_json::Value, path: &str) -> Option<String> {
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
