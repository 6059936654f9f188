package org.cmglab.scp;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.cmglab.proto.runtime.LabHttpClient;

/** Waits for a {@link LabHttpClient} call from CloudMgr's worker thread (never from an event loop). */
final class Calls {
    private Calls() {}

    static LabHttpClient.Response await(CompletableFuture<LabHttpClient.Response> f, String what) throws IOException {
        try {
            return f.get(LabHttpClient.DEFAULT_RESPONSE_TIMEOUT.toSeconds() + 15, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(what + ": interrupted", e);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new IOException(what + ": no response", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw new IOException(what + ": " + (c.getMessage() == null ? c.toString() : c.getMessage()), c);
        }
    }
}
