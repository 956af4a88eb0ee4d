//! Source files, byte spans and diagnostics that point into them.

use std::ops::Range;
use std::path::{Path, PathBuf};

use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term;

/// Byte range inside one source file.
pub type Span = Range<usize>;

/// A file read for parsing, kept whole so diagnostics can quote it.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
}

impl SourceFile {
    /// Reads a file; invalid UTF-8 is replaced (it then fails the lexer at its own position).
    pub fn read(path: &Path) -> Result<Self, crate::Error> {
        let bytes =
            std::fs::read(path).map_err(|source| crate::Error::Io { path: path.to_path_buf(), source })?;
        let text =
            String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        Ok(Self::new(path, text))
    }

    pub fn new(path: &Path, text: String) -> Self {
        Self { path: path.to_path_buf(), text }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        LineCursor::default().line_col(&self.text, offset)
    }

    /// Byte offset of a 1-based line and 0-based character column (clamped to the file).
    pub fn offset_of(&self, line: usize, column: usize) -> usize {
        let line_start = if line <= 1 {
            0
        } else {
            self.text.match_indices('\n').nth(line - 2).map_or(self.text.len(), |(i, _)| i + 1)
        };
        let rest = &self.text[line_start..];
        let line_len = rest.find('\n').unwrap_or(rest.len());
        line_start + rest[..line_len].char_indices().nth(column).map_or(line_len, |(i, _)| i)
    }

    /// A diagnostic for `span`, rendered with the source line underlined.
    pub fn error(&self, span: Span, message: impl Into<String>, help: Option<String>) -> SourceError {
        let message = message.into();
        let start = floor_char_boundary(&self.text, span.start.min(self.text.len()));
        let end = floor_char_boundary(&self.text, span.end.clamp(start, self.text.len()));
        let (line, column) = self.line_col(start);
        let file = SimpleFile::new(self.path.display().to_string(), self.text.as_str());
        let mut diagnostic =
            Diagnostic::error().with_message(&message).with_labels(vec![Label::primary((), start..end)]);
        if let Some(help) = &help {
            diagnostic = diagnostic.with_notes(vec![format!("help: {help}")]);
        }
        let rendered = term::emit_into_string(&term::Config::default(), &file, &diagnostic)
            .unwrap_or_else(|_| format!("{}:{line}:{column}: error: {message}", self.path.display()));
        SourceError { file: self.path.clone(), line, column, message, help, rendered }
    }
}

/// Line and column of increasing offsets in one text, counted from the previous offset on:
/// a parser asking for a few positions in order reads the text once, without an index.
#[derive(Debug, Default)]
pub struct LineCursor {
    offset: usize,
    /// 1-based line of `offset`, 0 before the first look-up.
    line: usize,
    line_start: usize,
}

impl LineCursor {
    /// 1-based line and column (in characters) of a byte offset of `text`; an offset before
    /// the previous one starts over from the top.
    pub fn line_col(&mut self, text: &str, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        if self.line == 0 || offset < self.offset {
            *self = Self { offset: 0, line: 1, line_start: 0 };
        }
        let skipped = &text.as_bytes()[self.offset..offset];
        self.line += skipped.iter().filter(|&&b| b == b'\n').count();
        if let Some(last) = skipped.iter().rposition(|&b| b == b'\n') {
            self.line_start = self.offset + last + 1;
        }
        self.offset = offset;
        (self.line, text[self.line_start..offset].chars().count() + 1)
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// One refusal or syntax error at a place in a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError {
    pub file: PathBuf,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub message: String,
    pub help: Option<String>,
    /// `file:line:col` header, the source line and an underline, as printed to a terminal.
    pub rendered: String,
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.rendered.trim_end())
    }
}
