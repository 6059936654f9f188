package org.cmglab.proto.token;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The texts Microsoft.IdentityModel (which CCM_STS and the CMG use) logs for refused tokens, so the lab's logs read
 * like the product's: {@code IDX10223: Lifetime validation failed. The token is expired. ValidTo: '…', Current time:
 * '…'.}
 */
final class IdentityModelMessages {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("M/d/yyyy h:mm:ss a", Locale.US)
            .withZone(ZoneOffset.UTC);

    private IdentityModelMessages() {}

    static String expired(Instant exp, Instant now) {
        return "IDX10223: Lifetime validation failed. The token is expired. ValidTo: '" + TIME.format(exp)
                + "', Current time: '" + TIME.format(now) + "'.";
    }

    static String notYetValid(Instant nbf, Instant now) {
        return "IDX10222: Lifetime validation failed. The token is not yet valid. ValidFrom: '" + TIME.format(nbf)
                + "', Current time: '" + TIME.format(now) + "'.";
    }

    static String noExpiry() {
        return "IDX10225: Lifetime validation failed. The token is missing an Expiration Time.";
    }

    static String badSignature(String keyHint) {
        return "IDX10511: Signature validation failed. Keys tried: '" + keyHint + "'.";
    }

    static String unknownKey(String keyHint) {
        return "IDX10501: Signature validation failed. Unable to match key: " + keyHint + ".";
    }

    static String wrongIssuer(String iss, String expected) {
        return "IDX10205: Issuer validation failed. Issuer: '" + iss + "'. Did not match: validationParameters.ValidIssuer: '"
                + expected + "'.";
    }

    static String wrongAudience(Object aud, String expected) {
        return "IDX10214: Audience validation failed. Audiences: '" + aud + "'. Did not match: "
                + "validationParameters.ValidAudience: '" + expected + "'.";
    }

    static String malformed(String why) {
        return "IDX12741: JWT is not well formed: " + why;
    }
}
