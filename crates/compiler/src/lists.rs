//! Lists: item inlining and Falco's textual substitution into conditions
//! (conditions.md §14.2).
//!
//! Falco substitutes lists into the condition *text* before parsing: every whole-word
//! occurrence of a list name (delimited by the start or end of the text, a blank, `(`, `)`,
//! `,` or `=`) is replaced by the list's items joined with `, `. The blanks around the name
//! collapse to one space on each side. Substitution is blind to context: a name inside a
//! bare value or a quoted string is replaced too. We reproduce that exactly, since it
//! decides what parses and what the compiled condition looks like.

const BLANKS: &[u8] = b" \t\n\r";
const DELIMS: &[u8] = b" \t\n\r(),=";

/// Quotes a list or exception item the way Falco does: wrapped in double quotes when it
/// contains a space and does not already start with a quote. Nothing is escaped.
pub fn quote_item(item: &str) -> String {
    if item.contains(' ') && !item.starts_with('"') && !item.starts_with('\'') {
        format!("\"{item}\"")
    } else {
        item.to_string()
    }
}

/// Appends `item` to `out` quoted as [`quote_item`] does.
pub fn push_quoted(out: &mut String, item: &str) {
    if item.contains(' ') && !item.starts_with('"') && !item.starts_with('\'') {
        out.push('"');
        out.push_str(item);
        out.push('"');
    } else {
        out.push_str(item);
    }
}

/// True for the bytes that delimit a list name in a condition (the start and end of the
/// text delimit it too).
pub fn is_delimiter(b: u8) -> bool {
    DELIMS.contains(&b)
}

/// Joins (already quoted) items with `, `.
pub fn join_items(items: &[String]) -> String {
    items.join(", ")
}

/// Replaces every delimited occurrence of `name` in `cond` by `replacement` (the joined
/// items). Returns `None` when the name does not occur, so callers can track use.
pub fn substitute(cond: &str, name: &str, replacement: &str) -> Option<String> {
    substitute_with_edits(cond, name, replacement).map(|(t, _)| t)
}

/// One replacement made by [`substitute_with_edits`], in coordinates of the *original*
/// text (edits never overlap and come in order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edit {
    /// Start of the replaced range (blanks and a comma around the name included).
    pub old_start: usize,
    /// End of the replaced range.
    pub old_end: usize,
    /// Where the list name itself started.
    pub name_start: usize,
    /// Length of the text that replaced the range.
    pub new_len: usize,
}

/// Like [`substitute`], also returning the edits, for mapping positions back.
pub fn substitute_with_edits(
    cond: &str,
    name: &str,
    replacement: &str,
) -> Option<(String, Vec<Edit>)> {
    if name.is_empty() {
        return None;
    }
    let bytes = cond.as_bytes();
    let mut out = String::with_capacity(cond.len() + replacement.len() + 2);
    let mut edits = Vec::new();
    // `copied` is how much of `cond` has been emitted (or consumed by an edit).
    let mut copied = 0usize;
    let mut from = 0usize;
    while let Some(found) = cond.get(from..).and_then(|t| t.find(name)) {
        let name_start = from + found;
        let mut start = name_start;
        let mut end = start + name.len();
        let left_ok = start == 0 || DELIMS.contains(&bytes[start - 1]);
        let right_ok = end >= bytes.len() || DELIMS.contains(&bytes[end]);
        if !(left_ok && right_ok) || start < copied {
            from = next_char(cond, name_start);
            continue;
        }
        while start > copied && BLANKS.contains(&bytes[start - 1]) {
            start -= 1;
        }
        while end < bytes.len() && BLANKS.contains(&bytes[end]) {
            end += 1;
        }
        if replacement.is_empty() {
            if start > copied && bytes[start - 1] == b',' {
                start -= 1;
            } else if end < bytes.len() && bytes[end] == b',' {
                end += 1;
            }
        }
        out.push_str(&cond[copied..start]);
        let mut piece = String::new();
        if !out.is_empty() {
            piece.push(' ');
        }
        piece.push_str(replacement);
        piece.push(' ');
        out.push_str(&piece);
        edits.push(Edit {
            old_start: start,
            old_end: end,
            name_start,
            new_len: piece.len(),
        });
        copied = end;
        from = end;
    }
    if edits.is_empty() {
        return None;
    }
    out.push_str(&cond[copied..]);
    Some((out, edits))
}

fn next_char(s: &str, i: usize) -> usize {
    let mut j = i + 1;
    while j < s.len() && !s.is_char_boundary(j) {
        j += 1;
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_inside_parentheses() {
        assert_eq!(
            substitute("proc.name in (shells)", "shells", "bash, sh").as_deref(),
            Some("proc.name in ( bash, sh )")
        );
    }

    #[test]
    fn needs_delimiters() {
        assert_eq!(substitute("proc.name in (myshells)", "shells", "x"), None);
        assert_eq!(substitute("proc.name in (shells_x)", "shells", "x"), None);
    }

    #[test]
    fn replaces_every_occurrence() {
        let out = substitute("a.b in (l) or c.d in (x, l)", "l", "1, 2").unwrap_or_default();
        assert_eq!(out, "a.b in ( 1, 2 ) or c.d in (x, 1, 2 )");
    }

    #[test]
    fn empty_list_eats_a_comma() {
        let out = substitute("a.b in (x, l)", "l", "").unwrap_or_default();
        assert_eq!(out, "a.b in (x  )");
    }

    #[test]
    fn context_blind_inside_quotes() {
        let out = substitute(
            "proc.cmdline contains \"run shells now\"",
            "shells",
            "bash, sh",
        );
        assert_eq!(
            out.as_deref(),
            Some("proc.cmdline contains \"run bash, sh now\"")
        );
    }

    #[test]
    fn quoting() {
        assert_eq!(quote_item("my sh"), "\"my sh\"");
        assert_eq!(quote_item("'a b'"), "'a b'");
        assert_eq!(quote_item("bash"), "bash");
    }
}
