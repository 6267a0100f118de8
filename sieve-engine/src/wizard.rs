//! The filter wizard: simple preferences in, a readable Sieve script out,
//! and back again. [`Preferences::from_script`] reads any script that
//! [`Preferences::to_script`] wrote, so a web page can show and edit the
//! current choices.
//!
//! ```
//! use rampart_sieve_engine::wizard::{Preferences, Rule, Field, RuleAction};
//!
//! let mut p = Preferences::default();
//! p.rules.push(Rule {
//!     field: Field::Subject,
//!     contains: "invoice".into(),
//!     action: RuleAction::FileInto("Bills".into()),
//! });
//! let script = p.to_script();
//! assert!(rampart_sieve_engine::compile(&script).is_ok());
//! assert_eq!(Preferences::from_script(&script).unwrap(), p);
//! ```

use crate::lexer::tokenize;
use crate::parser::{Arg, Node, RawArg, parse};

/// Where spam goes, and how it is recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpamRule {
    /// A header set by the spam filter and the value that means spam,
    /// for example `X-Spam-Flag: YES`.
    pub header: Option<(String, String)>,
    /// A spamtest score (1..10) at or above which the message is spam.
    pub min_score: Option<u8>,
    /// The folder for spam.
    pub folder: String,
}

/// What to do with a message that carries a virus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VirusAction {
    /// Throw it away.
    Discard,
    /// File it into this folder.
    FileInto(String),
}

/// An automatic reply while away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VacationPrefs {
    /// Days between two replies to the same sender.
    pub days: u32,
    /// Subject of the reply.
    pub subject: String,
    /// Text of the reply.
    pub message: String,
    /// The user's other addresses.
    pub addresses: Vec<String>,
}

/// Forward every message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forward {
    /// Where to.
    pub address: String,
    /// Keep a copy here too.
    pub keep_copy: bool,
}

/// The message field a rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The From address.
    Sender,
    /// The To or Cc addresses.
    Recipient,
    /// The subject.
    Subject,
    /// The List-Id header.
    List,
}

/// What a rule does when it matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleAction {
    /// File into a folder.
    FileInto(String),
    /// Forward to an address.
    Redirect(String),
    /// Mark with an IMAP flag or keyword.
    Flag(String),
    /// Throw away.
    Discard,
}

/// "If FIELD contains TEXT then ACTION".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// What to look at.
    pub field: Field,
    /// The text it must contain (case-insensitive).
    pub contains: String,
    /// What to do.
    pub action: RuleAction,
}

/// Everything the wizard can express.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preferences {
    /// Viruses first.
    pub virus: Option<VirusAction>,
    /// Then spam.
    pub spam: Option<SpamRule>,
    /// Vacation replies (not sent for spam or viruses).
    pub vacation: Option<VacationPrefs>,
    /// Forwarding.
    pub forward: Option<Forward>,
    /// Rules, in order; the first that matches wins.
    pub rules: Vec<Rule>,
}

/// A script the wizard did not write (or that was edited by hand).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WizardError {
    /// It does not parse.
    #[error("script does not parse: {0}")]
    Syntax(String),
    /// A command the wizard never writes.
    #[error("line {line}: {what} is not something the wizard writes")]
    Unknown {
        /// Line of the command.
        line: u32,
        /// What was found.
        what: String,
    },
}

