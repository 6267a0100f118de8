//! Database file parsers and the [`Loader`] that collects signatures
//! before they are compiled into a [`Database`](crate::Database).

use std::collections::HashSet;
use std::io::Read;

use crate::error::{LoadError, SigError};
use crate::ldb::{self, LogicalSig};
use crate::offset::Offset;
use crate::pattern::Pattern;

/// The functionality level of this engine (the level of ClamAV 1.4).
/// Signatures whose level range excludes it are skipped, as ClamAV
/// skips them.
pub const FLEVEL: u32 = 216;

/// The digest algorithm of a hash signature, chosen by digest length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum HashKind {
    Md5,
    Sha1,
    Sha256,
}

impl HashKind {
    fn from_hex_len(len: usize) -> Option<HashKind> {
        match len {
            32 => Some(HashKind::Md5),
            40 => Some(HashKind::Sha1),
            64 => Some(HashKind::Sha256),
            _ => None,
        }
    }
}

/// What a hash signature applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HashScope {
    /// The whole file (`.hdb`, `.hsb`).
    File,
    /// One PE section (`.mdb`, `.msb`).
    Section,
    /// An allow-list entry (`.fp`, `.sfp`).
    Allow,
}

/// A parsed hash signature.
#[derive(Debug, Clone)]
pub(crate) struct HashSig {
    pub kind: HashKind,
    pub digest: Vec<u8>,
    /// `None` for `*` (any size).
    pub size: Option<u64>,
    pub name: u32,
    pub scope: HashScope,
}

/// File types a body signature can target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// 0: any file.
    Any,
    /// 1: PE executables.
    Pe,
    /// 4: mail files (the raw message only).
    Mail,
    /// 7: text files, after normalization (lowercase, one space for
    /// each run of white space, control and non-ASCII bytes dropped).
    Text,
}

impl Target {
    pub(crate) fn parse(s: &str) -> Result<Target, SigError> {
        match s {
            "0" => Ok(Target::Any),
            "1" => Ok(Target::Pe),
            "4" => Ok(Target::Mail),
            "7" => Ok(Target::Text),
            "2" | "3" | "5" | "6" | "8" | "9" | "10" | "11" | "12" | "13" | "14" => {
                Err(SigError::unsupported(format!("target type {s}")))
            }
            _ => Err(SigError::new(format!("bad target type {s:?}"))),
        }
    }
}

/// A parsed `.ndb` signature.
#[derive(Debug, Clone)]
pub(crate) struct BodySig {
    pub name: u32,
    pub target: Target,
    pub offset: Offset,
    pub pattern: Pattern,
}

/// Counts of what was loaded, per type (for `rampart scan --info`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Info {
    /// `.hdb`/`.hsb` whole-file hash signatures.
    pub file_hashes: usize,
    /// `.mdb`/`.msb` PE section hash signatures.
    pub section_hashes: usize,
    /// `.ndb` (and legacy `.db`) body signatures.
    pub body: usize,
    /// `.ldb` logical signatures.
    pub logical: usize,
    /// `.fp`/`.sfp` allow-list entries.
    pub allow: usize,
    /// `.ign2` ignored signature names.
    pub ignored: usize,
    /// Signatures skipped because of their functionality level.
    pub flevel_skipped: usize,
    /// Logical signatures skipped for an unknown target description
    /// key (ClamAV loads them but never matches them).
    pub tdb_skipped: usize,
    /// Bad or unsupported lines skipped in lenient mode.
    pub bad_skipped: usize,
    /// Database files (or container members) skipped because their
    /// type is known but not implemented (`.pdb`, `.wdb`, `.cbc`, ...).
    pub files_skipped: Vec<String>,
    /// Containers loaded: (file, version, signature count from header).
    pub containers: Vec<(String, u32, u32)>,
}

/// Options for loading.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Skip malformed and unsupported lines and count them in
    /// [`Info::bad_skipped`] instead of failing the load.
    pub lenient: bool,
}

