//! Embedding `rampart-av-sigscan`: load a small database from text,
//! scan a few mails as a delivery agent would, and act on the verdict.
//!
//! `cargo run -p rampart-examples --example av_mail_scan [FILE...]`
//!
//! Without arguments, three built-in mails are scanned: a clean one, one
//! with the EICAR test file as a base64 attachment (found by its MD5),
//! and one whose zipped attachment holds a body-signature match. With
//! arguments, each file is read and scanned with the same database.
//!
//! Each mail is also scanned the way an SMTP server receives it, in
//! pieces through the streaming scanner, which gives the same verdict.

use std::process::ExitCode;

use rampart_av_sigscan::{Database, LoadOptions, Loader, ScanOptions};

/// The EICAR test string (eicar.org), harmless by design.
const EICAR: &[u8] = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

/// A database as a mail server could embed it: a hash signature for
/// EICAR and a body signature (`evil`, up to 8 bytes, `payload`).
fn database() -> Result<Database, rampart_av_sigscan::LoadError> {
    let mut loader = Loader::new(LoadOptions::default());
    loader.add(
        "embedded.hdb",
        b"44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature\n",
    )?;
    loader.add(
        "embedded.ndb",
        b"Example.Evil.Payload:0:*:6576696c{-8}7061796c6f6164\n",
    )?;
    loader.compile()
}

fn base64(data: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for k in 0..4 {
            out.push(if k <= c.len() {
                T[(n >> (18 - 6 * k) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

/// A one-member stored zip (CRC left zero: the scanner does not check it).
fn zip(name: &str, data: &[u8]) -> Vec<u8> {
    let (n, size) = (name.len() as u16, data.len() as u32);
    let mut z = b"PK\x03\x04\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00\0\0\0\0".to_vec();
    z.extend_from_slice(&size.to_le_bytes());
    z.extend_from_slice(&size.to_le_bytes());
    z.extend_from_slice(&n.to_le_bytes());
    z.extend_from_slice(&[0, 0]);
    z.extend_from_slice(name.as_bytes());
    z.extend_from_slice(data);
    z
}

fn mail(subject: &str, attachment: Option<(&str, &[u8])>) -> Vec<u8> {
    let mut m = format!(
        "From: sender@example.org\r\nTo: rcpt@example.net\r\nSubject: {subject}\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"sep\"\r\n\r\n\
         --sep\r\nContent-Type: text/plain\r\n\r\nSee the attachment.\r\n"
    );
    if let Some((name, data)) = attachment {
        m.push_str(&format!(
            "--sep\r\nContent-Type: application/octet-stream\r\n\
             Content-Transfer-Encoding: base64\r\n\
             Content-Disposition: attachment; filename=\"{name}\"\r\n\r\n{}\r\n",
            base64(data)
        ));
    }
    m.push_str("--sep--\r\n");
    m.into_bytes()
}

fn main() -> ExitCode {
    let db = match database() {
        Ok(db) => db,
        Err(e) => {
            eprintln!("cannot load the database: {e}");
            return ExitCode::from(2);
        }
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let inputs: Vec<(String, Vec<u8>)> = if args.is_empty() {
        vec![
            ("clean.eml".into(), mail("hello", None)),
            ("eicar.eml".into(), mail("test", Some(("eicar.com", EICAR)))),
            (
                "zipped.eml".into(),
                mail(
                    "invoice",
                    Some(("invoice.zip", &zip("a.bin", b"..evil->payload.."))),
                ),
            ),
        ]
    } else {
        let mut v = Vec::new();
        for a in args {
            match std::fs::read(&a) {
                Ok(b) => v.push((a, b)),
                Err(e) => {
                    eprintln!("{a}: {e}");
                    return ExitCode::from(2);
                }
            }
        }
        v
    };
    let opts = ScanOptions::default();
    let mut infected = false;
    for (name, bytes) in &inputs {
        let report = db.scan(bytes, &opts);
        // As DATA arrives: 1000-byte pieces, scanned as they come.
        let mut stream = db.stream(&opts);
        for piece in bytes.chunks(1000) {
            stream.write(piece);
        }
        let streamed = stream.finish();
        assert_eq!(streamed.detections, report.detections, "{name}");
        // A delivery agent would reject (SMTP 554) or quarantine here.
        match report.detections.first() {
            Some(d) => {
                infected = true;
                println!("{name}: {} FOUND -> reject", d.display_name());
            }
            None => println!(
                "{name}: OK ({} bytes scanned, {} parts extracted) -> deliver",
                report.scanned_bytes, report.extracted_files
            ),
        }
    }
    if infected {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
