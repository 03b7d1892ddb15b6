//! A fresh PostgreSQL database per test, on the server named by
//! `FINDME_TEST_POSTGRES` (a URL of a database where tests may `CREATE
//! DATABASE`, e.g. `postgres://postgres@127.0.0.1:54339/postgres`;
//! `scripts/services.sh` starts one and prints it).

use std::sync::atomic::{AtomicU32, Ordering};

use findme_event_server::store::DatabaseUrl;

/// The variable naming the test server.
pub const ENV: &str = "FINDME_TEST_POSTGRES";

/// The test server's URL; panics (with how to get one) if the variable is unset.
pub fn server_url() -> String {
    std::env::var(ENV).unwrap_or_else(|_| {
        panic!(
            "{ENV} is not set: these tests need a PostgreSQL server where they may create \
             databases. Start one with `eval \"$(scripts/services.sh start)\"` (or \
             scripts/pg.sh) and set {ENV}=postgres://postgres@127.0.0.1:PORT/postgres"
        )
    })
}

/// `url` with its database name replaced by `name` (query string kept).
fn with_database(url: &str, name: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = head.find("://").map_or(0, |i| i + 3);
    let authority = head[scheme_end..]
        .split_once('/')
        .map_or(&head[scheme_end..], |(a, _)| a);
    format!("{}{authority}/{name}{query}", &head[..scheme_end])
}

/// Creates a uniquely named empty database on the test server and returns its URL.
pub async fn fresh_database() -> DatabaseUrl {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let server = server_url();
    let name = format!(
        "findme_t{}_{}_{:08x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        rand::random::<u32>()
    );
    let (client, connection) = tokio_postgres::connect(&server, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("{ENV}: cannot connect to the test server: {e}"));
    let driver = tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap_or_else(|e| panic!("{ENV}: CREATE DATABASE {name}: {e}"));
    drop(client);
    let _ = driver.await;
    with_database(&server, &name)
        .parse()
        .unwrap_or_else(|e| panic!("{ENV}: {e}"))
}
