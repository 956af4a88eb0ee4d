//! C tokens with byte spans. Comments become whitespace; a backslash-newline joins lines.

use crate::source::{SourceError, SourceFile, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Ident,
    Number,
    Str,
    Char,
    Punct,
}

#[derive(Debug, Clone)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
    /// First token of a logical line: a `#` here starts a directive.
    pub line_start: bool,
}

impl Token {
    pub fn text<'a>(&self, source: &'a SourceFile) -> &'a str {
        source.text.get(self.span.clone()).unwrap_or("")
    }
}

/// Length of the punctuator at the start of `rest` (longest match), if any.
fn punctuator_len(rest: &[u8]) -> Option<usize> {
    let at = |i| rest.get(i).copied().unwrap_or(0);
    let (first, second) = (at(0), at(1));
    let doubled_or_assign =
        |doubles: bool| if second == b'=' || (doubles && second == first) { 2 } else { 1 };
    Some(match first {
        b'.' if second == b'.' && at(2) == b'.' => 3,
        b'<' | b'>' if second == first => {
            if at(2) == b'=' {
                3
            } else {
                2
            }
        }
        b'-' if second == b'>' => 2,
        b'<' | b'>' | b'=' | b'!' | b'*' | b'/' | b'%' | b'^' => doubled_or_assign(first == b'='),
        b'+' | b'-' | b'&' | b'|' => doubled_or_assign(true),
        b'#' if second == b'#' => 2,
        b'.' | b'#' | b'[' | b']' | b'(' | b')' | b'{' | b'}' | b'~' | b'?' | b':' | b';' | b',' => 1,
        _ => return None,
    })
}

/// Bytes that may continue an identifier (and a preprocessing number).
const fn ident_bytes() -> [bool; 256] {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || c == b'_' || c == b'$';
        b += 1;
    }
    table
}

static IDENT: [bool; 256] = ident_bytes();

fn ident_len(rest: &[u8]) -> usize {
    rest.iter().position(|&b| !IDENT[usize::from(b)]).unwrap_or(rest.len())
}

pub fn lex(source: &SourceFile) -> Result<Vec<Token>, SourceError> {
    let text = source.text.as_bytes();
    // Headers average several bytes per token; reserving avoids most regrowth.
    let mut tokens = Vec::with_capacity(text.len() / 8);
    let mut pos = 0;
    let mut line_start = true;
    while let Some(&c) = text.get(pos) {
        let next = text.get(pos + 1).copied();
        match c {
            b'\n' => {
                line_start = true;
                pos += 1;
            }
            b' ' | b'\t' | b'\r' | b'\x0c' => pos += 1,
            b'\\' if next == Some(b'\n') => pos += 2,
            b'\\' if next == Some(b'\r') && text.get(pos + 2) == Some(&b'\n') => pos += 3,
            b'/' if next == Some(b'/') => {
                // A line comment ends at the newline (which a trailing backslash would escape).
                let mut end = pos + 2;
                while end < text.len() && !(text[end] == b'\n' && text[end - 1] != b'\\') {
                    end += 1;
                }
                pos = end;
            }
            b'/' if next == Some(b'*') => {
                let close = source.text[pos + 2..]
                    .find("*/")
                    .ok_or_else(|| source.error(pos..pos + 2, "unterminated comment", None))?;
                pos += 2 + close + 2;
            }
            _ => {
                let (kind, len) = token_at(source, pos)?;
                tokens.push(Token { kind, span: pos..pos + len, line_start });
                line_start = false;
                pos += len;
            }
        }
    }
    Ok(tokens)
}

fn token_at(source: &SourceFile, pos: usize) -> Result<(TokenKind, usize), SourceError> {
    let rest = &source.text.as_bytes()[pos..];
    let c = rest[0];
    if c.is_ascii_alphabetic() || c == b'_' || c == b'$' {
        return Ok((TokenKind::Ident, ident_len(rest)));
    }
    if c.is_ascii_digit() || (c == b'.' && rest.get(1).is_some_and(u8::is_ascii_digit)) {
        // A preprocessing number: digits, letters, dots, and signs after an exponent letter.
        let mut len = 1;
        while let Some(&b) = rest.get(len) {
            let sign_after_exp =
                (b == b'+' || b == b'-') && matches!(rest[len - 1], b'e' | b'E' | b'p' | b'P');
            if IDENT[usize::from(b)] || b == b'.' || sign_after_exp {
                len += 1;
            } else {
                break;
            }
        }
        return Ok((TokenKind::Number, len));
    }
    if c == b'"' || c == b'\'' {
        let mut len = 1;
        loop {
            match rest.get(len) {
                None | Some(b'\n') => {
                    return Err(source.error(
                        pos..pos + len,
                        "unterminated string or character literal",
                        None,
                    ))
                }
                Some(b'\\') => len += 2,
                Some(&b) if b == c => break,
                Some(_) => len += 1,
            }
        }
        let kind = if c == b'"' { TokenKind::Str } else { TokenKind::Char };
        return Ok((kind, len + 1));
    }
    if let Some(len) = punctuator_len(rest) {
        return Ok((TokenKind::Punct, len));
    }
    let width = source.text[pos..].chars().next().map_or(1, char::len_utf8);
    Err(source.error(pos..pos + width, "unexpected character", None))
}
