//! The duration grammar of `ttl`, `stale`, `lock_ttl` and `lock_wait`, checked at compile time:
//! `"90s"`, `"15m"`, `"1h30m"`, `"500ms"`, `"7d"` or `"never"`.

use super::key::Key;

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

pub(crate) const EXAMPLES: &str = "\"90s\", \"15m\", \"1h30m\", \"500ms\" or \"7d\"";

/// What is wrong with a duration literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TtlError {
    Empty,
    Negative,
    Whitespace,
    Fraction,
    ExpectedNumber(String),
    NoUnit(String),
    UnknownUnit(String),
    UnitOutOfPlace(String),
    TooLong,
    Zero,
}

impl TtlError {
    /// The reason, worded for the argument `key` (`ttl`, `stale`, `lock_ttl` or `lock_wait`).
    pub(crate) fn describe(&self, key: Key) -> String {
        let never = if key == Key::Ttl {
            " (or \"never\")"
        } else {
            ""
        };
        match self {
            Self::Empty => format!("it is empty; expected a duration such as {EXAMPLES}{never}"),
            Self::Negative => "a duration cannot be negative".to_owned(),
            Self::Whitespace => {
                "spaces are not allowed; write \"1h30m\", not \"1h 30m\"".to_owned()
            }
            Self::Fraction => {
                "fractions are not supported; write \"1h30m\" rather than \"1.5h\"".to_owned()
            }
            Self::ExpectedNumber(rest) => {
                format!("expected a number at `{rest}`; write a duration such as {EXAMPLES}{never}")
            }
            Self::NoUnit(number) => {
                format!("`{number}` has no unit; use ms, s, m, h or d, as in \"{number}s\"")
            }
            Self::UnknownUnit(unit) => format!("unknown unit `{unit}`; use ms, s, m, h or d"),
            Self::UnitOutOfPlace(unit) => format!(
                "units must each appear once, largest first (as in \"1h30m\"); `{unit}` is out of place"
            ),
            Self::TooLong => format!("it is too long; the longest duration is 100 years{never}"),
            Self::Zero => match key {
                Key::Ttl => "a TTL of zero would store nothing; use a positive duration, or \
                             `policy = \"no_cache\"` to stop caching"
                    .to_owned(),
                Key::LockWait => "a zero lock_wait would never wait for another caller; use a \
                                  positive duration, or `lock = false`"
                    .to_owned(),
                _ => format!("`{}` must be a positive duration", key.name()),
            },
        }
    }
}

/// Parses a duration literal.
pub(crate) fn parse(text: &str) -> Result<Ttl, TtlError> {
    if text == "never" {
        return Ok(Ttl::Never);
    }
    if text.is_empty() {
        return Err(TtlError::Empty);
    }
    if text.starts_with('-') {
        return Err(TtlError::Negative);
    }
    if text.chars().any(char::is_whitespace) {
        return Err(TtlError::Whitespace);
    }
    let mut rest = text;
    let mut total: u64 = 0;
    // Index into UNITS of the last unit used: units must come largest first, each at most once.
    let mut last_unit: Option<usize> = None;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(TtlError::ExpectedNumber(rest.to_owned()));
        }
        let (number, after) = rest.split_at(digits);
        if after.starts_with('.') {
            return Err(TtlError::Fraction);
        }
        let letters = after.bytes().take_while(u8::is_ascii_alphabetic).count();
        let (unit, after) = after.split_at(letters);
        let Some(unit_index) = UNITS.iter().position(|(name, _)| *name == unit) else {
            return Err(if unit.is_empty() {
                TtlError::NoUnit(number.to_owned())
            } else {
                TtlError::UnknownUnit(unit.to_owned())
            });
        };
        if last_unit.is_some_and(|last| last >= unit_index) {
            return Err(TtlError::UnitOutOfPlace(unit.to_owned()));
        }
        last_unit = Some(unit_index);
        total = number
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(UNITS[unit_index].1))
            .and_then(|ms| total.checked_add(ms))
            .filter(|total| *total <= MAX_MILLIS)
            .ok_or(TtlError::TooLong)?;
        rest = after;
    }
    if total == 0 {
        return Err(TtlError::Zero);
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
        let reason = |text: &str, key: Key| parse(text).unwrap_err().describe(key);
        assert!(reason("5", Key::Ttl).contains("no unit"));
        assert!(reason("5x", Key::Ttl).contains("unknown unit `x`"));
        assert!(reason("0s", Key::Ttl).contains("store nothing"));
        assert!(reason("0s", Key::LockWait).contains("lock = false"));
        assert_eq!(
            reason("0s", Key::LockTtl),
            "`lock_ttl` must be a positive duration"
        );
        assert!(reason("-1s", Key::Ttl).contains("negative"));
        assert!(reason("1.5h", Key::Ttl).contains("1h30m"));
        assert!(reason("5 weeks", Key::Ttl).contains("spaces"));
        assert!(reason("abc", Key::Ttl).contains("never"));
        assert!(!reason("abc", Key::LockTtl).contains("never"));
    }
}
