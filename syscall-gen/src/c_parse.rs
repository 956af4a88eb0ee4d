//! Reads `__syscall` prototypes and `__kobject(...)` struct annotations from preprocessed
//! header tokens. A declarator parser for the prototype subset, not a regex: comments, line
//! breaks, qualifiers, multi-level pointers, tagged types, typedef names and function-pointer
//! parameters are understood; everything the generated layer cannot carry safely is refused
//! with a diagnostic at its place.

use crate::lexer::{Token, TokenKind};
use crate::model::{
    Builtin, CType, FunctionPointer, KobjectKind, KobjectType, Origin, Param, Qualifiers, Specifier, Syscall,
};
use crate::preprocess::Preprocessed;
use crate::source::{LineCursor, SourceError, SourceFile, Span};

/// Names of `va_list` as headers spell it.
const VA_LIST_NAMES: &[&str] = &["va_list", "__builtin_va_list", "__gnuc_va_list"];

/// Declarations found in one header.
#[derive(Debug, Default)]
pub struct Parsed {
    pub syscalls: Vec<Syscall>,
    pub kobjects: Vec<KobjectType>,
}

/// Marks a system call that never waits; written right after `__syscall`.
pub const NONBLOCKING: &str = "__nonblocking";

/// Prefix (in any case) of the generated code's own identifiers; parameters may not use it.
pub const RESERVED_PREFIX: &str = "sg_";

/// Parses one preprocessed header. Refusals are collected; declarations after a refused one
/// are still read so that one run reports them all. Names declared twice are found across all
/// inputs by [`crate::duplicates`].
pub fn parse(input: &Preprocessed) -> Result<Parsed, Vec<SourceError>> {
    let lines = LineCursor::default();
    let mut parser =
        Parser { source: &input.source, tokens: &input.tokens, pos: 0, lines, words: Vec::new() };
    let mut parsed = Parsed::default();
    let mut errors = Vec::new();
    while let Some(token) = parser.tokens.get(parser.pos) {
        let result = match token.text(parser.source) {
            "__syscall" => parser.syscall().map(|s| parsed.syscalls.push(s)),
            "__kobject" => parser.kobject().map(|k| parsed.kobjects.push(k)),
            _ => {
                parser.pos += 1;
                continue;
            }
        };
        if let Err(e) = result {
            errors.push(e);
            parser.recover();
        }
    }
    if errors.is_empty() {
        Ok(parsed)
    } else {
        Err(errors)
    }
}

struct Parser<'a> {
    source: &'a SourceFile,
    tokens: &'a [Token],
    pos: usize,
    lines: LineCursor,
    /// Type keywords of the specifiers being read: one buffer for all of them.
    words: Vec<&'a str>,
}

struct Specifiers {
    qualifiers: Qualifiers,
    specifier: Specifier,
    span: Span,
}

