//! A minimal JSON writer for the metrics snapshot and the debug dump (the core has no
//! serde dependency; the output is small and its shape fixed).

use std::fmt::Write as _;

/// Appends JSON to a `String`; commas are inserted automatically.
#[derive(Default)]
pub(crate) struct JsonWriter {
    buf: String,
    need_comma: bool,
}

impl JsonWriter {
    pub fn new() -> JsonWriter {
        JsonWriter::default()
    }

    pub fn finish(self) -> String {
        self.buf
    }

    fn sep(&mut self) {
        if self.need_comma {
            self.buf.push(',');
        }
    }

    pub fn begin_object(&mut self) -> &mut Self {
        self.sep();
        self.buf.push('{');
        self.need_comma = false;
        self
    }

    pub fn end_object(&mut self) -> &mut Self {
        self.buf.push('}');
        self.need_comma = true;
        self
    }

    pub fn begin_array(&mut self) -> &mut Self {
        self.sep();
        self.buf.push('[');
        self.need_comma = false;
        self
    }

    pub fn end_array(&mut self) -> &mut Self {
        self.buf.push(']');
        self.need_comma = true;
        self
    }

    /// An object key; the next call writes its value.
    pub fn key(&mut self, k: &str) -> &mut Self {
        self.sep();
        write_escaped(&mut self.buf, k);
        self.buf.push(':');
        self.need_comma = false;
        self
    }

    pub fn str(&mut self, v: &str) -> &mut Self {
        self.sep();
        write_escaped(&mut self.buf, v);
        self.need_comma = true;
        self
    }

    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.sep();
        let _ = write!(self.buf, "{v}");
        self.need_comma = true;
        self
    }

    pub fn i64(&mut self, v: i64) -> &mut Self {
        self.sep();
        let _ = write!(self.buf, "{v}");
        self.need_comma = true;
        self
    }

    /// A finite number, or `null` for NaN and infinities (JSON has neither).
    pub fn f64(&mut self, v: f64) -> &mut Self {
        self.sep();
        if v.is_finite() {
            let _ = write!(self.buf, "{v}");
        } else {
            self.buf.push_str("null");
        }
        self.need_comma = true;
        self
    }

    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.sep();
        self.buf.push_str(if v { "true" } else { "false" });
        self.need_comma = true;
        self
    }

    pub fn null(&mut self) -> &mut Self {
        self.sep();
        self.buf.push_str("null");
        self.need_comma = true;
        self
    }

    pub fn opt_u64(&mut self, v: Option<u64>) -> &mut Self {
        match v {
            Some(v) => self.u64(v),
            None => self.null(),
        }
    }

    pub fn field_u64(&mut self, k: &str, v: u64) -> &mut Self {
        self.key(k).u64(v)
    }

    pub fn field_str(&mut self, k: &str, v: &str) -> &mut Self {
        self.key(k).str(v)
    }

    pub fn field_f64(&mut self, k: &str, v: f64) -> &mut Self {
        self.key(k).f64(v)
    }

    pub fn field_bool(&mut self, k: &str, v: bool) -> &mut Self {
        self.key(k).bool(v)
    }
}

fn write_escaped(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
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
    fn writes_valid_json() {
        let mut w = JsonWriter::new();
        w.begin_object()
            .field_str("a\"b", "x\ny\u{1}")
            .field_u64("n", 3)
            .field_f64("nan", f64::NAN)
            .key("list")
            .begin_array()
            .u64(1)
            .i64(-2)
            .begin_object()
            .end_object()
            .end_array()
            .field_bool("t", true)
            .key("none")
            .opt_u64(None)
            .end_object();
        let s = w.finish();
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["a\"b"], "x\ny\u{1}");
        assert_eq!(v["n"], 3);
        assert!(v["nan"].is_null());
        assert_eq!(v["list"][1], -2);
        assert_eq!(v["t"], true);
        assert!(v["none"].is_null());
    }
}
