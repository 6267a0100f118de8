//! Spamtest and virustest values computed from message headers, with
//! the settings Pigeonhole uses (`sieve_spamtest_*`, `sieve_virustest_*`).
//!
//! A scanner upstream leaves its verdict in a header; these settings say
//! which header, how to read it (a score, the length of a string such as
//! `*****`, or a text from a fixed list) and what the maximum is. The
//! result is the RFC 5235 value: `"0"` untested, `"1"` to `"10"` for
//! spamtest (`"0"` to `"100"` with `:percent`), `"1"` to `"5"` for
//! virustest.

use mail_parser::Message;
use regex_automata::meta::Regex;

/// How the status header is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusType {
    /// A number, compared with the maximum.
    #[default]
    Score,
    /// The length of the value (for example `*****`), compared with the maximum.
    Strlen,
    /// A text looked up in the `text_value/N` list.
    Text,
}

/// A header name with an optional regular expression whose first group
/// (or whole match) is the value: Pigeonhole's `Name: regex` syntax.
#[derive(Debug, Clone)]
struct HeaderSpec {
    name: String,
    regex: Option<Regex>,
}

impl HeaderSpec {
    fn parse(spec: &str) -> Result<Self, String> {
        let (name, re) = match spec.split_once(':') {
            Some((n, r)) => (n.trim(), Some(r.trim_start_matches([' ', '\t']))),
            None => (spec.trim(), None),
        };
        if name.is_empty() || !crate::strings::valid_header_name(name) {
            return Err(format!("invalid header name {name:?}"));
        }
        let regex = match re {
            Some(r) if !r.is_empty() => Some(
                regex_automata::meta::Builder::new()
                    .syntax(regex_automata::util::syntax::Config::new().case_insensitive(true))
                    .build(r)
                    .map_err(|e| format!("invalid regular expression {r:?}: {e}"))?,
            ),
            _ => None,
        };
        Ok(HeaderSpec {
            name: name.to_string(),
            regex,
        })
    }

    /// The value this spec extracts from the message, if any.
    fn extract(&self, msg: &Message<'_>) -> Option<String> {
        let part = msg.parts.first()?;
        let h = part
            .headers
            .iter()
            .find(|h| h.name.as_str().eq_ignore_ascii_case(&self.name))?;
        let raw = msg
            .raw_message
            .get(h.offset_start as usize..h.offset_end as usize)?;
        let raw = String::from_utf8_lossy(raw);
        let value: String = raw
            .split(['\r', '\n'])
            .map(|l| l.trim_start_matches([' ', '\t']))
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let value = value.trim().to_string();
        match &self.regex {
            None => Some(value),
            Some(re) => {
                let mut caps = re.create_captures();
                re.captures(&value, &mut caps);
                if !caps.is_match() {
                    return None;
                }
                let span = caps.get_group(1).or_else(|| caps.get_group(0))?;
                Some(value[span.range()].to_string())
            }
        }
    }
}

/// The settings of one test (spamtest or virustest), in Pigeonhole's terms.
#[derive(Debug, Clone, Default)]
pub struct TestConfig {
    status_header: Option<HeaderSpec>,
    status_type: StatusType,
    max_header: Option<HeaderSpec>,
    max_value: Option<f64>,
    text_values: Vec<(u32, String)>,
}

/// Spamtest and virustest settings together.
#[derive(Debug, Clone, Default)]
pub struct SpamVirusConfig {
    /// `sieve_spamtest_*`.
    pub spamtest: TestConfig,
    /// `sieve_virustest_*`.
    pub virustest: TestConfig,
}

impl SpamVirusConfig {
    /// Applies one setting such as `sieve_spamtest_status_header` =
    /// `X-Spam-Score: score=(-?[0-9.]+)`. Settings of other names are
    /// ignored and reported as `Ok(false)`.
    ///
    /// # Errors
    ///
    /// A value that does not parse (bad header name, regular expression,
    /// number or status type).
    pub fn set(&mut self, key: &str, value: &str) -> Result<bool, String> {
        let (cfg, rest, spam) = if let Some(r) = key.strip_prefix("sieve_spamtest_") {
            (&mut self.spamtest, r, true)
        } else if let Some(r) = key.strip_prefix("sieve_virustest_") {
            (&mut self.virustest, r, false)
        } else {
            return Ok(false);
        };
        match rest {
            "status_header" => cfg.status_header = Some(HeaderSpec::parse(value)?),
            "status_type" => {
                cfg.status_type = match value.trim() {
                    "score" => StatusType::Score,
                    "strlen" => StatusType::Strlen,
                    "text" => StatusType::Text,
                    v => return Err(format!("invalid status type {v:?}")),
                }
            }
            "score_max_header" | "max_header" => cfg.max_header = Some(HeaderSpec::parse(value)?),
            "score_max_value" | "max_value" => {
                let v: f64 = value
                    .trim()
                    .parse()
                    .map_err(|_| format!("invalid maximum {value:?}"))?;
                if !v.is_finite() || v <= 0.0 {
                    return Err(format!("maximum must be positive, not {value:?}"));
                }
                cfg.max_value = Some(v);
            }
            _ => {
                let Some(n) = rest.strip_prefix("text_value/") else {
                    return Ok(false);
                };
                let top = if spam { 10 } else { 5 };
                let n: u32 = n
                    .parse()
                    .ok()
                    .filter(|n| *n <= top)
                    .ok_or_else(|| format!("invalid text value index in {key:?}"))?;
                cfg.text_values.retain(|(i, _)| *i != n);
                cfg.text_values.push((n, value.to_string()));
            }
        }
        Ok(true)
    }

