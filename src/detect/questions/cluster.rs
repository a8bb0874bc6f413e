//! Groups questions by what they ask: each is a weighted bag of terms (rare terms and
//! concepts weigh more), and joins the group whose centre it is closest to, or starts a
//! new one. Questions that match a knowledge-base entry go to that entry's group, in any
//! language. One pass in time order, then one pass that moves each question to its
//! closest centre (so an early question is not stuck in the group it started).

use std::collections::HashMap;

/// How close (cosine) a question must be to a group's centre to join it.
const JOIN: f32 = 0.45;
/// Concepts name what is asked: each weighs this many times as much as the rarest
/// word, so "remboursement" outweighs the other words of a wording.
const CONCEPT_WEIGHT: f32 = 2.0;

/// A group being formed.
#[derive(Debug, Clone, Default)]
pub struct Cluster {
    /// Knowledge-base entry the group is about, when its questions match one.
    pub claim: Option<usize>,
    /// Sum of its members' vectors (term index → weight).
    centre: HashMap<u32, f32>,
    norm2: f32,
}

impl Cluster {
    fn similarity(&self, v: &[(u32, f32)]) -> f32 {
        if self.norm2 <= 0.0 {
            return 0.0;
        }
        let dot: f32 = v
            .iter()
            .map(|(t, w)| w * self.centre.get(t).copied().unwrap_or(0.0))
            .sum();
        dot / self.norm2.sqrt()
    }

    fn add(&mut self, v: &[(u32, f32)], sign: f32) {
        for (t, w) in v {
            let c = self.centre.entry(*t).or_default();
            self.norm2 += (*c + sign * w).powi(2) - c.powi(2);
            *c += sign * w;
        }
    }

    /// The centre's terms, heaviest first.
    pub fn top_terms(&self, n: usize) -> Vec<(u32, f32)> {
        let mut t: Vec<(u32, f32)> = self.centre.iter().map(|(k, v)| (*k, *v)).collect();
        t.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        t.truncate(n);
        t
    }
}

/// The result: each question's group, the groups, the term names, each question's
/// closeness to its group's centre.
#[derive(Debug, Default)]
pub struct Grouping {
    /// Group of each question (index into `clusters`).
    pub of: Vec<usize>,
    /// The groups.
    pub clusters: Vec<Cluster>,
    /// Term names by index.
    pub terms: Vec<String>,
    /// Closeness of each question to its group's centre (for the representative).
    pub closeness: Vec<f32>,
}

/// Groups questions given their terms and, for each, the knowledge-base entry it
/// matches.
pub fn group(docs: &[Vec<String>], claims: &[Option<usize>]) -> Grouping {
    let (vectors, terms) = vectors(docs);
    let n_docs = docs.len();
    let mut clusters: Vec<Cluster> = Vec::new();
    let mut by_claim: HashMap<usize, usize> = HashMap::new();
    // Terms → groups whose centre holds them, for candidates; terms in more than half
    // of the questions (the institution's name) do not make candidates.
    let mut df = vec![0usize; terms.len()];
    for v in &vectors {
        for (t, _) in v {
            df[*t as usize] += 1;
        }
    }
    let common = |t: u32| df[t as usize] * 2 > n_docs.max(10);
    let mut index: HashMap<u32, Vec<usize>> = HashMap::new();
    let mut of = vec![usize::MAX; n_docs];
    for (i, v) in vectors.iter().enumerate() {
        let g = if let Some(c) = claims[i] {
            *by_claim.entry(c).or_insert_with(|| {
                clusters.push(Cluster {
                    claim: Some(c),
                    ..Cluster::default()
                });
                clusters.len() - 1
            })
        } else {
            best(&clusters, &index, v, &common, None).unwrap_or_else(|| {
                clusters.push(Cluster::default());
                clusters.len() - 1
            })
        };
        for (t, _) in v {
            if !common(*t) && !clusters[g].centre.contains_key(t) {
                index.entry(*t).or_default().push(g);
            }
        }
        clusters[g].add(v, 1.0);
        of[i] = g;
    }
    // Second pass: each question not tied to an entry moves to its closest centre.
    for (i, v) in vectors.iter().enumerate() {
        if claims[i].is_some() || v.is_empty() {
            continue;
        }
        let g = of[i];
        clusters[g].add(v, -1.0);
        let to = best(&clusters, &index, v, &common, Some(g)).unwrap_or(g);
        clusters[to].add(v, 1.0);
        of[i] = to;
    }
    let closeness = vectors
        .iter()
        .zip(&of)
        .map(|(v, g)| clusters[*g].similarity(v))
        .collect();
    Grouping {
        of,
        clusters,
        terms,
        closeness,
    }
}

