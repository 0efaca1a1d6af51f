//! Mutations shared by the targets: edits of a JSON tree (the form every seed is edited in,
//! TOML included) and raw text edits of the serialised file.

use proptest::prelude::*;
use serde_json::Value;

/// One step of a path into a JSON tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Seg {
    /// Object key.
    Key(String),
    /// Array index.
    Index(usize),
}

/// Paths of every leaf (number, string, bool, null, empty container) of `v`.
pub fn leaves(v: &Value) -> Vec<Vec<Seg>> {
    fn walk(v: &Value, path: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
        match v {
            Value::Object(m) if !m.is_empty() => {
                for (k, x) in m {
                    path.push(Seg::Key(k.clone()));
                    walk(x, path, out);
                    path.pop();
                }
            }
            Value::Array(a) if !a.is_empty() => {
                for (i, x) in a.iter().enumerate() {
                    path.push(Seg::Index(i));
                    walk(x, path, out);
                    path.pop();
                }
            }
            _ => out.push(path.clone()),
        }
    }
    let mut out = Vec::new();
    walk(v, &mut Vec::new(), &mut out);
    out
}

/// The value at `path`, if any.
pub fn get_mut<'a>(v: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    let mut cur = v;
    for s in path {
        cur = match (s, cur) {
            (Seg::Key(k), Value::Object(m)) => m.get_mut(k)?,
            (Seg::Index(i), Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Removes the leaf at `path` (an object key or an array element).
pub fn remove(v: &mut Value, path: &[Seg]) {
    let Some((last, parent)) = path.split_last() else {
        return;
    };
    match (last, get_mut(v, parent)) {
        (Seg::Key(k), Some(Value::Object(m))) => {
            m.remove(k);
        }
        (Seg::Index(i), Some(Value::Array(a))) if *i < a.len() => {
            a.remove(*i);
        }
        _ => {}
    }
}

/// Numbers that find edges: zero, signs, tiny and huge magnitudes, round values, and a wide
/// spread of ordinary ones.
pub fn edge_number() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => prop::sample::select(vec![
            0.0, -0.0, 1e-12, 1e-6, 1e-3, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 0.9, 0.99, 1.0,
            1.5, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 40.0, 60.0, 100.0, 150.0, 200.0, 250.0, 300.0,
            500.0, 1000.0, 2000.0, 5000.0, 1e4, 1e6, 1e9, 1e15, 1e300, -1.0, -0.5, -100.0,
            -1e9, -1e300, f64::MIN_POSITIVE, f64::MAX, f64::MIN,
        ]),
        2 => -10.0f64..10.0,
        2 => 0.0f64..1.0,
        2 => 0.0f64..500.0,
        1 => -1e6f64..1e6,
    ]
}

/// An edit of a number already in the file.
#[derive(Debug, Clone)]
pub enum NumEdit {
    /// Replace by this value.
    Set(f64),
    /// Multiply by this factor.
    Scale(f64),
}

/// A [`NumEdit`].
pub fn num_edit() -> impl Strategy<Value = NumEdit> {
    prop_oneof![
        edge_number().prop_map(NumEdit::Set),
        prop::sample::select(vec![0.0, 0.1, 0.5, 0.9, 0.99, 1.01, 1.1, 2.0, 10.0, -1.0])
            .prop_map(NumEdit::Scale),
        (0.0f64..3.0).prop_map(NumEdit::Scale),
    ]
}

/// Applies a [`NumEdit`] to a JSON value (non-numbers become the set value, or 1 × factor).
pub fn apply_num(v: &mut Value, e: &NumEdit) {
    let x = match e {
        NumEdit::Set(x) => *x,
        NumEdit::Scale(f) => v.as_f64().unwrap_or(1.0) * f,
    };
    // JSON has no NaN or infinity: those come from text edits (`ReplaceNumber`).
    *v = serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number);
}

/// A raw edit of the file text.
#[derive(Debug, Clone)]
pub enum TextEdit {
    /// Delete `len` bytes at `at` (modulo the length).
    Delete {
        /// Position.
        at: u32,
        /// Bytes.
        len: u8,
    },
    /// Insert bytes at `at`.
    Insert {
        /// Position.
        at: u32,
        /// Bytes (any, invalid UTF-8 included).
        bytes: Vec<u8>,
    },
    /// Repeat a line (duplicate keys, repeated tables).
    DuplicateLine {
        /// Line (modulo the count).
        line: u32,
    },
    /// Swap two lines.
    SwapLines {
        /// First line.
        a: u32,
        /// Second line.
        b: u32,
    },
    /// Replace the n-th number of the text by a token (`nan`, `inf`, `1e999`...).
    ReplaceNumber {
        /// Which number (modulo the count).
        nth: u32,
        /// The token.
        token: &'static str,
    },
    /// Cut the text at `at`.
    Truncate {
        /// Position.
        at: u32,
    },
}

