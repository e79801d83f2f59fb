//! The TTL grammar, checked at compile time: `"90s"`, `"15m"`, `"1h30m"`, `"500ms"`, `"7d"` or
//! `"never"`.

/// A parsed TTL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ttl {
    /// Entries never expire.
    Never,
    /// Entries expire after this many milliseconds (never zero).
    Millis(u64),
}

const UNITS: [(&str, u64); 5] = [
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// Redis keeps expiry times as signed 64-bit milliseconds since the epoch; staying well below
/// that leaves room for "now". A hundred years is longer than any cache entry needs.
const MAX_MILLIS: u64 = 100 * 365 * 86_400_000;

pub(crate) const EXAMPLES: &str = "\"90s\", \"15m\", \"1h30m\", \"500ms\", \"7d\" or \"never\"";

/// Parses a TTL. The error says what is wrong, in a sentence that can follow "invalid ttl: ".
pub(crate) fn parse(text: &str) -> Result<Ttl, String> {
    if text == "never" {
        return Ok(Ttl::Never);
    }
    if text.is_empty() {
        return Err(format!(
            "it is empty; expected a duration such as {EXAMPLES}"
        ));
    }
    if text.starts_with('-') {
        return Err("a TTL cannot be negative".to_owned());
    }
    let mut rest = text;
    let mut total: u64 = 0;
    // Index into UNITS of the last unit used: units must come largest first, each at most once.
    let mut last_unit: Option<usize> = None;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(format!(
                "expected a number at `{rest}`; write a duration such as {EXAMPLES}"
            ));
        }
        let (number, after) = rest.split_at(digits);
        let letters = after.bytes().take_while(u8::is_ascii_alphabetic).count();
        let (unit, after) = after.split_at(letters);
        if after.starts_with('.') {
            return Err(
                "fractions are not supported; write \"1h30m\" rather than \"1.5h\"".to_owned(),
            );
        }
        let Some(unit_index) = UNITS.iter().position(|(name, _)| *name == unit) else {
            return Err(if unit.is_empty() {
                format!("`{number}` has no unit; use ms, s, m, h or d, as in \"{number}s\"")
            } else {
                format!("unknown unit `{unit}`; use ms, s, m, h or d")
            });
        };
        if last_unit.is_some_and(|last| last >= unit_index) {
            return Err(format!(
                "units must each appear once, largest first (as in \"1h30m\"); `{unit}` is out of place"
            ));
        }
        last_unit = Some(unit_index);
        let amount = number
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(UNITS[unit_index].1))
            .and_then(|ms| total.checked_add(ms))
            .filter(|total| *total <= MAX_MILLIS)
            .ok_or_else(|| {
                "it is too long; the longest TTL is 100 years (or use \"never\")".to_owned()
            })?;
        total = amount;
        rest = after;
    }
    if total == 0 {
        return Err(
            "a TTL of zero would store nothing; use a positive duration, or remove the \
                    attribute to stop caching"
                .to_owned(),
        );
    }
    Ok(Ttl::Millis(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_forms() {
        assert_eq!(parse("90s"), Ok(Ttl::Millis(90_000)));
        assert_eq!(parse("15m"), Ok(Ttl::Millis(900_000)));
        assert_eq!(parse("1h30m"), Ok(Ttl::Millis(5_400_000)));
        assert_eq!(parse("500ms"), Ok(Ttl::Millis(500)));
        assert_eq!(parse("7d"), Ok(Ttl::Millis(604_800_000)));
        assert_eq!(parse("1d2h3m4s5ms"), Ok(Ttl::Millis(93_784_005)));
        assert_eq!(parse("1ms"), Ok(Ttl::Millis(1)));
        assert_eq!(parse("never"), Ok(Ttl::Never));
    }

    #[test]
    fn rejects_zero_negative_and_garbage() {
        for bad in [
            "", "0s", "0h0m", "-5s", "5", "5x", "abc", "1.5h", "1h 30m", "30m1h", "1h1h", "ms",
            "5sec", "Never", "1H",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn rejects_overflow() {
        assert!(parse("99999999999999999999s").is_err());
        assert!(parse("40000d").is_err());
        assert_eq!(parse("36500d"), Ok(Ttl::Millis(MAX_MILLIS)));
    }

    #[test]
    fn errors_explain_themselves() {
        assert!(parse("5").unwrap_err().contains("no unit"));
        assert!(parse("5x").unwrap_err().contains("unknown unit `x`"));
        assert!(parse("0s").unwrap_err().contains("zero"));
        assert!(parse("-1s").unwrap_err().contains("negative"));
        assert!(parse("1.5h").unwrap_err().contains("1h30m"));
    }
}
