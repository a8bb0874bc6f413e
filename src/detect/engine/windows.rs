//! What the windows say: volume spikes per topic and overall, the negative share, the
//! crisis vocabulary.

use chrono::{DateTime, Utc};

use super::{fig, negative, Engine, ALL};
use crate::core::model::Mention;
use crate::detect::baseline::{binomial_tail, poisson_tail};
use crate::detect::Signal;

impl Engine {
    pub(super) fn spike(&mut self, key: &str, now: DateTime<Utc>) -> Option<Signal> {
        let len = self.cfg.spike_window.as_millis() as i64;
        let w = self
            .counts
            .window(key, now, len, self.cfg.baseline_days as i64, self.tz);
        let group = format!("spike:{key}");
        if w.expected.is_nan() {
            return None;
        }
        // Without three comparable days yet, the 12-hour rate misjudges the daily rhythm
        // (a morning after a quiet night): ask for far stronger evidence.
        let (floor, strict) = if w.samples >= 3 {
            (0.25, 1.0)
        } else {
            (1.0, 1e-3)
        };
        // One pseudo-event in the baseline (Laplace): a few empty days do not make a
        // handful of posts improbable.
        let smoothed = if w.samples > 0 {
            (w.expected * w.samples as f64 + 1.0) / (w.samples as f64 + 1.0)
        } else {
            w.expected
        };
        let lambda = smoothed.max(w.variance).max(floor);
        let p = poisson_tail(w.n, lambda) / strict;
        if (w.n as usize) < self.cfg.min_count || p >= self.cfg.warning_p {
            if p > 0.01 {
                self.close(&group);
            }
            return None;
        }
        if !self.raise(&group, w.n as usize) {
            return None;
        }
        let severity = if p < self.cfg.critical_p && w.n as usize >= self.cfg.critical_count {
            "critical"
        } else {
            "warning"
        };
        let topic = key.strip_prefix("topic:").map(str::to_string);
        let minutes = len / 60_000;
        let ev = self.evidence(now, chrono::Duration::milliseconds(len), key);
        let reason = format!(
            "{} mentions{} in the last {minutes} min, {:.1} expected at this time of day ({} comparable days); chance under the usual rate {:.0e}",
            w.n,
            topic.as_deref().map(|t| format!(" on {t}")).unwrap_or_default(),
            w.expected,
            w.samples,
            p
        );
        Some(Signal {
            id: 0,
            kind: "volume_spike".into(),
            severity: severity.into(),
            topic: topic.clone(),
            group_key: group,
            title: ev.first().map(|m| m.title.clone()).unwrap_or_default(),
            reason,
            at: now,
            evidence: ev.iter().take(20).map(|m| m.id).collect(),
            figures: fig(&[
                ("n", w.n.to_string()),
                ("minutes", minutes.to_string()),
                ("expected", format!("{:.1}", w.expected)),
                ("days", w.samples.to_string()),
                ("topic", topic.unwrap_or_else(|| "-".into())),
            ]),
        })
    }

    pub(super) fn negative_surge(&mut self, now: DateTime<Utc>) -> Option<Signal> {
        let len = self.cfg.spike_window.as_millis() as i64;
        let end = now.timestamp_millis();
        let (n, neg) = self.counts.sum(ALL, end, len);
        let (total7, neg7) = self.counts.sum(ALL, end - len, 7 * 24 * 3600 * 1000);
        let group = "negative:all".to_string();
        if total7 < 20 || (n as usize) < self.cfg.min_count {
            self.close(&group);
            return None;
        }
        let base = (neg7 as f64 / total7 as f64).clamp(0.05, 0.95);
        let share = neg as f64 / n as f64;
        let p = binomial_tail(neg, n, base);
        if share < base + self.cfg.negative_margin || p >= self.cfg.warning_p {
            if p > 0.01 {
                self.close(&group);
            }
            return None;
        }
        if !self.raise(&group, neg as usize) {
            return None;
        }
        let severity = if p < self.cfg.critical_p && neg as usize >= self.cfg.critical_count {
            "critical"
        } else {
            "warning"
        };
        let minutes = len / 60_000;
        let ev: Vec<i64> = self
            .evidence(now, chrono::Duration::milliseconds(len), ALL)
            .into_iter()
            .filter(|m| negative(m))
            .take(20)
            .map(|m| m.id)
            .collect();
        let title = self
            .recent
            .iter()
            .rev()
            .find(|m| negative(m))
            .map(|m| m.title.clone())
            .unwrap_or_default();
        Some(Signal {
            id: 0,
            kind: "negative_surge".into(),
            severity: severity.into(),
            topic: None,
            group_key: group,
            title,
            reason: format!(
                "{neg} of {n} mentions negative in the last {minutes} min ({:.0} %), against {:.0} % over the past 7 days",
                share * 100.0,
                base * 100.0
            ),
            at: now,
            evidence: ev,
            figures: fig(&[
                ("negative", neg.to_string()),
                ("n", n.to_string()),
                ("minutes", minutes.to_string()),
                ("share", format!("{:.0}", share * 100.0)),
                ("usual", format!("{:.0}", base * 100.0)),
            ]),
        })
    }

    pub(super) fn crisis(&mut self, now: DateTime<Utc>) -> Option<Signal> {
        let ms: Vec<Mention> = self.recent.iter().cloned().collect();
        let (probe, _) = self.vocab.evaluate(&ms, now, None);
        let key = probe
            .as_ref()
            .map(|s| s.group_key.clone())
            .unwrap_or_else(|| "crisis:all".into());
        let ep = self.episodes.get(&key).copied();
        let (signal, next) = self.vocab.evaluate(&ms, now, ep);
        if let Some(e) = next {
            if Some(e) != ep {
                self.episodes.insert(key.clone(), e);
                self.dirty.insert(key);
            }
        }
        signal
    }
}
