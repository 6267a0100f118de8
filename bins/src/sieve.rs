//! `rampart sieve`: compile-check scripts, run one over a message with
//! output comparable to Pigeonhole's `sieve-test`, and run test files
//! written for Pigeonhole's `vnd.dovecot.testsuite` extension.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use rampart_sieve_engine::{
    DateTime, Envelope, Host, Limits, RunOptions, SpamVirusConfig, compile, oracle_lines, testsuite,
};

use crate::data::DataDir;

/// The `rampart sieve` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum SieveCommand {
    /// Compile scripts and print every error with line and column; exit
    /// 0 when all compile.
    Check {
        /// Script files.
        #[arg(required = true, value_name = "SCRIPT")]
        scripts: Vec<PathBuf>,
    },
    /// Run a script over a message and print the actions one per line,
    /// in the normalized format of `sieve-oracle.sh`.
    Run(RunArgs),
    /// Run Pigeonhole `vnd.dovecot.testsuite` test files and print each
    /// test's result and a closing `N passed, N failed` line.
    TestSuite {
        /// `.svtest` files.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Print only failures and the totals.
        #[arg(short, long)]
        quiet: bool,
    },
}

/// Arguments of `rampart sieve run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Envelope sender; default, as sieve-test: Return-Path, Sender or
    /// From of the message, else sender@example.com.
    #[arg(long, value_name = "ADDR")]
    from: Option<String>,
    /// Envelope recipient; default: Envelope-To or To of the message,
    /// else recipient@example.com.
    #[arg(long, value_name = "ADDR")]
    to: Option<String>,
    /// Add the reasons: which test matched at which line for each
    /// action, and why the implicit keep was kept or cancelled.
    #[arg(long)]
    explain: bool,
    /// A Pigeonhole spamtest/virustest setting, `KEY=VALUE`, for example
    /// `sieve_spamtest_status_header="X-Spam-Score: (-?[0-9.]+)"`,
    /// `sieve_spamtest_status_type=score`, `sieve_spamtest_score_max_value=10`,
    /// `sieve_virustest_text_value/5=infected` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    settings: Vec<String>,
    /// Current time as Unix seconds (for currentdate and vacation);
    /// default: the system clock.
    #[arg(long, value_name = "SECONDS")]
    now: Option<i64>,
    /// The script.
    script: PathBuf,
    /// The message (RFC 5322 file).
    message: PathBuf,
}

/// Runs one `rampart sieve` subcommand.
pub fn run(cmd: SieveCommand, _data: &DataDir) -> anyhow::Result<ExitCode> {
    match cmd {
        SieveCommand::Check { scripts } => check(&scripts),
        SieveCommand::Run(args) => run_script(args),
        SieveCommand::TestSuite { files, quiet } => test_suite(&files, quiet),
    }
}

fn read_script(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8", path.display()))
}

fn check(scripts: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let mut failed = 0;
    for path in scripts {
        let src = read_script(path)?;
        match compile(&src) {
            Ok(_) => println!("{}: ok", path.display()),
            Err(e) => {
                failed += 1;
                for d in &e.errors {
                    println!(
                        "{}:{}:{}: error: {}",
                        path.display(),
                        d.line,
                        d.column,
                        d.message
                    );
                }
            }
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The spamtest/virustest settings; everything else is the default.
struct CliHost {
    config: SpamVirusConfig,
}

impl Host for CliHost {
    fn spamtest(&mut self, message: &mail_parser::Message<'_>, percent: bool) -> Option<String> {
        self.config.spamtest(message, percent)
    }
    fn virustest(&mut self, message: &mail_parser::Message<'_>) -> Option<String> {
        self.config.virustest(message)
    }
}

/// The first address of a header, as sieve-test picks its defaults.
fn header_address(msg: &mail_parser::Message<'_>, name: &str) -> Option<String> {
    let v = msg.header(name)?;
    match v {
        mail_parser::HeaderValue::Address(a) => a.first()?.address().map(str::to_string),
        mail_parser::HeaderValue::Text(t) => {
            let t = t.trim().trim_start_matches('<').trim_end_matches('>');
            (!t.is_empty()).then(|| t.to_string())
        }
        _ => None,
    }
}

fn run_script(args: RunArgs) -> anyhow::Result<ExitCode> {
    let mut config = SpamVirusConfig::default();
    for s in &args.settings {
        let (k, v) = s
            .split_once('=')
            .with_context(|| format!("--set {s:?}: expected KEY=VALUE"))?;
        if !config.set(k.trim(), v).map_err(anyhow::Error::msg)? {
            bail!("--set {k:?}: not a sieve_spamtest_* or sieve_virustest_* setting");
        }
    }
    let src = read_script(&args.script)?;
    let raw = std::fs::read(&args.message)
        .with_context(|| format!("reading {}", args.message.display()))?;
    let script = match compile(&src) {
        Ok(s) => s,
        Err(e) => {
            println!("error compile");
            for d in &e.errors {
                eprintln!(
                    "{}:{}:{}: error: {}",
                    args.script.display(),
                    d.line,
                    d.column,
                    d.message
                );
            }
            return Ok(ExitCode::SUCCESS);
        }
    };
    let msg = mail_parser::MessageParser::default()
        .parse(&raw)
        .with_context(|| format!("{} is not a message", args.message.display()))?;
    let from = args
        .from
        .clone()
        .or_else(|| header_address(&msg, "Return-Path"))
        .or_else(|| header_address(&msg, "Sender"))
        .or_else(|| header_address(&msg, "From"))
        .unwrap_or_else(|| "sender@example.com".into());
    let to = args
        .to
        .clone()
        .or_else(|| header_address(&msg, "Envelope-To"))
        .or_else(|| header_address(&msg, "To"))
        .unwrap_or_else(|| "recipient@example.com".into());
    let now = match args.now {
        Some(n) => n,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0),
    };
    let limits = Limits::default();
    let env = Envelope {
        from: &from,
        to: &to,
        auth: None,
    };
    let opts = RunOptions {
        now: DateTime::utc(now),
        limits: &limits,
    };
    let mut host = CliHost { config };
    let out = rampart_sieve_engine::run(&script, &msg, env, &mut host, opts);
    let lines = oracle_lines(&out);
    if out.error.is_some() || !args.explain {
        for l in &lines {
            println!("{l}");
        }
    } else {
        for (line, p) in lines.iter().zip(&out.actions) {
            println!("{line}");
            println!("  why: {}", p.why);
        }
    }
    if args.explain {
        if let Some(e) = &out.error {
            println!("  why: {e}");
        }
        println!("  keep: {}", out.keep_note);
        for t in &out.trace {
            println!("  trace: {t}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn test_suite(files: &[PathBuf], quiet: bool) -> anyhow::Result<ExitCode> {
    let (mut passed, mut failed) = (0usize, 0usize);
    for path in files {
        let report = testsuite::run_file(path);
        for t in &report.tests {
            match &t.failure {
                None => {
                    passed += 1;
                    if !quiet {
                        println!("{}: PASS {}", path.display(), t.name);
                    }
                }
                Some(why) => {
                    failed += 1;
                    println!("{}: FAIL {}: {why}", path.display(), t.name);
                }
            }
        }
        if let Some(e) = &report.error {
            failed += 1;
            println!("{}: FAIL (file): {e}", path.display());
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
