//! Conditional compilation, evaluated by syscall-gen itself.
//!
//! The approach (documented in the crate docs): `#if`, `#ifdef`, `#ifndef`, `#elif`, `#else`
//! and `#endif` are evaluated with the `-D` defines given to the tool plus every object-like
//! `#define`/`#undef` met on the way, including those in headers that `#include` reaches through
//! the current directory or the `-I` directories (headers not found there, such as the C
//! library's, are skipped). Identifiers left after macro expansion count as 0, as in C.
//! Declarations in inactive regions are ignored; declarations in included headers are not
//! collected (only the headers named to the tool are). Macros are not expanded in declarations.

use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;

use crate::lexer::{lex, Token, TokenKind};
use crate::source::{SourceFile, Span};
use crate::Error;

/// Nesting limit for `#include`, so an unguarded self-include ends with an error.
const MAX_INCLUDE_DEPTH: usize = 64;
/// Expansion limit for `#if` macros, so a self-referencing chain ends.
const MAX_EXPANSION_DEPTH: usize = 64;

#[derive(Debug, Clone)]
enum Macro {
    /// Body tokens as text.
    Object(Vec<String>),
    /// Function-like: not evaluated in `#if`.
    Function,
}

/// The tokens of one header that survive its conditionals, and the source they index.
pub struct Preprocessed {
    pub source: SourceFile,
    pub tokens: Vec<Token>,
}

#[derive(Clone)]
pub struct Preprocessor<'a> {
    include_dirs: &'a [PathBuf],
    macros: FxHashMap<String, Macro>,
    /// Every file read, for `cargo:rerun-if-changed`.
    pub files_read: Vec<PathBuf>,
}

struct Cond {
    /// This branch's lines are kept.
    active: bool,
    /// Some branch of this `#if` chain was already taken.
    taken: bool,
    parent_active: bool,
    seen_else: bool,
}

