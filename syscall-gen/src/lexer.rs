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
    const THREE: [&[u8]; 3] = [b"...", b"<<=", b">>="];
    const TWO: [&[u8]; 19] = [
        b"->", b"++", b"--", b"<<", b">>", b"<=", b">=", b"==", b"!=", b"&&", b"||", b"*=", b"/=", b"%=",
        b"+=", b"-=", b"&=", b"^=", b"|=",
    ];
    const ONE: &[u8] = b"[](){}.&*+-~!/%<>^|?:;=,#";
    if rest.get(..3).is_some_and(|p| THREE.contains(&p)) {
        Some(3)
    } else if rest.get(..2).is_some_and(|p| TWO.contains(&p) || p == b"##") {
        Some(2)
    } else {
        rest.first().filter(|c| ONE.contains(c)).map(|_| 1)
    }
}

pub fn lex(source: &SourceFile) -> Result<Vec<Token>, SourceError> {
    let text = source.text.as_bytes();
    // Headers average several bytes per token; reserving avoids most regrowth.
    let mut tokens = Vec::with_capacity(text.len() / 4);
    let mut pos = 0;
    let mut line_start = true;
    while pos < text.len() {
        let rest = &text[pos..];
        let c = rest[0];
        if c == b'\n' {
            line_start = true;
            pos += 1;
        } else if c == b'\\' && (rest.get(1) == Some(&b'\n') || rest.starts_with(b"\\\r\n")) {
            pos += if rest.get(1) == Some(&b'\n') { 2 } else { 3 };
        } else if c.is_ascii_whitespace() {
            pos += 1;
        } else if rest.starts_with(b"//") {
            // A line comment ends at the newline (which a trailing backslash would escape).
            let mut end = pos + 2;
            while end < text.len() && !(text[end] == b'\n' && text[end - 1] != b'\\') {
                end += 1;
            }
            pos = end;
        } else if rest.starts_with(b"/*") {
            let close = source.text[pos + 2..]
                .find("*/")
                .ok_or_else(|| source.error(pos..pos + 2, "unterminated comment", None))?;
            pos += 2 + close + 2;
        } else {
            let (kind, len) = token_at(source, pos)?;
            tokens.push(Token { kind, span: pos..pos + len, line_start });
            line_start = false;
            pos += len;
        }
    }
    Ok(tokens)
}

fn token_at(source: &SourceFile, pos: usize) -> Result<(TokenKind, usize), SourceError> {
    let rest = &source.text.as_bytes()[pos..];
    let c = rest[0];
    let ident_char = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'$';
    if c.is_ascii_alphabetic() || c == b'_' || c == b'$' {
        return Ok((TokenKind::Ident, rest.iter().take_while(|b| ident_char(b)).count()));
    }
    if c.is_ascii_digit() || (c == b'.' && rest.get(1).is_some_and(u8::is_ascii_digit)) {
        // A preprocessing number: digits, letters, dots, and signs after an exponent letter.
        let mut len = 1;
        while let Some(&b) = rest.get(len) {
            let sign_after_exp =
                (b == b'+' || b == b'-') && matches!(rest[len - 1], b'e' | b'E' | b'p' | b'P');
            if ident_char(&b) || b == b'.' || sign_after_exp {
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
