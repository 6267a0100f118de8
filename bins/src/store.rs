//! `rampart store ...`: administer the mail store under the data
//! directory: accounts, mailboxes, quotas, verification, and mbox or
//! Maildir import and export.

use std::fs::File;
use std::io::{BufReader, BufWriter, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use rampart_mailstore::mbox::MboxFormat;
use rampart_mailstore::{
    ImportReport, MailboxName, Quota, Recovery, SpecialUse, Store, StoreOptions,
};

use crate::data::DataDir;

/// Store commands.
#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    /// Store directory [default: DATA/store].
    #[arg(long, value_name = "DIR", global = true)]
    store: Option<PathBuf>,

    #[command(subcommand)]
    command: StoreCommand,
}

/// What to do with the store.
#[derive(Debug, clap::Subcommand)]
enum StoreCommand {
    /// Create, list or delete accounts.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Create, list, rename or delete mailboxes of an account.
    #[command(subcommand)]
    Mailbox(MailboxCommand),
    /// Show an account's quota and use, or set its limits.
    Quota {
        /// The account.
        #[arg(long)]
        user: String,
        /// New limit in bytes (0 removes it).
        #[arg(long, value_name = "BYTES")]
        set_bytes: Option<u64>,
        /// New limit in messages (0 removes it).
        #[arg(long, value_name = "N")]
        set_messages: Option<u64>,
    },
    /// Check every record, counter and message body; exit 1 on problems.
    Verify,
    /// Recover the store (cut a torn or damaged journal tail, and also a
    /// record that cannot be applied, kept aside as journal.torn-OFFSET,
    /// keeping the UIDs of complete records after it used), rewrite the
    /// journal from the recovered state (checked by replay before it
    /// replaces the old one; without room for it the recovered journal
    /// stays), and verify the result (the store must not be in use).
    Repair,
    /// Rewrite the journal without expunged messages, deleted mailboxes
    /// and expired Sieve marks (the store must not be in use).
    Compact,
    /// Import an mbox file or a Maildir folder into a mailbox.
    Import {
        /// The account.
        #[arg(long)]
        user: String,
        /// An mbox file to import.
        #[arg(
            long,
            value_name = "FILE",
            conflicts_with = "maildir",
            required_unless_present = "maildir"
        )]
        mbox: Option<PathBuf>,
        /// A Maildir folder (with cur/ and new/) to import.
        #[arg(long, value_name = "DIR")]
        maildir: Option<PathBuf>,
        /// Also import the Maildir++ subfolders of --maildir (`.Sent`,
        /// `.Work.Later`, names in modified UTF-7) as mailboxes below
        /// --mailbox (at the top level when it is INBOX).
        #[arg(long, requires = "maildir")]
        subfolders: bool,
        /// The target mailbox, created when missing.
        #[arg(long, value_name = "NAME")]
        mailbox: String,
        /// The mbox quoting convention.
        #[arg(long, value_enum, default_value = "mboxrd")]
        format: Format,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Export a mailbox as an mbox file or a Maildir folder.
    Export {
        /// The account.
        #[arg(long)]
        user: String,
        /// The mailbox.
        #[arg(long, value_name = "NAME")]
        mailbox: String,
        /// The mbox file to write (must not exist).
        #[arg(
            long,
            value_name = "FILE",
            conflicts_with = "maildir",
            required_unless_present = "maildir"
        )]
        mbox: Option<PathBuf>,
        /// The Maildir folder to write (created when missing).
        #[arg(long, value_name = "DIR")]
        maildir: Option<PathBuf>,
        /// The mbox quoting convention.
        #[arg(long, value_enum, default_value = "mboxrd")]
        format: Format,
    },
}

/// Account commands.
#[derive(Debug, clap::Subcommand)]
enum AccountCommand {
    /// Create an account (with its INBOX).
    Create {
        /// Account name.
        user: String,
    },
    /// List accounts with message counts and bytes.
    List,
    /// Delete an account and all its mail.
    Delete {
        /// Account name.
        user: String,
    },
}

