//! `rampart scan`: virus scanning with ClamAV-format databases, in
//! clamscan's habits (output lines, summary and exit codes).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use rampart_av_sigscan::{Database, Info, LoadOptions, Loader, ScanOptions};
use rayon::prelude::*;

use crate::data::DataDir;

/// Arguments of `rampart scan`.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Signature database file or directory (repeatable); default: the
    /// `signatures` folder of the data directory.
    #[arg(short = 'd', long = "database", value_name = "DB")]
    databases: Vec<PathBuf>,
    /// Scan directories recursively.
    #[arg(short = 'r', long)]
    recursive: bool,
    /// Report every matching signature, not only the first.
    #[arg(short = 'z', long)]
    allmatch: bool,
    /// Do not print the summary.
    #[arg(long)]
    no_summary: bool,
    /// Print only infected files.
    #[arg(short = 'i', long)]
    infected: bool,
    /// Skip malformed or unsupported database lines (and count them)
    /// instead of failing.
    #[arg(long)]
    lenient: bool,
    /// Decode mail and scan its parts (yes/no).
    #[arg(long, value_name = "yes|no", default_value = "yes", value_parser = yes_no)]
    scan_mail: bool,
    /// Unpack zip, gzip and tar archives (yes/no).
    #[arg(long, value_name = "yes|no", default_value = "yes", value_parser = yes_no)]
    scan_archive: bool,
    /// Largest file extracted from a container, e.g. 100M.
    #[arg(long, value_name = "SIZE", value_parser = size)]
    max_filesize: Option<u64>,
    /// Most data extracted from one scanned file, e.g. 400M.
    #[arg(long, value_name = "SIZE", value_parser = size)]
    max_scansize: Option<u64>,
    /// Most files extracted from one scanned file.
    #[arg(long, value_name = "N")]
    max_files: Option<u32>,
    /// Deepest nesting of containers.
    #[arg(long, value_name = "N")]
    max_recursion: Option<u32>,
    /// Print what the database holds, per type, and exit.
    #[arg(long, value_name = "DB")]
    info: Option<PathBuf>,
    /// Files or directories to scan.
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
}

fn yes_no(s: &str) -> Result<bool, String> {
    match s {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err(format!("expected yes or no, not {s:?}")),
    }
}

/// `100`, `100K`, `100M`, `2G`.
fn size(s: &str) -> Result<u64, String> {
    let (num, mul) = match s.as_bytes().last() {
        Some(b'K' | b'k') => (&s[..s.len() - 1], 1u64 << 10),
        Some(b'M' | b'm') => (&s[..s.len() - 1], 1 << 20),
        Some(b'G' | b'g') => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    num.parse::<u64>()
        .map(|n| n.saturating_mul(mul))
        .map_err(|_| format!("bad size {s:?}"))
}

/// Loads one database path (file or directory) into `loader`.
fn load_path(loader: &mut Loader, path: &Path) -> anyhow::Result<()> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("cannot open database {}", path.display()))?;
    if meta.is_dir() {
        let mut names: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && rampart_av_sigscan::is_database_name(&p.to_string_lossy()))
            .collect();
        names.sort();
        if names.is_empty() {
            anyhow::bail!("no database files in {}", path.display());
        }
        for p in names {
            load_file(loader, &p)?;
        }
        Ok(())
    } else {
        load_file(loader, path)
    }
}

fn load_file(loader: &mut Loader, path: &Path) -> anyhow::Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    loader.add(&path.to_string_lossy(), &bytes)?;
    Ok(())
}

fn load(paths: &[PathBuf], lenient: bool) -> anyhow::Result<Database> {
    let mut loader = Loader::new(LoadOptions { lenient });
    for p in paths {
        load_path(&mut loader, p)?;
    }
    Ok(loader.compile()?)
}

