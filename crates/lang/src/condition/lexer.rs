//! The modal condition lexer.
//!
//! libsinsp's parser has no tokenizer of its own: what a run of characters means depends
//! on where the parser is (after `=`, `and` is a bare value; after a field, `inside` is the
//! operator `in` followed by `side`). This lexer reproduces that by keeping a *mode* (what
//! may come next) and a stack of open brackets (group, list, transformer call). In each mode
//! a small `logos` automaton recognises the tokens that are valid there; blanks are skipped
//! only where Falco skips them. Because every mode knows what it expects, the lexer raises
//! libsinsp's own messages at libsinsp's positions, and the `lalrpop` grammar only has to
//! build the tree.

use super::ast::{CmpOp, FieldRef, Modifier, TransformerKind};
use super::escape::unescape;
use super::ParseError;
use logos::Logos;

/// Nesting bound: open groups, lists and transformer calls together. Falco (libs master)
/// stops at a recursion depth of 1000, which allows about 199 nested parentheses; we
/// allow the same and say so with the same message.
pub const MAX_NESTING: usize = 199;

/// Tokens handed to the grammar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// `or` keyword.
    Or,
    /// `and` keyword.
    And,
    /// One `not` (`not` + blank, or the `not` of `not(`).
    Not,
    /// `(` opening a group.
    LParen,
    /// `)` closing a group.
    RParen,
    /// A macro reference.
    Ident(String),
    /// A field with its optional argument.
    Field(FieldRef),
    /// `name(` opening a transformer call.
    XformOpen(TransformerKind),
    /// `)` closing a transformer call, with an optional `[argument]`.
    XformClose(Option<String>),
    /// `,` in a list or argument list.
    Comma,
    /// `(` opening a value list.
    ListOpen,
    /// `)` closing a value list.
    ListClose,
    /// `(` opening a transformer argument list.
    TListOpen,
    /// `)` closing a transformer argument list.
    TListClose,
    /// `exists`.
    Exists,
    /// A comparison operator.
    Op(CmpOp),
    /// `oneof`/`anyof`/`allof`.
    Modifier(Modifier),
    /// A quoted string (unescaped).
    Str(String),
    /// A bare string.
    Bare(String),
    /// A number.
    Num(String),
    /// An identifier used as a list operand.
    ListRef(String),
}

/// A token with its start and end offsets.
pub type Spanned = (usize, Tok, usize);

#[derive(Logos, Debug, Clone, Copy, PartialEq)]
enum FactorTok {
    #[regex(r"not[ \t\n\r\x0B\x0C]+")]
    NotBlank,
    #[token("not(")]
    NotParen,
    #[token("(")]
    LParen,
    #[regex(r"(tolower|toupper|b64|basename|len|join|concat|getopt)\(")]
    Xform,
    #[regex(r"[a-zA-Z]+[a-zA-Z0-9_]*(\.[a-zA-Z]+[a-zA-Z0-9_]*)+")]
    Field,
    #[regex(r"[a-zA-Z]+[a-zA-Z0-9_]*")]
    Ident,
}

#[derive(Logos, Debug, Clone, Copy, PartialEq)]
enum OpTok {
    #[token("exists")]
    Exists,
    #[token("<=")]
    Le,
    #[token("<")]
    Lt,
    #[token(">=")]
    Ge,
    #[token(">")]
    Gt,
    #[token("==")]
    EqEq,
    #[token("=")]
    Eq,
    #[token("!=")]
    Ne,
    #[regex(
        r"(glob|iglob|contains|icontains|bcontains|startswith|bstartswith|endswith|regex)[ \t\x08\r\n]"
    )]
    Word,
    #[token("intersects")]
    Intersects,
    #[token("in")]
    In,
    #[token("pmatch")]
    PMatch,
}

#[derive(Logos, Debug, Clone, Copy, PartialEq)]
enum ValueTok {
    #[token("val(")]
    Val,
    #[regex(r"(tolower|toupper|b64|basename|len|join|concat|getopt)\(")]
    Xform,
    #[regex(r#"[^()"' \t\n\r\x0B\x0C=,]+"#)]
    Bare,
}

