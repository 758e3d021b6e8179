//! RFC 7541 HPACK (placeholder, filled in by the HPACK work).
