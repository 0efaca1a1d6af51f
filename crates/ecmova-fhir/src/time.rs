//! FHIR R4 `date`, `dateTime` and `instant` values as seconds since 1970-01-01T00:00:00Z.
//!
//! Accepted forms (FHIR R4 datatypes): `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, and
//! `YYYY-MM-DDThh:mm:ss[.fff](Z|+hh:mm|-hh:mm)`. A date without a time is a span: it is read
//! as its first second ([`parse`]) or as its whole span ([`parse_span`]) where that matters
//! (a birth date). A time without a zone is refused, as FHIR requires one.

/// Seconds since the Unix epoch (UTC).
pub type Seconds = i64;

/// Days from 1970-01-01 to the civil date (proleptic Gregorian), H. Hinnant's algorithm.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number (inverse of [`days_from_civil`]).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    days_from_civil(
        if m == 12 { y + 1 } else { y },
        if m == 12 { 1 } else { m + 1 },
        1,
    ) - days_from_civil(y, m, 1)
}

fn num(s: &str, len: usize) -> Option<i64> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Parses a FHIR date/dateTime/instant to its first second, UTC.
pub fn parse(s: &str) -> Result<Seconds, String> {
    parse_span(s).map(|(a, _)| a)
}

/// Parses a FHIR date/dateTime/instant to the span it denotes `[first, last]` in seconds,
/// UTC (a full date-time is a span of one second).
pub fn parse_span(s: &str) -> Result<(Seconds, Seconds), String> {
    let bad = || {
        format!("`{s}` is not a FHIR date-time (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss+zz:zz)")
    };
    let (date, time) = match s.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let parts: Vec<&str> = date.split('-').collect();
    let y = parts.first().and_then(|p| num(p, 4)).ok_or_else(bad)?;
    let m = match parts.get(1) {
        Some(p) => Some(num(p, 2).filter(|m| (1..=12).contains(m)).ok_or_else(bad)?),
        None => None,
    };
    let d = match (parts.get(2), m) {
        (Some(p), Some(m)) => Some(
            num(p, 2)
                .filter(|d| *d >= 1 && *d <= days_in_month(y, m))
                .ok_or_else(bad)?,
        ),
        (None, _) => None,
        _ => return Err(bad()),
    };
    if parts.len() > 3 {
        return Err(bad());
    }
    match (m, d, time) {
        (None, _, None) => {
            let a = days_from_civil(y, 1, 1) * 86_400;
            let b = days_from_civil(y + 1, 1, 1) * 86_400 - 1;
            Ok((a, b))
        }
        (Some(m), None, None) => {
            let a = days_from_civil(y, m, 1) * 86_400;
            Ok((a, a + days_in_month(y, m) * 86_400 - 1))
        }
        (Some(m), Some(d), None) => {
            let a = days_from_civil(y, m, d) * 86_400;
            Ok((a, a + 86_399))
        }
        (Some(m), Some(d), Some(t)) => {
            let (clock, offset) = if let Some(c) = t.strip_suffix('Z') {
                (c, 0)
            } else {
                let i = t.rfind(['+', '-']).ok_or_else(|| {
                    format!("`{s}`: a FHIR date-time with a time needs a zone (Z or +hh:mm)")
                })?;
                let (c, z) = t.split_at(i);
                let sign = if z.starts_with('-') { -1 } else { 1 };
                let (zh, zm) = z[1..].split_once(':').ok_or_else(bad)?;
                let zh = num(zh, 2).filter(|h| *h <= 14).ok_or_else(bad)?;
                let zm = num(zm, 2).filter(|m| *m < 60).ok_or_else(bad)?;
                (c, sign * (zh * 3600 + zm * 60))
            };
            let mut hms = clock.split(':');
            let h = hms.next().and_then(|p| num(p, 2)).filter(|h| *h < 24);
            let mi = hms.next().and_then(|p| num(p, 2)).filter(|m| *m < 60);
            let sec_text = hms.next().ok_or_else(bad)?;
            let whole = sec_text.split('.').next().unwrap_or("");
            let frac_ok = sec_text
                .split_once('.')
                .is_none_or(|(_, f)| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
            let sec = num(whole, 2).filter(|x| *x < 61 && frac_ok);
            match (h, mi, sec, hms.next()) {
                (Some(h), Some(mi), Some(sec), None) => {
                    let t = days_from_civil(y, m, d) * 86_400 + h * 3600 + mi * 60 + sec - offset;
                    Ok((t, t))
                }
                _ => Err(bad()),
            }
        }
        _ => Err(bad()),
    }
}

/// Formats seconds as `YYYY-MM-DDThh:mm:ssZ`.
pub fn format(t: Seconds) -> String {
    let days = t.div_euclid(86_400);
    let s = t.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

/// Completed years of age at `at` for a birth date `birth` (`YYYY-MM-DD`, or a partial date):
/// `Ok(years)` when every day the birth date may denote gives the same completed years,
/// otherwise `Err((min, max))`.
pub fn completed_years(birth: &str, at: Seconds) -> Result<Result<i64, (i64, i64)>, String> {
    let (first, last) = parse_span(birth)?;
    let at_day = at.div_euclid(86_400);
    let years = |born_day: i64| {
        let (by, bm, bd) = civil_from_days(born_day);
        let (ay, am, ad) = civil_from_days(at_day);
        let mut age = ay - by;
        if (am, ad) < (bm, bd) {
            age -= 1;
        }
        age
    };
    let oldest = years(first.div_euclid(86_400));
    let youngest = years(last.div_euclid(86_400));
    Ok(if oldest == youngest {
        Ok(oldest)
    } else {
        Err((youngest, oldest))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_zones() {
        let t = parse("2026-03-01T10:20:30Z").unwrap();
        assert_eq!(format(t), "2026-03-01T10:20:30Z");
        assert_eq!(parse("2026-03-01T12:20:30+02:00").unwrap(), t);
        assert_eq!(parse("2026-03-01T05:20:30.123-05:00").unwrap(), t);
        assert_eq!(format(parse("1970-01-01").unwrap()), "1970-01-01T00:00:00Z");
        assert_eq!(
            parse("2024-02-29").unwrap() + 86_400,
            parse("2024-03-01").unwrap()
        );
    }

    #[test]
    fn refused() {
        for s in [
            "2026-13-01",
            "2025-02-29",
            "2026-03-01T10:20:30",
            "26-03-01",
            "2026-03-01T25:00:00Z",
            "2026-03-01 10:00:00Z",
            "",
        ] {
            assert!(parse(s).is_err(), "{s}");
        }
    }

    #[test]
    fn ages() {
        let at = parse("2026-06-15T12:00:00Z").unwrap();
        assert_eq!(completed_years("1968-06-15", at).unwrap(), Ok(58));
        assert_eq!(completed_years("1968-06-16", at).unwrap(), Ok(57));
        // A birth year alone is ambiguous unless every day of it gives the same age.
        assert_eq!(completed_years("1968", at).unwrap(), Err((57, 58)));
        assert_eq!(completed_years("1968-01", at).unwrap(), Ok(58));
    }
}
