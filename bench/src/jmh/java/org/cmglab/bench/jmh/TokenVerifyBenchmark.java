package org.cmglab.bench.jmh;

import com.nimbusds.jwt.JWTClaimsSet;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.TimeUnit;
import org.cmglab.proto.jwt.JwtSigner;
import org.cmglab.proto.jwt.JwtVerifier;
import org.cmglab.proto.jwt.TokenRejectedException;
import org.cmglab.proto.jwt.VerifiedToken;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** The CMG's bearer-token check: parse, RS256 signature, issuer/audience/lifetime ({@link JwtVerifier}). */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class TokenVerifyBenchmark {
    static final String ISS = "urn:sccm:oauth2:bench";
    static final String AUD = "https://ConfigMgrService";

    JwtVerifier verifier;
    String token;

    @Setup
    public void setUp() {
        JwtSigner signer = JwtSigner.generate("bench-key");
        Instant now = Instant.now();
        token = signer.sign(new JWTClaimsSet.Builder().issuer(ISS).audience(AUD).subject("GUID:BENCH")
                .issueTime(Date.from(now)).notBeforeTime(Date.from(now.minusSeconds(60)))
                .expirationTime(Date.from(now.plusSeconds(3600))).build());
        verifier = JwtVerifier.forKeys(signer.publicJwkSet(), ISS, AUD);
    }

    @Benchmark
    public VerifiedToken verifyCcmToken() throws TokenRejectedException {
        return verifier.verify(token);
    }
}
