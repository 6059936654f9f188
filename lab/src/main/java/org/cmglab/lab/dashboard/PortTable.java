package org.cmglab.lab.dashboard;

import java.util.ArrayList;
import java.util.List;
import org.cmglab.lab.LabPlan;

/**
 * The article's port table (docs/ports.md), each row with the flow steps it carries and where the lab serves it for
 * one plan (address and port, the port offset applied). The page marks a row exercised once an event of one of its
 * steps arrives.
 */
final class PortTable {

    /**
     * One row.
     *
     * @param steps       flow steps this connection carries, e.g. {@code ["F3","C4"]}
     * @param from        who connects
     * @param to          to whom
     * @param protocol    HTTPS, HTTP, TCP-TLS, DNS
     * @param productPort the product's port(s), as in the article
     * @param lab         the lab's address and port(s) for this plan
     */
    record Row(List<String> steps, String from, String to, String protocol, String productPort, String lab) {}

    private PortTable() {}

    static List<Row> rows(LabPlan plan) {
        List<Row> rows = new ArrayList<>();
        int n = plan.instances();
        rows.add(new Row(List.of("F1"), "service connection point", "Azure (Entra ID, Resource Manager)", "HTTPS", "443",
                plan.azureFront().toString()));
        rows.add(new Row(List.of("F2", "F4"), "CMG connection point", "CMG, one VM instance", "HTTPS", "443",
                n == 1 ? plan.vipAddress() + ":" + plan.port(443) : "(not used: several instances)"));
        rows.add(new Row(List.of("F2", "F4"), "CMG connection point", "CMG, several VM instances", "HTTPS",
                "10124–10139 (VM i → 10124+i)", n == 1 ? "(not used: one instance)"
                        : plan.vipAddress() + ":" + plan.port(10124) + "–" + plan.port(10124 + n - 1)));
        rows.add(new Row(List.of("F2", "F4"), "CMG connection point", "classic CMG", "TCP-TLS",
                "10140–10155 (VM i → 10140+i)", plan.classic()
                        ? plan.vipAddress() + ":" + plan.port(10140) + "–" + plan.port(10140 + n - 1)
                        : "(scale set: HTTPS only)"));
        rows.add(new Row(List.of("F3", "C1", "C4"), "client", "CMG", "HTTPS", "443",
                plan.vipAddress() + ":" + plan.port(443)));
        rows.add(new Row(List.of("F5"), "CMG connection point", "management point", "HTTPS / HTTP", "443 / 80",
                plan.mp().toString()));
        rows.add(new Row(List.of("F5"), "CMG connection point", "software update point", "HTTP / HTTPS", "8530 / 8531",
                plan.supAddress() + ":" + plan.port(8530) + " / " + plan.port(8531)));
        rows.add(new Row(List.of("C3"), "client", "DNS (customer zone → Azure DNS)", "DNS", "53", plan.dns().toString()));
        rows.add(new Row(List.of("C6"), "client", "Azure blob storage", "HTTPS", "443",
                plan.blobHost() + " → " + plan.azuriteAddress() + ":" + plan.azuriteBlobPort()));
        return rows;
    }
}
