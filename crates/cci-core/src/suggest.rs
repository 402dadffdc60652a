//! "did you mean" for unknown names.

/// The closest candidate, if one is close enough to be a plausible typo. Only candidates of
/// about the same length can score high enough, so only they are compared, and at most
/// `COMPARED` of the first `SCANNED` (in the caller's order): in a site with thousands of
/// fleets, thousands of unknown names must not cost thousands of comparisons each.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    const SCANNED: usize = 4096;
    const COMPARED: usize = 512;
    let len = name.len();
    candidates
        .into_iter()
        .take(SCANNED)
        .filter(|c| c.len() + 3 >= len && c.len() <= len + 3)
        .take(COMPARED)
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

/// `Some("did you mean `x`?")` when a close candidate exists.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// How alike two names are, 0 to 1 (Jaro-Winkler).
pub fn similarity(a: &str, b: &str) -> f64 {
    strsim::jaro_winkler(a, b)
}

/// `similarity(a, b) >= min`, answered without comparing when the characters the two share
/// cannot score that much (the secret scan asks it of every word of a site).
///
/// Jaro is (m/|a| + m/|b| + (m - t)/m) / 3 with m matches, at most the characters the two
/// have in common (with multiplicity); Winkler's prefix boost (only above 0.7) is at most
/// 0.4 (1 - jaro). So a score of `min` needs jaro >= min, or above 0.7 and >= (min - 0.4) / 0.6.
pub fn similar_at_least(a: &str, b: &str, min: f64) -> bool {
    let (la, lb) = (a.chars().count(), b.chars().count());
    if la == 0 || lb == 0 {
        return similarity(a, b) >= min;
    }
    let mut left: Vec<char> = b.chars().collect();
    let mut common = 0usize;
    for c in a.chars() {
        if let Some(i) = left.iter().position(|x| *x == c) {
            left.swap_remove(i);
            common += 1;
        }
    }
    let c = common as f64;
    let best_jaro = if common == 0 {
        0.0
    } else {
        (c / la as f64 + c / lb as f64 + 1.0) / 3.0
    };
    let needed = min.min(((min - 0.4) / 0.6).max(0.7));
    best_jaro + 1e-9 >= needed && similarity(a, b) >= min
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_finds_its_name_and_a_stranger_finds_none() {
        let names = ["services", "nomad", "admins", "users"];
        assert_eq!(closest("nomda", names), Some("nomad"));
        assert_eq!(closest("admin", names), Some("admins"));
        assert_eq!(closest("postgres", names), None);
    }

    /// Every string of up to 4 letters from an alphabet around the targets, and each target
    /// with one letter changed, dropped or added: the bound never refuses what the score
    /// accepts.
    #[test]
    fn the_bound_refuses_only_what_the_score_refuses() {
        let targets = ["passphrase", "password"];
        let alphabet: Vec<char> = "pasword_hex1".chars().collect();
        let mut words: Vec<String> = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = words
                .iter()
                .flat_map(|w| alphabet.iter().map(move |c| format!("{w}{c}")))
                .collect();
            words.extend(longer);
        }
        words.sort();
        words.dedup();
        for t in targets {
            for i in 0..=t.len() {
                words.push(format!("{}{}", &t[..i], &t[(i + 1).min(t.len())..]));
                for c in alphabet.iter().chain(&['z', 'é']) {
                    words.push(format!("{}{c}{}", &t[..i], &t[(i + 1).min(t.len())..]));
                    words.push(format!("{}{c}{}", &t[..i], &t[i..]));
                }
            }
        }
        let mut accepted = 0;
        for w in &words {
            for t in targets {
                for min in [0.5, 0.7, 0.8, 0.85, 0.9] {
                    let score = similarity(w, t) >= min;
                    assert_eq!(similar_at_least(w, t, min), score, "{w} {t} {min}");
                    accepted += usize::from(score);
                }
            }
        }
        assert!(accepted > 1000, "{accepted}");
    }

    #[test]
    fn names_of_another_length_are_not_compared() {
        // "nomad-clients" is a prefix match Jaro-Winkler would rate highly; five letters
        // longer, it is not a typo of "nomad".
        assert_eq!(closest("nomad", ["nomad-clients"]), None);
    }
}
