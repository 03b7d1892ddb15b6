//! A fault-injecting HTTP/1.1 proxy between the app's push client and the event
//! server, for the sync fault suite.
//!
//! Every connection carries exactly one request: the proxy reads the whole
//! request (head + `Content-Length` body), rewrites it to `Connection: close`,
//! forwards it on a fresh connection to the server, reads the answer to EOF and
//! hands it back, then hangs up. So reqwest never reuses a connection a fault
//! broke, and the proxy needs no HTTP framing beyond one request.
//!
//! The test injects [`Fault`]s for the next requests of a [`Route`] and learns
//! what happened to each request from [`Event`]s (await them; never sleep).
//!
//! With several upstreams ([`FaultProxy::start_with_failover`]) it is also the
//! load balancer of a scaled-out deployment: each request goes to the first
//! upstream that accepts the connection, as nginx's `proxy_next_upstream error`
//! does (PUTs included: the protocol's writes are idempotent).

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// What a request is, as far as faults are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// `PUT …/photos/{sha256}/image`: the web rendition.
    ImagePut,
    /// `PUT …/photos/{sha256}/grid`: the grid rendition.
    GridPut,
    /// `PUT …/photos/{sha256}`: metadata and faces.
    MetadataPut,
    /// `GET …/participants?since=…`: a roster page.
    Roster,
    Other,
}

impl Route {
    /// A push (what `inject(None, …)` targets).
    fn is_push(self) -> bool {
        matches!(self, Route::ImagePut | Route::GridPut | Route::MetadataPut)
    }
}

/// What the proxy does to a request instead of passing it through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer `503` itself (with `Retry-After: s` if given); the server sees nothing.
    Unavailable { retry_after: Option<u64> },
    /// Answer `404` itself, as a server without this endpoint does (an older v1
    /// server asked for the grid rendition); the server sees nothing.
    NoSuchEndpoint,
    /// Take the request, answer nothing for this long, then hang up.
    Stall(Duration),
    /// Forward the head and only the first half of the body, then drop both
    /// connections (the client's with unread data: a reset).
    CutBodyHalfway,
    /// Keep the request until [`FaultProxy::heal`], then forward it.
    Hold,
    /// Forward the request, but keep the server's answer from the client until
    /// [`FaultProxy::heal`] (the server applied it; the client never learns).
    SwallowAnswer,
    /// Forward the request, hand back the head and half the server's answer,
    /// then hang up (the connection cut while the answer comes).
    CutAnswerHalfway,
    /// Answer with the last answer delivered for this route instead (a stale
    /// cache on the way: the client gets a page it has seen again).
    RepeatLastAnswer,
}

/// What happened to a request (the log keeps them in order).
#[derive(Debug, Clone)]
pub enum Event {
    /// The request was read (for [`Fault::CutBodyHalfway`]: its half was forwarded).
    Arrived {
        path: String,
        fault: Option<Fault>,
        at: Instant,
    },
    /// The server answered `status`; `delivered` is false if the proxy swallowed it.
    Answered {
        route: Route,
        path: String,
        status: u16,
        content_sha256: Option<String>,
        delivered: bool,
    },
    /// The proxy could not reach the server (refused or dropped mid-answer).
    ServerDown,
    /// A [`Fault::Stall`] ran its course; the client was left without an answer.
    StallEnded,
}

struct Rule {
    route: Option<Route>,
    fault: Fault,
    /// Requests of the route to let through before the fault starts.
    skip: usize,
    left: usize,
}

struct Control {
    /// Tried in order for each request; the first that accepts gets it.
    upstreams: Vec<SocketAddr>,
    rules: Mutex<Vec<Rule>>,
    /// Bumped by `heal`: held requests and swallowed answers go on.
    released: watch::Sender<u64>,
    events: mpsc::UnboundedSender<Event>,
    log: Mutex<Vec<Event>>,
    /// The last answer delivered whole, per route (for [`Fault::RepeatLastAnswer`]).
    last_answer: Mutex<std::collections::HashMap<Route, Vec<u8>>>,
}

impl Control {
    fn record(&self, event: Event) {
        self.log.lock().unwrap().push(event.clone());
        let _ = self.events.send(event);
    }

    /// The fault for the next request of `route` (and the release generation now).
    fn take_fault(&self, route: Route) -> (Option<Fault>, u64) {
        let mut rules = self.rules.lock().unwrap();
        let generation = *self.released.borrow();
        let rule = rules
            .iter_mut()
            .find(|r| r.left > 0 && r.route.map_or(route.is_push(), |want| want == route));
        let fault = rule.and_then(|r| {
            if r.skip > 0 {
                r.skip -= 1;
                return None;
            }
            r.left -= 1;
            Some(r.fault)
        });
        (fault, generation)
    }
}

