//! How numbers read in the report: durations with about three significant digits, rates in
//! thousands per second, ratios with two decimals.

use std::time::Duration;

use crate::stats::Latency;

pub(super) fn latency(latency: &Latency) -> String {
    latency_pair(latency.p50, latency.p99)
}

pub(super) fn latency_pair(p50: Duration, p99: Duration) -> String {
    format!("{} / {}", duration(p50), duration(p99))
}

pub(super) fn p50_p99(p50: Duration, p99: Duration) -> String {
    format!("p50 {}, p99 {}", duration(p50), duration(p99))
}

/// `85 ns`, `8.4 µs`, `45 µs`, `1.25 ms`, `12.5 ms`, `200 ms`, `1.02 s`.
pub(super) fn duration(duration: Duration) -> String {
    let micros = duration.as_secs_f64() * 1e6;
    if micros < 1.0 {
        format!("{:.0} ns", micros * 1e3)
    } else if micros < 10.0 {
        format!("{micros:.1} µs")
    } else if micros < 1_000.0 {
        format!("{micros:.0} µs")
    } else if micros < 10_000.0 {
        format!("{:.2} ms", micros / 1e3)
    } else if micros < 100_000.0 {
        format!("{:.1} ms", micros / 1e3)
    } else if micros < 1_000_000.0 {
        format!("{:.0} ms", micros / 1e3)
    } else {
        format!("{:.2} s", micros / 1e6)
    }
}

/// `950/s`, `19.3k/s`.
pub(super) fn rate(per_second: f64) -> String {
    rate_of("", per_second)
}

/// `950 hits/s`, `19.3k hits/s` for `what` = `"hits"`.
pub(super) fn rate_of(what: &str, per_second: f64) -> String {
    let space = if what.is_empty() { "" } else { " " };
    if per_second < 1_000.0 {
        format!("{per_second:.0}{space}{what}/s")
    } else {
        format!("{:.1}k{space}{what}/s", per_second / 1e3)
    }
}

pub(super) fn ratio(ratio: f64) -> String {
    format!("{ratio:.2}×")
}

/// `100,086`.
pub(super) fn thousands(value: usize) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_keep_three_significant_digits_or_so() {
        assert_eq!(duration(Duration::from_nanos(85)), "85 ns");
        assert_eq!(duration(Duration::from_nanos(8_420)), "8.4 µs");
        assert_eq!(duration(Duration::from_micros(45)), "45 µs");
        assert_eq!(duration(Duration::from_micros(1_250)), "1.25 ms");
        assert_eq!(duration(Duration::from_micros(12_500)), "12.5 ms");
        assert_eq!(duration(Duration::from_millis(200)), "200 ms");
        assert_eq!(duration(Duration::from_millis(1_020)), "1.02 s");
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(thousands(233), "233");
        assert_eq!(thousands(100_086), "100,086");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }

    #[test]
    fn rates_and_ratios() {
        assert_eq!(rate(950.0), "950/s");
        assert_eq!(rate(19_345.0), "19.3k/s");
        assert_eq!(rate_of("hits", 19_345.0), "19.3k hits/s");
        assert_eq!(ratio(1.049), "1.05×");
    }
}
