package org.cmglab.webproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ConnectRequestHandlerTest {
    private final ProxyState state = new ProxyState(List.of(20443, 30124));

    private EmbeddedChannel channel() {
        return new EmbeddedChannel(new HttpServerCodec(),
                new ConnectRequestHandler(state, () -> {
                    throw new AssertionError("a refused request must not connect upstream");
                }));
    }

    private static String answer(EmbeddedChannel ch, String request) {
        ch.writeInbound(Unpooled.copiedBuffer(request, StandardCharsets.US_ASCII));
        StringBuilder sb = new StringBuilder();
        for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
            sb.append(b.toString(StandardCharsets.US_ASCII));
            b.release();
        }
        return sb.toString();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "GET http://127.0.0.1:20443/ HTTP/1.1|405|only CONNECT",
        "CONNECT 10.0.0.1:20443 HTTP/1.1|403|only 127.0.0.0/8",
        "CONNECT 127.77.1.1:30140 HTTP/1.1|403|port 30140 is not allowed",
        "CONNECT granitefalls.contoso.com:20443 HTTP/1.1|400|does not resolve names",
        "CONNECT 127.0.0.1 HTTP/1.1|400|expected: <IPv4 address>:<port>",
    })
    void refusesWithTheReasonAndCloses(String requestLine, int status, String reason) {
        EmbeddedChannel ch = channel();
        String out = answer(ch, requestLine + "\r\nHost: x\r\n\r\n");
        assertThat(out).startsWith("HTTP/1.1 " + status).contains(reason).containsIgnoringCase("connection: close");
        assertThat(ch.isOpen()).isFalse();
        assertThat(state.denied.get()).isEqualTo(1);
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void blackholeSwallowsTheRequestWithoutAnswerOrClose() {
        state.blackhole(true);
        EmbeddedChannel ch = channel();
        String out = answer(ch, "CONNECT 127.0.0.1:20443 HTTP/1.1\r\n\r\n");
        assertThat(out).isEmpty();
        assertThat(ch.isOpen()).isTrue();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void parsesOnlyIpv4LiteralTargets() {
        assertThat(ConnectRequestHandler.parseTarget("127.77.1.1:20443").getPort()).isEqualTo(20443);
        assertThatThrownBy(() -> ConnectRequestHandler.parseTarget("127.0.0.1:70000"))
                .hasMessageContaining("port 1..65535");
        assertThatThrownBy(() -> ConnectRequestHandler.parseTarget("[::1]:443"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