/// The closest group sharing a term with `v`, if close enough (`home`: where it comes
/// from, which it may return to at any closeness).
fn best(
    clusters: &[Cluster],
    index: &HashMap<u32, Vec<usize>>,
    v: &[(u32, f32)],
    common: &impl Fn(u32) -> bool,
    home: Option<usize>,
) -> Option<usize> {
    let mut candidates: Vec<usize> = v
        .iter()
        .filter(|(t, _)| !common(*t))
        .filter_map(|(t, _)| index.get(t))
        .flatten()
        .copied()
        .collect();
    candidates.extend(home);
    candidates.sort_unstable();
    candidates.dedup();
    candidates
        .into_iter()
        .map(|g| (g, clusters[g].similarity(v)))
        .filter(|(g, s)| *s >= JOIN || Some(*g) == home)
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(g, _)| g)
}

/// Unit vectors of tf-idf-like weights (each term once per question), and term names.
fn vectors(docs: &[Vec<String>]) -> (Vec<Vec<(u32, f32)>>, Vec<String>) {
    let mut ids: HashMap<&str, u32> = HashMap::new();
    let mut terms: Vec<String> = Vec::new();
    let mut df: Vec<usize> = Vec::new();
    let coded: Vec<Vec<u32>> = docs
        .iter()
        .map(|d| {
            d.iter()
                .map(|t| {
                    let id = *ids.entry(t.as_str()).or_insert_with(|| {
                        terms.push(t.clone());
                        df.push(0);
                        (terms.len() - 1) as u32
                    });
                    df[id as usize] += 1;
                    id
                })
                .collect()
        })
        .collect();
    let n = docs.len().max(1) as f32;
    let vectors = coded
        .into_iter()
        .map(|d| {
            let mut v: Vec<(u32, f32)> = d
                .into_iter()
                .map(|t| {
                    let w = if terms[t as usize].starts_with("c:") {
                        CONCEPT_WEIGHT * (1.0 + n).ln()
                    } else {
                        (1.0 + n / df[t as usize] as f32).ln()
                    };
                    (t, w)
                })
                .collect();
            let norm = v.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
            if norm > 0.0 {
                v.iter_mut().for_each(|(_, w)| *w /= norm);
            }
            v
        })
        .collect();
    (vectors, terms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn shared_concepts_group_and_entries_link_across_languages() {
        let docs = vec![
            doc(&["c:refund", "myminf"]),
            doc(&["c:refund"]),
            doc(&["c:password", "changer", "myminf"]),
            doc(&["c:password", "wijzig"]),
            doc(&["c:refund", "tarde"]),
            doc(&["c:phishing", "c:refund"]),
            doc(&["c:phishing", "c:refund", "legit"]),
        ];
        let claims = vec![None, None, None, None, None, Some(0), Some(0)];
        let g = group(&docs, &claims);
        assert_eq!(g.of[0], g.of[1]);
        assert_eq!(g.of[0], g.of[4]);
        assert_eq!(g.of[2], g.of[3]);
        assert_ne!(g.of[0], g.of[2]);
        assert_eq!(g.of[5], g.of[6]);
        assert_eq!(g.clusters[g.of[5]].claim, Some(0));
    }
}
