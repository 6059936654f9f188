package org.cmglab.proto.ccm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CcmSignaturesTest {
    static ClientSigningCert.Generated client;
    static ClientSigningCert.Generated other;
    static final Instant T0 = Instant.parse("2026-06-01T10:00:00Z");

    @BeforeAll
    static void keys() {
        client = ClientSigningCert.generate(T0);
        other = ClientSigningCert.generate(T0);
    }

    @Test
    void signatureIsReversedPkcs1Sha256InUpperHex() throws Exception {
        byte[] data = Utf16.leNul("GUID:ABC");
        String hex = CcmSignatures.sign(client.keyPair().getPrivate(), data);
        assertThat(hex).matches("[0-9A-F]{512}");
        byte[] rev = HexFormat.of().parseHex(hex);
        Signature s = Signature.getInstance("SHA256withRSA");
        s.initVerify(client.keyPair().getPublic());
        s.update(data);
        assertThat(s.verify(CcmSignatures.reverse(rev))).isTrue();
        assertThat(CcmSignatures.verify(client.keyPair().getPublic(), data, hex)).isTrue();
        assertThat(CcmSignatures.verify(client.keyPair().getPublic(), data, hex.toLowerCase())).isTrue();
        assertThat(CcmSignatures.verify(other.keyPair().getPublic(), data, hex)).isFalse();
        assertThat(CcmSignatures.verify(client.keyPair().getPublic(), Utf16.leNul("GUID:ABD"), hex)).isFalse();
        assertThat(CcmSignatures.verify(client.keyPair().getPublic(), data, "zz")).isFalse();
        assertThat(Utf16.leNul("AB")).containsExactly('A', 0, 'B', 0, 0, 0);
    }

    @Test
    void publicKeyBlobMatchesSccmwtfLayout() {
        RSAPublicKey pub = (RSAPublicKey) client.keyPair().getPublic();
        String blob = CcmSignatures.publicKeyBlob(pub);
        assertThat(blob).startsWith("0602000000A40000525341310008000001000100");
        assertThat(blob.length()).isEqualTo((20 + 256) * 2);
        byte[] b = HexFormat.of().parseHex(blob);
        byte[] mod = pub.getModulus().toByteArray();
        // little-endian modulus: first blob byte after the header is the modulus' last byte
        assertThat(b[20]).isEqualTo(mod[mod.length - 1]);
        assertThat(CcmSignatures.sameKey(CcmSignatures.parsePublicKeyBlob(blob), pub)).isTrue();
        assertThatThrownBy(() -> CcmSignatures.parsePublicKeyBlob("0602")).isInstanceOf(CcmFormatException.class);
    }

    @Test
    void clientCertificateAsTheToolsMakeIt() throws Exception {
        X509Certificate c = client.certificate();
        assertThat(c.getSubjectX500Principal().getName()).isEqualTo("CN=ConfigMgr Client");
        assertThat(c.getExtendedKeyUsage()).containsExactly("1.3.6.1.4.1.311.101.2", "1.3.6.1.4.1.311.101");
        assertThat(((RSAPublicKey) c.getPublicKey()).getModulus().bitLength()).isEqualTo(2048);
        c.verify(c.getPublicKey());
    }

    @Test
    void secretPolicyEnvelopeIsAes256ToTheEncryptionCert() {
        byte[] policy = "<Policy>secret</Policy>".getBytes(StandardCharsets.UTF_16LE);
        byte[] env = SecretPolicyEnvelope.encrypt(policy, client.certificate());
        assertThat(SecretPolicyEnvelope.contentAlgorithm(env)).as("3DES-CBC, as real MPs send").isEqualTo("1.2.840.113549.3.7");
        assertThat(SecretPolicyEnvelope.decrypt(env, client.keyPair().getPrivate())).isEqualTo(policy);
        byte[] aes = SecretPolicyEnvelope.encrypt(policy, client.certificate(),
                org.bouncycastle.cms.CMSAlgorithm.AES256_CBC);
        assertThat(SecretPolicyEnvelope.contentAlgorithm(aes)).isEqualTo("2.16.840.1.101.3.4.1.42");
        assertThat(SecretPolicyEnvelope.decrypt(aes, client.keyPair().getPrivate())).isEqualTo(policy);
        assertThatThrownBy(() -> SecretPolicyEnvelope.decrypt(env, other.keyPair().getPrivate()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    static Function<String, String> headers(Map<String, String> m) {
        TreeMap<String, String> ci = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        ci.putAll(m);
        return ci::get;
    }

    static final class MutableClock extends Clock {
        final AtomicReference<Instant> now = new AtomicReference<>(T0);
        @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(java.time.ZoneId z) { return this; }
        @Override public Instant instant() { return now.get(); }
    }

    @Test
    void ccmClientHeadersVerifyWithSkewAndReplayRules() {
        MutableClock clock = new MutableClock();
        ClientHeaderVerifier v = new ClientHeaderVerifier(clock, Duration.ofMinutes(5), 3, 1000);
        ClientHeaderVerifier.KeyLookup keys = id -> id.equals("GUID:AAAA-1") ? client.keyPair().getPublic() : null;
        Map<String, String> h = CcmClientHeaders.ccmClient("GUID:aaaa-1", client.keyPair().getPrivate(), T0);
        assertThat(h).containsKeys("CCMClientID", "CCMClientIDSignature", "CCMClientTimestamp",
                "CCMClientTimestampSignature");
        assertThat(h.get("CCMClientTimestamp")).isEqualTo("2026-06-01T10:00:00Z");
        assertThat(v.verifyCcmClient(headers(h), "/a", keys).clientId()).isEqualTo("GUID:AAAA-1");
        // same headers for another URL (PXEThief) and a retry: within maxUses (3)
        assertThat(v.verifyCcmClient(headers(h), "/b", keys).clientId()).isEqualTo("GUID:AAAA-1");
        assertThat(v.verifyCcmClient(headers(h), "/a", keys).clientId()).isEqualTo("GUID:AAAA-1");
        // the fourth use of one signed timestamp: replay
        assertThatThrownBy(() -> v.verifyCcmClient(headers(h), "/c", keys))
                .extracting(e -> ((CcmAuthException) e).reason()).isEqualTo(CcmAuthException.Reason.REPLAY);
        // the docs' spelling of the timestamp signature, lower-case names
        Map<String, String> alt = new TreeMap<>();
        Map<String, String> h2 = CcmClientHeaders.ccmClient("GUID:AAAA-1", client.keyPair().getPrivate(),
                T0.plusSeconds(1));
        alt.put("ccmclientid", h2.get("CCMClientID"));
        alt.put("ccmclientidsignature", h2.get("CCMClientIDSignature"));
        alt.put("ccmclienttimestamp", h2.get("CCMClientTimestamp"));
        alt.put("CCMClientTimestampsSignature", h2.get("CCMClientTimestampSignature"));
        assertThat(v.verifyCcmClient(headers(alt), "/c", keys).timestamp()).isEqualTo(T0.plusSeconds(1));
        // skew: 5 min is fine, 5 min + 1 s is not (both directions)
        Instant t3 = T0.plusSeconds(2);
        clock.now.set(t3.plus(Duration.ofMinutes(5)));
        Map<String, String> h3 = CcmClientHeaders.ccmClient("GUID:AAAA-1", client.keyPair().getPrivate(), t3);
        assertThat(v.verifyCcmClient(headers(h3), "/a", keys)).isNotNull();
        clock.now.set(t3.plus(Duration.ofMinutes(5)).plusSeconds(1));
        assertThatThrownBy(() -> v.verifyCcmClient(headers(h3), "/a", keys))
                .extracting(e -> ((CcmAuthException) e).reason()).isEqualTo(CcmAuthException.Reason.CLOCK_SKEW);
        clock.now.set(T0.minus(Duration.ofMinutes(6)));
        assertThatThrownBy(() -> v.verifyCcmClient(headers(h3), "/a", keys))
                .extracting(e -> ((CcmAuthException) e).reason()).isEqualTo(CcmAuthException.Reason.CLOCK_SKEW);
        clock.now.set(T0);
        // wrong key, unknown client, missing header, tampered timestamp
        Map<String, String> forged = CcmClientHeaders.ccmClient("GUID:AAAA-1", other.keyPair().getPrivate(), T0);
        assertThatThrownBy(() -> v.verifyCcmClient(headers(forged), "/x", keys))
                .extracting(e -> ((CcmAuthException) e).reason()).isEqualTo(CcmAuthException.Reason.BAD_SIGNATURE);
        Map<String, String> unknown = CcmClientHeaders.ccmClient("GUID:BBBB", client.keyPair().getPrivate(), T0);
        assertThatThrownBy(() -> v.verifyCcmClient(headers(unknown), "/x", keys))
                .extracting(e -> ((CcmAuthException) e).reason()).isEqualTo(CcmAuthException.Reason.UNKNOWN_CLIENT);
        Map<String, String> missing = new TreeMap<>(h);
        missing.remove("CCMClientIDSignature");
        assertThatThrownBy(() -> v.verifyCcmClient(headers(missing), "/x", keys))
                .extracting(e -> ((CcmAuthException) e).reason()).isEqualTo(CcmAuthException.Reason.MISSING_SIGNATURE);
        Map<String, String> tampered = new TreeMap<>(h);
        tampered.put("CCMClientTimestamp", "2026-06-01T10:00:01Z");
        assertThatThrownBy(() -> v.verifyCcmClient(headers(tampered), "/x", keys))
                .extracting(e -> ((CcmAuthException) e).reason()).isEqualTo(CcmAuthException.Reason.BAD_SIGNATURE);
    }

    @Test
    void clientTokenHeadersAsSccmwtfSendsThem() {
        MutableClock clock = new MutableClock();
        ClientHeaderVerifier v = new ClientHeaderVerifier(clock, Duration.ofMinutes(5), 1, 2);
        ClientHeaderVerifier.KeyLookup keys = id -> id.equals("GUID:AAAA-1") ? client.keyPair().getPublic() : null;
        Map<String, String> h = CcmClientHeaders.clientToken("AAAA-1", client.keyPair().getPrivate(), T0);
        assertThat(h.get("ClientToken")).isEqualTo("GUID:AAAA-1;2026-06-01T10:00:00Z;2");
        assertThat(CcmSignatures.verify(client.keyPair().getPublic(),
                "GUID:AAAA-1;2026-06-01T10:00:00Z;2\0".getBytes(StandardCharsets.UTF_16LE),
                h.get("ClientTokenSignature"))).isTrue();
        assertThat(v.verifyClientToken(headers(h), "/p1", keys).clientId()).isEqualTo("GUID:AAAA-1");
        assertThatThrownBy(() -> v.verifyClientToken(headers(h), "/p2", keys))
                .extracting(e -> ((CcmAuthException) e).reason()).isEqualTo(CcmAuthException.Reason.REPLAY);
        // bounded memory: capacity 2
        for (int i = 1; i <= 3; i++) {
            v.verifyClientToken(headers(CcmClientHeaders.clientToken("AAAA-1", client.keyPair().getPrivate(),
                    T0.plusSeconds(i))), "/p", keys);
        }
        assertThat(v.remembered()).isEqualTo(2);
        clock.now.set(T0.plus(Duration.ofHours(1)));
        assertThatThrownBy(() -> v.verifyClientToken(headers(h), "/p1", keys))
                .extracting(e -> ((CcmAuthException) e).reason()).isEqualTo(CcmAuthException.Reason.CLOCK_SKEW);
    }
}
