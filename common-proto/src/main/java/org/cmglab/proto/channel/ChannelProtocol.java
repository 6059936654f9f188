package org.cmglab.proto.channel;

/**
 * Wire constants of the lab's connection point channel (our own design; the real product's framing is not
 * public, see cmg-facts.md §10.1).
 *
 * <p>HTTPS transport: the connection point opens TLS to the CMG (443 for one VM instance, 10124+i otherwise),
 * presents its client-auth certificate and sends
 * <pre>
 * GET /CMGChannel/v1 HTTP/1.1
 * Host: &lt;CMG service name&gt;
 * Connection: Upgrade
 * Upgrade: cmglab-channel/1
 * CMG-Connection-Id: &lt;uuid&gt;
 * CMG-Connector: &lt;connection point FQDN&gt;
 * CMG-Site: &lt;site code&gt;
 * </pre>
 * The CMG answers {@code 101 Switching Protocols} (or 403/404/503 with a reason) and from then on the socket
 * carries HTTP/2 with reversed roles: the connection point is the HTTP/2 <em>server</em>, the CMG the client that
 * opens one stream per forwarded client request. TCP-TLS transport (10140+i) skips the upgrade.
 *
 * <p>First stream: the CMG sends {@code GET /CMGChannel/v1/hello}; the connection point answers a JSON
 * {@link ChannelHello} naming itself, its site and the role ids it forwards to. Client requests follow as
 * streams whose {@code :path} is the client's external path, unchanged.
 */
public final class ChannelProtocol {
    public static final String UPGRADE_PATH = "/CMGChannel/v1";
    public static final String HELLO_PATH = "/CMGChannel/v1/hello";
    public static final String UPGRADE_TOKEN = "cmglab-channel/1";
    public static final String HDR_CONNECTION_ID = "CMG-Connection-Id";
    public static final String HDR_CONNECTOR = "CMG-Connector";
    public static final String HDR_SITE = "CMG-Site";

    /** Stream header (CMG → CP): original names of the client's headers, in order, comma-separated. */
    public static final String H2_HEADER_NAMES = "cmg-header-names";
    /** Stream header (CP → CMG): the reason phrase of the MP's (or the CP's) status line. */
    public static final String H2_REASON = "cmg-reason";
    /** Stream header (CMG → CP): the client's authentication as the CMG verified it. */
    public static final String H2_CLIENT_AUTH = "cmg-client-auth";
    /** Stream header (CMG → CP): CMG message id, logged on both sides like the product's MessageID. */
    public static final String H2_MESSAGE_ID = "cmg-message-id";

    private ChannelProtocol() {}
}
