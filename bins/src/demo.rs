//! `rampart demo`: the whole mail flow on embedded defaults, in one
//! process, so that a fresh checkout shows what the system does.
//!
//! Each sample message goes the way mail goes through a Rampart site: a
//! frontend scans it for viruses and scores it for spam, then either
//! refuses it or tags its headers and hands it on; the backend runs the
//! recipient's Sieve script (written by the filter wizard) and delivers
//! into the mail store under the data directory. Nothing here opens a
//! socket; the servers reuse the same steps.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use rampart_av_sigscan::{Database, LoadOptions, Loader, ScanOptions};
use rampart_mailstore::{Delivery, Flags, MailboxName, SpecialUse, Store, StoreOptions};
use rampart_sieve_engine::wizard::{Field, Preferences, Rule, RuleAction, SpamRule};
use rampart_sieve_engine::{Action, DateTime, Envelope, Host, Limits, RunOptions};

use crate::data::DataDir;
use crate::spam::SpamEngine;

/// A spam score at or above this is refused at the end of DATA; mail
/// between the rules' required score and this is tagged and delivered.
const REJECT_SCORE: f64 = 15.0;

/// Options of `rampart demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Messages to send through instead of the built-in samples (files
    /// holding one RFC 5322 message each).
    #[arg(value_name = "MESSAGE")]
    messages: Vec<PathBuf>,
    /// The demo account; it is emptied and created afresh on each run.
    #[arg(long, default_value = "demo")]
    account: String,
}

/// The built-in samples: ordinary mail, a mailing list, a lottery scam,
/// the EICAR test file as an attachment, and an HTML reply.
const SAMPLES: &[(&str, &[u8])] = &[
    (
        "01-colleague.eml",
        include_bytes!("../demo/01-colleague.eml"),
    ),
    ("02-list.eml", include_bytes!("../demo/02-list.eml")),
    ("03-lottery.eml", include_bytes!("../demo/03-lottery.eml")),
    ("04-virus.eml", include_bytes!("../demo/04-virus.eml")),
    ("05-reply.eml", include_bytes!("../demo/05-reply.eml")),
];

/// The embedded signature set: the EICAR test file by hash (what every
/// scanner must find) and by body pattern, so both engines are exercised.
const SIGNATURES: &[(&str, &[u8])] = &[
    ("rampart-demo.hdb", b"44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature\n"),
    (
        "rampart-demo.ndb",
        // "EICAR-STANDARD-ANTIVIRUS-TEST-FILE" anywhere in any file.
        b"Rampart.Test.EicarString:0:*:45494341522d5354414e444152442d414e544956495255532d544553542d46494c45\n",
    ),
];

/// Envelope sender and recipient of every sample.
const RECIPIENT: &str = "demo@example.net";

/// What the frontend decided for one message.
enum FrontendVerdict {
    /// Refused at the end of DATA with this SMTP reply.
    Rejected(String),
    /// Accepted; these header lines go on top of the message.
    Accepted { headers: String, summary: String },
}

/// The frontend: virus scan, spam score, policy.
struct Frontend {
    av: Database,
    scan: ScanOptions,
    spam: SpamEngine,
}

impl Frontend {
    fn new(data: &DataDir) -> Result<Self> {
        let mut loader = Loader::new(LoadOptions::default());
        for (name, text) in SIGNATURES {
            loader
                .add(name, text)
                .with_context(|| format!("embedded signatures {name}"))?;
        }
        let av = loader
            .compile()
            .context("compiling the embedded signatures")?;
        let spam = SpamEngine::load(None, Vec::new(), data).context("loading the spam checks")?;
        Ok(Frontend {
            av,
            scan: ScanOptions::default(),
            spam,
        })
    }

    fn check(&self, raw: &[u8]) -> FrontendVerdict {
        let report = self.av.scan(raw, &self.scan);
        if let Some(hit) = report.detections.first() {
            return FrontendVerdict::Rejected(format!(
                "554 5.7.1 Message refused: virus {} found",
                hit.display_name()
            ));
        }
        let bayes = self.spam.bayes(raw).ok();
        let report = self.spam.score(raw, bayes, &[]);
        if report.score >= REJECT_SCORE {
            return FrontendVerdict::Rejected(format!(
                "550 5.7.1 Message refused as spam (score {:.1})",
                report.score
            ));
        }
        let tests: Vec<&str> = report.hits.iter().map(|h| h.name.as_str()).collect();
        let summary = format!(
            "spam score {:.1} of {:.1} required{}{}",
            report.score,
            report.required,
            if report.is_spam {
                ", tagged as spam"
            } else {
                ""
            },
            if tests.is_empty() {
                String::new()
            } else {
                format!(" ({})", tests.join(", "))
            }
        );
        FrontendVerdict::Accepted {
            headers: report.header_block(),
            summary,
        }
    }
}

/// The backend's view of the store for the Sieve engine.
struct StoreHost<'a> {
    store: &'a Store,
    account: &'a str,
}

impl Host for StoreHost<'_> {
    fn mailbox_exists(&mut self, name: &str) -> bool {
        MailboxName::new(name)
            .ok()
            .and_then(|n| self.store.status(self.account, &n).ok())
            .is_some()
    }
}