/// A [`TextEdit`].
pub fn text_edit() -> impl Strategy<Value = TextEdit> {
    prop_oneof![
        (any::<u32>(), 1u8..16).prop_map(|(at, len)| TextEdit::Delete { at, len }),
        (
            any::<u32>(),
            prop_oneof![
                prop::collection::vec(any::<u8>(), 1..8),
                prop::sample::select(vec![
                    b"\"".to_vec(),
                    b"[".to_vec(),
                    b"{".to_vec(),
                    b"\n[[events]]\n".to_vec(),
                    b",".to_vec(),
                    b"=".to_vec(),
                    b"\\u0000".to_vec(),
                    b"\xff\xfe".to_vec(),
                    b"9".repeat(400),
                ]),
            ]
        )
            .prop_map(|(at, bytes)| TextEdit::Insert { at, bytes }),
        any::<u32>().prop_map(|line| TextEdit::DuplicateLine { line }),
        (any::<u32>(), any::<u32>()).prop_map(|(a, b)| TextEdit::SwapLines { a, b }),
        (
            any::<u32>(),
            prop::sample::select(vec![
                "nan",
                "inf",
                "-inf",
                "+inf",
                "1e999",
                "-1e999",
                "1e-400",
                "-0.0",
                "0",
                "1e308",
                "18446744073709551616",
                "-9223372036854775809",
                "0x10",
                "1_000",
                "\"5\"",
                "true",
                "[]",
                "{}",
            ])
        )
            .prop_map(|(nth, token)| TextEdit::ReplaceNumber { nth, token }),
        any::<u32>().prop_map(|at| TextEdit::Truncate { at }),
    ]
}

/// Applies text edits in order; the result is read as UTF-8 with invalid bytes replaced (the
/// readers take text).
pub fn apply_text(text: &str, edits: &[TextEdit]) -> String {
    let mut b = text.as_bytes().to_vec();
    for e in edits {
        let n = b.len().max(1);
        match e {
            TextEdit::Delete { at, len } => {
                let at = *at as usize % n;
                let end = (at + *len as usize).min(b.len());
                if at < end {
                    b.drain(at..end);
                }
            }
            TextEdit::Insert { at, bytes } => {
                let at = (*at as usize % (b.len() + 1)).min(b.len());
                b.splice(at..at, bytes.iter().copied());
            }
            TextEdit::DuplicateLine { line } => {
                let s = String::from_utf8_lossy(&b).into_owned();
                let mut lines: Vec<&str> = s.lines().collect();
                if !lines.is_empty() {
                    let i = *line as usize % lines.len();
                    lines.insert(i, lines[i]);
                }
                b = (lines.join("\n") + "\n").into_bytes();
            }
            TextEdit::SwapLines { a, b: bb } => {
                let s = String::from_utf8_lossy(&b).into_owned();
                let mut lines: Vec<&str> = s.lines().collect();
                if !lines.is_empty() {
                    let (i, j) = (*a as usize % lines.len(), *bb as usize % lines.len());
                    lines.swap(i, j);
                }
                b = (lines.join("\n") + "\n").into_bytes();
            }
            TextEdit::ReplaceNumber { nth, token } => {
                let s = String::from_utf8_lossy(&b).into_owned();
                let spans = number_spans(&s);
                if !spans.is_empty() {
                    let (x, y) = spans[*nth as usize % spans.len()];
                    b = format!("{}{}{}", &s[..x], token, &s[y..]).into_bytes();
                }
            }
            TextEdit::Truncate { at } => {
                let at = *at as usize % n;
                b.truncate(at);
            }
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

/// Byte spans of the numbers in `s` (digits with an optional sign, point and exponent, not
/// inside a word).
fn number_spans(s: &str) -> Vec<(usize, usize)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let word_before = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        if b[i].is_ascii_digit() && !word_before {
            let start = if i > 0 && b[i - 1] == b'-' { i - 1 } else { i };
            let mut j = i;
            while j < b.len()
                && (b[j].is_ascii_digit()
                    || b[j] == b'.'
                    || b[j] == b'e'
                    || b[j] == b'E'
                    || ((b[j] == b'-' || b[j] == b'+') && matches!(b[j - 1], b'e' | b'E')))
            {
                j += 1;
            }
            out.push((start, j));
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_and_edits_reach_nested_values() {
        let mut v: Value =
            serde_json::from_str(r#"{"a": {"b": 1, "c": [2, {"d": 3}]}, "e": "x"}"#).unwrap();
        let l = leaves(&v);
        assert_eq!(l.len(), 4);
        let d = l
            .iter()
            .find(|p| p.last() == Some(&Seg::Key("d".into())))
            .unwrap();
        apply_num(get_mut(&mut v, d).unwrap(), &NumEdit::Set(7.5));
        assert_eq!(v["a"]["c"][1]["d"], 7.5);
        remove(&mut v, &[Seg::Key("e".into())]);
        assert!(v.get("e").is_none());
    }

    #[test]
    fn text_edits_replace_numbers_and_duplicate_lines() {
        let t = "a = 1.5\nb = -2e3\nname_2 = \"x\"\n";
        let r = apply_text(
            t,
            &[TextEdit::ReplaceNumber {
                nth: 1,
                token: "nan",
            }],
        );
        assert_eq!(r, "a = 1.5\nb = nan\nname_2 = \"x\"\n");
        let r = apply_text(t, &[TextEdit::DuplicateLine { line: 0 }]);
        assert!(r.starts_with("a = 1.5\na = 1.5\n"));
    }
}
