//! The working-day clock behind every due time: working hours in local time, weekends,
//! public holidays of the configured country (movable feasts from Easter), and extra
//! closing days. Time is UTC inside; the calendar converts at the edges, DST-safe.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

/// Countries whose public holidays we know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Country {
    /// Belgium (federal public holidays).
    Be,
    /// France (jours fériés, metropolitan).
    Fr,
}

impl Country {
    /// "BE" | "FR" (case-insensitive).
    pub fn parse(s: &str) -> Option<Country> {
        match s.to_ascii_uppercase().as_str() {
            "BE" => Some(Country::Be),
            "FR" => Some(Country::Fr),
            _ => None,
        }
    }
}

/// A working calendar.
#[derive(Debug, Clone)]
pub struct Calendar {
    tz: Tz,
    country: Country,
    open: NaiveTime,
    close: NaiveTime,
    extra_closed: Vec<NaiveDate>,
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid fixed date")
}

/// The public holidays of a year, with their names.
pub fn holidays(country: Country, year: i32) -> Vec<(NaiveDate, &'static str)> {
    let easter = computus::gregorian_naive(year).expect("year in range");
    let mut v = vec![
        (ymd(year, 1, 1), "New Year's Day"),
        (easter + Duration::days(1), "Easter Monday"),
        (ymd(year, 5, 1), "Labour Day"),
        (easter + Duration::days(39), "Ascension Day"),
        (easter + Duration::days(50), "Whit Monday"),
        (ymd(year, 8, 15), "Assumption"),
        (ymd(year, 11, 1), "All Saints' Day"),
        (ymd(year, 11, 11), "Armistice Day"),
        (ymd(year, 12, 25), "Christmas Day"),
    ];
    match country {
        Country::Be => v.push((ymd(year, 7, 21), "Belgian National Day")),
        Country::Fr => {
            v.push((ymd(year, 5, 8), "Victory in Europe Day"));
            v.push((ymd(year, 7, 14), "Bastille Day"));
        }
    }
    v.sort();
    v
}

impl Calendar {
    /// `open`..`close` are local working hours; `extra_closed` adds closing days
    /// (e.g. 15 November and 26 December in Belgian federal administrations).
    pub fn new(
        tz: Tz,
        country: Country,
        open: NaiveTime,
        close: NaiveTime,
        extra_closed: Vec<NaiveDate>,
    ) -> Calendar {
        Calendar {
            tz,
            country,
            open,
            close,
            extra_closed,
        }
    }

    /// Why a date is closed (weekend, holiday name, extra closing day), or None if open.
    pub fn closed_because(&self, d: NaiveDate) -> Option<&'static str> {
        if matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            return Some("weekend");
        }
        if let Some((_, name)) = holidays(self.country, d.year())
            .into_iter()
            .find(|(h, _)| *h == d)
        {
            return Some(name);
        }
        self.extra_closed.contains(&d).then_some("closing day")
    }

    /// True on a working day.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        self.closed_because(d).is_none()
    }

    fn at(&self, d: NaiveDate, t: NaiveTime) -> DateTime<Utc> {
        local_time(d, t, self.tz)
    }

    /// Adds `amount` of working time to `from`: the clock runs only during working hours
    /// on working days. A message outside working hours starts the clock at the next opening.
    pub fn add_working_time(&self, from: DateTime<Utc>, amount: Duration) -> DateTime<Utc> {
        let mut left = amount;
        let mut day = from.with_timezone(&self.tz).date_naive();
        for _ in 0..3660 {
            if self.is_working_day(day) {
                let start = self.at(day, self.open).max(from);
                let end = self.at(day, self.close);
                if start < end {
                    let avail = end - start;
                    if left <= avail {
                        return start + left;
                    }
                    left -= avail;
                }
            }
            day += Duration::days(1);
        }
        from + amount
    }

    /// Working time between `from` and `to` (zero when `to` is not later): what the
    /// clock of [`Calendar::add_working_time`] counts, so the two are inverse.
    pub fn working_time_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        let mut total = Duration::zero();
        let mut day = from.with_timezone(&self.tz).date_naive();
        let last = to.with_timezone(&self.tz).date_naive();
        while day <= last {
            if self.is_working_day(day) {
                let start = self.at(day, self.open).max(from);
                let end = self.at(day, self.close).min(to);
                if start < end {
                    total += end - start;
                }
            }
            day += Duration::days(1);
        }
        total
    }

    /// Length of one working day (close − open).
    pub fn working_day(&self) -> Duration {
        self.close - self.open
    }

    /// Due time `days` working days after `from` (working time, as above).
    pub fn add_working_days(&self, from: DateTime<Utc>, days: u32) -> DateTime<Utc> {
        self.add_working_time(from, self.working_day() * days as i32)
    }

    /// The start of the first working day strictly after `from`'s local date plus `n - 1`
    /// working days: "within n working days" read as the end of the n-th working day.
    pub fn end_of_nth_working_day(&self, from: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        let mut day = from.with_timezone(&self.tz).date_naive();
        let mut count = 0;
        loop {
            day += Duration::days(1);
            if self.is_working_day(day) {
                count += 1;
                if count == n {
                    return self.at(day, self.close);
                }
            }
        }
    }

    /// The same local date-time `months` calendar months later (end of month clamped),
    /// e.g. the date at which silence counts as acceptance (two months).
    pub fn add_months(&self, from: DateTime<Utc>, months: u32) -> DateTime<Utc> {
        let local = from.with_timezone(&self.tz);
        let d = local
            .date_naive()
            .checked_add_months(chrono::Months::new(months))
            .unwrap_or(local.date_naive());
        match self.tz.from_local_datetime(&d.and_time(local.time())) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
            LocalResult::None => self.at(d, local.time()),
        }
    }
}

