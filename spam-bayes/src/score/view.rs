//! What the rules look at: one parse of the message turned into the
//! texts SpamAssassin's rule types match (headers, decoded body, raw
//! body, URIs), each capped, plus the facts the built-in checks need.

use mail_parser::{Address, HeaderValue, Message, MessageParser, MimeHeaders, PartType};

use crate::tokenize::{attr, cap_str, find_ascii_ci, push_entities, skip_mbox_line};

/// Limits on what the scorer reads of a message. The defaults keep a
/// 50 MB message to well under a second of matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanLimits {
    /// Only this many bytes of the raw message are parsed at all
    /// (SpamAssassin skips messages over 500 KB by default; we score the
    /// head of them instead).
    pub max_message_bytes: usize,
    /// Body and raw-body rules see at most this many bytes.
    pub max_body_bytes: usize,
    /// At most this many URIs are collected.
    pub max_uris: usize,
}

impl Default for ScanLimits {
    fn default() -> Self {
        ScanLimits {
            max_message_bytes: 1 << 20,
            max_body_bytes: 256 << 10,
            max_uris: 500,
        }
    }
}

/// One header as the header rules see it.
pub(crate) struct HeaderField {
    pub name: String,
    /// Decoded value (MIME words decoded, unfolded).
    pub value: String,
    /// Undecoded value, unfolded.
    pub raw: String,
    /// Addresses, when the header holds addresses.
    pub addrs: Vec<String>,
    /// Display names, when the header holds addresses.
    pub names: Vec<String>,
}

/// The parsed message, ready for matching.
pub(crate) struct View {
    pub headers: Vec<HeaderField>,
    /// Subject plus the decoded text of the text parts, HTML rendered to
    /// text.
    pub body: String,
    /// Decoded text parts with HTML markup kept.
    pub rawbody: String,
    /// The raw message (capped), lossily UTF-8.
    pub full: String,
    pub uris: Vec<String>,
    /// Unix time of the Date header: `None` when missing, `Some(None)`
    /// when present but unparseable.
    pub date: Option<Option<i64>>,
    /// Unix time in the newest Received header, if it has one.
    pub received: Option<i64>,
    pub has_html: bool,
    pub has_plain: bool,
    pub base64_text: bool,
    pub html_text_chars: usize,
    pub html_images: usize,
    pub link_mismatch: bool,
    pub empty_body: bool,
    pub parsed: bool,
}

fn unfold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if i > 0 && !line.is_empty() {
            out.push(' ');
            out.push_str(line.trim_start());
        } else {
            out.push_str(line);
        }
    }
    out.trim().to_owned()
}

fn push_capped(out: &mut String, s: &str, max: usize) {
    if out.len() >= max {
        return;
    }
    out.push_str(cap_str(s, max - out.len()));
}

impl View {
    pub(crate) fn new(raw: &[u8], limits: &ScanLimits) -> View {
        let mut raw = skip_mbox_line(raw);
        if raw.len() > limits.max_message_bytes {
            raw = &raw[..limits.max_message_bytes];
        }
        let full = String::from_utf8_lossy(raw).into_owned();
        let mut v = View {
            headers: Vec::new(),
            body: String::new(),
            rawbody: String::new(),
            full,
            uris: Vec::new(),
            date: None,
            received: None,
            has_html: false,
            has_plain: false,
            base64_text: false,
            html_text_chars: 0,
            html_images: 0,
            link_mismatch: false,
            empty_body: true,
            parsed: false,
        };
        let Some(msg) = MessageParser::default().parse(raw) else {
            return v;
        };
        v.parsed = true;
        v.read_headers(&msg);
        v.read_body(&msg, limits);
        v
    }

    fn read_headers(&mut self, msg: &Message<'_>) {
        let raw = msg.raw_message();
        for h in msg.headers().iter().take(500) {
            let raw_value = raw
                .get(h.offset_start as usize..h.offset_end as usize)
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            let raw_value = unfold(cap_str(&raw_value, 8192));
            let (mut addrs, mut names) = (Vec::new(), Vec::new());
            let value = match &h.value {
                HeaderValue::Text(t) => unfold(cap_str(t, 8192)),
                HeaderValue::TextList(l) => unfold(&l.join(", ")),
                HeaderValue::Address(a) => {
                    collect_addrs(a, &mut addrs, &mut names);
                    raw_value.clone()
                }
                _ => raw_value.clone(),
            };
            self.headers.push(HeaderField {
                name: h.name().to_owned(),
                value,
                raw: raw_value,
                addrs,
                names,
            });
        }
        if self.header("Date").is_some() {
            self.date = Some(msg.date().map(|d| d.to_timestamp()));
        }
        self.received = msg
            .received()
            .and_then(|r| r.date.as_ref())
            .map(|d| d.to_timestamp());
    }

