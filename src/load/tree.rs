//! Free-form parts of a spec (`flinkConfig`, inline Kubernetes objects), as written: a small
//! tree of YAML's plain data, so that later stages work on input without naming a YAML crate.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

#[derive(Debug, Clone, PartialEq, Default)]
pub enum Tree {
    #[default]
    Null,
    Bool(bool),
    Int(i64),
    /// Integers beyond i64 and every other number.
    Float(f64),
    Text(String),
    List(Vec<Tree>),
    /// Keys in the order written; any scalar may be a key in YAML.
    Map(Vec<(Tree, Tree)>),
}

impl Tree {
    pub fn is_null(&self) -> bool {
        matches!(self, Tree::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Tree::Text(s) => Some(s),
            _ => None,
        }
    }

    /// A scalar as text (`1`, `true`, `a`); collections and null have none.
    pub fn scalar_text(&self) -> Option<String> {
        match self {
            Tree::Text(s) => Some(s.clone()),
            Tree::Int(i) => Some(i.to_string()),
            Tree::Float(f) => Some(float_text(*f)),
            Tree::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A map's value under a text key.
    pub fn get(&self, key: &str) -> Option<&Tree> {
        match self {
            Tree::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value at a path of map keys (`["spec", "template", "spec"]`).
    pub fn at(&self, path: &[&str]) -> Option<&Tree> {
        path.iter().try_fold(self, |t, k| t.get(k))
    }

    /// A list's items; nothing for any other value.
    pub fn items(&self) -> &[Tree] {
        match self {
            Tree::List(items) => items,
            _ => &[],
        }
    }

    /// The list under `key` of a map; nothing when it is missing or not a list.
    pub fn list(&self, key: &str) -> &[Tree] {
        self.get(key).map_or(&[], Tree::items)
    }

    /// A map's entries; nothing for any other value.
    pub fn entries(&self) -> &[(Tree, Tree)] {
        match self {
            Tree::Map(entries) => entries,
            _ => &[],
        }
    }

    /// Sets `key` of a map (replacing a value there, else appending), turning null into a map.
    pub fn set(&mut self, key: &str, value: Tree) {
        if self.is_null() {
            *self = Tree::Map(Vec::new());
        }
        if let Tree::Map(entries) = self {
            match entries.iter_mut().find(|(k, _)| k.as_str() == Some(key)) {
                Some((_, v)) => *v = value,
                None => entries.push((Tree::Text(key.to_string()), value)),
            }
        }
    }

    /// The map at `key`, created empty when missing, for building nested values in order.
    pub fn child(&mut self, key: &str) -> &mut Tree {
        if self.get(key).is_none() {
            self.set(key, Tree::Map(Vec::new()));
        }
        match self {
            Tree::Map(entries) => {
                let at = entries
                    .iter()
                    .position(|(k, _)| k.as_str() == Some(key))
                    .expect("just set");
                &mut entries[at].1
            }
            _ => unreachable!("set made it a map"),
        }
    }

    /// The same data as JSON, for the Kubernetes API types; a key that is not text cannot be
    /// a field name.
    pub fn to_json(&self) -> Result<serde_json::Value, String> {
        use serde_json::Value as J;
        Ok(match self {
            Tree::Null => J::Null,
            Tree::Bool(b) => J::Bool(*b),
            Tree::Int(i) => J::from(*i),
            Tree::Float(f) => serde_json::Number::from_f64(*f)
                .map(J::Number)
                .ok_or_else(|| format!("{f} is not a finite number"))?,
            Tree::Text(s) => J::String(s.clone()),
            Tree::List(items) => {
                J::Array(items.iter().map(Tree::to_json).collect::<Result<_, _>>()?)
            }
            Tree::Map(entries) => {
                let mut m = serde_json::Map::new();
                for (k, v) in entries {
                    let Tree::Text(k) = k else {
                        return Err(format!(
                            "the key `{}` is not text",
                            k.scalar_text().unwrap_or_default()
                        ));
                    };
                    m.insert(k.clone(), v.to_json()?);
                }
                J::Object(m)
            }
        })
    }
}

/// A float as YAML writes it back (`1.0`, `1e20`): the shortest text that reads back the same.
fn float_text(f: f64) -> String {
    if f.is_finite() {
        ryu::Buffer::new().format_finite(f).to_string()
    } else {
        f.to_string()
    }
}

impl serde::Serialize for Tree {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Tree::Null => s.serialize_unit(),
            Tree::Bool(b) => s.serialize_bool(*b),
            Tree::Int(i) => s.serialize_i64(*i),
            Tree::Float(f) => s.serialize_f64(*f),
            Tree::Text(t) => s.serialize_str(t),
            Tree::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for x in items {
                    seq.serialize_element(x)?;
                }
                seq.end()
            }
            Tree::Map(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Tree {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Tree;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_unit<E>(self) -> Result<Tree, E> {
                Ok(Tree::Null)
            }
            fn visit_none<E>(self) -> Result<Tree, E> {
                Ok(Tree::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Tree, D::Error> {
                Tree::deserialize(d)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Tree, E> {
                Ok(Tree::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Tree, E> {
                Ok(Tree::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Tree, E> {
                Ok(i64::try_from(v).map_or(Tree::Float(v as f64), Tree::Int))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Tree, E> {
                Ok(Tree::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Tree, E> {
                Ok(Tree::Text(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Tree, E> {
                Ok(Tree::Text(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Tree, A::Error> {
                let mut items = Vec::new();
                while let Some(x) = a.next_element()? {
                    items.push(x);
                }
                Ok(Tree::List(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Tree, A::Error> {
                let mut entries = Vec::new();
                while let Some((k, v)) = a.next_entry()? {
                    entries.push((k, v));
                }
                Ok(Tree::Map(entries))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_converts() {
        let t: Tree = serde_yaml::from_str("a: [1, 2.0, x, true, ~]\n3: {b: c}\n").unwrap();
        let Tree::Map(entries) = &t else { panic!() };
        assert_eq!(entries[0].0, Tree::Text("a".into()));
        assert_eq!(entries[1].0.scalar_text().as_deref(), Some("3"));
        assert_eq!(Tree::Float(2.0).scalar_text().as_deref(), Some("2.0"));
        assert!(t.to_json().is_err(), "a number key is not a field name");
    }
}
