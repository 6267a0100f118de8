//! Tokenizer for the RFC 5228 lexical grammar (section 8.1).

use std::borrow::Cow;

use crate::error::Diagnostic;

/// One token kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok<'a> {
    /// `identifier = (ALPHA / "_") *(ALPHA / DIGIT / "_")`, lowercased.
    Ident(Cow<'a, str>),
    /// `tag = ":" identifier`, lowercased, without the colon.
    Tag(Cow<'a, str>),
    /// `number = 1*DIGIT [ QUANTIFIER ]`, already multiplied out.
    Num(u64),
    /// A quoted or multi-line string, unescaped (borrowed from the
    /// script when it has no escape or line break).
    Str(Cow<'a, str>),
    /// Input that is no token; the lexer reported it.
    Garbage,
    LBracket,
    RBracket,
    LParen,
    RParen,
    LBrace,
    RBrace,
    Comma,
    Semi,
    Eof,
}

/// A token and where it starts (1-based line and column).
#[derive(Debug, Clone)]
pub(crate) struct Token<'a> {
    pub tok: Tok<'a>,
    pub line: u32,
    pub col: u32,
}

struct Lexer<'a> {
    src: &'a [u8],
    /// The same script as text, for borrowing tokens without checking
    /// UTF-8 again.
    text: &'a str,
    pos: usize,
    line: u32,
    line_start: usize,
    /// The last column computed: (byte position, column there).
    col_at: std::cell::Cell<(usize, u32)>,
    /// The script is all ASCII: a column is a byte offset.
    ascii: bool,
    /// Errors so far; the lexer goes on after each.
    errors: Vec<Diagnostic>,
}

/// The bytes of an identifier after its first: `ALPHA / DIGIT / "_"`.
const IDENT_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'_';
        b += 1;
    }
    t
};

/// The bytes that end the plain part of a quoted string.
const QUOTED_STOP: [bool; 256] = {
    let mut t = [false; 256];
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t[b'\n' as usize] = true;
    t
};

/// Longest identifier or tag name (Pigeonhole's limit).
const MAX_IDENTIFIER: usize = 32;

/// Splits a script into tokens, ending with [`Tok::Eof`].
///
/// # Errors
///
/// The first lexical error (unterminated string or comment, bad
/// character, number overflow), with its position.
pub(crate) fn tokenize(src: &str) -> Result<Vec<Token<'_>>, Diagnostic> {
    let (toks, mut errors) = tokenize_all(src);
    if errors.is_empty() {
        Ok(toks)
    } else {
        Err(errors.swap_remove(0))
    }
}

/// Splits a script into tokens, ending with [`Tok::Eof`], and collects
/// every lexical error on the way: a bad character becomes a
/// [`Tok::Garbage`] token, an overlong number its maximum, so the parser
/// can go on and report more.
pub(crate) fn tokenize_all(src: &str) -> (Vec<Token<'_>>, Vec<Diagnostic>) {
    let mut toks = Tokens::new(src);
    let out = toks.by_ref().collect();
    (out, toks.into_errors())
}

/// The tokens of a script one at a time, ending with [`Tok::Eof`], as
/// [`tokenize_all`] lists them; the lexical errors come at the end from
/// [`Tokens::into_errors`].
pub(crate) struct Tokens<'a> {
    lx: Lexer<'a>,
    done: bool,
}

impl<'a> Tokens<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        Tokens {
            lx: Lexer {
                src: src.as_bytes(),
                text: src,
                pos: 0,
                line: 1,
                line_start: 0,
                col_at: std::cell::Cell::new((0, 1)),
                ascii: src.is_ascii(),
                errors: Vec::new(),
            },
            done: false,
        }
    }

    /// Every lexical error met so far.
    pub(crate) fn into_errors(self) -> Vec<Diagnostic> {
        self.lx.errors
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        if self.done {
            return None;
        }
        let lx = &mut self.lx;
        // After too many errors the input ends here.
        if lx.errors.len() > 100 {
            self.done = true;
            return Some(Token {
                tok: Tok::Eof,
                line: lx.line,
                col: lx.col(),
            });
        }
        let t = match lx.next() {
            Ok(t) => t,
            Err(d) => {
                let t = Token {
                    tok: Tok::Garbage,
                    line: d.line,
                    col: d.column,
                };
                lx.errors.push(d);
                t
            }
        };
        self.done = t.tok == Tok::Eof;
        Some(t)
    }
}

impl<'a> Lexer<'a> {
    fn col(&self) -> u32 {
        // Columns count characters, not bytes. Counting goes on from the
        // last position asked for, so a long line costs linear time.
        if self.ascii {
            return (self.pos - self.line_start) as u32 + 1;
        }
        let (mut from, mut col) = self.col_at.get();
        if from < self.line_start || from > self.pos {
            (from, col) = (self.line_start, 1);
        }
        let s = &self.src[from..self.pos];
        col += s.iter().filter(|b| (**b & 0xC0) != 0x80).count() as u32;
        self.col_at.set((self.pos, col));
        col
    }

