package org.cmglab.azure.http;

import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;

/**
 * One emulated Azure endpoint (Entra ID, Resource Manager, Graph…), mounted on the HTTPS front of azure-sim by host
 * name. Runs on an event loop: never block. The request is released by the caller after {@code handle} returns.
 */
@FunctionalInterface
public interface HttpService {
    FullHttpResponse handle(FullHttpRequest request, RequestInfo info);
}
