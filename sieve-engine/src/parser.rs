//! Parser for the RFC 5228 command grammar (section 8.2) into a raw
//! syntax tree; the compiler gives it meaning.

use std::borrow::Cow;

use crate::error::Diagnostic;
use crate::lexer::{Tok, Token};

/// An argument as written.
#[derive(Debug, Clone)]
pub(crate) enum RawArg<'a> {
    Str(Cow<'a, str>),
    List(Vec<Cow<'a, str>>),
    Num(u64),
    Tag(Cow<'a, str>),
}

/// An argument with its position.
#[derive(Debug, Clone)]
pub(crate) struct Arg<'a> {
    pub arg: RawArg<'a>,
    pub line: u32,
    pub col: u32,
}

/// A command or a test: `identifier arguments`.
#[derive(Debug, Clone)]
/// Text is borrowed from the script where it can be.
pub(crate) struct Node<'a> {
    pub name: Cow<'a, str>,
    pub line: u32,
    pub col: u32,
    /// Where its arguments are in [`Tree::args`]: start and end.
    args: (u32, u32),
    /// Where its tests, then the commands of its block, are in
    /// [`Tree::nodes`]: start and end.
    kids: (u32, u32),
    /// How many of `kids` are tests.
    ntests: u32,
    /// The tests were written as a parenthesized test-list.
    pub test_list: bool,
    /// Commands only: there is a block.
    has_block: bool,
}

/// A parsed script: every node in one array, each node's tests and
/// block commands contiguous in it, and the arguments of every node in
/// another (no allocation per node).
#[derive(Debug)]
pub(crate) struct Tree<'a> {
    pub nodes: Vec<Node<'a>>,
    pub args: Vec<Arg<'a>>,
    /// Where the top-level commands are in `nodes`.
    top: (u32, u32),
}

impl<'a> Tree<'a> {
    /// The top-level commands.
    pub(crate) fn top(&self) -> &[Node<'a>] {
        self.nodes
            .get(self.top.0 as usize..self.top.1 as usize)
            .unwrap_or_default()
    }
}

impl<'a> Node<'a> {
    /// The arguments, from the tree's argument array.
    pub(crate) fn args<'t>(&self, all: &'t [Arg<'a>]) -> &'t [Arg<'a>] {
        all.get(self.args.0 as usize..self.args.1 as usize)
            .unwrap_or_default()
    }

    /// The tests (one, or a test-list), from the tree's node array.
    pub(crate) fn tests<'t>(&self, all: &'t [Node<'a>]) -> &'t [Node<'a>] {
        let k = self.kids.0 as usize;
        all.get(k..k + self.ntests as usize).unwrap_or_default()
    }

    /// Commands only: the commands of the block, when there is one.
    pub(crate) fn block<'t>(&self, all: &'t [Node<'a>]) -> Option<&'t [Node<'a>]> {
        let k = self.kids.0 as usize + self.ntests as usize;
        self.has_block
            .then(|| all.get(k..self.kids.1 as usize).unwrap_or_default())
    }
}

/// Pulls tokens one at a time from `toks`: no token array is built.
struct Parser<'a, I> {
    toks: I,
    /// The next token.
    cur: Token<'a>,
    /// A token read and given back (error recovery).
    back: Option<Token<'a>>,
    errors: Vec<Diagnostic>,
    max_depth: usize,
    /// The failed command was skipped already.
    recovered: bool,
    /// The arguments of every node, in the order read.
    args: Vec<Arg<'a>>,
    /// Every finished node's children (tests, then block commands),
    /// moved here from `stack` together when the node ends.
    nodes: Vec<Node<'a>>,
    /// Finished nodes whose parent is not finished yet.
    stack: Vec<Node<'a>>,
}

const MAX_ERRORS: usize = 25;

/// Deepest nesting of blocks or tests whatever the limits say.
pub(crate) const HARD_MAX_DEPTH: usize = 256;

/// Most arguments one command or test takes (Pigeonhole's limit).
const MAX_ARGUMENTS: usize = 32;

/// Parses `commands = *command` up to the end of input.
///
/// # Errors
///
/// Every syntax error found; after an error in one command the parser
/// skips to the next `;` or block end and goes on.
pub(crate) fn parse<'a>(
    toks: impl IntoIterator<Item = Token<'a>>,
    max_depth: usize,
) -> Result<Tree<'a>, Vec<Diagnostic>> {
    // The parser, compiler and interpreter recurse once per level; this
    // bound keeps any configured limit far from the stack's end.
    let max_depth = max_depth.min(HARD_MAX_DEPTH);
    let mut toks = toks.into_iter();
    let cur = toks.next().unwrap_or(Token {
        tok: Tok::Eof,
        line: 1,
        col: 1,
    });
    let mut p = Parser {
        toks,
        cur,
        back: None,
        errors: Vec::new(),
        max_depth,
        recovered: false,
        args: Vec::new(),
        nodes: Vec::new(),
        stack: Vec::new(),
    };
    p.commands(0, true);
    let top = p.move_kids(0);
    if p.errors.is_empty() {
        Ok(Tree {
            nodes: p.nodes,
            args: p.args,
            top,
        })
    } else {
        Err(p.errors)
    }
}

