package org.cmglab.proto.runtime;

import java.util.List;
import java.util.Map;

/**
 * A {@code POST} operation on a component's admin endpoint (e.g. {@code POST /scale?count=3} on the service
 * connection point). Runs on an event loop: start the work and return at once. The returned object is sent as JSON;
 * an {@link IllegalArgumentException} becomes 400 and an {@link IllegalStateException} 409, with the message.
 */
@FunctionalInterface
public interface AdminAction {
    Object run(Map<String, List<String>> query, String body) throws Exception;
}