    fn err(&self, line: u32, col: u32, msg: String) -> Diagnostic {
        Diagnostic {
            line,
            column: col,
            message: msg,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        if b == b'\n' {
            self.line += 1;
            self.line_start = self.pos;
        }
        Some(b)
    }

    /// Skips white space, `#` comments and `/* */` comments.
    fn skip_ws(&mut self) -> Result<(), Diagnostic> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\r' | b'\n') => {
                    self.bump();
                }
                Some(b'#') => {
                    while let Some(b) = self.bump() {
                        if b == b'\n' {
                            break;
                        }
                    }
                }
                Some(b'/') if self.src.get(self.pos + 1) == Some(&b'*') => {
                    let (l, c) = (self.line, self.col());
                    self.bump();
                    self.bump();
                    loop {
                        match self.bump() {
                            None => {
                                let e = self.err(l, c, "unterminated bracket comment".into());
                                self.errors.push(e);
                                return Ok(());
                            }
                            Some(b'*') if self.peek() == Some(b'/') => {
                                self.bump();
                                break;
                            }
                            _ => {}
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn next(&mut self) -> Result<Token<'a>, Diagnostic> {
        self.skip_ws()?;
        let (line, col) = (self.line, self.col());
        let mk = |tok| Token { tok, line, col };
        let Some(b) = self.peek() else {
            return Ok(mk(Tok::Eof));
        };
        let simple = match b {
            b'[' => Some(Tok::LBracket),
            b']' => Some(Tok::RBracket),
            b'(' => Some(Tok::LParen),
            b')' => Some(Tok::RParen),
            b'{' => Some(Tok::LBrace),
            b'}' => Some(Tok::RBrace),
            b',' => Some(Tok::Comma),
            b';' => Some(Tok::Semi),
            _ => None,
        };
        if let Some(t) = simple {
            self.bump();
            return Ok(mk(t));
        }
        match b {
            b'"' => {
                self.bump();
                self.quoted(line, col).map(|s| mk(Tok::Str(s)))
            }
            b':' => {
                self.bump();
                match self.peek() {
                    Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                        let id = self.ident();
                        if id.len() > MAX_IDENTIFIER {
                            let e = self.err(line, col, format!("tag :{id} is too long"));
                            self.errors.push(e);
                        }
                        Ok(mk(Tok::Tag(id)))
                    }
                    _ => Err(self.err(line, col, "expected an identifier after ':'".into())),
                }
            }
            b'0'..=b'9' => Ok(mk(Tok::Num(self.number(line, col)))),
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let id = self.ident();
                if id.len() > MAX_IDENTIFIER {
                    let e = self.err(line, col, format!("identifier {id} is too long"));
                    self.errors.push(e);
                }
                if id == "text" && self.peek() == Some(b':') {
                    self.bump();
                    return self.multiline(line, col).map(|s| mk(Tok::Str(s.into())));
                }
                Ok(mk(Tok::Ident(id)))
            }
            _ => {
                let ch = std::str::from_utf8(&self.src[self.pos..])
                    .ok()
                    .and_then(|s| s.chars().next())
                    .unwrap_or('?');
                // Skip the run of bad input up to white space or a token.
                while let Some(b) = self.peek() {
                    if b.is_ascii_whitespace() || b"[](){},;\"#:".contains(&b) {
                        break;
                    }
                    self.bump();
                }
                Err(self.err(line, col, format!("unexpected character {ch:?}")))
            }
        }
    }

