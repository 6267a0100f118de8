//! Helpers shared by the tests that compare with clamscan.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// Runs clamscan over `dir/files` with the databases in `dir/db` and
/// returns the names found per file name; `None` when clamscan is not
/// installed.
pub fn clamscan(dir: &Path) -> Option<BTreeMap<String, BTreeSet<String>>> {
    let out = Command::new("clamscan")
        .args(["--no-summary", "--allmatch", "-r", "--max-scantime=0"])
        .arg("-d")
        .arg(dir.join("db"))
        .arg(dir.join("files"))
        .output()
        .ok()?;
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "clamscan failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut res: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Some((path, what)) = line.rsplit_once(": ") else {
            continue;
        };
        let file = Path::new(path)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let set = res.entry(file).or_default();
        if let Some(name) = what.strip_suffix(" FOUND") {
            set.insert(name.trim_end_matches(".UNOFFICIAL").to_string());
        }
    }
    Some(res)
}

/// Says the comparison was skipped, or fails when `RAMPART_REQUIRE_PEERS`
/// is set (as CI sets it after installing clamav).
pub fn skipped_without_clamscan() {
    assert!(
        std::env::var_os("RAMPART_REQUIRE_PEERS").is_none(),
        "clamscan is not installed, and RAMPART_REQUIRE_PEERS asks for it"
    );
    println!("skipped: clamscan not installed");
}
