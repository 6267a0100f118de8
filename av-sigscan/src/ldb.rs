//! Logical signatures (`.ldb`): target description block, logical
//! expression and sub-signatures.

use regex_automata::meta::Regex;

use crate::db::{Loader, Target};
use crate::error::SigError;
use crate::offset::Offset;
use crate::pattern::Pattern;
use crate::pe::PeInfo;

/// Most sub-signatures in one logical signature (ClamAV's limit).
const MAX_SUBS: usize = 64;
/// Deepest nesting of parentheses in an expression.
const MAX_DEPTH: usize = 32;

/// Comparison of a count modifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Gt,
    Lt,
}

/// A logical expression over sub-signature match counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expr {
    Sub(usize),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    /// `e=X`, `e>X`, `e<X`, optionally `,Y` distinct sub-signatures.
    Count {
        inner: Box<Expr>,
        op: Op,
        x: u64,
        y: Option<u64>,
    },
}

/// Value of an evaluated expression: truth, total count, and how many
/// distinct sub-signatures matched.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Val {
    pub truth: bool,
    pub count: u64,
    pub distinct: u64,
}

impl Expr {
    pub(crate) fn eval(&self, counts: &[u64]) -> Val {
        match self {
            Expr::Sub(i) => {
                let c = counts.get(*i).copied().unwrap_or(0);
                Val {
                    truth: c > 0,
                    count: c,
                    distinct: u64::from(c > 0),
                }
            }
            Expr::And(v) | Expr::Or(v) => {
                let vals: Vec<Val> = v.iter().map(|e| e.eval(counts)).collect();
                let truth = if matches!(self, Expr::And(_)) {
                    vals.iter().all(|v| v.truth)
                } else {
                    vals.iter().any(|v| v.truth)
                };
                Val {
                    truth,
                    count: vals.iter().map(|v| v.count).sum(),
                    distinct: vals.iter().map(|v| v.distinct).sum(),
                }
            }
            Expr::Count { inner, op, x, y } => {
                let v = inner.eval(counts);
                let c = match op {
                    Op::Eq => v.count == *x,
                    Op::Gt => v.count > *x,
                    Op::Lt => v.count < *x,
                };
                let d = y.is_none_or(|y| v.distinct >= y);
                Val { truth: c && d, ..v }
            }
        }
    }

    fn max_sub(&self) -> usize {
        match self {
            Expr::Sub(i) => *i,
            Expr::And(v) | Expr::Or(v) => v.iter().map(Expr::max_sub).max().unwrap_or(0),
            Expr::Count { inner, .. } => inner.max_sub(),
        }
    }
}

struct ExprParser<'a> {
    s: &'a [u8],
    at: usize,
    depth: usize,
}

impl ExprParser<'_> {
    fn err(&self, what: &str) -> SigError {
        SigError::new(format!(
            "{what} at position {} in logical expression {:?}",
            self.at,
            String::from_utf8_lossy(self.s)
        ))
    }

    fn num(&mut self) -> Result<u64, SigError> {
        let start = self.at;
        while self.s.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
        std::str::from_utf8(&self.s[start..self.at])
            .ok()
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| self.err("expected a number"))
    }

    /// `expr = and *("|" and)`
    fn expr(&mut self) -> Result<Expr, SigError> {
        let mut v = vec![self.and()?];
        while self.s.get(self.at) == Some(&b'|') {
            self.at += 1;
            v.push(self.and()?);
        }
        Ok(if v.len() == 1 {
            v.remove(0)
        } else {
            Expr::Or(v)
        })
    }

    /// `and = unary *("&" unary)`
    fn and(&mut self) -> Result<Expr, SigError> {
        let mut v = vec![self.unary()?];
        while self.s.get(self.at) == Some(&b'&') {
            self.at += 1;
            v.push(self.unary()?);
        }
        Ok(if v.len() == 1 {
            v.remove(0)
        } else {
            Expr::And(v)
        })
    }

    /// `unary = (index / "(" expr ")") [("=" / ">" / "<") n ["," n]]`
    fn unary(&mut self) -> Result<Expr, SigError> {
        let base = if self.s.get(self.at) == Some(&b'(') {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(self.err("expression nested too deeply"));
            }
            self.at += 1;
            let e = self.expr()?;
            if self.s.get(self.at) != Some(&b')') {
                return Err(self.err("expected ')'"));
            }
            self.at += 1;
            self.depth -= 1;
            e
        } else {
            let n = self.num()?;
            Expr::Sub(usize::try_from(n).map_err(|_| self.err("index too large"))?)
        };
        let op = match self.s.get(self.at) {
            Some(b'=') => Op::Eq,
            Some(b'>') => Op::Gt,
            Some(b'<') => Op::Lt,
            _ => return Ok(base),
        };
        self.at += 1;
        let x = self.num()?;
        let y = if self.s.get(self.at) == Some(&b',') {
            self.at += 1;
            Some(self.num()?)
        } else {
            None
        };
        Ok(Expr::Count {
            inner: Box::new(base),
            op,
            x,
            y,
        })
    }
}

