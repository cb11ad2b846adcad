package ceiling.spike;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

import org.apache.jmeter.config.Arguments;
import org.apache.jmeter.protocol.java.sampler.AbstractJavaSamplerClient;
import org.apache.jmeter.protocol.java.sampler.JavaSamplerContext;
import org.apache.jmeter.samplers.SampleResult;
import org.apache.jmeter.threads.JMeterContext;
import org.apache.jmeter.threads.JMeterContextService;
import org.apache.jmeter.threads.JMeterVariables;

/**
 * One SIP call over UDP per sample, from its own socket.
 *
 * <pre>
 *   INVITE (SDP) -> 100/180/200       (INVITE retransmitted per timer A until a response,
 *                                       given up after inviteTimeoutMs: CANCEL if a 1xx came)
 *   200          -> ACK, hold holdMs, BYE -> 200
 *   >= 300       -> ACK (hop by hop), end
 * </pre>
 *
 * The sample: label = "label" parameter, responseCode = the INVITE's final status code
 * ("200", "503", ...) or "timeout" when no final response came, responseMessage = its reason
 * phrase, success = 2xx (and the BYE answered), elapsed = the whole call (INVITE sent to the
 * BYE's 200, or to the final non-2xx), Latency = time to the first response (any), Connect = 0
 * (UDP has no connection set-up). The Call-ID goes to the JMeter variable "callId" (saved in
 * the JTL via sample_variables=callId). The pause before a thread tries again after a failed
 * call is not here but in the test plan (If Controller + Test Action), so that JMeter records
 * the sample (and its allThreads) as soon as the call ends.
 */
public class SipCallSampler extends AbstractJavaSamplerClient {

    private static final String CRLF = "\r\n";

    private String edgeHost;
    private int edgePort;
    private String localHost;
    private String toUser;
    private String fromUser;
    private String label;
    private long holdMs;
    private long t1Ms;
    private long t2Ms;
    private long inviteTimeoutMs;
    private long byeTimeoutMs;

    private int iteration;

    @Override
    public Arguments getDefaultParameters() {
        Arguments a = new Arguments();
        a.addArgument("edgeHost", "127.0.0.1");
        a.addArgument("edgePort", "5060");
        a.addArgument("localHost", "127.0.0.1");
        a.addArgument("toUser", "+18005550100");
        a.addArgument("fromUser", "loadtest");
        a.addArgument("label", "SIP INVITE");
        a.addArgument("holdMs", "10000");
        a.addArgument("t1Ms", "500");
        a.addArgument("t2Ms", "4000");
        a.addArgument("inviteTimeoutMs", "8000");
        a.addArgument("byeTimeoutMs", "8000");
        return a;
    }

    @Override
    public void setupTest(JavaSamplerContext c) {
        edgeHost = c.getParameter("edgeHost", "127.0.0.1");
        edgePort = c.getIntParameter("edgePort", 5060);
        localHost = c.getParameter("localHost", "127.0.0.1");
        toUser = c.getParameter("toUser", "+18005550100");
        fromUser = c.getParameter("fromUser", "loadtest");
        label = c.getParameter("label", "SIP INVITE");
        holdMs = c.getLongParameter("holdMs", 10000);
        t1Ms = c.getLongParameter("t1Ms", 500);
        t2Ms = c.getLongParameter("t2Ms", 4000);
        inviteTimeoutMs = c.getLongParameter("inviteTimeoutMs", 8000);
        byeTimeoutMs = c.getLongParameter("byeTimeoutMs", 8000);
    }

