//! Spelling similarity for "did you mean" suggestions.

/// The optimal-string-alignment distance between `a` and `b` (insertions, deletions,
/// substitutions and transpositions of adjacent characters each cost 1), compared
/// ASCII-case-insensitively; `None` as soon as it must exceed `max`.
pub(crate) fn distance(a: &str, b: &str, max: usize) -> Option<usize> {
    if a.is_ascii() && b.is_ascii() {
        // Bytes are characters: no conversion, no allocation for the words themselves.
        return osa(a.as_bytes(), b.as_bytes(), max, |x, y| {
            x.eq_ignore_ascii_case(y)
        });
    }
    let a: Vec<char> = a.chars().map(|c| c.to_ascii_lowercase()).collect();
    let b: Vec<char> = b.chars().map(|c| c.to_ascii_lowercase()).collect();
    osa(&a, &b, max, |x, y| x == y)
}

/// The optimal-string-alignment distance of two sequences under `eq`, or `None` once a
/// whole row exceeds `max`.
fn osa<T: Copy>(a: &[T], b: &[T], max: usize, eq: impl Fn(&T, &T) -> bool) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let w = b.len() + 1;
    // Three rows; on the stack for the usual word lengths.
    let mut stack = [0usize; 3 * 64];
    let mut heap = Vec::new();
    let rows: &mut [usize] = if 3 * w <= stack.len() {
        &mut stack[..3 * w]
    } else {
        heap.resize(3 * w, 0);
        &mut heap
    };
    let (mut p2, mut p1, mut cu) = (0, w, 2 * w);
    for (j, v) in rows[p1..p1 + w].iter_mut().enumerate() {
        *v = j;
    }
    // Only cells within `max` of the diagonal can be at most `max` (a cell (i, j) is at
    // least |i - j|); the others count as `max + 1`, which leaves every value up to `max`
    // exact: a value at most `max` is reached through cells at most `max`, all in the band.
    let far = max + 1;
    for i in 1..=a.len() {
        rows[cu] = if i <= max { i } else { far };
        let lo = i.saturating_sub(max).max(1);
        let hi = (i + max).min(b.len());
        if lo > 1 {
            rows[cu + lo - 1] = far;
        }
        if hi < b.len() {
            rows[cu + hi + 1] = far;
        }
        let mut row_min = if i <= max { i } else { far };
        for j in lo..=hi {
            let cost = usize::from(!eq(&a[i - 1], &b[j - 1]));
            let mut v = (rows[p1 + j] + 1)
                .min(rows[cu + j - 1] + 1)
                .min(rows[p1 + j - 1] + cost);
            if i > 1 && j > 1 && eq(&a[i - 1], &b[j - 2]) && eq(&a[i - 2], &b[j - 1]) {
                v = v.min(rows[p2 + j - 2] + 1);
            }
            rows[cu + j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return None;
        }
        (p2, p1, cu) = (p1, cu, p2);
    }
    let d = rows[p1 + b.len()];
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
        // Non-ASCII words go through characters, not bytes.
        assert_eq!(distance("prôc.name", "proc.name", 2), Some(1));
        assert_eq!(distance("ab", "ba", 1), Some(1));
        // Longer than the stack rows.
        let long_a = "x".repeat(100);
        let long_b = format!("{}y", "x".repeat(99));
        assert_eq!(distance(&long_a, &long_b, 2), Some(1));
    }

    #[test]
    fn band_matches_full_table() {
        // With `max` at least the longer length the band is the whole table.
        let words = [
            "shell_binaries",
            "shell_binary",
            "shel_binaries",
            "hsell_binaries",
            "sensitive",
            "sensitve",
            "sensitive_files",
            "k8s_containers",
            "k8s_container",
            "ab",
            "",
        ];
        for a in words {
            for b in words {
                let full = distance(a, b, 64);
                for max in 0..4 {
                    assert_eq!(
                        distance(a, b, max),
                        full.filter(|d| *d <= max),
                        "{a} {b} {max}"
                    );
                }
            }
        }
    }

    #[test]
    fn suggestions() {
        let c = ["proc.name", "proc.pname", "fd.name"];
        assert_eq!(suggest("proc.nme", c), Some("proc.name"));
        assert_eq!(suggest("zzzz.qqq", c), None);
        assert_eq!(suggest("ab", ["abc"]), None);
    }
}
