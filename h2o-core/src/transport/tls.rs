//! TLS over the TCP stream: rustls with the ring provider, ALPN `h2` only, SNI from the host
//! name (none for IP literals, whose IP SAN is verified), the system trust store plus
//! [`TlsConfig::ca_file`], SPKI pinning, CRLs and client certificates.
//!
//! Every failure here happens before a byte of any request is written, so the errors carry
//! `Processed::No`. With TLS 1.3 a server that requires a client certificate can only refuse
//! it after the client finished its handshake; when the server asked for one, the handshake
//! waits for the server's first records (session tickets or SETTINGS) before the
//! connection is used, so a refusal is a TLS error too rather than a failed request.

use std::cell::Cell;
use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{
    CertificateDer, CertificateRevocationListDer, PrivateKeyDer, ServerName, UnixTime,
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::client::{ResolvesClientCert, WebPkiServerVerifier};
use tokio_rustls::rustls::crypto::{self, WebPkiSupportedAlgorithms};
use tokio_rustls::rustls::sign::CertifiedKey;
use tokio_rustls::rustls::{
    self, AlertDescription, CertificateError, ClientConfig, DigitallySignedStruct, ProtocolVersion,
    RootCertStore, SignatureScheme,
};
use tokio_rustls::TlsConnector;

use crate::client::config::TlsConfig;
use crate::error::{Error, ErrorKind, Processed, Result};

/// A TLS connection to an origin.
pub(crate) type TlsStream = tokio_rustls::client::TlsStream<TcpStream>;

/// The TLS stream as the driver uses it. tokio-rustls' `poll_write` accepts bytes into
/// rustls' buffer and returns `Ready` even when the socket would block, leaving encrypted
/// records behind that only a later `poll_write` or `poll_flush` sends. The driver flushes
/// only in a pass that wrote something, so buffered records could wait forever; here every
/// read and write first pushes out what rustls still holds (registering for writability if
/// the socket is full), so any pass of the driver makes that progress.
pub(crate) struct TlsIo(TlsStream);

impl TlsIo {
    fn flush_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.0.get_ref().1.wants_write() {
            Pin::new(&mut self.0).poll_flush(cx)
        } else {
            Poll::Ready(Ok(()))
        }
    }
}

impl AsyncRead for TlsIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // A write error surfaces on the write side.
        let _ = this.flush_pending(cx);
        Pin::new(&mut this.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Poll::Ready(Err(e)) = this.flush_pending(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut this.0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

/// The rustls configuration built from a [`TlsConfig`], once (shared by every connection of
/// a client). Clones start empty, and it takes no part in comparisons.
#[derive(Default)]
pub(crate) struct TlsCache(OnceLock<Result<Arc<ClientConfig>, String>>);

impl Clone for TlsCache {
    fn clone(&self) -> TlsCache {
        TlsCache::default()
    }
}

impl PartialEq for TlsCache {
    fn eq(&self, _: &TlsCache) -> bool {
        true
    }
}

impl Eq for TlsCache {}

impl fmt::Debug for TlsCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.0.get() {
            None => "not built",
            Some(Ok(_)) => "built",
            Some(Err(_)) => "failed",
        };
        f.write_str(state)
    }
}

/// The client's rustls configuration, built on first use.
pub(crate) fn client_config(tls: &TlsConfig) -> Result<Arc<ClientConfig>, String> {
    tls.built.0.get_or_init(|| build(tls)).clone()
}

