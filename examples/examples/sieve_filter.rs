//! Embedding the Sieve engine: compile a user's script once, share it
//! between threads, run it over messages, and print what happens to each
//! message and why.
//!
//! ```sh
//! cargo run -p rampart-examples --example sieve_filter
//! ```

use std::sync::Arc;

use rampart_sieve_engine::{
    DateTime, Envelope, Host, Limits, RunOptions, SpamVirusConfig, compile, oracle_line, run,
    wizard::Preferences,
};

/// What the delivery agent knows and the engine asks for: here, the
/// spam score comes from the `X-Spam-Score` header the frontend added.
struct Delivery {
    spam: SpamVirusConfig,
    folders: Vec<&'static str>,
}

impl Host for Delivery {
    fn mailbox_exists(&mut self, name: &str) -> bool {
        name.eq_ignore_ascii_case("INBOX") || self.folders.contains(&name)
    }
    fn spamtest(&mut self, message: &mail_parser::Message<'_>, percent: bool) -> Option<String> {
        self.spam.spamtest(message, percent)
    }
}

const USER_SCRIPT: &str = r#"
require ["fileinto", "spamtest", "relational", "comparator-i;ascii-numeric",
         "imap4flags", "vacation", "variables"];

if spamtest :value "ge" :comparator "i;ascii-numeric" "6" {
    fileinto :flags "\\Seen" "Junk";
    stop;
}
if header :matches "list-id" "*<*.example.org>*" {
    fileinto "Lists/${2}";
} elsif address :is "from" "boss@example.com" {
    addflag "\\Flagged";
    vacation :days 1 :subject "Out today" "I will answer tomorrow.";
}
"#;

const MESSAGES: [&str; 3] = [
    "From: boss@example.com\r\nTo: me@example.net\r\nSubject: Budget\r\n\r\nCall me.\r\n",
    "From: news@example.org\r\nTo: me@example.net\r\nList-Id: Weekly <weekly.example.org>\r\n\
     Subject: Issue 12\r\n\r\nNews.\r\n",
    "From: win@example.biz\r\nTo: me@example.net\r\nX-Spam-Score: 8.2\r\nSubject: Prize\r\n\r\nWin!\r\n",
];

fn main() {
    // Compile once; the script is immutable and Send + Sync.
    let script = Arc::new(compile(USER_SCRIPT).expect("the example script compiles"));
    let mut spam = SpamVirusConfig::default();
    spam.set("sieve_spamtest_status_header", "X-Spam-Score")
        .expect("valid setting");
    spam.set("sieve_spamtest_score_max_value", "10")
        .expect("valid setting");

    let handles: Vec<_> = MESSAGES
        .iter()
        .map(|raw| {
            let script = Arc::clone(&script);
            let spam = spam.clone();
            std::thread::spawn(move || {
                let msg = mail_parser::MessageParser::default()
                    .parse(raw.as_bytes())
                    .expect("example messages parse");
                let mut host = Delivery {
                    spam,
                    folders: vec!["Junk"],
                };
                let limits = Limits::default();
                let opts = RunOptions {
                    now: DateTime::utc(1_796_000_000),
                    limits: &limits,
                };
                let env = Envelope {
                    from: msg
                        .from()
                        .and_then(|a| a.first())
                        .and_then(|a| a.address())
                        .unwrap_or(""),
                    to: "me@example.net",
                    auth: None,
                };
                let out = run(&script, &msg, env, &mut host, opts);
                let mut text = format!("message {:?}\n", msg.subject().unwrap_or(""));
                for p in &out.actions {
                    text.push_str(&format!("  {}\n      because {}\n", oracle_line(p), p.why));
                }
                text.push_str(&format!("  ({})\n", out.keep_note));
                text
            })
        })
        .collect();
    for h in handles {
        print!("{}", h.join().expect("worker thread"));
    }

    // The wizard writes scripts from preferences and reads them back.
    let prefs = Preferences::example();
    let generated = prefs.to_script();
    println!(
        "\nwizard script ({} lines) compiles: {}",
        generated.lines().count(),
        compile(&generated).is_ok()
    );
    println!(
        "reads back to the same preferences: {}",
        Preferences::from_script(&generated).ok() == Some(prefs)
    );
}
