//! A small HTTP/1.1 server that misbehaves on purpose: for tests of what the client does
//! with a server that lies, floods, trickles or never answers.
//!
//! Shared by the test crates: `#[path = "../common/hostile.rs"] mod hostile;`. It runs on
//! plain threads, so sync tests (the binary) and async tests (the client) can both use it.
//! Every connection gets one answer and is closed (`Connection: close`).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The path with its query string.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// The first value of query parameter `name`.
    pub fn query(&self, name: &str) -> Option<String> {
        let q = self.target.split_once('?')?.1;
        q.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k == name).then(|| v.to_string())
        })
    }
}

/// How to answer one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A whole answer.
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// `prefix`, then `filler` repeated to `total` bytes (or forever with `None`), with no
    /// Content-Length when `announce` is false. Stops when the client hangs up.
    Flood {
        status: u16,
        prefix: Vec<u8>,
        filler: Vec<u8>,
        total: Option<u64>,
        announce: bool,
    },
    /// `prefix` at once, then one byte of `rest` every `every`.
    Trickle {
        status: u16,
        prefix: Vec<u8>,
        rest: Vec<u8>,
        every: Duration,
    },
    /// Reads the request and never answers (the connection stays open until the client
    /// gives up or the server stops).
    Silent,
}

impl Reply {
    pub fn json(status: u16, body: &serde_json::Value) -> Reply {
        Reply::Full {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: serde_json::to_vec(body).unwrap_or_default(),
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Reply {
        if let Reply::Full { headers, .. } = &mut self {
            headers.push((name.into(), value.into()));
        }
        self
    }
}

type Handler = Arc<dyn Fn(&Request) -> Reply + Send + Sync>;

/// The running server; stops when dropped.
pub struct Hostile {
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    open: Arc<AtomicUsize>,
}

impl Hostile {
    /// Serves every request with `handler`.
    pub fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        listener.set_nonblocking(true).expect("nonblocking");
        let handler: Handler = Arc::new(handler);
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let open = Arc::new(AtomicUsize::new(0));
        {
            let (requests, stop, open) = (requests.clone(), stop.clone(), open.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let (handler, requests, stop, open) = (
                                handler.clone(),
                                requests.clone(),
                                stop.clone(),
                                open.clone(),
                            );
                            open.fetch_add(1, Ordering::SeqCst);
                            std::thread::spawn(move || {
                                serve(stream, &handler, &requests, &stop);
                                open.fetch_sub(1, Ordering::SeqCst);
                            });
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            });
        }
        Hostile {
            addr,
            requests,
            stop,
            open,
        }
    }

    /// Always the same answer.
    pub fn always(reply: Reply) -> Hostile {
        Hostile::start(move |_| reply.clone())
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The requests seen so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }

    pub fn count(&self) -> usize {
        self.requests.lock().map(|r| r.len()).unwrap_or(0)
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut r = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let len = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        target,
        headers,
        body,
    })
}

fn head(status: u16, headers: &[(String, String)], length: Option<u64>) -> Vec<u8> {
    let mut h = format!("HTTP/1.1 {status} Whatever\r\nConnection: close\r\n");
    for (k, v) in headers {
        h.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(n) = length {
        h.push_str(&format!("Content-Length: {n}\r\n"));
    }
    h.push_str("\r\n");
    h.into_bytes()
}

fn serve(mut stream: TcpStream, handler: &Handler, log: &Mutex<Vec<Request>>, stop: &AtomicBool) {
    let _ = stream.set_nonblocking(false);
    let Some(req) = read_request(&stream) else {
        return;
    };
    if let Ok(mut l) = log.lock() {
        l.push(req.clone());
    }
    match handler(&req) {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let _ = stream.write_all(&head(status, &headers, Some(body.len() as u64)));
            let _ = stream.write_all(&body);
        }
        Reply::Flood {
            status,
            prefix,
            filler,
            total,
            announce,
        } => {
            let json = vec![("Content-Type".to_string(), "application/json".to_string())];
            let length = if announce { total } else { None };
            if stream.write_all(&head(status, &json, length)).is_err()
                || stream.write_all(&prefix).is_err()
            {
                return;
            }
            let block: Vec<u8> = filler.iter().copied().cycle().take(64 * 1024).collect();
            let mut sent = prefix.len() as u64;
            while !stop.load(Ordering::SeqCst) && total.is_none_or(|t| sent < t) {
                let n = match total {
                    Some(t) => (t - sent).min(block.len() as u64) as usize,
                    None => block.len(),
                };
                if stream.write_all(&block[..n]).is_err() {
                    return;
                }
                sent += n as u64;
            }
        }
        Reply::Trickle {
            status,
            prefix,
            rest,
            every,
        } => {
            let json = vec![("Content-Type".to_string(), "application/json".to_string())];
            let length = Some((prefix.len() + rest.len()) as u64);
            if stream.write_all(&head(status, &json, length)).is_err()
                || stream.write_all(&prefix).is_err()
            {
                return;
            }
            for b in rest {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                std::thread::sleep(every);
                if stream
                    .write_all(&[b])
                    .and_then(|()| stream.flush())
                    .is_err()
                {
                    return;
                }
            }
        }
        Reply::Silent => {
            // Hold the connection until the client hangs up or the server stops.
            let _ = stream.set_read_timeout(Some(Duration::from_millis(50)));
            let mut buf = [0u8; 256];
            while !stop.load(Ordering::SeqCst) {
                match stream.read(&mut buf) {
                    Ok(0) => return,
                    Ok(_) => {}
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) => {}
                    Err(_) => return,
                }
            }
        }
    }
    let _ = stream.flush();
}
