//! The benchmark workload, shared by `benches/sieve.rs`,
//! `examples/compile_loop.rs` and `scripts/bench-vs-sieve-rs.sh`, so that
//! all three measure the same script and messages.

/// A 50-rule user script of the kind people write by hand.
pub fn user_script() -> String {
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

/// Twenty messages that the 50-rule script acts on in different ways.
pub fn messages() -> Vec<Vec<u8>> {
    (0..20)
        .map(|i| {
            format!(
                "Return-Path: <s{i}@example{i}.org>\r\nFrom: Sender {i} <s{i}@example{i}.org>\r\nTo: me+tag{i}@example.net\r\nSubject: about topic{} and more\r\nList-Id: Some list <list{i}.example.org>\r\nX-Priority: {}\r\nMessage-Id: <{i}@example.org>\r\n\r\n{}",
                i * 3,
                i % 7,
                "Body line of text.\r\n".repeat(20)
            )
            .into_bytes()
        })
        .collect()
}
