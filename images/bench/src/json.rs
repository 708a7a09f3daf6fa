//! A small JSON value and pretty writer for `docs/bench/results.json` (the harness only writes
//! JSON, so no parser or serde is needed). Non-finite numbers become `null`.

use std::fmt::Write;

/// A JSON value; objects keep their insertion order.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    /// An object from `(key, value)` pairs.
    pub fn obj<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Json)>) -> Self {
        Json::Obj(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A string.
    pub fn str(text: impl Into<String>) -> Self {
        Json::Str(text.into())
    }

    /// A number, or `null` for `None`.
    pub fn opt(value: Option<f64>) -> Self {
        value.map_or(Json::Null, Json::Num)
    }

    /// An array of numbers.
    pub fn nums(values: &[f64]) -> Self {
        Json::Arr(values.iter().map(|&v| Json::Num(v)).collect())
    }

    /// The value as indented JSON text (two spaces), ending without a newline.
    pub fn to_pretty(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, 0);
        out
    }

    fn write(&self, out: &mut String, depth: usize) {
        let indent = |out: &mut String, depth: usize| {
            out.push('\n');
            out.extend(std::iter::repeat_n("  ", depth));
        };
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Num(n) if n.is_finite() => {
                let _ = write!(out, "{n}");
            }
            Json::Num(_) => out.push_str("null"),
            Json::Str(s) => write_str(out, s),
            Json::Arr(items) if items.is_empty() => out.push_str("[]"),
            Json::Arr(items) => {
                // Arrays of scalars stay on one line (the raw samples, the memory probes).
                let flat = items
                    .iter()
                    .all(|i| matches!(i, Json::Num(_) | Json::Null | Json::Bool(_)));
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                        if flat {
                            out.push(' ');
                        }
                    }
                    if !flat {
                        indent(out, depth + 1);
                    }
                    item.write(out, depth + 1);
                }
                if !flat {
                    indent(out, depth);
                }
                out.push(']');
            }
            Json::Obj(pairs) if pairs.is_empty() => out.push_str("{}"),
            Json::Obj(pairs) => {
                out.push('{');
                for (i, (key, value)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    indent(out, depth + 1);
                    write_str(out, key);
                    out.push_str(": ");
                    value.write(out, depth + 1);
                }
                indent(out, depth);
                out.push('}');
            }
        }
    }
}

fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_nested_values() {
        let value = Json::obj([
            ("name", Json::str("cold \"start\"\n\u{1}")),
            ("ok", Json::Bool(true)),
            ("none", Json::opt(None)),
            ("samples", Json::nums(&[1.5, 2.0, f64::NAN])),
            ("probe", Json::Arr(vec![Json::Num(8.0), Json::Bool(false)])),
            (
                "rows",
                Json::Arr(vec![Json::obj([("x", Json::Num(-3.25))])]),
            ),
            ("empty", Json::Obj(vec![])),
        ]);
        let expect = r#"{
  "name": "cold \"start\"\n\u0001",
  "ok": true,
  "none": null,
  "samples": [1.5, 2, null],
  "probe": [8, false],
  "rows": [
    {
      "x": -3.25
    }
  ],
  "empty": {}
}"#;
        assert_eq!(value.to_pretty(), expect);
    }

    #[test]
    fn scalars() {
        assert_eq!(Json::Num(1e21).to_pretty(), "1000000000000000000000");
        assert_eq!(Json::Num(f64::INFINITY).to_pretty(), "null");
        assert_eq!(Json::Arr(vec![]).to_pretty(), "[]");
        assert_eq!(Json::str("é\\").to_pretty(), "\"é\\\\\"");
    }
}
