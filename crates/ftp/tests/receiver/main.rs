//! The receiver over real TCP on 127.0.0.1, driven by real FTP clients
//! (suppaftp, and curl where a client must be killed or speak TLS).

mod support;

mod refusals;
mod resume;
mod tls_and_disk;
mod uploads;
