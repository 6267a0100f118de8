//! `rampart bayes learn|classify|stats`: train and query the Bayes
//! token store under the data directory.

use std::cell::RefCell;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use rampart_spam_bayes::{
    Bayes, BayesError, Class, FrozenStore, LearnOutcome, MemoryStore, ReadOnly, Score, TokenSet,
    Tokenizer, file, split_mbox,
};
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
    /// Print `path<TAB>probability<TAB>spam|ham|unsure` per message
    /// (the probability at full precision).
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

/// A file to read, and whether it is known to be a regular file (see
/// [`read_into`]).
pub(crate) struct Input {
    path: PathBuf,
    regular: bool,
}

/// Expands files and directories (recursively, each directory's
/// entries in name order, which is the order of the sorted paths; Maildirs'
/// `tmp` and dot files skipped) into the files to read. Nothing is
/// opened yet: reading and splitting happen in parallel later.
pub(crate) fn expand(paths: &[PathBuf]) -> anyhow::Result<Vec<Input>> {
    let mut out = Vec::new();
    for p in paths {
        let meta = fs::metadata(p).with_context(|| format!("open {}", p.display()))?;
        if meta.is_dir() {
            walk(p, &mut out, 0)?;
        } else {
            out.push(Input {
                path: p.clone(),
                regular: meta.is_file(),
            });
        }
    }
    Ok(out)
}

fn walk(dir: &Path, files: &mut Vec<Input>, depth: usize) -> anyhow::Result<()> {
    if depth > 16 {
        bail!("directory nesting too deep at {}", dir.display());
    }
    let entries = fs::read_dir(dir).with_context(|| format!("read directory {}", dir.display()))?;
    let mut listed = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("read directory {}", dir.display()))?;
        let name = entry.file_name();
        // Maildir's tmp holds half-delivered messages; dot files are metadata.
        if name.as_encoded_bytes().starts_with(b".") || name == "tmp" {
            continue;
        }
        listed.push((name, entry));
    }
    // Sorting names within a directory (and descending in that order)
    // gives the order of the sorted full paths, more cheaply.
    listed.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (_, entry) in listed {
        let path = entry.path();
        let ty = entry
            .file_type()
            .with_context(|| format!("stat {}", path.display()))?;
        if ty.is_dir() {
            walk(&path, files, depth + 1)?;
        } else if ty.is_file() || (ty.is_symlink() && path.is_file()) {
            files.push(Input {
                path,
                regular: true,
            });
        }
    }
    Ok(())
}

