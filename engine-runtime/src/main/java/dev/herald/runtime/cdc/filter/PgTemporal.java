package dev.herald.runtime.cdc.filter;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The subset of Postgres' date/time input that filters realistically use: ISO dates, {@code T} or space before the
 * time, up to 9 fractional digits (rounded to microseconds like Postgres), {@code Z}/{@code UTC}/numeric offsets,
 * region names for timestamptz, {@code 24:00:00}, {@code infinity} and a trailing {@code BC}. Values without a zone are read in UTC, the
 * session time zone of Supabase databases. Stateless.
 */
final class PgTemporal {
    private static final String DATE = "(\\d{4,})-(\\d{1,2})-(\\d{1,2})";
    private static final String TIME = "(\\d{1,2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d{1,9}))?)?";
    private static final String ZONE = "\\s*(z|utc|gmt|[+-]\\d{1,2}(?::?\\d{2}(?::?\\d{2})?)?|[a-z][a-z0-9_/+-]*)";

    private static final Pattern TIMESTAMP =
            Pattern.compile("\\s*" + DATE + "(?:(?:t|\\s+)" + TIME + ")?(?:" + ZONE + ")?\\s*", Pattern.CASE_INSENSITIVE);
    private static final Pattern TIME_OF_DAY =
            Pattern.compile("\\s*" + TIME + "(?:" + ZONE + ")?\\s*", Pattern.CASE_INSENSITIVE);

    private static final LocalDateTime TS_INFINITY = LocalDateTime.MAX;
    private static final LocalDateTime TS_MINUS_INFINITY = LocalDateTime.MIN;

    private PgTemporal() {
    }

    static LocalDate parseDate(String text, PgType type) {
        String special = special(text);
        if ("infinity".equals(special)) return LocalDate.MAX;
        if ("-infinity".equals(special)) return LocalDate.MIN;
        boolean bc = isBc(text);
        Matcher m = TIMESTAMP.matcher(bc ? withoutEra(text) : text);
        if (!m.matches()) throw type.invalid(text);
        LocalDate d = date(m, text);
        return bc ? d.withYear(1 - d.getYear()) : d;
    }

    /** Whether the text ends with PostgreSQL's era marker {@code BC} (year 1 BC is proleptic year 0). */
    private static boolean isBc(String text) {
        String t = text.strip();
        return t.length() > 3 && t.regionMatches(true, t.length() - 3, " BC", 0, 3);
    }

    private static String withoutEra(String text) {
        String t = text.strip();
        return t.substring(0, t.length() - 3);
    }

    static LocalDateTime parseTimestamp(String text, PgType type) {
        String special = special(text);
        if ("infinity".equals(special)) return TS_INFINITY;
        if ("-infinity".equals(special)) return TS_MINUS_INFINITY;
        boolean bc = isBc(text);
        Matcher m = TIMESTAMP.matcher(bc ? withoutEra(text) : text);
        if (!m.matches()) throw type.invalid(text);
        // timestamp without time zone silently ignores a zone in its input, as Postgres does
        if (m.group(8) != null) zone(m.group(8), text, type, null);
        LocalDateTime t = localDateTime(m, text, type);
        return bc ? t.withYear(1 - t.getYear()) : t;
    }

    static Instant parseTimestamptz(String text, PgType type) {
        String special = special(text);
        if ("infinity".equals(special)) return Instant.MAX;
        if ("-infinity".equals(special)) return Instant.MIN;
        boolean bc = isBc(text);
        Matcher m = TIMESTAMP.matcher(bc ? withoutEra(text) : text);
        if (!m.matches()) throw type.invalid(text);
        LocalDateTime ldt = localDateTime(m, text, type);
        if (bc) ldt = ldt.withYear(1 - ldt.getYear());
        ZoneId zone = m.group(8) == null ? ZoneOffset.UTC : zone(m.group(8), text, type, null);
        return ldt.atZone(zone).toInstant();
    }

