package org.cmglab.site.ccm;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * The stand-in {@link MessageAuthenticator} until site tokens and {@code CCM_STS} exist: a message on
 * {@code ccm_system_tokenauth} needs {@code Authorization: Bearer <token>}; the token is recorded (last 32) and
 * accepted <em>without validation</em>.
 */
public final class BearerRecordingAuthenticator implements MessageAuthenticator {
    static final int KEEP = 32;
    private final Deque<String> seen = new ArrayDeque<>();

    @Override
    public Decision authenticate(Request request) {
        String auth = request.headers().apply("Authorization");
        if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7) || auth.substring(7).isBlank()) {
            return Decision.refuse(401, "no bearer token on " + request.path());
        }
        String token = auth.substring(7).trim();
        synchronized (seen) {
            if (seen.size() >= KEEP) {
                seen.removeFirst();
            }
            seen.addLast(token);
        }
        return Decision.allow("bearer (not validated yet, " + token.length() + " chars)");
    }

    /** The bearer tokens recorded, oldest first. */
    public List<String> recorded() {
        synchronized (seen) {
            return List.copyOf(seen);
        }
    }
}