impl<'a> Parser<'a> {
    fn text(&self, at: usize) -> &'a str {
        self.tokens.get(at).map_or("", |t| t.text(self.source))
    }

    fn peek(&self) -> &'a str {
        self.text(self.pos)
    }

    /// Span of the current token, or the end of the file.
    fn span(&self) -> Span {
        match self.tokens.get(self.pos) {
            Some(t) => t.span.clone(),
            None => {
                let end = self.source.text.len();
                end..end
            }
        }
    }

    fn error(&self, span: Span, message: impl Into<String>, help: Option<&str>) -> SourceError {
        self.source.error(span, message, help.map(str::to_string))
    }

    fn expect(&mut self, text: &str, context: &str) -> Result<Span, SourceError> {
        if self.peek() == text {
            self.pos += 1;
            Ok(self.tokens[self.pos - 1].span.clone())
        } else {
            Err(self.error(self.span(), format!("expected `{text}` {context}"), None))
        }
    }

    fn ident(&mut self, what: &str) -> Result<(String, Span), SourceError> {
        self.ident_or(|| what.to_string())
    }

    /// [`Self::ident`] whose description is only built for the error.
    fn ident_or(&mut self, what: impl FnOnce() -> String) -> Result<(String, Span), SourceError> {
        match self.tokens.get(self.pos) {
            Some(t) if t.kind == TokenKind::Ident => {
                self.pos += 1;
                Ok((t.text(self.source).to_string(), t.span.clone()))
            }
            _ => Err(self.error(self.span(), format!("expected {}", what()), None)),
        }
    }

    fn origin(&mut self, span: &Span) -> Origin {
        let (line, column) = self.lines.line_col(&self.source.text, span.start);
        Origin { file: self.source.path.clone(), line, column, span: span.clone() }
    }

    /// After an error: skip past the end of the broken declaration.
    fn recover(&mut self) {
        self.pos += 1;
        let mut depth = 0usize;
        while let Some(t) = self.tokens.get(self.pos) {
            self.pos += 1;
            match t.text(self.source) {
                "(" | "{" | "[" => depth += 1,
                ")" | "}" | "]" => depth = depth.saturating_sub(1),
                ";" if depth == 0 => return,
                _ => {}
            }
        }
    }

    /// `__syscall [__nonblocking] <ret> <name>(<params>);`
    fn syscall(&mut self) -> Result<Syscall, SourceError> {
        self.pos += 1;
        let nonblocking = self.peek() == NONBLOCKING;
        if nonblocking {
            self.pos += 1;
        }
        let specs = self.specifiers("the return type")?;
        let pointers = self.pointers();
        let (name, name_span) = self.ident("the system call's name")?;
        if self.peek() != "(" {
            return Err(self.error(self.span(), "expected `(` after the system call's name", None));
        }
        self.pos += 1;
        let params = self.params(&name)?;
        self.skip_attributes()?;
        match self.peek() {
            ";" => self.pos += 1,
            "{" => {
                return Err(self.error(
                    self.span(),
                    format!(
                    "`{name}` has a body: a system call is declared here and implemented as `z_impl_{name}`"
                ),
                    None,
                ))
            }
            _ => return Err(self.error(self.span(), "expected `;` after the prototype", None)),
        }
        let ret =
            CType { qualifiers: specs.qualifiers, specifier: specs.specifier, pointers, function: None };
        let origin = self.origin(&name_span);
        Ok(Syscall { name, ret, params, nonblocking, origin })
    }

    fn params(&mut self, syscall: &str) -> Result<Vec<Param>, SourceError> {
        if self.peek() == ")" {
            return Err(self.error(
                self.span(),
                format!("`{syscall}()` has an unspecified parameter list"),
                Some("write `(void)` for a system call without parameters"),
            ));
        }
        if self.peek() == "void" && self.text(self.pos + 1) == ")" {
            self.pos += 2;
            return Ok(Vec::new());
        }
        let mut params = Vec::new();
        loop {
            params.push(self.param()?);
            match self.peek() {
                "," => self.pos += 1,
                ")" => {
                    self.pos += 1;
                    return Ok(params);
                }
                _ => return Err(self.error(self.span(), "expected `,` or `)` in the parameter list", None)),
            }
        }
    }

    fn param(&mut self) -> Result<Param, SourceError> {
        if self.peek() == "..." {
            return Err(self.error(
                self.span(),
                "variadic system calls are refused: the kernel would have to walk user memory",
                Some("pass a pointer to a buffer and its length instead"),
            ));
        }
        let specs = self.specifiers("a parameter type")?;
        if let Specifier::Typedef(name) = &specs.specifier {
            if VA_LIST_NAMES.contains(&name.as_str()) {
                return Err(self.error(
                    specs.span,
                    "`va_list` parameters are refused: the kernel would have to walk user memory",
                    Some("pass a pointer to a buffer and its length instead"),
                ));
            }
        }
        let pointers = self.pointers();
        let mut ty =
            CType { qualifiers: specs.qualifiers, specifier: specs.specifier, pointers, function: None };
        let name_span;
        let name;
        if self.peek() == "(" {
            // `ret (*name)(params)`: a pointer to function without a typedef.
            self.pos += 1;
            let fn_pointers = self.pointers();
            if fn_pointers.is_empty() {
                return Err(self.error(self.span(), "expected `*` in a function-pointer parameter", None));
            }
            (name, name_span) = self.named_param_ident(&specs.span)?;
            self.reject_array(&name)?;
            self.expect(")", "after the function pointer's name")?;
            let open = self.expect("(", "for the function pointer's parameters")?;
            let params = self.balanced_text(open)?;
            ty.function = Some(FunctionPointer { pointers: fn_pointers, params });
        } else {
            (name, name_span) = self.named_param_ident(&specs.span)?;
            self.reject_array(&name)?;
            if self.peek() == "(" {
                return Err(self.error(
                    self.span(),
                    format!("parameter `{name}` has function type"),
                    Some(&format!("declare it as a pointer to function: `(*{name})(…)`")),
                ));
            }
        }
        self.skip_attributes()?;
        if ty.is_void() {
            return Err(self.error(
                specs.span.start..name_span.end,
                format!("parameter `{name}` has type `void`"),
                None,
            ));
        }
        Ok(Param { name, ty })
    }

    fn named_param_ident(&mut self, type_span: &Span) -> Result<(String, Span), SourceError> {
        match self.tokens.get(self.pos) {
            Some(t) if t.kind == TokenKind::Ident => {
                let (name, span) = self.ident("a parameter name")?;
                if name.get(..RESERVED_PREFIX.len()).is_some_and(|p| p.eq_ignore_ascii_case(RESERVED_PREFIX))
                {
                    return Err(self.error(
                        span,
                        format!("parameter names starting with `{RESERVED_PREFIX}` are reserved for the generated code"),
                        None,
                    ));
                }
                Ok((name, span))
            }
            _ => Err(self.error(
                type_span.start..self.span().start.max(type_span.end),
                "unnamed parameter",
                Some("name every parameter: the names are used in the generated wrappers and stubs"),
            )),
        }
    }

    fn reject_array(&self, name: &str) -> Result<(), SourceError> {
        if self.peek() != "[" {
            return Ok(());
        }
        Err(self.error(
            self.span(),
            format!("array parameter `{name}` is refused: its size would be lost"),
            Some(&format!("declare a pointer (`*{name}`) and pass the length as another parameter")),
        ))
    }

    /// Tokens up to the `)` matching the already consumed `(`, as C text.
    fn balanced_text(&mut self, open: Span) -> Result<String, SourceError> {
        let start = self.pos;
        let end = self.skip_balanced(open)?;
        let inside = &self.tokens[start..end];
        let mut out = String::with_capacity(inside.iter().map(|t| t.span.len() + 1).sum());
        let mut prev_word = false;
        for t in inside {
            let text = t.text(self.source);
            let word = matches!(t.kind, TokenKind::Ident | TokenKind::Number);
            if (prev_word && (word || text == "*")) || out.ends_with(',') {
                out.push(' ');
            }
            out.push_str(text);
            prev_word = word;
        }
        Ok(out)
    }

    /// Moves past the `)` matching the already consumed `(`; returns the index of that `)`.
    fn skip_balanced(&mut self, open: Span) -> Result<usize, SourceError> {
        let mut depth = 1usize;
        while let Some(t) = self.tokens.get(self.pos) {
            self.pos += 1;
            match t.text(self.source) {
                "(" => depth += 1,
                ")" => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(self.pos - 1);
                    }
                }
                _ => {}
            }
        }
        Err(self.error(open, "unclosed `(`", None))
    }

    fn pointers(&mut self) -> Vec<Qualifiers> {
        let mut out = Vec::new();
        while self.peek() == "*" {
            self.pos += 1;
            let mut q = Qualifiers::default();
            loop {
                match self.peek() {
                    "const" => q.is_const = true,
                    "volatile" => q.is_volatile = true,
                    "restrict" | "__restrict" | "__restrict__" => q.is_restrict = true,
                    _ => break,
                }
                self.pos += 1;
            }
            out.push(q);
        }
        out
    }

    /// GNU `__attribute__((…))` carries nothing the generated layer needs.
    fn skip_attributes(&mut self) -> Result<(), SourceError> {
        while matches!(self.peek(), "__attribute__" | "__attribute") {
            self.pos += 1;
            let open = self.expect("(", "after `__attribute__`")?;
            self.skip_balanced(open)?;
        }
        Ok(())
    }

    fn specifiers(&mut self, what: &str) -> Result<Specifiers, SourceError> {
        let mut words = std::mem::take(&mut self.words);
        words.clear();
        let specifiers = self.specifiers_into(what, &mut words);
        self.words = words;
        specifiers
    }

    fn specifiers_into(&mut self, what: &str, words: &mut Vec<&'a str>) -> Result<Specifiers, SourceError> {
        let start = self.span().start;
        let mut qualifiers = Qualifiers::default();
        let mut named: Option<Specifier> = None;
        loop {
            let text = self.peek();
            match text {
                "const" => qualifiers.is_const = true,
                "volatile" => qualifiers.is_volatile = true,
                "restrict" | "__restrict" | "__restrict__" => {}
                "__attribute__" | "__attribute" => {
                    self.skip_attributes()?;
                    continue;
                }
                "static" | "extern" | "inline" | "__inline" | "__inline__" | "register" | "auto"
                | "typedef" | "_Thread_local" => {
                    return Err(self.error(
                        self.span(),
                        format!("`{text}` is not allowed here: `__syscall` supplies the storage class"),
                        None,
                    ))
                }
                NONBLOCKING => {
                    return Err(self.error(
                        self.span(),
                        format!("`{NONBLOCKING}` is misplaced"),
                        Some("write it right after `__syscall`"),
                    ))
                }
                "_Atomic" | "_Complex" | "__int128" | "_Imaginary" => {
                    return Err(self.error(
                        self.span(),
                        format!("`{text}` types are not supported in system calls"),
                        None,
                    ))
                }
                "void" | "char" | "short" | "int" | "long" | "signed" | "unsigned" | "__signed__"
                | "float" | "double" | "_Bool" => {
                    if named.is_some() {
                        return Err(self.error(self.span(), format!("`{text}` after a type name"), None));
                    }
                    words.push(if text == "__signed__" { "signed" } else { text });
                }
                "struct" | "union" | "enum" => {
                    if named.is_some() || !words.is_empty() {
                        return Err(self.error(self.span(), format!("`{text}` after a type name"), None));
                    }
                    self.pos += 1;
                    let (tag, _) = self.ident_or(|| format!("a `{text}` tag"))?;
                    if self.peek() == "{" {
                        return Err(self.error(
                            self.span(),
                            format!("`{text} {tag}` is defined inside a prototype"),
                            Some("define the type before the system call"),
                        ));
                    }
                    named = Some(match text {
                        "struct" => Specifier::Struct(tag),
                        "union" => Specifier::Union(tag),
                        _ => Specifier::Enum(tag),
                    });
                    continue;
                }
                _ if named.is_none()
                    && words.is_empty()
                    && self.tokens.get(self.pos).is_some_and(|t| t.kind == TokenKind::Ident) =>
                {
                    named = Some(Specifier::Typedef(text.to_string()));
                }
                _ => break,
            }
            self.pos += 1;
        }
        let end = self.tokens.get(self.pos.wrapping_sub(1)).map_or(start, |t| t.span.end).max(start);
        let span = start..end;
        let specifier = match named {
            Some(s) => s,
            None if words.is_empty() => {
                return Err(self.error(self.span(), format!("expected {what}"), None))
            }
            None => keyword_type(words).ok_or_else(|| {
                self.error(span.clone(), format!("`{}` is not a valid type", words.join(" ")), None)
            })?,
        };
        Ok(Specifiers { qualifiers, specifier, span })
    }

    /// `__kobject(kind[, api_member]) struct tag { … }`
    fn kobject(&mut self) -> Result<KobjectType, SourceError> {
        let start = self.span();
        self.pos += 1;
        self.expect("(", "after `__kobject`")?;
        let (kind_name, kind_span) = self.ident("a kernel-object kind")?;
        let kind = KobjectKind::ALL.into_iter().find(|k| k.name() == kind_name).ok_or_else(|| {
            let names: Vec<_> = KobjectKind::ALL.iter().map(|k| k.name()).collect();
            self.error(
                kind_span.clone(),
                format!("unknown kernel-object kind `{kind_name}`"),
                Some(&format!("the kinds are: {}", names.join(", "))),
            )
        })?;
        let api_member = if self.peek() == "," {
            self.pos += 1;
            Some(self.ident("the member that points at the driver API")?)
        } else {
            None
        };
        let close = self.expect(")", "after the `__kobject` arguments")?;
        match (kind, &api_member) {
            (KobjectKind::Device, None) => {
                return Err(self.error(
                    start.start..close.end,
                    "`__kobject(device, …)` needs the member that points at the driver API",
                    Some("write `__kobject(device, api)`"),
                ))
            }
            (KobjectKind::Device, Some(_)) | (_, None) => {}
            (_, Some((_, span))) => {
                return Err(self.error(
                    span.clone(),
                    format!("only `device` takes a second argument, not `{kind_name}`"),
                    None,
                ))
            }
        }
        if self.peek() != "struct" {
            return Err(self.error(self.span(), "`__kobject(…)` must come right before `struct`", None));
        }
        self.pos += 1;
        let (tag, tag_span) = self.ident("a struct tag")?;
        if self.peek() != "{" {
            return Err(self.error(
                self.span(),
                format!("`__kobject` must annotate the definition of `struct {tag}`"),
                None,
            ));
        }
        let origin = self.origin(&tag_span);
        Ok(KobjectType { struct_tag: tag, kind, api_member: api_member.map(|(name, _)| name), origin })
    }
}

