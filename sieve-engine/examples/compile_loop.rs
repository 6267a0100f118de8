//! Compiles the 50-rule script of benches/sieve.rs in a loop (profiling).
use std::hint::black_box;

// Only the script is used here.
#[allow(dead_code)]
#[path = "../benches/common/workload.rs"]
mod workload;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20000);
    let s = workload::user_script();
    let t = std::time::Instant::now();
    for _ in 0..n {
        black_box(rampart_sieve_engine::compile(black_box(&s)).unwrap());
    }
    println!(
        "{:.2} us/compile",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
}