/// Collects signatures from database files, then compiles them.
///
/// The loader does no I/O: hand it each file's name and bytes.
#[derive(Debug, Default)]
pub struct Loader {
    pub(crate) opts: LoadOptions,
    pub(crate) names: Vec<(String, bool)>,
    pub(crate) hashes: Vec<HashSig>,
    pub(crate) bodies: Vec<BodySig>,
    pub(crate) logicals: Vec<LogicalSig>,
    pub(crate) ignore: HashSet<String>,
    pub(crate) info: Info,
    official: bool,
}

/// The database types a file name can have.
const SUPPORTED: &[&str] = &[
    "hdb", "hsb", "mdb", "msb", "ndb", "ldb", "fp", "sfp", "ign2", "ign", "db", "cvd", "cld", "cud",
];

/// Known ClamAV database types this engine does not implement.
const UNSUPPORTED: &[&str] = &[
    "pdb", "gdb", "wdb", "yar", "yara", "cdb", "idb", "crb", "imp", "ftm", "cfg", "info", "hdu",
    "hsu", "mdu", "msu", "ndu", "ldu", "sdb", "zmd", "rmd", "cat", "crt", "pwdb", "cbc", "ndu",
    "ldu", "pdu", "cbc",
];

/// Largest unpacked `.cvd` accepted.
const MAX_CVD_UNPACKED: u64 = 1 << 30;

fn ext_of(name: &str) -> &str {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.rsplit_once('.').map_or("", |(_, e)| e)
}

/// Whether a file name has a database extension this engine loads (or
/// knows and rejects); other files in a directory are ignored, as
/// ClamAV ignores them.
pub fn is_database_name(name: &str) -> bool {
    let e = ext_of(name).to_ascii_lowercase();
    SUPPORTED.contains(&e.as_str()) || UNSUPPORTED.contains(&e.as_str())
}

impl Loader {
    /// A new, empty loader.
    pub fn new(opts: LoadOptions) -> Loader {
        Loader {
            opts,
            ..Loader::default()
        }
    }

    /// What has been loaded so far.
    pub fn info(&self) -> &Info {
        &self.info
    }

    /// Adds one database file; its type comes from the extension of
    /// `name` (`.hdb`, `.ndb`, `.cvd`, ...).
    ///
    /// # Errors
    ///
    /// [`LoadError::Line`] for a malformed line (unless lenient),
    /// [`LoadError::UnknownType`] for an unknown extension and
    /// [`LoadError::Container`] for a damaged `.cvd`.
    pub fn add(&mut self, name: &str, bytes: &[u8]) -> Result<(), LoadError> {
        let ext = ext_of(name).to_ascii_lowercase();
        match ext.as_str() {
            "cvd" | "cld" | "cud" => self.add_container(name, &ext, bytes),
            e if SUPPORTED.contains(&e) => self.add_lines(name, e, bytes),
            // Known types this engine does not implement (phishing,
            // bytecode, YARA, ...) are skipped and listed, so a directory
            // that clamscan loads also loads here; the caller can warn.
            e if UNSUPPORTED.contains(&e) => {
                self.info.files_skipped.push(name.to_string());
                Ok(())
            }
            e => Err(LoadError::UnknownType {
                file: name.to_string(),
                ext: e.to_string(),
            }),
        }
    }