    /// Removes one setting (back to its default).
    pub fn unset(&mut self, key: &str) {
        let (cfg, rest) = if let Some(r) = key.strip_prefix("sieve_spamtest_") {
            (&mut self.spamtest, r)
        } else if let Some(r) = key.strip_prefix("sieve_virustest_") {
            (&mut self.virustest, r)
        } else {
            return;
        };
        match rest {
            "status_header" => cfg.status_header = None,
            "status_type" => cfg.status_type = StatusType::Score,
            "score_max_header" | "max_header" => cfg.max_header = None,
            "score_max_value" | "max_value" => cfg.max_value = None,
            r => {
                if let Some(n) = r.strip_prefix("text_value/").and_then(|n| n.parse().ok()) {
                    cfg.text_values.retain(|(i, _)| *i != n);
                }
            }
        }
    }

    /// The spamtest value for this message, `None` when not configured
    /// or the header is absent (the test then sees `"0"`).
    pub fn spamtest(&self, msg: &Message<'_>, percent: bool) -> Option<String> {
        let top = if percent { 100.0 } else { 10.0 };
        self.spamtest.value(msg, top, percent)
    }

    /// The virustest value for this message (`"1"` clean to `"5"` infected).
    pub fn virustest(&self, msg: &Message<'_>) -> Option<String> {
        self.virustest.value(msg, 5.0, false)
    }
}

impl TestConfig {
    fn value(&self, msg: &Message<'_>, top: f64, percent: bool) -> Option<String> {
        let raw = self.status_header.as_ref()?.extract(msg)?;
        let ratio = match self.status_type {
            StatusType::Text => {
                let (n, _) = self
                    .text_values
                    .iter()
                    .find(|(_, t)| t.eq_ignore_ascii_case(raw.trim()))?;
                // Text values are already on the 0..10 (or 1..5) scale.
                if percent {
                    return Some((n * 10).min(100).to_string());
                }
                return Some(n.to_string());
            }
            StatusType::Score => {
                let score: f64 = raw.trim().parse().ok()?;
                score / self.max(msg)?
            }
            StatusType::Strlen => raw.trim().chars().count() as f64 / self.max(msg)?,
        };
        if !ratio.is_finite() {
            return None;
        }
        let ratio = ratio.clamp(0.0, 1.0);
        let v = if percent {
            (ratio * 100.0).round()
        } else {
            // 1 is "tested, not spam"; the rest of the scale is linear.
            (ratio * (top - 1.0) + 1.0 + 1e-9).floor()
        };
        Some((v as u64).to_string())
    }

    fn max(&self, msg: &Message<'_>) -> Option<f64> {
        if let Some(h) = &self.max_header {
            let v: f64 = h.extract(msg)?.trim().parse().ok()?;
            return (v > 0.0 && v.is_finite()).then_some(v);
        }
        self.max_value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(raw: &str) -> Message<'_> {
        mail_parser::MessageParser::default()
            .parse(raw.as_bytes())
            .expect("parses")
    }

    #[test]
    fn score_strlen_and_text() {
        let m = msg("X-Check: No, score=4.0 required=5.0\r\n\
                     X-Stars: sssssss\r\nX-Verdict: Spam\r\nX-Pct: .29\r\n\r\nbody\r\n");
        let mut c = SpamVirusConfig::default();
        c.set(
            "sieve_spamtest_status_header",
            "X-Check: [ a-z]+, score=(-?[0-9]+.[0-9]+)",
        )
        .unwrap();
        c.set(
            "sieve_spamtest_score_max_header",
            "X-Check: [ a-z]+, score=-?[0-9.]+ required=([0-9.]+)",
        )
        .unwrap();
        assert_eq!(c.spamtest(&m, false).as_deref(), Some("8"));
        assert_eq!(c.spamtest(&m, true).as_deref(), Some("80"));
        c.unset("sieve_spamtest_score_max_header");
        c.set("sieve_spamtest_score_max_value", "8").unwrap();
        c.set("sieve_spamtest_status_type", "strlen").unwrap();
        c.set("sieve_spamtest_status_header", "X-Stars").unwrap();
        assert_eq!(c.spamtest(&m, false).as_deref(), Some("8"));
        c.set("sieve_spamtest_status_header", "X-Pct").unwrap();
        c.set("sieve_spamtest_status_type", "score").unwrap();
        c.set("sieve_spamtest_score_max_value", "1").unwrap();
        assert_eq!(c.spamtest(&m, true).as_deref(), Some("29"));
        c.set("sieve_virustest_status_header", "X-Verdict").unwrap();
        c.set("sieve_virustest_status_type", "text").unwrap();
        c.set("sieve_virustest_text_value/5", "spam").unwrap();
        assert_eq!(c.virustest(&m).as_deref(), Some("5"));
        c.set("sieve_virustest_status_header", "X-Missing").unwrap();
        assert_eq!(c.virustest(&m), None);
        assert!(c.set("sieve_virustest_status_type", "bogus").is_err());
        assert!(c.set("sieve_virustest_text_value/9", "x").is_err());
    }
}
