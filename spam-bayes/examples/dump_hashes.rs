//! Prints the token hashes of each file given as the classifier sees
//! them (`FILE<TAB>HASH` in hex, sorted, one line per distinct token),
//! then each file's digest line; with `dump_tokens`, for checking that
//! a change to the tokenizer leaves its output byte for byte the same.
fn main() {
    let t = rampart_spam_bayes::Tokenizer::default();
    for p in std::env::args().skip(1) {
        let raw = std::fs::read(&p).unwrap_or_default();
        for h in t.token_hashes(&raw) {
            println!("{p}\t{h:016x}");
        }
        let set = t.tokenize(&raw);
        let d: String = set.digest().iter().map(|b| format!("{b:02x}")).collect();
        println!("{p}\tdigest {d} {}", set.len());
    }
}
