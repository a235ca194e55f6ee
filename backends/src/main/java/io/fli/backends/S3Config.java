package io.fli.backends;

import java.time.Duration;
import java.util.Map;

/**
 * How to reach an S3 store (MinIO in production, the local S3Proxy in tests).
 *
 * @param endpoint  e.g. {@code https://minio.internal:9000}
 * @param accessKey access key
 * @param secretKey secret key
 * @param bucket    the bucket (created if missing)
 * @param timeout   connect, read and write timeout of each request
 * @param ca        PEM file of the CA certificates to trust for an {@code https} endpoint, or null for the JVM's
 *                  default trust store; the certificate chain and the hostname are always verified
 */
public record S3Config(String endpoint, String accessKey, String secretKey, String bucket, Duration timeout,
                       java.nio.file.Path ca) {

    /** A configuration trusting the JVM's default CAs. */
    public S3Config(String endpoint, String accessKey, String secretKey, String bucket, Duration timeout) {
        this(endpoint, accessKey, secretKey, bucket, timeout, null);
    }

    /**
     * From environment variables: {@code FLI_S3_ENDPOINT}, {@code FLI_S3_ACCESS_KEY}, {@code FLI_S3_SECRET_KEY} or
     * {@code FLI_S3_SECRET_KEY_FILE}, {@code FLI_S3_BUCKET} (default {@code fli}), {@code FLI_S3_TIMEOUT_MS},
     * {@code FLI_S3_CA_FILE} (PEM of the CAs to trust for https; default: the JVM's).
     */
    public static S3Config fromEnvironment(Map<String, String> env) {
        return new S3Config(CqlConfig.require(env, "FLI_S3_ENDPOINT"), CqlConfig.require(env, "FLI_S3_ACCESS_KEY"),
                Secrets.value(env, "FLI_S3_SECRET_KEY"), env.getOrDefault("FLI_S3_BUCKET", "fli"),
                Duration.ofMillis(Long.parseLong(env.getOrDefault("FLI_S3_TIMEOUT_MS", "5000"))),
                CqlConfig.caFile(env, "FLI_S3_CA_FILE"));
    }

    /** The environment variables {@link #fromEnvironment} reads back as this configuration (for a child process). */
    public Map<String, String> toEnvironment() {
        Map<String, String> env = new java.util.LinkedHashMap<>();
        env.put("FLI_S3_ENDPOINT", endpoint);
        env.put("FLI_S3_ACCESS_KEY", accessKey);
        env.put("FLI_S3_SECRET_KEY", secretKey);
        env.put("FLI_S3_BUCKET", bucket);
        env.put("FLI_S3_TIMEOUT_MS", Long.toString(timeout.toMillis()));
        if (ca != null) {
            env.put("FLI_S3_CA_FILE", ca.toString());
        }
        return env;
    }

    /** The same configuration with another endpoint (e.g. a fault-injecting proxy). */
    public S3Config withEndpoint(String newEndpoint) {
        return new S3Config(newEndpoint, accessKey, secretKey, bucket, timeout, ca);
    }

    /** The same configuration with another secret key (tests of refusals). */
    public S3Config withSecretKey(String secret) {
        return new S3Config(endpoint, accessKey, secret, bucket, timeout, ca);
    }

    /** The same configuration trusting {@code caPem} (null: the JVM's default CAs). */
    public S3Config withCa(java.nio.file.Path caPem) {
        return new S3Config(endpoint, accessKey, secretKey, bucket, timeout, caPem);
    }

    /** {@code host:port} of the endpoint (the scheme's default port if it names none). */
    public String hostPort() {
        java.net.URI u = java.net.URI.create(endpoint);
        int port = u.getPort() >= 0 ? u.getPort() : "https".equals(u.getScheme()) ? 443 : 80;
        return u.getHost() + ":" + port;
    }

    @Override
    public String toString() {
        return "S3Config[" + endpoint + " bucket=" + bucket + " accessKey=" + accessKey + " secretKey=****"
                + (ca == null ? "" : " ca=" + ca) + "]";
    }
}
