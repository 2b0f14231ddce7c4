package dev.herald.runtime.cdc.filter;

import java.util.Arrays;

/**
 * SQL LIKE / ILIKE: {@code %} matches any run of characters, {@code _} exactly one character (code point), a backslash
 * makes the next character literal. Matched without java.util.regex by the classic wildcard algorithm, which stays
 * O(pattern × input) whatever the pattern, so a subscriber cannot slow the change feed down with a pathological
 * pattern. Case-insensitive matching compares code points after simple upper- and lower-case folding, close to what
 * Postgres' ILIKE does in a UTF-8 database. Immutable and thread-safe.
 */
final class LikePattern {
    private static final int LITERAL = 0;
    private static final int ONE = 1;
    private static final int ANY = 2;

    private final int[] kinds;
    private final int[] codePoints;
    private final boolean caseInsensitive;

    private LikePattern(int[] kinds, int[] codePoints, boolean caseInsensitive) {
        this.kinds = kinds;
        this.codePoints = codePoints;
        this.caseInsensitive = caseInsensitive;
    }

    static LikePattern compile(String pattern, boolean caseInsensitive) throws FilterException {
        int[] kinds = new int[pattern.length()];
        int[] cps = new int[pattern.length()];
        int n = 0;
        for (int i = 0; i < pattern.length(); ) {
            int cp = pattern.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == '\\') {
                if (i >= pattern.length()) throw new FilterException("LIKE pattern must not end with escape character");
                cp = pattern.codePointAt(i);
                i += Character.charCount(cp);
                kinds[n] = LITERAL;
                cps[n++] = caseInsensitive ? fold(cp) : cp;
            } else if (cp == '%') {
                if (n > 0 && kinds[n - 1] == ANY) continue; // "%%" means the same as "%"
                kinds[n++] = ANY;
            } else if (cp == '_') {
                kinds[n++] = ONE;
            } else {
                kinds[n] = LITERAL;
                cps[n++] = caseInsensitive ? fold(cp) : cp;
            }
        }
        return new LikePattern(Arrays.copyOf(kinds, n), Arrays.copyOf(cps, n), caseInsensitive);
    }

    private static int fold(int cp) {
        return Character.toLowerCase(Character.toUpperCase(cp));
    }

    boolean matches(String s) {
        int m = kinds.length;
        int p = 0;
        int i = 0;
        int starP = -1;
        int starI = -1;
        int n = s.length();
        while (i < n) {
            int cp = s.codePointAt(i);
            if (p < m && kinds[p] != ANY
                    && (kinds[p] == ONE || codePoints[p] == (caseInsensitive ? fold(cp) : cp))) {
                i += Character.charCount(cp);
                p++;
            } else if (p < m && kinds[p] == ANY) {
                starP = p++;
                starI = i;
            } else if (starP >= 0) {
                // let the last % absorb one more character and retry from just after it
                p = starP + 1;
                starI += Character.charCount(s.codePointAt(starI));
                i = starI;
            } else {
                return false;
            }
        }
        while (p < m && kinds[p] == ANY) p++;
        return p == m;
    }
}