/// The arithmetic type named by a multiset of keywords, if the combination is valid C.
fn keyword_type(words: &[&str]) -> Option<Specifier> {
    let count = |w: &str| words.iter().filter(|x| **x == w).count();
    let (signed, unsigned, short, long, int, char) =
        (count("signed"), count("unsigned"), count("short"), count("long"), count("int"), count("char"));
    let only = |w: &str| words == [w];
    if only("void") {
        return Some(Specifier::Void);
    }
    if only("_Bool") {
        return Some(Specifier::Builtin(Builtin::Bool));
    }
    if only("float") {
        return Some(Specifier::Builtin(Builtin::Float));
    }
    if only("double") {
        return Some(Specifier::Builtin(Builtin::Double));
    }
    if count("double") == 1 && long == 1 && words.len() == 2 {
        return Some(Specifier::Builtin(Builtin::LongDouble));
    }
    if signed + unsigned > 1 || int > 1 || char > 1 {
        return None;
    }
    let sign_int = signed + unsigned + int;
    if char == 1 {
        if words.len() != 1 + signed + unsigned {
            return None;
        }
        let b = match (signed, unsigned) {
            (1, _) => Builtin::SignedChar,
            (_, 1) => Builtin::UnsignedChar,
            _ => Builtin::Char,
        };
        return Some(Specifier::Builtin(b));
    }
    if words.len() != sign_int + short + long || (short > 0 && long > 0) || short > 1 || long > 2 {
        return None;
    }
    let u = unsigned == 1;
    let b = match (short, long) {
        (1, _) if u => Builtin::UnsignedShort,
        (1, _) => Builtin::Short,
        (_, 2) if u => Builtin::UnsignedLongLong,
        (_, 2) => Builtin::LongLong,
        (_, 1) if u => Builtin::UnsignedLong,
        (_, 1) => Builtin::Long,
        _ if u => Builtin::UnsignedInt,
        _ => Builtin::Int,
    };
    Some(Specifier::Builtin(b))
}