    fn read_body(&mut self, msg: &Message<'_>, limits: &ScanLimits) {
        let max = limits.max_body_bytes;
        if let Some(s) = msg.subject() {
            push_capped(&mut self.body, s, max);
            self.body.push('\n');
        }
        for part in msg.parts.iter().take(200) {
            let is_text = part.content_type().is_none_or(|ct| {
                ct.ctype().eq_ignore_ascii_case("text")
                    && ct.subtype().is_none_or(|s| {
                        s.eq_ignore_ascii_case("plain") || s.eq_ignore_ascii_case("html")
                    })
            });
            match &part.body {
                PartType::Text(t) => {
                    if t.trim().is_empty() || !is_text {
                        continue;
                    }
                    self.has_plain = true;
                    self.empty_body = false;
                    self.note_encoding(part);
                    push_capped(&mut self.body, t, max);
                    self.body.push('\n');
                    push_capped(&mut self.rawbody, t, max);
                    self.rawbody.push('\n');
                    self.text_uris(cap_str(t, max), limits.max_uris);
                }
                PartType::Html(h) => {
                    if h.trim().is_empty() {
                        continue;
                    }
                    self.has_html = true;
                    self.empty_body = false;
                    self.note_encoding(part);
                    let h = cap_str(h, max);
                    push_capped(&mut self.rawbody, h, max);
                    self.rawbody.push('\n');
                    let text = self.html(h, limits.max_uris);
                    self.html_text_chars += text.chars().filter(|c| !c.is_whitespace()).count();
                    push_capped(&mut self.body, &text, max);
                    self.body.push('\n');
                }
                PartType::Binary(_) | PartType::InlineBinary(_) | PartType::Message(_) => {
                    self.empty_body = false;
                }
                PartType::Multipart(_) => {}
            }
        }
    }

    fn note_encoding(&mut self, part: &mail_parser::MessagePart<'_>) {
        if part
            .content_transfer_encoding()
            .is_some_and(|e| e.trim().eq_ignore_ascii_case("base64"))
        {
            self.base64_text = true;
        }
    }

    /// URLs written out in plain text: `scheme://...` and `www....`.
    fn text_uris(&mut self, text: &str, max: usize) {
        let b = text.as_bytes();
        let mut i = 0;
        while i < b.len() && self.uris.len() < max {
            let rest = &text[i..];
            let Some(p) = ["http://", "https://", "ftp://", "www."]
                .iter()
                .filter_map(|n| find_ascii_ci(rest, n))
                .min()
            else {
                break;
            };
            let start = i + p;
            let end = text[start..]
                .find(|c: char| c.is_whitespace() || "<>\"'`()[]{}".contains(c))
                .map_or(text.len(), |e| start + e);
            let uri = text[start..end].trim_end_matches(['.', ',', ';', ':', '!', '?']);
            self.push_uri(uri);
            i = end.max(start + 1);
            while !text.is_char_boundary(i) {
                i += 1;
            }
        }
    }

    fn push_uri(&mut self, uri: &str) {
        let uri = uri.trim();
        if uri.len() < 5 {
            return;
        }
        let uri = cap_str(uri, 2048);
        let normal = if uri.len() >= 4 && uri.as_bytes()[..4].eq_ignore_ascii_case(b"www.") {
            format!("http://{uri}")
        } else {
            uri.to_owned()
        };
        self.uris.push(normal);
    }

    /// Renders HTML to text, collecting link and image URIs, image count
    /// and whether a link's visible text names another host than its
    /// target.
    fn html(&mut self, html: &str, max_uris: usize) -> String {
        let bytes = html.as_bytes();
        let mut text = String::with_capacity(html.len().min(1 << 16));
        // (host of the open <a href>, text start offset in `text`)
        let mut open_link: Option<(String, usize)> = None;
        let mut i = 0;
        while i < bytes.len() {
            let Some(lt) = memchr::memchr(b'<', &bytes[i..]) else {
                push_entities(&mut text, &html[i..]);
                break;
            };
            push_entities(&mut text, &html[i..i + lt]);
            i += lt;
            if html[i..].starts_with("<!--") {
                i = memchr::memmem::find(&bytes[i..], b"-->").map_or(bytes.len(), |e| i + e + 3);
                continue;
            }
            let end = memchr::memchr(b'>', &bytes[i..]).map_or(bytes.len(), |e| i + e);
            let tag = &html[i + 1..end];
            i = (end + 1).min(bytes.len());
            let name_end = tag
                .find(|c: char| c.is_whitespace() || c == '>')
                .unwrap_or(tag.len());
            let name = tag[..name_end].to_ascii_lowercase();
            match name.as_str() {
                "a" | "area" => {
                    if let Some(href) = attr(tag, "href") {
                        if self.uris.len() < max_uris {
                            self.push_uri(href);
                        }
                        if name == "a" {
                            open_link = host_of(href).map(|h| (h, text.len()));
                        }
                    }
                }
                "/a" => {
                    if let Some((target, start)) = open_link.take() {
                        let shown = text[start..].trim();
                        if let Some(shown) = shown_host(shown)
                            && !same_site(&shown, &target)
                        {
                            self.link_mismatch = true;
                        }
                    }
                }
                "img" => {
                    self.html_images += 1;
                    if let Some(src) = attr(tag, "src")
                        && self.uris.len() < max_uris
                        && src.contains("://")
                    {
                        self.push_uri(src);
                    }
                }
                "script" | "style" => {
                    let close = if name == "script" {
                        "</script"
                    } else {
                        "</style"
                    };
                    i = find_ascii_ci(&html[i..], close).map_or(bytes.len(), |e| i + e);
                }
                "br" | "p" | "/p" | "div" | "/div" | "tr" | "li" => text.push('\n'),
                _ => text.push(' '),
            }
        }
        text
    }