/// Parses a logical expression.
pub(crate) fn parse_expr(s: &str) -> Result<Expr, SigError> {
    let mut p = ExprParser {
        s: s.as_bytes(),
        at: 0,
        depth: 0,
    };
    let e = p.expr()?;
    if p.at != s.len() {
        return Err(p.err("unexpected character"));
    }
    Ok(e)
}

/// A PCRE sub-signature, compiled for a linear-time engine.
#[derive(Debug, Clone)]
pub(crate) struct PcreSub {
    pub trigger: Expr,
    pub regex: Regex,
    pub offset: Offset,
    /// `g`: count every match, not only the first.
    pub global: bool,
    /// `r`: the match may start anywhere after the offset.
    pub rolling: bool,
    /// `e`: the match must lie inside the offset range.
    pub encompass: bool,
    /// `A`: the match must start where the search starts.
    pub anchored: bool,
}

impl PcreSub {
    /// How many times the expression matches `data`, as ClamAV counts:
    /// at most once without `g`. Without `r` or `e` a match must start
    /// inside the offset range; with `e` it must also end inside it
    /// (a range of width 0 leaves the end open).
    pub(crate) fn count(&self, data: &[u8], pe: Option<&PeInfo>) -> u64 {
        let Some((lo, hi)) = self.offset.range(Some(data.len() as u64), pe) else {
            return 0;
        };
        let (lo, hi) = (lo as usize, hi as usize);
        let any = matches!(self.offset, Offset::Any);
        let bounded_end = self.encompass && !any && hi > lo;
        let hay = if bounded_end {
            &data[..hi.min(data.len())]
        } else {
            data
        };
        if lo > hay.len() {
            return 0;
        }
        let mut input = regex_automata::Input::new(hay).span(lo..hay.len());
        if self.anchored {
            input = input.anchored(regex_automata::Anchored::Yes);
        }
        let free = any || self.rolling || self.encompass;
        let ok = |m: &regex_automata::Match| free || m.start() <= hi;
        if self.global {
            self.regex.find_iter(input).filter(ok).count() as u64
        } else {
            u64::from(self.regex.find_iter(input).any(|m| ok(&m)))
        }
    }
}

/// One sub-signature.
#[derive(Debug, Clone)]
pub(crate) enum SubSig {
    Body {
        offset: Offset,
        pattern: Pattern,
        /// Match the ASCII form.
        ascii: bool,
        /// Match the UTF-16LE form (`::w`).
        wide: bool,
        /// `::f`: delimited by non-alphanumeric bytes.
        fullword: bool,
    },
    Pcre(Box<PcreSub>),
}

/// Ranges from the target description block.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tdb {
    pub file_size: Option<(u64, u64)>,
    pub entry_point: Option<(u64, u64)>,
    pub sections: Option<(u64, u64)>,
}

/// A parsed logical signature.
#[derive(Debug, Clone)]
pub(crate) struct LogicalSig {
    pub name: u32,
    pub target: Target,
    pub tdb: Tdb,
    pub expr: Expr,
    pub subs: Vec<SubSig>,
}

/// A range value `min-max` (ClamAV rejects a single number).
fn range(v: &str, key: &str) -> Result<(u64, u64), SigError> {
    let bad = || SigError::new(format!("bad range {v:?} for {key}, expected min-max"));
    let (a, b) = v.split_once('-').ok_or_else(bad)?;
    Ok((a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?))
}

