//! Opening the byte stream to an origin: DNS through the system resolver (off the
//! runtime thread), TCP with TCP_NODELAY, IPv4 and IPv6, then TLS for `https://`.

use std::net::{IpAddr, SocketAddr};

use tokio::net::TcpStream;

use super::tls::{self, TlsIo};
use crate::client::config::TlsConfig;
use crate::error::{Error, ErrorKind, Processed, Result};
use crate::pool::OriginKey;

/// TCP, then the TLS handshake (ALPN `h2`, certificate checks) per `cfg`.
pub(crate) async fn tls(origin: &OriginKey, cfg: &TlsConfig) -> Result<TlsIo> {
    let tcp = tcp(origin).await?;
    tls::handshake(tcp, &origin.host, cfg).await
}

/// Connects to the first address of `origin` that answers.
pub(crate) async fn tcp(origin: &OriginKey) -> Result<TcpStream> {
    let addrs: Vec<SocketAddr> = match origin.host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, origin.port)],
        Err(_) => tokio::net::lookup_host((&*origin.host, origin.port))
            .await
            .map_err(|e| connect_error(format!("cannot resolve {}: {e}", origin.host)))?
            .collect(),
    };
    let mut last = None;
    for addr in &addrs {
        match TcpStream::connect(addr).await {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => last = Some(format!("connect to {addr}: {e}")),
        }
    }
    Err(connect_error(last.unwrap_or_else(|| {
        format!("{} resolved to no addresses", origin.host)
    })))
}

fn connect_error(msg: String) -> Error {
    Error::new(ErrorKind::Connect, msg).with_processed(Processed::No)
}
