//! Loading and crash-safe saving of a [`MemoryStore`] file, and loading
//! it as a [`FrozenStore`] for classifying.
//!
//! This is the only module of the crate that touches the file system;
//! the rest is pure computation over bytes and counts.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::FrozenStore;
use crate::frozen::Builder as FrozenBuilder;
use crate::store::{Builder, FormatError, MemoryBuilder, MemoryStore, decode, read};

/// Failure to load or save a token store file.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Reading, writing, syncing or renaming failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The file's content is not a valid store.
    #[error("{path}: {source}")]
    Format {
        /// The file concerned.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: FormatError,
    },
}

fn io_err<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> FileError + 'a {
    move |source| FileError::Io {
        op,
        path: path.to_owned(),
        source,
    }
}

/// Loads a store; a missing file gives an empty store.
///
/// # Errors
///
/// [`FileError::Io`] when the file exists but cannot be read,
/// [`FileError::Format`] when it is corrupt.
pub fn load(path: &Path) -> Result<MemoryStore, FileError> {
    load_with::<MemoryStore>(path)
}

/// Loads a store for classifying only, as a [`FrozenStore`]: faster to
/// load and to look tokens up in than [`load`]'s [`MemoryStore`], with
/// the same checks and errors. A missing file gives an empty store.
///
/// # Errors
///
/// As [`load`].
pub fn load_frozen(path: &Path) -> Result<FrozenStore, FileError> {
    load_with::<FrozenStore>(path)
}

/// The two kinds of store a file loads into.
trait Loadable: Default {
    type Builder: Builder<Store = Self>;
}

impl Loadable for MemoryStore {
    type Builder = MemoryBuilder;
}

impl Loadable for FrozenStore {
    type Builder = FrozenBuilder;
}

fn load_with<S: Loadable>(path: &Path) -> Result<S, FileError> {
    let format = |source| FileError::Format {
        path: path.to_owned(),
        source,
    };
    // Read a block at a time when the file looks right; otherwise (or
    // when it changes under us) whole, for `decode` to judge.
    if let Ok(mut f) = File::open(path)
        && let Ok(meta) = f.metadata()
        && meta.is_file()
        && let Ok(Some(store)) = read::<S::Builder>(&mut f, meta.len())
    {
        return store.map_err(format);
    }
    match fs::read(path) {
        Ok(bytes) => decode::<S::Builder>(&bytes).map_err(format),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(S::default()),
        Err(e) => Err(io_err("read", path)(e)),
    }
}

/// Saves a store so that a crash leaves either the old or the new file,
/// never a mix: the bytes go to a temporary file in the same directory,
/// which is synced, then renamed over `path`, and the directory is
/// synced. Missing parent directories are created.
///
/// # Errors
///
/// [`FileError::Io`] when any step fails; the old file is then intact.
pub fn save(path: &Path, store: &MemoryStore) -> Result<(), FileError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(io_err("create directory", &dir))?;
    // Process id and a counter: concurrent saves (from other processes
    // or threads) never share a temporary file; the last rename wins.
    static SAVES: AtomicU64 = AtomicU64::new(0);
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(format!(
        ".tmp.{}.{}",
        std::process::id(),
        SAVES.fetch_add(1, Ordering::Relaxed)
    ));
    let tmp = dir.join(name);
    let result = (|| {
        let mut f = File::create(&tmp).map_err(io_err("create", &tmp))?;
        f.write_all(&store.to_bytes())
            .map_err(io_err("write", &tmp))?;
        f.sync_all().map_err(io_err("sync", &tmp))?;
        fs::rename(&tmp, path).map_err(io_err("rename to", path))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
        return result;
    }
    // Make the rename itself durable; not all platforms can open a
    // directory, so a failure to open it is not an error.
    if let Ok(d) = File::open(&dir) {
        d.sync_all().map_err(io_err("sync directory", &dir))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Bayes, Class, TokenSet};

    #[test]
    fn save_load_roundtrip_and_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/tokens.db");
        assert_eq!(load(&path).unwrap(), MemoryStore::new());
        assert_eq!(load_frozen(&path).unwrap(), FrozenStore::default());
        let mut store = MemoryStore::new();
        let msg = TokenSet::from_tokens([3; 16], ["x", "y"]);
        Bayes::default()
            .learn(&mut store, &msg, Class::Spam, 1)
            .unwrap();
        save(&path, &store).unwrap();
        assert_eq!(load(&path).unwrap(), store);
        assert_eq!(load_frozen(&path).unwrap(), FrozenStore::from(&store));
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
        fs::write(&path, b"garbage").unwrap();
        assert!(matches!(load(&path), Err(FileError::Format { .. })));
    }

    /// Loading reads the file a block at a time; whatever the bytes,
    /// it must say what `from_bytes` of the whole file says.
    #[test]
    fn load_agrees_with_from_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.db");
        let bayes = Bayes::default();
        let mut store = MemoryStore::new();
        for i in 0..40u32 {
            let words: Vec<String> = (0..(i * 517 % 9000))
                .map(|k| format!("w{}", k * 7 + i))
                .collect();
            let msg = TokenSet::from_tokens([i as u8; 16], words.iter().map(String::as_str));
            let class = if i % 3 == 0 { Class::Spam } else { Class::Ham };
            bayes.learn(&mut store, &msg, class, i).unwrap();
        }
        let good = store.to_bytes();
        assert!(good.len() > 200_000, "several blocks: {}", good.len());
        // The first record starts after the 36-byte header; records are
        // 20 bytes.
        let mut variants = vec![good.clone()];
        for at in [
            0,
            9,
            20,
            37,
            36 + 20 * 5000 + 3,
            good.len() - 30,
            good.len() - 1,
        ] {
            let mut v = good.clone();
            v[at] ^= 0x40;
            variants.push(v);
        }
        // A duplicate token record, checksum fixed up or not.
        let mut dup = good.clone();
        dup.copy_within(36..56, 56);
        variants.push(dup.clone());
        let n = dup.len() - 8;
        let sum = super::super::store::tests_fnv64(&dup[..n]);
        dup[n..].copy_from_slice(&sum.to_le_bytes());
        variants.push(dup);
        variants.push(good[..good.len() - 1].to_vec());
        variants.push(good[..40].to_vec());
        let mut longer = good.clone();
        longer.push(0);
        variants.push(longer);
        variants.push(Vec::new());
        // What loading the file would say of bytes found wrong whole.
        let as_load_error = |source| {
            FileError::Format {
                path: path.clone(),
                source,
            }
            .to_string()
        };
        for (k, v) in variants.iter().enumerate() {
            fs::write(&path, v).unwrap();
            let streamed = load(&path).map_err(|e| e.to_string());
            let whole = MemoryStore::from_bytes(v).map_err(as_load_error);
            assert_eq!(streamed, whole, "variant {k}");
            // The frozen loader accepts and refuses the same files, with
            // the same errors, and holds the same counts.
            let frozen = load_frozen(&path).map_err(|e| e.to_string());
            let frozen_whole = FrozenStore::from_bytes(v).map_err(as_load_error);
            assert_eq!(frozen, frozen_whole, "variant {k}");
            assert_eq!(frozen, whole.map(|s| FrozenStore::from(&s)), "variant {k}");
        }
        assert!(load(&path).is_err());
        fs::write(&path, &good).unwrap();
        assert_eq!(load(&path).unwrap(), store);
    }
}