/// Parses one `.ldb` line; `Ok(None)` when its `Engine` range excludes
/// this engine.
///
/// ```text
/// ldb-line = name ";" tdb ";" expr 1*(";" subsig)
/// tdb      = key ":" value *("," key ":" value)
/// subsig   = [offset ":"] hexsig ["::" 1*("i" / "w" / "a" / "f")]
///          / [offset ":"] trigger "/" pcre "/" [flags]
/// ```
pub(crate) fn parse(loader: &mut Loader, line: &str) -> Result<Option<LogicalSig>, SigError> {
    let f: Vec<&str> = line.split(';').collect();
    if f.len() < 4 {
        return Err(SigError::new(format!(
            "expected at least 4 fields, found {}",
            f.len()
        )));
    }
    if f[0].is_empty() {
        return Err(SigError::new("empty signature name".into()));
    }
    if f.len() - 3 > MAX_SUBS {
        return Err(SigError::new(format!(
            "{} sub-signatures exceed the maximum of {MAX_SUBS}",
            f.len() - 3
        )));
    }
    let mut target = None;
    let mut tdb = Tdb::default();
    let mut engine = None;
    let mut unknown_key = false;
    for (i, kv) in f[1].split(',').enumerate() {
        let (k, v) = kv
            .split_once(':')
            .ok_or_else(|| SigError::new(format!("bad target description {kv:?}")))?;
        if k == "Engine" && i > 0 {
            return Err(SigError::new(
                "the Engine key must come first in the target description".into(),
            ));
        }
        match k {
            "Engine" => engine = Some(range(v, k)?),
            "Target" => target = Some(Target::parse(v)?),
            "FileSize" => tdb.file_size = Some(range(v, k)?),
            "EntryPoint" => tdb.entry_point = Some(range(v, k)?),
            "NumberOfSections" => tdb.sections = Some(range(v, k)?),
            "Container" | "Intermediates" | "IconGroup1" | "IconGroup2" | "HandlerType" => {
                return Err(SigError::unsupported(format!("target description key {k}")));
            }
            // ClamAV loads a signature with an unknown key but never
            // matches it; skip it the same way.
            _ => unknown_key = true,
        }
    }
    let target = target.ok_or_else(|| SigError::new("target description has no Target".into()))?;
    let expr = parse_expr(f[2])?;
    let mut subs = Vec::with_capacity(f.len() - 3);
    for s in &f[3..] {
        subs.push(parse_sub(s, target)?);
    }
    if expr.max_sub() >= subs.len() {
        return Err(SigError::new(format!(
            "expression refers to sub-signature {} but there are {}",
            expr.max_sub(),
            subs.len()
        )));
    }
    if unknown_key {
        loader.info.tdb_skipped += 1;
        return Ok(None);
    }
    if let Some((lo, hi)) = engine {
        let (lo, hi) = (lo.to_string(), hi.to_string());
        if !loader.flevel_ok(Some(&lo), Some(&hi))? {
            return Ok(None);
        }
    }
    let name = loader.name_id(f[0]);
    Ok(Some(LogicalSig {
        name,
        target,
        tdb,
        expr,
        subs,
    }))
}

fn parse_sub(s: &str, target: Target) -> Result<SubSig, SigError> {
    if s.contains('#') || s.starts_with('(') && s.contains('#') {
        return Err(SigError::unsupported(format!(
            "byte-compare sub-signature {s:?}"
        )));
    }
    if s.starts_with("${") {
        return Err(SigError::unsupported(format!("macro sub-signature {s:?}")));
    }
    if let Some(first) = s.find('/') {
        return parse_pcre(s, first, target).map(|p| SubSig::Pcre(Box::new(p)));
    }
    let (body, mods) = match s.split_once("::") {
        Some((b, m)) => (b, m),
        None => (s, ""),
    };
    let (offset, hex) = match body.split_once(':') {
        Some((o, h)) => (Offset::parse(o)?, h),
        None => (Offset::Any, body),
    };
    if offset.needs_pe() && target != Target::Pe {
        return Err(SigError::new(format!(
            "sub-signature {s:?} has a PE offset but the target is not PE"
        )));
    }
    let mut pattern = Pattern::parse_min(hex, 2)?;
    let (mut ascii, mut wide, mut fullword) = (false, false, false);
    for c in mods.chars() {
        match c {
            'i' => pattern.make_nocase(),
            'w' => wide = true,
            'a' => ascii = true,
            'f' => fullword = true,
            _ => {
                return Err(SigError::new(format!(
                    "unknown sub-signature modifier {c:?} in {s:?}"
                )));
            }
        }
    }
    if !wide {
        ascii = true;
    }
    Ok(SubSig::Body {
        offset,
        pattern,
        ascii,
        wide,
        fullword,
    })
}

