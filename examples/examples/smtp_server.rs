//! A tiny SMTP server over `std::net::TcpListener`, built on the
//! sans-I/O `rampart_smtp_proto::server::Server`.
//!
//! ```sh
//! cargo run -p rampart-examples --example smtp_server -- [--addr 127.0.0.1:2525] [--once | --connections N] [--out DIR]
//! ```
//!
//! It accepts mail for any recipient except those whose local part
//! is `nobody`, prints each envelope, and writes each message to
//! `DIR/msg-N.eml` when `--out` is given. `--once` serves one
//! connection and exits; `--connections N` serves N. Without either
//! it serves forever. Try it with Python:
//!
//! ```sh
//! python3 -c 'import smtplib; s=smtplib.SMTP("127.0.0.1",2525); \
//!   s.sendmail("a@example.org",["b@example.net"],"Subject: hi\r\n\r\nhello\r\n"); s.quit()'
//! ```

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use rampart_smtp_proto::server::{Event, Server, ServerConfig};
use rampart_smtp_proto::{EnhancedCode, ForwardPath, Reply};

struct Options {
    addr: String,
    connections: Option<usize>,
    out: Option<PathBuf>,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        addr: "127.0.0.1:2525".into(),
        connections: None,
        out: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--addr" => o.addr = args.next().ok_or("--addr needs a value")?,
            "--once" => o.connections = Some(1),
            "--connections" => {
                let n = args.next().ok_or("--connections needs a number")?;
                o.connections = Some(n.parse().map_err(|_| format!("bad number {n:?}"))?);
            }
            "--out" => o.out = Some(args.next().ok_or("--out needs a directory")?.into()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(o)
}

/// Runs one SMTP session on `stream` until QUIT, error or timeout.
fn serve(mut stream: TcpStream, out: Option<&PathBuf>, stored: &mut usize) -> std::io::Result<()> {
    let mut cfg = ServerConfig::new("localhost");
    cfg.max_message_size = 10 << 20;
    let mut srv = Server::new(cfg, Instant::now());
    // Wake up once a second to let the session check its timeout.
    stream.set_read_timeout(Some(Duration::from_secs(1)))?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        stream.write_all(&srv.take_output())?;
        if srv.is_closed() {
            return Ok(());
        }
        let n = match stream.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                srv.handle_timeout(Instant::now());
                continue;
            }
            Err(e) => return Err(e),
        };
        srv.feed(Instant::now(), &buf[..n]);
        while let Some(ev) = srv.poll_event() {
            handle(&mut srv, ev, out, stored)?;
        }
    }
}

/// The policy: every decision the session asks for is made here.
fn handle(
    srv: &mut Server,
    ev: Event,
    out: Option<&PathBuf>,
    stored: &mut usize,
) -> std::io::Result<()> {
    match ev {
        Event::Hello { domain, kind } => println!("{kind:?} from {domain}"),
        Event::Rcpt {
            to: ForwardPath::Mailbox(m),
            ..
        } if m.local_part().eq_ignore_ascii_case("nobody") => {
            let r = Reply::new(550, Some(EnhancedCode::new(5, 1, 1)), "no such user");
            srv.reject(r).expect("a 550 is a rejection");
        }
        Event::Mail { .. } | Event::Rcpt { .. } => srv.accept().expect("decision pending"),
        Event::Message(t) => {
            let to: Vec<String> = t.recipients.iter().map(|r| r.path.to_string()).collect();
            println!(
                "message from {} to {} ({} octets)",
                t.from,
                to.join(", "),
                t.message.len()
            );
            *stored += 1;
            if let Some(dir) = out {
                std::fs::write(dir.join(format!("msg-{stored}.eml")), &t.message)?;
            }
            // The caller's own acceptance text: a queue id.
            let ok = Reply::new(
                250,
                Some(EnhancedCode::new(2, 0, 0)),
                format!("queued as {stored}"),
            );
            srv.accept_with(ok).expect("decision pending");
        }
        // No TLS or AUTH is configured, so these never come; refuse
        // anything unexpected rather than hang.
        _ => {
            let _ = srv.reject(Reply::new(454, None, "not available"));
        }
    }
    Ok(())
}

fn main() {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("smtp_server: {e}");
            std::process::exit(2);
        }
    };
    let listener = TcpListener::bind(&o.addr).unwrap_or_else(|e| {
        eprintln!("smtp_server: cannot listen on {}: {e}", o.addr);
        std::process::exit(2);
    });
    println!(
        "listening on {}",
        listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default()
    );
    let mut stored = 0;
    for (served, stream) in listener.incoming().enumerate() {
        match stream {
            Ok(s) => {
                if let Err(e) = serve(s, o.out.as_ref(), &mut stored) {
                    eprintln!("connection error: {e}");
                }
            }
            Err(e) => eprintln!("accept failed: {e}"),
        }
        if o.connections.is_some_and(|n| served + 1 >= n) {
            break;
        }
    }
}
