package org.cmglab.proto.config;

import java.util.Objects;

/** PEM files of a certificate (with its chain) and its private key, in the lab's state folder. */
public record TlsFiles(String certFile, String keyFile) {
    public TlsFiles {
        Objects.requireNonNull(certFile, "certFile");
        Objects.requireNonNull(keyFile, "keyFile");
    }
}