#[derive(Logos, Debug, Clone, Copy, PartialEq)]
enum NumTok {
    #[token("val(")]
    Val,
    #[regex(r"(tolower|toupper|b64|basename|len|join|concat|getopt)\(")]
    Xform,
    #[regex(r"0[xX][0-9a-fA-F]+")]
    Hex,
    #[regex(r"[+\-]?[0-9]+\.?[0-9]*([eE][+\-][0-9]+)?")]
    Num,
}

#[derive(Logos, Debug, Clone, Copy, PartialEq)]
enum OperandTok {
    #[token("(")]
    LParen,
    #[token("val(")]
    Val,
    #[regex(r"(tolower|toupper|b64|basename|len|join|concat|getopt)\(")]
    Xform,
    #[regex(r"0[xX][0-9a-fA-F]+")]
    Hex,
    #[regex(r"[+\-]?[0-9]+\.?[0-9]*([eE][+\-][0-9]+)?")]
    Num,
    #[regex(r"[a-zA-Z]+[a-zA-Z0-9_]*(\.[a-zA-Z]+[a-zA-Z0-9_]*)+")]
    Field,
    #[regex(r"[a-zA-Z]+[a-zA-Z0-9_]*")]
    Ident,
}

/// Runs the automaton `T` once at the start of `rest`.
fn first<'s, T>(rest: &'s str) -> Option<(T, &'s str)>
where
    T: Logos<'s, Source = str>,
    T::Extras: Default,
{
    let mut lex = T::lexer(rest);
    match lex.next() {
        Some(Ok(t)) if lex.span().start == 0 => Some((t, lex.slice())),
        _ => None,
    }
}

const TRANSFORMER_LIST: &str =
    "'val', 'tolower', 'toupper', 'b64', 'basename', 'len', 'join', 'concat', 'getopt'";

fn op_list_message() -> String {
    "expected a valid check operator: one of 'exists', '<=', '<', '>=', '>', '==', '=', '!=', \
     'glob', 'iglob', 'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', \
     'endswith', 'regex', 'intersects', 'in', 'pmatch'"
        .to_string()
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | 0x08 | b'\r' | b'\n')
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Where the lexer is in the grammar: what may come next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Start of a factor: `not`, `(`, a field, a transformer, an identifier.
    Factor,
    /// After a left operand: an operator.
    Operator,
    /// After `=`, `!=` or a word operator; `symbolic` says whether the operator was a
    /// symbol (a modifier then needs a blank before it).
    StrValue { symbolic: bool },
    /// After `<`, `<=`, `>`, `>=`.
    NumValue,
    /// After `in`, `intersects`, `pmatch`.
    ListOperand,
    /// After a modifier: a list or an identifier.
    ModifierOperand,
    /// After `(` of a value list: a value or `)`.
    ListStart,
    /// After `,` in a value list: a value.
    ListItem,
    /// After a value in a list: `,` or `)`.
    ListAfterItem,
    /// After a complete check or group: `and`, `or`, `)` or the end.
    Connective,
    /// Start of a transformer argument (after `name(` or `,`).
    XformArg,
    /// After a transformer argument: `,` or `)`.
    XformArgAfter,
    /// After `(` of a transformer argument list: an item or `)`.
    TListStart,
    /// After `,` in a transformer argument list.
    TListItem,
    /// After an item of a transformer argument list.
    TListAfterItem,
    /// After `val(`: a field.
    ValField,
    /// After the field of `val(…`: `)`.
    ValClose,
    /// Nothing more.
    Done,
}

/// Which side of a check a transformer call is on, which decides what follows its `)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Left,
    Right,
    InArgs,
    InTList,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Group,
    List,
    TList,
    Xform(Side),
}

/// The modal lexer; an iterator of tokens for the generated parser.
pub struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    mode: Mode,
    stack: Vec<Open>,
    pending: std::collections::VecDeque<Spanned>,
    /// Text of the last token, for "unexpected token after 'T'".
    last: String,
    failed: bool,
}