    static LocalTime parseTime(String text, PgType type) {
        Matcher m = TIME_OF_DAY.matcher(text);
        if (!m.matches()) throw type.invalid(text);
        if (m.group(5) != null) zone(m.group(5), text, type, ZoneOffset.UTC);
        return timeOfDay(m, 1, text, type);
    }

    static OffsetTime parseTimetz(String text, PgType type) {
        Matcher m = TIME_OF_DAY.matcher(text);
        if (!m.matches()) throw type.invalid(text);
        ZoneOffset offset = m.group(5) == null ? ZoneOffset.UTC : (ZoneOffset) zone(m.group(5), text, type, ZoneOffset.UTC);
        return OffsetTime.of(timeOfDay(m, 1, text, type), offset);
    }

    private static String special(String text) {
        return text.strip().toLowerCase(Locale.ROOT);
    }

    private static LocalDate date(Matcher m, String text) {
        try {
            return LocalDate.of(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
        } catch (DateTimeException | NumberFormatException e) {
            throw outOfRange(text);
        }
    }

    private static LocalDateTime localDateTime(Matcher m, String text, PgType type) {
        LocalDate d = date(m, text);
        if (m.group(4) == null) return d.atStartOfDay();
        if (isEndOfDay(m, 4)) return d.plusDays(1).atStartOfDay();
        return d.atTime(timeOfDay(m, 4, text, type));
    }

    private static boolean isEndOfDay(Matcher m, int first) {
        return Integer.parseInt(m.group(first)) == 24 && Integer.parseInt(m.group(first + 1)) == 0
                && (m.group(first + 2) == null || Integer.parseInt(m.group(first + 2)) == 0)
                && (m.group(first + 3) == null || m.group(first + 3).chars().allMatch(c -> c == '0'));
    }

    private static LocalTime timeOfDay(Matcher m, int first, String text, PgType type) {
        try {
            int h = Integer.parseInt(m.group(first));
            int min = Integer.parseInt(m.group(first + 1));
            int s = m.group(first + 2) == null ? 0 : Integer.parseInt(m.group(first + 2));
            long nanos = 0;
            if (m.group(first + 3) != null) {
                String f = (m.group(first + 3) + "00000000").substring(0, 9);
                nanos = (Long.parseLong(f) + 500) / 1000 * 1000; // Postgres keeps microseconds, rounding
            }
            LocalTime t = LocalTime.of(h, min, s);
            if (nanos >= 1_000_000_000L && t.equals(LocalTime.of(23, 59, 59))) throw outOfRange(text);
            return t.plusNanos(nanos);
        } catch (DateTimeException e) {
            throw outOfRange(text);
        }
    }

    private static ZoneId zone(String z, String text, PgType type, ZoneOffset onlyOffsets) {
        String lower = z.toLowerCase(Locale.ROOT);
        if (lower.equals("z") || lower.equals("utc") || lower.equals("gmt")) return ZoneOffset.UTC;
        char sign = z.charAt(0);
        try {
            if (sign == '+' || sign == '-') {
                String digits = z.substring(1).replace(":", "");
                int h;
                int min = 0;
                int sec = 0;
                if (digits.length() <= 2) {
                    h = Integer.parseInt(digits);
                } else {
                    int hl = digits.length() % 2 == 0 ? 2 : 1;
                    h = Integer.parseInt(digits.substring(0, hl));
                    min = Integer.parseInt(digits.substring(hl, hl + 2));
                    if (digits.length() > hl + 2) sec = Integer.parseInt(digits.substring(hl + 2));
                }
                int total = h * 3600 + min * 60 + sec;
                return ZoneOffset.ofTotalSeconds(sign == '-' ? -total : total);
            }
            if (onlyOffsets != null) throw type.invalid(text);
            return ZoneId.of(z);
        } catch (DateTimeException | NumberFormatException e) {
            throw type.invalid(text);
        }
    }

    private static IllegalArgumentException outOfRange(String text) {
        return new IllegalArgumentException("date/time field value out of range: \"" + text + "\"");
    }
}
