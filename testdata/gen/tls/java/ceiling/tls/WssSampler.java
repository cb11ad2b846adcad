package ceiling.tls;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import org.apache.jmeter.config.Arguments;
import org.apache.jmeter.protocol.java.sampler.AbstractJavaSamplerClient;
import org.apache.jmeter.protocol.java.sampler.JavaSamplerContext;
import org.apache.jmeter.samplers.SampleResult;
import org.apache.jmeter.threads.JMeterContext;
import org.apache.jmeter.threads.JMeterContextService;
import org.apache.jmeter.threads.JMeterVariables;

/**
 * One secure WebSocket (wss://) connection per sample (RFC 6455 over TLS, no library):
 * testdata/gen/edge's WebSocketSampler with the plain socket replaced by Java's SSLSocket
 * (JSSE), the TLS protocol and cipher suite pinned (tlsProtocol, cipherSuite), the edge's
 * certificate checked against caCert, SNI sniHost, a new SSLContext per connection (no session
 * resumption).
 *
 * <pre>
 *   TCP connect, TLS handshake, GET path HTTP/1.1 + Upgrade: websocket + x-trace-id: &lt;traceId&gt;
 *   101          -> text frame "hello &lt;traceId&gt;", its echo, hold holdMs,
 *                   close frame (1000), the server's close frame, then read until the edge's
 *                   close_notify / FIN (the server closes first), close
 *   anything else -> read the body (Content-Length), then the client closes first:
 *                   close_notify + FIN (shutdownOutput), read until the edge's close_notify /
 *                   FIN, close: the sample failed
 * </pre>
 *
 * The sample: responseCode = the HTTP status of the upgrade ("101", "503", "429", ...) or, when
 * no HTTP answer came, "Non HTTP response code: &lt;exception class&gt;" (as JMeter's HTTP sampler
 * writes it); responseMessage = the reason phrase (or "Non HTTP response message: ..."); success
 * = 101 (and the echo and the close handshake worked); timeStamp = the sample start (before the
 * TCP connect); Connect = TCP connect + TLS handshake (as JMeter's HTTPS sampler counts it);
 * Latency = time to the upgrade's response head;
 * elapsed = the whole connection. JMeter variables: traceId (the request's x-trace-id) and
 * respTraceId (the response's x-trace-id, set by the edge); save them with
 * sample_variables=traceId,respTraceId.
 */
public class WssSampler extends AbstractJavaSamplerClient {

    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private String host;
    private int port;
    private String path;
    private String label;
    private long holdMs;
    private int timeoutMs;
    private String prefix;
    private long closeWaitMs;
    private String tlsProtocol;
    private String cipherSuite;
    private String sniHost;
    private TrustManagerFactory trust;
    private int iteration;

    @Override
    public Arguments getDefaultParameters() {
        Arguments a = new Arguments();
        a.addArgument("host", "127.0.0.1");
        a.addArgument("port", "443");
        a.addArgument("path", "/events");
        a.addArgument("label", "WS events");
        a.addArgument("holdMs", "10000");
        a.addArgument("timeoutMs", "8000");
        a.addArgument("tracePrefix", "wss");
        a.addArgument("closeWaitMs", "5000");
        a.addArgument("tlsProtocol", "TLSv1.3");
        a.addArgument("cipherSuite", "TLS_AES_256_GCM_SHA384");
        a.addArgument("caCert", "cert.pem");
        a.addArgument("sniHost", "edge.ceiling.test");
        return a;
    }

    @Override
    public void setupTest(JavaSamplerContext c) {
        host = c.getParameter("host", "127.0.0.1");
        port = c.getIntParameter("port", 443);
        path = c.getParameter("path", "/events");
        label = c.getParameter("label", "WS events");
        holdMs = c.getLongParameter("holdMs", 10000);
        timeoutMs = c.getIntParameter("timeoutMs", 8000);
        prefix = c.getParameter("tracePrefix", "wss");
        closeWaitMs = c.getLongParameter("closeWaitMs", 5000);
        tlsProtocol = c.getParameter("tlsProtocol", "TLSv1.3");
        cipherSuite = c.getParameter("cipherSuite", "TLS_AES_256_GCM_SHA384");
        sniHost = c.getParameter("sniHost", "edge.ceiling.test");
        try {
            trust = SipTlsCallSampler.trustFor(c.getParameter("caCert", "cert.pem"));
        } catch (Exception e) {
            throw new IllegalStateException("caCert: " + e, e);
        }
    }

