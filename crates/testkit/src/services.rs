//! The scaled-out event server's test services, started by
//! `eval "$(scripts/services.sh start)"` (`scripts/test.sh` does it): a private
//! PostgreSQL server (`FINDME_TEST_POSTGRES`, a URL where tests may create
//! databases) and an S3-compatible server (`FINDME_TEST_S3_ENDPOINT`,
//! `FINDME_TEST_S3_BUCKET`, `FINDME_TEST_S3_ACCESS_KEY_ID`,
//! `FINDME_TEST_S3_SECRET_ACCESS_KEY`). Namespaced, not `AWS_*`: the Rekognition
//! tests read those. Each test gets a database and a prefix of its own.

fn required(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!(
            "{var} is not set: start the test services first: \
             eval \"$(scripts/services.sh start)\" (scripts/test.sh does this)"
        )
    })
}

/// The URL of a new, empty database on the test PostgreSQL server.
pub fn fresh_database_url() -> String {
    let admin = required("FINDME_TEST_POSTGRES");
    let name = format!("t_{:016x}", rand::random::<u64>());
    let create = format!("CREATE DATABASE {name}");
    let admin_url = admin.clone();
    on_own_thread(async move {
        let (client, conn) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("connecting to {admin_url}: {e}"));
        let task = tokio::spawn(conn);
        client
            .batch_execute(&create)
            .await
            .unwrap_or_else(|e| panic!("{create}: {e}"));
        drop(client);
        let _ = task.await;
    });
    let server = admin
        .rsplit_once('/')
        .map(|(server, _)| server.to_string())
        .unwrap_or(admin);
    format!("{server}/{name}")
}

/// `s3://BUCKET/PREFIX` with a new prefix in the test bucket.
pub fn fresh_storage_url() -> String {
    let bucket = required("FINDME_TEST_S3_BUCKET");
    format!("s3://{bucket}/t{:016x}", rand::random::<u64>())
}

/// The test S3 server's endpoint.
pub fn s3_endpoint() -> String {
    required("FINDME_TEST_S3_ENDPOINT")
}

/// The `AWS_*` variables a deployment would set to reach the test S3 server
/// at `endpoint` (the server itself, or a fault proxy in front of it).
pub fn s3_env(endpoint: &str) -> Vec<(String, String)> {
    [
        (
            "AWS_ACCESS_KEY_ID",
            required("FINDME_TEST_S3_ACCESS_KEY_ID"),
        ),
        (
            "AWS_SECRET_ACCESS_KEY",
            required("FINDME_TEST_S3_SECRET_ACCESS_KEY"),
        ),
        ("AWS_REGION", "us-east-1".to_string()),
        ("AWS_ENDPOINT_URL", endpoint.to_string()),
        ("AWS_ALLOW_HTTP", "true".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Runs `work` on a runtime of its own thread (callable from sync and async code).
pub fn on_own_thread<T: Send>(work: impl std::future::Future<Output = T> + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a test runtime")
                .block_on(work)
        })
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}
