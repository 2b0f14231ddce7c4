package dev.herald.runtime.cdc.filter;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads a one-dimensional Postgres array literal (<code>{a,"b,c",NULL}</code>) the way {@code array_in} does, because
 * the reference turns {@code in.(…)} lists into such a literal and lets Postgres split it: unquoted elements are
 * trimmed and may use backslash escapes, double-quoted elements keep everything, an unquoted {@code NULL} (any case)
 * is SQL NULL. Stateless.
 */
final class PgArrayLiteral {
    private PgArrayLiteral() {
    }

    /** The elements ({@code null} for NULL), or an exception worded like Postgres' "malformed array literal". */
    static List<String> parse(String literal) throws FilterException {
        int n = literal.length();
        int i = skipSpace(literal, 0);
        if (i >= n || literal.charAt(i) != '{') throw malformed(literal, "Array value must start with \"{\".");
        i = skipSpace(literal, i + 1);
        List<String> out = new ArrayList<>();
        if (i < n && literal.charAt(i) == '}') {
            return finish(literal, i + 1, out);
        }
        while (true) {
            i = skipSpace(literal, i);
            if (i >= n) throw malformed(literal, "Unexpected end of input.");
            char c = literal.charAt(i);
            StringBuilder sb = new StringBuilder();
            if (c == '"') {
                i++;
                while (true) {
                    if (i >= n) throw malformed(literal, "Unexpected end of input.");
                    char q = literal.charAt(i++);
                    if (q == '\\') {
                        if (i >= n) throw malformed(literal, "Unexpected end of input.");
                        sb.append(literal.charAt(i++));
                    } else if (q == '"') {
                        break;
                    } else {
                        sb.append(q);
                    }
                }
                i = skipSpace(literal, i);
                out.add(sb.toString());
            } else if (c == '{') {
                throw malformed(literal, "Multidimensional arrays are not supported in filters.");
            } else {
                boolean escaped = false;
                int keep = 0; // length of sb up to the last character that trailing-space trimming must keep
                while (i < n) {
                    char u = literal.charAt(i);
                    if (u == ',' || u == '}') break;
                    if (u == '\\') {
                        if (i + 1 >= n) throw malformed(literal, "Unexpected end of input.");
                        sb.append(literal.charAt(i + 1));
                        escaped = true;
                        keep = sb.length();
                        i += 2;
                        continue;
                    }
                    if (u == '"' || u == '{') throw malformed(literal, "Unexpected \"" + u + "\" character.");
                    sb.append(u);
                    if (!isSpace(u)) keep = sb.length();
                    i++;
                }
                sb.setLength(keep);
                if (sb.length() == 0 && !escaped) throw malformed(literal, "Unexpected \",\" character.");
                String element = sb.toString();
                out.add(!escaped && element.equalsIgnoreCase("NULL") ? null : element);
            }
            if (i >= n) throw malformed(literal, "Unexpected end of input.");
            char sep = literal.charAt(i++);
            if (sep == '}') return finish(literal, i, out);
            if (sep != ',') throw malformed(literal, "Unexpected \"" + sep + "\" character.");
        }
    }

    private static List<String> finish(String literal, int i, List<String> out) throws FilterException {
        if (skipSpace(literal, i) != literal.length()) throw malformed(literal, "Junk after closing right brace.");
        return out;
    }

    private static int skipSpace(String s, int i) {
        while (i < s.length() && isSpace(s.charAt(i))) i++;
        return i;
    }

    // array_in uses the C-locale isspace() set.
    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\u000B' || c == '\f';
    }

    private static FilterException malformed(String literal, String detail) {
        return new FilterException("malformed array literal: \"" + literal + "\" (" + detail + ")");
    }
}