fn parse_pcre(s: &str, first: usize, target: Target) -> Result<PcreSub, SigError> {
    let last = s.rfind('/').unwrap_or(first);
    if last == first {
        return Err(SigError::new(format!("unterminated pcre in {s:?}")));
    }
    let head = &s[..first];
    let pat = &s[first + 1..last];
    let flags = &s[last + 1..];
    let (offset, trigger) = match head.rsplit_once(':') {
        Some((o, t)) => (Offset::parse(o)?, t),
        None => (Offset::Any, head),
    };
    if offset.needs_pe() && target != Target::Pe {
        return Err(SigError::new(format!(
            "pcre {s:?} has a PE offset but the target is not PE"
        )));
    }
    let trigger = parse_expr(trigger)?;
    let mut syn = regex_automata::util::syntax::Config::new()
        .utf8(false)
        .unicode(false);
    let (mut global, mut rolling, mut encompass, mut anchored, mut dollar_end) =
        (false, false, false, false, false);
    for c in flags.chars() {
        match c {
            'i' => syn = syn.case_insensitive(true),
            's' => syn = syn.dot_matches_new_line(true),
            'm' => syn = syn.multi_line(true),
            'x' => syn = syn.ignore_whitespace(true),
            'U' => syn = syn.swap_greed(true),
            'A' => anchored = true,
            'E' => dollar_end = true,
            'g' => global = true,
            'r' => rolling = true,
            'e' => encompass = true,
            _ => {
                return Err(SigError::new(format!("unknown pcre flag {c:?} in {s:?}")));
            }
        }
    }
    // PCRE's `$` also matches before a final newline unless `E` (or
    // `m`, where both engines agree) is given.
    let multi = flags.contains('m');
    let pat = if dollar_end || multi {
        pat.to_string()
    } else {
        pcre_dollar(pat)
    };
    let regex = Regex::builder().syntax(syn).build(&pat).map_err(|e| {
        SigError::unsupported(format!(
            "pcre {pat:?} needs a backtracking engine or is invalid: {e}"
        ))
    })?;
    Ok(PcreSub {
        trigger,
        regex,
        offset,
        global,
        rolling,
        encompass,
        anchored,
    })
}

/// Rewrites each unescaped `$` outside a class into `(?:\n?\z)`, the
/// consuming form of PCRE's default end anchor.
fn pcre_dollar(pat: &str) -> String {
    let mut out = String::with_capacity(pat.len() + 8);
    let (mut esc, mut class) = (false, false);
    for c in pat.chars() {
        match c {
            _ if esc => esc = false,
            '\\' => esc = true,
            '[' if !class => class = true,
            ']' if class => class = false,
            '$' if !class => {
                out.push_str("(?:\\n?\\z)");
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::LoadOptions;

    #[test]
    fn expressions() {
        let cases: &[(&str, &[u64], bool)] = &[
            ("0&1", &[1, 1], true),
            ("0&1", &[1, 0], false),
            ("0|1", &[0, 1], true),
            ("(0|1)&2", &[1, 0, 1], true),
            ("(0|1)&2", &[1, 1, 0], false),
            ("0>1&1", &[2, 1], true),
            ("0>1&1", &[1, 1], false),
            ("0=0&1", &[0, 1], true),
            ("0<2", &[1], true),
            ("(0|1|2)>2,2", &[2, 1, 0], true),
            ("(0|1|2)>2,2", &[3, 0, 0], false),
        ];
        for (s, counts, want) in cases {
            let e = parse_expr(s).unwrap();
            assert_eq!(e.eval(counts).truth, *want, "{s} {counts:?}");
        }
        for bad in ["", "0&", "(0", "0)", "a", "0=x", "0&&1"] {
            assert!(parse_expr(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lines() {
        let ok = [
            "A;Engine:51-255,Target:0;0&1;616263;646566::i",
            "A;Engine:51-255,Target:0;0&1;10:616263;646566::wa",
            "A;Engine:51-255,Target:1;0;EP+0:4d5a90",
            "A;Engine:81-255,Target:0;0&1;616263;0/ab+c/i",
            "A;Engine:51-255,Target:0,FileSize:10-2000;0;616263",
        ];
        for l in ok {
            let mut loader = Loader::new(LoadOptions::default());
            assert!(parse(&mut loader, l).unwrap().is_some(), "{l}");
        }
        let bad = [
            "A;Engine:51-255,Target:0;0&2;616263;646566",
            "A;Engine:51-255;0;616263",
            "A;Engine:51-255,Target:0;0;EP+0:616263",
            "A;Engine:51-255,Target:0,Container:CL_TYPE_ZIP;0;616263",
            "A;Engine:51-255,Target:0;0&1;616263;0/(a)\\1/",
            "A;Engine:51-255,Target:0;0;616263::q",
        ];
        for l in bad {
            let mut loader = Loader::new(LoadOptions::default());
            assert!(parse(&mut loader, l).is_err(), "{l}");
        }
        let mut loader = Loader::new(LoadOptions::default());
        assert!(
            parse(&mut loader, "A;Engine:51-255,Bogus:1,Target:0;0;616263")
                .unwrap()
                .is_none()
        );
        assert!(
            parse(&mut loader, "A;Engine:250-255,Target:0;0;616263")
                .unwrap()
                .is_none()
        );
    }
}