pub struct FaultProxy {
    pub addr: SocketAddr,
    control: Arc<Control>,
    events: mpsc::UnboundedReceiver<Event>,
    accept: JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl FaultProxy {
    /// A proxy on 127.0.0.1 (a free port) in front of the server at `upstream`.
    pub async fn start(upstream: SocketAddr) -> FaultProxy {
        Self::start_with_failover(vec![upstream]).await
    }

    /// In front of several instances of one deployment: each request goes to
    /// the first of `upstreams` that accepts a connection.
    pub async fn start_with_failover(upstreams: Vec<SocketAddr>) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy port");
        let addr = listener.local_addr().expect("proxy address");
        let (tx, events) = mpsc::unbounded_channel();
        let control = Arc::new(Control {
            upstreams,
            rules: Mutex::new(Vec::new()),
            released: watch::channel(0).0,
            events: tx,
            log: Mutex::new(Vec::new()),
            last_answer: Mutex::new(std::collections::HashMap::new()),
        });
        let shared = control.clone();
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(relay(shared.clone(), client));
            }
        });
        FaultProxy {
            addr,
            control,
            events,
            accept,
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Apply `fault` to the next `times` requests of `route` (`None`: any push,
    /// image or metadata; other requests such as roster pulls pass unless named).
    pub fn inject(&self, route: Option<Route>, fault: Fault, times: usize) {
        self.inject_after(route, 0, fault, times);
    }

    /// [`inject`](Self::inject), once `skip` requests of `route` have passed.
    pub fn inject_after(&self, route: Option<Route>, skip: usize, fault: Fault, times: usize) {
        self.control.rules.lock().unwrap().push(Rule {
            route,
            fault,
            skip,
            left: times,
        });
    }

    /// No more faults; held requests and swallowed answers go on.
    pub fn heal(&self) {
        self.control.rules.lock().unwrap().clear();
        self.control.released.send_modify(|g| *g += 1);
    }

    /// Every event so far.
    pub fn log(&self) -> Vec<Event> {
        self.control.log.lock().unwrap().clone()
    }

    /// The next event matching `wanted` (earlier ones are skipped); panics after
    /// 30 s so a product that never gets there fails instead of hanging.
    pub async fn wait_for(&mut self, what: &str, wanted: impl Fn(&Event) -> bool) -> Event {
        let events = &mut self.events;
        let found = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                match events.recv().await {
                    Some(event) if wanted(&event) => return event,
                    Some(_) => continue,
                    None => panic!("the proxy stopped"),
                }
            }
        })
        .await;
        found.unwrap_or_else(|_| panic!("no {what} within 30 s: {:#?}", self.log()))
    }
}

/// Number of successful (2xx, delivered) answers to requests of `route`.
pub fn delivered_ok(log: &[Event], route: Route) -> usize {
    log.iter()
        .filter(|e| {
            matches!(e, Event::Answered { route: r, status, delivered: true, .. }
                if *r == route && (200..300).contains(status))
        })
        .count()
}

struct Request {
    route: Route,
    path: String,
    content_sha256: Option<String>,
    /// The head, rewritten to `Connection: close`.
    head: Vec<u8>,
    /// `Content-Length`, and as much of the body as was read.
    length: usize,
    body: Vec<u8>,
}

