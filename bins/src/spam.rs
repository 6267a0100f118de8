//! `rampart spam check MESSAGE`: score a message with the SpamAssassin-
//! style rule set and the Bayes store, print the report and the headers
//! that would be added.

use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use rampart_spam_bayes::{
    Bayes, Facts, MemoryStore, Report, Scorer, ScorerBuilder, Tokenizer, file,
};

use crate::data::DataDir;

/// Spam scoring commands.
#[derive(Debug, clap::Subcommand)]
pub enum SpamCommand {
    /// Score one message: rules hit, total, and the X-Spam-* headers.
    /// Exit status 0 for ham, 1 for spam.
    Check {
        /// The raw message (RFC 5322), or `-` for standard input.
        #[arg(value_name = "MESSAGE")]
        message: PathBuf,
        /// Token database [default: DATA/bayes/tokens.db]; without
        /// enough training no BAYES_* rule fires.
        #[arg(long, value_name = "PATH")]
        db: Option<PathBuf>,
        /// Extra configuration: SpamAssassin `local.cf` syntax, or the
        /// TOML form when the name ends in `.toml` [default:
        /// DATA/spam/local.cf and DATA/spam/local.toml when present].
        #[arg(long, value_name = "PATH")]
        config: Vec<PathBuf>,
        /// Facts found outside the message (e.g. RCVD_IN_XBL,
        /// SPF_FAIL, VIRUS_FOUND), comma-separated or repeated.
        #[arg(long, value_name = "NAME", value_delimiter = ',')]
        fact: Vec<String>,
        /// Print only the headers.
        #[arg(long)]
        headers_only: bool,
    },
}

/// Runs a `rampart spam` subcommand.
pub fn run(cmd: SpamCommand, data: &DataDir) -> anyhow::Result<ExitCode> {
    match cmd {
        SpamCommand::Check {
            message,
            db,
            config,
            fact,
            headers_only,
        } => check(&message, db, config, &fact, headers_only, data),
    }
}

/// Messages larger than this are refused rather than read into memory.
const MAX_MESSAGE: u64 = 64 << 20;

fn read_message(path: &PathBuf) -> anyhow::Result<Vec<u8>> {
    use std::io::Read;
    let mut raw = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .take(MAX_MESSAGE + 1)
            .read_to_end(&mut raw)
            .context("read standard input")?;
    } else {
        fs::File::open(path)
            .with_context(|| format!("open {}", path.display()))?
            .take(MAX_MESSAGE + 1)
            .read_to_end(&mut raw)
            .with_context(|| format!("read {}", path.display()))?;
    }
    if raw.len() as u64 > MAX_MESSAGE {
        anyhow::bail!("message larger than {} MiB", MAX_MESSAGE >> 20);
    }
    Ok(raw)
}

/// The frontend's spam check: the rule set (defaults plus the site's
/// configuration) and the Bayes store, loaded once, used per message.
pub struct SpamEngine {
    scorer: Scorer,
    store: MemoryStore,
    bayes: Bayes,
    tokenizer: Tokenizer,
}

impl SpamEngine {
    /// Loads the rules (`config`, or `DATA/spam/local.cf` and
    /// `DATA/spam/local.toml` when present) and the token store (`db`,
    /// or `DATA/bayes/tokens.db`; a missing file is an empty store).
    pub fn load(
        db: Option<PathBuf>,
        mut config: Vec<PathBuf>,
        data: &DataDir,
    ) -> anyhow::Result<Self> {
        if config.is_empty() {
            config = ["local.cf", "local.toml"]
                .iter()
                .map(|f| data.join("spam").join(f))
                .filter(|p| p.is_file())
                .collect();
        }
        let mut builder = ScorerBuilder::new();
        for path in &config {
            let text =
                fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
            builder = if path.extension().is_some_and(|e| e == "toml") {
                builder.toml(&text)
            } else {
                builder.cf(&text)
            }
            .with_context(|| format!("in {}", path.display()))?;
        }
        let scorer = builder.build()?;
        for w in scorer.warnings() {
            eprintln!("rampart: warning: {w}");
        }
        let db = db.unwrap_or_else(|| data.join("bayes").join("tokens.db"));
        let store = file::load(&db)?;
        Ok(SpamEngine {
            scorer,
            store,
            bayes: Bayes::default(),
            tokenizer: Tokenizer::default(),
        })
    }

    /// The Bayes spam probability, or why there is none (too little
    /// training, a store error).
    pub fn bayes(&self, raw: &[u8]) -> Result<f64, String> {
        self.bayes
            .classify_hashes(&self.store, &self.tokenizer.token_hashes(raw))
            .map(|s| s.probability)
            .map_err(|e| e.to_string())
    }

    /// Scores one message with the rules, the Bayes probability when
    /// there is one, and the facts found outside the message.
    pub fn score(&self, raw: &[u8], bayes: Option<f64>, facts: &[String]) -> Report {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let mut f = Facts::new().now(now);
        for name in facts {
            f.set(name.trim());
        }
        self.scorer.score(raw, bayes, &f)
    }
}

fn check(
    message: &PathBuf,
    db: Option<PathBuf>,
    config: Vec<PathBuf>,
    facts: &[String],
    headers_only: bool,
    data: &DataDir,
) -> anyhow::Result<ExitCode> {
    let raw = read_message(message)?;
    let engine = SpamEngine::load(db, config, data)?;
    let bayes = match engine.bayes(&raw) {
        Ok(p) => Some(p),
        Err(e) => {
            if !headers_only {
                eprintln!("rampart: note: no Bayes score: {e}");
            }
            None
        }
    };
    let report = engine.score(&raw, bayes, facts);
    if !headers_only {
        if let Some(p) = report.bayes {
            println!("Bayes spam probability: {p:.6}");
        }
        println!("{report}");
    }
    print!("{}", report.header_block().replace("\r\n", "\n"));
    Ok(if report.is_spam {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
