//! `vigie eval`: accuracy, macro-F1 and confusion matrices against gold labels,
//! per language and overall. For sentiment, the classes scored are those present in the
//! gold data; a predicted class absent from gold (e.g. "neutral" on binary
//! positive/negative data) simply counts as a miss for the gold class.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::SentimentLabel;

/// One gold line of an evaluation file.
#[derive(Debug, Clone, Deserialize)]
pub struct Gold {
    /// Line id (echoed in errors).
    #[serde(default)]
    pub id: Option<String>,
    /// The text.
    pub text: String,
    /// Gold language, if annotated.
    #[serde(default)]
    pub lang: Option<String>,
    /// Gold sentiment, if annotated.
    #[serde(default)]
    pub sentiment: Option<String>,
    /// Gold topics, if annotated.
    #[serde(default)]
    pub topics: Option<Vec<String>>,
}

/// Scores for one group of texts.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Block {
    /// Texts with a gold sentiment.
    pub n: usize,
    /// Share of exact matches.
    pub accuracy: f64,
    /// Mean F1 over the gold classes.
    pub macro_f1: f64,
    /// F1 per gold class.
    pub f1: BTreeMap<String, f64>,
    /// Rows: gold; columns: predicted; both in the order negative, neutral, positive.
    pub confusion: [[usize; 3]; 3],
}

/// The whole report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    /// Sentiment over everything.
    pub overall: Option<Block>,
    /// Sentiment per gold (or identified) language.
    pub per_language: BTreeMap<String, Block>,
    /// Language identification accuracy, when gold languages are present: (n, accuracy).
    pub language: Option<(usize, f64)>,
    /// Topic micro-F1, when gold topics are present: (n, micro_f1).
    pub topics: Option<(usize, f64)>,
}

fn idx(l: SentimentLabel) -> usize {
    match l {
        SentimentLabel::Negative => 0,
        SentimentLabel::Neutral => 1,
        SentimentLabel::Positive => 2,
    }
}

const NAMES: [&str; 3] = ["negative", "neutral", "positive"];

/// Scores (gold, predicted) sentiment pairs.
pub fn block(pairs: &[(SentimentLabel, SentimentLabel)]) -> Block {
    let mut m = [[0usize; 3]; 3];
    for (g, p) in pairs {
        m[idx(*g)][idx(*p)] += 1;
    }
    let n = pairs.len();
    let correct: usize = (0..3).map(|i| m[i][i]).sum();
    let mut f1 = BTreeMap::new();
    for c in 0..3 {
        let gold: usize = m[c].iter().sum();
        if gold == 0 {
            continue;
        }
        let predicted: usize = (0..3).map(|r| m[r][c]).sum();
        let tp = m[c][c] as f64;
        let p = if predicted == 0 {
            0.0
        } else {
            tp / predicted as f64
        };
        let r = tp / gold as f64;
        f1.insert(
            NAMES[c].to_string(),
            if p + r == 0.0 {
                0.0
            } else {
                2.0 * p * r / (p + r)
            },
        );
    }
    let macro_f1 = if f1.is_empty() {
        0.0
    } else {
        f1.values().sum::<f64>() / f1.len() as f64
    };
    Block {
        n,
        accuracy: if n == 0 {
            0.0
        } else {
            correct as f64 / n as f64
        },
        macro_f1,
        f1,
        confusion: m,
    }
}

/// Topic micro-F1 over (gold set, predicted set) pairs.
pub fn topic_micro_f1(pairs: &[(Vec<String>, Vec<String>)]) -> f64 {
    let (mut tp, mut fp, mut fneg) = (0usize, 0usize, 0usize);
    for (g, p) in pairs {
        tp += p.iter().filter(|x| g.contains(x)).count();
        fp += p.iter().filter(|x| !g.contains(x)).count();
        fneg += g.iter().filter(|x| !p.contains(x)).count();
    }
    let denom = 2 * tp + fp + fneg;
    if denom == 0 {
        1.0
    } else {
        2.0 * tp as f64 / denom as f64
    }
}

/// Human-readable rendering: one table per language and overall.
pub fn render(r: &Report) -> String {
    let mut s = String::new();
    let mut one = |name: &str, b: &Block| {
        s.push_str(&format!(
            "{name}: n={} accuracy={:.3} macro-F1={:.3}",
            b.n, b.accuracy, b.macro_f1
        ));
        for (k, v) in &b.f1 {
            s.push_str(&format!(" F1[{k}]={v:.3}"));
        }
        s.push_str("\n  gold \\ predicted   negative  neutral  positive\n");
        for (i, row) in b.confusion.iter().enumerate() {
            if row.iter().sum::<usize>() > 0 {
                s.push_str(&format!(
                    "  {:<18} {:>8} {:>8} {:>9}\n",
                    NAMES[i], row[0], row[1], row[2]
                ));
            }
        }
    };
    for (lang, b) in &r.per_language {
        one(&format!("sentiment [{lang}]"), b);
    }
    if let Some(b) = &r.overall {
        one("sentiment [all]", b);
    }
    if let Some((n, a)) = r.language {
        s.push_str(&format!("language: n={n} accuracy={a:.3}\n"));
    }
    if let Some((n, f)) = r.topics {
        s.push_str(&format!("topics: n={n} micro-F1={f:.3}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use SentimentLabel::*;

    #[test]
    fn hand_computed_binary_case_with_a_neutral_miss() {
        // gold neg: 3 (2 predicted neg, 1 neutral); gold pos: 2 (1 pos, 1 neg)
        let pairs = [
            (Negative, Negative),
            (Negative, Negative),
            (Negative, Neutral),
            (Positive, Positive),
            (Positive, Negative),
        ];
        let b = block(&pairs);
        assert_eq!(b.n, 5);
        assert!((b.accuracy - 0.6).abs() < 1e-9);
        // neg: P = 2/3, R = 2/3 -> F1 = 2/3; pos: P = 1/1, R = 1/2 -> F1 = 2/3
        assert!((b.f1["negative"] - 2.0 / 3.0).abs() < 1e-9);
        assert!((b.f1["positive"] - 2.0 / 3.0).abs() < 1e-9);
        assert!(
            !b.f1.contains_key("neutral"),
            "neutral is not a gold class here"
        );
        assert!((b.macro_f1 - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(b.confusion[0], [2, 1, 0]);
        assert_eq!(b.confusion[2], [1, 0, 1]);
    }

    #[test]
    fn topic_micro_f1_by_hand() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        // tp = 2, fp = 1, fn = 1 -> 4 / 6
        let f = topic_micro_f1(&[(s(&["a", "b"]), s(&["a", "c"])), (s(&["d"]), s(&["d"]))]);
        assert!((f - 4.0 / 6.0).abs() < 1e-9);
    }
}