impl<'a> Preprocessor<'a> {
    /// `defines` are `NAME` (meaning 1) or `NAME=VALUE`.
    pub fn new(include_dirs: &'a [PathBuf], defines: &[String]) -> Result<Self, Error> {
        let mut macros = FxHashMap::default();
        for define in defines {
            let (name, value) = define.split_once('=').unwrap_or((define, "1"));
            let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(Error::Config(format!("-D {define}: `{name}` is not a macro name")));
            }
            let value_source = SourceFile::new(Path::new("<-D>"), value.to_string());
            let tokens =
                lex(&value_source).map_err(|e| Error::Config(format!("-D {define}: {}", e.message)))?;
            let body = tokens.iter().map(|t| t.text(&value_source).to_string()).collect();
            macros.insert(name.to_string(), Macro::Object(body));
        }
        Ok(Self { include_dirs, macros, files_read: Vec::new() })
    }

    /// Reads and preprocesses one header named to the tool.
    pub fn run(&mut self, path: &Path) -> Result<Preprocessed, Error> {
        let source = SourceFile::read(path)?;
        self.files_read.push(path.to_path_buf());
        let tokens = self.process(&source, 0)?;
        Ok(Preprocessed { source, tokens })
    }

    /// Preprocesses text already in memory (tests, fuzzing).
    pub fn run_source(&mut self, source: SourceFile) -> Result<Preprocessed, Error> {
        let tokens = self.process(&source, 0)?;
        Ok(Preprocessed { source, tokens })
    }

    fn process(&mut self, source: &SourceFile, depth: usize) -> Result<Vec<Token>, Error> {
        let mut tokens = lex(source).map_err(Error::from)?;
        // Kept tokens are moved down in place: `kept <= i` throughout.
        let mut kept = 0;
        let mut conds: Vec<(Cond, Span)> = Vec::new();
        let mut i = 0;
        while let Some(token) = tokens.get(i) {
            let active = conds.last().is_none_or(|(c, _)| c.active);
            if !(token.line_start && token.text(source) == "#") {
                if active {
                    tokens.swap(kept, i);
                    kept += 1;
                }
                i += 1;
                continue;
            }
            let end = tokens[i + 1..].iter().position(|t| t.line_start).map_or(tokens.len(), |p| i + 1 + p);
            let line = &tokens[i + 1..end];
            let hash_span = token.span.clone();
            i = end;
            let Some((name_token, args)) = line.split_first() else {
                continue; // the null directive
            };
            let name = name_token.text(source);
            let err = |span: Span, msg: &str| Error::from(source.error(span, msg, None));
            match name {
                "if" | "ifdef" | "ifndef" => {
                    let value = if active { self.condition(source, name, name_token, args)? } else { false };
                    conds.push((
                        Cond {
                            active: active && value,
                            taken: value,
                            parent_active: active,
                            seen_else: false,
                        },
                        hash_span.start..name_token.span.end,
                    ));
                }
                "elif" | "elifdef" | "elifndef" | "else" => {
                    let Some((cond, _)) = conds.last_mut() else {
                        return Err(err(name_token.span.clone(), "`#{name}` without `#if`"));
                    };
                    if cond.seen_else {
                        return Err(err(name_token.span.clone(), "directive after `#else`"));
                    }
                    let parent_active = cond.parent_active;
                    let taken = cond.taken;
                    let value = if name == "else" {
                        cond.seen_else = true;
                        true
                    } else if parent_active && !taken {
                        let kind = name.trim_start_matches("el");
                        self.condition(source, kind, name_token, args)?
                    } else {
                        false
                    };
                    let Some((cond, _)) = conds.last_mut() else {
                        return Err(err(name_token.span.clone(), "`#{name}` without `#if`"));
                    };
                    cond.active = parent_active && !taken && value;
                    cond.taken = taken || value;
                }
                "endif" if conds.pop().is_none() => {
                    return Err(err(name_token.span.clone(), "`#endif` without `#if`"));
                }
                "endif" => {}
                _ if !active => {}
                "define" => self.define(source, name_token, args)?,
                "undef" => {
                    let macro_name = macro_name(source, name_token, args)?;
                    self.macros.remove(macro_name);
                }
                "include" => self.include(source, name_token, args, depth)?,
                "error" => {
                    let span = hash_span.start..line.last().map_or(name_token.span.end, |t| t.span.end);
                    return Err(err(span, "`#error` reached with the given defines"));
                }
                _ => {} // #pragma, #line, #warning and the like do not affect declarations
            }
        }
        if let Some((_, span)) = conds.last() {
            return Err(err_at(source, span.clone(), "unterminated conditional: missing `#endif`"));
        }
        tokens.truncate(kept);
        Ok(tokens)
    }

    fn condition(
        &self,
        source: &SourceFile,
        kind: &str,
        name_token: &Token,
        args: &[Token],
    ) -> Result<bool, Error> {
        match kind {
            "ifdef" | "def" => Ok(self.macros.contains_key(macro_name(source, name_token, args)?)),
            "ifndef" | "ndef" => Ok(!self.macros.contains_key(macro_name(source, name_token, args)?)),
            _ => {
                if args.is_empty() {
                    return Err(err_at(source, name_token.span.clone(), "`#if` without a condition"));
                }
                let items = self.expand(source, args)?;
                let mut parser = ExprParser {
                    source,
                    items: &items,
                    pos: 0,
                    end_span: args.last().map_or(name_token.span.clone(), |t| t.span.clone()),
                };
                let value = parser.ternary()?;
                if let Some((text, span)) = items.get(parser.pos) {
                    return Err(err_at(source, span.clone(), &format!("unexpected `{text}` in `#if`")));
                }
                Ok(value != 0)
            }
        }
    }

    /// Replaces `defined` tests and object-like macros; every item keeps the span of the
    /// directive token it came from.
    fn expand<'x>(&'x self, source: &'x SourceFile, args: &[Token]) -> Result<Vec<(&'x str, Span)>, Error> {
        let mut items = Vec::with_capacity(args.len());
        let mut i = 0;
        while let Some(token) = args.get(i) {
            let text = token.text(source);
            i += 1;
            if text == "defined" {
                let paren = args.get(i).is_some_and(|t| t.text(source) == "(");
                let name_at = if paren { i + 1 } else { i };
                let name = args
                    .get(name_at)
                    .filter(|t| t.kind == TokenKind::Ident)
                    .ok_or_else(|| err_at(source, token.span.clone(), "`defined` needs a macro name"))?;
                i = name_at + 1;
                if paren {
                    if args.get(i).is_none_or(|t| t.text(source) != ")") {
                        return Err(err_at(source, name.span.clone(), "expected `)` after `defined(NAME`"));
                    }
                    i += 1;
                }
                let value = self.macros.contains_key(name.text(source));
                items.push((if value { "1" } else { "0" }, token.span.start..name.span.end));
            } else {
                self.expand_word(source, text, &token.span, &mut Vec::new(), 0, &mut items)?;
            }
        }
        Ok(items)
    }

    /// `active`: the macros being expanded (a name inside its own expansion stays as is).
    fn expand_word<'x>(
        &'x self,
        source: &SourceFile,
        text: &'x str,
        span: &Span,
        active: &mut Vec<&'x str>,
        depth: usize,
        out: &mut Vec<(&'x str, Span)>,
    ) -> Result<(), Error> {
        match self.macros.get(text) {
            Some(Macro::Object(body)) if !active.contains(&text) => {
                if depth >= MAX_EXPANSION_DEPTH {
                    return Err(err_at(source, span.clone(), "macro expansion too deep"));
                }
                active.push(text);
                for word in body {
                    self.expand_word(source, word, span, active, depth + 1, out)?;
                }
                active.pop();
            }
            Some(Macro::Function) => {
                return Err(Error::from(source.error(
                    span.clone(),
                    format!("function-like macro `{text}` in a condition is not evaluated"),
                    Some("pass its value as an object-like -D define".into()),
                )))
            }
            _ => out.push((text, span.clone())),
        }
        Ok(())
    }

    fn define(&mut self, source: &SourceFile, name_token: &Token, args: &[Token]) -> Result<(), Error> {
        let name = macro_name(source, name_token, args)?;
        // `NAME(` with no space between makes a function-like macro.
        let function_like = match (args.first(), args.get(1)) {
            (Some(n), Some(p)) => p.text(source) == "(" && p.span.start == n.span.end,
            _ => false,
        };
        let value = if function_like {
            Macro::Function
        } else {
            Macro::Object(args[1..].iter().map(|t| t.text(source).to_string()).collect())
        };
        self.macros.insert(name.to_string(), value);
        Ok(())
    }

    fn include(
        &mut self,
        source: &SourceFile,
        name_token: &Token,
        args: &[Token],
        depth: usize,
    ) -> Result<(), Error> {
        let (quoted, name) = match args.first() {
            Some(t) if t.kind == TokenKind::Str => {
                let text = t.text(source);
                (true, text.get(1..text.len().saturating_sub(1)).unwrap_or(""))
            }
            Some(t) if t.text(source) == "<" => {
                let close = args.iter().rposition(|t| t.text(source) == ">");
                let name = close
                    .and_then(|c| args.get(c))
                    .and_then(|c| source.text.get(t.span.end..c.span.start))
                    .unwrap_or("");
                (false, name)
            }
            _ => return Ok(()), // a macro-named include cannot be resolved without expansion
        };
        if name.is_empty() {
            return Err(err_at(source, name_token.span.clone(), "`#include` without a file name"));
        }
        let local_dir = source.path.parent().map(Path::to_path_buf);
        let candidates =
            quoted.then_some(local_dir).flatten().into_iter().chain(self.include_dirs.iter().cloned());
        let Some(found) = candidates.map(|dir| dir.join(name)).find(|p| p.is_file()) else {
            return Ok(()); // e.g. <stdint.h>: not ours, holds no configuration
        };
        if depth >= MAX_INCLUDE_DEPTH {
            return Err(err_at(source, name_token.span.clone(), "`#include` nested too deeply"));
        }
        let included = SourceFile::read(&found)?;
        if !self.files_read.contains(&found) {
            self.files_read.push(found);
        }
        self.process(&included, depth + 1)?;
        Ok(())
    }
}

