//! The `rampart` command: thin wiring between the Rampart crates, the
//! command line and the file system.
//!
//! Every subcommand lives in its own module and does four things: read
//! its arguments, open what it needs under the data directory, call into
//! a library crate, and print the result. Protocol and policy decisions
//! stay in the libraries.

mod data;
// Subcommand modules, one per line.
mod bayes;
mod demo;
mod scan;
mod sieve;
mod spam;
mod store;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::data::DataDir;

/// Rampart: a mail system of reusable Rust crates.
#[derive(Debug, Parser)]
#[command(name = "rampart", version, about, long_about = None)]
struct Cli {
    /// Directory that holds all state: stores, token databases, queues
    /// and signature databases.
    #[arg(long, global = true, env = "RAMPART_DATA", value_name = "DIR")]
    data: Option<std::path::PathBuf>,

    /// More log output (-v info, -vv debug, -vvv trace); RUST_LOG
    /// overrides it.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    // Subcommands, one variant each.
    /// Run sample mail through the whole system (scan, score, Sieve,
    /// store) on embedded defaults and show what happened to each.
    Demo(demo::DemoArgs),
    /// Scan files for viruses with ClamAV-format signature databases.
    Scan(scan::ScanArgs),
    /// Spam scoring, SpamAssassin style: rules, Bayes, X-Spam headers.
    #[command(subcommand)]
    Spam(spam::SpamCommand),
    /// Bayes spam classifier: learn, classify, stats.
    #[command(subcommand)]
    Bayes(bayes::BayesCommand),
    /// Sieve filters: check scripts, run one over a message, run test files.
    #[command(subcommand)]
    Sieve(sieve::SieveCommand),
    /// Mail store administration: accounts, mailboxes, quotas,
    /// verify/repair, mbox and Maildir import and export.
    Store(store::StoreArgs),
    /// Show the data directory and where each kind of state lives in it.
    Paths,
}

fn main() -> ExitCode {
    install_panic_hook();
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    let data = DataDir::resolve(cli.data.clone());
    match run(cli.command, &data) {
        Ok(code) => code,
        Err(err) => {
            // One clear line, the whole cause chain, no debug dump.
            eprintln!("rampart: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn run(command: Command, data: &DataDir) -> anyhow::Result<ExitCode> {
    match command {
        // Subcommand dispatch, one arm each.
        Command::Sieve(cmd) => sieve::run(cmd, data),
        Command::Store(args) => store::run(args, data),
        Command::Demo(args) => demo::run(args, data),
        Command::Scan(args) => scan::run(args, data),
        Command::Bayes(cmd) => bayes::run(cmd, data),
        Command::Spam(cmd) => spam::run(cmd, data),
        Command::Paths => {
            data.print_layout();
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Logs go to standard error; `-v` raises the level and `RUST_LOG`, when
/// set, wins.
fn init_tracing(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// A panic is a bug in Rampart; report it on one line instead of a
/// backtrace dump, and exit with the error code.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("rampart: internal error (a bug, please report it): {msg}{at}");
        std::process::exit(70);
    }));
}