/// Mailbox commands.
#[derive(Debug, clap::Subcommand)]
enum MailboxCommand {
    /// Create a mailbox (and missing parents); names use '/'.
    Create {
        /// The account.
        #[arg(long)]
        user: String,
        /// Mailbox name, such as `Archive/2024`.
        name: String,
        /// Special-use attributes, such as `\Sent` (RFC 6154).
        #[arg(long = "special-use", value_name = "ATTR")]
        special_use: Vec<String>,
    },
    /// List mailboxes with their status.
    List {
        /// The account.
        #[arg(long)]
        user: String,
    },
    /// Rename a mailbox with its children.
    Rename {
        /// The account.
        #[arg(long)]
        user: String,
        /// Current name.
        from: String,
        /// New name.
        to: String,
    },
    /// Delete a mailbox and its messages.
    Delete {
        /// The account.
        #[arg(long)]
        user: String,
        /// Mailbox name.
        name: String,
    },
}

/// mbox quoting conventions.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    /// `From ` lines quoted as `>From `, not unquoted on import.
    Mboxo,
    /// `>*From ` lines quoted with one more `>`, exact round trip.
    Mboxrd,
}

impl From<Format> for MboxFormat {
    fn from(f: Format) -> Self {
        match f {
            Format::Mboxo => MboxFormat::Mboxo,
            Format::Mboxrd => MboxFormat::Mboxrd,
        }
    }
}

fn name(text: &str) -> anyhow::Result<MailboxName> {
    MailboxName::new(text).with_context(|| format!("bad mailbox name {text:?}"))
}

fn limit(n: Option<u64>) -> Option<u64> {
    n.filter(|&n| n > 0)
}