fn print_info(info: &Info, db: &Database) {
    println!("file hash signatures (.hdb/.hsb): {}", info.file_hashes);
    println!(
        "section hash signatures (.mdb/.msb): {}",
        info.section_hashes
    );
    println!("body signatures (.ndb/.db): {}", info.body);
    println!("logical signatures (.ldb): {}", info.logical);
    println!("allow-list entries (.fp/.sfp): {}", info.allow);
    println!("ignored names (.ign2): {}", info.ignored);
    println!("skipped for functionality level: {}", info.flevel_skipped);
    println!(
        "skipped for an unknown target description key: {}",
        info.tdb_skipped
    );
    println!("bad lines skipped (lenient): {}", info.bad_skipped);
    println!("anchor index keys: {}", db.anchor_count());
    for (file, version, count) in &info.containers {
        println!("container {file}: version {version}, {count} signatures");
    }
    for f in &info.files_skipped {
        println!("unsupported file skipped: {f}");
    }
}

/// One line of the scan list.
enum Item {
    File(PathBuf),
    /// A symlink met while recursing.
    Link(PathBuf),
    /// An unreadable path.
    Missing(PathBuf, String),
}

fn collect(path: &Path, recursive: bool, top: bool, out: &mut Vec<Item>, dirs: &mut u64) {
    let meta = if top {
        std::fs::metadata(path)
    } else {
        std::fs::symlink_metadata(path)
    };
    let meta = match meta {
        Ok(m) => m,
        Err(e) => {
            let msg = match e.kind() {
                std::io::ErrorKind::NotFound => "No such file or directory".to_string(),
                _ => e.to_string(),
            };
            out.push(Item::Missing(path.to_path_buf(), msg));
            return;
        }
    };
    if meta.file_type().is_symlink() {
        out.push(Item::Link(path.to_path_buf()));
    } else if meta.is_dir() {
        if !top && !recursive {
            return;
        }
        *dirs += 1;
        let Ok(rd) = std::fs::read_dir(path) else {
            out.push(Item::Missing(
                path.to_path_buf(),
                "Can't open directory".into(),
            ));
            return;
        };
        let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for p in entries {
            collect(&p, recursive, false, out, dirs);
        }
    } else {
        out.push(Item::File(path.to_path_buf()));
    }
}

/// Result of one file: output lines, whether infected, bytes scanned,
/// whether an error occurred.
struct Outcome {
    lines: Vec<String>,
    infected: bool,
    error: bool,
    /// Bytes scanned, extracted data included.
    bytes: u64,
    /// Bytes of the file itself.
    read: u64,
}

/// Files larger than this are read in chunks through the streaming
/// scanner instead of whole.
const STREAM_ABOVE: u64 = 64 << 20;

/// Reads and scans one file; large files go through the streaming
/// scanner, so memory stays bounded by the chunk and the signatures'
/// reach (plus what a container needs to be unpacked).
fn scan_file<'db>(
    db: &'db Database,
    path: &Path,
    opts: &ScanOptions,
) -> std::io::Result<Option<rampart_av_sigscan::ScanReport<'db>>> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let len = f.metadata()?.len();
    if len == 0 {
        return Ok(None);
    }
    if len <= STREAM_ABOVE {
        let mut data = Vec::with_capacity(len as usize);
        f.read_to_end(&mut data)?;
        return Ok((!data.is_empty()).then(|| db.scan(&data, opts)));
    }
    let mut s = db.stream_sized(opts, Some(len));
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        s.write(&buf[..n]);
    }
    Ok(Some(s.finish()))
}

fn scan_one(db: &Database, item: &Item, opts: &ScanOptions, only_infected: bool) -> Outcome {
    let mut o = Outcome {
        lines: Vec::new(),
        infected: false,
        error: false,
        bytes: 0,
        read: 0,
    };
    match item {
        Item::Link(p) => {
            if !only_infected {
                o.lines.push(format!("{}: Symbolic link", p.display()));
            }
        }
        Item::Missing(p, msg) => {
            o.error = true;
            o.lines.push(format!("{}: {msg}", p.display()));
        }
        Item::File(p) => match scan_file(db, p, opts) {
            Err(e) => {
                o.error = true;
                o.lines.push(format!("{}: {e} ERROR", p.display()));
            }
            Ok(None) => {
                if !only_infected {
                    o.lines.push(format!("{}: Empty file", p.display()));
                }
            }
            Ok(Some(report)) => {
                o.bytes = report.scanned_bytes;
                o.read = std::fs::metadata(p).map_or(0, |m| m.len());
                for d in &report.detections {
                    o.infected = true;
                    o.lines
                        .push(format!("{}: {} FOUND", p.display(), d.display_name()));
                }
                if !o.infected && !only_infected {
                    o.lines.push(format!("{}: OK", p.display()));
                }
            }
        },
    }
    o
}

