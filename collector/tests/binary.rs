//! The real binary: the startup line other tests wait for, a request over TCP, and a
//! clean exit on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn http_get(addr: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    out
}

#[cfg(unix)]
#[test]
fn prints_its_address_serves_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.json"), r#"{"demo": {}}"#).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_engagekit-collector"))
        .args(["--port", "0", "--config", "config.json", "--db", "t.db"])
        .args(["--www", "www", "--dist", "dist"])
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

    let health = http_get(&addr, "/v1/health");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.ends_with(r#"{"ok":true}"#), "{health}");
    let wasm = http_get(&addr, "/engagekit_core_bg.wasm");
    assert!(
        wasm.starts_with("HTTP/1.1 404") && wasm.contains("npm run build"),
        "{wasm}"
    );

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(exit) = child.try_wait().unwrap() {
            assert!(exit.success(), "exit status {exit}");
            break;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("collector did not stop within 10 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(dir.path().join("t.db").exists());
}
