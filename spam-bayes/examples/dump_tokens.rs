//! Prints the distinct tokens of each file given (one line per token,
//! `FILE<TAB>TOKEN`); for inspecting the tokenizer.
fn main() {
    let t = rampart_spam_bayes::Tokenizer::default();
    for p in std::env::args().skip(1) {
        let raw = std::fs::read(&p).unwrap_or_default();
        for tok in t.token_strings(&raw) {
            println!("{p}\t{tok}");
        }
    }
}