fn build(tls: &TlsConfig) -> Result<Arc<ClientConfig>, String> {
    let provider = Arc::new(crypto::ring::default_provider());
    let webpki = if tls.danger_accept_invalid_certs {
        None
    } else {
        let roots = Arc::new(roots(tls)?);
        let crls = tls
            .crl_files
            .iter()
            .map(|p| load_crls(p))
            .collect::<Result<Vec<_>, _>>()?;
        let builder = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
            .with_crls(crls.into_iter().flatten())
            .allow_unknown_revocation_status();
        Some(builder.build().map_err(|e| format!("tls: {e}"))?)
    };
    let verifier = Arc::new(Verifier {
        webpki,
        pins: tls.pins.clone(),
        algs: provider.signature_verification_algorithms,
    });
    let key = match (&tls.client_cert, &tls.client_key) {
        (Some(cert), Some(key)) => {
            let chain = load_certs(cert, "tls_client_cert")?;
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| format!("tls_client_key {}: {e}", key.display()))?;
            let signer = provider
                .key_provider
                .load_private_key(key)
                .map_err(|e| format!("tls_client_key: {e}"))?;
            Some(Arc::new(CertifiedKey::new(chain, signer)))
        }
        _ => None,
    };
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("tls: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_cert_resolver(Arc::new(ClientCert(key)));
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

fn roots(tls: &TlsConfig) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    if tls.use_system_roots {
        let found = rustls_native_certs::load_native_certs();
        let (added, ignored) = roots.add_parsable_certificates(found.certs);
        tracing::debug!(target: crate::trace::TRANSPORT, added, ignored, errors = ?found.errors, "system trust store");
    }
    if let Some(path) = &tls.ca_file {
        for cert in load_certs(path, "tls_ca_file")? {
            roots
                .add(cert)
                .map_err(|e| format!("tls_ca_file {}: {e}", path.display()))?;
        }
    }
    if roots.is_empty() {
        return Err(if tls.use_system_roots {
            "tls: no trusted CA certificates: the system store is empty and no ca_file is set"
                .into()
        } else {
            "tls: no trusted CA certificates: tls_use_system_roots is off and no tls_ca_file is set"
                .into()
        });
    }
    Ok(roots)
}

fn load_certs(path: &std::path::Path, what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{what} {}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "{what} {}: no PEM certificate in it",
            path.display()
        ));
    }
    Ok(certs)
}

fn load_crls(path: &std::path::Path) -> Result<Vec<CertificateRevocationListDer<'static>>, String> {
    let bad = |e: &dyn fmt::Display| format!("tls_crl_files {}: {e}", path.display());
    let data = std::fs::read(path).map_err(|e| bad(&e))?;
    if data.starts_with(b"-----") || data.windows(10).any(|w| w == b"-----BEGIN") {
        let crls = CertificateRevocationListDer::pem_slice_iter(&data)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(&e))?;
        if crls.is_empty() {
            return Err(bad(&"no PEM X509 CRL in it"));
        }
        Ok(crls)
    } else {
        Ok(vec![CertificateRevocationListDer::from(data)])
    }
}

/// Offers the configured client certificate, and notes (for the connection being set up on
/// this thread) that the server asked for one.
#[derive(Debug)]
struct ClientCert(Option<Arc<CertifiedKey>>);

thread_local! {
    /// Set when rustls asks for a client certificate. rustls calls the resolver
    /// synchronously while the handshake future is polled, so [`handshake`] clears it before
    /// and reads it after each poll on the same thread.
    static CLIENT_AUTH_REQUESTED: Cell<bool> = const { Cell::new(false) };
}

impl ResolvesClientCert for ClientCert {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        CLIENT_AUTH_REQUESTED.with(|c| c.set(true));
        self.0.clone()
    }

    fn has_certs(&self) -> bool {
        self.0.is_some()
    }
}

/// Standard webpki verification (unless disabled), then the pins.
#[derive(Debug)]
struct Verifier {
    webpki: Option<Arc<WebPkiServerVerifier>>,
    pins: Vec<[u8; 32]>,
    algs: WebPkiSupportedAlgorithms,
}

/// The server's key matches none of the configured pins.
#[derive(Debug)]
struct PinMismatch([u8; 32]);

impl fmt::Display for PinMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "public key pin mismatch: the server's key is sha256//{}, which matches none of the configured pins",
            base64_encode(&self.0)
        )
    }
}

impl std::error::Error for PinMismatch {}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(webpki) = &self.webpki {
            webpki.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            )?;
        }
        if !self.pins.is_empty() {
            let pin = spki_sha256(end_entity).ok_or(rustls::Error::InvalidCertificate(
                CertificateError::BadEncoding,
            ))?;
            if !self.pins.contains(&pin) {
                return Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                    rustls::OtherError(Arc::new(PinMismatch(pin))),
                )));
            }
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

/// The longest wait, after a TLS 1.3 handshake in which the server asked for a client
/// certificate, for the server's verdict (its first records) before using the connection.
const CLIENT_AUTH_VERDICT_WAIT: Duration = Duration::from_secs(1);

