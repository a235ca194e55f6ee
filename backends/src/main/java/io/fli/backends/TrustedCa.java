package io.fli.backends;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The certificates a client trusts: the JVM's default trust store, or only the CA certificates of a PEM file (a
 * private CA, as a secret manager or a Kubernetes secret mounts it). Certificate chains are always verified; hostname
 * verification is the connection's business (both clients turn it on).
 */
final class TrustedCa {
    private TrustedCa() {
    }

    /** A TLS context trusting {@code caPem}'s certificates only, or the JVM's defaults when it is null. */
    static SSLContext context(Path caPem) {
        try {
            return caPem == null ? SSLContext.getDefault() : context(trustManager(caPem));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("TLS context for " + caPem + ": " + e.getMessage(), e);
        }
    }

    /** A TLS context whose trust decisions are {@code tm}'s. */
    static SSLContext context(X509TrustManager tm) {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[]{tm}, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("TLS context: " + e.getMessage(), e);
        }
    }

    /** The trust manager for {@code caPem}'s certificates, or the JVM's default one when it is null. */
    static X509TrustManager trustManager(Path caPem) {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (caPem == null) {
                tmf.init((KeyStore) null);
            } else {
                KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
                ks.load(null, null);
                Collection<? extends Certificate> certs;
                try (InputStream in = Files.newInputStream(caPem)) {
                    certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
                } catch (IOException e) {
                    throw new UncheckedIOException("the CA file " + caPem + " cannot be read ("
                            + e.getClass().getSimpleName() + ")", e);
                }
                if (certs.isEmpty()) {
                    throw new IllegalArgumentException("the CA file " + caPem + " holds no PEM certificate");
                }
                int i = 0;
                for (Certificate c : certs) {
                    ks.setCertificateEntry("ca-" + i++, c);
                }
                tmf.init(ks);
            }
            for (TrustManager tm : tmf.getTrustManagers()) {
                if (tm instanceof X509TrustManager x) {
                    return x;
                }
            }
            throw new IllegalStateException("no X.509 trust manager in this JVM");
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the CA file " + caPem + " is not a PEM certificate file: "
                    + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
