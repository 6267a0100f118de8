//! When a vacation reply must not be sent (RFC 5230 section 4.5 and
//! RFC 3834): the checks a host runs before it sends the reply that a
//! [`crate::VacationReply`] asks for.

use mail_parser::{HeaderValue, Message};

/// Who the message was delivered to, for [`vacation_suppressed`].
#[derive(Debug, Clone, Copy)]
pub struct ReplyContext<'a> {
    /// The envelope sender (empty for the null sender).
    pub sender: &'a str,
    /// The envelope recipient (the user).
    pub recipient: &'a str,
    /// Further addresses of the user (configured email address, original
    /// recipient), besides the vacation `:addresses`.
    pub user_addresses: &'a [String],
    /// Require one of the user's addresses in To, Cc or Bcc (on by
    /// default in Pigeonhole; off replies to mail the user got by Bcc or
    /// through an alias too).
    pub check_recipient: bool,
}

fn same_address(a: &str, b: &str) -> bool {
    let a = a.trim().trim_start_matches('<').trim_end_matches('>');
    let b = b.trim().trim_start_matches('<').trim_end_matches('>');
    !a.is_empty() && a.eq_ignore_ascii_case(b)
}

/// Senders that are programs, not people (RFC 3834 section 2 and the
/// usual list software names).
fn is_system_address(addr: &str) -> bool {
    let local = addr
        .rsplit_once('@')
        .map_or(addr, |(l, _)| l)
        .to_ascii_lowercase();
    matches!(
        local.as_str(),
        "mailer-daemon" | "listserv" | "majordomo" | "postmaster"
    ) || local.starts_with("owner-")
        || local.ends_with("-request")
        || local.ends_with("-owner")
        || local.contains("-bounces")
}

fn header_text<'m>(msg: &'m Message<'_>, name: &str) -> Vec<&'m str> {
    let Some(part) = msg.parts.first() else {
        return Vec::new();
    };
    part.headers
        .iter()
        .filter(|h| h.name.as_str().eq_ignore_ascii_case(name))
        .filter_map(|h| match &h.value {
            HeaderValue::Text(t) => Some(t.as_ref()),
            HeaderValue::TextList(l) => l.first().map(|t| t.as_ref()),
            _ => None,
        })
        .collect()
}

fn header_addresses(msg: &Message<'_>, name: &str) -> Vec<String> {
    let Some(part) = msg.parts.first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for h in part
        .headers
        .iter()
        .filter(|h| h.name.as_str().eq_ignore_ascii_case(name))
    {
        if let HeaderValue::Address(a) = &h.value {
            out.extend(a.iter().filter_map(|x| x.address()).map(str::to_string));
        }
    }
    out
}

/// The user's address that the message names in To, Cc, Bcc or their
/// Resent- forms, to send the reply from (RFC 5230 4.5): the envelope
/// recipient, another address of the user, or one of the `:addresses`.
/// `None` when none is named (the user got the message by Bcc or alias).
pub fn vacation_reply_from(
    msg: &Message<'_>,
    ctx: &ReplyContext<'_>,
    addresses: &[String],
) -> Option<String> {
    for h in ["to", "cc", "bcc", "resent-to", "resent-cc", "resent-bcc"] {
        let listed = header_addresses(msg, h);
        if listed.is_empty() {
            continue;
        }
        let bare = |a: &str| {
            a.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        };
        let candidates = std::iter::once(ctx.recipient)
            .chain(ctx.user_addresses.iter().map(String::as_str))
            .chain(addresses.iter().map(String::as_str));
        for c in candidates {
            if listed.iter().any(|l| same_address(l, c)) {
                return Some(bare(c));
            }
        }
    }
    None
}

/// Why no vacation reply may be sent for this message, or `None` when
/// one may. `addresses` are the vacation `:addresses`.
pub fn vacation_suppressed(
    msg: &Message<'_>,
    ctx: &ReplyContext<'_>,
    addresses: &[String],
) -> Option<&'static str> {
    if ctx.sender.trim().trim_matches(['<', '>']).is_empty() {
        return Some("null envelope sender");
    }
    let mine = std::iter::once(ctx.recipient)
        .chain(addresses.iter().map(String::as_str))
        .chain(ctx.user_addresses.iter().map(String::as_str));
    if mine.clone().any(|a| same_address(a, ctx.sender)) {
        return Some("sender is one of the user's own addresses");
    }
    if header_text(msg, "auto-submitted")
        .iter()
        .any(|v| !v.trim().eq_ignore_ascii_case("no"))
    {
        return Some("auto-submitted message");
    }
    if header_text(msg, "precedence").iter().any(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "bulk" | "list" | "junk"
        )
    }) {
        return Some("bulk message (Precedence)");
    }
    let list_headers = [
        "list-id",
        "list-owner",
        "list-subscribe",
        "list-post",
        "list-unsubscribe",
        "list-help",
        "list-archive",
    ];
    if let Some(part) = msg.parts.first()
        && part.headers.iter().any(|h| {
            list_headers
                .iter()
                .any(|l| h.name.as_str().eq_ignore_ascii_case(l))
        })
    {
        return Some("mailing list message");
    }
    if header_text(msg, "x-auto-response-suppress")
        .iter()
        .any(|v| {
            v.split(',').any(|t| {
                let t = t.trim();
                t.eq_ignore_ascii_case("all") || t.eq_ignore_ascii_case("oof")
            })
        })
    {
        return Some("X-Auto-Response-Suppress");
    }
    if is_system_address(ctx.sender) {
        return Some("sender is a system address");
    }
    if ctx.check_recipient {
        let listed: Vec<String> = ["to", "cc", "bcc", "resent-to", "resent-cc", "resent-bcc"]
            .iter()
            .flat_map(|h| header_addresses(msg, h))
            .collect();
        if !listed
            .iter()
            .any(|l| mine.clone().any(|m| same_address(m, l)))
        {
            return Some("none of the user's addresses is in To, Cc or Bcc");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str, sender: &str) -> Option<&'static str> {
        let msg = mail_parser::MessageParser::default()
            .parse(raw.as_bytes())
            .unwrap();
        let ctx = ReplyContext {
            sender,
            recipient: "me@example.org",
            user_addresses: &[],
            check_recipient: true,
        };
        vacation_suppressed(&msg, &ctx, &["alias@example.org".to_string()])
    }

    #[test]
    fn rules() {
        let ok = "From: a@example.com\r\nTo: me@example.org\r\n\r\nhi\r\n";
        assert_eq!(check(ok, "a@example.com"), None);
        assert!(check(ok, "").is_some());
        assert!(check(ok, "Me@Example.org").is_some());
        assert!(check(ok, "owner-list@example.com").is_some());
        let to_alias = "From: a@example.com\r\nTo: alias@example.org\r\n\r\nhi\r\n";
        assert_eq!(check(to_alias, "a@example.com"), None);
        let bcc = "From: a@example.com\r\nTo: other@example.org\r\n\r\nhi\r\n";
        assert!(check(bcc, "a@example.com").is_some());
        for h in [
            "Auto-Submitted: auto-replied",
            "Precedence: bulk",
            "List-Id: <l.example.com>",
            "X-Auto-Response-Suppress: DR, OOF",
        ] {
            let raw = format!("From: a@example.com\r\nTo: me@example.org\r\n{h}\r\n\r\nhi\r\n");
            assert!(check(&raw, "a@example.com").is_some(), "{h}");
        }
    }
}
