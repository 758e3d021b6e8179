//! The I/O driver: one tokio task per connection owns the socket and the sans-IO
//! [`proto::Connection`](crate::proto::Connection). Requests, cancels and flow-control
//! releases reach it through a queue, so any number of threads can submit without a
//! shared lock over the streams.

mod connect;
mod driver;
mod tls;

pub(crate) use driver::run_connection;
pub(crate) use tls::{base64_decode, base64_encode, client_config as tls_client_config, TlsCache};
