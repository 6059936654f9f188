package org.cmglab.client.load;

import io.netty.channel.EventLoopGroup;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.runtime.EventLoops;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the load-mode integration tests share: two event loops, an ephemeral lab CA and the stand-in's server
 * certificate for the CMG service name and the Entra login host (both on 127.0.0.1).
 */
abstract class LoadTestFixture {
    static final String SERVICE = "cmg.load.test";
    static final String LOGIN = "login.load.test";
    static EventLoopGroup group;
    static LabCa ca;
    static IssuedCert server;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startFixture() {
        group = EventLoops.newGroup(2, "load-test");
        ca = LabCa.createEphemeral();
        server = ca.issue(CertSpec.server(SERVICE, List.of(SERVICE, LOGIN), List.of()));
    }

    @AfterAll
    static void stopFixture() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