    @Override
    public SampleResult runTest(JavaSamplerContext context) {
        JMeterContext jc = JMeterContextService.getContext();
        int threadNum = jc.getThreadNum() + 1;
        iteration++;
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        String traceId = prefix + "-" + hex(rnd, 16) + "-t" + pad(threadNum, 3) + "-i" + pad(iteration, 4);
        JMeterVariables vars = jc.getVariables();
        if (vars != null) {
            vars.put("traceId", traceId);
            vars.put("respTraceId", "");
            vars.put("tlsSession", "");
        }
        byte[] keyBytes = new byte[16];
        rnd.nextBytes(keyBytes);
        String key = Base64.getEncoder().encodeToString(keyBytes);
        String req = "GET " + path + " HTTP/1.1\r\n"
                + "Host: " + sniHost + (port == 443 ? "" : ":" + port) + "\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + key + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n"
                + "Origin: https://" + sniHost + "\r\n"
                + "x-trace-id: " + traceId + "\r\n"
                + "User-Agent: ceiling-tls WssSampler (Apache JMeter 2.13)\r\n"
                + "\r\n";

        SampleResult res = new SampleResult();
        res.setSampleLabel(label);
        res.setDataType(SampleResult.TEXT);
        res.setSamplerData(req);
        res.sampleStart();
        SSLSocket s = null;
        boolean ok = false;
        boolean gotHead = false;
        boolean serverClosed = false;
        try {
            s = SipTlsCallSampler.newSocket(trust, tlsProtocol, cipherSuite, sniHost);
            s.setTcpNoDelay(true);
            s.setSoTimeout(timeoutMs);
            s.connect(new InetSocketAddress(host, port), timeoutMs);
            s.startHandshake();
            res.connectEnd();
            if (vars != null) {
                vars.put("tlsSession", s.getSession().getProtocol() + " " + s.getSession().getCipherSuite());
            }
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write(req.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();

            String head = readHead(in);
            res.latencyEnd();
            gotHead = true;
            String[] lines = head.split("\r\n");
            String[] sl = lines[0].split(" ", 3);
            int code = Integer.parseInt(sl[1]);
            Map<String, String> h = new LinkedHashMap<String, String>();
            for (int i = 1; i < lines.length; i++) {
                int c = lines[i].indexOf(':');
                if (c > 0) {
                    h.put(lines[i].substring(0, c).trim().toLowerCase(Locale.ROOT), lines[i].substring(c + 1).trim());
                }
            }
            String respTrace = h.containsKey("x-trace-id") ? h.get("x-trace-id") : "";
            if (vars != null) {
                vars.put("respTraceId", respTrace);
            }
            res.setResponseCode(Integer.toString(code));
            res.setResponseMessage(sl.length > 2 ? sl[2] : "");
            res.setResponseHeaders(head);
            StringBuilder data = new StringBuilder();
            if (code != 101) {
                int len = h.containsKey("content-length") ? Integer.parseInt(h.get("content-length")) : 0;
                byte[] body = readN(in, len);
                data.append(new String(body, StandardCharsets.ISO_8859_1));
                res.setBytes(head.length() + 4 + body.length);
            } else {
                String accept = Base64.getEncoder().encodeToString(
                        MessageDigest.getInstance("SHA-1").digest((key + GUID).getBytes(StandardCharsets.ISO_8859_1)));
                if (!accept.equals(h.get("sec-websocket-accept"))) {
                    throw new IOException("bad Sec-WebSocket-Accept: " + h.get("sec-websocket-accept"));
                }
                int bytes = head.length() + 4;
                byte[] hello = ("hello " + traceId).getBytes(StandardCharsets.UTF_8);
                writeFrame(out, 0x1, hello, rnd);
                Frame echo = readFrame(in);
                bytes += echo.wire;
                data.append(new String(echo.payload, StandardCharsets.UTF_8)).append('\n');
                boolean echoOk = echo.op == 0x1 && new String(echo.payload, StandardCharsets.UTF_8).equals("hello " + traceId);
                Thread.sleep(holdMs);
                writeFrame(out, 0x8, new byte[] {0x03, (byte) 0xE8}, rnd); // 1000 normal closure
                Frame close = readFrame(in);
                bytes += close.wire;
                // the server closes first (close_notify, FIN): wait for it (bounded by soTimeout)
                int eof = in.read();
                serverClosed = eof == -1;
                res.setBytes(bytes);
                ok = echoOk && close.op == 0x8 && eof == -1;
                if (!ok) {
                    res.setResponseMessage(res.getResponseMessage() + " (echo " + echoOk + ", close op " + close.op + ")");
                }
            }
            res.setResponseData(data.toString(), "UTF-8");
        } catch (Exception e) {
            if (!gotHead) {
                // no HTTP answer: as JMeter's HTTP sampler reports it
                res.setResponseCode("Non HTTP response code: " + e.getClass().getName());
                res.setResponseMessage("Non HTTP response message: " + e.getMessage());
            }
            res.setResponseData(e.toString(), "UTF-8");
            ok = false;
        } finally {
            if (s != null) {
                if (serverClosed) {
                    try {
                        s.close();
                    } catch (IOException e) {
                        // ignore
                    }
                } else {
                    SipTlsCallSampler.closeGracefully(s, closeWaitMs);
                }
            }
            res.sampleEnd();
        }
        res.setSuccessful(ok);
        return res;
    }

    static final class Frame {
        int op;
        byte[] payload;
        int wire;
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("connection closed before the response head (" + b.size() + " bytes)");
            }
            b.write(c);
            if ((state == 0 || state == 2) && c == '\r') {
                state++;
            } else if ((state == 1 || state == 3) && c == '\n') {
                state++;
            } else {
                state = c == '\r' ? 1 : 0;
            }
            if (b.size() > 16384) {
                throw new IOException("response head too long");
            }
        }
        String s = new String(b.toByteArray(), StandardCharsets.ISO_8859_1);
        return s.substring(0, s.length() - 4);
    }

    private static byte[] readN(InputStream in, int n) throws IOException {
        byte[] b = new byte[n];
        int off = 0;
        while (off < n) {
            int r = in.read(b, off, n - off);
            if (r < 0) {
                break;
            }
            off += r;
        }
        if (off < n) {
            byte[] t = new byte[off];
            System.arraycopy(b, 0, t, 0, off);
            return t;
        }
        return b;
    }

    private static void writeFrame(OutputStream out, int op, byte[] p, ThreadLocalRandom rnd) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0x80 | op);
        if (p.length < 126) {
            b.write(0x80 | p.length);
        } else {
            b.write(0x80 | 126);
            b.write(p.length >> 8);
            b.write(p.length & 0xFF);
        }
        byte[] mask = new byte[4];
        rnd.nextBytes(mask);
        b.write(mask);
        for (int i = 0; i < p.length; i++) {
            b.write(p[i] ^ mask[i % 4]);
        }
        out.write(b.toByteArray());
        out.flush();
    }

    private static Frame readFrame(InputStream in) throws IOException {
        int b0 = in.read();
        int b1 = in.read();
        if (b0 < 0 || b1 < 0) {
            throw new IOException("connection closed before a frame");
        }
        Frame f = new Frame();
        f.op = b0 & 0x0F;
        long n = b1 & 0x7F;
        f.wire = 2;
        if (n == 126) {
            n = ((in.read() & 0xFF) << 8) | (in.read() & 0xFF);
            f.wire += 2;
        } else if (n == 127) {
            throw new IOException("frame too large");
        }
        f.payload = readN(in, (int) n);
        f.wire += f.payload.length;
        return f;
    }

    static String hex(ThreadLocalRandom rnd, int n) {
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            sb.append(Character.forDigit(rnd.nextInt(16), 16));
        }
        return sb.toString();
    }

    static String pad(int v, int w) {
        String s = Integer.toString(v);
        StringBuilder sb = new StringBuilder();
        for (int i = s.length(); i < w; i++) {
            sb.append('0');
        }
        return sb.append(s).toString();
    }
}
