//! A JSON object of strings (`{"password": "Too short."}`), kept as its
//! pairs in order.

use std::fmt;

use serde::{
    Deserialize, Deserializer, Serialize, Serializer,
    de::{MapAccess, Visitor},
};

/// A small map from strings to strings that reads and writes as a JSON
/// object: the messages of a `422` by field, the browser's device tokens by
/// username. These hold one to a few keys, so a list of pairs does what a
/// map would, and the browser's WASM carries no B-tree or hash table code
/// for them (BENCHMARKS.md, "Page weight"). Keys are unique: `insert`
/// replaces, and when an object names a key twice the last value wins, as
/// it does for `serde_json` into a map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StringMap(Vec<(String, String)>);

impl StringMap {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Sets `key` to `value`, answering the value it replaced.
    pub fn insert(&mut self, key: String, value: String) -> Option<String> {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some((_, old)) => Some(std::mem::replace(old, value)),
            None => {
                self.0.push((key, value));
                None
            }
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<String> {
        let at = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(at).1)
    }

    /// The keys, in the order they were first inserted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }

    /// The values, in the order of their keys.
    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(_, v)| v.as_str())
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for StringMap {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Self {
        let mut map = Self::new();
        for (k, v) in pairs {
            map.insert(k.into(), v.into());
        }
        map
    }
}

impl Serialize for StringMap {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

impl<'de> Deserialize<'de> for StringMap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Pairs;

        impl<'de> Visitor<'de> for Pairs {
            type Value = StringMap;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of strings")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut object: A) -> Result<StringMap, A::Error> {
                let mut map = StringMap::new();
                while let Some((k, v)) = object.next_entry::<String, String>()? {
                    map.insert(k, v);
                }
                Ok(map)
            }
        }

        deserializer.deserialize_map(Pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_as_a_json_object_in_insertion_order() {
        let map: StringMap = [("username", "Taken."), ("password", "Too short.")]
            .into_iter()
            .collect();
        let json = serde_json::to_string(&map).unwrap();
        assert_eq!(json, r#"{"username":"Taken.","password":"Too short."}"#);
        assert_eq!(serde_json::from_str::<StringMap>(&json).unwrap(), map);
        assert_eq!(
            serde_json::from_str::<StringMap>("{}").unwrap(),
            StringMap::new()
        );
    }

    #[test]
    fn keys_are_unique_and_the_last_value_wins() {
        let map: StringMap = serde_json::from_str(r#"{"a":"1","b":"2","a":"3"}"#).unwrap();
        assert_eq!(map.keys().count(), 2);
        assert_eq!(map.get("a"), Some("3"));
        assert_eq!(map.keys().collect::<Vec<_>>(), ["a", "b"]);

        let mut map = map;
        assert_eq!(map.insert("b".into(), "4".into()), Some("2".into()));
        assert_eq!(map.remove("a"), Some("3".into()));
        assert_eq!(map.remove("a"), None);
        assert_eq!(map.values().collect::<Vec<_>>(), ["4"]);
    }

    #[test]
    fn anything_but_an_object_of_strings_is_refused() {
        for bad in [r#"["a","b"]"#, r#"{"a":1}"#, r#""a""#, "null"] {
            assert!(serde_json::from_str::<StringMap>(bad).is_err(), "{bad}");
        }
    }
}
