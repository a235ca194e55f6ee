package io.fli.backends;

import io.fli.engine.BackendException;
import io.fli.engine.BlobStore;
import io.fli.engine.HealthReporting;
import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.errors.ErrorResponseException;
import io.minio.messages.Item;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;

/**
 * {@link BlobStore} on S3 through the MinIO Java SDK (MinIO in production; S3Proxy in this project's tests).
 * Puts are create-only ({@code If-None-Match: *}), so a losing writer can never overwrite a winner's blob; every
 * call has bounded timeouts, is retried with exponential backoff and jitter (all blob calls are idempotent), and
 * passes a circuit breaker. Blob contents carry their own checksums, verified by the engine on every read.
 */
public final class MinioBlobStore implements BlobStore, HealthReporting {
    private final MinioClient client;
    private final BytePuts puts;
    private final OkHttpClient http;
    private final String bucket;
    private final String endpoint;
    private final Resilience resilience;

    private MinioBlobStore(MinioClient client, BytePuts puts, OkHttpClient http, String bucket, String endpoint,
                           long jitterSeed) {
        this.client = client;
        this.puts = puts;
        this.http = http;
        this.bucket = bucket;
        this.endpoint = endpoint;
        this.resilience = new Resilience("s3", 4, Duration.ofMillis(50), MinioBlobStore::transientError, jitterSeed);
    }

    /** Connects and creates the bucket if it does not exist; retry jitter differs per process. */
    public static MinioBlobStore connect(S3Config c) {
        return connect(c, Resilience.processSeed());
    }

    /**
     * A PUT of a byte array as one request whatever its size. The SDK's public {@code putObject} takes a stream: it
     * copies the blob part by part into growing buffers (6% of the profile samples of a 2M-log local build),
     * and above 5 MiB it uploads in parts, where {@code If-None-Match} only applies on completion. The SDK's own
     * request builder takes a byte array as the body directly; this subclass reaches it.
     */
    static final class BytePuts extends io.minio.MinioAsyncClient {
        private static final com.google.common.collect.Multimap<String, String> CREATE_ONLY =
                com.google.common.collect.ImmutableMultimap.of("If-None-Match", "*",
                        "Content-Type", "application/octet-stream");

        BytePuts(io.minio.MinioAsyncClient client) {
            super(client);
        }

        /** Creates {@code key} unless it exists (then the server answers 412, an {@link ErrorResponseException}). */
        void put(String bucket, String key, byte[] data) throws Exception {
            try {
                putObjectAsync(bucket, null, key, data, data.length, CREATE_ONLY, null).get();
            } catch (java.util.concurrent.ExecutionException e) {
                throwEncapsulatedException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw e;
            }
        }
    }

    /**
     * Sockets with Nagle's algorithm off. A PUT writes its headers and then its body; with Nagle on, the body waits
     * for the server to acknowledge the headers, which a delayed ACK holds back for up to 40 ms: every PUT cost
     * about 45 ms on loopback, whatever its size, until this.
     */
    static final class NoDelaySockets extends javax.net.SocketFactory {
        private final javax.net.SocketFactory plain = javax.net.SocketFactory.getDefault();

        private static java.net.Socket noDelay(java.net.Socket s) throws java.io.IOException {
            s.setTcpNoDelay(true);
            return s;
        }

        @Override
        public java.net.Socket createSocket() throws java.io.IOException {
            return noDelay(plain.createSocket());
        }

        @Override
        public java.net.Socket createSocket(String host, int port) throws java.io.IOException {
            return noDelay(plain.createSocket(host, port));
        }

        @Override
        public java.net.Socket createSocket(String host, int port, java.net.InetAddress local, int localPort)
                throws java.io.IOException {
            return noDelay(plain.createSocket(host, port, local, localPort));
        }

        @Override
        public java.net.Socket createSocket(java.net.InetAddress host, int port) throws java.io.IOException {
            return noDelay(plain.createSocket(host, port));
        }

        @Override
        public java.net.Socket createSocket(java.net.InetAddress host, int port, java.net.InetAddress local,
                                            int localPort) throws java.io.IOException {
            return noDelay(plain.createSocket(host, port, local, localPort));
        }
    }

