package org.cowstack.storage.shell.cli;

import java.util.List;
import java.util.Map;

/**
 * JSON as the {@code --json} option of every table command prints it, written by hand (no
 * library for one array of flat objects): strings escaped as RFC 8259 requires, numbers as
 * numbers, booleans, null; a value that is a map or a list nests (a scrub report's
 * damaged ranges).
 */
public final class Json {
    private Json() {
    }

    /** One array of objects, each object's keys in the map's order. */
    public static String array(List<? extends Map<String, ?>> rows) {
        StringBuilder out = new StringBuilder("[");
        for (int r = 0; r < rows.size(); r++) {
            if (r > 0) {
                out.append(',');
            }
            object(out, rows.get(r));
        }
        return out.append(']').toString();
    }

    /** One object. */
    public static String object(Map<String, ?> fields) {
        StringBuilder out = new StringBuilder();
        object(out, fields);
        return out.toString();
    }

    private static void object(StringBuilder out, Map<String, ?> fields) {
        out.append('{');
        boolean first = true;
        for (Map.Entry<String, ?> f : fields.entrySet()) {
            if (!first) {
                out.append(',');
            }
            first = false;
            string(out, f.getKey());
            out.append(':');
            value(out, f.getValue());
        }
        out.append('}');
    }

    private static void value(StringBuilder out, Object v) {
        if (v == null) {
            out.append("null");
        } else if (v instanceof Map) {
            @SuppressWarnings("unchecked")
            Map<String, ?> m = (Map<String, ?>) v;
            object(out, m);
        } else if (v instanceof List) {
            out.append('[');
            List<?> l = (List<?>) v;
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                value(out, l.get(i));
            }
            out.append(']');
        } else if (v instanceof Boolean) {
            out.append(v);
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            out.append(v);
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                out.append("null"); // JSON has no NaN or infinity
            } else {
                out.append(v);
            }
        } else {
            string(out, v.toString());
        }
    }

    /** {@code s} as a JSON string, quotes included. */
    public static String quote(String s) {
        StringBuilder out = new StringBuilder();
        string(out, s);
        return out.toString();
    }

    private static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                case '\b': out.append("\\b"); break;
                case '\f': out.append("\\f"); break;
                default:
                    if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029' || lone(s, i)) {
                        // control characters must be escaped; DEL, the JavaScript line
                        // separators and unpaired surrogates are escaped so any reader copes
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
            }
        }
        out.append('"');
    }

    /** Whether the char at {@code i} is half of a surrogate pair without its other half. */
    private static boolean lone(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
        }
        if (Character.isLowSurrogate(c)) {
            return i == 0 || !Character.isHighSurrogate(s.charAt(i - 1));
        }
        return false;
    }
}
