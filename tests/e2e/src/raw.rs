//! A scripted raw-frame HTTP/2 server for tests: it accepts connections on 127.0.0.1 and
//! hands each to a script that reads and writes frames directly (our own codec and HPACK
//! encoder), so tests can make a server stall, lie or misbehave on purpose.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::BytesMut;
use h2o_core::frame::{self, Frame, FrameDecoder, Settings, StreamId};
use h2o_core::hpack;

/// One accepted connection, from the server's side.
pub struct RawConn {
    pub stream: TcpStream,
    buf: BytesMut,
    dec: FrameDecoder,
    enc: hpack::Encoder,
}

impl RawConn {
    /// Reads the 24-byte client preface; panics if it is wrong.
    pub fn read_preface(&mut self) {
        let mut p = [0u8; 24];
        self.stream.read_exact(&mut p).expect("read preface");
        assert_eq!(&p, frame::PREFACE, "client preface");
    }

    /// Reads the next frame (None on EOF or timeout).
    pub fn read_frame(&mut self) -> Option<Frame> {
        loop {
            match self.dec.decode(&mut self.buf) {
                Ok(Some(f)) => return Some(f),
                Ok(None) => {}
                Err(e) => panic!("client sent a bad frame: {e}"),
            }
            let mut chunk = [0u8; 16384];
            match self.stream.read(&mut chunk) {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Reads frames until one matches `pred`, returning it.
    pub fn read_until(&mut self, mut pred: impl FnMut(&Frame) -> bool) -> Option<Frame> {
        while let Some(f) = self.read_frame() {
            if pred(&f) {
                return Some(f);
            }
        }
        None
    }

    /// Writes frames.
    pub fn send(&mut self, frames: &[Frame]) {
        let mut out = BytesMut::new();
        for f in frames {
            f.encode(&mut out);
        }
        self.send_raw(&out);
    }

    /// Reads request HEADERS frames until `n` requests have arrived; returns their stream ids.
    pub fn read_requests(&mut self, n: usize) -> Vec<u32> {
        let mut ids = Vec::new();
        while ids.len() < n {
            match self.read_frame() {
                Some(Frame::Headers(h)) => ids.push(h.stream_id.value()),
                Some(_) => {}
                None => break,
            }
        }
        ids
    }

    /// Answers stream `id` with 200 and `body`.
    pub fn respond(&mut self, id: u32, body: &[u8]) {
        let len = body.len().to_string();
        let mut out = self.headers(id, &[(":status", "200"), ("content-length", &len)], false);
        frame::encode_data_head(StreamId::new(id), body.len() as u32, true, &mut out);
        out.extend_from_slice(body);
        self.send_raw(&out);
    }

    /// Writes raw bytes.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        let _ = self.stream.write_all(bytes);
    }

    /// Empty server SETTINGS then a SETTINGS ACK: a normal server handshake.
    pub fn handshake(&mut self) {
        self.read_preface();
        self.send(&[
            Frame::Settings(Settings::default()),
            Frame::Settings(Settings::ack()),
        ]);
    }

    /// A HEADERS frame carrying `fields` (HPACK-encoded by this connection's encoder).
    pub fn headers(&mut self, stream: u32, fields: &[(&str, &str)], end_stream: bool) -> BytesMut {
        let mut block = BytesMut::new();
        self.enc.encode(
            fields.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())),
            &mut block,
        );
        let mut out = BytesMut::new();
        frame::encode_header_block(
            StreamId::new(stream),
            &block,
            end_stream,
            None,
            frame::DEFAULT_MAX_FRAME_SIZE,
            &mut out,
        );
        out
    }
}

/// A listening scripted server; each accepted connection runs `script` on its own thread.
/// It listens until [`stop`](Self::stop) (dropping it does not stop it).
pub struct RawServer {
    pub port: u16,
    addr: std::net::SocketAddr,
    stop: Arc<AtomicBool>,
    _accept: JoinHandle<()>,
}

impl RawServer {
    /// Starts listening on 127.0.0.1 (ephemeral port).
    pub fn start(script: impl Fn(RawConn) + Send + Sync + 'static) -> RawServer {
        RawServer::start_on("127.0.0.1:0", script)
    }

    /// Starts listening on `addr` (e.g. `"[::1]:0"`).
    pub fn start_on(addr: &str, script: impl Fn(RawConn) + Send + Sync + 'static) -> RawServer {
        let listener = TcpListener::bind(addr).expect("bind");
        let addr = listener.local_addr().unwrap();
        let script = Arc::new(script);
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let accept = std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
                let script = script.clone();
                std::thread::spawn(move || {
                    script(RawConn {
                        stream,
                        buf: BytesMut::new(),
                        dec: FrameDecoder::new(),
                        enc: hpack::Encoder::new(),
                    })
                });
            }
        });
        RawServer {
            port: addr.port(),
            addr,
            stop,
            _accept: accept,
        }
    }

    /// Stops accepting and closes the listener (connections already accepted go on).
    /// For long-lived processes that start many servers (`hostile_server`).
    ///
    /// ```no_run
    /// let server = h2o_e2e::raw::RawServer::start(|mut c| c.handshake());
    /// server.stop();
    /// ```
    pub fn stop(&self) {
        if !self.stop.swap(true, Ordering::SeqCst) {
            // Wakes the accept loop, which sees the flag and drops the listener.
            let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}