impl<'a, I: Iterator<Item = Token<'a>>> Parser<'a, I> {
    /// The next token, taken; at the end, the end again and again.
    fn bump(&mut self) -> Token<'a> {
        if let Some(t) = self.back.take() {
            return t;
        }
        if self.cur.tok == Tok::Eof {
            return self.cur.clone();
        }
        let next = self.toks.next().unwrap_or(Token {
            tok: Tok::Eof,
            line: self.cur.line,
            col: self.cur.col,
        });
        std::mem::replace(&mut self.cur, next)
    }

    /// Gives back the token just taken.
    fn unbump(&mut self, t: Token<'a>) {
        if t.tok != Tok::Eof {
            self.back = Some(t);
        }
    }

    fn peek(&self) -> &Token<'a> {
        self.back.as_ref().unwrap_or(&self.cur)
    }

    fn advance(&mut self) {
        self.bump();
    }

    fn error_at(&mut self, t: &Token<'_>, msg: String) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(Diagnostic {
                line: t.line,
                column: t.col,
                message: msg,
            });
        }
    }

    /// Skips to just after the next `;` or to the `}` closing the current
    /// block, keeping track of nested brackets.
    fn recover(&mut self) {
        let mut depth = 0usize;
        loop {
            match self.peek().tok {
                Tok::Eof => return,
                Tok::Semi if depth == 0 => {
                    self.advance();
                    return;
                }
                Tok::LBrace => depth += 1,
                Tok::RBrace => {
                    if depth == 0 {
                        return;
                    }
                    depth -= 1;
                    if depth == 0 {
                        self.advance();
                        return;
                    }
                }
                _ => {}
            }
            self.advance();
        }
    }

    /// Moves the nodes on the stack from `base` up to the node array;
    /// where they went.
    fn move_kids(&mut self, base: usize) -> (u32, u32) {
        let start = self.nodes.len();
        self.nodes.extend(self.stack.drain(base..));
        // The script size limit keeps the array far below 2^32.
        (start as u32, self.nodes.len() as u32)
    }

    /// `commands = *command`, onto the stack.
    fn commands(&mut self, depth: usize, top: bool) {
        loop {
            if self.errors.len() >= MAX_ERRORS {
                return;
            }
            match self.peek().tok {
                Tok::Eof => return,
                Tok::RBrace if !top => return,
                _ => {}
            }
            match self.command(depth) {
                Ok(c) => self.stack.push(c),
                Err(()) if std::mem::take(&mut self.recovered) => {}
                Err(()) => {
                    self.recover();
                    if top && self.peek().tok == Tok::RBrace {
                        let t = self.bump();
                        self.error_at(&t, "unexpected '}'".into());
                    }
                }
            }
        }
    }

    /// `command = identifier arguments (";" / block)`
    fn command(&mut self, depth: usize) -> Result<Node<'a>, ()> {
        let mut t = self.bump();
        let Tok::Ident(name) = &mut t.tok else {
            let msg = format!("expected a command, found {}", describe(&t.tok));
            self.error_at(&t, msg);
            return Err(());
        };
        let name = std::mem::take(name);
        // The node's tests, then its block commands, go on the stack
        // from here.
        let base = self.stack.len();
        let mut node = self.arguments(name, &t, 0)?;
        let t2 = self.bump();
        match t2.tok {
            Tok::Semi => {
                node.kids = self.move_kids(base);
                Ok(node)
            }
            Tok::LBrace => {
                if depth + 1 > self.max_depth {
                    self.error_at(&t2, format!("blocks nest deeper than {}", self.max_depth));
                    // Skip the whole block, its '{' already read.
                    let mut open = 1usize;
                    while open > 0 {
                        match self.bump().tok {
                            Tok::LBrace => open += 1,
                            Tok::RBrace => open -= 1,
                            Tok::Eof => break,
                            _ => {}
                        }
                    }
                    self.recovered = true;
                    self.stack.truncate(base);
                    return Err(());
                }
                self.commands(depth + 1, false);
                let end = self.bump();
                if end.tok != Tok::RBrace {
                    self.error_at(&end, "missing '}' at end of block".into());
                    self.stack.truncate(base);
                    return Err(());
                }
                node.has_block = true;
                node.kids = self.move_kids(base);
                Ok(node)
            }
            _ => {
                self.error_at(
                    &t2,
                    format!(
                        "expected ';' or '{{' after command {:?}, found {}",
                        node.name,
                        describe(&t2.tok)
                    ),
                );
                self.unbump(t2);
                self.stack.truncate(base);
                Err(())
            }
        }
    }

    /// `arguments = *argument [ test / test-list ]`; `depth` is the
    /// nesting of tests (blocks count separately).
    fn arguments(
        &mut self,
        name: Cow<'a, str>,
        at: &Token<'_>,
        depth: usize,
    ) -> Result<Node<'a>, ()> {
        let mut node = Node {
            name,
            line: at.line,
            col: at.col,
            args: (0, 0),
            kids: (0, 0),
            ntests: 0,
            test_list: false,
            has_block: false,
        };
        // A node's arguments are read before its tests, so they are
        // contiguous in the array (arguments left by a failed command
        // stay unreferenced).
        let start = self.args.len();
        loop {
            if !matches!(
                self.peek().tok,
                Tok::Str(_) | Tok::Num(_) | Tok::Tag(_) | Tok::LBracket
            ) {
                break;
            }
            let t = self.bump();
            let (line, col) = (t.line, t.col);
            let arg = match t.tok {
                Tok::Str(s) => RawArg::Str(s),
                Tok::Num(n) => RawArg::Num(n),
                Tok::Tag(s) => RawArg::Tag(s),
                _ => RawArg::List(self.string_list()?),
            };
            if self.args.len() - start >= MAX_ARGUMENTS {
                if self.errors.len() < MAX_ERRORS {
                    self.errors.push(Diagnostic {
                        line,
                        column: col,
                        message: format!("too many arguments for command '{}'", node.name),
                    });
                }
                return Err(());
            }
            self.args.push(Arg { arg, line, col });
        }
        // The script size limit keeps the array far below 2^32.
        node.args = (start as u32, self.args.len() as u32);
        match self.peek().tok {
            // The tests stay on the stack; the caller moves them.
            Tok::Ident(_) => {
                let t = self.test(depth + 1)?;
                self.stack.push(t);
                node.ntests = 1;
            }
            Tok::LParen => {
                self.advance();
                node.test_list = true;
                node.ntests = self.test_list(depth + 1)?;
            }
            _ => {}
        }
        Ok(node)
    }

    /// `string-list = "[" string *("," string) "]"`, after the `[`.
    fn string_list(&mut self) -> Result<Vec<Cow<'a, str>>, ()> {
        let mut out = Vec::new();
        loop {
            let t = self.bump();
            match t.tok {
                Tok::Str(s) => out.push(s),
                _ => {
                    self.error_at(
                        &t,
                        format!("expected a string in list, found {}", describe(&t.tok)),
                    );
                    return Err(());
                }
            }
            let t = self.bump();
            match t.tok {
                Tok::Comma => {}
                Tok::RBracket => return Ok(out),
                _ => {
                    self.error_at(
                        &t,
                        format!(
                            "expected ',' or ']' in string list, found {}",
                            describe(&t.tok)
                        ),
                    );
                    return Err(());
                }
            }
        }
    }

    /// `test = identifier arguments`
    fn test(&mut self, depth: usize) -> Result<Node<'a>, ()> {
        let mut t = self.bump();
        if depth > self.max_depth {
            self.error_at(&t, format!("tests nest deeper than {}", self.max_depth));
            return Err(());
        }
        let Tok::Ident(name) = &mut t.tok else {
            let msg = format!("expected a test, found {}", describe(&t.tok));
            self.error_at(&t, msg);
            return Err(());
        };
        let name = std::mem::take(name);
        let base = self.stack.len();
        let mut node = self.arguments(name, &t, depth)?;
        node.kids = self.move_kids(base);
        Ok(node)
    }

    /// `test-list = "(" test *("," test) ")"`, after the `(`.
    /// The tests go on the stack; how many.
    fn test_list(&mut self, depth: usize) -> Result<u32, ()> {
        let base = self.stack.len();
        loop {
            match self.test(depth) {
                Ok(t) => self.stack.push(t),
                Err(()) => {
                    self.stack.truncate(base);
                    return Err(());
                }
            }
            let t = self.bump();
            match t.tok {
                Tok::Comma => {}
                Tok::RParen => return Ok((self.stack.len() - base) as u32),
                _ => {
                    self.error_at(
                        &t,
                        format!(
                            "expected ',' or ')' in test list, found {}",
                            describe(&t.tok)
                        ),
                    );
                    self.stack.truncate(base);
                    return Err(());
                }
            }
        }
    }
}

