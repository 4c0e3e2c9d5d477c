//! `pmatch`: libsinsp's `path_prefix_search`. Every constant is split into path components
//! (on `/`, empty components dropped) below a dummy root; a value matches when the
//! components of some constant are a component-wise prefix of the value's components.
//! Since Falco 0.36 a constant component containing `?`, `*` or `[` is an `fnmatch`
//! pattern for one component. So `/opt/dir` matches `/opt/dir` and `/opt/dir/x` but not
//! `/opt/dir2/x` nor `/opt`; `/` (and the empty string) matches every path.
//!
//! The trie is libsinsp's: literal components in a hash map, glob components tried in
//! turn when the literal lookup fails; a shorter constant absorbs longer ones. (libsinsp
//! advances its component iterator once per *matching* glob sibling, a bug whose effect
//! depends on hash-map order; this implementation tries every glob sibling on the same
//! component.)

use std::collections::HashMap;

use super::glob::{has_wildcard, Glob};
use super::sets::FxBuild;

#[derive(Debug, Clone, Default)]
struct Node {
    /// Literal components.
    dirs: HashMap<Box<[u8]>, Entry, FxBuild>,
    /// Glob components.
    globs: Vec<(Glob, Box<[u8]>, Entry)>,
}

/// A trie entry: either a complete search path ends here (`None`) or it continues.
#[derive(Debug, Clone)]
enum Entry {
    End,
    Sub(Box<Node>),
}

/// A set of `pmatch` search paths.
#[derive(Debug, Clone, Default)]
pub struct PathSet {
    root: Node,
}

/// Splits a path into its non-empty `/`-separated components.
pub fn components(path: &[u8]) -> impl Iterator<Item = &[u8]> + Clone {
    path.split(|&c| c == b'/').filter(|c| !c.is_empty())
}

impl Node {
    fn add(&mut self, comps: &[&[u8]]) {
        let Some((first, rest)) = comps.split_first() else {
            return;
        };
        let glob = has_wildcard(first);
        let existing = if glob {
            self.globs
                .iter_mut()
                .find(|(_, p, _)| **p == **first)
                .map(|g| &mut g.2)
        } else {
            self.dirs.get_mut(*first)
        };
        match existing {
            // A shorter path replaces a longer subtree; a longer path under an existing
            // end is redundant.
            Some(entry) => {
                if rest.is_empty() {
                    *entry = Entry::End;
                } else if let Entry::Sub(n) = entry {
                    n.add(rest);
                }
            }
            None => {
                let entry = if rest.is_empty() {
                    Entry::End
                } else {
                    let mut n = Node::default();
                    n.add(rest);
                    Entry::Sub(Box::new(n))
                };
                if glob {
                    self.globs
                        .push((Glob::new(first, false), (*first).into(), entry));
                } else {
                    self.dirs.insert((*first).into(), entry);
                }
            }
        }
    }

    /// Whether the components `comps` (an iterator, cloned to try glob siblings: no
    /// allocation per value) continue a search path from this node.
    fn matches<'p>(&self, mut comps: impl Iterator<Item = &'p [u8]> + Clone) -> bool {
        let Some(first) = comps.next() else {
            return false;
        };
        if let Some(e) = self.dirs.get(first) {
            if Self::entry_matches(e, comps.clone()) {
                return true;
            }
        }
        self.globs
            .iter()
            .any(|(g, _, e)| g.matches(first) && Self::entry_matches(e, comps.clone()))
    }

    fn entry_matches<'p>(e: &Entry, rest: impl Iterator<Item = &'p [u8]> + Clone) -> bool {
        match e {
            Entry::End => true,
            Entry::Sub(n) => n.matches(rest),
        }
    }
}

const ROOT: &[u8] = b"root";

impl PathSet {
    /// Builds the set from the constants (paths).
    pub fn new<'a>(paths: impl IntoIterator<Item = &'a [u8]>) -> PathSet {
        let mut root = Node::default();
        for p in paths {
            let mut comps: Vec<&[u8]> = vec![ROOT];
            comps.extend(components(p));
            root.add(&comps);
        }
        PathSet { root }
    }

    /// Whether some search path is a component-wise prefix of `path`.
    pub fn matches(&self, path: &[u8]) -> bool {
        self.root
            .matches(std::iter::once(ROOT).chain(components(path)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pm(consts: &[&str], v: &str) -> bool {
        PathSet::new(consts.iter().map(|c| c.as_bytes())).matches(v.as_bytes())
    }

    #[test]
    fn prefixes() {
        let v = "/opt/dir/subdir/file.txt";
        assert!(pm(&["/opt/dir"], v));
        assert!(pm(&["/opt/dir/subdir"], v));
        assert!(!pm(&["/opt/dir2"], v));
        assert!(!pm(&["/opt/dir3", "/opt/dir2"], v));
        assert!(pm(&["/opt/dir3", "/opt/dir"], v));
        assert!(!pm(&["/opt/di"], v));
        assert!(pm(&["/opt/dir"], "/opt/dir"));
        assert!(!pm(&["/opt/dir/sub"], "/opt/dir"));
        assert!(pm(&["/"], "/anything"));
        assert!(pm(&["/"], "/"));
        assert!(
            pm(&["/opt//dir/"], "opt/dir/x"),
            "empty components are dropped"
        );
        assert!(
            pm(&["/usr/lib", "/usr"], "/usr/bin"),
            "shorter absorbs longer"
        );
        assert!(pm(&["/usr", "/usr/lib"], "/usr/bin"));
        assert!(!pm(&[], "/usr"));
    }

    #[test]
    fn globs() {
        let v = "/opt/dir/subdir/file.txt";
        assert!(pm(&["/opt/*"], v));
        assert!(pm(&["/opt/*/subdir"], v));
        assert!(pm(&["/opt/di[r]/subdir"], v));
        assert!(!pm(&["/opt/di[!r]/subdir"], v));
        assert!(!pm(&["/opt/*/subdir2"], v));
        assert!(pm(&["/opt/*/*"], v));
        assert!(!pm(&["/opt/*/*/subsubdir"], v));
        assert!(
            pm(&["/opt/d*/nomatch", "/opt/*r/subdir"], v),
            "every glob sibling is tried"
        );
        assert!(pm(&["/opt/*/subdir2", "/opt/dir"], v), "literal after glob");
    }
}
