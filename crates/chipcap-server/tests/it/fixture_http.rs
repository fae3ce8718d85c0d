//! A local HTTP server for `chipcap lists update` tests: serves files set by the test on
//! 127.0.0.1, with an ETag per content, and answers `If-None-Match` with 304 Not Modified. No test
//! reaches the internet.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
struct File {
    body: Vec<u8>,
    etag: Option<String>,
    status: u16,
}

/// The server (its thread lives as long as the test process).
pub struct FixtureServer {
    base: String,
    files: Arc<Mutex<HashMap<String, File>>>,
    log: Arc<Mutex<Vec<(String, u16)>>>,
}

fn etag_of(b: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for x in b {
        h ^= u64::from(*x);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("\"{h:016x}\"")
}

impl FixtureServer {
    pub fn start() -> FixtureServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let files: Arc<Mutex<HashMap<String, File>>> = Arc::default();
        let log: Arc<Mutex<Vec<(String, u16)>>> = Arc::default();
        let (f, l) = (files.clone(), log.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut first = String::new();
                if reader.read_line(&mut first).is_err() {
                    continue;
                }
                let path = first.split_whitespace().nth(1).unwrap_or("/").to_string();
                let mut if_none_match = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':') {
                        if k.trim().eq_ignore_ascii_case("if-none-match") {
                            if_none_match = Some(v.trim().to_string());
                        }
                    }
                }
                let file = f.lock().unwrap().get(&path).cloned();
                let (status, body, etag) = match file {
                    None => (404, b"not found".to_vec(), None),
                    Some(x) if x.status != 200 => (x.status, x.body, None),
                    Some(x) => {
                        if x.etag.is_some() && x.etag == if_none_match {
                            (304, Vec::new(), x.etag)
                        } else {
                            (200, x.body, x.etag)
                        }
                    }
                };
                l.lock().unwrap().push((path, status));
                let mut head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                    body.len()
                );
                if let Some(e) = etag {
                    head.push_str(&format!("ETag: {e}\r\n"));
                }
                head.push_str("\r\n");
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
                let _ = stream.flush();
            }
        });
        FixtureServer { base, files, log }
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Serves `body` at `path` with an ETag of its content.
    pub fn put(&self, path: &str, body: &[u8]) {
        let f = File {
            body: body.to_vec(),
            etag: Some(etag_of(body)),
            status: 200,
        };
        self.files.lock().unwrap().insert(path.to_string(), f);
    }

    /// Answers `status` at `path`.
    pub fn fail(&self, path: &str, status: u16) {
        let f = File {
            body: b"unavailable".to_vec(),
            etag: None,
            status,
        };
        self.files.lock().unwrap().insert(path.to_string(), f);
    }

    /// The statuses answered at `path`, in order.
    pub fn statuses(&self, path: &str) -> Vec<u16> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, s)| *s)
            .collect()
    }
}
