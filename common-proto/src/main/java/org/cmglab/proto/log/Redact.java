package org.cmglab.proto.log;

import java.util.regex.Pattern;

/**
 * Removes secrets from text before it reaches a log file or a flow event: bearer tokens and JWTs, the signature of
 * SAS URLs and content tokens ({@code sig=}), OAuth secrets and codes in forms and queries, and storage account keys
 * in connection strings. What stays is enough to tell which request it was.
 */
public final class Redact {
    public static final String MARK = "REDACTED";

    private static final Pattern QUERY = Pattern.compile(
            "(?i)([?&;\\s](?:sig|client_secret|password|access_token|refresh_token|id_token|assertion"
                    + "|client_assertion|code|token|bulk_token)=)[^&\\s\"'<>]+");
    private static final Pattern BEARER = Pattern.compile("(?i)(\\bBearer\\s+)(?!authorization_uri)[A-Za-z0-9._~+/=-]{8,}");
    private static final Pattern JWT = Pattern.compile("\\beyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]*");
    private static final Pattern ACCOUNT_KEY = Pattern.compile("(?i)(AccountKey=)[^;\\s\"]+");

    private Redact() {}

    /** {@code text} with every secret replaced by {@value #MARK}; null stays null. */
    public static String text(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String s = text;
        if (s.indexOf('=') >= 0) {
            s = QUERY.matcher(s).replaceAll("$1" + MARK);
            s = ACCOUNT_KEY.matcher(s).replaceAll("$1" + MARK);
        }
        if (s.contains("eyJ")) {
            s = JWT.matcher(s).replaceAll("eyJ…" + MARK);
        }
        if (s.regionMatches(true, 0, "bearer", 0, 6) || s.toLowerCase(java.util.Locale.ROOT).contains("bearer ")) {
            s = BEARER.matcher(s).replaceAll("$1" + MARK);
        }
        return s;
    }
}
