//! RFC 9113 frame codec (placeholder, filled in by the frame codec work).
