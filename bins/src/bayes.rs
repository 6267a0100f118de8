//! `rampart bayes learn|classify|stats`: train and query the Bayes
//! token store under the data directory.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use rampart_spam_bayes::{Bayes, Class, MemoryStore, TokenSet, Tokenizer, file};
use rayon::prelude::*;

use crate::data::DataDir;

/// Where the token database lives.
#[derive(Debug, clap::Args)]
pub struct DbArg {
    /// Token database file [default: DATA/bayes/tokens.db].
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
}

impl DbArg {
    fn path(&self, data: &DataDir) -> PathBuf {
        self.db
            .clone()
            .unwrap_or_else(|| data.join("bayes").join("tokens.db"))
    }
}

/// Bayes classifier commands.
#[derive(Debug, clap::Subcommand)]
pub enum BayesCommand {
    /// Learn messages as spam or ham (files, directories, mbox files,
    /// Maildirs); each message is counted once.
    Learn {
        /// Spam messages.
        #[arg(long, num_args = 1.., value_name = "PATH")]
        spam: Vec<PathBuf>,
        /// Ham messages.
        #[arg(long, num_args = 1.., value_name = "PATH")]
        ham: Vec<PathBuf>,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
        #[command(flatten)]
        db: DbArg,
    },
    /// Print `path<TAB>probability<TAB>spam|ham|unsure` per message.
    Classify {
        /// Messages (files, directories, mbox files, Maildirs).
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        db: DbArg,
    },
    /// Drop tokens not seen for a while, and single-use tokens that
    /// never came back.
    Expire {
        /// Remove tokens last learned more than this many days ago.
        #[arg(long, default_value_t = 365, value_name = "DAYS")]
        max_age_days: u32,
        /// Remove tokens seen in one message only and not for this many
        /// days.
        #[arg(long, default_value_t = 30, value_name = "DAYS")]
        singletons_after_days: u32,
        #[command(flatten)]
        db: DbArg,
    },
    /// Print message and token counts and the store size.
    Stats {
        #[command(flatten)]
        db: DbArg,
    },
}

/// Runs a `rampart bayes` subcommand.
pub fn run(cmd: BayesCommand, data: &DataDir) -> anyhow::Result<ExitCode> {
    match cmd {
        BayesCommand::Learn {
            spam,
            ham,
            quiet,
            db,
        } => learn(&spam, &ham, quiet, &db.path(data)),
        BayesCommand::Classify { paths, db } => classify(&paths, &db.path(data)),
        BayesCommand::Expire {
            max_age_days,
            singletons_after_days,
            db,
        } => expire(max_age_days, singletons_after_days, &db.path(data)),
        BayesCommand::Stats { db } => stats(&db.path(data)),
    }
}

/// One message found under a path: where it is, and its bytes when it
/// came out of an mbox (files are read lazily).
pub(crate) struct Source {
    /// Display name: the file, or `file#N` for the N-th message of an mbox.
    pub name: String,
    path: PathBuf,
    mbox_message: Option<Vec<u8>>,
}

impl Source {
    /// The raw message.
    pub fn read(&self) -> anyhow::Result<Vec<u8>> {
        match &self.mbox_message {
            Some(m) => Ok(m.clone()),
            None => fs::read(&self.path).with_context(|| format!("read {}", self.path.display())),
        }
    }
}