/// Runs the TLS handshake over `tcp` to `host`, bounded by the handshake timeout, and checks
/// that the server selected `h2`.
pub(crate) async fn handshake(tcp: TcpStream, host: &str, tls: &TlsConfig) -> Result<TlsIo> {
    let config = client_config(tls).map_err(tls_error)?;
    let name = match host.parse::<IpAddr>() {
        Ok(ip) => ServerName::IpAddress(ip.into()),
        Err(_) => ServerName::try_from(host.to_owned())
            .map_err(|e| tls_error(format!("{host:?} is not a valid TLS server name: {e}")))?,
    };
    let deadline = Instant::now() + tls.handshake_timeout;
    let mut connect = TlsConnector::from(config).connect(name, tcp);
    let mut client_auth = false;
    let handshake = poll_fn(|cx| {
        CLIENT_AUTH_REQUESTED.with(|c| c.set(false));
        let r = Pin::new(&mut connect).poll(cx);
        client_auth |= CLIENT_AUTH_REQUESTED.with(|c| c.replace(false));
        r
    });
    let mut stream = match tokio::time::timeout_at(deadline.into(), handshake).await {
        Err(_) => {
            return Err(Error::new(
                ErrorKind::TlsHandshakeTimeout,
                format!(
                    "TLS handshake timed out (after {:?}, with {host})",
                    tls.handshake_timeout
                ),
            )
            .with_processed(Processed::No))
        }
        Ok(Err(e)) => return Err(handshake_error(&e, host, client_auth)),
        Ok(Ok(s)) => s,
    };
    let session = stream.get_ref().1;
    if session.alpn_protocol() != Some(b"h2") {
        return Err(no_h2(host));
    }
    tracing::debug!(
        target: crate::trace::TRANSPORT,
        host,
        version = ?session.protocol_version(),
        cipher = ?session.negotiated_cipher_suite().map(|c| c.suite()),
        "TLS handshake done (ALPN h2)"
    );
    if client_auth && session.protocol_version() == Some(ProtocolVersion::TLSv1_3) {
        let wait = deadline
            .saturating_duration_since(Instant::now())
            .min(CLIENT_AUTH_VERDICT_WAIT);
        // Otherwise accepted, or the server is silent until the client speaks.
        let verdict = tokio::time::timeout(wait, client_auth_verdict(&mut stream)).await;
        if let Ok(Err(e)) = verdict {
            return Err(handshake_error(&e, host, true));
        }
    }
    Ok(TlsIo(stream))
}

/// Reads the server's first records after the handshake into rustls (without taking any
/// plaintext, which stays for the driver): a fatal alert refusing the client certificate
/// comes back as an error; a session ticket or application data means acceptance.
async fn client_auth_verdict(stream: &mut TlsStream) -> io::Result<()> {
    let (tcp, session) = stream.get_mut();
    while session.wants_write() {
        tcp.writable().await?;
        match session.write_tls(&mut SyncIo(tcp)) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    loop {
        if session.tls13_tickets_received() > 0 {
            return Ok(());
        }
        tcp.readable().await?;
        match session.read_tls(&mut SyncIo(tcp)) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the server closed the connection right after the handshake",
                ))
            }
            Ok(_) => {
                let state = session
                    .process_new_packets()
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                if state.plaintext_bytes_to_read() > 0 {
                    return Ok(());
                }
                if state.peer_has_closed() {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the server closed the connection right after the handshake",
                    ));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
}

/// Non-blocking std I/O over a tokio socket, for rustls' `read_tls`/`write_tls`.
struct SyncIo<'a>(&'a TcpStream);

impl io::Read for SyncIo<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.try_read(buf)
    }
}

impl io::Write for SyncIo<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.try_write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn tls_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Tls, message.into()).with_processed(Processed::No)
}

fn no_h2(host: &str) -> Error {
    tls_error(format!(
        "the server {host} did not negotiate HTTP/2 (ALPN h2); h2o speaks HTTP/2 only"
    ))
}

