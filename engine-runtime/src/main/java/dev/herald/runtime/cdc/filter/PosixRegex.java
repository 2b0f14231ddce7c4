package dev.herald.runtime.cdc.filter;

import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Runs Postgres {@code ~} / {@code ~*} patterns (POSIX "advanced regular expressions") on java.util.regex. The common
 * ARE-only syntax is translated: bracket classes like {@code [[:digit:]]}, the word-boundary escapes {@code \m \M \y
 * \Y}; {@code .} matches newlines and {@code $} only matches at the very end, as in a non-newline-sensitive ARE. What is
 * left differs: Java accepts some syntax ARE rejects (possessive quantifiers, atomic groups, {@code \Q…\E}), ARE's
 * longest-leftmost rule for alternations is not reproduced (irrelevant to a yes/no match), collating elements
 * {@code [.x.]} / {@code [=x=]} are refused.
 *
 * <p>java.util.regex backtracks, so a hostile pattern could run for ages; every match gets a budget of character reads
 * and a match that exhausts it counts as "no match" (the row is not delivered). Immutable and thread-safe.
 */
final class PosixRegex {
    /** Character reads allowed per evaluation, on top of {@link #STEPS_PER_CHAR} per input character. */
    static final long BASE_STEPS = 1_000_000L;
    static final long STEPS_PER_CHAR = 256L;

    private static final Map<String, String> CLASSES = Map.ofEntries(
            Map.entry("alpha", "\\p{IsAlphabetic}"), Map.entry("digit", "\\p{IsDigit}"),
            Map.entry("alnum", "\\p{IsAlphabetic}\\p{IsDigit}"), Map.entry("upper", "\\p{IsUppercase}"),
            Map.entry("lower", "\\p{IsLowercase}"), Map.entry("space", "\\p{IsWhite_Space}"),
            Map.entry("blank", "\\p{Blank}"), Map.entry("punct", "\\p{IsPunctuation}"),
            Map.entry("cntrl", "\\p{Cntrl}"), Map.entry("xdigit", "\\p{XDigit}"), Map.entry("print", "\\P{Cntrl}"),
            Map.entry("graph", "\\p{Graph}"), Map.entry("word", "\\w"));

    private final Pattern pattern;

    private PosixRegex(Pattern pattern) {
        this.pattern = pattern;
    }

    static PosixRegex compile(String are, boolean caseInsensitive, String op) throws FilterException {
        try {
            int flags = Pattern.DOTALL | (caseInsensitive ? Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE : 0);
            return new PosixRegex(Pattern.compile(translate(are), flags));
        } catch (PatternSyntaxException e) {
            throw new FilterException("invalid regular expression for " + op + " filter: " + e.getDescription());
        } catch (IllegalArgumentException e) {
            throw new FilterException("invalid regular expression for " + op + " filter: " + e.getMessage());
        }
    }

    /** Whether the pattern matches anywhere in {@code s}; {@code false} also when the step budget runs out. */
    boolean find(String s) {
        return findOrNull(s) == Boolean.TRUE;
    }

    /** Whether the pattern matches anywhere in {@code s}, or {@code null} when the step budget ran out. */
    Boolean findOrNull(String s) {
        Budgeted input = new Budgeted(s, BASE_STEPS + STEPS_PER_CHAR * s.length());
        try {
            return pattern.matcher(input).find();
        } catch (BudgetExceeded e) {
            return null;
        }
    }

    static String translate(String are) {
        StringBuilder out = new StringBuilder(are.length() + 16);
        int n = are.length();
        int i = 0;
        while (i < n) {
            char c = are.charAt(i);
            if (c == '\\') {
                if (i + 1 >= n) throw new IllegalArgumentException("invalid escape \\ sequence");
                char e = are.charAt(i + 1);
                switch (e) {
                    case 'm' -> out.append("\\b(?=\\w)");
                    case 'M' -> out.append("\\b(?<=\\w)");
                    case 'y' -> out.append("\\b");
                    case 'Y' -> out.append("\\B");
                    default -> out.append(c).append(e);
                }
                i += 2;
            } else if (c == '$') {
                out.append("\\z");
                i++;
            } else if (c == '[') {
                i = bracket(are, i, out);
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    /** Copies the bracket expression starting at {@code start}, returning the index after its closing bracket. */
    private static int bracket(String are, int start, StringBuilder out) {
        int n = are.length();
        int i = start + 1;
        out.append('[');
        if (i < n && are.charAt(i) == '^') {
            out.append('^');
            i++;
        }
        if (i < n && are.charAt(i) == ']') { // a leading ] is a literal in POSIX
            out.append("\\]");
            i++;
        }
        while (i < n) {
            char c = are.charAt(i);
            if (c == ']') {
                out.append(']');
                return i + 1;
            }
            if (c == '[' && i + 1 < n && (are.charAt(i + 1) == ':' || are.charAt(i + 1) == '.' || are.charAt(i + 1) == '=')) {
                char kind = are.charAt(i + 1);
                int end = are.indexOf(kind + "]", i + 2);
                if (end < 0) throw new IllegalArgumentException("brackets [] not balanced");
                String name = are.substring(i + 2, end);
                if (kind != ':') throw new IllegalArgumentException("collating elements are not supported");
                String cls = CLASSES.get(name);
                if (cls == null) throw new IllegalArgumentException("invalid character class [:" + name + ":]");
                out.append(cls);
                i = end + 2;
            } else if (c == '\\' && i + 1 < n) {
                out.append(c).append(are.charAt(i + 1));
                i += 2;
            } else if (c == '[' || c == '&') {
                out.append('\\').append(c); // nesting and && intersection are Java-only inside brackets
                i++;
            } else {
                out.append(c);
                i++;
            }
        }
        throw new IllegalArgumentException("brackets [] not balanced");
    }

    private static final class BudgetExceeded extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BudgetExceeded() {
            super(null, null, false, false);
        }
    }

    private static final BudgetExceeded BUDGET_EXCEEDED = new BudgetExceeded();

    /** A CharSequence that gives up after a number of reads; the regex engine is confined to this thread. */
    private static final class Budgeted implements CharSequence {
        private final String s;
        private long left;

        Budgeted(String s, long budget) {
            this.s = s;
            this.left = budget;
        }

        @Override
        public char charAt(int index) {
            if (--left < 0) throw BUDGET_EXCEEDED;
            return s.charAt(index);
        }

        @Override
        public int length() {
            return s.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return s.subSequence(start, end);
        }

        @Override
        public String toString() {
            return s;
        }
    }
}
