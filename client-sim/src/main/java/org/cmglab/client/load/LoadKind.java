package org.cmglab.client.load;

import java.util.Locale;

/**
 * What one simulated-client request asks the MP (through the CMG), the kinds of a load run's mix.
 *
 * <ul>
 *   <li>{@link #LOCATION}: {@code CCM_POST .../ccm_system/request} with an {@code EnumerateMPLocationRequest} for
 *       {@code MP_LocationManager} (LocationServices' periodic MP location refresh);</li>
 *   <li>{@link #MPLIST}: {@code GET .../SMS_MP/.sms_aut?MPLIST} (the internet MP list);</li>
 *   <li>{@link #POLICY}: {@code GET .../SMS_MP/.sms_pol?<policy id>} a machine policy body download (the plain
 *       policies the lab MP assigns; the secret one needs a registration and is not part of the mix);</li>
 *   <li>{@link #CONTENT}: {@code CCM_POST} {@code ContentLocationRequest} (content location, flow C1; the blob
 *       download itself goes to storage, not through the CMG).</li>
 * </ul>
 */
public enum LoadKind {
    LOCATION, MPLIST, POLICY, CONTENT;

    /** The lower-case name used in options, tables and JSON. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a label ({@code location}, {@code mplist}, {@code policy}, {@code content}). */
    public static LoadKind parse(String label) {
        for (LoadKind k : values()) {
            if (k.label().equalsIgnoreCase(label.strip())) {
                return k;
            }
        }
        throw new IllegalArgumentException("request kind: " + label
                + " (expected: location, mplist, policy or content)");
    }
}
