//! Order statistics for the reports, with one stated definition.
//!
//! **Nearest rank**: the p-th percentile of n sorted values is the value at rank
//! ⌈p/100 × n⌉ (1-based), for 0 < p ≤ 100. The median is the 50th percentile by the same rule,
//! so for an even count it is the lower of the two middle values (not their mean): every
//! figure in a report is a time that actually occurred.

/// The p-th percentile (0 < p ≤ 100) by nearest rank, or `None` for no values.
///
/// ```
/// use rekam_service::stats::percentile;
/// let v = [15, 20, 35, 40, 50];
/// assert_eq!(percentile(&v, 30.0), Some(20)); // rank ⌈1.5⌉ = 2
/// assert_eq!(percentile(&v, 40.0), Some(20)); // rank ⌈2.0⌉ = 2
/// assert_eq!(percentile(&v, 50.0), Some(35)); // rank ⌈2.5⌉ = 3
/// assert_eq!(percentile(&v, 100.0), Some(50));
/// ```
pub fn percentile<T: Ord + Copy>(values: &[T], p: f64) -> Option<T> {
    if values.is_empty() || !(p > 0.0 && p <= 100.0) {
        return None;
    }
    let mut v = values.to_vec();
    v.sort();
    let n = v.len();
    // Integer arithmetic on hundredths avoids 0.9 × 10 = 9.000000000000002 → rank 10.
    let p100 = (p * 100.0).round() as u128;
    let rank = (p100 * n as u128).div_ceil(10_000) as usize;
    v.get(rank.clamp(1, n) - 1).copied()
}

/// The median by nearest rank (the lower middle value for an even count).
pub fn median<T: Ord + Copy>(values: &[T]) -> Option<T> {
    percentile(values, 50.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_examples() {
        // Ten completion times in minutes, sorted: 12 14 18 21 25 27 30 33 41 58.
        let v = [25, 12, 58, 33, 14, 27, 41, 18, 30, 21];
        // Median: rank ⌈0.5 × 10⌉ = 5 → 25 (the mean of 25 and 27 would be 26; not used).
        assert_eq!(median(&v), Some(25));
        // P90: rank ⌈0.9 × 10⌉ = 9 → 41.
        assert_eq!(percentile(&v, 90.0), Some(41));
        // Seven values 3 5 8 13 21 34 55: median rank ⌈3.5⌉ = 4 → 13; P90 rank ⌈6.3⌉ = 7 → 55.
        let w = [34, 3, 55, 8, 21, 5, 13];
        assert_eq!(median(&w), Some(13));
        assert_eq!(percentile(&w, 90.0), Some(55));
        // One value is every percentile.
        assert_eq!(percentile(&[7], 1.0), Some(7));
        assert_eq!(median::<i64>(&[]), None);
        assert_eq!(percentile(&[1, 2], 0.0), None);
    }
}
