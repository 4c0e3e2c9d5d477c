//! Which compiled rules are enabled: the rule flags, Falco's `rules:` selection by name
//! pattern and by tag, and the priority threshold (rules-file.md §12).

use crate::compile::CompiledRule;
use crate::priority::Priority;

/// How a name pattern is matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameMatch {
    /// The whole name.
    Exact,
    /// Anywhere in the name (Falco's legacy `-D`).
    Substring,
    /// Falco's wildcard: only `*` is special; greedy and without backtracking.
    Wildcard,
}

/// Falco's `matches_wildcard`: `*` matches any run of characters, greedily and without
/// backtracking, so `*a` does not match `aba` (the first `a` is taken and the rest is
/// left over), and `*` matches everything.
pub fn matches_wildcard(pattern: &str, name: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == name;
    }
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let segments: Vec<&str> = parts.collect();
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        if seg.is_empty() {
            if last {
                return true;
            }
            continue;
        }
        match rest.find(seg) {
            Some(at) => rest = &rest[at + seg.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

/// A selection of enabled rules over a compiled rule set, in rule order.
#[derive(Debug, Clone)]
pub struct Ruleset {
    enabled: Vec<bool>,
}

impl Ruleset {
    /// Every rule disabled.
    pub fn none(rules: &[CompiledRule]) -> Ruleset {
        Ruleset {
            enabled: vec![false; rules.len()],
        }
    }

    /// Every rule enabled.
    pub fn all(rules: &[CompiledRule]) -> Ruleset {
        Ruleset {
            enabled: vec![true; rules.len()],
        }
    }

    /// The rules enabled by their own `enabled` flag (Falco's default ruleset).
    pub fn by_flags(rules: &[CompiledRule]) -> Ruleset {
        Ruleset {
            enabled: rules.iter().map(|r| r.enabled).collect(),
        }
    }

    /// Enables or disables the rules whose name matches `pattern`.
    pub fn set_by_name(&mut self, rules: &[CompiledRule], pattern: &str, how: NameMatch, on: bool) {
        for (r, e) in rules.iter().zip(self.enabled.iter_mut()) {
            let hit = match how {
                NameMatch::Exact => r.name == pattern,
                NameMatch::Substring => r.name.contains(pattern),
                NameMatch::Wildcard => matches_wildcard(pattern, &r.name),
            };
            if hit {
                *e = on;
            }
        }
    }

    /// Enables or disables the rules having any of `tags`.
    pub fn set_by_tags(&mut self, rules: &[CompiledRule], tags: &[&str], on: bool) {
        for (r, e) in rules.iter().zip(self.enabled.iter_mut()) {
            if tags.iter().any(|t| r.tags.contains(*t)) {
                *e = on;
            }
        }
    }

    /// Disables the rules less severe than `threshold` (Falco's `priority` setting).
    pub fn apply_priority(&mut self, rules: &[CompiledRule], threshold: Priority) {
        for (r, e) in rules.iter().zip(self.enabled.iter_mut()) {
            if r.priority > threshold {
                *e = false;
            }
        }
    }

    /// Whether rule `i` is enabled.
    pub fn is_enabled(&self, i: usize) -> bool {
        self.enabled.get(i).copied().unwrap_or(false)
    }

    /// How many rules are enabled.
    pub fn count(&self) -> usize {
        self.enabled.iter().filter(|e| **e).count()
    }
}

#[cfg(test)]
mod tests {
    use super::matches_wildcard;

    #[test]
    fn wildcard_is_greedy_without_backtracking() {
        assert!(matches_wildcard("*", "anything"));
        assert!(matches_wildcard("Read*", "Read sensitive file"));
        assert!(matches_wildcard("*file*", "Read sensitive file untrusted"));
        assert!(matches_wildcard("*a", "ba"));
        assert!(!matches_wildcard("*a", "aba"));
        assert!(!matches_wildcard("Read", "Read sensitive file"));
        assert!(matches_wildcard("a*b*c", "axxbyyc"));
        assert!(!matches_wildcard("a*b*c", "axxbyycd"));
    }
}