fn err_at(source: &SourceFile, span: Span, message: &str) -> Error {
    Error::from(source.error(span, message, None))
}

fn macro_name<'s>(source: &'s SourceFile, directive: &Token, args: &[Token]) -> Result<&'s str, Error> {
    match args.first() {
        Some(t) if t.kind == TokenKind::Ident => Ok(t.text(source)),
        Some(t) => Err(err_at(source, t.span.clone(), "expected a macro name")),
        None => Err(err_at(source, directive.span.clone(), "expected a macro name")),
    }
}

/// Precedence-climbing evaluator for `#if` expressions over 64-bit signed integers.
struct ExprParser<'s, 'i> {
    source: &'s SourceFile,
    items: &'i [(&'s str, Span)],
    pos: usize,
    end_span: Span,
}

impl<'s> ExprParser<'s, '_> {
    fn peek(&self) -> Option<&'s str> {
        self.items.get(self.pos).map(|(t, _)| *t)
    }

    fn error(&self, message: &str) -> Error {
        let span = self.items.get(self.pos).map_or(self.end_span.clone(), |(_, s)| s.clone());
        err_at(self.source, span, message)
    }

    fn ternary(&mut self) -> Result<i64, Error> {
        let cond = self.binary(0)?;
        if self.peek() != Some("?") {
            return Ok(cond);
        }
        self.pos += 1;
        let then = self.ternary()?;
        if self.peek() != Some(":") {
            return Err(self.error("expected `:` in `#if` conditional"));
        }
        self.pos += 1;
        let other = self.ternary()?;
        Ok(if cond != 0 { then } else { other })
    }

    fn binary(&mut self, min_level: u8) -> Result<i64, Error> {
        let mut lhs = self.unary()?;
        while let Some(op) = self.peek() {
            let Some(level) = binary_level(op) else { break };
            if level < min_level {
                break;
            }
            let op_pos = self.pos;
            self.pos += 1;
            let rhs = self.binary(level + 1)?;
            lhs = match op {
                "||" => i64::from(lhs != 0 || rhs != 0),
                "&&" => i64::from(lhs != 0 && rhs != 0),
                "|" => lhs | rhs,
                "^" => lhs ^ rhs,
                "&" => lhs & rhs,
                "==" => i64::from(lhs == rhs),
                "!=" => i64::from(lhs != rhs),
                "<" => i64::from(lhs < rhs),
                ">" => i64::from(lhs > rhs),
                "<=" => i64::from(lhs <= rhs),
                ">=" => i64::from(lhs >= rhs),
                "<<" => lhs.wrapping_shl(rhs as u32),
                ">>" => lhs.wrapping_shr(rhs as u32),
                "+" => lhs.wrapping_add(rhs),
                "-" => lhs.wrapping_sub(rhs),
                "*" => lhs.wrapping_mul(rhs),
                _ if rhs == 0 => {
                    self.pos = op_pos;
                    return Err(self.error("division by zero in `#if`"));
                }
                "/" => lhs.wrapping_div(rhs),
                _ => lhs.wrapping_rem(rhs),
            };
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<i64, Error> {
        let Some(text) = self.peek() else {
            return Err(self.error("`#if` expression ends early"));
        };
        self.pos += 1;
        match text {
            "!" => Ok(i64::from(self.unary()? == 0)),
            "-" => Ok(self.unary()?.wrapping_neg()),
            "+" => self.unary(),
            "~" => Ok(!self.unary()?),
            "(" => {
                let value = self.ternary()?;
                if self.peek() != Some(")") {
                    return Err(self.error("expected `)` in `#if`"));
                }
                self.pos += 1;
                Ok(value)
            }
            _ => {
                self.pos -= 1;
                let value = self.literal(text)?;
                self.pos += 1;
                Ok(value)
            }
        }
    }

    fn literal(&self, text: &str) -> Result<i64, Error> {
        let first = text.chars().next().unwrap_or(' ');
        if first.is_ascii_alphabetic() || first == '_' {
            if self.items.get(self.pos + 1).is_some_and(|(t, _)| *t == "(") {
                return Err(self.error("function-like macro calls in `#if` are not evaluated"));
            }
            return Ok(0); // an undefined identifier
        }
        if first == '\'' {
            let inner = text.trim_matches('\'');
            let mut chars = inner.chars();
            return match (chars.next(), chars.next()) {
                (Some(c), None) => Ok(i64::from(u32::from(c))),
                _ => Err(self.error("only plain one-character literals are evaluated in `#if`")),
            };
        }
        let digits = text.trim_end_matches(['u', 'U', 'l', 'L']);
        let (radix, body) = if let Some(hex) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X"))
        {
            (16, hex)
        } else if let Some(bin) = digits.strip_prefix("0b").or_else(|| digits.strip_prefix("0B")) {
            (2, bin)
        } else if digits.len() > 1 && digits.starts_with('0') {
            (8, &digits[1..])
        } else {
            (10, digits)
        };
        u64::from_str_radix(body, radix)
            .map(|v| v as i64)
            .map_err(|_| self.error(&format!("`{text}` is not an integer")))
    }
}

fn binary_level(op: &str) -> Option<u8> {
    Some(match op {
        "||" => 0,
        "&&" => 1,
        "|" => 2,
        "^" => 3,
        "&" => 4,
        "==" | "!=" => 5,
        "<" | ">" | "<=" | ">=" => 6,
        "<<" | ">>" => 7,
        "+" | "-" => 8,
        "*" | "/" | "%" => 9,
        _ => return None,
    })
}
