//! Compiles the 50-rule script of benches/sieve.rs in a loop (profiling).
use std::hint::black_box;

fn user_script() -> String {
    let mut s = String::from(
        "require [\"fileinto\", \"imap4flags\", \"variables\", \"envelope\", \"relational\", \"comparator-i;ascii-numeric\", \"subaddress\"];\n",
    );
    for i in 0..50 {
        s.push_str(&match i % 5 {
            0 => format!("if header :contains \"subject\" \"topic{i}\" {{ fileinto \"Topics/{i}\"; stop; }}\n"),
            1 => format!("if address :domain :is \"from\" \"example{i}.org\" {{ fileinto :flags \"\\\\Seen\" \"Domains/{i}\"; }}\n"),
            2 => format!("if allof (header :matches \"list-id\" \"*<list{i}.*>*\", not exists \"x-loop\") {{ fileinto \"Lists/${{1}}\"; }}\n"),
            3 => format!("if envelope :detail \"to\" \"tag{i}\" {{ addflag \"tag{i}\"; }}\n"),
            _ => format!("if header :value \"ge\" :comparator \"i;ascii-numeric\" \"x-priority\" \"{i}\" {{ set \"prio\" \"{i}\"; }}\n"),
        });
    }
    s
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20000);
    let s = user_script();
    let t = std::time::Instant::now();
    for _ in 0..n {
        black_box(rampart_sieve_engine::compile(black_box(&s)).unwrap());
    }
    println!(
        "{:.2} us/compile",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
}
