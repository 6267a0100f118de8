//! Meta rule expressions: `(A && !B) || (C + D + E) >= 2`.
//!
//! Rule names stand for 1 when the rule hit and 0 otherwise; the
//! operators are SpamAssassin's (`!`, `*`, `/`, `+`, `-`, comparisons,
//! `&&`, `||`, parentheses), and a non-zero value is true.

/// A parsed expression. Names are resolved to rule indexes by the
/// caller ([`Expr::resolve`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Num(f64),
    Name(String),
    Rule(usize),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Bin(Op, Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Op {
    Or,
    And,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Name(String),
    Op(&'static str),
}

/// Most nesting accepted, so that hostile configs cannot overflow the
/// stack.
const MAX_DEPTH: usize = 64;

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    const OPS: [&str; 14] = [
        "&&", "||", "<=", ">=", "==", "!=", "<", ">", "!", "+", "-", "*", "/", "(",
    ];
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push(Tok::Name(s[start..i].to_owned()));
        } else if c.is_ascii_digit() || c == b'.' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            let n = s[start..i]
                .parse()
                .map_err(|_| format!("bad number {:?}", &s[start..i]))?;
            out.push(Tok::Num(n));
        } else if c == b')' {
            out.push(Tok::Op(")"));
            i += 1;
        } else if let Some(op) = OPS.iter().find(|op| s[i..].starts_with(**op)) {
            out.push(Tok::Op(op));
            i += op.len();
        } else {
            return Err(format!("unexpected character {:?}", s[i..].chars().next()));
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    depth: usize,
}

fn binary(op: &str) -> Option<(Op, u8)> {
    Some(match op {
        "||" => (Op::Or, 1),
        "&&" => (Op::And, 2),
        "<" => (Op::Lt, 3),
        "<=" => (Op::Le, 3),
        ">" => (Op::Gt, 3),
        ">=" => (Op::Ge, 3),
        "==" => (Op::Eq, 3),
        "!=" => (Op::Ne, 3),
        "+" => (Op::Add, 4),
        "-" => (Op::Sub, 4),
        "*" => (Op::Mul, 5),
        "/" => (Op::Div, 5),
        _ => return None,
    })
}

impl Parser {
    fn expr(&mut self, min_prec: u8) -> Result<Expr, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("expression nested too deeply".into());
        }
        let mut lhs = self.unary()?;
        while let Some(Tok::Op(op)) = self.toks.get(self.pos) {
            let Some((op, prec)) = binary(op) else { break };
            if prec < min_prec {
                break;
            }
            self.pos += 1;
            let rhs = self.expr(prec + 1)?;
            lhs = Expr::Bin(op, Box::new(lhs), Box::new(rhs));
        }
        self.depth -= 1;
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        let tok = self.toks.get(self.pos).cloned();
        self.pos += 1;
        match tok {
            Some(Tok::Num(n)) => Ok(Expr::Num(n)),
            Some(Tok::Name(n)) => Ok(Expr::Name(n)),
            Some(Tok::Op("!")) => Ok(Expr::Not(Box::new(self.nested_unary()?))),
            Some(Tok::Op("-")) => Ok(Expr::Neg(Box::new(self.nested_unary()?))),
            Some(Tok::Op("(")) => {
                let e = self.expr(0)?;
                match self.toks.get(self.pos) {
                    Some(Tok::Op(")")) => {
                        self.pos += 1;
                        Ok(e)
                    }
                    _ => Err("missing )".into()),
                }
            }
            Some(Tok::Op(op)) => Err(format!("unexpected {op:?}")),
            None => Err("expression ends early".into()),
        }
    }

    fn nested_unary(&mut self) -> Result<Expr, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("expression nested too deeply".into());
        }
        let e = self.unary();
        self.depth -= 1;
        e
    }
}

