package ceiling.tls;

import java.io.FileInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/**
 * Warms up the JVM's TLS (JSSE) before JMeter starts, then runs the spike fixture's
 * JMeterLauncher with the same arguments.
 *
 * Why: the first TLS handshakes of a fresh JVM load and link hundreds of classes (JSSE, the EC and
 * AEAD providers) and run interpreted; on a busy shared machine the first calls of a run then
 * took 15 s to send their ClientHello, the ramp bunched up, and the limit was crossed by a
 * different thread than in the plaintext twin. So this main first makes
 * -Dceiling.warmup.handshakes=N complete TLS handshakes (and one application record each way)
 * between a client SSLEngine and a server SSLEngine in memory, with the run's protocol and
 * cipher suite (-Dceiling.warmup.protocol, -Dceiling.warmup.suite) and the edge's certificate
 * and key (-Dceiling.warmup.cert, -Dceiling.warmup.key). Nothing goes over the network, nothing
 * is written to the key log or the JTL.
 *
 * <pre>
 *   java -Dceiling.warmup.protocol=TLSv1.3 -Dceiling.warmup.suite=TLS_AES_128_GCM_SHA256 \
 *     -Dceiling.warmup.cert=cert.pem -Dceiling.warmup.key=key.pem -cp ... ceiling.tls.TlsWarmup -n -t plan.jmx ...
 * </pre>
 */
public final class TlsWarmup {

    private TlsWarmup() {
    }

    public static void main(String[] args) throws Exception {
        String proto = System.getProperty("ceiling.warmup.protocol");
        if (proto != null && !proto.isEmpty()) {
            long t0 = System.nanoTime();
            int n = Integer.getInteger("ceiling.warmup.handshakes", 30);
            int ok = warm(proto, System.getProperty("ceiling.warmup.suite"), System.getProperty("ceiling.warmup.cert"),
                    System.getProperty("ceiling.warmup.key"), n);
            System.out.printf("TLS warm-up: %d/%d in-memory %s handshakes in %.0f ms%n", ok, n, proto,
                    (System.nanoTime() - t0) / 1e6);
        }
        Class.forName("ceiling.spike.JMeterLauncher").getMethod("main", String[].class).invoke(null, (Object) args);
    }

    static int warm(String proto, String suite, String certPem, String keyPem, int n) throws Exception {
        List<Certificate> chain = new ArrayList<Certificate>();
        try (FileInputStream in = new FileInputStream(certPem)) {
            chain.addAll(CertificateFactory.getInstance("X.509").generateCertificates(in));
        }
        PrivateKey key = readKey(keyPem);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("edge", key, "warm".toCharArray(), chain.toArray(new Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "warm".toCharArray());
        TrustManagerFactory tmf = SipTlsCallSampler.trustFor(certPem);
        int ok = 0;
        for (int i = 0; i < n; i++) {
            SSLContext sctx = SSLContext.getInstance("TLS");
            sctx.init(kmf.getKeyManagers(), null, null);
            SSLContext cctx = SSLContext.getInstance("TLS");
            cctx.init(null, tmf.getTrustManagers(), null);
            if (handshake(cctx, sctx, proto, suite)) {
                ok++;
            }
        }
        return ok;
    }

    private static PrivateKey readKey(String pem) throws Exception {
        String s = new String(Files.readAllBytes(Paths.get(pem)), StandardCharsets.US_ASCII);
        int a = s.indexOf("-----BEGIN PRIVATE KEY-----");
        int b = s.indexOf("-----END PRIVATE KEY-----");
        if (a < 0 || b < 0) {
            throw new IllegalArgumentException(pem + ": no PKCS#8 private key");
        }
        byte[] der = Base64.getMimeDecoder().decode(s.substring(a + 27, b));
        return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
    }

    /** One handshake and one record each way between two engines in memory. */
    private static boolean handshake(SSLContext cctx, SSLContext sctx, String proto, String suite) throws Exception {
        SSLEngine c = cctx.createSSLEngine("127.0.0.1", 443);
        c.setUseClientMode(true);
        SSLEngine s = sctx.createSSLEngine();
        s.setUseClientMode(false);
        for (SSLEngine e : new SSLEngine[] {c, s}) {
            e.setEnabledProtocols(new String[] {proto});
            e.setEnabledCipherSuites(new String[] {suite});
        }
        SSLParameters p = c.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        c.setSSLParameters(p);
        int pkt = Math.max(c.getSession().getPacketBufferSize(), s.getSession().getPacketBufferSize());
        int app = Math.max(c.getSession().getApplicationBufferSize(), s.getSession().getApplicationBufferSize());
        ByteBuffer c2s = ByteBuffer.allocate(4 * pkt);
        ByteBuffer s2c = ByteBuffer.allocate(4 * pkt);
        ByteBuffer cOut = ByteBuffer.wrap("warm-up client".getBytes(StandardCharsets.US_ASCII));
        ByteBuffer sOut = ByteBuffer.wrap("warm-up server".getBytes(StandardCharsets.US_ASCII));
        ByteBuffer cIn = ByteBuffer.allocate(2 * app);
        ByteBuffer sIn = ByteBuffer.allocate(2 * app);
        c.beginHandshake();
        s.beginHandshake();
        for (int i = 0; i < 200; i++) {
            c.wrap(cOut, c2s);
            tasks(c);
            s.wrap(sOut, s2c);
            tasks(s);
            c2s.flip();
            s2c.flip();
            unwrapAll(c, s2c, cIn);
            unwrapAll(s, c2s, sIn);
            c2s.compact();
            s2c.compact();
            if (!cOut.hasRemaining() && !sOut.hasRemaining() && cIn.position() > 0 && sIn.position() > 0) {
                return proto.equals(c.getSession().getProtocol()) && suite.equals(c.getSession().getCipherSuite());
            }
        }
        return false;
    }

    private static void unwrapAll(SSLEngine e, ByteBuffer src, ByteBuffer dst) throws Exception {
        while (src.hasRemaining()) {
            SSLEngineResult r = e.unwrap(src, dst);
            tasks(e);
            if (r.getStatus() != SSLEngineResult.Status.OK || (r.bytesConsumed() == 0 && r.bytesProduced() == 0)) {
                break;
            }
        }
    }

    private static void tasks(SSLEngine e) {
        Runnable t;
        while ((t = e.getDelegatedTask()) != null) {
            t.run();
        }
    }
}
