package io.fli.backends;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The TLS material of one set of secure local servers, made fresh with the JDK's {@code keytool}: a private
 * certificate authority ({@code ca.pem}, the only certificate clients trust) and a server key whose certificate it
 * signs for {@code 127.0.0.1} and {@code localhost} only ({@code server.p12}, PKCS#12). Passwords are random, reach
 * keytool through its environment (never its command line, which other users can read), and live in 0600 files.
 */
public final class LocalTls {
    /** The names the server certificate is valid for: what a client must connect to. */
    public static final String SAN = "ip:127.0.0.1,dns:localhost";

    private final Path dir;
    private final String storePassword;

    private LocalTls(Path dir, String storePassword) {
        this.dir = dir;
        this.storePassword = storePassword;
    }

    /** Creates a CA and a server certificate under {@code dir} (made 0700). */
    public static LocalTls create(Path dir) {
        try {
            Files.createDirectories(dir);
            Secrets.ownerOnly(dir);
            String caPass = randomSecret();
            String pass = randomSecret();
            Secrets.writePrivate(dir.resolve("keystore-password"), pass + "\n");
            List<String> ca = List.of("-keystore", "ca.p12", "-storetype", "PKCS12", "-storepass:env", "CA_PASS");
            List<String> server = List.of("-keystore", "server.p12", "-storetype", "PKCS12", "-storepass:env",
                    "STORE_PASS");
            keytool(dir, caPass, pass, concat(List.of("-genkeypair", "-alias", "ca", "-keyalg", "RSA", "-keysize",
                    "2048", "-dname", "CN=fli local CA", "-ext", "bc:c", "-validity", "30"), ca));
            keytool(dir, caPass, pass, concat(List.of("-exportcert", "-rfc", "-alias", "ca", "-file", "ca.pem"), ca));
            keytool(dir, caPass, pass, concat(List.of("-genkeypair", "-alias", "server", "-keyalg", "RSA",
                    "-keysize", "2048", "-dname", "CN=localhost, O=fli local server", "-validity", "30"), server));
            keytool(dir, caPass, pass, concat(List.of("-certreq", "-alias", "server", "-file", "server.csr"), server));
            keytool(dir, caPass, pass, concat(List.of("-gencert", "-alias", "ca", "-infile", "server.csr", "-outfile",
                    "server.pem", "-rfc", "-validity", "30", "-ext", "san=" + SAN, "-ext",
                    "ku:c=digitalSignature,keyEncipherment", "-ext", "eku=serverAuth"), ca));
            keytool(dir, caPass, pass, concat(List.of("-importcert", "-noprompt", "-alias", "ca", "-file", "ca.pem"),
                    server));
            keytool(dir, caPass, pass, concat(List.of("-importcert", "-alias", "server", "-file", "server.pem"),
                    server));
            for (String f : List.of("ca.p12", "server.p12")) {
                Secrets.ownerOnly(dir.resolve(f));
            }
            Files.deleteIfExists(dir.resolve("server.csr"));
            return new LocalTls(dir, pass);
        } catch (IOException e) {
            throw new UncheckedIOException("creating TLS material in " + dir, e);
        }
    }

    /** The CA certificate (PEM): what clients trust ({@code FLI_CQL_TLS_CA_FILE}, {@code FLI_S3_CA_FILE}). */
    public Path caPem() {
        return dir.resolve("ca.pem");
    }

    /** The server's key and certificate chain (PKCS#12), for Cassandra and S3Proxy. */
    public Path serverKeystore() {
        return dir.resolve("server.p12");
    }

    /** The server keystore's password (also in the 0600 file {@code keystore-password}). */
    String storePassword() {
        return storePassword;
    }

    static String randomSecret() {
        byte[] b = new byte[18];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static void keytool(Path dir, String caPass, String pass, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>();
        Path javaBin = Path.of(LocalServer.java()).getParent();
        Path tool = javaBin == null ? null : javaBin.resolve("keytool");
        cmd.add(tool != null && Files.isExecutable(tool) ? tool.toString() : "keytool");
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("CA_PASS", caPass);
        pb.environment().put("STORE_PASS", pass);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("keytool " + args.get(0) + " did not finish within 120 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted while running keytool " + args.get(0), e);
        }
        if (p.exitValue() != 0) {
            throw new IOException("keytool " + args.get(0) + " failed (exit " + p.exitValue() + "): " + out.strip());
        }
    }
}
