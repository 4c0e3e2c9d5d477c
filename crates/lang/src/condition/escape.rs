//! Quoted-string escapes, as libsinsp's `escaping.cpp` defines them (Falco 0.44).

/// Unescapes the body of a quoted string delimited by `delim` (`'` or `"`).
///
/// Returns the message of the first invalid escape.
pub fn unescape(body: &str, delim: char) -> Result<String, String> {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            Some('/') => out.push('/'),
            // A legacy quirk: `\ ` stands for a lone backslash.
            Some(' ') => out.push('\\'),
            Some('"') if delim == '"' => out.push('"'),
            Some('"') => return Err("invalid \\\" escape in '-quoted string".into()),
            Some('\'') if delim == '\'' => out.push('\''),
            Some('\'') => return Err("invalid \\' escape in \"-quoted string".into()),
            Some(other) => return Err(format!("unsupported string escape sequence: \\{other}")),
            None => return Err("unsupported string escape sequence: \\".into()),
        }
    }
    Ok(out)
}

/// Whether [`escape_str`] would quote `s`.
pub fn needs_quotes(s: &str) -> bool {
    s.chars().any(|c| {
        matches!(c, ' ' | '=' | '"' | '\'' | '\\') || (c.is_ascii_control() && c != '\u{7f}')
    })
}

/// Escapes a value for canonical printing: unchanged unless it contains a blank, `=`, a
/// quote, a backslash or a control character; then double-quoted with `\"`, `\\`, `\b`,
/// `\f`, `\n`, `\r`, `\t` escapes.
pub fn escape_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_escaped(&mut out, s);
    out
}

/// [`escape_str`], appended to `out`.
pub(crate) fn push_escaped(out: &mut String, s: &str) {
    if !needs_quotes(s) {
        out.push_str(s);
        return;
    }
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_round_trip() {
        for s in [
            "plain",
            "some string",
            "a\\b",
            "q\"x",
            "it's",
            "\t\n\r\u{8}\u{c}",
            "",
        ] {
            let e = escape_str(s);
            let back = if e.starts_with('"') {
                unescape(&e[1..e.len() - 1], '"').unwrap()
            } else {
                e.clone()
            };
            assert_eq!(back, s, "via {e}");
        }
    }

    #[test]
    fn wrong_delimiter_escape_is_an_error() {
        assert_eq!(
            unescape("mixed \\'", '"').unwrap_err(),
            "invalid \\' escape in \"-quoted string"
        );
        assert_eq!(
            unescape("a\\\"", '\'').unwrap_err(),
            "invalid \\\" escape in '-quoted string"
        );
        assert_eq!(
            unescape("\\q", '"').unwrap_err(),
            "unsupported string escape sequence: \\q"
        );
    }

    #[test]
    fn backslash_space_is_a_backslash() {
        assert_eq!(unescape("bad escape \\ ", '"').unwrap(), "bad escape \\");
    }
}