/// A clear message for a failed handshake.
fn handshake_error(e: &io::Error, host: &str, client_auth: bool) -> Error {
    let Some(err) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) else {
        return tls_error(format!("TLS handshake with {host} failed: {e}"));
    };
    let msg = match err {
        rustls::Error::InvalidCertificate(ce) => certificate_message(ce, err, host),
        rustls::Error::AlertReceived(AlertDescription::NoApplicationProtocol) => {
            return no_h2(host)
        }
        rustls::Error::AlertReceived(AlertDescription::CertificateRequired) => format!(
            "the server {host} requires a client certificate (mutual TLS): set tls_client_cert \
             and tls_client_key ({err})"
        ),
        rustls::Error::AlertReceived(
            AlertDescription::BadCertificate
            | AlertDescription::UnsupportedCertificate
            | AlertDescription::CertificateRevoked
            | AlertDescription::CertificateExpired
            | AlertDescription::CertificateUnknown
            | AlertDescription::UnknownCA
            | AlertDescription::AccessDenied,
        ) if client_auth => {
            format!("the server {host} refused the client certificate ({err})")
        }
        _ => format!("TLS handshake with {host} failed: {err}"),
    };
    tls_error(msg)
}

fn certificate_message(ce: &CertificateError, err: &rustls::Error, host: &str) -> String {
    match ce {
        CertificateError::UnknownIssuer => format!(
            "certificate verification failed for {host}: unknown CA (the certificate is not \
             signed by a trusted authority; see tls_ca_file) ({err})"
        ),
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            format!(
                "certificate verification failed for {host}: the certificate has expired ({err})"
            )
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => format!(
            "certificate verification failed for {host}: the certificate is not valid yet ({err})"
        ),
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            format!(
                "certificate verification failed: wrong host name, the certificate is not valid \
                 for {host} ({err})"
            )
        }
        CertificateError::Revoked => format!(
            "certificate verification failed for {host}: the certificate has been revoked (CRL)"
        ),
        CertificateError::Other(other) => match other.0.downcast_ref::<PinMismatch>() {
            Some(pin) => format!("certificate verification failed for {host}: {pin}"),
            None => format!("certificate verification failed for {host}: {err}"),
        },
        _ => format!("certificate verification failed for {host}: {err}"),
    }
}

/// SHA-256 of the SubjectPublicKeyInfo of a DER certificate (the SPKI pin).
pub(crate) fn spki_sha256(cert: &[u8]) -> Option<[u8; 32]> {
    let spki = spki(cert)?;
    let digest = ring::digest::digest(&ring::digest::SHA256, spki);
    digest.as_ref().try_into().ok()
}

/// The SubjectPublicKeyInfo element (tag and length included) of a DER certificate:
/// Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL, serialNumber,
/// signature, issuer, validity, subject, subjectPublicKeyInfo, ... }, ... }.
fn spki(cert: &[u8]) -> Option<&[u8]> {
    let (tag, _, certificate, _) = der_next(cert)?;
    if tag != 0x30 {
        return None;
    }
    let (tag, _, mut tbs, _) = der_next(certificate)?;
    if tag != 0x30 {
        return None;
    }
    if tbs.first() == Some(&0xa0) {
        tbs = der_next(tbs)?.3;
    }
    // serialNumber, signature, issuer, validity, subject.
    for expected in [0x02, 0x30, 0x30, 0x30, 0x30] {
        let (tag, _, _, rest) = der_next(tbs)?;
        if tag != expected {
            return None;
        }
        tbs = rest;
    }
    let (tag, whole, _, _) = der_next(tbs)?;
    (tag == 0x30).then_some(whole)
}

/// One DER element: (tag, whole element, contents, rest).
type DerElement<'a> = (u8, &'a [u8], &'a [u8], &'a [u8]);

