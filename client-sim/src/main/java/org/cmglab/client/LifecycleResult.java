package org.cmglab.client;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code register} / {@code policy} / {@code location} / {@code lifecycle} did, printed as {@code RESULT <json>}.
 * Mutable while the command runs; the exit code follows {@link MpListResult.Failure} (0 ok, 1 HTTP status,
 * 3 TLS, 4 connect, 5 no response, 6 bad reply content).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class LifecycleResult {
    public String traceId;
    public String auth;
    /** {@code cmg} or {@code direct}. */
    public String route;
    public String smsId;
    public Boolean approved;
    public List<PolicyOutcome> policies;
    public String secretPolicyAccount;
    public List<String> mps;
    public String internetMp;
    public String siteCode;
    public String wsusUrl;
    /** {@code ok} when the SUP answered {@code GetConfig} at {@link #wsusUrl}. */
    public String supGetConfig;
    public List<String> steps = new ArrayList<>();
    /** The step that failed, with its HTTP status (0 without a response) and why. */
    public String failedStep;
    public Integer status;
    public String error;
    @JsonIgnore
    public MpListResult.Failure failure = MpListResult.Failure.NONE;

    /** One policy body download. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record PolicyOutcome(String id, String category, int status, boolean secret, boolean hashOk,
                                Boolean decrypted) {}

    @JsonIgnore
    public int exitCode() {
        return failure.exitCode;
    }

    void fail(String step, MpListResult.Failure kind, int status, String error) {
        this.failedStep = step;
        this.failure = kind;
        this.status = status;
        this.error = error;
    }
}