thread_local! {
    /// Each worker thread reads its files into one buffer, grown as
    /// needed and reused.
    static READ_BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Reads a whole file into `buf` (whose length is its capacity; only
/// growth zero-fills) and returns how many bytes it holds. Plain reads
/// until end of file: no size query, no allocation once the buffer is
/// large enough. A regular file has ended when a read gives less than
/// it was asked for (the kernel fills the buffer from a regular file
/// up to its end), which saves the read that would give 0, one system
/// call in four; anything else (a pipe, a device) is read until a read
/// gives 0.
fn read_into(input: &Input, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut file = fs::File::open(&input.path)?;
    let mut n = 0;
    loop {
        if n == buf.len() {
            let grow = buf.len().max(64 * 1024);
            buf.resize(buf.len() + grow, 0);
        }
        match file.read(&mut buf[n..]) {
            Ok(0) => return Ok(n),
            Ok(k) => {
                n += k;
                if input.regular && n < buf.len() {
                    return Ok(n);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Reads a file and calls `f` with each message in it: the file itself,
/// or each message of an mbox (named `file#N`). Returns the names and
/// results in order.
fn per_message<T>(input: &Input, f: impl FnMut(&[u8]) -> T) -> anyhow::Result<Vec<(String, T)>> {
    let path = &input.path;
    READ_BUF.with_borrow_mut(|buf| {
        let n = read_into(input, buf).with_context(|| format!("read {}", path.display()))?;
        let out = each_message(path, &buf[..n], f);
        // A huge file should not pin its size in every thread.
        if buf.len() > 8 << 20 {
            *buf = Vec::new();
        }
        Ok(out)
    })
}

/// Calls `f` with each message of a file's bytes (see [`per_message`]).
fn each_message<'b, T>(
    path: &Path,
    bytes: &'b [u8],
    mut f: impl FnMut(&'b [u8]) -> T,
) -> Vec<(String, T)> {
    let name = path.display().to_string();
    if bytes.starts_with(b"From ") {
        let messages = split_mbox(bytes);
        if messages.len() > 1 {
            return messages
                .into_iter()
                .enumerate()
                .map(|(i, m)| (format!("{name}#{}", i + 1), f(m)))
                .collect();
        }
    }
    vec![(name, f(bytes))]
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

/// Files are read and tokenized in parallel batches of this size, so
/// memory stays bounded on huge corpora.
const BATCH: usize = 4096;

/// Files tokenized while the store loads (see [`classify`]).
const FIRST: usize = 512;

fn learn(spam: &[PathBuf], ham: &[PathBuf], quiet: bool, db: &Path) -> anyhow::Result<ExitCode> {
    if spam.is_empty() && ham.is_empty() {
        bail!("nothing to learn: give --spam PATH... and/or --ham PATH...");
    }
    let tokenizer = Tokenizer::default();
    let bayes = Bayes::default();
    let day = today();
    let mut items: Vec<(Class, Input)> = Vec::new();
    for p in expand(spam)? {
        items.push((Class::Spam, p));
    }
    for p in expand(ham)? {
        items.push((Class::Ham, p));
    }
    let mut store = file::load(db)?;
    let bar = progress(items.len(), quiet);
    bar.set_message("learning");
    let (mut learned, mut skipped) = (0usize, 0usize);
    for batch in items.chunks(BATCH) {
        let sets: Vec<anyhow::Result<Vec<(String, TokenSet)>>> = batch
            .par_iter()
            .map(|(_, input)| {
                let sets = per_message(input, |raw| tokenizer.tokenize(raw));
                bar.inc(1);
                sets
            })
            .collect();
        for ((class, _), sets) in batch.iter().zip(sets) {
            for (_, set) in sets? {
                match bayes.learn(&mut store, &set, *class, day)? {
                    LearnOutcome::AlreadyLearned => skipped += 1,
                    _ => learned += 1,
                }
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

/// A message's name and its token hashes.
type Hashed = (String, Vec<u64>);

/// A message's name and its score (or why it has none).
type Scored = (String, Result<Score, BayesError<ReadOnly>>);

/// The expanded file list and the first files' hashes.
type Started = (Vec<Input>, Vec<anyhow::Result<Vec<Hashed>>>);

/// Files one task reads, tokenizes and classifies together (see
/// [`classify_group`]).
const GROUP: usize = 32;

/// Messages whose hashes a task holds before it classifies them.
const PENDING: usize = 64;

thread_local! {
    /// Each worker thread's hash buffers, one per pending message, and
    /// the tokenizer's scratch space; reused from group to group.
    static HASH_BUFS: RefCell<(Vec<Vec<u64>>, Vec<u64>)> =
        const { RefCell::new((Vec::new(), Vec::new())) };
}

fn classify(paths: &[PathBuf], db: &Path) -> anyhow::Result<ExitCode> {
    let tokenizer = Tokenizer::default();
    let bayes = Bayes::default();
    // Tokenizing needs no store: the store loads while the paths are
    // expanded and the first files are read and tokenized (about as
    // many as one thread tokenizes in the time a large store takes to
    // load; holding more hashes costs more in page faults than it
    // saves), and those are classified once it is there. The rest are
    // read, tokenized and classified in one pass.
    let (store, expanded) = rayon::join(
        || file::load_frozen(db),
        || -> anyhow::Result<Started> {
            let files = expand(paths)?;
            let first = files[..files.len().min(FIRST)]
                .par_iter()
                .map(|input| per_message(input, |raw| tokenizer.token_hashes(raw)))
                .collect();
            Ok((files, first))
        },
    );
    let (files, first) = expanded?;
    let store = store?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    // The first files are classified while the next ones are read,
    // tokenized and classified: one parallel pass, so that neither
    // thread waits for the other in between. Each task formats its own
    // lines; only the writing is left to this thread.
    let mut batches = files[first.len()..].chunks(BATCH);
    let classify_files = |batch: &[Input]| -> Vec<Lines> {
        batch
            .par_chunks(GROUP)
            .map(|group| Lines::of(classify_group(group, &tokenizer, &bayes, &store)))
            .collect()
    };
    let (first, next) = rayon::join(
        || -> Vec<Lines> {
            first
                .into_par_iter()
                .chunks(GROUP)
                .map(|hashed| {
                    Lines::of(hashed.into_iter().map(|hashes| {
                        Ok(hashes?
                            .into_iter()
                            .map(|(name, h)| (name, bayes.classify_hashes(&store, &h)))
                            .collect())
                    }))
                })
                .collect()
        },
        || batches.next().map(classify_files).unwrap_or_default(),
    );
    Lines::write_all(&mut out, first)?;
    Lines::write_all(&mut out, next)?;
    for batch in batches {
        Lines::write_all(&mut out, classify_files(batch))?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The output lines of some files, formatted, and the error that
/// stopped them, if any.
#[derive(Default)]
struct Lines {
    text: String,
    error: Option<anyhow::Error>,
}

impl Lines {
    /// `path<TAB>probability<TAB>verdict` for each message, in order, up
    /// to the first file that could not be read or classified.
    fn of(scores: impl IntoIterator<Item = anyhow::Result<Vec<Scored>>>) -> Lines {
        use std::fmt::Write as _;
        let mut lines = Lines::default();
        for scores in scores {
            let written = scores.and_then(|scores| {
                for (name, score) in scores {
                    let score = score.with_context(|| format!("classify {name}"))?;
                    // Full precision (the shortest form that reads back
                    // exactly), so that rankings made from the output
                    // are the classifier's own.
                    let _ = writeln!(
                        lines.text,
                        "{name}\t{}\t{}",
                        score.probability,
                        score.verdict.as_str()
                    );
                }
                Ok(())
            });
            if let Err(e) = written {
                lines.error = Some(e);
                break;
            }
        }
        lines
    }

    /// Writes the lines in order; the first error ends the run.
    fn write_all(out: &mut impl Write, all: Vec<Lines>) -> anyhow::Result<()> {
        for lines in all {
            out.write_all(lines.text.as_bytes())?;
            if let Some(e) = lines.error {
                return Err(e);
            }
        }
        Ok(())
    }
}

/// Reads, tokenizes and classifies a few files on one thread: the
/// messages are tokenized first (up to [`PENDING`] of them) and then
/// classified one after the other, so that the token table's lines
/// that many messages use stay in cache between lookups instead of
/// being pushed out by tokenizing. Results per file, as
/// [`per_message`] gives them.
fn classify_group(
    files: &[Input],
    tokenizer: &Tokenizer,
    bayes: &Bayes,
    store: &FrozenStore,
) -> Vec<anyhow::Result<Vec<Scored>>> {
    HASH_BUFS.with_borrow_mut(|(bufs, scratch)| {
        let mut out: Vec<anyhow::Result<Vec<Scored>>> = Vec::with_capacity(files.len());
        // (file, name) of each message whose hashes wait in `bufs`.
        let mut pending: Vec<(usize, String)> = Vec::with_capacity(PENDING);
        let flush = |pending: &mut Vec<(usize, String)>,
                     bufs: &mut Vec<Vec<u64>>,
                     out: &mut Vec<anyhow::Result<Vec<Scored>>>| {
            for ((file, name), hashes) in pending.drain(..).zip(bufs.iter_mut()) {
                let score = bayes.classify_hashes(store, hashes);
                if let Some(Ok(scores)) = out.get_mut(file) {
                    scores.push((name, score));
                }
                // A huge message should not pin its size in every thread.
                if hashes.capacity() > 1 << 14 {
                    *hashes = Vec::new();
                }
            }
        };
        for (file, input) in files.iter().enumerate() {
            let path = &input.path;
            let read = READ_BUF.with_borrow_mut(|buf| {
                let n = read_into(input, buf)?;
                out.push(Ok(Vec::new()));
                for (name, raw) in named_messages(path, &buf[..n]) {
                    if pending.len() == PENDING {
                        flush(&mut pending, bufs, &mut out);
                    }
                    if bufs.len() == pending.len() {
                        bufs.push(Vec::new());
                    }
                    tokenizer.token_hashes_into(raw, &mut bufs[pending.len()], scratch);
                    pending.push((file, name));
                }
                if buf.len() > 8 << 20 {
                    *buf = Vec::new();
                }
                Ok::<_, std::io::Error>(())
            });
            if let Err(e) = read {
                out.push(Err(
                    anyhow::Error::new(e).context(format!("read {}", path.display()))
                ));
            }
        }
        flush(&mut pending, bufs, &mut out);
        out
    })
}

/// The messages of a file's bytes with their names: the file itself,
/// or each message of an mbox (named `file#N`).
fn named_messages<'b>(path: &Path, bytes: &'b [u8]) -> Vec<(String, &'b [u8])> {
    each_message(path, bytes, |raw| raw)
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