    fn add_lines(&mut self, file: &str, ext: &str, bytes: &[u8]) -> Result<(), LoadError> {
        for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            // Names in third-party sets are sometimes Latin-1; ClamAV
            // takes the bytes as they are.
            let line = String::from_utf8_lossy(raw);
            let line = line.as_ref();
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            if let Err(e) = self.add_line(ext, line) {
                self.line_error(file, i, e)?;
            }
        }
        Ok(())
    }

    fn line_error(&mut self, file: &str, i: usize, source: SigError) -> Result<(), LoadError> {
        if self.opts.lenient {
            self.info.bad_skipped += 1;
            return Ok(());
        }
        Err(LoadError::Line {
            file: file.to_string(),
            line: i + 1,
            reason: source,
        })
    }

    pub(crate) fn name_id(&mut self, name: &str) -> u32 {
        self.names.push((name.to_string(), self.official));
        (self.names.len() - 1) as u32
    }

    /// `true` when the optional level fields admit this engine.
    pub(crate) fn flevel_ok(
        &mut self,
        min: Option<&str>,
        max: Option<&str>,
    ) -> Result<bool, SigError> {
        let parse = |s: Option<&str>, def: u32| -> Result<u32, SigError> {
            match s {
                None | Some("") => Ok(def),
                Some(v) => v
                    .parse()
                    .map_err(|_| SigError::new(format!("bad functionality level {v:?}"))),
            }
        };
        let ok = parse(min, 0)? <= FLEVEL && FLEVEL <= parse(max, u32::MAX)?;
        if !ok {
            self.info.flevel_skipped += 1;
        }
        Ok(ok)
    }

    fn add_line(&mut self, ext: &str, line: &str) -> Result<(), SigError> {
        match ext {
            "hdb" | "hsb" | "fp" | "sfp" => self.add_hash(line, false, ext),
            "mdb" | "msb" => self.add_hash(line, true, ext),
            "ndb" => self.add_ndb(line),
            "db" => self.add_legacy(line),
            "ldb" => {
                if let Some(sig) = ldb::parse(self, line)? {
                    self.logicals.push(sig);
                    self.info.logical += 1;
                }
                Ok(())
            }
            "ign2" | "ign" => {
                // .ign is "repo:line:name"; .ign2 is "name[:md5]".
                let name = if ext == "ign" {
                    line.rsplit(':').next().unwrap_or(line)
                } else {
                    line.split(':').next().unwrap_or(line)
                };
                self.ignore.insert(name.trim().to_string());
                self.info.ignored += 1;
                Ok(())
            }
            _ => Err(SigError::unsupported(format!("database type .{ext}"))),
        }
    }

    /// Hash lines.
    ///
    /// ```text
    /// hdb-line = hash ":" size ":" name [":" min-flevel [":" max-flevel]]
    /// mdb-line = size ":" hash ":" name [":" min-flevel [":" max-flevel]]
    /// size     = 1*DIGIT / "*"          ; "*" needs min-flevel >= 73
    /// ```
    fn add_hash(&mut self, line: &str, section: bool, ext: &str) -> Result<(), SigError> {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() < 3 || f.len() > 5 {
            return Err(SigError::new(format!(
                "expected 3 to 5 fields, found {}",
                f.len()
            )));
        }
        let (hash, size) = if section { (f[1], f[0]) } else { (f[0], f[1]) };
        let kind = HashKind::from_hex_len(hash.len())
            .ok_or_else(|| SigError::new(format!("bad hash {hash:?}")))?;
        let digest = decode_hex(hash).ok_or_else(|| SigError::new(format!("bad hash {hash:?}")))?;
        let size = if size == "*" {
            let min: u32 = f.get(3).and_then(|v| v.parse().ok()).unwrap_or(0);
            if min < 73 {
                return Err(SigError::new(
                    "size \"*\" needs a minimum functionality level of 73".into(),
                ));
            }
            None
        } else {
            Some(
                size.parse()
                    .map_err(|_| SigError::new(format!("bad size {size:?}")))?,
            )
        };
        if f[2].is_empty() {
            return Err(SigError::new("empty signature name".into()));
        }
        if !self.flevel_ok(f.get(3).copied(), f.get(4).copied())? {
            return Ok(());
        }
        let scope = match ext {
            "fp" | "sfp" => HashScope::Allow,
            _ if section => HashScope::Section,
            _ => HashScope::File,
        };
        match scope {
            HashScope::Allow => self.info.allow += 1,
            HashScope::Section => self.info.section_hashes += 1,
            HashScope::File => self.info.file_hashes += 1,
        }
        let name = self.name_id(f[2]);
        self.hashes.push(HashSig {
            kind,
            digest,
            size,
            name,
            scope,
        });
        Ok(())
    }

    /// Extended body signatures.
    ///
    /// ```text
    /// ndb-line = name ":" target ":" offset ":" hexsig
    ///            [":" min-flevel [":" max-flevel]]
    /// ```
    fn add_ndb(&mut self, line: &str) -> Result<(), SigError> {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() < 4 || f.len() > 6 {
            return Err(SigError::new(format!(
                "expected 4 to 6 fields, found {}",
                f.len()
            )));
        }
        if f[0].is_empty() {
            return Err(SigError::new("empty signature name".into()));
        }
        let target = Target::parse(f[1])?;
        let offset = Offset::parse(f[2])?;
        if offset.needs_pe() && target != Target::Pe {
            return Err(SigError::new(format!(
                "offset {:?} needs target type 1 (PE), not {}",
                f[2], f[1]
            )));
        }
        let pattern = Pattern::parse_min(f[3], 3)?;
        if !self.flevel_ok(f.get(4).copied(), f.get(5).copied())? {
            return Ok(());
        }
        let name = self.name_id(f[0]);
        self.bodies.push(BodySig {
            name,
            target,
            offset,
            pattern,
        });
        self.info.body += 1;
        Ok(())
    }

    /// Legacy `.db` lines: `name=hexsig`, any file, any offset.
    fn add_legacy(&mut self, line: &str) -> Result<(), SigError> {
        let (name, sig) = line
            .split_once('=')
            .ok_or_else(|| SigError::new("expected name=hexsig".into()))?;
        let pattern = Pattern::parse_min(sig, 3)?;
        let name = self.name_id(name);
        self.bodies.push(BodySig {
            name,
            target: Target::Any,
            offset: Offset::Any,
            pattern,
        });
        self.info.body += 1;
        Ok(())
    }

    /// Signed containers.
    ///
    /// ```text
    /// cvd    = header payload
    /// header = "ClamAV-VDB:" time ":" version ":" sigs ":" flevel ":"
    ///          md5 ":" dsig ":" builder ":" stime   ; space-padded to 512
    /// payload = tar.gz (or a plain tar in a .cld)
    /// ```
    fn add_container(&mut self, file: &str, ext: &str, bytes: &[u8]) -> Result<(), LoadError> {
        let bad = |reason: String| LoadError::Container {
            file: file.to_string(),
            reason,
        };
        if bytes.len() < 512 {
            return Err(bad(format!(
                "{} bytes is shorter than a header",
                bytes.len()
            )));
        }
        let header = String::from_utf8_lossy(&bytes[..512]);
        let f: Vec<&str> = header.trim_end_matches([' ', '\0']).split(':').collect();
        if f.first() != Some(&"ClamAV-VDB") || f.len() < 6 {
            return Err(bad("missing ClamAV-VDB header".into()));
        }
        let version = f[2].parse().unwrap_or(0);
        let count = f[3].parse().unwrap_or(0);
        let payload = &bytes[512..];
        if ext != "cld" {
            use md5::Digest;
            let got = md5::Md5::digest(payload);
            let want = decode_hex(f[5]).ok_or_else(|| bad(format!("bad md5 {:?}", f[5])))?;
            if got.as_slice() != want.as_slice() {
                return Err(bad("md5 of the payload does not match the header".into()));
            }
        }
        let tar: Vec<u8> = if payload.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(payload)
                .take(MAX_CVD_UNPACKED)
                .read_to_end(&mut out)
                .map_err(|e| bad(format!("gzip: {e}")))?;
            out
        } else {
            payload.to_vec()
        };
        let entries = crate::tar::entries(&tar).map_err(bad)?;
        let was = std::mem::replace(&mut self.official, true);
        let mut result = Ok(());
        for e in entries {
            let member = format!("{file}/{}", String::from_utf8_lossy(e.name));
            if !is_database_name(&member) {
                continue;
            }
            result = self.add(&member, e.data);
            if result.is_err() {
                break;
            }
        }
        self.official = was;
        result?;
        self.info
            .containers
            .push((file.to_string(), version, count));
        Ok(())
    }
}

