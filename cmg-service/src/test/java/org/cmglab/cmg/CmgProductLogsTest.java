package org.cmglab.cmg;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.cmglab.proto.config.CmgServiceConfig;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.config.TlsFiles;
import org.cmglab.proto.flow.FlowEventLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CmgProductLogsTest {
    static final Pattern CMTRACE = Pattern.compile("<!\\[LOG\\[.*\\]LOG\\]!><time=\"\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\+000\" "
            + "date=\"\\d\\d-\\d\\d-\\d{4}\" component=\"[A-Za-z_]+\" context=\"\" type=\"[123]\" thread=\"\\d+\" file=\".*\">");

    @TempDir
    Path logs;

    static CmgServiceConfig config(int instance) {
        return new CmgServiceConfig("GraniteFalls.contoso.com", "granitefalls.westus.cloudapp.azure.com", "P01", instance,
                new Endpoint("127.77.1." + (10 + instance), 443), null, new Endpoint("127.77.1." + (10 + instance), 9090),
                new TlsFiles("c", "k"), List.of(), List.of(), List.of(), 1024, null, null, null, null);
    }

    @Test
    void eachInstanceHasItsOwnSyncedLogNames() {
        assertThat(CmgProductLogs.fileName(config(0), "CMGService"))
                .isEqualTo("CMG-GraniteFalls-ProxyService_IN_0-CMGService.log");
        assertThat(CmgProductLogs.fileName(config(3), "CMGHttpHandler"))
                .isEqualTo("CMG-GraniteFalls-ProxyService_IN_3-CMGHttpHandler.log");
    }

    @Test
    void setupAndOneHttpHandlerLinePerRequestInCmTraceFormat() throws Exception {
        CmgServiceConfig c = config(1);
        FlowEventLog events = new FlowEventLog("cmg-service-1", null);
        try (CmgProductLogs ignored = CmgProductLogs.attach(c, logs, events)) {
            CmgProductLogs.setupStarting(c);
            CmgProductLogs.setupReady(c);
            events.event("F3", "request").trace("abc").from("client-sim").to("cmg-service/1").port(443)
                    .auth("PKI client certificate").detail("GET /CCM_Proxy_MutualAuth/1/SMS_MP/.sms_aut?MPLIST").emit();
            events.event("F4", "response").trace("abc").protocol("HTTP/2 over HTTPS channel").status(200)
                    .detail("200 OK for GET /x").emit();
            events.event("F2", "event").detail("not a request").emit();
        }
        List<String> setup = Files.readAllLines(logs.resolve("CMG-GraniteFalls-ProxyService_IN_1-CMGSetup.log"));
        assertThat(setup).hasSize(3).allSatisfy(l -> assertThat(l).matches(CMTRACE));
        assertThat(setup.get(2)).contains("Role instance ProxyService_IN_1 is ReadyRole").contains("component=\"CMGSetup\"");
        List<String> http = Files.readAllLines(logs.resolve("CMG-GraniteFalls-ProxyService_IN_1-CMGHttpHandler.log"));
        assertThat(http).hasSize(2).allSatisfy(l -> assertThat(l).matches(CMTRACE));
        assertThat(http.get(0)).contains("Request GET /CCM_Proxy_MutualAuth/1/SMS_MP/.sms_aut?MPLIST (trace abc)");
        assertThat(http.get(1)).contains("Response 200 OK for GET /x").contains("ElapsedTime");
        // detached on close: later events write nothing
        events.event("F3", "request").trace("late").detail("GET /late").emit();
        assertThat(Files.readString(logs.resolve("CMG-GraniteFalls-ProxyService_IN_1-CMGHttpHandler.log")))
                .doesNotContain("late");
    }
}
