package org.cmglab.site.sts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import org.cmglab.proto.jwt.JwtSigner;
import org.junit.jupiter.api.Test;

class EntraKeysTest {
    @Test
    void jwksUriWithoutPortTakesTheMetadataUrlsPortOnTheSameHostOnly() {
        URI meta = URI.create("https://login.microsoftonline.com:20443/t/.well-known/openid-configuration");
        assertThat(EntraKeys.withPort(URI.create("https://login.microsoftonline.com/common/discovery/keys"), meta))
                .hasToString("https://login.microsoftonline.com:20443/common/discovery/keys");
        assertThat(EntraKeys.withPort(URI.create("https://other.example/keys"), meta))
                .hasToString("https://other.example/keys");
        assertThat(EntraKeys.withPort(URI.create("https://login.microsoftonline.com:443/keys"), meta))
                .hasToString("https://login.microsoftonline.com:443/keys");
        assertThat(EntraKeys.withPort(URI.create("https://login.microsoftonline.com/keys"),
                URI.create("https://login.microsoftonline.com/t/.well-known/openid-configuration")))
                .hasToString("https://login.microsoftonline.com/keys");
    }

    @Test
    void configuredJwksIsParsedAndGarbageRefused() {
        assertThat(EntraKeys.parse(JwtSigner.generate("k").publicJwkSetJson()).getKeys()).hasSize(1);
        assertThatThrownBy(() -> EntraKeys.parse("{nope")).isInstanceOf(IllegalArgumentException.class);
    }
}
