package org.cmglab.proto.content;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ContentTokenTest {
    private static final String CLIENT = "GUID:11111111-2222-3333-4444-555555555555";
    private static final Instant T0 = Instant.parse("2026-11-29T07:00:00Z");
    private static final Duration SKEW = Duration.ofMinutes(5);
    private static KeyPair site;
    private static KeyPair other;

    @BeforeAll
    static void keys() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        site = g.generateKeyPair();
        other = g.generateKeyPair();
    }

    private static Clock at(Instant t) {
        return Clock.fixed(t, ZoneOffset.UTC);
    }

    private static ContentToken issued() {
        return ContentToken.issue("P0100012", "P0100012", CLIENT, "mp01.contoso.com", at(T0), site.getPrivate());
    }

    @Test
    void carriesTheObservedParametersAndIsValidFor24Hours() throws Exception {
        ContentToken t = issued();
        assertThat(t.query()).startsWith("pid=P0100012&cid=P0100012&tid=GUID:11111111-2222-3333-4444-555555555555"
                + "&iss=mp01.contoso.com&alg=1.2.840.113549.1.1.11&st=2026-11-29T07:00:00Z&et=2026-11-30T07:00:00Z&sig=");
        ContentToken back = ContentToken.parse(t.query());
        assertThat(back).isEqualTo(t);
        back.verify(site.getPublic(), "P0100012", "P0100012", CLIENT, at(T0.plus(Duration.ofHours(23))), SKEW);
    }

    @Test
    void refusesAnExpiredToken() throws Exception {
        ContentToken t = ContentToken.parse(issued().query());
        assertThatThrownBy(() -> t.verify(site.getPublic(), "P0100012", "P0100012", CLIENT,
                at(T0.plus(Duration.ofHours(24)).plus(SKEW).plusSeconds(1)), SKEW))
                .isInstanceOfSatisfying(ContentTokenException.class,
                        e -> assertThat(e.reason()).isEqualTo(ContentTokenException.Reason.EXPIRED));
    }

    @Test
    void refusesATokenForOtherContentOrAnotherClient() throws Exception {
        ContentToken t = ContentToken.parse(issued().query());
        assertThatThrownBy(() -> t.verify(site.getPublic(), "P0100013", "P0100013", CLIENT, at(T0), SKEW))
                .isInstanceOfSatisfying(ContentTokenException.class,
                        e -> assertThat(e.reason()).isEqualTo(ContentTokenException.Reason.WRONG_CONTENT));
        assertThatThrownBy(() -> t.verify(site.getPublic(), "P0100012", "P0100012",
                "GUID:99999999-2222-3333-4444-555555555555", at(T0), SKEW))
                .isInstanceOfSatisfying(ContentTokenException.class,
                        e -> assertThat(e.reason()).isEqualTo(ContentTokenException.Reason.WRONG_CLIENT));
    }

    @Test
    void refusesATamperedOrForeignSignedToken() throws Exception {
        String q = issued().query();
        ContentToken tampered = ContentToken.parse(q.replace("cid=P0100012", "cid=P0100013"));
        assertThatThrownBy(() -> tampered.verify(site.getPublic(), "P0100012", "P0100013", CLIENT, at(T0), SKEW))
                .isInstanceOfSatisfying(ContentTokenException.class,
                        e -> assertThat(e.reason()).isEqualTo(ContentTokenException.Reason.BAD_SIGNATURE));
        ContentToken longer = ContentToken.parse(q.replace("et=2026-11-30", "et=2027-11-30"));
        assertThatThrownBy(() -> longer.verify(site.getPublic(), "P0100012", "P0100012", CLIENT, at(T0), SKEW))
                .isInstanceOfSatisfying(ContentTokenException.class,
                        e -> assertThat(e.reason()).isEqualTo(ContentTokenException.Reason.BAD_SIGNATURE));
        ContentToken foreign = ContentToken.issue("P0100012", "P0100012", CLIENT, "mp01.contoso.com", at(T0),
                other.getPrivate());
        assertThatThrownBy(() -> foreign.verify(site.getPublic(), "P0100012", "P0100012", CLIENT, at(T0), SKEW))
                .isInstanceOfSatisfying(ContentTokenException.class,
                        e -> assertThat(e.reason()).isEqualTo(ContentTokenException.Reason.BAD_SIGNATURE));
    }

    @Test
    void refusesMalformedQueries() {
        assertThatThrownBy(() -> ContentToken.parse("pid=P0100012&cid=P0100012"))
                .isInstanceOfSatisfying(ContentTokenException.class,
                        e -> assertThat(e.reason()).isEqualTo(ContentTokenException.Reason.MALFORMED));
        assertThatThrownBy(() -> ContentToken.parse(issued().query().replace("alg=1.2.840.113549.1.1.11", "alg=1.2.3")))
                .isInstanceOfSatisfying(ContentTokenException.class,
                        e -> assertThat(e.reason()).isEqualTo(ContentTokenException.Reason.UNSUPPORTED_ALGORITHM));
        assertThatThrownBy(() -> ContentToken.parse(issued().query() + "&pid=X"))
                .isInstanceOf(ContentTokenException.class).hasMessageContaining("twice");
    }
}