impl<'a> Lexer<'a> {
    /// A lexer over a whole condition.
    pub fn new(src: &'a str) -> Lexer<'a> {
        Lexer {
            src,
            pos: 0,
            mode: Mode::Factor,
            stack: Vec::new(),
            pending: Default::default(),
            last: String::new(),
            failed: false,
        }
    }

    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.pos).copied()
    }

    fn skip_blanks(&mut self) {
        let b = self.src.as_bytes();
        while self.pos < b.len() && is_blank(b[self.pos]) {
            self.pos += 1;
        }
    }

    fn err<T>(&self, at: usize, message: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError {
            message: message.into(),
            offset: at,
        })
    }

    fn emit(&mut self, start: usize, tok: Tok, end: usize, text: &str) {
        // Reuse the buffer: this runs for every token, the text is read only on errors.
        self.last.clear();
        self.last.push_str(text);
        self.pending.push_back((start, tok, end));
    }

    fn push(&mut self, open: Open, at: usize) -> Result<(), ParseError> {
        if self.stack.len() >= MAX_NESTING {
            return self.err(at, "exceeded max depth limit of 1000");
        }
        self.stack.push(open);
        Ok(())
    }

    /// Lexes a quoted string starting at `self.pos`. `Ok(None)` when it never closes.
    fn quoted(&mut self) -> Result<Option<(String, usize, usize)>, ParseError> {
        let start = self.pos;
        let bytes = self.src.as_bytes();
        let delim = bytes[start];
        let mut i = start + 1;
        while i < bytes.len() {
            if bytes[i] == delim && bytes[i - 1] != b'\\' {
                break;
            }
            i += 1;
        }
        if i >= bytes.len() {
            return Ok(None);
        }
        let end = i + 1;
        match unescape(&self.src[start + 1..i], delim as char) {
            Ok(v) => {
                self.pos = end;
                Ok(Some((v, start, end)))
            }
            Err(m) => self.err(end, m),
        }
    }

    /// Lexes an optional `[argument]` directly after a field or a transformer call.
    fn bracket_arg(&mut self) -> Result<Option<String>, ParseError> {
        if self.peek() != Some(b'[') {
            return Ok(None);
        }
        self.pos += 1;
        let bad_arg = "expected a valid field argument: a quoted string or a bare string";
        let value = match self.peek() {
            Some(b'"') | Some(b'\'') => match self.quoted()? {
                Some((v, _, _)) => v,
                None => return self.err(self.pos, bad_arg),
            },
            _ => {
                let b = self.src.as_bytes();
                let s = self.pos;
                let mut i = s;
                while i < b.len() && !matches!(b[i], b'[' | b']' | b'"' | b'\'') && !is_space(b[i])
                {
                    i += 1;
                }
                if i == s {
                    return self.err(s, bad_arg);
                }
                self.pos = i;
                self.src[s..i].to_string()
            }
        };
        if self.peek() != Some(b']') {
            return self.err(self.pos, "expected a ']' token");
        }
        self.pos += 1;
        Ok(Some(value))
    }

    fn field(&mut self, name: &str) -> Result<(), ParseError> {
        let start = self.pos;
        self.pos += name.len();
        let arg = self.bracket_arg()?;
        let tok = Tok::Field(FieldRef {
            name: name.to_string(),
            arg,
        });
        self.emit(start, tok, self.pos, name);
        Ok(())
    }

    fn xform_open(&mut self, slice: &str, side: Side) -> Result<(), ParseError> {
        let start = self.pos;
        let name = &slice[..slice.len() - 1];
        let kind = TransformerKind::from_name(name).unwrap_or(TransformerKind::Val);
        self.push(Open::Xform(side), start)?;
        self.pos += slice.len();
        self.emit(start, Tok::XformOpen(kind), self.pos, name);
        self.mode = if kind == TransformerKind::Val {
            Mode::ValField
        } else {
            Mode::XformArg
        };
        Ok(())
    }

    fn xform_close(&mut self) -> Result<(), ParseError> {
        let start = self.pos;
        self.pos += 1;
        let side = match self.stack.pop() {
            Some(Open::Xform(side)) => side,
            _ => Side::Right,
        };
        let arg = self.bracket_arg()?;
        self.emit(start, Tok::XformClose(arg), self.pos, ")");
        self.mode = match side {
            Side::Left => Mode::Operator,
            Side::Right => Mode::Connective,
            Side::InArgs => Mode::XformArgAfter,
            Side::InTList => Mode::TListAfterItem,
        };
        Ok(())
    }

    fn number(&mut self, slice: &str) {
        let start = self.pos;
        self.pos += slice.len();
        self.emit(start, Tok::Num(slice.to_string()), self.pos, slice);
    }

    /// Lexes the next token(s) into `pending`.
    fn step(&mut self) -> Result<(), ParseError> {
        match self.mode {
            Mode::Done => Ok(()),
            Mode::Factor => self.factor(),
            Mode::Operator => self.operator(),
            Mode::StrValue { symbolic } => self.str_value(symbolic),
            Mode::NumValue => self.num_value(),
            Mode::ListOperand => self.list_operand(),
            Mode::ModifierOperand => self.modifier_operand(),
            Mode::ListStart | Mode::ListItem | Mode::ListAfterItem => self.list(),
            Mode::Connective => self.connective(),
            Mode::XformArg | Mode::TListStart | Mode::TListItem => self.xform_arg(),
            Mode::XformArgAfter | Mode::TListAfterItem => self.xform_arg_after(),
            Mode::ValField => self.val_field(),
            Mode::ValClose => self.val_close(),
        }
    }

    fn factor(&mut self) -> Result<(), ParseError> {
        if self.src.is_empty() {
            return self.err(0, "filter input string is empty");
        }
        self.skip_blanks();
        let start = self.pos;
        let expected = "expected a '(' token, a field check, or an identifier";
        let Some((tok, slice)) = first::<FactorTok>(self.rest()) else {
            return self.err(start, expected);
        };
        match tok {
            FactorTok::NotBlank => {
                self.pos += slice.len();
                self.emit(start, Tok::Not, start + 3, "not");
            }
            FactorTok::NotParen => {
                self.push(Open::Group, start)?;
                self.pos += 4;
                self.emit(start, Tok::Not, start + 3, "not");
                self.emit(start + 3, Tok::LParen, start + 4, "(");
            }
            FactorTok::LParen => {
                self.push(Open::Group, start)?;
                self.pos += 1;
                self.emit(start, Tok::LParen, start + 1, "(");
            }
            FactorTok::Xform => {
                self.xform_open(slice, Side::Left)?;
            }
            FactorTok::Field => {
                self.field(slice)?;
                self.mode = Mode::Operator;
            }
            FactorTok::Ident => {
                self.pos += slice.len();
                self.emit(start, Tok::Ident(slice.to_string()), self.pos, slice);
                self.mode = Mode::Connective;
            }
        }
        Ok(())
    }

    fn operator(&mut self) -> Result<(), ParseError> {
        self.skip_blanks();
        let start = self.pos;
        let Some((tok, slice)) = first::<OpTok>(self.rest()) else {
            return self.err(start, op_list_message());
        };
        let op = match tok {
            OpTok::Exists => {
                self.pos += slice.len();
                self.emit(start, Tok::Exists, self.pos, slice);
                self.mode = Mode::Connective;
                return Ok(());
            }
            OpTok::Le => CmpOp::Le,
            OpTok::Lt => CmpOp::Lt,
            OpTok::Ge => CmpOp::Ge,
            OpTok::Gt => CmpOp::Gt,
            OpTok::EqEq => CmpOp::EqEq,
            OpTok::Eq => CmpOp::Eq,
            OpTok::Ne => CmpOp::Ne,
            OpTok::Word => CmpOp::from_name(&slice[..slice.len() - 1]).unwrap_or(CmpOp::Eq),
            OpTok::Intersects => CmpOp::Intersects,
            OpTok::In => CmpOp::In,
            OpTok::PMatch => CmpOp::PMatch,
        };
        let text = op.as_str();
        self.pos += slice.len();
        self.emit(start, Tok::Op(op), start + text.len(), text);
        self.mode = if op.is_numeric_op() {
            Mode::NumValue
        } else if op.is_list_op() {
            Mode::ListOperand
        } else {
            Mode::StrValue {
                symbolic: tok != OpTok::Word,
            }
        };
        Ok(())
    }

    /// Tries `oneof`/`anyof`/`allof` + blanks, followed by `(` or an identifier that is
    /// not `and`/`or`/`not`.
    fn modifier(&mut self, symbolic: bool) -> bool {
        let bytes = self.src.as_bytes();
        if symbolic && !self.peek().is_some_and(is_blank) {
            return false;
        }
        let mut i = self.pos;
        while i < bytes.len() && is_blank(bytes[i]) {
            i += 1;
        }
        let word = &self.src[i..];
        let modifier = if word.starts_with("oneof") {
            Modifier::OneOf
        } else if word.starts_with("anyof") {
            Modifier::AnyOf
        } else if word.starts_with("allof") {
            Modifier::AllOf
        } else {
            return false;
        };
        let mut j = i + 5;
        if !bytes.get(j).copied().is_some_and(is_blank) {
            return false;
        }
        while j < bytes.len() && is_blank(bytes[j]) {
            j += 1;
        }
        let follows = match bytes.get(j) {
            Some(b'(') => true,
            Some(_) => match first::<FactorTok>(&self.src[j..]) {
                Some((FactorTok::Ident, id)) => !matches!(id, "and" | "or" | "not"),
                _ => false,
            },
            None => false,
        };
        if !follows {
            return false;
        }
        self.emit(i, Tok::Modifier(modifier), i + 5, modifier.as_str());
        self.pos = j;
        self.mode = Mode::ModifierOperand;
        true
    }

    fn str_value(&mut self, symbolic: bool) -> Result<(), ParseError> {
        if self.modifier(symbolic) {
            return Ok(());
        }
        self.skip_blanks();
        let start = self.pos;
        let expected = format!(
            "expected a string value or a field with a valid transformer: {TRANSFORMER_LIST}"
        );
        if matches!(self.peek(), Some(b'"') | Some(b'\'')) {
            let Some((v, s, e)) = self.quoted()? else {
                return self.err(start, expected);
            };
            self.emit(s, Tok::Str(v.clone()), e, &v);
            self.mode = Mode::Connective;
            return Ok(());
        }
        match first::<ValueTok>(self.rest()) {
            Some((ValueTok::Val | ValueTok::Xform, slice)) => self.xform_open(slice, Side::Right),
            Some((_, slice)) => {
                self.pos += slice.len();
                self.emit(start, Tok::Bare(slice.to_string()), self.pos, slice);
                self.mode = Mode::Connective;
                Ok(())
            }
            None => self.err(start, expected),
        }
    }

    fn num_value(&mut self) -> Result<(), ParseError> {
        self.skip_blanks();
        let start = self.pos;
        match first::<NumTok>(self.rest()) {
            Some((NumTok::Val | NumTok::Xform, slice)) => self.xform_open(slice, Side::Right),
            Some((NumTok::Hex | NumTok::Num, slice)) => {
                self.number(slice);
                self.mode = Mode::Connective;
                Ok(())
            }
            _ => self.err(
                start,
                format!(
                    "expected a number value or a field with a valid transformer: {TRANSFORMER_LIST}"
                ),
            ),
        }
    }

    fn list_operand(&mut self) -> Result<(), ParseError> {
        self.skip_blanks();
        let start = self.pos;
        let expected = format!(
            "expected a list, an identifier, or a field with a valid transformer: {TRANSFORMER_LIST}"
        );
        match first::<OperandTok>(self.rest()) {
            Some((OperandTok::LParen, _)) => self.list_open(),
            Some((OperandTok::Val | OperandTok::Xform, slice)) => {
                self.xform_open(slice, Side::Right)
            }
            Some((OperandTok::Ident, slice)) => {
                self.pos += slice.len();
                self.emit(start, Tok::ListRef(slice.to_string()), self.pos, slice);
                self.mode = Mode::Connective;
                Ok(())
            }
            _ => self.err(start, expected),
        }
    }

    fn modifier_operand(&mut self) -> Result<(), ParseError> {
        let start = self.pos;
        match first::<OperandTok>(self.rest()) {
            Some((OperandTok::LParen, _)) => self.list_open(),
            Some((OperandTok::Ident, slice)) => {
                self.pos += slice.len();
                self.emit(start, Tok::ListRef(slice.to_string()), self.pos, slice);
                self.mode = Mode::Connective;
                Ok(())
            }
            _ => self.err(start, "expected a list or an identifier"),
        }
    }

    fn list_open(&mut self) -> Result<(), ParseError> {
        let start = self.pos;
        self.push(Open::List, start)?;
        self.pos += 1;
        self.emit(start, Tok::ListOpen, self.pos, "(");
        self.mode = Mode::ListStart;
        Ok(())
    }

    fn list(&mut self) -> Result<(), ParseError> {
        self.skip_blanks();
        let start = self.pos;
        let mode = self.mode;
        if mode != Mode::ListItem && self.peek() == Some(b')') {
            self.stack.pop();
            self.pos += 1;
            self.emit(start, Tok::ListClose, self.pos, ")");
            self.mode = Mode::Connective;
            return Ok(());
        }
        if mode == Mode::ListAfterItem {
            if self.peek() == Some(b',') {
                self.pos += 1;
                self.emit(start, Tok::Comma, self.pos, ",");
                self.mode = Mode::ListItem;
                return Ok(());
            }
            return self.err(start, "expected a ')' token");
        }
        if matches!(self.peek(), Some(b'"') | Some(b'\'')) {
            let Some((v, s, e)) = self.quoted()? else {
                return self.err(start, "expected a string value");
            };
            self.emit(s, Tok::Str(v.clone()), e, &v);
            self.mode = Mode::ListAfterItem;
            return Ok(());
        }
        match first::<ValueTok>(self.rest()) {
            Some((ValueTok::Bare, slice)) => {
                self.pos += slice.len();
                self.emit(start, Tok::Bare(slice.to_string()), self.pos, slice);
                self.mode = Mode::ListAfterItem;
                Ok(())
            }
            // `val(`/`tolower(`: the bare run stops before `(`.
            Some((_, slice)) => {
                let word = &slice[..slice.len() - 1];
                self.pos += word.len();
                self.emit(start, Tok::Bare(word.to_string()), self.pos, word);
                self.mode = Mode::ListAfterItem;
                Ok(())
            }
            None if mode == Mode::ListStart && self.peek() != Some(b',') => {
                self.err(start, "expected a ')' token")
            }
            None => self.err(start, "expected a string value"),
        }
    }

    fn connective(&mut self) -> Result<(), ParseError> {
        self.skip_blanks();
        let start = self.pos;
        let rest = self.rest();
        let in_group = self.stack.last() == Some(&Open::Group);
        if rest.is_empty() {
            if in_group {
                return self.err(start, "expected a ')' token");
            }
            self.mode = Mode::Done;
            return Ok(());
        }
        for (kw, tok) in [("and", Tok::And), ("or", Tok::Or)] {
            if let Some(after) = rest.strip_prefix(kw) {
                let end = start + kw.len();
                match after.as_bytes().first() {
                    Some(&b) if is_blank(b) => {
                        self.pos = end;
                        self.emit(start, tok, end, kw);
                        self.mode = Mode::Factor;
                    }
                    Some(b'(') => {
                        self.pos = end;
                        self.emit(start, tok, end, kw);
                        self.push(Open::Group, end)?;
                        self.pos += 1;
                        self.emit(end, Tok::LParen, end + 1, "(");
                        self.mode = Mode::Factor;
                    }
                    _ => return self.err(end, format!("expected blank or '(' after '{kw}'")),
                }
                return Ok(());
            }
        }
        if in_group {
            if rest.starts_with(')') {
                self.stack.pop();
                self.pos += 1;
                self.emit(start, Tok::RParen, self.pos, ")");
                return Ok(());
            }
            return self.err(start, "expected a ')' token");
        }
        self.err(
            start,
            format!(
                "unexpected token after '{}', expecting 'or', 'and'",
                self.last
            ),
        )
    }

    fn xform_arg(&mut self) -> Result<(), ParseError> {
        self.skip_blanks();
        let start = self.pos;
        let in_tlist = self.stack.last() == Some(&Open::TList);
        let side = if in_tlist {
            Side::InTList
        } else {
            Side::InArgs
        };
        let after = if in_tlist {
            Mode::TListAfterItem
        } else {
            Mode::XformArgAfter
        };
        if self.mode == Mode::TListStart && self.peek() == Some(b')') {
            self.stack.pop();
            self.pos += 1;
            self.emit(start, Tok::TListClose, self.pos, ")");
            self.mode = Mode::XformArgAfter;
            return Ok(());
        }
        let expected = if in_tlist {
            "expected transformer list argument: field, transformer, quoted string, or number"
        } else {
            "expected field transformer argument: field, transformer, quoted string, number, or transformer list"
        };
        if matches!(self.peek(), Some(b'"') | Some(b'\'')) {
            let Some((v, s, e)) = self.quoted()? else {
                return self.err(start, expected);
            };
            self.emit(s, Tok::Str(v.clone()), e, &v);
            self.mode = after;
            return Ok(());
        }
        match first::<OperandTok>(self.rest()) {
            Some((OperandTok::LParen, _)) if !in_tlist => {
                self.push(Open::TList, start)?;
                self.pos += 1;
                self.emit(start, Tok::TListOpen, self.pos, "(");
                self.mode = Mode::TListStart;
                Ok(())
            }
            Some((OperandTok::Xform, slice)) => self.xform_open(slice, side),
            Some((OperandTok::Field, slice)) => {
                self.field(slice)?;
                self.mode = after;
                Ok(())
            }
            Some((OperandTok::Hex | OperandTok::Num, slice)) => {
                self.number(slice);
                self.mode = after;
                Ok(())
            }
            _ => self.err(start, expected),
        }
    }

    fn xform_arg_after(&mut self) -> Result<(), ParseError> {
        self.skip_blanks();
        let start = self.pos;
        let in_tlist = self.mode == Mode::TListAfterItem;
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                self.emit(start, Tok::Comma, self.pos, ",");
                self.mode = if in_tlist {
                    Mode::TListItem
                } else {
                    Mode::XformArg
                };
                Ok(())
            }
            Some(b')') if in_tlist => {
                self.stack.pop();
                self.pos += 1;
                self.emit(start, Tok::TListClose, self.pos, ")");
                self.mode = Mode::XformArgAfter;
                Ok(())
            }
            Some(b')') => self.xform_close(),
            _ if in_tlist => self.err(start, "expected ')'"),
            _ => self.err(start, "expected a ')' token closing the transformer"),
        }
    }

    fn val_field(&mut self) -> Result<(), ParseError> {
        self.skip_blanks();
        let start = self.pos;
        match first::<FactorTok>(self.rest()) {
            Some((FactorTok::Field, slice)) => {
                self.field(slice)?;
                self.mode = Mode::ValClose;
                Ok(())
            }
            _ => self.err(start, "expected a field within 'val' transformer"),
        }
    }

    fn val_close(&mut self) -> Result<(), ParseError> {
        self.skip_blanks();
        if self.peek() == Some(b')') {
            return self.xform_close();
        }
        self.err(self.pos, "expected a ')' token closing the transformer")
    }
}

impl Iterator for Lexer<'_> {
    type Item = Result<Spanned, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(t) = self.pending.pop_front() {
                return Some(Ok(t));
            }
            if self.failed || self.mode == Mode::Done {
                return None;
            }
            if let Err(e) = self.step() {
                self.failed = true;
                return Some(Err(e));
            }
        }
    }
}