    /** A parsed SIP response. */
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
        String branch;
    }

    @Override
    public SampleResult runTest(JavaSamplerContext context) {
        JMeterContext jc = JMeterContextService.getContext();
        int threadNum = jc.getThreadNum() + 1;
        iteration++;

        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        String callId = hex(rnd, 16) + "-t" + pad(threadNum, 3) + "-i" + pad(iteration, 4) + "@" + localHost;
        String fromTag = hex(rnd, 10);
        String inviteBranch = "z9hG4bK" + hex(rnd, 16);
        String requestUri = "sip:" + toUser + "@" + edgeHost + ":" + edgePort + ";user=phone";
        String caller = fromUser + "-" + pad(threadNum, 3);
        String fromHeader = "\"Load test " + pad(threadNum, 3) + "\" <sip:" + caller + "@" + localHost + ">;tag=" + fromTag;
        String toHeaderBare = "<sip:" + toUser + "@" + edgeHost + ";user=phone>";

        JMeterVariables vars = jc.getVariables();
        if (vars != null) {
            vars.put("callId", callId);
        }

        SampleResult res = new SampleResult();
        res.setSampleLabel(label);
        res.setDataType(SampleResult.TEXT);
        res.setConnectTime(0);

        DatagramSocket sock = null;
        boolean ok = false;
        int bytesIn = 0;
        StringBuilder log = new StringBuilder();
        try {
            sock = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(localHost), 0));
            InetSocketAddress edge = new InetSocketAddress(InetAddress.getByName(edgeHost), edgePort);
            int lport = sock.getLocalPort();
            String via = "SIP/2.0/UDP " + localHost + ":" + lport + ";rport;branch=";
            String contact = "<sip:" + caller + "@" + localHost + ":" + lport + ";transport=udp>";

            String sdp = sdp(rnd, lport);
            String invite = "INVITE " + requestUri + " SIP/2.0" + CRLF
                    + "Via: " + via + inviteBranch + CRLF
                    + "Max-Forwards: 70" + CRLF
                    + "From: " + fromHeader + CRLF
                    + "To: " + toHeaderBare + CRLF
                    + "Call-ID: " + callId + CRLF
                    + "CSeq: 1 INVITE" + CRLF
                    + "Contact: " + contact + CRLF
                    + "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, NOTIFY" + CRLF
                    + "Supported: timer, replaces" + CRLF
                    + "Session-Expires: 1800;refresher=uac" + CRLF
                    + "User-Agent: ceiling-spike SipCallSampler (Apache JMeter 2.13)" + CRLF
                    + "Content-Type: application/sdp" + CRLF
                    + "Content-Length: " + sdp.getBytes(StandardCharsets.UTF_8).length + CRLF
                    + CRLF + sdp;
            res.setSamplerData(invite);

            res.sampleStart();
            long start = System.currentTimeMillis();
            send(sock, edge, invite);

            // ---- INVITE client transaction (timer A / shortened timer B) ----
            Response fin = null;
            Response firstProv = null;
            boolean gotResponse = false;
            long nextRetrans = start + t1Ms;
            long interval = t1Ms;
            long deadline = start + inviteTimeoutMs;
            while (true) {
                long now = System.currentTimeMillis();
                if (now >= deadline) {
                    break;
                }
                long wait = deadline - now;
                if (!gotResponse) {
                    wait = Math.min(wait, Math.max(1, nextRetrans - now));
                }
                Response r = receive(sock, wait);
                if (r == null) {
                    now = System.currentTimeMillis();
                    if (!gotResponse && now >= nextRetrans) {
                        send(sock, edge, invite);
                        interval = interval * 2;
                        nextRetrans = now + interval;
                    }
                    continue;
                }
                bytesIn += r.raw.length();
                if (!callId.equals(r.callId) || !"INVITE".equals(r.cseqMethod)) {
                    continue; // stray
                }
                if (!gotResponse) {
                    gotResponse = true;
                    res.latencyEnd();
                }
                if (r.code < 200) {
                    if (firstProv == null) {
                        firstProv = r;
                    }
                    log.append(r.code).append(' ').append(r.reason).append('\n');
                    continue;
                }
                fin = r;
                break;
            }

            if (fin == null) {
                // no final answer: CANCEL if the INVITE was at least answered provisionally
                if (firstProv != null) {
                    String cancel = "CANCEL " + requestUri + " SIP/2.0" + CRLF
                            + "Via: " + via + inviteBranch + CRLF
                            + "Max-Forwards: 70" + CRLF
                            + "From: " + fromHeader + CRLF
                            + "To: " + toHeaderBare + CRLF
                            + "Call-ID: " + callId + CRLF
                            + "CSeq: 1 CANCEL" + CRLF
                            + "Content-Length: 0" + CRLF + CRLF;
                    send(sock, edge, cancel);
                    long end2 = System.currentTimeMillis() + 4 * t1Ms;
                    while (System.currentTimeMillis() < end2) {
                        Response r = receive(sock, Math.max(1, end2 - System.currentTimeMillis()));
                        if (r == null) {
                            continue;
                        }
                        if ("INVITE".equals(r.cseqMethod) && r.code >= 300) {
                            send(sock, edge, ackNon2xx(requestUri, via + inviteBranch, fromHeader, r.toHeader, callId));
                            break;
                        }
                    }
                }
                res.sampleEnd();
                res.setResponseCode("timeout");
                res.setResponseMessage("no final response to INVITE within " + inviteTimeoutMs + " ms");
                res.setResponseData(log.toString(), "UTF-8");
                ok = false;
            } else if (fin.code >= 300) {
                // negative final response: ACK it (same branch, hop by hop) and end
                String ack = ackNon2xx(requestUri, via + inviteBranch, fromHeader, fin.toHeader, callId);
                send(sock, edge, ack);
                res.sampleEnd();
                res.setResponseCode(Integer.toString(fin.code));
                res.setResponseMessage(fin.reason);
                res.setResponseHeaders(fin.head);
                res.setResponseData(fin.raw, "UTF-8");
                ok = false;
                // no timer D wait: on loopback the ACK is not lost, and the thread should hand
                // the sample to JMeter at once (JMeter reads allThreads when the sample returns)
            } else {
                // 2xx: ACK (new transaction, route set from Record-Route), hold, BYE
                List<String> routeSet = new ArrayList<String>(fin.recordRoutes);
                Collections.reverse(routeSet);
                String target = fin.contactUri != null ? fin.contactUri : requestUri;
                StringBuilder routes = new StringBuilder();
                for (String rr : routeSet) {
                    routes.append("Route: ").append(rr).append(CRLF);
                }
                String ack = "ACK " + target + " SIP/2.0" + CRLF
                        + "Via: " + via + "z9hG4bK" + hex(rnd, 16) + CRLF
                        + routes
                        + "Max-Forwards: 70" + CRLF
                        + "From: " + fromHeader + CRLF
                        + "To: " + fin.toHeader + CRLF
                        + "Call-ID: " + callId + CRLF
                        + "CSeq: 1 ACK" + CRLF
                        + "Contact: " + contact + CRLF
                        + "Content-Length: 0" + CRLF + CRLF;
                send(sock, edge, ack);
                res.setResponseCode(Integer.toString(fin.code));
                res.setResponseMessage(fin.reason);
                res.setResponseHeaders(fin.head);

                // hold the call; answer retransmitted 200s with the same ACK
                long holdEnd = System.currentTimeMillis() + holdMs;
                while (true) {
                    long left = holdEnd - System.currentTimeMillis();
                    if (left <= 0) {
                        break;
                    }
                    Response r = receive(sock, left);
                    if (r != null && "INVITE".equals(r.cseqMethod) && r.code >= 200 && r.code < 300) {
                        send(sock, edge, ack);
                    }
                }

                String byeBranch = "z9hG4bK" + hex(rnd, 16);
                String bye = "BYE " + target + " SIP/2.0" + CRLF
                        + "Via: " + via + byeBranch + CRLF
                        + routes
                        + "Max-Forwards: 70" + CRLF
                        + "From: " + fromHeader + CRLF
                        + "To: " + fin.toHeader + CRLF
                        + "Call-ID: " + callId + CRLF
                        + "CSeq: 2 BYE" + CRLF
                        + "User-Agent: ceiling-spike SipCallSampler (Apache JMeter 2.13)" + CRLF
                        + "Content-Length: 0" + CRLF + CRLF;
                long byeStart = System.currentTimeMillis();
                send(sock, edge, bye);
                long byeDeadline = byeStart + byeTimeoutMs;
                long byeInterval = t1Ms;
                long byeNext = byeStart + byeInterval;
                Response byeFinal = null;
                while (true) {
                    long now = System.currentTimeMillis();
                    if (now >= byeDeadline) {
                        break;
                    }
                    Response r = receive(sock, Math.max(1, Math.min(byeDeadline, byeNext) - now));
                    if (r == null) {
                        now = System.currentTimeMillis();
                        if (now >= byeNext) {
                            send(sock, edge, bye);
                            byeInterval = Math.min(byeInterval * 2, t2Ms);
                            byeNext = now + byeInterval;
                        }
                        continue;
                    }
                    bytesIn += r.raw.length();
                    if ("INVITE".equals(r.cseqMethod) && r.code >= 200 && r.code < 300) {
                        send(sock, edge, ack);
                        continue;
                    }
                    if ("BYE".equals(r.cseqMethod) && r.code >= 200) {
                        byeFinal = r;
                        break;
                    }
                }
                res.sampleEnd();
                if (byeFinal != null && byeFinal.code < 300) {
                    ok = true;
                    res.setResponseData(fin.raw, "UTF-8");
                } else {
                    ok = false;
                    String why = byeFinal == null ? "BYE unanswered" : ("BYE answered " + byeFinal.code + " " + byeFinal.reason);
                    res.setResponseData(fin.raw + "\n-- " + why, "UTF-8");
                    res.setResponseMessage(fin.reason + " (" + why + ")");
                }
            }
        } catch (IOException e) {
            if (res.getStartTime() == 0) {
                res.sampleStart();
            }
            if (res.getEndTime() == 0) {
                res.sampleEnd();
            }
            res.setResponseCode(e.getClass().getName());
            res.setResponseMessage(String.valueOf(e.getMessage()));
            res.setResponseData(e.toString(), "UTF-8");
            ok = false;
        } finally {
            if (sock != null) {
                sock.close();
            }
        }
        res.setSuccessful(ok);
        res.setBytes(bytesIn);

        return res;
    }

    private String ackNon2xx(String requestUri, String viaWithBranch, String fromHeader, String toHeader, String callId) {
        return "ACK " + requestUri + " SIP/2.0" + CRLF
                + "Via: " + viaWithBranch + CRLF
                + "Max-Forwards: 70" + CRLF
                + "From: " + fromHeader + CRLF
                + "To: " + toHeader + CRLF
                + "Call-ID: " + callId + CRLF
                + "CSeq: 1 ACK" + CRLF
                + "Content-Length: 0" + CRLF + CRLF;
    }

    private static String sdp(ThreadLocalRandom rnd, int lport) {
        long sess = 1000000000L + rnd.nextLong(8000000000L);
        int rtp = 20000 + 2 * rnd.nextInt(5000);
        return "v=0" + CRLF
                + "o=jmeter " + sess + " " + sess + " IN IP4 127.0.0.1" + CRLF
                + "s=ceiling spike call" + CRLF
                + "c=IN IP4 127.0.0.1" + CRLF
                + "t=0 0" + CRLF
                + "m=audio " + rtp + " RTP/AVP 0 8 9 18 101" + CRLF
                + "a=rtpmap:0 PCMU/8000" + CRLF
                + "a=rtpmap:8 PCMA/8000" + CRLF
                + "a=rtpmap:9 G722/8000" + CRLF
                + "a=rtpmap:18 G729/8000" + CRLF
                + "a=fmtp:18 annexb=no" + CRLF
                + "a=rtpmap:101 telephone-event/8000" + CRLF
                + "a=fmtp:101 0-16" + CRLF
                + "a=ptime:20" + CRLF
                + "a=rtcp:" + (rtp + 1) + CRLF
                + "a=sendrecv" + CRLF;
    }

    private static void send(DatagramSocket sock, InetSocketAddress to, String msg) throws IOException {
        byte[] b = msg.getBytes(StandardCharsets.UTF_8);
        sock.send(new DatagramPacket(b, b.length, to));
    }

    /** One receive buffer per sampler instance (JMeter gives each thread its own instance). */
    private final byte[] buf = new byte[65535];

    /** Waits up to ms for one datagram that parses as a SIP response; null on timeout. */
    private Response receive(DatagramSocket sock, long ms) throws IOException {
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        sock.setSoTimeout((int) Math.max(1, Math.min(ms, Integer.MAX_VALUE)));
        try {
            sock.receive(p);
        } catch (SocketTimeoutException e) {
            return null;
        }
        String raw = new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
        return parse(raw);
    }

    static Response parse(String raw) {
        if (!raw.startsWith("SIP/2.0 ")) {
            return null; // a request (not expected here): ignore
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

    private static String hex(ThreadLocalRandom rnd, int n) {
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            sb.append(Character.forDigit(rnd.nextInt(16), 16));
        }
        return sb.toString();
    }

    private static String pad(int v, int w) {
        String s = Integer.toString(v);
        StringBuilder sb = new StringBuilder();
        for (int i = s.length(); i < w; i++) {
            sb.append('0');
        }
        return sb.append(s).toString();
    }
}
