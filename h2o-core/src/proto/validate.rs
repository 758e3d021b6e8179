//! Response field validation (RFC 9113 §8.2, §8.3.2): a malformed response is a stream
//! error of type PROTOCOL_ERROR. Runs per field while HPACK decodes, so nothing is
//! collected twice.

use bytes::Bytes;

use crate::headers::Headers;
use crate::hpack::Header;
use crate::request::is_connection_specific;

/// Bytes allowed in a regular field name: visible ASCII except uppercase (RFC 9113 §8.2.1).
static NAME_OK: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0x21;
    while b < 0x7f {
        t[b] = !(b >= 0x41 && b <= 0x5a) && b != b':' as usize;
        b += 1;
    }
    t
};

/// Whether this block is a response head (or 1xx) or a trailer section.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Section {
    Head,
    Trailers,
}

/// Accumulates one decoded field block and remembers the first rule it breaks.
pub(crate) struct FieldCollector {
    section: Section,
    pub status: Option<u16>,
    pub headers: Headers,
    pub content_length: Option<u64>,
    pub malformed: Option<&'static str>,
    seen_regular: bool,
}

impl FieldCollector {
    pub fn new(section: Section) -> FieldCollector {
        FieldCollector {
            section,
            status: None,
            headers: Headers::with_capacity(8),
            content_length: None,
            malformed: None,
            seen_regular: false,
        }
    }

    fn fail(&mut self, why: &'static str) {
        if self.malformed.is_none() {
            self.malformed = Some(why);
        }
    }

    /// Takes one decoded field; returns whether it passed the checks that depend on the
    /// field alone (characters, connection-specific names, `te`), which the HPACK decoder
    /// remembers for an indexed field: `vetted` says such a field passed them before.
    pub fn push(&mut self, field: Header, vetted: bool) -> bool {
        if self.malformed.is_some() {
            return false;
        }
        let name: &[u8] = &field.name;
        if name.first() == Some(&b':') {
            self.pseudo(name, field.value);
            return false;
        }
        self.seen_regular = true;
        if !vetted {
            if let Err(why) = check_field(name, &field.value) {
                self.fail(why);
                return false;
            }
        }
        if name == b"content-length" && self.section == Section::Head {
            match parse_content_length(&field.value) {
                Some(n) if self.content_length.is_none_or(|c| c == n) => {
                    self.content_length = Some(n)
                }
                _ => {
                    self.fail("invalid or conflicting content-length");
                    return true;
                }
            }
        }
        self.headers.push_raw(field.name, field.value);
        true
    }

    fn pseudo(&mut self, name: &[u8], value: Bytes) {
        if self.section == Section::Trailers {
            return self.fail("pseudo-header field in trailers");
        }
        if self.seen_regular {
            return self.fail("pseudo-header field after a regular field");
        }
        if name != b":status" {
            return self.fail("request or unknown pseudo-header field in a response");
        }
        if self.status.is_some() {
            return self.fail("duplicate :status");
        }
        match parse_status(&value) {
            Some(s) => self.status = Some(s),
            None => self.fail(":status is not a 3-digit code"),
        }
    }
}

/// The rules of RFC 9113 §8.2.1-8.2.2 that depend on one field alone.
fn check_field(name: &[u8], value: &[u8]) -> Result<(), &'static str> {
    if name.is_empty() || !name.iter().all(|&b| NAME_OK[b as usize]) {
        return Err("invalid character in field name (uppercase, space or control)");
    }
    if value.iter().any(|&b| b == 0 || b == b'\r' || b == b'\n') {
        return Err("field value contains NUL, CR or LF");
    }
    if matches!(value.first(), Some(b' ' | b'\t')) || matches!(value.last(), Some(b' ' | b'\t')) {
        return Err("field value has leading or trailing whitespace");
    }
    if is_connection_specific(name) {
        return Err("connection-specific header field in response");
    }
    if name == b"te" && value != b"trailers" {
        return Err("te header with a value other than trailers");
    }
    Ok(())
}

fn parse_status(v: &[u8]) -> Option<u16> {
    match v {
        [a @ b'1'..=b'9', b @ b'0'..=b'9', c @ b'0'..=b'9'] => {
            Some((a - b'0') as u16 * 100 + (b - b'0') as u16 * 10 + (c - b'0') as u16)
        }
        _ => None,
    }
}

fn parse_content_length(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 19 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    v.iter().try_fold(0u64, |n, &d| {
        n.checked_mul(10)?.checked_add((d - b'0') as u64)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(n: &'static str, v: &'static str) -> Header {
        Header {
            name: Bytes::from_static(n.as_bytes()),
            value: Bytes::from_static(v.as_bytes()),
            never_index: false,
        }
    }

    fn collect(section: Section, fields: &[(&'static str, &'static str)]) -> FieldCollector {
        let mut c = FieldCollector::new(section);
        for (n, v) in fields {
            c.push(field(n, v), false);
        }
        c
    }

    #[test]
    fn good_head() {
        let c = collect(
            Section::Head,
            &[(":status", "200"), ("content-length", "5"), ("x-a", "b c")],
        );
        assert_eq!(c.malformed, None);
        assert_eq!(c.status, Some(200));
        assert_eq!(c.content_length, Some(5));
        assert_eq!(c.headers.len(), 2);
    }

    #[test]
    fn each_rule_is_enforced() {
        let cases: &[(Section, &[(&'static str, &'static str)])] = &[
            (Section::Head, &[(":status", "200"), (":status", "200")]),
            (Section::Head, &[(":status", "20")]),
            (Section::Head, &[(":status", "abc")]),
            (Section::Head, &[(":path", "/")]),
            (Section::Head, &[("x", "1"), (":status", "200")]),
            (Section::Head, &[(":status", "200"), ("X-Upper", "1")]),
            (Section::Head, &[(":status", "200"), ("a b", "1")]),
            (
                Section::Head,
                &[(":status", "200"), ("connection", "close")],
            ),
            (
                Section::Head,
                &[(":status", "200"), ("transfer-encoding", "chunked")],
            ),
            (Section::Head, &[(":status", "200"), ("te", "gzip")]),
            (Section::Head, &[(":status", "200"), ("x", "a\nb")]),
            (Section::Head, &[(":status", "200"), ("x", " a")]),
            (
                Section::Head,
                &[(":status", "200"), ("content-length", "1x")],
            ),
            (
                Section::Head,
                &[
                    (":status", "200"),
                    ("content-length", "1"),
                    ("content-length", "2"),
                ],
            ),
            (Section::Trailers, &[(":status", "200")]),
        ];
        for (section, fields) in cases {
            let c = collect(*section, fields);
            assert!(c.malformed.is_some(), "{fields:?} should be malformed");
        }
    }
}
