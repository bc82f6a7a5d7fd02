//! Whether an event's `timestamp` is a date the collector can order: an ISO 8601 date or
//! date-time in the forms SQLite's date functions read (`2025-01-31`,
//! `2025-01-31T12:00`, `2025-01-31T12:00:00.123Z`, `2025-01-31 12:00:00+02:00`), which is
//! what every Segment library and `Date.prototype.toISOString` write.
//!
//! The reports order events by this field through SQLite, so accepting a form SQLite
//! cannot read would quietly move the event to the time it was received. This module
//! only answers yes or no; it never converts, and it needs no clock.

/// Whether `text` is a calendar date (month and day checked, leap years included),
/// optionally followed by `T` or a space, `HH:MM[:SS[.fraction]]` and `Z` or `±HH:MM`
/// (at most 14 hours, as SQLite reads it).
pub fn is_date_time(text: &str) -> bool {
    let mut p = Cursor(text.as_bytes());
    date(&mut p).is_some() && (p.0.is_empty() || time(&mut p).is_some() && p.0.is_empty())
}

/// `YYYY-MM-DD`, a day that exists.
fn date(p: &mut Cursor) -> Option<()> {
    let year = p.number(4)?;
    p.byte(b'-')?;
    let month = p.number(2)?;
    p.byte(b'-')?;
    let day = p.number(2)?;
    ((1..=12).contains(&month) && (1..=days_in_month(year, month)).contains(&day)).then_some(())
}

/// `THH:MM[:SS[.fraction]]` and an optional zone, from the separator on.
fn time(p: &mut Cursor) -> Option<()> {
    p.byte(b'T').or_else(|| p.byte(b' '))?;
    clock(p, 23)?;
    if p.byte(b':').is_some() {
        if p.number(2)? > 59 {
            return None;
        }
        if p.byte(b'.').is_some() {
            p.number(1)?;
            while p.number(1).is_some() {}
        }
    }
    if p.byte(b'Z').is_some() {
        return Some(());
    }
    if p.byte(b'+').or_else(|| p.byte(b'-')).is_some() {
        // Real offsets run from -12:00 to +14:00; SQLite reads up to 14 hours either way.
        clock(p, 14)?;
    }
    Some(())
}

/// `HH:MM` with HH up to `max_hours` and MM 00-59: a time of day or a zone offset.
fn clock(p: &mut Cursor, max_hours: u32) -> Option<()> {
    let hours = p.number(2)?;
    p.byte(b':')?;
    let minutes = p.number(2)?;
    (hours <= max_hours && minutes <= 59).then_some(())
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The unread rest of the text.
struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    /// Exactly `digits` ASCII digits, as a number.
    fn number(&mut self, digits: usize) -> Option<u32> {
        let (head, rest) = self.0.split_at_checked(digits)?;
        if !head.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.0 = rest;
        Some(head.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    }

    fn byte(&mut self, expected: u8) -> Option<()> {
        let (&first, rest) = self.0.split_first()?;
        (first == expected).then(|| self.0 = rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &[&str] = &[
        "2025-01-31",
        "2025-01-31T12:00",
        "2025-01-31T12:00:59",
        "2025-01-31T12:00:00Z",
        "2025-01-31T12:00:00.000Z",
        "2025-01-31T12:00:00.123456789Z",
        "2025-01-31 12:00:00",
        "2025-01-31T12:00:00+02:00",
        "2025-01-31T12:00:00.5-14:59",
        "2025-01-31T12:00:00-00:30",
        "2024-02-29T00:00:00Z",
        "2000-02-29",
    ];

    const BAD: &[&str] = &[
        "",
        "yesterday",
        "1738324800000",
        "2025-1-31",
        "25-01-31",
        "2025-13-01",
        "2025-00-10",
        "2025-02-29",
        "1900-02-29",
        "2025-04-31",
        "2025-01-00",
        "2025-01-31T",
        "2025-01-31T24:00",
        "2025-01-31T12:60",
        "2025-01-31T12:00:60Z",
        "2025-01-31T12:00:00.Z",
        "2025-01-31T12:00:00ZZ",
        "2025-01-31T12:00:00+0200",
        "2025-01-31T12:00:00+15:00",
        "2025-01-31t12:00:00z",
        "2025-01-31Z",
        " 2025-01-31",
        "２０２５-01-31",
    ];

    #[test]
    fn accepts_iso_dates_and_date_times() {
        for text in GOOD {
            assert!(is_date_time(text), "{text}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_calendar_date_time() {
        for text in BAD {
            assert!(!is_date_time(text), "{text}");
        }
    }

    #[test]
    fn every_accepted_form_is_one_sqlite_reads() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for text in GOOD {
            let t: Option<f64> = conn
                .query_row("SELECT unixepoch(?1, 'subsec')", [text], |r| r.get(0))
                .unwrap();
            assert!(t.is_some(), "SQLite cannot read {text}");
        }
    }
}
