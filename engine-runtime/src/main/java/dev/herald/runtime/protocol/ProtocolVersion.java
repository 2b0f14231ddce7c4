package dev.herald.runtime.protocol;

/** The two serializer versions a client can negotiate with the {@code vsn} query parameter. */
public enum ProtocolVersion {
    /** JSON objects, text frames only. */
    V1("1.0.0"),
    /** JSON arrays in text frames, user broadcasts in binary frames (kind 3 in, kind 4 out). */
    V2("2.0.0");

    private final String wire;

    ProtocolVersion(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }

    /**
     * Maps a {@code vsn} parameter to a version the way Phoenix matches {@code ~> 1.0.0} / {@code ~> 2.0.0}:
     * any {@code 1.0.x} or {@code 2.0.x}. Absent means 1.0.0. Returns {@code null} for anything else.
     */
    public static ProtocolVersion fromParameter(String vsn) {
        if (vsn == null || vsn.isEmpty()) return V1;
        String[] parts = vsn.split("\\.", -1);
        if (parts.length != 3 || !parts[1].equals("0") || !isNumber(parts[2])) return null;
        switch (parts[0]) {
            case "1": return V1;
            case "2": return V2;
            default: return null;
        }
    }

    private static boolean isNumber(String s) {
        if (s.isEmpty() || s.length() > 9) return false;
        for (int i = 0; i < s.length(); i++) if (!Character.isDigit(s.charAt(i))) return false;
        return true;
    }
}
