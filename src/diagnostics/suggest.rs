//! "Did you mean": how far apart two names are, and which known name a misspelt one was meant
//! to be.

use std::cell::Cell;

/// Levenshtein distance between `a` and `b`, in characters: the fewest insertions, deletions
/// and substitutions that turn one into the other.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb { prev } else { 1 + prev.min(row[j]).min(row[j + 1]) };
            prev = cur;
        }
    }
    row[b.len()]
}

/// The candidate closest to `name` by edit distance, if it is close enough to be a typo: at
/// most a third of `name`'s characters (and at least one) differ. Ties go to the smallest name,
/// so the answer does not depend on the candidates' order.
///
/// Each candidate compared spends one unit of `budget`; once it is spent the answer is `None`.
/// This bounds the time a policy with thousands of unknown names can take.
pub fn closest<'x>(name: &str, candidates: impl Iterator<Item = &'x str>, budget: &Cell<usize>) -> Option<&'x str> {
    let len = name.chars().count();
    let limit = (len / 3).max(1);
    let mut best = None;
    for c in candidates {
        let left = budget.get();
        if left == 0 {
            return None;
        }
        budget.set(left - 1);
        // The distance is at least the difference in length: skip the far ones cheaply.
        if c.chars().count().abs_diff(len) > limit {
            continue;
        }
        let d = edit_distance(name, c);
        if d <= limit && best.is_none_or(|(bd, bc)| (d, c) < (bd, bc)) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_characters_not_bytes() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("reader", "reader"), 0);
        assert_eq!(edit_distance("reader", "raeder"), 2);
        assert_eq!(edit_distance("reader", "readers"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("équipe", "equipe"), 1);
    }

    #[test]
    fn closest_takes_a_typo_and_the_smallest_of_equals() {
        let budget = Cell::new(100);
        let known = ["reader", "writer", "admin", "readers"];
        assert_eq!(closest("reaedr", known.into_iter(), &budget), Some("reader"));
        assert_eq!(closest("readerz", known.into_iter(), &budget), Some("reader"));
        assert_eq!(closest("ab", known.into_iter(), &budget), None);
        assert_eq!(closest("x", ["a", "b"].into_iter(), &budget), Some("a"));
        assert_eq!(budget.get(), 100 - 14);
    }

    #[test]
    fn closest_stops_when_the_budget_is_spent() {
        let budget = Cell::new(1);
        assert_eq!(closest("reader", ["writer", "reader"].into_iter(), &budget), None);
        assert_eq!(budget.get(), 0);
        assert_eq!(closest("reader", ["reader"].into_iter(), &budget), None);
    }
}
