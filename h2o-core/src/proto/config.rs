//! Settings and limits of one connection, as the state machine sees them.

/// Protocol settings we advertise and limits we enforce on one connection.
///
/// ```
/// use h2o_core::proto::ProtoConfig;
/// let cfg = ProtoConfig { initial_window_size: 4 << 20, ..ProtoConfig::default() };
/// assert!(cfg.validate().is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtoConfig {
    /// SETTINGS_HEADER_TABLE_SIZE we advertise (the server's HPACK encoder may use up to this).
    pub header_table_size: u32,
    /// Upper bound on the dynamic table our encoder uses, whatever the server allows.
    pub encoder_table_size: u32,
    /// SETTINGS_MAX_CONCURRENT_STREAMS we advertise (server-initiated streams; push is off).
    pub max_concurrent_streams: u32,
    /// SETTINGS_INITIAL_WINDOW_SIZE: the receive window of each stream.
    pub initial_window_size: u32,
    /// The receive window of the whole connection.
    pub connection_window_size: u32,
    /// SETTINGS_MAX_FRAME_SIZE we accept.
    pub max_frame_size: u32,
    /// SETTINGS_MAX_HEADER_LIST_SIZE we accept (decoded size, RFC 9113 §6.5.2).
    pub max_header_list_size: u32,
    /// CONTINUATION frames accepted per header block (counted, so empty ones cannot
    /// bypass the byte limit). `0` means: derived from the header list and frame sizes.
    pub max_continuation_frames: u32,
    /// Grow the receive windows from the measured bandwidth-delay product.
    pub adaptive_window: bool,
    /// Cap for the adaptive stream and connection windows (bounds buffered memory).
    pub max_adaptive_window: u32,
    /// Response bytes buffered for the caller (received, not yet consumed) up to which the
    /// *connection* window is replenished on receipt; beyond it, only on consumption. Stream
    /// windows are always replenished on consumption (per-stream backpressure). Returning
    /// connection credit early stops one unread stream from starving the others (a caller
    /// reading concurrent responses one after another would otherwise deadlock); the cap
    /// keeps the total bounded (stream windows bound it too: at the default 1 MiB stream window
    /// and 100 streams, 100 MiB, under the 128 MiB default). `0`: connection credit only on
    /// consumption.
    pub max_buffered_per_connection: usize,
    /// Requests waiting for a free stream slot beyond which submission fails.
    pub max_pending_requests: usize,
    /// Request body bytes buffered per stream before the caller is asked to wait.
    pub send_buffer_size: usize,
    /// The write buffer is filled with DATA up to this many bytes per flush.
    pub write_high_water: usize,
    /// Bytes the I/O driver makes room for in the read buffer before each socket read
    /// (when less than `min(8 KiB, this)` is free): the most one read can take in.
    pub read_buffer_size: usize,
    /// Early flush (I/O driver): when one socket read holds more than this many frames,
    /// the requests submitted while its first frames were handled (by callbacks of the
    /// responses they ended) are written once before the rest is processed, so the server
    /// works on them meanwhile instead of waiting for the whole read. 0 (the default)
    /// writes them after the read. One more write per large read: more CPU per request
    /// for more overlap with a server that would otherwise idle (one busy connection).
    pub early_flush_frames: usize,
    /// Streams we reset whose late frames are silently dropped (bounded memory).
    pub max_reset_streams_remembered: usize,
    /// Signal RFC 7540 priorities (weight, exclusive; dependency on the root) in HEADERS
    /// and schedule our DATA by weight within each urgency. Off by default: RFC 9113
    /// deprecates the dependency tree, and the RFC 9218 `priority` header is always sent.
    pub rfc7540_priorities: bool,
    /// Budgets against floods from the peer and cancellation storms from us.
    pub flood: super::FloodLimits,
}

impl Default for ProtoConfig {
    fn default() -> ProtoConfig {
        ProtoConfig {
            header_table_size: 4096,
            encoder_table_size: 4096,
            max_concurrent_streams: 100,
            initial_window_size: 1 << 20,
            connection_window_size: 8 << 20,
            max_frame_size: 16_384,
            max_header_list_size: 256 << 10,
            max_continuation_frames: 0,
            adaptive_window: true,
            max_adaptive_window: 32 << 20,
            max_buffered_per_connection: 128 << 20,
            max_pending_requests: 65_536,
            send_buffer_size: 256 << 10,
            write_high_water: 256 << 10,
            read_buffer_size: 64 << 10,
            early_flush_frames: 0,
            max_reset_streams_remembered: 1024,
            rfc7540_priorities: false,
            flood: super::FloodLimits::default(),
        }
    }
}

impl ProtoConfig {
    /// Checks every value against its RFC or sanity range; the error names the setting.
    pub fn validate(&self) -> Result<(), String> {
        let max_win = crate::frame::MAX_WINDOW_SIZE;
        let check = |ok: bool, what: &str| if ok { Ok(()) } else { Err(what.to_owned()) };
        check(
            self.initial_window_size <= max_win,
            "initial_window_size must be at most 2^31-1",
        )?;
        check(
            (65_535..=max_win).contains(&self.connection_window_size),
            "connection_window_size must be in 65535..=2^31-1",
        )?;
        check(
            (16_384..=16_777_215).contains(&self.max_frame_size),
            "max_frame_size must be in 16384..=16777215",
        )?;
        check(
            self.max_adaptive_window <= max_win,
            "max_adaptive_window must be at most 2^31-1",
        )?;
        check(
            self.max_header_list_size >= 1024,
            "max_header_list_size must be at least 1024",
        )?;
        check(self.send_buffer_size > 0, "send_buffer_size must be > 0")?;
        check(self.write_high_water > 0, "write_high_water must be > 0")?;
        Ok(())
    }

    /// CONTINUATION frames allowed per block: the configured value, or enough for a
    /// maximal header list in frames of our maximum size, plus slack.
    pub fn continuation_limit(&self) -> u32 {
        if self.max_continuation_frames > 0 {
            self.max_continuation_frames
        } else {
            self.max_header_list_size / self.max_frame_size.max(1) + 8
        }
    }
}
