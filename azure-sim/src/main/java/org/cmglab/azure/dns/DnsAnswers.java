package org.cmglab.azure.dns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsOpCode;
import io.netty.handler.codec.dns.DnsQuery;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fills a response to one query from a zone snapshot; the same for UDP and TCP. Authoritative, never recursive
 * (RA = 0), TTL {@value LabDnsZone#TTL} s, question echoed as asked.
 */
final class DnsAnswers {
    private static final Logger log = LoggerFactory.getLogger(LabDnsServer.class);

    /** Longest CNAME chain followed inside the zone. */
    static final int MAX_CHAIN = 8;

    private final LabDnsZone zone;
    private final RateLimitedWarn warn;

    DnsAnswers(LabDnsZone zone, RateLimitedWarn warn) {
        this.zone = zone;
        this.warn = warn;
    }

    /** Fills {@code res} (created by the transport with the query id) for {@code query} from {@code client}. */
    void answer(DnsQuery query, DnsResponse res, String client, String transport) {
        res.setAuthoritativeAnswer(false).setRecursionAvailable(false).setRecursionDesired(query.isRecursionDesired());
        int questions = query.count(DnsSection.QUESTION);
        if (questions != 1) {
            res.setCode(DnsResponseCode.FORMERR);
            warn.warn("FORMERR to " + client + " (" + transport + "): " + questions
                    + " questions in one query (expected: 1)");
            return;
        }
        DnsQuestion q = query.recordAt(DnsSection.QUESTION);
        res.addRecord(DnsSection.QUESTION, new DefaultDnsQuestion(q.name(), q.type(), q.dnsClass()));
        String type = q.type().name();
        if (!DnsOpCode.QUERY.equals(query.opCode())) {
            res.setCode(DnsResponseCode.NOTIMP);
            log.info("NOTIMP {} {} to {} ({}): opcode {}", q.name(), type, client, transport, query.opCode());
            return;
        }
        String qname = lookupName(q.name());
        LabDnsZone.Snapshot s = zone.snapshot();
        String apex = s.zoneOf(qname);
        if (apex == null || (q.dnsClass() != DnsRecord.CLASS_IN && q.dnsClass() != DnsRecord.CLASS_ANY)) {
            res.setCode(DnsResponseCode.REFUSED);
            log.info("REFUSED {} {} to {} ({}): {}", qname, type, client, transport,
                    apex == null ? "outside every lab zone (no recursion)" : "class " + q.dnsClass() + " (only IN)");
            return;
        }
        res.setAuthoritativeAnswer(true);

        List<String> answered = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        String name = qname;
        String owner = q.name(); // the first owner name as asked (case preserved)
        boolean matched = false;
        DnsResponseCode code = DnsResponseCode.NOERROR;
        String soaZone = apex;
        for (int hop = 0; hop <= MAX_CHAIN && seen.add(name); hop++) {
            LabDnsZone.Rec r = s.records().get(name);
            String z = s.zoneOf(name);
            if (r == null) {
                if (z == null) {
                    // CNAME target outside the lab zones: no recursion, the client follows it itself
                    soaZone = null;
                } else {
                    soaZone = z;
                    boolean exists = name.equals(z) || s.hasDescendants(name);
                    if (exists && name.equals(z) && isType(q, DnsRecordType.SOA)) {
                        res.addRecord(DnsSection.ANSWER, soa(z, s.serial()));
                        answered.add(z + " SOA");
                        matched = true;
                    }
                    if (!exists) {
                        code = DnsResponseCode.NXDOMAIN;
                    }
                }
                break;
            }
            if (r.isCname()) {
                res.addRecord(DnsSection.ANSWER, record(owner, DnsRecordType.CNAME, encodeName(r.value())));
                answered.add(name + " CNAME " + r.value());
                if (isType(q, DnsRecordType.CNAME) || isType(q, DnsRecordType.ANY)) {
                    matched = true;
                    break;
                }
                name = r.value();
                owner = name + ".";
                continue;
            }
            soaZone = z;
            if (isType(q, DnsRecordType.A) || isType(q, DnsRecordType.ANY)) {
                res.addRecord(DnsSection.ANSWER, record(owner, DnsRecordType.A, Unpooled.wrappedBuffer(ipv4(r.value()))));
                answered.add(name + " A " + r.value());
                matched = true;
            }
            break;
        }
        res.setCode(code);
        if (!matched && soaZone != null) {
            // NXDOMAIN or NODATA: the SOA of the zone tells the client how long to cache the negative answer
            res.addRecord(DnsSection.AUTHORITY, soa(soaZone, s.serial()));
        }
        if (code == DnsResponseCode.NXDOMAIN) {
            log.info("NXDOMAIN {} {} to {} ({}){}", qname, type, client, transport,
                    answered.isEmpty() ? "" : " via " + answered);
        } else if (log.isDebugEnabled()) {
            log.debug("answer {} {} to {} ({}): {}", qname, type, client, transport,
                    answered.isEmpty() ? "no " + type + " record (NOERROR, empty)" : answered);
        }
    }

    private static boolean isType(DnsQuestion q, DnsRecordType t) {
        return q.type().intValue() == t.intValue();
    }

    static String lookupName(String asked) {
        String n = asked.toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }

    private static DnsRecord record(String owner, DnsRecordType type, ByteBuf rdata) {
        return new DefaultDnsRawRecord(owner.endsWith(".") ? owner : owner + ".", type, LabDnsZone.TTL, rdata);
    }

    /** {@code zone SOA ns.zone hostmaster.zone serial 3600 600 86400 60}. */
    static DnsRecord soa(String zone, long serial) {
        ByteBuf b = Unpooled.buffer(2 * zone.length() + 48);
        writeName(b, "ns." + zone);
        writeName(b, "hostmaster." + zone);
        b.writeInt((int) serial);
        b.writeInt(3600);   // refresh
        b.writeInt(600);    // retry
        b.writeInt(86_400); // expire
        b.writeInt(LabDnsZone.TTL); // minimum: negative answers are cached for 60 s
        return new DefaultDnsRawRecord(zone + ".", DnsRecordType.SOA, LabDnsZone.TTL, b);
    }

    static ByteBuf encodeName(String name) {
        ByteBuf b = Unpooled.buffer(name.length() + 2);
        writeName(b, name);
        return b;
    }

    private static void writeName(ByteBuf b, String name) {
        for (String label : name.split("\\.")) {
            if (label.isEmpty()) {
                continue;
            }
            byte[] bytes = label.getBytes(StandardCharsets.US_ASCII);
            b.writeByte(bytes.length).writeBytes(bytes);
        }
        b.writeByte(0);
    }

    private static byte[] ipv4(String address) {
        String[] p = address.split("\\.");
        byte[] out = new byte[4];
        for (int i = 0; i < 4; i++) {
            out[i] = (byte) Integer.parseInt(p[i]);
        }
        return out;
    }
}
