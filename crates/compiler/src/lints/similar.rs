//! Spelling similarity for "did you mean" suggestions.

/// The optimal-string-alignment distance between `a` and `b` (insertions, deletions,
/// substitutions and transpositions of adjacent characters each cost 1), compared
/// ASCII-case-insensitively; `None` as soon as it must exceed `max`.
pub(crate) fn distance(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().map(|c| c.to_ascii_lowercase()).collect();
    let b: Vec<char> = b.chars().map(|c| c.to_ascii_lowercase()).collect();
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let w = b.len() + 1;
    let mut prev2 = vec![0usize; w];
    let mut prev: Vec<usize> = (0..w).collect();
    let mut cur = vec![0usize; w];
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    let d = prev[b.len()];
    (d <= max).then_some(d)
}

/// The largest distance at which a word of this length gets a suggestion.
pub(crate) fn threshold(word: &str) -> usize {
    match word.chars().count() {
        0..=3 => 0,
        4..=5 => 1,
        6..=12 => 2,
        _ => 3,
    }
}

/// The candidate closest to `word` within [`threshold`] (the first of equally close
/// ones), never `word` itself.
pub(crate) fn suggest<'c, I>(word: &str, candidates: I) -> Option<&'c str>
where
    I: IntoIterator<Item = &'c str>,
{
    let max = threshold(word);
    if max == 0 {
        return None;
    }
    let mut best: Option<(usize, &'c str)> = None;
    for c in candidates {
        if c == word {
            continue;
        }
        let limit = best.map_or(max, |(d, _)| d.saturating_sub(1));
        if let Some(d) = distance(word, c, limit) {
            if best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, c));
            }
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("proc.nme", "proc.name", 3), Some(1));
        assert_eq!(distance("porc.name", "proc.name", 3), Some(1));
        assert_eq!(distance("condtion", "condition", 2), Some(1));
        assert_eq!(distance("abc", "xyz", 2), None);
        assert_eq!(distance("Priority", "priority", 0), Some(0));
    }

    #[test]
    fn suggestions() {
        let c = ["proc.name", "proc.pname", "fd.name"];
        assert_eq!(suggest("proc.nme", c), Some("proc.name"));
        assert_eq!(suggest("zzzz.qqq", c), None);
        assert_eq!(suggest("ab", ["abc"]), None);
    }
}
