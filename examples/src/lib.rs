//! Runnable programs that show how to embed each Rampart crate; see the
//! `examples/` folder of this package and run one with
//! `cargo run -p rampart-examples --example NAME`.