/// Runs the demo.
pub fn run(args: DemoArgs, data: &DataDir) -> Result<ExitCode> {
    let messages: Vec<(String, Vec<u8>)> = if args.messages.is_empty() {
        SAMPLES
            .iter()
            .map(|(n, b)| ((*n).to_owned(), b.to_vec()))
            .collect()
    } else {
        args.messages
            .iter()
            .map(|p| read_message(p))
            .collect::<Result<_>>()?
    };

    let frontend = Frontend::new(data)?;
    let store_dir = data.join("store");
    let store = Store::open(&store_dir, StoreOptions::default())
        .with_context(|| format!("opening the store in {}", store_dir.display()))?;
    let account = args.account.as_str();
    if store.accounts().iter().any(|a| a == account) {
        store
            .delete_account(account)
            .context("removing the previous demo account")?;
    }
    store.create_account(account)?;
    let junk = MailboxName::new("Junk")?;
    let junk_use = SpecialUse::parse(&["\\Junk"]).map_err(anyhow::Error::msg)?;
    store.create_mailbox(account, &junk, junk_use)?;

    // The user's filter, as the web wizard writes it.
    let prefs = Preferences {
        spam: Some(SpamRule {
            header: Some(("X-Spam-Flag".into(), "YES".into())),
            min_score: None,
            folder: "Junk".into(),
        }),
        rules: vec![Rule {
            field: Field::List,
            contains: "lists.example.org".into(),
            action: RuleAction::FileInto("Lists".into()),
        }],
        ..Preferences::default()
    };
    store.put_script(account, "wizard", prefs.to_script().as_bytes())?;
    store.activate_script(account, Some("wizard"))?;
    let (_, script) = store
        .active_script(account)?
        .context("the active script vanished")?;
    let script = String::from_utf8(script).context("the stored script is not UTF-8")?;
    let script = rampart_sieve_engine::compile(&script)
        .map_err(|e| anyhow::anyhow!("the wizard's script does not compile: {e}"))?;

    println!(
        "Rampart demo: {} messages for <{RECIPIENT}>",
        messages.len()
    );
    println!("store: {}", store_dir.display());
    println!("Sieve script of {account} (written by the filter wizard):");
    for line in prefs.to_script().lines() {
        println!("    {line}");
    }
    println!();

    let limits = Limits::default();
    let now = DateTime::utc(unix_now());
    let mut delivered = 0;
    let mut refused = 0;
    for (name, raw) in &messages {
        println!("{name}");
        let (headers, summary) = match frontend.check(raw) {
            FrontendVerdict::Rejected(reply) => {
                println!("  frontend: {reply}");
                println!();
                refused += 1;
                continue;
            }
            FrontendVerdict::Accepted { headers, summary } => (headers, summary),
        };
        println!("  frontend: 250 accepted, {summary}");
        let mut tagged = headers.into_bytes();
        tagged.extend_from_slice(raw);

        let Some(parsed) = mail_parser::MessageParser::default().parse(&tagged) else {
            println!("  backend: unparseable message, kept in INBOX");
            store.append(
                account,
                &MailboxName::new("INBOX")?,
                &tagged,
                &Flags::new(),
                None,
            )?;
            delivered += 1;
            continue;
        };
        let env = Envelope {
            from: "",
            to: RECIPIENT,
            auth: None,
        };
        let mut host = StoreHost {
            store: &store,
            account,
        };
        let out = rampart_sieve_engine::run(
            &script,
            &parsed,
            env,
            &mut host,
            RunOptions {
                now,
                limits: &limits,
            },
        );
        if let Some(err) = &out.error {
            println!("  sieve: run failed ({err}); implicit keep");
        }
        for done in &out.actions {
            let (mailbox, flags) = match &done.action {
                Action::Keep { flags } => ("INBOX".to_owned(), flags),
                Action::FileInto { mailbox, flags, .. } => (mailbox.clone(), flags),
                other => {
                    println!("  sieve: {other:?} (not carried out by the demo)");
                    continue;
                }
            };
            let target = MailboxName::new(&mailbox)?;
            if store.status(account, &target).is_err() {
                store.create_mailbox(account, &target, SpecialUse::NONE)?;
            }
            let flags = to_flags(flags);
            let uid = store.deliver(
                &tagged,
                &[Delivery {
                    account,
                    mailbox: &target,
                    flags,
                }],
                None,
            )?;
            let uid = uid.into_iter().next().context("no delivery result")??;
            let why = if done.implicit {
                out.keep_note.as_str()
            } else {
                done.why.as_str()
            };
            println!("  sieve: {mailbox} (uid {}): {why}", uid.uid);
            delivered += 1;
        }
        println!();
    }

    println!("Mailboxes of {account}:");
    for status in store.mailboxes(account)? {
        let name = status.name.to_string();
        println!(
            "  {name:<8} {}",
            plural(status.messages as usize, "message")
        );
    }
    println!(
        "{}, {} refused at the frontend",
        plural(delivered, "delivery"),
        plural(refused, "message")
    );
    Ok(ExitCode::SUCCESS)
}

fn to_flags(names: &[String]) -> Flags {
    let mut flags = Flags::new();
    for name in names {
        // A flag the store refuses is dropped; the message still lands.
        if flags.insert_str(name).is_err() {
            tracing::warn!(flag = %name, "ignoring a flag the store does not accept");
        }
    }
    flags
}

fn read_message(path: &Path) -> Result<(String, Vec<u8>)> {
    let raw = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if raw.is_empty() {
        bail!("{}: empty file", path.display());
    }
    Ok((path.display().to_string(), raw))
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// "1 message", "2 messages", "0 deliveries".
fn plural(n: usize, word: &str) -> String {
    match (n, word.strip_suffix('y')) {
        (1, _) => format!("1 {word}"),
        (_, Some(stem)) => format!("{n} {stem}ies"),
        (_, None) => format!("{n} {word}s"),
    }
}
