//! A fault-injecting TCP proxy in front of the S3-compatible store: passes bytes
//! both ways until told to refuse (an S3 `503 SlowDown`-style answer), to reset
//! connections, or to stall (stop forwarding) after a number of request bytes, so
//! a fault lands in the middle of an upload. A fault holds for every connection
//! until [`FaultProxy::heal`].

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Every request is answered `503 Service Unavailable` and the connection closed.
    Refuse,
    /// Forward this many more request bytes, then reset (RST) the connection, and
    /// every later one at its first byte.
    ResetAfter(usize),
    /// Forward this many more request bytes, then forward nothing more on that
    /// connection (nor on any later one): no answer ever comes.
    StallAfter(usize),
}

#[derive(Default)]
struct State {
    fault: Option<Fault>,
    /// Request bytes still to forward before the fault fires.
    budget: usize,
    /// How many times a fault fired.
    fired: usize,
}

enum Step {
    Forward(usize),
    /// Forward this many bytes, then act.
    Then(usize, Fault),
}

impl State {
    fn step(&mut self, n: usize) -> Step {
        let Some(fault) = self.fault else {
            return Step::Forward(n);
        };
        if fault == Fault::Refuse {
            self.fired += 1;
            return Step::Then(0, fault);
        }
        if self.budget >= n && self.budget > 0 {
            self.budget -= n;
            return Step::Forward(n);
        }
        let k = std::mem::take(&mut self.budget);
        self.fired += 1;
        Step::Then(k, fault)
    }
}

pub struct FaultProxy {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl FaultProxy {
    /// Listens on 127.0.0.1:0 and forwards to `upstream` (`host:port`).
    pub async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (state, upstream) = (shared.clone(), upstream.clone());
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(&upstream).await {
                        relay(client, server, state).await;
                    }
                });
            }
        });
        Self { addr, state }
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set(&self, fault: Fault) {
        let mut s = self.state.lock().unwrap();
        s.budget = match fault {
            Fault::Refuse => 0,
            Fault::ResetAfter(n) | Fault::StallAfter(n) => n,
        };
        s.fault = Some(fault);
        s.fired = 0;
    }

    /// Back to forwarding (connections already stalled stay stalled).
    pub fn heal(&self) {
        self.state.lock().unwrap().fault = None;
    }

    /// How many times the current fault fired (0: it never hit a request).
    pub fn fired(&self) -> usize {
        self.state.lock().unwrap().fired
    }
}

const REFUSAL_BODY: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
<Error><Code>ServiceUnavailable</Code><Message>fault injected by the test proxy</Message></Error>";

async fn relay(client: TcpStream, server: TcpStream, state: Arc<Mutex<State>>) {
    let (mut from_client, mut to_client) = client.into_split();
    let (mut from_server, mut to_server) = server.into_split();
    // Answers flow back untouched (a stalled request never gets one) until a
    // fault takes the client's half back.
    let (stop, stopped) = oneshot::channel::<()>();
    let back = tokio::spawn(async move {
        tokio::select! {
            _ = tokio::io::copy(&mut from_server, &mut to_client) => {}
            _ = stopped => {}
        }
        to_client
    });
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from_client.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let step = state.lock().unwrap().step(n);
        let (k, fault) = match step {
            Step::Forward(n) => (n, None),
            Step::Then(k, fault) => (k, Some(fault)),
        };
        if k > 0 && to_server.write_all(&buf[..k]).await.is_err() {
            break;
        }
        let Some(fault) = fault else { continue };
        let _ = stop.send(());
        let Ok(mut to_client) = back.await else {
            return;
        };
        match fault {
            Fault::Refuse => {
                let answer = format!(
                    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{REFUSAL_BODY}",
                    REFUSAL_BODY.len()
                );
                let _ = to_client.write_all(answer.as_bytes()).await;
                let _ = to_client.shutdown().await;
            }
            Fault::ResetAfter(_) => {
                if let Ok(stream) = from_client.reunite(to_client) {
                    let _ = stream.set_zero_linger();
                    drop(stream); // RST, not FIN
                }
            }
            Fault::StallAfter(_) => {
                // Swallow the rest until the client gives up and closes.
                while let Ok(n) = from_client.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                }
            }
        }
        return;
    }
    let _ = to_server.shutdown().await;
    let _ = back.await;
    drop(stop);
}
