//! Parsing a valid command line allocates nothing: the command
//! borrows from the line. One test only, so that no other test's
//! allocations are counted.

use rampart_smtp_proto::parse_command;

#[test]
fn parsing_valid_commands_does_not_allocate() {
    let lines: &[&[u8]] = &[
        b"EHLO mail-ed1-f41.google.com\r\n",
        b"MAIL FROM:<bounces+1-user=example.org@em.example.net> SIZE=48213 BODY=8BITMIME\r\n",
        b"MAIL FROM:<> SMTPUTF8 RET=HDRS ENVID=QQ+2B314 AUTH=<> REQUIRETLS\r\n",
        b"RCPT TO:<\"carol jones\"@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;c@x\r\n",
        b"RCPT TO:<@relay.example:dave@[IPv6:2001:db8::25]>\r\n",
        b"RCPT TO:<Postmaster>\r\n",
        b"BDAT 65536 LAST\r\n",
        b"AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n",
        b"DATA\r\n",
        b"QUIT\r\n",
        // The rest of the benchmark's mix (benches/parse.rs).
        b"MAIL FROM:<bounces+123456-abcd-user=example.org@em1234.sendgrid.net> SIZE=48213 BODY=8BITMIME\r\n",
        b"RCPT TO:<alice@example.org>\r\n",
        b"RCPT TO:<bob.smith@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob.smith@example.org\r\n",
        b"RSET\r\n",
        b"MAIL FROM:<> SIZE=1024\r\n",
        b"RCPT TO:<postmaster@example.net>\r\n",
        b"NOOP\r\n",
        b"HELO relay.example.net\r\n",
        b"MAIL FROM:<user@sub.example.com> SMTPUTF8 ENVID=QQ314159 RET=HDRS\r\n",
        b"RCPT TO:<dave+lists@mail.example.co.uk>\r\n",
        // And more: UTF-8, literals, the other verbs.
        "MAIL FROM:<jörg@bücher.example> SMTPUTF8\r\n".as_bytes(),
        b"RCPT TO:<u@[192.0.2.1]>\r\n",
        b"EHLO [IPv6:2001:db8::1:2:192.0.2.1]\r\n",
        b"LHLO lmtp.example\r\n",
        b"BDAT 100\r\n",
        b"VRFY someone\r\n",
        b"EXPN list\r\n",
        b"HELP mail\r\n",
        b"STARTTLS\r\n",
    ];
    let mut parsed = 0;
    let info = allocation_counter::measure(|| {
        for line in lines {
            if parse_command(line).is_ok() {
                parsed += 1;
            }
        }
    });
    assert_eq!(parsed, lines.len(), "every line is valid");
    assert_eq!(info.count_total, 0, "allocations while parsing");

    // The counter is live: a bad line builds its error text.
    let info = allocation_counter::measure(|| {
        let _ = parse_command(b"MAIL FROM:<a@b> X-UNKNOWN=1\r\n");
    });
    assert!(info.count_total > 0);
}