/// Runs `rampart store ...`.
pub fn run(args: StoreArgs, data: &DataDir) -> anyhow::Result<ExitCode> {
    let dir = args.store.unwrap_or_else(|| data.join("store"));
    let open = |opts: StoreOptions| {
        let store = Store::open(&dir, opts)
            .with_context(|| format!("opening the store at {}", dir.display()))?;
        report_recovery(store.recovery());
        anyhow::Ok(store)
    };
    match args.command {
        StoreCommand::Account(cmd) => {
            let store = open(StoreOptions::default())?;
            match cmd {
                AccountCommand::Create { user } => {
                    store.create_account(&user)?;
                    println!("created account {user}");
                }
                AccountCommand::List => {
                    for a in store.accounts() {
                        let q = store.quota(&a)?;
                        println!("{a}\t{} messages\t{} bytes", q.messages, q.bytes);
                    }
                }
                AccountCommand::Delete { user } => {
                    store.delete_account(&user)?;
                    println!("deleted account {user}");
                }
            }
        }
        StoreCommand::Mailbox(cmd) => {
            let store = open(StoreOptions::default())?;
            match cmd {
                MailboxCommand::Create {
                    user,
                    name: n,
                    special_use,
                } => {
                    let su = SpecialUse::parse(&special_use).map_err(|bad| {
                        anyhow::anyhow!(
                            "unknown special-use attribute {bad:?} (known: \\All \\Archive \
                             \\Drafts \\Flagged \\Junk \\Sent \\Trash)"
                        )
                    })?;
                    store.create_mailbox(&user, &name(&n)?, su)?;
                    println!("created mailbox {n}");
                }
                MailboxCommand::List { user } => {
                    println!("name\tmessages\tunseen\tbytes\tuidvalidity\tuidnext\tattributes");
                    for s in store.mailboxes(&user)? {
                        let attrs: Vec<&str> = s.special_use.iter().collect();
                        println!(
                            "{}\t{}\t{}\t{}\t{}\t{}\t{}{}",
                            s.name,
                            s.messages,
                            s.unseen,
                            s.size,
                            s.uidvalidity,
                            s.uidnext,
                            attrs.join(" "),
                            if s.subscribed { " (subscribed)" } else { "" }
                        );
                    }
                }
                MailboxCommand::Rename { user, from, to } => {
                    store.rename_mailbox(&user, &name(&from)?, &name(&to)?)?;
                    println!("renamed {from} to {to}");
                }
                MailboxCommand::Delete { user, name: n } => {
                    store.delete_mailbox(&user, &name(&n)?)?;
                    println!("deleted mailbox {n}");
                }
            }
        }
        StoreCommand::Quota {
            user,
            set_bytes,
            set_messages,
        } => {
            let store = open(StoreOptions::default())?;
            if set_bytes.is_some() || set_messages.is_some() {
                let old = store.quota(&user)?.quota;
                let quota = Quota {
                    max_bytes: set_bytes.map_or(old.max_bytes, |b| limit(Some(b))),
                    max_messages: set_messages.map_or(old.max_messages, |m| limit(Some(m))),
                };
                store.set_quota(&user, quota)?;
            }
            let q = store.quota(&user)?;
            let show = |v: Option<u64>| v.map_or("unlimited".to_owned(), |v| v.to_string());
            println!("bytes\t{}\t{}", q.bytes, show(q.quota.max_bytes));
            println!("messages\t{}\t{}", q.messages, show(q.quota.max_messages));
        }
        cmd @ (StoreCommand::Verify | StoreCommand::Repair) => {
            let mut failed = false;
            let repaired = if matches!(cmd, StoreCommand::Repair) {
                // Opening recovers (and here also cuts a record that
                // cannot be applied); compaction then rewrites a clean
                // journal, checked by replay before it replaces the old.
                let store = Store::open_repairing(&dir, StoreOptions::default())
                    .with_context(|| format!("opening the store at {}", dir.display()))?;
                let rec = store.recovery().clone();
                report_recovery(&rec);
                drop(store);
                match Store::compact(&dir, StoreOptions::default()) {
                    Ok(rep) => println!(
                        "rewrote\t{} bytes -> {} bytes\t{} records",
                        rep.before, rep.after, rep.records
                    ),
                    // The recovered journal stays in use (a full disk has
                    // no room for a second copy): say so, and verify it.
                    Err(e) => {
                        println!("problem\tthe journal was not rewritten: {e}");
                        failed = true;
                    }
                }
                Some(rec)
            } else {
                None
            };
            let store = open(StoreOptions::default())?;
            // What recovery did when the repair opened the store, not the
            // clean open after it.
            let rec = repaired.unwrap_or_else(|| store.recovery().clone());
            println!(
                "journal\t{} bytes\t{} records replayed\t{} torn bytes cut\t{} records set aside",
                store.journal_len(),
                rec.records,
                rec.discarded_bytes,
                rec.records_set_aside
            );
            let report = store.verify()?;
            println!(
                "checked\t{} accounts\t{} mailboxes\t{} messages",
                report.accounts, report.mailboxes, report.messages
            );
            for p in &report.problems {
                println!("problem\t{p}");
            }
            if failed || !report.problems.is_empty() {
                return Ok(ExitCode::from(1));
            }
            println!("ok");
        }
        StoreCommand::Compact => {
            let rep = Store::compact(&dir, StoreOptions::default())
                .with_context(|| format!("compacting the store at {}", dir.display()))?;
            println!(
                "compacted\t{} bytes -> {} bytes\t{} records\t{} bodies",
                rep.before, rep.after, rep.records, rep.bodies
            );
        }
        StoreCommand::Import {
            user,
            mbox,
            maildir,
            subfolders,
            mailbox,
            format,
            quiet,
        } => {
            let store = open(StoreOptions::default())?;
            let mb = name(&mailbox)?;
            if !store.accounts().contains(&user) {
                bail!(
                    "account {user:?} does not exist; create it with `rampart store account create {user}`"
                );
            }
            let show = !quiet && std::io::stderr().is_terminal();
            let report = if let Some(path) = mbox {
                let file =
                    File::open(&path).with_context(|| format!("opening {}", path.display()))?;
                let total = file.metadata().map(|m| m.len()).unwrap_or(0);
                let bar = bar(
                    show,
                    total,
                    "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                );
                let r = store.import_mbox(
                    &user,
                    &mb,
                    BufReader::with_capacity(1 << 20, file),
                    format.into(),
                    &mut |n| bar.set_position(n),
                );
                bar.finish_and_clear();
                r.with_context(|| format!("importing {}", path.display()))?
            } else {
                let dir = maildir.expect("clap requires --mbox or --maildir");
                let mut folders = vec![(mb.clone(), dir.clone())];
                if subfolders {
                    let subs = rampart_mailstore::maildir::subfolders(&dir)
                        .with_context(|| format!("listing the subfolders of {}", dir.display()))?;
                    for (sub, path) in subs {
                        // Maildir++ keeps names in modified UTF-7.
                        let full = if mb.is_inbox() {
                            sub
                        } else {
                            format!("{mb}/{sub}")
                        };
                        let n = MailboxName::from_utf7(&full)
                            .or_else(|_| MailboxName::new(&full))
                            .with_context(|| format!("bad mailbox name for {}", path.display()))?;
                        folders.push((n, path));
                    }
                }
                let mut total = ImportReport::default();
                for (n, path) in folders {
                    let bar = bar(show, 0, "{msg} {bar:40} {pos}/{len} messages eta {eta}");
                    bar.set_message(n.to_string());
                    let r = store.import_maildir(&user, &n, &path, &mut |i, k| {
                        bar.set_length(k);
                        bar.set_position(i);
                    });
                    bar.finish_and_clear();
                    let r = r.with_context(|| format!("importing {}", path.display()))?;
                    if subfolders {
                        print_report(&r, n.as_str());
                    }
                    total.imported += r.imported;
                    total.bytes += r.bytes;
                    total.skipped.extend(r.skipped);
                }
                if subfolders {
                    println!("imported {} messages in all", total.imported);
                    return Ok(ExitCode::SUCCESS);
                }
                total
            };
            print_report(&report, &mailbox);
        }
        StoreCommand::Export {
            user,
            mailbox,
            mbox,
            maildir,
            format,
        } => {
            let store = open(StoreOptions::default())?;
            let mb = name(&mailbox)?;
            let n = if let Some(path) = mbox {
                let file = File::create_new(&path)
                    .with_context(|| format!("creating {}", path.display()))?;
                let mut out = BufWriter::new(file);
                let n = store.export_mbox(&user, &mb, &mut out, format.into())?;
                let file = out.into_inner().context("writing the mbox")?;
                file.sync_all().context("syncing the mbox")?;
                n
            } else {
                let dir = maildir.expect("clap requires --mbox or --maildir");
                store.export_maildir(&user, &mb, &dir)?
            };
            println!("exported {n} messages from {mailbox}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Tells on stderr what recovery cut, when it cut anything.
fn report_recovery(rec: &Recovery) {
    if rec.discarded_bytes > 0 {
        eprintln!(
            "rampart: store recovery cut {} bytes of journal tail ({}); they were saved \
             beside the journal as journal.torn-OFFSET{}",
            rec.discarded_bytes,
            rec.reason.unwrap_or("unknown reason"),
            if rec.records_set_aside > 0 {
                format!(
                    ", with {} complete records after the damage whose UIDs stay used",
                    rec.records_set_aside
                )
            } else {
                String::new()
            }
        );
    }
}

fn bar(show: bool, len: u64, template: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

fn print_report(report: &ImportReport, mailbox: &str) {
    println!(
        "imported {} messages ({} bytes) into {mailbox}",
        report.imported, report.bytes
    );
    for s in &report.skipped {
        println!("skipped\t{s}");
    }
}