/// Runs `rampart scan`.
pub fn run(args: ScanArgs, data: &DataDir) -> anyhow::Result<ExitCode> {
    let start = Instant::now();
    if let Some(info) = &args.info {
        let mut loader = Loader::new(LoadOptions {
            lenient: args.lenient,
        });
        load_path(&mut loader, info)?;
        let db = loader.compile()?;
        print_info(db.info(), &db);
        return Ok(ExitCode::SUCCESS);
    }
    if args.paths.is_empty() {
        anyhow::bail!("nothing to scan: give at least one PATH");
    }
    let dbs = if args.databases.is_empty() {
        vec![data.join("signatures")]
    } else {
        args.databases.clone()
    };
    let db = load(&dbs, args.lenient)?;
    for f in &db.info().files_skipped {
        eprintln!("WARNING: {f}: database type not supported, skipped");
    }
    let load_time = start.elapsed();
    let mut opts = ScanOptions {
        all_matches: args.allmatch,
        mail: args.scan_mail,
        archives: args.scan_archive,
        ..ScanOptions::default()
    };
    let l = &mut opts.limits;
    l.max_file_size = args.max_filesize.unwrap_or(l.max_file_size);
    l.max_scan_size = args.max_scansize.unwrap_or(l.max_scan_size);
    l.max_files = args.max_files.unwrap_or(l.max_files);
    l.max_depth = args.max_recursion.unwrap_or(l.max_depth);

    let mut items = Vec::new();
    let mut dirs = 0;
    for p in &args.paths {
        collect(p, args.recursive, true, &mut items, &mut dirs);
    }
    let outcomes: Vec<Outcome> = items
        .par_iter()
        .map(|it| scan_one(&db, it, &opts, args.infected))
        .collect();

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let (mut files, mut infected, mut errors, mut bytes) = (0u64, 0u64, false, 0u64);
    let mut read = 0u64;
    for (it, o) in items.iter().zip(&outcomes) {
        for line in &o.lines {
            writeln!(out, "{line}")?;
        }
        if let Item::Missing(p, _) = it {
            eprintln!("WARNING: {}: Can't access file", p.display());
        }
        files += u64::from(matches!(it, Item::File(_)) && !o.error);
        infected += u64::from(o.infected);
        errors |= o.error;
        bytes += o.bytes;
        read += o.read;
    }
    if !args.no_summary {
        let info = db.info();
        let known = info.file_hashes + info.section_hashes + info.body + info.logical;
        let t = start.elapsed().as_secs_f64();
        writeln!(out, "\n----------- SCAN SUMMARY -----------")?;
        writeln!(out, "Known viruses: {known}")?;
        writeln!(
            out,
            "Engine version: rampart-av-sigscan {}",
            env!("CARGO_PKG_VERSION")
        )?;
        writeln!(out, "Scanned directories: {dirs}")?;
        writeln!(out, "Scanned files: {files}")?;
        writeln!(out, "Infected files: {infected}")?;
        let mb = |b: u64| b as f64 / 1048576.0;
        writeln!(out, "Data scanned: {:.2} MB", mb(bytes))?;
        let ratio = if read > 0 {
            bytes as f64 / read as f64
        } else {
            0.0
        };
        writeln!(out, "Data read: {:.2} MB (ratio {ratio:.2}:1)", mb(read))?;
        writeln!(out, "Load time: {:.3} sec", load_time.as_secs_f64())?;
        writeln!(
            out,
            "Time: {t:.3} sec ({} m {} s)",
            t as u64 / 60,
            t as u64 % 60
        )?;
    }
    out.flush()?;
    // The process ends here; freeing every signature one by one would
    // only add to the run time.
    std::mem::forget(db);
    Ok(if errors {
        ExitCode::from(2)
    } else if infected > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
