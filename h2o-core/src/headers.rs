//! An ordered, case-insensitive multi-map of header fields, the shape HTTP/2 carries them in:
//! lowercase names, repeated names allowed, order kept.

use bytes::Bytes;

/// Header fields in order. Names are stored lowercase (HTTP/2 requires it); lookups ignore case.
///
/// ```
/// use h2o_core::Headers;
/// let mut h = Headers::new();
/// h.append("Accept", "text/html");
/// h.append("accept", "application/json");
/// assert_eq!(h.get("ACCEPT"), Some(&b"text/html"[..]));
/// assert_eq!(h.get_all("accept").count(), 2);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers {
    entries: Vec<(Bytes, Bytes)>,
}

impl Headers {
    /// An empty list.
    pub fn new() -> Headers {
        Headers::default()
    }

    /// An empty list with room for `n` fields.
    pub fn with_capacity(n: usize) -> Headers {
        Headers {
            entries: Vec::with_capacity(n),
        }
    }

    /// Appends a field, lowercasing the name if needed.
    pub fn append(&mut self, name: impl AsRef<[u8]>, value: impl Into<Bytes>) {
        let name = name.as_ref();
        let name = if name.iter().any(u8::is_ascii_uppercase) {
            Bytes::from(name.to_ascii_lowercase())
        } else {
            Bytes::copy_from_slice(name)
        };
        self.entries.push((name, value.into()));
    }

    /// Appends a field whose name is already lowercase (as decoded from the wire).
    pub(crate) fn push_raw(&mut self, name: Bytes, value: Bytes) {
        self.entries.push((name, value));
    }

    /// Replaces every field named `name` with one field.
    pub fn insert(&mut self, name: impl AsRef<[u8]>, value: impl Into<Bytes>) {
        self.remove(name.as_ref());
        self.append(name, value);
    }

    /// Removes every field named `name`; returns how many were removed.
    pub fn remove(&mut self, name: impl AsRef<[u8]>) -> usize {
        let name = name.as_ref();
        let before = self.entries.len();
        self.entries.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        before - self.entries.len()
    }

    /// The first value of `name`.
    pub fn get(&self, name: impl AsRef<[u8]>) -> Option<&[u8]> {
        let name = name.as_ref();
        self.entries
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }

    /// The first value of `name` as UTF-8 text, if it is valid UTF-8.
    pub fn get_str(&self, name: impl AsRef<[u8]>) -> Option<&str> {
        self.get(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// Every value of `name`, in order.
    pub fn get_all<'a>(&'a self, name: impl AsRef<[u8]> + 'a) -> impl Iterator<Item = &'a [u8]> {
        self.entries
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name.as_ref()))
            .map(|(_, v)| v.as_ref())
    }

    /// Whether a field named `name` is present.
    pub fn contains(&self, name: impl AsRef<[u8]>) -> bool {
        self.get(name).is_some()
    }

    /// All fields in order as (name, value).
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.entries.iter().map(|(n, v)| (n.as_ref(), v.as_ref()))
    }

    /// All fields as shared byte buffers (cheap to clone).
    pub fn entries(&self) -> &[(Bytes, Bytes)] {
        &self.entries
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<N: AsRef<[u8]>, V: Into<Bytes>> FromIterator<(N, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(iter: I) -> Headers {
        let mut h = Headers::new();
        for (n, v) in iter {
            h.append(n, v);
        }
        h
    }
}