pub(crate) fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    b.chunks(2)
        .map(|p| {
            let h = (p[0] as char).to_digit(16)?;
            let l = (p[1] as char).to_digit(16)?;
            Some((h * 16 + l) as u8)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_errors_name_file_and_line() {
        let mut l = Loader::new(LoadOptions::default());
        let db = b"A:0:*:616263\n\nB:0:*:zz\n";
        let e = l.add("x.ndb", db).unwrap_err().to_string();
        assert!(e.starts_with("x.ndb:3: "), "{e}");
        let mut l = Loader::new(LoadOptions { lenient: true });
        l.add("x.ndb", db).unwrap();
        assert_eq!(l.info().body, 1);
        assert_eq!(l.info().bad_skipped, 1);
    }

    #[test]
    fn hash_lines() {
        let md5 = "44d88612fea8a8f36de82e1278abb02f";
        let cases: &[(&str, &str, bool)] = &[
            ("hdb", "44d88612fea8a8f36de82e1278abb02f:68:Eicar", true),
            ("hdb", "44d88612fea8a8f36de82e1278abb02f:*:Eicar", false),
            ("hdb", "44d88612fea8a8f36de82e1278abb02f:*:Eicar:73", true),
            ("hdb", "44d8:68:Eicar", false),
            ("hdb", "44d88612fea8a8f36de82e1278abb02f:x:Eicar", false),
            ("mdb", "544:44d88612fea8a8f36de82e1278abb02f:Sect", true),
            ("fp", "44d88612fea8a8f36de82e1278abb02f:68:Allowed", true),
        ];
        for (ext, line, ok) in cases {
            let mut l = Loader::new(LoadOptions::default());
            let r = l.add(&format!("t.{ext}"), line.as_bytes());
            assert_eq!(r.is_ok(), *ok, "{line}: {r:?}");
        }
        let _ = md5;
    }

    #[test]
    fn flevel_skips() {
        let mut l = Loader::new(LoadOptions::default());
        l.add(
            "t.ndb",
            b"A:0:*:616263:217\nB:0:*:616263:0:200\nC:0:*:616263:216\n",
        )
        .unwrap();
        assert_eq!(l.info().body, 1);
        assert_eq!(l.info().flevel_skipped, 2);
    }

    #[test]
    fn rejects_what_clamav_rejects() {
        for line in [
            "A:0:EP+0:61626364",
            "A:9:*:61626364",
            "A:0:*:6162",
            "A:0:*:61??62",
        ] {
            let mut l = Loader::new(LoadOptions::default());
            assert!(l.add("t.ndb", line.as_bytes()).is_err(), "{line}");
        }
        let mut l = Loader::new(LoadOptions::default());
        assert!(l.add("t.xyz", b"").is_err());
        l.add("t.pdb", b"H:example.com\n").unwrap();
        assert_eq!(l.info().files_skipped, ["t.pdb"]);
    }

    #[test]
    fn cvd_container() {
        use std::io::Write;
        let tar = crate::tar::tests::one_file("main.ndb", b"T:0:*:616263\n");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar).unwrap();
        let payload = gz.finish().unwrap();
        let md5 = {
            use md5::Digest;
            md5::Md5::digest(&payload)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        };
        let mut cvd = format!("ClamAV-VDB:now:7:1:216:{md5}:sig:me:0").into_bytes();
        cvd.resize(512, b' ');
        cvd.extend_from_slice(&payload);
        let mut l = Loader::new(LoadOptions::default());
        l.add("main.cvd", &cvd).unwrap();
        assert_eq!(l.info().body, 1);
        assert!(l.names[0].1, "names from a cvd are official");
        let mut broken = cvd.clone();
        let n = broken.len();
        broken[n - 1] ^= 1;
        assert!(
            Loader::new(LoadOptions::default())
                .add("main.cvd", &broken)
                .is_err()
        );
        // A .cud is checked as a .cvd is; a .cld holds a plain tar and
        // its header's MD5 is not checked.
        let mut l = Loader::new(LoadOptions::default());
        l.add("daily.cud", &cvd).unwrap();
        assert!(l.add("bad.cud", &broken).is_err());
        let mut cld = cvd[..512].to_vec();
        cld.extend_from_slice(&tar);
        l.add("daily.cld", &cld).unwrap();
        assert_eq!(l.info().body, 2);
        assert!(l.add("short.cld", b"ClamAV-VDB:x").is_err());
    }
}
