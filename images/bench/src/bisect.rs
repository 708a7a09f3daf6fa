//! The smallest memory size with which a program still runs, by bisection over a grid.
//!
//! The grid is `lo, lo + step, lo + 2 * step, ...` and `hi` itself (the last point even when
//! it is off the grid). Whether a size passes is assumed monotone (more memory never makes a
//! run fail); with `step > 1` the answer is exact only to the grid: the true minimum lies in
//! `(largest_failing, min]`.

/// The outcome of [`smallest_passing`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MinSize {
    /// `min` passes; `largest_failing` (when some size was seen failing) is the grid point
    /// below it, which failed.
    Found {
        min: u64,
        largest_failing: Option<u64>,
    },
    /// Even `hi` failed.
    AboveRange { hi: u64 },
}

impl MinSize {
    /// The smallest passing size, if any.
    pub fn min(self) -> Option<u64> {
        match self {
            MinSize::Found { min, .. } => Some(min),
            MinSize::AboveRange { .. } => None,
        }
    }
}

/// Bisects `[lo, hi]` on a grid of `step` for the smallest size where `pass` is true,
/// calling `pass` O(log n) times (first at `hi`, then at `lo`).
///
/// # Panics
/// When `lo > hi` or `step == 0` (programming errors of the caller, not input).
pub fn smallest_passing(lo: u64, hi: u64, step: u64, mut pass: impl FnMut(u64) -> bool) -> MinSize {
    assert!(
        lo <= hi && step > 0,
        "bad bisection range {lo}..={hi} step {step}"
    );
    let points = (hi - lo) / step + 1 + u64::from(!(hi - lo).is_multiple_of(step));
    let at = |i: u64| (lo + i * step).min(hi);
    if !pass(hi) {
        return MinSize::AboveRange { hi };
    }
    if points == 1 || pass(lo) {
        return MinSize::Found {
            min: lo,
            largest_failing: None,
        };
    }
    // Invariant: at(fail) fails, at(ok) passes.
    let (mut fail, mut ok) = (0, points - 1);
    while ok - fail > 1 {
        let mid = fail + (ok - fail) / 2;
        if pass(at(mid)) {
            ok = mid;
        } else {
            fail = mid;
        }
    }
    MinSize::Found {
        min: at(ok),
        largest_failing: Some(at(fail)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(lo: u64, hi: u64, step: u64, threshold: u64) -> (MinSize, Vec<u64>) {
        let mut asked = Vec::new();
        let result = smallest_passing(lo, hi, step, |m| {
            asked.push(m);
            m >= threshold
        });
        (result, asked)
    }

    #[test]
    fn finds_the_exact_minimum_in_1_mib_steps() {
        for threshold in 1..=64 {
            let (result, asked) = run(1, 64, 1, threshold);
            let expect_fail = (threshold > 1).then(|| threshold - 1);
            assert_eq!(
                result,
                MinSize::Found {
                    min: threshold,
                    largest_failing: expect_fail
                }
            );
            assert!(asked.len() <= 8, "{threshold}: {asked:?}");
            assert_eq!(asked[0], 64);
        }
    }

    #[test]
    fn nothing_passes() {
        let (result, asked) = run(16, 512, 1, 1000);
        assert_eq!(result, MinSize::AboveRange { hi: 512 });
        assert_eq!(asked, vec![512]);
        assert_eq!(result.min(), None);
    }

    #[test]
    fn coarse_grid_brackets_the_minimum() {
        // Grid 64, 96, 128 and hi = 140 (off the grid).
        let (result, _) = run(64, 140, 32, 83);
        assert_eq!(
            result,
            MinSize::Found {
                min: 96,
                largest_failing: Some(64)
            }
        );
        let (result, _) = run(64, 140, 32, 130);
        assert_eq!(
            result,
            MinSize::Found {
                min: 140,
                largest_failing: Some(128)
            }
        );
        let (result, asked) = run(64, 140, 32, 10);
        assert_eq!(
            result,
            MinSize::Found {
                min: 64,
                largest_failing: None
            }
        );
        assert_eq!(asked, vec![140, 64]);
    }

    #[test]
    fn single_point_range() {
        let (result, asked) = run(8, 8, 1, 8);
        assert_eq!(
            result,
            MinSize::Found {
                min: 8,
                largest_failing: None
            }
        );
        assert_eq!(asked, vec![8]);
    }
}