async fn relay(control: Arc<Control>, mut client: TcpStream) {
    let Ok(mut request) = read_head(&mut client).await else {
        return; // the client hung up first (e.g. a connection never used)
    };
    let (fault, generation) = control.take_fault(request.route);
    let release = || {
        let mut released = control.released.subscribe();
        async move {
            let _ = released.wait_for(|g| *g > generation).await;
        }
    };
    let upto = match fault {
        Some(Fault::CutBodyHalfway) => request.length / 2,
        _ => request.length,
    };
    if read_body(&mut client, &mut request, upto).await.is_err() {
        return;
    }
    let arrived = Event::Arrived {
        path: request.path.clone(),
        fault,
        at: Instant::now(),
    };
    match fault {
        Some(Fault::Unavailable { retry_after }) => {
            control.record(arrived);
            let body = r#"{"error":"the proxy says: try again later"}"#;
            let extra = retry_after.map_or(String::new(), |s| format!("Retry-After: {s}\r\n"));
            let answer = format!(
                "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}",
                body.len()
            );
            let _ = client.write_all(answer.as_bytes()).await;
            let _ = client.shutdown().await;
            return;
        }
        Some(Fault::NoSuchEndpoint) => {
            control.record(arrived);
            let body = r#"{"error":"no such endpoint"}"#;
            let answer = format!(
                "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = client.write_all(answer.as_bytes()).await;
            let _ = client.shutdown().await;
            return;
        }
        Some(Fault::Stall(how_long)) => {
            control.record(arrived);
            tokio::time::sleep(how_long).await; // the fault itself
            control.record(Event::StallEnded);
            return; // dropping `client` hangs up without an answer
        }
        Some(Fault::CutBodyHalfway) => {
            request.body.truncate(upto);
            if let Ok(mut server) = connect(&control.upstreams).await {
                let _ = server.write_all(&request.head).await;
                let _ = server.write_all(&request.body).await;
                let _ = server.flush().await;
            }
            control.record(arrived);
            return; // both connections dropped mid-body
        }
        Some(Fault::Hold) => {
            control.record(arrived);
            release().await;
        }
        Some(Fault::RepeatLastAnswer) => {
            control.record(arrived);
            let last = control
                .last_answer
                .lock()
                .unwrap()
                .get(&request.route)
                .cloned();
            let Some(answer) = last else {
                return; // nothing to repeat: hang up
            };
            control.record(Event::Answered {
                route: request.route,
                path: request.path.clone(),
                status: status_of(&answer),
                content_sha256: None,
                delivered: true,
            });
            let _ = client.write_all(&answer).await;
            let _ = client.shutdown().await;
            return;
        }
        Some(Fault::SwallowAnswer | Fault::CutAnswerHalfway) | None => control.record(arrived),
    }
    let Ok(answer) = exchange(&control.upstreams, &request).await else {
        control.record(Event::ServerDown);
        return;
    };
    let swallow = fault == Some(Fault::SwallowAnswer);
    let cut = fault == Some(Fault::CutAnswerHalfway);
    control.record(Event::Answered {
        route: request.route,
        path: request.path.clone(),
        status: status_of(&answer),
        content_sha256: request.content_sha256.take(),
        delivered: !swallow && !cut,
    });
    if cut {
        let _ = client.write_all(&answer[..answer.len() / 2]).await;
        return; // dropping `client` cuts the answer
    }
    if swallow {
        // Until released, or until the client gives up (it sent everything, so
        // the next read only ends when it hangs up).
        let mut probe = [0u8; 1];
        tokio::select! {
            _ = release() => {}
            _ = client.read(&mut probe) => return,
        }
    }
    control
        .last_answer
        .lock()
        .unwrap()
        .insert(request.route, answer.clone());
    let _ = client.write_all(&answer).await;
    let _ = client.shutdown().await;
}

/// The server's whole answer (it closes after one request: `Connection: close`).
async fn exchange(upstreams: &[SocketAddr], request: &Request) -> io::Result<Vec<u8>> {
    let mut server = connect(upstreams).await?;
    server.write_all(&request.head).await?;
    server.write_all(&request.body).await?;
    let mut answer = Vec::new();
    server.read_to_end(&mut answer).await?;
    if answer.is_empty() {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(answer)
}

/// A connection to the first upstream that accepts one.
async fn connect(upstreams: &[SocketAddr]) -> io::Result<TcpStream> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no upstream");
    for addr in upstreams {
        match TcpStream::connect(addr).await {
            Ok(stream) => return Ok(stream),
            Err(e) => last = e,
        }
    }
    Err(last)
}

fn status_of(answer: &[u8]) -> u16 {
    std::str::from_utf8(answer.get(9..12).unwrap_or_default())
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

async fn read_head(client: &mut TcpStream) -> io::Result<Request> {
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let body = buf.split_off(head_end + 4);
    let text = String::from_utf8_lossy(&buf).into_owned();
    let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
    let request_line = lines.next().unwrap_or_default().to_string();
    let mut head = format!("{request_line}\r\n");
    let (mut length, mut content_sha256) = (0usize, None);
    for line in lines {
        let (name, value) = line.split_once(':').unwrap_or((line, ""));
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
        match name.as_str() {
            "connection" => continue,
            "content-length" => length = value.parse().unwrap_or(0),
            "x-content-sha256" => content_sha256 = Some(value.to_string()),
            _ => {}
        }
        head.push_str(line);
        head.push_str("\r\n");
    }
    head.push_str("Connection: close\r\n\r\n");
    let mut parts = request_line.split(' ');
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let route = match method {
        "PUT" if path.ends_with("/image") => Route::ImagePut,
        "PUT" if path.ends_with("/grid") => Route::GridPut,
        "PUT" if path.contains("/photos/") => Route::MetadataPut,
        "GET"
            if path
                .split('?')
                .next()
                .is_some_and(|p| p.ends_with("/participants")) =>
        {
            Route::Roster
        }
        _ => Route::Other,
    };
    Ok(Request {
        route,
        path: path.to_string(),
        content_sha256,
        head: head.into_bytes(),
        length,
        body,
    })
}

/// Reads the body up to `upto` bytes (less than `Content-Length` for a cut).
async fn read_body(client: &mut TcpStream, request: &mut Request, upto: usize) -> io::Result<()> {
    let mut chunk = vec![0u8; 16 * 1024];
    while request.body.len() < upto {
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        request.body.extend_from_slice(&chunk[..n]);
    }
    Ok(())
}