fn q(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

impl Preferences {
    /// A filled-in example, for documentation and benchmarks.
    pub fn example() -> Self {
        Preferences {
            virus: Some(VirusAction::Discard),
            spam: Some(SpamRule {
                header: Some(("X-Spam-Flag".into(), "YES".into())),
                min_score: Some(6),
                folder: "Junk".into(),
            }),
            vacation: Some(VacationPrefs {
                days: 7,
                subject: "Out of office".into(),
                message: "I am away until Monday.\nUrgent: call the desk.".into(),
                addresses: vec!["me@example.org".into()],
            }),
            forward: Some(Forward {
                address: "me@elsewhere.example".into(),
                keep_copy: true,
            }),
            rules: vec![
                Rule {
                    field: Field::List,
                    contains: "rust-users".into(),
                    action: RuleAction::FileInto("Lists/Rust".into()),
                },
                Rule {
                    field: Field::Sender,
                    contains: "boss@example.org".into(),
                    action: RuleAction::Flag("\\Flagged".into()),
                },
                Rule {
                    field: Field::Subject,
                    contains: "lottery".into(),
                    action: RuleAction::Discard,
                },
            ],
        }
    }

    /// Writes the script: a `require` line, then one commented block per
    /// preference, in the order virus, spam, vacation, forward, rules.
    pub fn to_script(&self) -> String {
        let mut req: Vec<&str> = Vec::new();
        let mut add = |r: &'static str| {
            if !req.contains(&r) {
                req.push(r);
            }
        };
        let mut body = String::new();
        if let Some(v) = &self.virus {
            add("virustest");
            add("relational");
            add("comparator-i;ascii-numeric");
            body.push_str(
                "# Viruses\nif virustest :value \"ge\" :comparator \"i;ascii-numeric\" \"4\" {\n",
            );
            match v {
                VirusAction::Discard => body.push_str("  discard;\n"),
                VirusAction::FileInto(f) => {
                    add("fileinto");
                    body.push_str(&format!("  fileinto {};\n", q(f)));
                }
            }
            body.push_str("  stop;\n}\n");
        }
        if let Some(s) = &self.spam {
            add("fileinto");
            let mut tests = Vec::new();
            if let Some((h, v)) = &s.header {
                tests.push(format!("header :contains {} {}", q(h), q(v)));
            }
            if let Some(n) = s.min_score {
                add("spamtest");
                add("relational");
                add("comparator-i;ascii-numeric");
                tests.push(format!(
                    "spamtest :value \"ge\" :comparator \"i;ascii-numeric\" \"{n}\""
                ));
            }
            // Always a test list, so the reader can tell spam from rules.
            let test = if tests.is_empty() {
                "false".to_string()
            } else {
                format!("anyof ({})", tests.join(",\n          "))
            };
            body.push_str(&format!(
                "# Spam\nif {test} {{\n  fileinto {};\n  stop;\n}}\n",
                q(&s.folder)
            ));
        }
        if let Some(v) = &self.vacation {
            add("vacation");
            let addrs = if v.addresses.is_empty() {
                String::new()
            } else {
                let l: Vec<String> = v.addresses.iter().map(|a| q(a)).collect();
                format!(" :addresses [{}]", l.join(", "))
            };
            body.push_str(&format!(
                "# Vacation\nvacation :days {} :subject {}{addrs} {};\n",
                v.days,
                q(&v.subject),
                q(&v.message)
            ));
        }
        if let Some(f) = &self.forward {
            body.push_str("# Forwarding\n");
            if f.keep_copy {
                add("copy");
                body.push_str(&format!("redirect :copy {};\n", q(&f.address)));
            } else {
                body.push_str(&format!("redirect {};\n", q(&f.address)));
            }
        }
        for (i, r) in self.rules.iter().enumerate() {
            let test = match r.field {
                Field::Sender => format!("address :contains \"from\" {}", q(&r.contains)),
                Field::Recipient => {
                    format!("address :contains [\"to\", \"cc\"] {}", q(&r.contains))
                }
                Field::Subject => format!("header :contains \"subject\" {}", q(&r.contains)),
                Field::List => format!("header :contains \"list-id\" {}", q(&r.contains)),
            };
            let action = match &r.action {
                RuleAction::FileInto(f) => {
                    add("fileinto");
                    format!("fileinto {}", q(f))
                }
                RuleAction::Redirect(a) => format!("redirect {}", q(a)),
                RuleAction::Flag(f) => {
                    add("imap4flags");
                    format!("addflag {}", q(f))
                }
                RuleAction::Discard => "discard".into(),
            };
            body.push_str(&format!(
                "# Rule {}\nif {test} {{\n  {action};\n  stop;\n}}\n",
                i + 1
            ));
        }
        let mut out = String::from("# Written by the Rampart filter wizard.\n");
        if !req.is_empty() {
            let l: Vec<String> = req.iter().map(|r| q(r)).collect();
            out.push_str(&format!("require [{}];\n", l.join(", ")));
        }
        out.push_str(&body);
        out
    }

    /// Reads back a script written by [`Preferences::to_script`].
    ///
    /// # Errors
    ///
    /// [`WizardError`] when the script does not parse or holds anything
    /// the wizard does not write.
    pub fn from_script(src: &str) -> Result<Self, WizardError> {
        let toks = tokenize(src).map_err(|d| WizardError::Syntax(d.to_string()))?;
        let tree = parse(toks, 8).map_err(|e| WizardError::Syntax(e[0].to_string()))?;
        let mut p = Preferences::default();
        for n in tree.top() {
            read_node(n, &tree.args, &tree.nodes, &mut p).ok_or_else(|| WizardError::Unknown {
                line: n.line,
                what: format!("command {:?}", n.name),
            })?;
        }
        Ok(p)
    }
}

fn strs<'n>(n: &Node<'n>, all: &'n [Arg<'n>]) -> Vec<&'n str> {
    n.args(all)
        .iter()
        .filter_map(|a| match &a.arg {
            RawArg::Str(s) => Some(&**s),
            _ => None,
        })
        .collect()
}

fn has_tag(n: &Node, all: &[Arg], t: &str) -> bool {
    n.args(all)
        .iter()
        .any(|a| matches!(&a.arg, RawArg::Tag(x) if x == t))
}

