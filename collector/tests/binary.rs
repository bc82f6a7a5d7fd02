//! The real binary: the startup line other tests wait for, a request over TCP, a clean
//! exit on SIGTERM, and the limits that keep slow or numerous clients from holding it.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// A running collector on a free port in a temp dir; killed when dropped.
struct Collector {
    child: Child,
    addr: String,
    dir: TempDir,
}

impl Collector {
    fn start(extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.json"), r#"{"demo": {}}"#).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_engagekit-collector"))
            .args(["--port", "0", "--config", "config.json", "--db", "t.db"])
            .args(["--www", "www", "--dist", "dist"])
            .args(extra)
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim_end()
            .strip_prefix("engagekit collector listening on http://127.0.0.1:")
            .map(|port| format!("127.0.0.1:{port}"))
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        assert!(addr.rsplit(':').next().unwrap().parse::<u16>().unwrap() > 0);
        Collector { child, addr, dir }
    }

    fn get(&self, path: &str) -> String {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(stream, "{}", get_request(&self.addr, path)).unwrap();
        let mut out = String::new();
        stream.read_to_string(&mut out).unwrap();
        out
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn get_request(addr: &str, path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
}

/// How a trickle ended: when, after the first byte, and what the server sent (empty
/// when it just closed the connection).
struct Cut {
    after: Duration,
    reply: String,
}

/// Sends `bytes` one at a time, `every` apart, until the server answers or closes the
/// connection; `None` if it is still waiting after `give_up`.
fn trickle(
    stream: &mut TcpStream,
    bytes: &[u8],
    every: Duration,
    give_up: Duration,
) -> Option<Cut> {
    let start = Instant::now();
    stream.set_read_timeout(Some(every)).unwrap();
    let mut next = bytes.iter();
    let mut reply = Vec::new();
    while start.elapsed() < give_up {
        if let Some(byte) = next.next() {
            if stream.write_all(&[*byte]).is_err() {
                break; // the server closed it
            }
        }
        let mut buf = [0u8; 1024];
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                reply.extend_from_slice(&buf[..n]);
                let _ = stream.read_to_end(&mut reply);
                break;
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => break, // reset
        }
    }
    let after = start.elapsed();
    (after < give_up).then(|| Cut {
        after,
        reply: String::from_utf8_lossy(&reply).into_owned(),
    })
}

#[cfg(unix)]
#[test]
fn prints_its_address_serves_and_stops_cleanly_on_sigterm() {
    let mut c = Collector::start(&[]);
    let health = c.get("/v1/health");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.ends_with(r#"{"ok":true}"#), "{health}");
    let wasm = c.get("/engagekit_core_bg.wasm");
    assert!(
        wasm.starts_with("HTTP/1.1 404") && wasm.contains("npm run build"),
        "{wasm}"
    );
    // An idle kept-alive connection does not delay the shutdown.
    let _idle = TcpStream::connect(&c.addr).unwrap();
    std::thread::sleep(Duration::from_millis(100));

    let status = Command::new("kill")
        .args(["-TERM", &c.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(exit) = c.child.try_wait().unwrap() {
            assert!(exit.success(), "exit status {exit}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "collector did not stop within 5 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(c.dir.path().join("t.db").exists());
}

#[test]
fn closes_a_connection_whose_headers_trickle_in() {
    let c = Collector::start(&["--header-timeout-ms", "3000"]);
    let mut stream = TcpStream::connect(&c.addr).unwrap();
    let request = get_request(&c.addr, "/v1/health");
    let cut = trickle(
        &mut stream,
        request.as_bytes(),
        Duration::from_secs(2),
        Duration::from_secs(20),
    )
    .expect("the server was still waiting for the headers after 20 s");
    assert!(
        cut.after >= Duration::from_millis(2500) && cut.after < Duration::from_millis(5500),
        "cut off after {:?}, expected about 3 s",
        cut.after
    );
    assert!(
        cut.reply.is_empty() || cut.reply.starts_with("HTTP/1.1 408"),
        "{}",
        cut.reply
    );
    assert!(c.get("/v1/health").starts_with("HTTP/1.1 200"));
}

/// A batch request whose headers are complete and whose body is still to come.
fn batch_headers(stream: &mut TcpStream, addr: &str) -> &'static [u8] {
    let body = br#"{"writeKey":"demo","batch":[]}"#;
    write!(
        stream,
        "POST /v1/batch HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/plain\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    body
}

#[test]
fn answers_408_to_a_body_that_pauses_too_long() {
    let c = Collector::start(&["--body-timeout-ms", "1000"]);
    let mut stream = TcpStream::connect(&c.addr).unwrap();
    let body = batch_headers(&mut stream, &c.addr);
    let cut = trickle(
        &mut stream,
        body,
        Duration::from_secs(2),
        Duration::from_secs(20),
    )
    .expect("the server was still reading the body after 20 s");
    assert!(cut.reply.starts_with("HTTP/1.1 408"), "{}", cut.reply);
    assert!(cut.reply.contains("send it again"), "{}", cut.reply);
    assert!(cut.after < Duration::from_millis(3000), "{:?}", cut.after);
}

#[test]
fn answers_408_when_a_steady_trickle_outlasts_the_request_timeout() {
    let c = Collector::start(&["--request-timeout-ms", "2000"]);
    let mut stream = TcpStream::connect(&c.addr).unwrap();
    let body = batch_headers(&mut stream, &c.addr);
    // Never pausing for the body timeout (10 s), but 30 bytes take 9 s.
    let cut = trickle(
        &mut stream,
        body,
        Duration::from_millis(300),
        Duration::from_secs(20),
    )
    .expect("the server was still reading the body after 20 s");
    assert!(cut.reply.starts_with("HTTP/1.1 408"), "{}", cut.reply);
    assert!(
        cut.after >= Duration::from_millis(1500) && cut.after < Duration::from_millis(4000),
        "answered after {:?}, expected about 2 s",
        cut.after
    );
}

#[test]
fn serves_no_more_connections_than_the_limit_until_one_closes() {
    let c = Collector::start(&["--max-connections", "2", "--header-timeout-ms", "20000"]);
    let first = TcpStream::connect(&c.addr).unwrap();
    let second = TcpStream::connect(&c.addr).unwrap();
    std::thread::sleep(Duration::from_millis(200));

    let mut third = TcpStream::connect(&c.addr).unwrap();
    write!(third, "{}", get_request(&c.addr, "/v1/health")).unwrap();
    third
        .set_read_timeout(Some(Duration::from_millis(1000)))
        .unwrap();
    let mut buf = [0u8; 64];
    let waiting = third.read(&mut buf);
    assert!(
        waiting
            .as_ref()
            .is_err_and(|e| matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)),
        "the third connection was answered while two were open: {waiting:?}"
    );

    drop(first);
    third
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reply = String::new();
    third.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");

    drop(second);
    assert!(c.get("/v1/health").starts_with("HTTP/1.1 200"));
}
