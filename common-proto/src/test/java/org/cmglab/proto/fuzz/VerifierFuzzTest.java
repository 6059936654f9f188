package org.cmglab.proto.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.TreeMap;
import org.cmglab.proto.ccm.CcmAuthException;
import org.cmglab.proto.ccm.ClientHeaderVerifier;
import org.cmglab.proto.content.ContentToken;
import org.cmglab.proto.content.ContentTokenException;
import org.cmglab.proto.jwt.JwtSigner;
import org.cmglab.proto.jwt.JwtVerifier;
import org.cmglab.proto.jwt.TokenRejectedException;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;

/**
 * Fuzz targets of the token and header verifiers: any input is accepted only when genuinely signed (never by the
 * fuzzer) or refused with the verifier's own exception; anything else is a finding. Seeds in
 * {@code src/test/resources/org/cmglab/proto/fuzz/VerifierFuzzTestInputs/<method>/}.
 */
class VerifierFuzzTest {
    static final Instant NOW = Instant.parse("2026-06-01T10:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    static final JwtSigner SIGNER = JwtSigner.generate("key-1");
    static final JwtVerifier JWT = JwtVerifier.forKeys(SIGNER.publicJwkSet(), "https://cmg.lab.test/CCM_Proxy_ServerAuth",
            "https://ConfigMgrService", CLOCK, Duration.ofMinutes(2));
    static final IssuedCert CLIENT = LabCa.createEphemeral().issue(CertSpec.client("client01"));
    static final ClientHeaderVerifier HEADERS = new ClientHeaderVerifier(CLOCK, Duration.ofMinutes(5));

    /** A compact JWT string as it arrives in {@code Authorization: Bearer}. */
    @FuzzTest(maxDuration = "1m")
    void jwt(byte[] data) {
        String token = new String(data, java.nio.charset.StandardCharsets.ISO_8859_1);
        try {
            JWT.verify(token);
            throw new AssertionError("a token the fuzzer made was accepted: " + token);
        } catch (TokenRejectedException expected) {
            // refused with a reason: 401
        }
    }

    /** The four CCMClient* headers and the ClientToken pair with fuzzed values. */
    @FuzzTest(maxDuration = "1m")
    void ccmClientHeaders(FuzzedDataProvider data) {
        Map<String, String> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (String name : new String[] {"CCMClientID", "CCMClientIDSignature", "CCMClientTimestamp",
                "CCMClientTimestampSignature", "ClientToken", "ClientTokenSignature"}) {
            if (data.consumeBoolean()) {
                h.put(name, data.consumeString(600));
            }
        }
        ClientHeaderVerifier.KeyLookup keys = id -> id.toUpperCase(java.util.Locale.ROOT).startsWith("GUID:A")
                ? CLIENT.certificate().getPublicKey() : null;
        try {
            HEADERS.verifyCcmClient(h::get, "/x", keys);
            throw new AssertionError("fuzzed CCMClient headers verified: " + h);
        } catch (CcmAuthException expected) {
            // refused
        }
        try {
            HEADERS.verifyClientToken(h::get, "/x", keys);
            throw new AssertionError("a fuzzed ClientToken verified: " + h);
        } catch (CcmAuthException expected) {
            // refused
        }
    }

    /** A content token query ({@code pid=…&cid=…&…&sig=…}). */
    @FuzzTest(maxDuration = "1m")
    void contentToken(byte[] data) {
        String query = new String(data, java.nio.charset.StandardCharsets.ISO_8859_1);
        try {
            ContentToken t = ContentToken.parse(query);
            t.verify(CLIENT.certificate().getPublicKey(), t.packageId(), t.contentId(), t.clientId(), CLOCK,
                    Duration.ofMinutes(5));
            throw new AssertionError("a fuzzed content token verified: " + query);
        } catch (ContentTokenException expected) {
            // refused
        }
    }
}
