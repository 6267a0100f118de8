//! Civil dates from Unix time, for the date extension (RFC 5260). The
//! caller supplies the current time: the engine reads no clock.

/// A point in time with the UTC offset it is shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub unix: i64,
    /// Offset from UTC in minutes, east positive.
    pub offset_minutes: i32,
}

impl DateTime {
    /// A time shown in UTC.
    pub fn utc(unix: i64) -> Self {
        DateTime {
            unix,
            offset_minutes: 0,
        }
    }

    /// The same instant shown in another zone.
    pub fn with_offset(self, offset_minutes: i32) -> Self {
        DateTime {
            unix: self.unix,
            offset_minutes,
        }
    }

    /// Fields in the local zone: (year, month, day, hour, min, sec, days since epoch).
    fn fields(self) -> (i64, u32, u32, u32, u32, u32, i64) {
        let local = self.unix + i64::from(self.offset_minutes) * 60;
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        (
            y,
            m,
            d,
            (secs / 3600) as u32,
            (secs / 60 % 60) as u32,
            (secs % 60) as u32,
            days,
        )
    }

    fn zone(self) -> String {
        let o = self.offset_minutes;
        let sign = if o < 0 { '-' } else { '+' };
        format!("{sign}{:02}{:02}", o.abs() / 60, o.abs() % 60)
    }

    /// A date part as RFC 5260 section 4 names it, or `None` for an
    /// unknown part.
    pub fn part(self, name: &str) -> Option<String> {
        let (y, m, d, hh, mm, ss, days) = self.fields();
        const WD: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
        const MO: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let wd = (days + 4).rem_euclid(7) as usize;
        Some(match name.to_ascii_lowercase().as_str() {
            "year" => format!("{y:04}"),
            "month" => format!("{m:02}"),
            "day" => format!("{d:02}"),
            "date" => format!("{y:04}-{m:02}-{d:02}"),
            "julian" => (days + 40_587).to_string(),
            "hour" => format!("{hh:02}"),
            "minute" => format!("{mm:02}"),
            "second" => format!("{ss:02}"),
            "time" => format!("{hh:02}:{mm:02}:{ss:02}"),
            "iso8601" => {
                let z = self.zone();
                format!(
                    "{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}{}:{}",
                    &z[..3],
                    &z[3..]
                )
            }
            "std11" => format!(
                "{}, {d:02} {} {y:04} {hh:02}:{mm:02}:{ss:02} {}",
                WD[wd],
                MO[(m - 1) as usize],
                self.zone()
            ),
            "zone" => self.zone(),
            "weekday" => wd.to_string(),
            _ => return None,
        })
    }
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic
/// Gregorian calendar (the well-known era-based conversion).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts() {
        // 2009-02-13T23:31:30Z, a Friday.
        let t = DateTime::utc(1_234_567_890);
        let cases = [
            ("date", "2009-02-13"),
            ("time", "23:31:30"),
            ("weekday", "5"),
            ("julian", "54875"),
            ("std11", "Fri, 13 Feb 2009 23:31:30 +0000"),
            ("iso8601", "2009-02-13T23:31:30+00:00"),
        ];
        for (p, v) in cases {
            assert_eq!(t.part(p).unwrap(), v, "{p}");
        }
        let t = t.with_offset(-90);
        assert_eq!(t.part("time").unwrap(), "22:01:30");
        assert_eq!(t.part("zone").unwrap(), "-0130");
        assert_eq!(DateTime::utc(-1).part("date").unwrap(), "1969-12-31");
    }
}
