//! A scalar written as a string or a number. YAML reads `1.20` as the number 1.2 and `0.5` as a
//! float, so fields that are text for Flink (versions, sizes, cpu) keep how the value was written
//! and validation decides whether a bare number is acceptable.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};

#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[serde(untagged)]
pub enum Scalar {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl Scalar {
    /// The value as Flink or Kubernetes would read it when written unquoted.
    pub fn as_text(&self) -> String {
        match self {
            Scalar::Text(s) => s.clone(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Bool(b) => b.to_string(),
        }
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Text(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Scalar, E> {
                i64::try_from(v)
                    .map(Scalar::Int)
                    .map_err(|_| E::custom("number is too large"))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar::Float(v))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar::Bool(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// A count that leaves flinkgen as a Kubernetes `int32` or a Java `int` (replicas, slots,
/// parallelism, checkpoint counters): larger values are refused at load, where the position
/// is known, instead of being written out for the API server or Flink to reject.
pub fn int32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let v: Option<u64> = Option::deserialize(d)?;
    match v {
        None => Ok(None),
        Some(n) if n <= i32::MAX as u64 => Ok(Some(n as u32)),
        Some(n) => Err(serde::de::Error::custom(format!(
            "{n} is too large: Kubernetes and Flink keep this as a 32-bit integer (at most {})",
            i32::MAX
        ))),
    }
}

/// `int32` for a field that must be given.
pub fn int32_required<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let n = u64::deserialize(d)?;
    u32::try_from(n)
        .ok()
        .filter(|n| *n <= i32::MAX as u32)
        .ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{n} is too large: Kubernetes and Flink keep this as a 32-bit integer (at most {})",
                i32::MAX
            ))
        })
}
