//! Duplicate keys in JSON are errors.
//!
//! `serde_json` keeps the last of two equal keys when it fills a map (a `BTreeMap` of
//! overrides, a `serde_json::Value`), so `{"aortic_root": {...}, "aortic_root": {...}}` would
//! silently drop the first. Derived structs already refuse a repeated field; maps do not.
//! [`check_no_duplicate_keys`] walks any JSON document once, before the typed parse, and
//! refuses the first key that appears twice in the same object, naming its path
//! (`patient.compartment.aortic_root`) and its line and column. TOML needs no such check: the
//! TOML grammar itself forbids defining a key twice, and the `toml` parser enforces it.
//!
//! Reusable for any JSON the crate (or a front end over it) reads: [`from_str`] is
//! `serde_json::from_str` with the check in front.

use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use std::collections::HashSet;
use std::fmt;

/// Refuses a JSON document in which an object holds the same key twice. Syntax errors are
/// reported as `serde_json` reports them; the document is otherwise not interpreted.
pub fn check_no_duplicate_keys(text: &str) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    Walk {
        path: String::new(),
    }
    .deserialize(&mut de)?;
    de.end()
}

/// `serde_json::from_str` that first refuses duplicate keys ([`check_no_duplicate_keys`]).
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, serde_json::Error> {
    check_no_duplicate_keys(text)?;
    serde_json::from_str(text)
}

/// One value of the document, at `path` (empty at the root).
struct Walk {
    path: String,
}

impl Walk {
    fn child(&self, key: &str) -> Walk {
        Walk {
            path: if self.path.is_empty() {
                key.to_string()
            } else {
                format!("{}.{key}", self.path)
            },
        }
    }
}

impl<'de> DeserializeSeed<'de> for Walk {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        while seq
            .next_element_seed(Walk {
                path: format!("{}[{i}]", self.path),
            })?
            .is_some()
        {
            i += 1;
        }
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let child = self.child(&key);
            if !seen.insert(key) {
                return Err(de::Error::custom(format_args!(
                    "duplicate key `{}`: each key may appear once in an object",
                    child.path
                )));
            }
            map.next_value_seed(child)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_key_is_named_with_its_path() {
        let e = check_no_duplicate_keys(
            r#"{"patient": {"compartment": {"aortic_root": {"compliance_ml_per_mmhg": 0.2},
                "aortic_root": {"compliance_ml_per_mmhg": 0.3}}}}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("duplicate key `patient.compartment.aortic_root`"),
            "{e}"
        );
        assert!(e.contains("line 2"), "{e}");
        let e = check_no_duplicate_keys(r#"{"events": [{"at_s": 1}, {"at_s": 2, "at_s": 3}]}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`events[1].at_s`"), "{e}");
    }

    #[test]
    fn equal_keys_in_different_objects_and_valid_documents_pass() {
        check_no_duplicate_keys(r#"{"a": {"x": 1}, "b": {"x": [1, {"x": null}]}, "x": "x"}"#)
            .unwrap();
        check_no_duplicate_keys("[]").unwrap();
        check_no_duplicate_keys("3.5").unwrap();
    }

    #[test]
    fn syntax_errors_and_trailing_text_are_errors() {
        assert!(check_no_duplicate_keys(r#"{"a": 1"#).is_err());
        assert!(check_no_duplicate_keys(r#"{"a": 1} x"#).is_err());
        // Nesting deeper than serde_json's recursion limit is an error, not a stack overflow.
        let deep = "[".repeat(100_000);
        assert!(check_no_duplicate_keys(&deep).is_err());
    }

    #[test]
    fn from_str_parses_after_the_check() {
        let v: std::collections::BTreeMap<String, i32> = from_str(r#"{"a": 1, "b": 2}"#).unwrap();
        assert_eq!(v.len(), 2);
        let r: Result<std::collections::BTreeMap<String, i32>, _> = from_str(r#"{"a": 1, "a": 2}"#);
        assert!(r.unwrap_err().to_string().contains("duplicate key `a`"));
    }
}
