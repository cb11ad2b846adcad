package ceiling.tls;

import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
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
 * One SIP call over TLS per sample, on its own TLS connection: testdata/gen/edge's
 * SipTcpCallSampler (itself adapted from the spike fixture's UDP SipCallSampler) with the TCP
 * socket replaced by Java's SSLSocket (JSSE), as a BYOC trunk's caller speaks SIP over TLS on 5061.
 *
 * <pre>
 *   TCP connect, TLS handshake (protocol and cipher suite pinned: tlsProtocol, cipherSuite;
 *   the edge's certificate checked against caCert; SNI sniHost; a new SSLContext per call, so
 *   no session is resumed)
 *   INVITE (SDP) -> 100/180/200   (no retransmissions over TLS)
 *   200    -> ACK, hold holdMs, BYE -> 200
 *   >= 300 -> ACK (hop by hop)
 *   no final answer within inviteTimeoutMs -> CANCEL if a 1xx came; responseCode "timeout"
 *   then the close: close_notify and FIN (shutdownOutput), read until the edge's close_notify /
 *   FIN (at most closeWaitMs), close. The client closes first and sends nothing after the
 *   edge has closed, so no RST.
 * </pre>
 *
 * Messages read from the stream are framed by Content-Length (RFC 3261 section 18.3). The
 * sample: responseCode = the INVITE's final status code or "timeout", or the exception's class
 * when the TCP connection or the TLS handshake failed (javax.net.ssl.SSLHandshakeException...);
 * elapsed = the whole call; Latency = the first response; Connect = TCP connect + TLS handshake
 * (as JMeter's HTTPS sampler counts it). The Call-ID goes to the variable "callId", the
 * negotiated protocol and cipher suite to "tlsSession" ("TLSv1.3 TLS_AES_128_GCM_SHA256").
 */
public class SipTlsCallSampler extends AbstractJavaSamplerClient {

    private static final String CRLF = "\r\n";

    private String edgeHost;
    private int edgePort;
    private String localHost;
    private String toUser;
    private String fromUser;
    private String label;
    private long holdMs;
    private long inviteTimeoutMs;
    private long byeTimeoutMs;
    private long closeWaitMs;
    private String tlsProtocol;
    private String cipherSuite;
    private String sniHost;
    private TrustManagerFactory trust;
    private int iteration;

    @Override
    public Arguments getDefaultParameters() {
        Arguments a = new Arguments();
        a.addArgument("edgeHost", "127.0.0.1");
        a.addArgument("edgePort", "5061");
        a.addArgument("localHost", "127.0.0.1");
        a.addArgument("toUser", "+18005550100");
        a.addArgument("fromUser", "loadtest");
        a.addArgument("label", "SIP INVITE (TLS)");
        a.addArgument("holdMs", "10000");
        a.addArgument("inviteTimeoutMs", "8000");
        a.addArgument("byeTimeoutMs", "8000");
        a.addArgument("closeWaitMs", "5000");
        a.addArgument("tlsProtocol", "TLSv1.3");
        a.addArgument("cipherSuite", "TLS_AES_128_GCM_SHA256");
        a.addArgument("caCert", "cert.pem");
        a.addArgument("sniHost", "edge.ceiling.test");
        return a;
    }

    @Override
    public void setupTest(JavaSamplerContext c) {
        edgeHost = c.getParameter("edgeHost", "127.0.0.1");
        edgePort = c.getIntParameter("edgePort", 5061);
        localHost = c.getParameter("localHost", "127.0.0.1");
        toUser = c.getParameter("toUser", "+18005550100");
        fromUser = c.getParameter("fromUser", "loadtest");
        label = c.getParameter("label", "SIP INVITE (TLS)");
        holdMs = c.getLongParameter("holdMs", 10000);
        inviteTimeoutMs = c.getLongParameter("inviteTimeoutMs", 8000);
        byeTimeoutMs = c.getLongParameter("byeTimeoutMs", 8000);
        closeWaitMs = c.getLongParameter("closeWaitMs", 5000);
        tlsProtocol = c.getParameter("tlsProtocol", "TLSv1.3");
        cipherSuite = c.getParameter("cipherSuite", "TLS_AES_128_GCM_SHA256");
        sniHost = c.getParameter("sniHost", "edge.ceiling.test");
        try {
            trust = trustFor(c.getParameter("caCert", "cert.pem"));
        } catch (Exception e) {
            throw new IllegalStateException("caCert: " + e, e);
        }
    }

    /** A trust manager that trusts the edge's (self-signed) certificate only. */
    static TrustManagerFactory trustFor(String pem) throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        try (FileInputStream in = new FileInputStream(pem)) {
            int i = 0;
            for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                ks.setCertificateEntry("edge" + (i++), cert);
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        return tmf;
    }

    /** A TLS socket (not connected yet) with one protocol and one cipher suite enabled, and SNI. */
    static SSLSocket newSocket(TrustManagerFactory trust, String protocol, String suite, String sni) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS"); // a new context per connection: no session resumption
        ctx.init(null, trust.getTrustManagers(), null);
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket();
        s.setEnabledProtocols(new String[] {protocol});
        s.setEnabledCipherSuites(new String[] {suite});
        SSLParameters p = s.getSSLParameters();
        if (sni != null && !sni.isEmpty()) {
            p.setServerNames(Arrays.asList(new javax.net.ssl.SNIServerName[] {new SNIHostName(sni)}));
        }
        // the edge's certificate is for edge.ceiling.test and IP 127.0.0.1: check the name
        p.setEndpointIdentificationAlgorithm("HTTPS");
        s.setSSLParameters(p);
        return s;
    }

    /**
     * The client's close: close_notify and FIN (SSLSocket.shutdownOutput), then read whatever the
     * edge still sends until its close_notify or FIN (bounded), then close. Sending nothing once
     * the edge may have closed its socket avoids RSTs.
     */
    static void closeGracefully(SSLSocket s, long waitMs) {
        try {
            if (!s.isClosed() && s.isConnected() && !s.isOutputShutdown()) {
                s.shutdownOutput();
            }
            long deadline = System.currentTimeMillis() + waitMs;
            InputStream in = s.getInputStream();
            byte[] b = new byte[4096];
            while (System.currentTimeMillis() < deadline) {
                s.setSoTimeout((int) Math.max(1, deadline - System.currentTimeMillis()));
                if (in.read(b) < 0) {
                    break;
                }
            }
        } catch (IOException e) {
            // the edge reset or the wait ran out: close anyway
        }
        try {
            s.close();
        } catch (IOException e) {
            // ignore
        }
    }

    static final class Response {
        int code;
        String reason;
        String raw;
        String head;
        String cseqMethod;
        String toHeader;
        String contactUri;
        List<String> recordRoutes = new ArrayList<String>();
        String callId;
    }

    @Override
    public SampleResult runTest(JavaSamplerContext context) {
        JMeterContext jc = JMeterContextService.getContext();
        int threadNum = jc.getThreadNum() + 1;
        iteration++;
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        String callId = WssSampler.hex(rnd, 16) + "-t" + WssSampler.pad(threadNum, 3)
                + "-i" + WssSampler.pad(iteration, 4) + "@" + localHost;
        String fromTag = WssSampler.hex(rnd, 10);
        String inviteBranch = "z9hG4bK" + WssSampler.hex(rnd, 16);
        String requestUri = "sip:" + toUser + "@" + edgeHost + ":" + edgePort + ";user=phone;transport=tls";
        String caller = fromUser + "-" + WssSampler.pad(threadNum, 3);
        String fromHeader = "\"Load test " + WssSampler.pad(threadNum, 3) + "\" <sip:" + caller + "@" + localHost + ">;tag=" + fromTag;
        String toHeaderBare = "<sip:" + toUser + "@" + edgeHost + ";user=phone>";
        JMeterVariables vars = jc.getVariables();
        if (vars != null) {
            vars.put("callId", callId);
            vars.put("tlsSession", "");
        }

        SampleResult res = new SampleResult();
        res.setSampleLabel(label);
        res.setDataType(SampleResult.TEXT);
        boolean ok = false;
        int bytesIn = 0;
        SSLSocket sock = null;
        res.sampleStart();
        try {
            sock = newSocket(trust, tlsProtocol, cipherSuite, sniHost);
            sock.setTcpNoDelay(true);
            sock.bind(new InetSocketAddress(InetAddress.getByName(localHost), 0));
            sock.connect(new InetSocketAddress(InetAddress.getByName(edgeHost), edgePort), (int) inviteTimeoutMs);
            sock.setSoTimeout((int) inviteTimeoutMs);
            sock.startHandshake();
            res.connectEnd();
            if (vars != null) {
                vars.put("tlsSession", sock.getSession().getProtocol() + " " + sock.getSession().getCipherSuite());
            }
            int lport = sock.getLocalPort();
            OutputStream out = sock.getOutputStream();
            Reader in = new Reader(sock.getInputStream());
            String via = "SIP/2.0/TLS " + localHost + ":" + lport + ";rport;branch=";
            String contact = "<sip:" + caller + "@" + localHost + ":" + lport + ";transport=tls>";
            String sdp = sdp(rnd, lport);
            String invite = "INVITE " + requestUri + " SIP/2.0" + CRLF
                    + "Via: " + via + inviteBranch + CRLF
                    + "Max-Forwards: 70" + CRLF
                    + "From: " + fromHeader + CRLF
                    + "To: " + toHeaderBare + CRLF
                    + "Call-ID: " + callId + CRLF
                    + "CSeq: 1 INVITE" + CRLF
                    + "Contact: " + contact + CRLF
                    + "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS" + CRLF
                    + "User-Agent: ceiling-tls SipTlsCallSampler (Apache JMeter 2.13)" + CRLF
                    + "Content-Type: application/sdp" + CRLF
                    + "Content-Length: " + sdp.getBytes(StandardCharsets.UTF_8).length + CRLF
                    + CRLF + sdp;
            res.setSamplerData(invite);
            send(out, invite);

            Response fin = null;
            Response prov = null;
            boolean first = true;
            long deadline = System.currentTimeMillis() + inviteTimeoutMs;
            while (System.currentTimeMillis() < deadline) {
                Response r = in.next(sock, deadline - System.currentTimeMillis());
                if (r == null) {
                    break;
                }
                bytesIn += r.raw.length();
                if (!callId.equals(r.callId) || !"INVITE".equals(r.cseqMethod)) {
                    continue;
                }
                if (first) {
                    first = false;
                    res.latencyEnd();
                }
                if (r.code < 200) {
                    prov = r;
                    continue;
                }
                fin = r;
                break;
            }
            if (fin == null) {
                if (prov != null) {
                    send(out, "CANCEL " + requestUri + " SIP/2.0" + CRLF
                            + "Via: " + via + inviteBranch + CRLF
                            + "Max-Forwards: 70" + CRLF
                            + "From: " + fromHeader + CRLF
                            + "To: " + toHeaderBare + CRLF
                            + "Call-ID: " + callId + CRLF
                            + "CSeq: 1 CANCEL" + CRLF
                            + "Content-Length: 0" + CRLF + CRLF);
                }
                res.sampleEnd();
                res.setResponseCode("timeout");
                res.setResponseMessage("no final response to INVITE within " + inviteTimeoutMs + " ms");
            } else if (fin.code >= 300) {
                send(out, "ACK " + requestUri + " SIP/2.0" + CRLF
                        + "Via: " + via + inviteBranch + CRLF
                        + "Max-Forwards: 70" + CRLF
                        + "From: " + fromHeader + CRLF
                        + "To: " + fin.toHeader + CRLF
                        + "Call-ID: " + callId + CRLF
                        + "CSeq: 1 ACK" + CRLF
                        + "Content-Length: 0" + CRLF + CRLF);
                res.sampleEnd();
                res.setResponseCode(Integer.toString(fin.code));
                res.setResponseMessage(fin.reason);
                res.setResponseHeaders(fin.head);
                res.setResponseData(fin.raw, "UTF-8");
            } else {
                List<String> routeSet = new ArrayList<String>(fin.recordRoutes);
                Collections.reverse(routeSet);
                String target = fin.contactUri != null ? fin.contactUri : requestUri;
                StringBuilder routes = new StringBuilder();
                for (String rr : routeSet) {
                    routes.append("Route: ").append(rr).append(CRLF);
                }
                send(out, "ACK " + target + " SIP/2.0" + CRLF
                        + "Via: " + via + "z9hG4bK" + WssSampler.hex(rnd, 16) + CRLF
                        + routes
                        + "Max-Forwards: 70" + CRLF
                        + "From: " + fromHeader + CRLF
                        + "To: " + fin.toHeader + CRLF
                        + "Call-ID: " + callId + CRLF
                        + "CSeq: 1 ACK" + CRLF
                        + "Contact: " + contact + CRLF
                        + "Content-Length: 0" + CRLF + CRLF);
                res.setResponseCode(Integer.toString(fin.code));
                res.setResponseMessage(fin.reason);
                res.setResponseHeaders(fin.head);
                Thread.sleep(holdMs);
                send(out, "BYE " + target + " SIP/2.0" + CRLF
                        + "Via: " + via + "z9hG4bK" + WssSampler.hex(rnd, 16) + CRLF
                        + routes
                        + "Max-Forwards: 70" + CRLF
                        + "From: " + fromHeader + CRLF
                        + "To: " + fin.toHeader + CRLF
                        + "Call-ID: " + callId + CRLF
                        + "CSeq: 2 BYE" + CRLF
                        + "Content-Length: 0" + CRLF + CRLF);
                Response byeFinal = null;
                long byeDeadline = System.currentTimeMillis() + byeTimeoutMs;
                while (System.currentTimeMillis() < byeDeadline) {
                    Response r = in.next(sock, byeDeadline - System.currentTimeMillis());
                    if (r == null) {
                        break;
                    }
                    bytesIn += r.raw.length();
                    if ("BYE".equals(r.cseqMethod) && r.code >= 200) {
                        byeFinal = r;
                        break;
                    }
                }
                res.sampleEnd();
                ok = byeFinal != null && byeFinal.code < 300;
                res.setResponseData(fin.raw, "UTF-8");
                if (!ok) {
                    res.setResponseMessage(fin.reason + " (BYE " + (byeFinal == null ? "unanswered" : byeFinal.code + " " + byeFinal.reason) + ")");
                }
            }
        } catch (Exception e) {
            res.sampleEnd();
            res.setResponseCode(e.getClass().getName());
            res.setResponseMessage(String.valueOf(e.getMessage()));
            res.setResponseData(e.toString(), "UTF-8");
            ok = false;
        } finally {
            if (sock != null) {
                closeGracefully(sock, closeWaitMs);
            }
        }
        res.setSuccessful(ok);
        res.setBytes(bytesIn);
        return res;
    }

    /** Reads SIP messages from a TCP stream, framed by Content-Length. */
    static final class Reader {
        private final InputStream in;
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

        Reader(InputStream in) {
            this.in = in;
        }

        Response next(Socket sock, long ms) throws IOException {
            long deadline = System.currentTimeMillis() + Math.max(1, ms);
            byte[] tmp = new byte[4096];
            while (true) {
                Response r = take();
                if (r != null) {
                    return r;
                }
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    return null;
                }
                sock.setSoTimeout((int) Math.min(left, Integer.MAX_VALUE));
                int n;
                try {
                    n = in.read(tmp);
                } catch (SocketTimeoutException e) {
                    return null;
                }
                if (n < 0) {
                    throw new IOException("edge closed the TCP connection");
                }
                buf.write(tmp, 0, n);
            }
        }

        private Response take() {
            byte[] b = buf.toByteArray();
            int start = 0;
            while (start + 1 < b.length && b[start] == '\r' && b[start + 1] == '\n') {
                start += 2; // keep-alive CRLFs
            }
            String s = new String(b, start, b.length - start, StandardCharsets.UTF_8);
            int eoh = s.indexOf("\r\n\r\n");
            if (eoh < 0) {
                return null;
            }
            int clen = 0;
            for (String line : s.substring(0, eoh).split("\r\n")) {
                int c = line.indexOf(':');
                if (c > 0) {
                    String name = line.substring(0, c).trim().toLowerCase(Locale.ROOT);
                    if (name.equals("content-length") || name.equals("l")) {
                        clen = Integer.parseInt(line.substring(c + 1).trim());
                    }
                }
            }
            int headBytes = s.substring(0, eoh + 4).getBytes(StandardCharsets.UTF_8).length;
            int total = start + headBytes + clen;
            if (b.length < total) {
                return null;
            }
            String raw = new String(b, start, headBytes + clen, StandardCharsets.UTF_8);
            buf.reset();
            buf.write(b, total, b.length - total);
            Response r = parse(raw);
            return r != null ? r : take();
        }
    }

    static Response parse(String raw) {
        if (!raw.startsWith("SIP/2.0 ")) {
            return null;
        }
        Response r = new Response();
        r.raw = raw;
        int eoh = raw.indexOf("\r\n\r\n");
        r.head = eoh >= 0 ? raw.substring(0, eoh) : raw;
        String[] lines = r.head.split("\r\n");
        String[] sl = lines[0].split(" ", 3);
        try {
            r.code = Integer.parseInt(sl[1]);
        } catch (RuntimeException e) {
            return null;
        }
        r.reason = sl.length > 2 ? sl[2] : "";
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            int c = line.indexOf(':');
            if (c <= 0) {
                continue;
            }
            String name = line.substring(0, c).trim().toLowerCase(Locale.ROOT);
            String val = line.substring(c + 1).trim();
            if (name.equals("call-id") || name.equals("i")) {
                r.callId = val;
            } else if (name.equals("cseq")) {
                String[] cs = val.split("\\s+");
                r.cseqMethod = cs.length > 1 ? cs[1] : "";
            } else if (name.equals("to") || name.equals("t")) {
                r.toHeader = val;
            } else if (name.equals("contact") || name.equals("m")) {
                int lt = val.indexOf('<');
                int gt = val.indexOf('>');
                r.contactUri = (lt >= 0 && gt > lt) ? val.substring(lt + 1, gt) : val.split(";")[0];
            } else if (name.equals("record-route")) {
                for (String part : val.split(",")) {
                    r.recordRoutes.add(part.trim());
                }
            }
        }
        return r;
    }

    private static String sdp(ThreadLocalRandom rnd, int lport) {
        long sess = 1000000000L + rnd.nextLong(8000000000L);
        int rtp = 20000 + 2 * rnd.nextInt(5000);
        return "v=0" + CRLF
                + "o=jmeter " + sess + " " + sess + " IN IP4 127.0.0.1" + CRLF
                + "s=ceiling tls call" + CRLF
                + "c=IN IP4 127.0.0.1" + CRLF
                + "t=0 0" + CRLF
                + "m=audio " + rtp + " RTP/AVP 0 8 101" + CRLF
                + "a=rtpmap:0 PCMU/8000" + CRLF
                + "a=rtpmap:8 PCMA/8000" + CRLF
                + "a=rtpmap:101 telephone-event/8000" + CRLF
                + "a=fmtp:101 0-16" + CRLF
                + "a=ptime:20" + CRLF
                + "a=sendrecv" + CRLF;
    }

    private static void send(OutputStream out, String msg) throws IOException {
        out.write(msg.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
