//! Measuring how well signatures separate people, on a labelled set of faces (e.g.
//! a folder of `<person>/<photo>`): every pair of faces is a *genuine* pair (same
//! label) or an *impostor* pair (different labels), and a threshold is judged by the
//! share of genuine pairs it accepts (true-match rate) and of impostor pairs it
//! accepts (false-match rate). Pure functions, no model needed: the CLI prints them.

use crate::Embedding;

/// Summary of one set of scores (cosine similarities).
#[derive(Debug, Clone, PartialEq)]
pub struct Distribution {
    pub count: usize,
    pub min: f32,
    pub p5: f32,
    pub p50: f32,
    pub p95: f32,
    pub max: f32,
    /// Counts per bin of [`HISTOGRAM_BIN`] width, from [`HISTOGRAM_START`] up to 1.0
    /// (scores below the start fall in the first bin).
    pub histogram: Vec<usize>,
}

/// Lower edge of the first histogram bin.
pub const HISTOGRAM_START: f32 = -0.2;
/// Width of each histogram bin.
pub const HISTOGRAM_BIN: f32 = 0.05;

/// Rates of one threshold (a pair matches when its score is ≥ the threshold).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rates {
    pub threshold: f32,
    /// Genuine pairs accepted / genuine pairs (1.0 when there are none).
    pub true_match_rate: f64,
    /// Impostor pairs accepted / impostor pairs (0.0 when there are none).
    pub false_match_rate: f64,
    pub genuine_rejected: usize,
    pub impostors_accepted: usize,
}

/// Everything `findme eval-faces` prints.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub faces: usize,
    pub labels: usize,
    /// None when the set has no pair of that kind.
    pub genuine: Option<Distribution>,
    pub impostor: Option<Distribution>,
    /// At the threshold asked for (normally [`crate::DEFAULT_MATCH_THRESHOLD`]).
    pub at_threshold: Rates,
    /// At the threshold that separates this set best (see [`best_threshold`]).
    pub best: Option<Rates>,
}

/// Scores of every genuine and every impostor pair of `faces` (NaN scores dropped).
pub fn pair_scores<L: PartialEq>(faces: &[(L, Embedding)]) -> (Vec<f32>, Vec<f32>) {
    let (mut genuine, mut impostor) = (Vec::new(), Vec::new());
    for (i, (la, ea)) in faces.iter().enumerate() {
        for (lb, eb) in &faces[i + 1..] {
            let score = ea.cosine(eb);
            if score.is_nan() {
                continue;
            }
            if la == lb {
                genuine.push(score);
            } else {
                impostor.push(score);
            }
        }
    }
    (genuine, impostor)
}

/// Min, percentiles (nearest rank), max and histogram; None for no scores.
pub fn distribution(scores: &[f32]) -> Option<Distribution> {
    let mut sorted: Vec<f32> = scores.iter().copied().filter(|s| !s.is_nan()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f32::total_cmp);
    let at = |p: f64| {
        let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1]
    };
    let bins = ((1.0 - HISTOGRAM_START) / HISTOGRAM_BIN).round() as usize;
    let mut histogram = vec![0; bins];
    for &s in &sorted {
        let i = ((s - HISTOGRAM_START) / HISTOGRAM_BIN).floor();
        let i = if i.is_finite() && i > 0.0 {
            i as usize
        } else {
            0
        };
        histogram[i.min(bins - 1)] += 1;
    }
    Some(Distribution {
        count: sorted.len(),
        min: sorted[0],
        p5: at(0.05),
        p50: at(0.5),
        p95: at(0.95),
        max: sorted[sorted.len() - 1],
        histogram,
    })
}

/// True- and false-match rates at `threshold`.
pub fn rates_at(genuine: &[f32], impostor: &[f32], threshold: f32) -> Rates {
    let genuine_rejected = genuine
        .iter()
        .filter(|&&s| s.is_nan() || s < threshold)
        .count();
    let impostors_accepted = impostor.iter().filter(|&&s| s >= threshold).count();
    Rates {
        threshold,
        true_match_rate: if genuine.is_empty() {
            1.0
        } else {
            1.0 - genuine_rejected as f64 / genuine.len() as f64
        },
        false_match_rate: if impostor.is_empty() {
            0.0
        } else {
            impostors_accepted as f64 / impostor.len() as f64
        },
        genuine_rejected,
        impostors_accepted,
    }
}