fn read_node(n: &Node, all: &[Arg], nodes: &[Node], p: &mut Preferences) -> Option<()> {
    match &*n.name {
        "require" => Some(()),
        "vacation" => {
            let days = n.args(all).iter().find_map(|a| match a.arg {
                RawArg::Num(d) => u32::try_from(d).ok(),
                _ => None,
            })?;
            let s = strs(n, all);
            let addresses = n
                .args(all)
                .iter()
                .find_map(|a| match &a.arg {
                    RawArg::List(l) => Some(l.iter().map(|x| x.to_string()).collect()),
                    _ => None,
                })
                .unwrap_or_default();
            p.vacation = Some(VacationPrefs {
                days,
                subject: s.first()?.to_string(),
                // Sieve strings carry CRLF line breaks; the wizard's
                // message has plain LF ones.
                message: s.last()?.replace("\r\n", "\n"),
                addresses,
            });
            Some(())
        }
        "redirect" => {
            p.forward = Some(Forward {
                address: strs(n, all).first()?.to_string(),
                keep_copy: has_tag(n, all, "copy"),
            });
            Some(())
        }
        "if" => read_if(n, all, nodes, p),
        _ => None,
    }
}

fn read_if(n: &Node, all: &[Arg], nodes: &[Node], p: &mut Preferences) -> Option<()> {
    let test = n.tests(nodes).first()?;
    let block = n.block(nodes)?;
    let act = block.first()?;
    let act_str = strs(act, all).first().map(|s| s.to_string());
    match &*test.name {
        "virustest" => {
            p.virus = Some(match &*act.name {
                "discard" => VirusAction::Discard,
                "fileinto" => VirusAction::FileInto(act_str?),
                _ => return None,
            });
            return Some(());
        }
        "anyof" | "false" => return read_spam(test, all, nodes, act_str?, p),
        _ => {}
    }
    let s = strs(test, all);
    let field = match (
        &*test.name,
        test.args(all).iter().find_map(|a| match &a.arg {
            RawArg::List(l) => Some(l.len()),
            _ => None,
        }),
    ) {
        ("address", Some(2)) => Field::Recipient,
        ("address", None) => Field::Sender,
        ("header", None) if s.first()?.eq_ignore_ascii_case("subject") => Field::Subject,
        ("header", None) if s.first()?.eq_ignore_ascii_case("list-id") => Field::List,
        _ => return None,
    };
    let action = match &*act.name {
        "fileinto" => RuleAction::FileInto(act_str?),
        "redirect" => RuleAction::Redirect(act_str?),
        "addflag" => RuleAction::Flag(act_str?),
        "discard" => RuleAction::Discard,
        _ => return None,
    };
    p.rules.push(Rule {
        field,
        contains: s.last()?.to_string(),
        action,
    });
    Some(())
}

fn read_spam(
    test: &Node,
    all: &[Arg],
    nodes: &[Node],
    folder: String,
    p: &mut Preferences,
) -> Option<()> {
    if !p.rules.is_empty() || p.spam.is_some() {
        return None;
    }
    let mut rule = SpamRule {
        header: None,
        min_score: None,
        folder,
    };
    let tests: Vec<&Node> = if test.name == "anyof" {
        test.tests(nodes).iter().collect()
    } else {
        vec![test]
    };
    for t in tests {
        let s = strs(t, all);
        match &*t.name {
            "header" => rule.header = Some((s.first()?.to_string(), s.last()?.to_string())),
            "spamtest" => rule.min_score = s.last()?.parse().ok(),
            "false" => {}
            _ => return None,
        }
    }
    p.spam = Some(rule);
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_round_trips_and_compiles() {
        let p = Preferences::example();
        let s = p.to_script();
        crate::compile(&s).unwrap_or_else(|e| panic!("{e:?}\n{s}"));
        assert_eq!(Preferences::from_script(&s).unwrap(), p, "{s}");
    }

    #[test]
    fn variants_round_trip() {
        let mut p = Preferences::default();
        assert_eq!(Preferences::from_script(&p.to_script()).unwrap(), p);
        p.spam = Some(SpamRule {
            header: None,
            min_score: Some(3),
            folder: "Spam \"x\"".into(),
        });
        p.virus = Some(VirusAction::FileInto("Virus".into()));
        p.forward = Some(Forward {
            address: "a@b.c".into(),
            keep_copy: false,
        });
        p.rules.push(Rule {
            field: Field::Recipient,
            contains: "team".into(),
            action: RuleAction::Redirect("x@y.z".into()),
        });
        p.rules.push(Rule {
            field: Field::Subject,
            contains: "a\\b".into(),
            action: RuleAction::FileInto("B".into()),
        });
        let s = p.to_script();
        crate::compile(&s).unwrap_or_else(|e| panic!("{e:?}\n{s}"));
        assert_eq!(Preferences::from_script(&s).unwrap(), p, "{s}");
    }

    #[test]
    fn foreign_scripts_are_refused() {
        assert!(Preferences::from_script("keep;").is_err());
        assert!(Preferences::from_script("if true {").is_err());
    }
}
