package org.cmglab.proto.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ChannelSettingsTest {
    @Test
    void theStreamWindowDefaultsToOneMibAndFollowsItsProperty() {
        assertThat(ChannelSettings.defaults().streamWindowBytes()).isEqualTo(1 << 20);
        System.setProperty(ChannelSettings.STREAM_WINDOW_PROPERTY, String.valueOf(4 << 20));
        try {
            assertThat(ChannelSettings.defaults().streamWindowBytes()).isEqualTo(4 << 20);
            System.setProperty(ChannelSettings.STREAM_WINDOW_PROPERTY, "1000");
            assertThatThrownBy(ChannelSettings::defaults).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("streamWindowBytes: 1000");
        } finally {
            System.clearProperty(ChannelSettings.STREAM_WINDOW_PROPERTY);
        }
    }
}