/// Expands files, directories (recursively, sorted), Maildirs (`cur`
/// and `new`) and mbox files into messages.
pub(crate) fn expand(paths: &[PathBuf]) -> anyhow::Result<Vec<Source>> {
    let mut out = Vec::new();
    for p in paths {
        let meta = fs::metadata(p).with_context(|| format!("open {}", p.display()))?;
        if meta.is_dir() {
            let mut files = Vec::new();
            walk(p, &mut files, 0)?;
            files.sort();
            for f in files {
                push_file(&f, &mut out)?;
            }
        } else {
            push_file(p, &mut out)?;
        }
    }
    Ok(out)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, depth: usize) -> anyhow::Result<()> {
    if depth > 16 {
        bail!("directory nesting too deep at {}", dir.display());
    }
    let entries = fs::read_dir(dir).with_context(|| format!("read directory {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("read directory {}", dir.display()))?;
        let name = entry.file_name();
        // Maildir's tmp holds half-delivered messages; dot files are metadata.
        if name.to_string_lossy().starts_with('.') || name == "tmp" {
            continue;
        }
        let path = entry.path();
        let ty = entry
            .file_type()
            .with_context(|| format!("stat {}", path.display()))?;
        if ty.is_dir() {
            walk(&path, files, depth + 1)?;
        } else if ty.is_file() || (ty.is_symlink() && path.is_file()) {
            files.push(path);
        }
    }
    Ok(())
}

/// Adds a file: an mbox with several messages is split, anything else is
/// one message.
fn push_file(path: &Path, out: &mut Vec<Source>) -> anyhow::Result<()> {
    let name = path.display().to_string();
    let mut head = [0u8; 5];
    let is_from_line = fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok()
        && &head == b"From ";
    if is_from_line {
        let bytes = fs::read(path).with_context(|| format!("read {}", path.display()))?;
        let messages = split_mbox(&bytes);
        if messages.len() > 1 {
            for (i, m) in messages.into_iter().enumerate() {
                out.push(Source {
                    name: format!("{name}#{}", i + 1),
                    path: path.to_owned(),
                    mbox_message: Some(m.to_vec()),
                });
            }
            return Ok(());
        }
    }
    out.push(Source {
        name,
        path: path.to_owned(),
        mbox_message: None,
    });
    Ok(())
}

/// Splits an mbox at `From ` lines that follow an empty line (or start
/// the file).
fn split_mbox(bytes: &[u8]) -> Vec<&[u8]> {
    let mut starts = vec![0];
    let mut i = 0;
    while let Some(p) = find(&bytes[i..], b"\n\nFrom ") {
        let at = i + p + 2;
        starts.push(at);
        i = at;
    }
    starts
        .iter()
        .enumerate()
        .map(|(k, &s)| &bytes[s..*starts.get(k + 1).unwrap_or(&bytes.len())])
        .collect()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn today() -> u32 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    (secs / 86_400) as u32
}

fn progress(len: usize, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} {per_sec} eta {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Messages are tokenized in parallel batches of this size, so memory
/// stays bounded on huge corpora.
const BATCH: usize = 2048;

fn learn(spam: &[PathBuf], ham: &[PathBuf], quiet: bool, db: &Path) -> anyhow::Result<ExitCode> {
    if spam.is_empty() && ham.is_empty() {
        bail!("nothing to learn: give --spam PATH... and/or --ham PATH...");
    }
    let mut store = file::load(db)?;
    let tokenizer = Tokenizer::default();
    let bayes = Bayes::default();
    let day = today();
    let mut items: Vec<(Class, Source)> = Vec::new();
    for s in expand(spam)? {
        items.push((Class::Spam, s));
    }
    for s in expand(ham)? {
        items.push((Class::Ham, s));
    }
    let bar = progress(items.len(), quiet);
    bar.set_message("learning");
    let (mut learned, mut skipped) = (0usize, 0usize);
    for batch in items.chunks(BATCH) {
        let sets: Vec<anyhow::Result<TokenSet>> = batch
            .par_iter()
            .map(|(_, s)| {
                let raw = s.read()?;
                bar.inc(1);
                Ok(tokenizer.tokenize(&raw))
            })
            .collect();
        for ((class, _), set) in batch.iter().zip(sets) {
            match bayes.learn(&mut store, &set?, *class, day)? {
                rampart_spam_bayes::LearnOutcome::AlreadyLearned => skipped += 1,
                _ => learned += 1,
            }
        }
    }
    bar.finish_and_clear();
    file::save(db, &store)?;
    let t = store.message_totals();
    println!(
        "learned {learned} messages ({skipped} already known); store has {} spam, {} ham, {} tokens",
        t.spam,
        t.ham,
        store.token_count()
    );
    Ok(ExitCode::SUCCESS)
}

fn classify(paths: &[PathBuf], db: &Path) -> anyhow::Result<ExitCode> {
    let store = file::load(db)?;
    let tokenizer = Tokenizer::default();
    let bayes = Bayes::default();
    let sources = expand(paths)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for batch in sources.chunks(BATCH) {
        let scores: Vec<anyhow::Result<_>> = batch
            .par_iter()
            .map(|s| {
                let raw = s.read()?;
                Ok(bayes.classify(&store, &tokenizer.tokenize(&raw))?)
            })
            .collect();
        for (s, score) in batch.iter().zip(scores) {
            let score = score.with_context(|| format!("classify {}", s.name))?;
            writeln!(
                out,
                "{}\t{:.6}\t{}",
                s.name,
                score.probability,
                score.verdict.as_str()
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn expire(max_age: u32, singletons_after: u32, db: &Path) -> anyhow::Result<ExitCode> {
    let mut store = file::load(db)?;
    let day = today();
    let old = store.expire(day, max_age);
    let single = store.prune_singletons(day, singletons_after);
    file::save(db, &store)?;
    println!(
        "removed {old} old and {single} single-use tokens; {} tokens left",
        store.token_count()
    );
    Ok(ExitCode::SUCCESS)
}

fn stats(db: &Path) -> anyhow::Result<ExitCode> {
    let store: MemoryStore = file::load(db)?;
    let t = store.message_totals();
    let size = fs::metadata(db).map(|m| m.len()).unwrap_or(0);
    println!("db\t{}", db.display());
    println!("spam messages\t{}", t.spam);
    println!("ham messages\t{}", t.ham);
    println!("tokens\t{}", store.token_count());
    println!("learned digests\t{}", store.digest_count());
    println!("file bytes\t{size}");
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mbox_split_table() {
        let table: [(&[u8], usize); 4] = [
            (b"From a\nSubject: x\n\nbody\n", 1),
            (
                b"From a\nSubject: x\n\nbody\n\nFrom b\nSubject: y\n\nz\n",
                2,
            ),
            (b"From a\n\nFrom b\n\nFrom c\n\n", 3),
            (b"From a\nSubject: x\n\nline\n>From quoted\n", 1),
        ];
        for (input, n) in table {
            assert_eq!(
                split_mbox(input).len(),
                n,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }
}
