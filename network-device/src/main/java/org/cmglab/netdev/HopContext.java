package org.cmglab.netdev;

import io.netty.handler.ssl.SslContext;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.flow.FlowEventLog;

/**
 * What the handlers of one hop share: its name and place in the data flow, its TLS contexts, its upstream and rules.
 *
 * @param serverTls   context presenting the impersonated host's certificate, or null for plain HTTP
 * @param upstreamTls client context for the upstream (trusts the lab roots, checks {@code upstreamHost}), or null
 */
record HopContext(String device, String name, String step, String from, String to, SslContext serverTls,
                  String upstreamHost, Endpoint upstream, SslContext upstreamTls, RuleSet rules, FlowEventLog events,
                  int listenPort) {

    /** {@code network-device/fw01} */
    String node() {
        return "network-device/" + device;
    }

    String protocol() {
        return serverTls != null ? "HTTPS (inspected)" : "HTTP";
    }
}