    /**
     * Requests in flight at once (OkHttp's default is 5 per host). The MinIO SDK runs every call through OkHttp's
     * asynchronous dispatcher, so that default capped a process at 5 concurrent S3 calls to one endpoint — and a
     * MinIO cluster behind a load balancer is one endpoint. A PUT holds its slot while its body uploads: on local
     * servers, with 4 uploads of 5 MB running, 14 KB GETs from 8 threads took p50 8.6–10.0 ms against 5.0–6.8 ms
     * with the cap raised (the writer's packs, segments and merges uploading while the same process answers
     * queries). The connections kept idle grow with it, so a burst does not reconnect each time.
     */
    static final int MAX_REQUESTS = 128;

    /** As {@link #connect(S3Config)}, with the retry jitter drawn from {@code jitterSeed} (reproducible runs). */
    public static MinioBlobStore connect(S3Config c, long jitterSeed) {
        okhttp3.Dispatcher dispatcher = new okhttp3.Dispatcher();
        dispatcher.setMaxRequests(MAX_REQUESTS);
        dispatcher.setMaxRequestsPerHost(MAX_REQUESTS);
        OkHttpClient.Builder hb = new OkHttpClient.Builder().dispatcher(dispatcher)
                .connectionPool(new okhttp3.ConnectionPool(32, 5, TimeUnit.MINUTES));
        if (c.ca() != null) {
            // Trust only the given CAs; OkHttp verifies the hostname against the certificate by default.
            javax.net.ssl.X509TrustManager tm = TrustedCa.trustManager(c.ca());
            hb.sslSocketFactory(TrustedCa.context(tm).getSocketFactory(), tm);
        }
        OkHttpClient http = hb
                .connectTimeout(c.timeout().toMillis(), TimeUnit.MILLISECONDS)
                .readTimeout(c.timeout().toMillis(), TimeUnit.MILLISECONDS)
                .writeTimeout(c.timeout().toMillis(), TimeUnit.MILLISECONDS)
                .callTimeout(c.timeout().toMillis() * 2, TimeUnit.MILLISECONDS)
                // A pooled connection the server closed (a restart, an idle timeout) fails on reuse: OkHttp then
                // retries that request once on a fresh connection, so a burst of parallel calls after a restart does
                // not all fail at once and open the circuit breaker. A server that is down still fails the call.
                .retryOnConnectionFailure(true)
                .socketFactory(new NoDelaySockets())
                .build();
        MinioClient client = MinioClient.builder().endpoint(c.endpoint()).credentials(c.accessKey(), c.secretKey())
                .httpClient(http).build();
        BytePuts puts = new BytePuts(io.minio.MinioAsyncClient.builder().endpoint(c.endpoint())
                .credentials(c.accessKey(), c.secretKey()).httpClient(http).build());
        MinioBlobStore store = new MinioBlobStore(client, puts, http, c.bucket(), c.endpoint(), jitterSeed);
        try {
            store.call("bucket check", () -> {
                if (!client.bucketExists(BucketExistsArgs.builder().bucket(c.bucket()).build())) {
                    try {
                        client.makeBucket(MakeBucketArgs.builder().bucket(c.bucket()).build());
                    } catch (ErrorResponseException e) {
                        if (!"BucketAlreadyOwnedByYou".equals(e.errorResponse().code())
                                && !"BucketAlreadyExists".equals(e.errorResponse().code())) {
                            throw e;
                        }
                    }
                }
                return null;
            });
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        return store;
    }

    static boolean transientError(Throwable e) {
        if (e instanceof ErrorResponseException er) {
            String code = er.errorResponse().code();
            return !"NoSuchKey".equals(code) && !"PreconditionFailed".equals(code) && !"AccessDenied".equals(code)
                    && !"SignatureDoesNotMatch".equals(code) && !"InvalidAccessKeyId".equals(code);
        }
        if (e instanceof WrappedException w && w.getCause() != null) {
            return transientError(w.getCause());
        }
        // A certificate the client does not accept is refused the same way on every attempt.
        if (e instanceof javax.net.ssl.SSLPeerUnverifiedException
                || (e instanceof javax.net.ssl.SSLHandshakeException && e.getMessage() != null
                && e.getMessage().contains("PKIX"))) {
            return false;
        }
        return e instanceof java.io.IOException || e instanceof WrappedException;
    }

    /** A checked S3 failure carried through the resilience decorators. */
    static final class WrappedException extends RuntimeException {
        WrappedException(Exception e) {
            super(e.getMessage(), e, false, false);
        }
    }

    @FunctionalInterface
    private interface S3Call<T> {
        T run() throws Exception;
    }

    private <T> T call(String what, S3Call<T> call) {
        try {
            return resilience.idempotent(what, () -> {
                try {
                    return call.run();
                } catch (RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new WrappedException(e);
                }
            });
        } catch (WrappedException e) {
            Throwable cause = e.getCause();
            throw new BackendException("s3 " + what + " at " + endpoint + " failed: " + describe(cause), cause);
        }
    }

    static String describe(Throwable e) {
        if (e instanceof ErrorResponseException er) {
            String code = er.errorResponse().code();
            String why = switch (code) {
                case "SignatureDoesNotMatch" -> "refused: the secret key is wrong (FLI_S3_SECRET_KEY[_FILE]); ";
                case "InvalidAccessKeyId" -> "refused: the access key is unknown to the server (FLI_S3_ACCESS_KEY); ";
                case "AccessDenied" -> "refused: this identity is not allowed that action; ";
                default -> "";
            };
            return why + code + " (" + er.errorResponse().message() + ")";
        }
        String m = e.getClass().getSimpleName() + ": " + e.getMessage();
        if (e instanceof javax.net.ssl.SSLPeerUnverifiedException) {
            return "TLS refused: hostname mismatch, the server's certificate does not name the host connected to; "
                    + m;
        }
        if (e instanceof javax.net.ssl.SSLHandshakeException && String.valueOf(e.getMessage()).contains("PKIX")) {
            return "TLS refused: the server's certificate is not signed by a trusted CA (FLI_S3_CA_FILE); " + m;
        }
        if (e instanceof javax.net.ssl.SSLException) {
            return "TLS handshake failed (an https endpoint that is not TLS, or plain http to a TLS port?); " + m;
        }
        return m;
    }

    @Override
    public PutOutcome putIfAbsent(String key, byte[] data) {
        return call("put of " + key, () -> {
            try {
                puts.put(bucket, key, data);
                return PutOutcome.CREATED;
            } catch (ErrorResponseException e) {
                String c = e.errorResponse().code();
                if ("PreconditionFailed".equals(c) || e.response().code() == 412) {
                    return PutOutcome.ALREADY_EXISTS;
                }
                throw e;
            }
        });
    }

    @Override
    public Optional<byte[]> get(String key) {
        return call("get of " + key, () -> {
            try (InputStream in = client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
                return Optional.of(in.readAllBytes());
            } catch (ErrorResponseException e) {
                if ("NoSuchKey".equals(e.errorResponse().code())) {
                    return Optional.empty();
                }
                throw e;
            }
        });
    }

    /** A ranged GET ({@code Range: bytes=offset-(offset+length-1)}); a range past the end gives no bytes. */
    @Override
    public Optional<byte[]> getRange(String key, long offset, int length) {
        if (length <= 0) {
            return get(key).map(b -> new byte[0]);
        }
        return call("ranged get of " + key, () -> {
            try (InputStream in = client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).offset(offset)
                    .length((long) length).build())) {
                return Optional.of(in.readAllBytes());
            } catch (ErrorResponseException e) {
                if ("NoSuchKey".equals(e.errorResponse().code())) {
                    return Optional.empty();
                }
                if ("InvalidRange".equals(e.errorResponse().code()) || e.response().code() == 416) {
                    return Optional.of(new byte[0]); // the blob ends before offset
                }
                throw e;
            }
        });
    }

    @Override
    public void delete(String key) {
        call("delete of " + key, () -> {
            client.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(key).build());
            return null;
        });
    }

    @Override
    public List<BlobInfo> list(String prefix) {
        return call("list of " + prefix, () -> {
            List<BlobInfo> out = new ArrayList<>();
            for (Result<Item> r : client.listObjects(ListObjectsArgs.builder().bucket(bucket).prefix(prefix)
                    .recursive(true).build())) {
                Item i = r.get();
                out.add(new BlobInfo(i.objectName(), i.size(),
                        i.lastModified() == null ? 0 : i.lastModified().toInstant().toEpochMilli()));
            }
            out.sort((a, b) -> a.key().compareTo(b.key()));
            return out;
        });
    }

    @Override
    public Optional<String> throttledReason() {
        return resilience.throttledReason();
    }

    public Resilience resilience() {
        return resilience;
    }

    @Override
    public void close() {
        try {
            client.close();
        } catch (Exception e) {
            // closing is best effort
        }
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }
}