    fn ident(&mut self) -> Cow<'a, str> {
        let start = self.pos;
        while self
            .src
            .get(self.pos)
            .is_some_and(|&c| IDENT_BYTE[usize::from(c)])
        {
            self.pos += 1;
        }
        // Identifiers are ASCII, so the slice is valid UTF-8; lowercase
        // ones (nearly all) are borrowed.
        let text: &'a str = self.text;
        let id = text.get(start..self.pos).unwrap_or_default();
        if id.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(id.to_ascii_lowercase())
        } else {
            Cow::Borrowed(id)
        }
    }

    /// `number = 1*DIGIT [ QUANTIFIER ]`, `QUANTIFIER = "K" / "M" / "G"`.
    fn number(&mut self, line: u32, col: u32) -> u64 {
        let mut n: Option<u64> = Some(0);
        while let Some(c @ b'0'..=b'9') = self.peek() {
            self.pos += 1;
            n = n
                .and_then(|n| n.checked_mul(10))
                .and_then(|n| n.checked_add(u64::from(c - b'0')));
        }
        let shift = match self.peek() {
            Some(b'k' | b'K') => 10,
            Some(b'm' | b'M') => 20,
            Some(b'g' | b'G') => 30,
            _ => 0,
        };
        if shift > 0 {
            self.pos += 1;
            n = n.and_then(|n| n.checked_mul(1 << shift));
        }
        if let Some(c) = self.peek()
            && (c.is_ascii_alphabetic() || c == b'_')
        {
            let e = self.err(line, col, "bad character after number".into());
            self.errors.push(e);
            while self
                .peek()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
            {
                self.pos += 1;
            }
        }
        match n {
            Some(n) => n,
            None => {
                let e = self.err(line, col, "number is too large".into());
                self.errors.push(e);
                u64::MAX
            }
        }
    }

    /// `quoted-string = DQUOTE quoted-text DQUOTE`; a backslash takes the
    /// next character literally.
    fn quoted(&mut self, line: u32, col: u32) -> Result<Cow<'a, str>, Diagnostic> {
        // The usual string has no escape and no line break: borrowed.
        let src: &'a [u8] = self.src;
        let rest = &src[self.pos..];
        if let Some(end) = rest.iter().position(|&b| QUOTED_STOP[usize::from(b)])
            && rest[end] == b'"'
        {
            // Both ends are ASCII quotes, so char boundaries.
            let text: &'a str = self.text;
            let s = text.get(self.pos..self.pos + end);
            self.pos += end + 1;
            return s
                .map(Cow::Borrowed)
                .ok_or_else(|| self.err(line, col, "string is not valid utf-8".into()));
        }
        let mut out = Vec::new();
        loop {
            match self.bump() {
                None => return Err(self.err(line, col, "unterminated quoted string".into())),
                Some(b'"') => break,
                Some(b'\\') => match self.bump() {
                    Some(c) => out.push(c),
                    None => {
                        return Err(self.err(line, col, "unterminated quoted string".into()));
                    }
                },
                // Line breaks are CRLF, as in multi-line strings.
                Some(b'\n') if out.last() != Some(&b'\r') => out.extend_from_slice(b"\r\n"),
                Some(c) => out.push(c),
            }
        }
        String::from_utf8(out)
            .map(Cow::Owned)
            .map_err(|_| self.err(line, col, "string is not valid utf-8".into()))
    }

    /// `multi-line = "text:" *(SP / HTAB) (hash-comment / CRLF)
    /// *(multiline-literal / multiline-dotstart) "." CRLF`.
    fn multiline(&mut self, line: u32, col: u32) -> Result<String, Diagnostic> {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'#') | Some(b'\r') | Some(b'\n') => {
                while let Some(b) = self.bump() {
                    if b == b'\n' {
                        break;
                    }
                }
            }
            _ => {
                return Err(self.err(line, col, "expected end of line after 'text:'".into()));
            }
        }
        let mut out: Vec<u8> = Vec::new();
        loop {
            if self.pos >= self.src.len() {
                return Err(self.err(line, col, "unterminated multi-line string".into()));
            }
            let start = self.pos;
            while let Some(b) = self.bump() {
                if b == b'\n' {
                    break;
                }
            }
            let mut l = &self.src[start..self.pos];
            let had_nl = l.ends_with(b"\n");
            l = l.strip_suffix(b"\n").unwrap_or(l);
            l = l.strip_suffix(b"\r").unwrap_or(l);
            if l == b"." {
                if !had_nl && self.pos < self.src.len() {
                    continue;
                }
                break;
            }
            // Dot-stuffing: ".." at the start of a line stands for "."; a
            // single leading dot before other text stays.
            if l.starts_with(b"..") {
                l = &l[1..];
            }
            out.extend_from_slice(l);
            out.extend_from_slice(b"\r\n");
        }
        String::from_utf8(out).map_err(|_| self.err(line, col, "string is not valid utf-8".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok<'_>> {
        tokenize(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn table() {
        let cases: &[(&str, Vec<Tok>)] = &[
            (
                "keep;",
                vec![Tok::Ident("keep".into()), Tok::Semi, Tok::Eof],
            ),
            (
                ":Over 10K",
                vec![Tok::Tag("over".into()), Tok::Num(10240), Tok::Eof],
            ),
            (
                r#""a\"b\\c\d""#,
                vec![Tok::Str("a\"b\\cd".into()), Tok::Eof],
            ),
            ("# c\n/* x\n */ 1G", vec![Tok::Num(1 << 30), Tok::Eof]),
            (
                "text: # x\r\nline\r\n..dot\r\n.\r\n",
                vec![Tok::Str("line\r\n.dot\r\n".into()), Tok::Eof],
            ),
            (
                "[\"a\",\"b\"]",
                vec![
                    Tok::LBracket,
                    Tok::Str("a".into()),
                    Tok::Comma,
                    Tok::Str("b".into()),
                    Tok::RBracket,
                    Tok::Eof,
                ],
            ),
        ];
        for (src, want) in cases {
            assert_eq!(&toks(src), want, "{src}");
        }
    }

    #[test]
    fn errors_have_positions() {
        let cases = [
            ("keep;\n  \"abc", 2, 3),
            ("/* open", 1, 1),
            ("keep;\n 99999999999999999999999", 2, 2),
            ("text: x\n.\n", 1, 1),
            ("keep @", 1, 6),
        ];
        for (src, l, c) in cases {
            let e = tokenize(src).unwrap_err();
            assert_eq!((e.line, e.column), (l, c), "{src}: {e}");
        }
    }
}