/// When the digest of a local `date` is due: `at` local time, DST-safe. A time that does
/// not exist that day (spring forward) moves to the first minute after the gap; a time
/// that happens twice (fall back) is taken the first time.
pub fn local_time(date: NaiveDate, at: NaiveTime, tz: Tz) -> DateTime<Utc> {
    let mut local = date.and_time(at);
    for _ in 0..(4 * 60) {
        match tz.from_local_datetime(&local) {
            LocalResult::Single(t) => return t.with_timezone(&Utc),
            LocalResult::Ambiguous(first, _) => return first.with_timezone(&Utc),
            LocalResult::None => local += Duration::minutes(1),
        }
    }
    Utc.from_utc_datetime(&date.and_time(at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn be() -> Calendar {
        Calendar::new(
            "Europe/Brussels".parse().unwrap(),
            Country::Be,
            NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
            vec![ymd(2026, 11, 15), ymd(2026, 12, 26)],
        )
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn belgian_holidays_2026_and_2027() {
        type Holiday = (u32, u32, &'static str);
        let table: &[(i32, &[Holiday])] = &[
            (
                2026,
                &[
                    (1, 1, "New Year's Day"),
                    (4, 6, "Easter Monday"),
                    (5, 1, "Labour Day"),
                    (5, 14, "Ascension Day"),
                    (5, 25, "Whit Monday"),
                    (7, 21, "Belgian National Day"),
                    (8, 15, "Assumption"),
                    (11, 1, "All Saints' Day"),
                    (11, 11, "Armistice Day"),
                    (12, 25, "Christmas Day"),
                ],
            ),
            (
                2027,
                &[
                    (1, 1, "New Year's Day"),
                    (3, 29, "Easter Monday"),
                    (5, 1, "Labour Day"),
                    (5, 6, "Ascension Day"),
                    (5, 17, "Whit Monday"),
                    (7, 21, "Belgian National Day"),
                    (8, 15, "Assumption"),
                    (11, 1, "All Saints' Day"),
                    (11, 11, "Armistice Day"),
                    (12, 25, "Christmas Day"),
                ],
            ),
        ];
        for (year, want) in table {
            let got: Vec<(u32, u32, &str)> = holidays(Country::Be, *year)
                .into_iter()
                .map(|(d, n)| (d.month(), d.day(), n))
                .collect();
            assert_eq!(&got, want, "{year}");
        }
        let c = be();
        assert_eq!(
            c.closed_because(ymd(2026, 7, 21)),
            Some("Belgian National Day")
        );
        assert_eq!(c.closed_because(ymd(2026, 11, 15)), Some("weekend")); // a Sunday in 2026
        assert_eq!(c.closed_because(ymd(2026, 12, 26)), Some("weekend"));
        assert!(c.is_working_day(ymd(2026, 11, 24)));
        assert!(holidays(Country::Fr, 2026)
            .iter()
            .any(|(d, n)| *d == ymd(2026, 7, 14) && *n == "Bastille Day"));
    }

    #[test]
    fn one_working_day_due_times() {
        let c = be();
        let cases: &[(&str, &str, &str)] = &[
            // received (UTC), due (UTC), why
            (
                "2026-11-25T09:00:00Z",
                "2026-11-26T09:00:00Z",
                "Wednesday 10:00 -> Thursday 10:00",
            ),
            (
                "2026-11-27T07:00:00Z",
                "2026-11-27T16:00:00Z",
                "Friday 08:00 -> Friday 17:00: a full working day",
            ),
            (
                "2026-11-28T10:00:00Z",
                "2026-11-30T16:00:00Z",
                "Saturday -> clock starts Monday 08:00, due Monday 17:00",
            ),
            (
                "2026-05-22T15:55:00Z",
                "2026-05-26T15:00:00Z",
                "Friday 17:55 before Whit Monday -> Tuesday 17:00",
            ),
            (
                "2026-07-17T15:55:00Z",
                "2026-07-20T15:00:00Z",
                "Friday 17:55, Monday 20 July works -> Monday 17:00",
            ),
            (
                "2026-07-20T15:55:00Z",
                "2026-07-22T15:00:00Z",
                "Monday 17:55 before 21 July -> Wednesday 17:00",
            ),
            (
                "2026-11-10T16:55:00Z",
                "2026-11-12T16:00:00Z",
                "Tuesday 17:55 before 11 November -> Thursday 17:00",
            ),
            (
                "2027-10-29T11:00:00Z",
                "2027-11-02T12:00:00Z",
                "Friday 13:00 CEST before All Saints Monday -> Tuesday 13:00 CET",
            ),
            (
                "2027-12-24T15:00:00Z",
                "2027-12-27T15:00:00Z",
                "Friday 16:00, Christmas on Saturday -> Monday 16:00",
            ),
            (
                "2026-03-27T09:00:00Z",
                "2026-03-30T08:00:00Z",
                "Friday 10:00 CET -> Monday 10:00 CEST (clocks forward)",
            ),
            (
                "2026-10-23T08:00:00Z",
                "2026-10-26T09:00:00Z",
                "Friday 10:00 CEST -> Monday 10:00 CET (clocks back)",
            ),
        ];
        for (from, due, why) in cases {
            assert_eq!(c.add_working_days(utc(from), 1), utc(due), "{why}");
        }
    }

    #[test]
    fn partial_days_and_calendar_months() {
        let c = Calendar::new(
            "Europe/Brussels".parse().unwrap(),
            Country::Be,
            NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
            vec![],
        );
        // Friday 17:55 with 10-hour days: 5 minutes on Friday, the rest on Tuesday after Whit Monday.
        assert_eq!(
            c.add_working_days(utc("2026-05-22T15:55:00Z"), 1),
            utc("2026-05-26T15:55:00Z")
        );
        // Two months, for "silence means acceptance".
        assert_eq!(
            c.add_months(utc("2026-11-24T10:00:00Z"), 2),
            utc("2027-01-24T10:00:00Z")
        );
        assert_eq!(
            c.add_months(utc("2026-12-31T10:00:00Z"), 2),
            utc("2027-02-28T10:00:00Z")
        );
        // "within 1 working day" as the end of the next working day.
        assert_eq!(
            c.end_of_nth_working_day(utc("2026-05-22T15:55:00Z"), 1),
            utc("2026-05-26T16:00:00Z")
        );
    }

    #[test]
    fn working_time_between_is_the_inverse_of_adding_it() {
        let cal = be();
        // Friday 3 April 2026 16:00 → Easter Monday closed → Tuesday 7 April 09:00:
        // one hour on Friday and one on Tuesday.
        let from = utc("2026-04-03T14:00:00Z");
        let to = utc("2026-04-07T07:00:00Z");
        assert_eq!(cal.working_time_between(from, to), Duration::hours(2));
        assert_eq!(cal.working_time_between(to, from), Duration::zero());
        for (start, hours) in [
            ("2026-04-03T14:00:00Z", 3),
            ("2026-03-27T16:30:00Z", 9),
            ("2026-10-23T06:00:00Z", 20),
            ("2027-12-24T15:59:00Z", 1),
        ] {
            let a = utc(start);
            let b = cal.add_working_time(a, Duration::hours(hours));
            assert_eq!(
                cal.working_time_between(a, b),
                Duration::hours(hours),
                "{start}"
            );
        }
    }
}