/// The threshold with the lowest sum of the two error rates (missed genuine share +
/// accepted impostor share), placed in the middle of the widest gap between scores
/// that reaches it, so a perfectly separated set gets the midpoint between its
/// highest impostor and lowest genuine score. None unless both kinds are present.
pub fn best_threshold(genuine: &[f32], impostor: &[f32]) -> Option<f32> {
    let clean = |v: &[f32]| {
        v.iter()
            .copied()
            .filter(|s| !s.is_nan())
            .collect::<Vec<_>>()
    };
    let (genuine, impostor) = (clean(genuine), clean(impostor));
    if genuine.is_empty() || impostor.is_empty() {
        return None;
    }
    let mut all: Vec<f32> = genuine.iter().chain(&impostor).copied().collect();
    all.sort_by(f32::total_cmp);
    all.dedup();
    // Candidates: midpoints between consecutive distinct scores, and just outside.
    let mut candidates = vec![(all[0] - 0.01, 0.0f32)];
    for pair in all.windows(2) {
        candidates.push(((pair[0] + pair[1]) / 2.0, pair[1] - pair[0]));
    }
    candidates.push((all[all.len() - 1] + 0.01, 0.0));
    let error = |t: f32| {
        let r = rates_at(&genuine, &impostor, t);
        (1.0 - r.true_match_rate) + r.false_match_rate
    };
    candidates
        .into_iter()
        .map(|(t, gap)| (error(t), -gap, t))
        .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)))
        .map(|(_, _, t)| t)
}

/// The full evaluation of labelled `faces` at `threshold`.
pub fn evaluate<L: PartialEq>(faces: &[(L, Embedding)], threshold: f32) -> Evaluation {
    let (genuine, impostor) = pair_scores(faces);
    let mut labels: Vec<&L> = Vec::new();
    for (label, _) in faces {
        if !labels.contains(&label) {
            labels.push(label);
        }
    }
    Evaluation {
        faces: faces.len(),
        labels: labels.len(),
        genuine: distribution(&genuine),
        impostor: distribution(&impostor),
        at_threshold: rates_at(&genuine, &impostor, threshold),
        best: best_threshold(&genuine, &impostor).map(|t| rates_at(&genuine, &impostor, t)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(angle: f32) -> Embedding {
        let mut v = [0f32; 128];
        v[0] = angle.cos();
        v[1] = angle.sin();
        Embedding(v)
    }

    #[test]
    fn pairs_rates_and_threshold() {
        // a: two faces 0.2 rad apart (cos 0.98); b: far from both.
        let faces = vec![("a", unit(0.0)), ("a", unit(0.2)), ("b", unit(1.4))];
        let (g, i) = pair_scores(&faces);
        assert_eq!(g.len(), 1);
        assert_eq!(i.len(), 2);
        assert!((g[0] - 0.2f32.cos()).abs() < 1e-6);
        let r = rates_at(&g, &i, 0.5);
        assert_eq!((r.true_match_rate, r.false_match_rate), (1.0, 0.0));
        let r = rates_at(&g, &i, 0.99);
        assert_eq!((r.genuine_rejected, r.true_match_rate), (1, 0.0));
        // Perfect separation: midpoint between the highest impostor and the genuine score.
        let best = best_threshold(&g, &i).unwrap();
        let top_impostor = 1.2f32.cos();
        assert!((best - (top_impostor + g[0]) / 2.0).abs() < 1e-6, "{best}");
        let e = evaluate(&faces, 0.363);
        assert_eq!((e.faces, e.labels), (3, 2));
        assert_eq!(e.best.unwrap().false_match_rate, 0.0);
        assert!(best_threshold(&g, &[]).is_none());
    }

    #[test]
    fn distribution_percentiles_and_histogram() {
        let scores: Vec<f32> = (0..100).map(|i| i as f32 / 100.0).collect();
        let d = distribution(&scores).unwrap();
        assert_eq!((d.count, d.min, d.max), (100, 0.0, 0.99));
        assert_eq!((d.p5, d.p50, d.p95), (0.04, 0.49, 0.94));
        assert_eq!(d.histogram.iter().sum::<usize>(), 100);
        assert_eq!(d.histogram.len(), 24);
        // 0.00-0.04 land in the bin starting at 0.0 (index 4).
        assert_eq!(d.histogram[4], 5);
        assert!(distribution(&[]).is_none());
        assert_eq!(distribution(&[-5.0, f32::NAN]).unwrap().histogram[0], 1);
    }
}