impl Expr {
    /// Parses a meta expression.
    pub(crate) fn parse(s: &str) -> Result<Expr, String> {
        let toks = lex(s)?;
        if toks.is_empty() {
            return Err("empty expression".into());
        }
        let mut p = Parser {
            toks,
            pos: 0,
            depth: 0,
        };
        let e = p.expr(0)?;
        if p.pos != p.toks.len() {
            return Err(format!("unexpected {:?}", p.toks[p.pos]));
        }
        Ok(e)
    }

    /// Every rule name the expression mentions.
    pub(crate) fn names<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Expr::Name(n) => out.push(n),
            Expr::Not(e) | Expr::Neg(e) => e.names(out),
            Expr::Bin(_, a, b) => {
                a.names(out);
                b.names(out);
            }
            Expr::Num(_) | Expr::Rule(_) => {}
        }
    }

    /// Replaces names by rule indexes; unknown names become 0.
    pub(crate) fn resolve(&mut self, lookup: &dyn Fn(&str) -> Option<usize>) {
        match self {
            Expr::Name(n) => {
                *self = match lookup(n) {
                    Some(i) => Expr::Rule(i),
                    None => Expr::Num(0.0),
                }
            }
            Expr::Not(e) | Expr::Neg(e) => e.resolve(lookup),
            Expr::Bin(_, a, b) => {
                a.resolve(lookup);
                b.resolve(lookup);
            }
            Expr::Num(_) | Expr::Rule(_) => {}
        }
    }

    /// The value, given which rules hit.
    pub(crate) fn eval(&self, hit: &[bool]) -> f64 {
        let truth = |b: bool| if b { 1.0 } else { 0.0 };
        match self {
            Expr::Num(n) => *n,
            Expr::Name(_) => 0.0,
            Expr::Rule(i) => truth(hit.get(*i).copied().unwrap_or(false)),
            Expr::Not(e) => truth(e.eval(hit) == 0.0),
            Expr::Neg(e) => -e.eval(hit),
            Expr::Bin(op, a, b) => {
                let x = a.eval(hit);
                // Short-circuit as Perl does.
                match op {
                    Op::And if x == 0.0 => return 0.0,
                    Op::Or if x != 0.0 => return 1.0,
                    _ => {}
                }
                let y = b.eval(hit);
                match op {
                    Op::Or | Op::And => truth(y != 0.0),
                    Op::Lt => truth(x < y),
                    Op::Le => truth(x <= y),
                    Op::Gt => truth(x > y),
                    Op::Ge => truth(x >= y),
                    Op::Eq => truth(x == y),
                    Op::Ne => truth(x != y),
                    Op::Add => x + y,
                    Op::Sub => x - y,
                    Op::Mul => x * y,
                    Op::Div if y == 0.0 => 0.0,
                    Op::Div => x / y,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(s: &str, hits: &[(&str, bool)]) -> f64 {
        let mut e = Expr::parse(s).unwrap();
        e.resolve(&|n| hits.iter().position(|(h, _)| *h == n));
        let v: Vec<bool> = hits.iter().map(|h| h.1).collect();
        e.eval(&v)
    }

    #[test]
    fn table() {
        let h = [("A", true), ("B", false), ("C", true)];
        let cases = [
            ("A && !B", 1.0),
            ("A && B", 0.0),
            ("B || C", 1.0),
            ("(A + B + C) >= 2", 1.0),
            ("(A + B + C) > 2", 0.0),
            ("A + B * 3", 1.0),
            ("!(A || B)", 0.0),
            ("UNKNOWN || B", 0.0),
            ("-A + 2", 1.0),
            ("A / B", 0.0),
            ("A == C && B != 1", 1.0),
        ];
        for (s, want) in cases {
            assert_eq!(eval(s, &h), want, "{s}");
        }
    }

    #[test]
    fn errors() {
        for bad in ["", "A &&", "(A", "A B", "A $ B", "1.2.3", ")"] {
            assert!(Expr::parse(bad).is_err(), "{bad:?}");
        }
        let deep = format!("{}A{}", "(".repeat(500), ")".repeat(500));
        assert!(Expr::parse(&deep).is_err());
        let bangs = format!("{}A", "!".repeat(500));
        assert!(Expr::parse(&bangs).is_err());
    }
}