    /// The first header called `name` (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&HeaderField> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
    }
}

fn collect_addrs(a: &Address<'_>, addrs: &mut Vec<String>, names: &mut Vec<String>) {
    for addr in a.iter().take(200) {
        if let Some(x) = addr.address() {
            addrs.push(x.to_owned());
        }
        if let Some(n) = addr.name() {
            names.push(n.to_owned());
        }
    }
}

/// The lowercased host of an absolute http(s) URL.
fn host_of(url: &str) -> Option<String> {
    let lower = url.trim().to_ascii_lowercase();
    let rest = lower
        .strip_prefix("http://")
        .or_else(|| lower.strip_prefix("https://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?.split(':').next()?;
    (host.contains('.')).then(|| host.trim_end_matches('.').to_owned())
}

/// When a link's visible text is itself a URL or a bare host name, that
/// host.
fn shown_host(text: &str) -> Option<String> {
    if text.contains(char::is_whitespace) || text.len() > 300 {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return host_of(&lower);
    }
    let candidate = lower.split('/').next()?;
    let labels: Vec<&str> = candidate.split('.').collect();
    let looks_like_host = candidate.starts_with("www.")
        && labels.len() >= 3
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    looks_like_host.then(|| candidate.to_owned())
}

/// Whether two hosts share their last two labels (an approximation of
/// "same registered domain" that needs no public-suffix list).
fn same_site(a: &str, b: &str) -> bool {
    let tail = |h: &str| {
        let labels: Vec<&str> = h.rsplit('.').take(2).collect();
        labels.join(".")
    };
    tail(a) == tail(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_mismatch() {
        assert_eq!(
            host_of("https://User@Example.COM:8080/x").as_deref(),
            Some("example.com")
        );
        assert_eq!(host_of("mailto:a@b.c"), None);
        assert_eq!(
            shown_host("www.mybank.com/login").as_deref(),
            Some("www.mybank.com")
        );
        assert_eq!(shown_host("click here"), None);
        assert!(same_site("www.paypal.com", "paypal.com"));
        assert!(!same_site("www.paypal.com", "paypal.com.evil.ru"));
    }

    #[test]
    fn view_of_html_message() {
        let raw = b"From: a@b.example\r\nSubject: Hi\r\nContent-Type: text/html\r\n\r\n\
<p>Log in at <a href=\"http://198.51.100.7/x\">https://www.mybank.example/</a></p>\
<img src=\"http://img.example/a.png\">\r\n";
        let v = View::new(raw, &ScanLimits::default());
        assert!(v.has_html && !v.has_plain);
        assert!(v.link_mismatch);
        assert_eq!(v.html_images, 1);
        assert_eq!(
            v.uris,
            ["http://198.51.100.7/x", "http://img.example/a.png"]
        );
        assert!(v.body.starts_with("Hi\n"));
        assert!(v.body.contains("Log in at"));
        assert!(v.rawbody.contains("<a href="));
    }

    #[test]
    fn text_uris_and_folding() {
        let raw = b"Subject: a\r\n  folded\r\nTo: \"Bob\" <bob@x.example>\r\n\r\nsee www.example.com/a, or https://b.example/q?x=1.\r\n";
        let v = View::new(raw, &ScanLimits::default());
        assert_eq!(
            v.uris,
            ["http://www.example.com/a", "https://b.example/q?x=1"]
        );
        assert_eq!(v.header("subject").unwrap().raw, "a folded");
        let to = v.header("To").unwrap();
        assert_eq!(to.addrs, ["bob@x.example"]);
        assert_eq!(to.names, ["Bob"]);
    }
}
