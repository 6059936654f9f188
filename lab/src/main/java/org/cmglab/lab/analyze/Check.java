package org.cmglab.lab.analyze;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Objects;

/**
 * One result line of the connection analyzer: what was checked, whether it passed, why, and (when it failed) what
 * an admin should fix.
 *
 * @param area   the part of the CMG checked: {@code CMG service}, {@code Connection point}, {@code Authentication},
 *               {@code Management point}, {@code Software update point}, {@code Content}
 * @param name   the check, e.g. {@code DNS name resolves to the VIP}
 * @param status PASS, FAIL or SKIP (not run because an earlier check it needs failed, or not applicable)
 * @param reason what was found (also on PASS: the evidence)
 * @param fix    what to fix, in admin language (null on PASS)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Check(String area, String name, Status status, String reason, String fix) {

    /** The outcome of one check. */
    public enum Status { PASS, FAIL, SKIP }

    public Check {
        Objects.requireNonNull(area, "area");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(reason, "reason");
        if (status == Status.FAIL && (fix == null || fix.isBlank())) {
            throw new IllegalArgumentException("fix: " + fix + " (expected: a hint for every FAIL)");
        }
    }

    public static Check pass(String area, String name, String reason) {
        return new Check(area, name, Status.PASS, reason, null);
    }

    public static Check fail(String area, String name, String reason, String fix) {
        return new Check(area, name, Status.FAIL, reason, fix);
    }

    public static Check skip(String area, String name, String reason) {
        return new Check(area, name, Status.SKIP, reason, null);
    }

    public boolean passed() {
        return status == Status.PASS;
    }

    public boolean failed() {
        return status == Status.FAIL;
    }
}