fn describe(t: &Tok<'_>) -> String {
    match t {
        Tok::Ident(s) => format!("identifier {s:?}"),
        Tok::Tag(s) => format!("tag :{s}"),
        Tok::Num(n) => format!("number {n}"),
        Tok::Str(_) => "a string".into(),
        Tok::LBracket => "'['".into(),
        Tok::RBracket => "']'".into(),
        Tok::LParen => "'('".into(),
        Tok::RParen => "')'".into(),
        Tok::LBrace => "'{'".into(),
        Tok::RBrace => "'}'".into(),
        Tok::Comma => "','".into(),
        Tok::Semi => "';'".into(),
        Tok::Garbage => "invalid input".into(),
        Tok::Eof => "end of script".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::tokenize;

    fn p(s: &str) -> Result<Tree<'_>, Vec<Diagnostic>> {
        parse(tokenize(s).unwrap(), 32)
    }

    #[test]
    fn shapes() {
        let tree =
            p("if anyof (header :is \"a\" \"b\", true) { keep; } else { discard; }").unwrap();
        let (cmds, all) = (tree.top(), &tree.nodes[..]);
        assert_eq!(cmds.len(), 2);
        assert_eq!(cmds[0].tests(all)[0].name, "anyof");
        assert!(cmds[0].tests(all)[0].test_list);
        assert_eq!(cmds[0].tests(all)[0].tests(all).len(), 2);
        assert_eq!(cmds[1].name, "else");
    }

    #[test]
    fn several_errors() {
        let errs = p("keep\nfoo \"a\" ;\nbar [\"a\" \"b\"];\nkeep; stop }\n").unwrap_err();
        assert!(errs.len() >= 3, "{errs:?}");
        assert_eq!(errs[0].line, 3);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let s = "if not ".repeat(10_000) + "true {}";
        assert!(p(&s).is_err());
        let s = "if true {".repeat(10_000);
        assert!(p(&s).is_err());
    }
}
