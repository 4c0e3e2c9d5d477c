//! Inline suppression comments: `# falcoc: allow(FC001, constant-condition)` (see the
//! [crate docs](crate) for where they apply).

use super::{lookup, Finding};
use falcoc_compiler::load::Loaded;
use falcoc_lang::rulefile::ReadResult;
use rustc_hash::FxHashMap as HashMap;

/// The suppression comments of every file of a load.
pub(crate) struct Suppressions<'a> {
    files: Vec<FileSuppressions<'a>>,
}

struct FileSuppressions<'a> {
    read: &'a ReadResult,
    /// 1-based line → the codes, names or `all` it allows (lower-case).
    allows: HashMap<usize, Vec<String>>,
    /// Start offset of every line (for "comment-only line" tests).
    line_starts: Vec<usize>,
}

impl<'a> Suppressions<'a> {
    pub(crate) fn new(loaded: &'a Loaded) -> Suppressions<'a> {
        Suppressions {
            files: loaded.files.iter().map(FileSuppressions::new).collect(),
        }
    }

    /// Whether `f` is allowed by a comment.
    pub(crate) fn suppressed(&self, f: &Finding) -> bool {
        let Some(fs) = self.files.get(f.file) else {
            return false;
        };
        if fs.allows.is_empty() {
            return false;
        }
        let allows_line = |line: usize| {
            fs.allows.get(&line).is_some_and(|keys| {
                keys.iter()
                    .any(|k| k == "all" || lookup(k).is_some_and(|r| r.code == f.code))
            })
        };
        let offset = f.span.start as usize;
        let (line, _) = fs.read.line_col(offset);
        if allows_line(line) {
            return true;
        }
        // The top-level item containing the finding.
        let Some(item) = fs.read.items.iter().find(|i| {
            let s = i.map.span;
            s.start as usize <= offset && offset <= s.end as usize
        }) else {
            return false;
        };
        let (first, _) = fs.read.line_col(item.map.span.start as usize);
        let (last, _) = fs.read.line_col(
            (item.map.span.end as usize)
                .saturating_sub(1)
                .max(item.map.span.start as usize),
        );
        if (first..=last).any(allows_line) {
            return true;
        }
        // The line right above, and the comment-only lines directly above it.
        let mut l = first.saturating_sub(1);
        while l >= 1 {
            if allows_line(l) {
                return true;
            }
            if !fs.comment_only(l) {
                break;
            }
            l -= 1;
        }
        false
    }
}

impl<'a> FileSuppressions<'a> {
    fn new(read: &'a ReadResult) -> FileSuppressions<'a> {
        let mut allows = HashMap::default();
        let mut line_starts = vec![0];
        for (i, line) in read.text.split('\n').enumerate() {
            line_starts.push(line_starts[i] + line.len() + 1);
            let keys = directives(line);
            if !keys.is_empty() {
                allows.insert(i + 1, keys);
            }
        }
        FileSuppressions {
            read,
            allows,
            line_starts,
        }
    }

    /// Whether 1-based line `line` holds only a comment.
    fn comment_only(&self, line: usize) -> bool {
        let (Some(&s), Some(&e)) = (self.line_starts.get(line - 1), self.line_starts.get(line))
        else {
            return false;
        };
        let text = self
            .read
            .text
            .get(s..e.saturating_sub(1).max(s))
            .unwrap_or("");
        text.trim_start().starts_with('#')
    }
}

/// The lint keys of every `# falcoc: allow(…)` comment on one line, lower-cased.
fn directives(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b = line.as_bytes();
    for (i, _) in line.match_indices('#') {
        // A YAML comment starts the line or follows a blank.
        if i > 0 && !matches!(b[i - 1], b' ' | b'\t') {
            continue;
        }
        let rest = line[i + 1..].trim_start();
        let Some(rest) = rest.strip_prefix("falcoc:") else {
            continue;
        };
        let Some(rest) = rest.trim_start().strip_prefix("allow") else {
            continue;
        };
        let Some(rest) = rest.trim_start().strip_prefix('(') else {
            continue;
        };
        let Some(end) = rest.find(')') else {
            continue;
        };
        out.extend(
            rest[..end]
                .split(',')
                .map(|k| k.trim().to_ascii_lowercase())
                .filter(|k| !k.is_empty()),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::directives;

    #[test]
    fn parses_directives() {
        assert_eq!(directives("# falcoc: allow(FC001)"), ["fc001"]);
        assert_eq!(
            directives("  cond: x # falcoc: allow(FC001, constant-condition)"),
            ["fc001", "constant-condition"]
        );
        assert_eq!(directives("#falcoc:allow( all )"), ["all"]);
        assert!(directives("x#falcoc: allow(FC001)").is_empty());
        assert!(directives("# falcoc: deny(FC001)").is_empty());
    }
}
