package org.cmglab.site.sts;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.jwk.JWKSet;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.net.URI;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.cmglab.proto.config.TokenAuthConfig;
import org.cmglab.proto.pki.Pem;
import org.cmglab.proto.pki.TlsContexts;
import org.cmglab.proto.runtime.Json;
import org.cmglab.proto.runtime.LabHttpClient;
import org.cmglab.proto.runtime.LabResolvers;
import org.cmglab.proto.token.EntraTokenVerifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the onboarded tenant's signing keys for {@code CCM_STS}: the discovery document at
 * {@link TokenAuthConfig#entraMetadataUrl()} (through the lab DNS), then its {@code jwks_uri}. Entra's documents name
 * their URLs without a port; when the metadata URL has one (the lab's port offset) the same port is used for a
 * {@code jwks_uri} on the same host. Retries every 2 s, at most {@value #MAX_ATTEMPTS} times, then gives up (CCM_STS
 * keeps refusing Entra tokens with IDX10500 and says so in its log).
 */
public final class EntraKeys {
    private static final Logger log = LoggerFactory.getLogger("CCM_STS");
    static final int MAX_ATTEMPTS = 30;

    private EntraKeys() {}

    static JWKSet parse(String json) {
        try {
            return JWKSet.parse(json);
        } catch (ParseException e) {
            throw new IllegalArgumentException("entraJwks: not a JWK set (" + e.getMessage() + ")", e);
        }
    }

    /** Starts loading (never blocks); the keys are installed into {@code verifier} when they arrive. */
    public static void load(TokenAuthConfig config, EntraTokenVerifier verifier, EventLoopGroup group) {
        if (verifier.hasKeys() || config.entraMetadataUrl() == null) {
            return;
        }
        LabHttpClient http;
        try {
            List<X509Certificate> roots = new ArrayList<>();
            for (String f : config.trustRoots()) {
                roots.addAll(Pem.readCertificates(Path.of(f)));
            }
            http = new LabHttpClient(group, TlsContexts.client(roots, null),
                    LabResolvers.forConfig(Map.of(), config.dnsServer()));
        } catch (Exception e) {
            log.error("Cannot load the keys of tenant {}: {}", config.entraTenantId(), e.toString());
            return;
        }
        attempt(http, URI.create(config.entraMetadataUrl()), verifier, group, 1);
    }

    private static void attempt(LabHttpClient http, URI metadata, EntraTokenVerifier verifier, EventLoopGroup group,
                                int n) {
        fetch(http, metadata).whenComplete((keys, err) -> {
            if (err == null) {
                verifier.keys(keys);
                log.info("Loaded {} signing key(s) of tenant {} from {}", keys.getKeys().size(), verifier.tenantId(),
                        metadata);
                return;
            }
            if (n >= MAX_ATTEMPTS) {
                log.error("Giving up loading the keys of tenant {} from {} after {} attempts: {}", verifier.tenantId(),
                        metadata, n, err.toString());
                return;
            }
            log.warn("Cannot load the keys of tenant {} from {} (attempt {}): {}; retrying in 2 s",
                    verifier.tenantId(), metadata, n, err.toString());
            group.schedule(() -> attempt(http, metadata, verifier, group, n + 1), 2, TimeUnit.SECONDS);
        });
    }

    static CompletableFuture<JWKSet> fetch(LabHttpClient http, URI metadata) {
        DefaultHttpHeaders h = new DefaultHttpHeaders();
        h.set(HttpHeaderNames.ACCEPT, "application/json");
        return http.get(metadata, h).thenCompose(res -> {
            if (!res.isSuccess()) {
                throw new IllegalStateException(metadata + " answered " + res);
            }
            JsonNode doc;
            try {
                doc = Json.MAPPER.readTree(res.body());
            } catch (java.io.IOException e) {
                throw new IllegalStateException(metadata + ": not JSON", e);
            }
            String jwks = doc.path("jwks_uri").asText(null);
            if (jwks == null) {
                throw new IllegalStateException(metadata + ": no jwks_uri");
            }
            URI keys = withPort(URI.create(jwks), metadata);
            return http.get(keys, h).thenApply(k -> {
                if (!k.isSuccess()) {
                    throw new IllegalStateException(keys + " answered " + k);
                }
                return parse(k.bodyText());
            });
        });
    }

    /** {@code uri} with {@code like}'s port when it has none and names the same host. */
    static URI withPort(URI uri, URI like) {
        if (uri.getPort() != -1 || like.getPort() == -1 || !uri.getHost().equalsIgnoreCase(like.getHost())) {
            return uri;
        }
        return URI.create(uri.getScheme() + "://" + uri.getHost() + ":" + like.getPort() + uri.getRawPath()
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
    }
}