fn der_next(input: &[u8]) -> Option<DerElement<'_>> {
    let tag = *input.first()?;
    let first = *input.get(1)? as usize;
    let (len, header) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7f;
        if n == 0 || n > 4 {
            return None;
        }
        let bytes = input.get(2..2 + n)?;
        (
            bytes.iter().fold(0usize, |acc, b| acc << 8 | *b as usize),
            2 + n,
        )
    };
    let end = header.checked_add(len)?;
    let whole = input.get(..end)?;
    Some((tag, whole, &whole[header..], &input[end..]))
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub(crate) fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = chunk.iter().fold(0u32, |acc, b| acc << 8 | *b as u32) << (8 * (3 - chunk.len()));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base64 (padding optional); `None` on any other character.
pub(crate) fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = B64.iter().position(|&b| b == c)? as u32;
        acc = acc << 6 | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // Leftover bits must be zero padding of a whole number of bytes.
    (bits < 6 && acc == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip() {
        for len in 0..40 {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let enc = base64_encode(&data);
            assert_eq!(enc.len() % 4, 0);
            assert_eq!(base64_decode(&enc), Some(data.clone()));
            assert_eq!(base64_decode(enc.trim_end_matches('=')), Some(data));
        }
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert_eq!(base64_decode("Zm8="), Some(b"fo".to_vec()));
        assert_eq!(base64_decode("Zm9"), None); // leftover non-zero bits
        assert_eq!(base64_decode("Zm*="), None);
    }

    #[test]
    fn parse_pin_forms() {
        let empty_sha256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
        let pin = TlsConfig::parse_pin(empty_sha256).unwrap();
        assert_eq!(&pin[..4], &[0xe3, 0xb0, 0xc4, 0x42]);
        assert_eq!(
            TlsConfig::parse_pin(&format!("sha256//{empty_sha256}")),
            Ok(pin)
        );
        assert!(TlsConfig::parse_pin("Zm9vYmFy").is_err());
        assert!(TlsConfig::parse_pin("not base64!").is_err());
    }

    #[test]
    fn der_walker_rejects_garbage() {
        assert_eq!(spki(&[]), None);
        assert_eq!(spki(&[0x30, 0x03, 0x02, 0x01]), None);
        assert_eq!(spki(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
        assert_eq!(spki(&[0x04, 0x00]), None);
    }

    #[test]
    fn der_walker_finds_spki() {
        // A hand-made certificate skeleton: version, serial, alg, issuer, validity, subject,
        // SPKI, then a trailing field.
        let spki_elem = [0x30, 0x03, 0x02, 0x01, 0x07];
        let mut tbs = vec![0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x01, 0x01];
        for _ in 0..4 {
            tbs.extend_from_slice(&[0x30, 0x00]);
        }
        tbs.extend_from_slice(&spki_elem);
        tbs.extend_from_slice(&[0xa3, 0x00]);
        let mut tbs_seq = vec![0x30, 0x81, tbs.len() as u8];
        tbs_seq.extend_from_slice(&tbs);
        let mut cert = vec![0x30, tbs_seq.len() as u8 + 2];
        cert.extend_from_slice(&tbs_seq);
        cert.extend_from_slice(&[0x30, 0x00]);
        assert_eq!(spki(&cert), Some(&spki_elem[..]));
        assert!(spki_sha256(&cert).is_some());
    }

    #[test]
    fn cache_is_per_value() {
        let tls = TlsConfig {
            use_system_roots: false,
            danger_accept_invalid_certs: true,
            ..TlsConfig::default()
        };
        let a = client_config(&tls).unwrap();
        let b = client_config(&tls).unwrap();
        assert!(Arc::ptr_eq(&a, &b), "built once");
        assert_eq!(a.alpn_protocols, vec![b"h2".to_vec()]);
        let copy = tls.clone();
        assert_eq!(copy, tls);
        assert!(
            !Arc::ptr_eq(&client_config(&copy).unwrap(), &a),
            "a clone builds its own"
        );
    }

    #[test]
    fn no_roots_is_an_error() {
        let tls = TlsConfig {
            use_system_roots: false,
            ..TlsConfig::default()
        };
        let e = client_config(&tls).unwrap_err();
        assert!(e.contains("no trusted CA"), "{e}");
    }

    #[test]
    fn validate_checks_files_and_pairs() {
        let mut tls = TlsConfig {
            ca_file: Some("/nonexistent/ca.pem".into()),
            ..TlsConfig::default()
        };
        let e = tls.validate().unwrap_err();
        assert!(e.contains("tls_ca_file /nonexistent/ca.pem"), "{e}");
        tls.ca_file = None;
        tls.client_cert = Some("/x.pem".into());
        assert!(tls.validate().unwrap_err().contains("together"));
        tls.client_cert = None;
        tls.handshake_timeout = Duration::ZERO;
        assert!(tls.validate().is_err());
    }
}
