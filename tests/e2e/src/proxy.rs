//! A TCP fault proxy the tests own, between the client and a real server on 127.0.0.1.
//! Each accepted connection takes the next fault from a list (then passes traffic through),
//! so a test can break the first connection and check that the client recovers on the next.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// What to do to one connection (applied to server→client bytes unless noted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Forward everything.
    Pass,
    /// Close both sides at once, before forwarding any byte.
    DropBeforeAnyByte,
    /// Forward this many server bytes, then close both sides.
    DropAfter(usize),
    /// Delay every server chunk by this many milliseconds.
    DelayMs(u64),
    /// Forward this many server bytes, then forward nothing more and keep the sockets open.
    StallAfter(usize),
    /// Forward this many server bytes, then shut down the write half towards the client.
    HalfCloseAfter(usize),
}

/// The proxy; it listens until dropped with the test process.
pub struct FaultProxy {
    pub port: u16,
    faults: Arc<Mutex<Vec<Fault>>>,
    accepted: Arc<Mutex<usize>>,
}

impl FaultProxy {
    /// Proxies to `upstream` (host:port); connection i gets `faults[i]`, later ones `Pass`.
    pub fn start(upstream: std::net::SocketAddr, faults: Vec<Fault>) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let faults = Arc::new(Mutex::new(faults));
        let accepted = Arc::new(Mutex::new(0usize));
        let (f2, a2) = (faults.clone(), accepted.clone());
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let fault = {
                    let mut n = a2.lock().unwrap();
                    let f = f2.lock().unwrap().get(*n).copied().unwrap_or(Fault::Pass);
                    *n += 1;
                    f
                };
                thread::spawn(move || serve(client, upstream, fault));
            }
        });
        FaultProxy {
            port,
            faults,
            accepted,
        }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        *self.accepted.lock().unwrap()
    }

    /// Replaces the fault list (for connections not yet accepted).
    pub fn set_faults(&self, faults: Vec<Fault>) {
        *self.faults.lock().unwrap() = faults;
    }
}

fn serve(client: TcpStream, upstream: std::net::SocketAddr, fault: Fault) {
    let _ = client.set_nodelay(true);
    if fault == Fault::DropBeforeAnyByte {
        let _ = client.shutdown(Shutdown::Both);
        return;
    }
    let Ok(server) = TcpStream::connect(upstream) else {
        return;
    };
    let _ = server.set_nodelay(true);
    // client -> server: always forwarded.
    let (mut c_read, mut s_write) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    thread::spawn(move || {
        let mut buf = [0u8; 16384];
        while let Ok(n) = c_read.read(&mut buf) {
            if n == 0 || s_write.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = s_write.shutdown(Shutdown::Write);
    });
    // server -> client: the fault applies here.
    let (mut s_read, mut c_write) = (server, client);
    let mut sent = 0usize;
    let mut buf = [0u8; 16384];
    loop {
        let n = match s_read.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let limit = match fault {
            Fault::DropAfter(l) | Fault::StallAfter(l) | Fault::HalfCloseAfter(l) => Some(l),
            _ => None,
        };
        if let Fault::DelayMs(ms) = fault {
            thread::sleep(Duration::from_millis(ms));
        }
        let take = limit.map_or(n, |l| n.min(l.saturating_sub(sent)));
        if take > 0 && c_write.write_all(&buf[..take]).is_err() {
            break;
        }
        sent += take;
        if limit.is_some_and(|l| sent >= l) {
            match fault {
                Fault::DropAfter(_) => {
                    let _ = c_write.shutdown(Shutdown::Both);
                    let _ = s_read.shutdown(Shutdown::Both);
                    return;
                }
                Fault::HalfCloseAfter(_) => {
                    let _ = c_write.shutdown(Shutdown::Write);
                    // Keep reading the server so it does not block; forward nothing.
                    while matches!(s_read.read(&mut buf), Ok(n) if n > 0) {}
                    return;
                }
                Fault::StallAfter(_) => {
                    // Swallow the server's bytes; the client hears nothing more.
                    while matches!(s_read.read(&mut buf), Ok(n) if n > 0) {}
                    return;
                }
                _ => {}
            }
        }
    }
    let _ = c_write.shutdown(Shutdown::Write);
}
