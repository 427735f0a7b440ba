/// ISO 8601 timestamps in UTC, formatted by hand: they are written on every request (the
/// audit log, policy conditions) and for every listed function, where a `DateFormatter`
/// would cost more than the rest of the work.
enum UTCTimestamp {
    /// `milliseconds` since the epoch as `2026-12-03T18:35:02Z`; with `fractional`,
    /// `2026-12-03T18:35:02.123Z`. `zone` replaces the `Z` (Lambda writes `+0000`).
    static func iso8601(_ milliseconds: Int64, fractional: Bool = false, zone: String = "Z") -> String {
        let seconds = milliseconds >= 0 ? milliseconds / 1_000 : (milliseconds - 999) / 1_000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        var text = digits(year, 4) + "-" + digits(month, 2) + "-" + digits(day, 2) + "T"
        text += digits(secondOfDay / 3_600, 2) + ":" + digits(secondOfDay / 60 % 60, 2) + ":"
        text += digits(secondOfDay % 60, 2)
        if fractional {
            text += "." + digits(milliseconds - seconds * 1_000, 3)
        }
        return text + zone
    }

    private static func digits(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    /// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    private static func civilDate(daysSinceEpoch days: Int64) -> (Int64, Int64, Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
