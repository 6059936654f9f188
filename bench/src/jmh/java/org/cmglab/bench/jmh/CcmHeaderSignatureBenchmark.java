package org.cmglab.bench.jmh;

import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.cmglab.proto.ccm.CcmClientHeaders;
import org.cmglab.proto.ccm.ClientHeaderVerifier;
import org.cmglab.proto.ccm.ClientSigningCert;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The MP's {@code CCMClient*} header check ({@link ClientHeaderVerifier}): two reversed-PKCS#1 RSA-2048 signatures
 * (client id, timestamp), the skew window and the replay memory (unbounded uses here, so every call does the work).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class CcmHeaderSignatureBenchmark {
    static final String CLIENT = "GUID:2B5D7E3A-0D45-4C8B-9E59-4F0D3C1B2A10";

    ClientHeaderVerifier verifier;
    Map<String, String> headers;
    PublicKey key;

    @Setup
    public void setUp() {
        ClientSigningCert.Generated g = ClientSigningCert.generate(Instant.now());
        key = g.keyPair().getPublic();
        headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.putAll(CcmClientHeaders.ccmClient(CLIENT, g.keyPair().getPrivate(), Instant.now()));
        verifier = new ClientHeaderVerifier(Clock.systemUTC(), Duration.ofMinutes(30), Integer.MAX_VALUE, 1024);
    }

    @Benchmark
    public ClientHeaderVerifier.Verified verifyCcmClientHeaders() {
        return verifier.verifyCcmClient(headers::get, "/SMS_MP/.sms_pol?x", id -> key);
    }
}
