package org.cmglab.bench.jmh;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cmglab.proto.ccm.CcmMessage;
import org.cmglab.proto.ccm.CcmMultipart;
import org.cmglab.proto.ccm.ClientRequests;
import org.cmglab.proto.ccm.ClientSigningCert;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * CCM messaging on the MP: the {@code multipart/mixed} split ({@link CcmMultipart#parse}) and the full decode of a
 * signed, zlib-compressed {@code RequestAssignments} ({@link CcmMessage#decode}: parts, UTF-16 header XML, inflate).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class CcmMultipartBenchmark {
    byte[] message;

    @Setup
    public void setUp() {
        ClientSigningCert.Generated g = ClientSigningCert.generate(Instant.now());
        ClientRequests r = new ClientRequests("BENCH01", "bench01.corp.contoso.com", "mp01.corp.contoso.com", "P01",
                g.keyPair().getPrivate(), g.certificate());
        message = r.requestAssignments("GUID:2B5D7E3A-0D45-4C8B-9E59-4F0D3C1B2A10", Instant.now()).bytes();
    }

    @Benchmark
    public List<CcmMultipart.Part> splitParts() {
        return CcmMultipart.parse(CcmMultipart.CONTENT_TYPE, message);
    }

    @Benchmark
    public CcmMessage decodeMessage() {
        return CcmMessage.decode(CcmMultipart.CONTENT_TYPE, message, CcmMessage.Limits.DEFAULT);
    }
}
