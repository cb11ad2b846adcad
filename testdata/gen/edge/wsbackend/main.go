// Command wsbackend is the small server behind (or as) the edge in the ceiling edge fixtures
// (testdata/gen/edge). Standard library only. Each mode listens on one address; it stops by
// itself after -lifetime.
//
//	wsbackend -ws 127.0.0.1:8081
//	    WebSocket echo server at any path: checks the RFC 6455 upgrade request, hijacks the
//	    connection, answers 101 with Sec-WebSocket-Accept, then echoes text/binary frames,
//	    answers pings, and answers a close frame with a close frame and closes the TCP
//	    connection (the server closes first, as RFC 6455 section 7.1.1 asks).
//	wsbackend -http 127.0.0.1:8080
//	    GET /hold?ms=N: waits N ms, then answers 200 with "Connection: close" and closes; the
//	    request's x-trace-id is echoed in the response.
//	wsbackend -https 127.0.0.1:443 -cert c.pem -key k.pem -max-conns N -keylog keys.txt
//	    the same over TLS, but an edge that admits at most N concurrent TLS connections: a
//	    connection accepted while N are open gets its ClientHello read and a fatal TLS alert
//	    handshake_failure (40) back, then the TCP connection is closed. Every TLS session's
//	    secrets are written to -keylog (NSS key log format, what SSLKEYLOGFILE holds), so that
//	    tshark can decrypt the capture.
package main

import (
	"bufio"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

func main() {
	wsAddr := flag.String("ws", "", "WebSocket echo server address")
	httpAddr := flag.String("http", "", "HTTP hold server address")
	httpsAddr := flag.String("https", "", "HTTPS hold server address (with -max-conns)")
	cert := flag.String("cert", "", "TLS certificate (PEM)")
	key := flag.String("key", "", "TLS key (PEM)")
	keylog := flag.String("keylog", "", "write TLS secrets here (NSS key log format)")
	maxConns := flag.Int("max-conns", 0, "HTTPS: admit at most this many concurrent TLS connections (0: no limit)")
	lifetime := flag.Duration("lifetime", 5*time.Minute, "exit after this long")
	flag.Parse()
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)

	go func() {
		time.Sleep(*lifetime)
		log.Printf("lifetime %s over, exiting", *lifetime)
		os.Exit(0)
	}()

	errc := make(chan error, 3)
	if *wsAddr != "" {
		go func() { errc <- serve(*wsAddr, http.HandlerFunc(wsEcho)) }()
	}
	if *httpAddr != "" {
		go func() { errc <- serve(*httpAddr, http.HandlerFunc(hold)) }()
	}
	if *httpsAddr != "" {
		go func() { errc <- serveTLS(*httpsAddr, *cert, *key, *keylog, *maxConns) }()
	}
	if *wsAddr == "" && *httpAddr == "" && *httpsAddr == "" {
		log.Fatal("nothing to do: give -ws, -http or -https")
	}
	log.Fatal(<-errc)
}

func serve(addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	log.Printf("listening on %s", addr)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	srv.SetKeepAlivesEnabled(false)
	return srv.Serve(ln)
}

// hold answers GET /hold?ms=N after N ms (at most 60 s) and closes the connection.
func hold(w http.ResponseWriter, r *http.Request) {
	ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
	if ms < 0 || ms > 60000 {
		ms = 0
	}
	select {
	case <-time.After(time.Duration(ms) * time.Millisecond):
	case <-r.Context().Done():
		return
	}
	if t := r.Header.Get("X-Trace-Id"); t != "" {
		w.Header().Set("X-Trace-Id", t)
	}
	w.Header().Set("Connection", "close")
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprintf(w, "held %d ms\n", ms)
}

// wsEcho is an RFC 6455 server: handshake, then echo until a close frame.
func wsEcho(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || !headerHas(r.Header, "Connection", "upgrade") ||
		!headerHas(r.Header, "Upgrade", "websocket") || r.Header.Get("Sec-WebSocket-Version") != "13" {
		w.Header().Set("Sec-WebSocket-Version", "13")
		http.Error(w, "WebSocket upgrade expected", http.StatusBadRequest)
		return
	}
	key := r.Header.Get("Sec-WebSocket-Key")
	if k, err := base64.StdEncoding.DecodeString(key); err != nil || len(k) != 16 {
		http.Error(w, "bad Sec-WebSocket-Key", http.StatusBadRequest)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "no hijack", http.StatusInternalServerError)
		return
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	sum := sha1.Sum([]byte(key + wsGUID))
	resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + base64.StdEncoding.EncodeToString(sum[:]) + "\r\n"
	if t := r.Header.Get("X-Trace-Id"); t != "" {
		resp += "X-Backend-Trace-Id: " + t + "\r\n"
	}
	resp += "\r\n"
	if _, err := conn.Write([]byte(resp)); err != nil {
		return
	}
	// an idle connection is closed after 2 minutes at most
	for {
		conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
		op, payload, err := readFrame(brw.Reader)
		if err != nil {
			return
		}
		switch op {
		case 0x1, 0x2: // text, binary: echo
			if writeFrame(conn, op, payload) != nil {
				return
			}
		case 0x9: // ping
			if writeFrame(conn, 0xA, payload) != nil {
				return
			}
		case 0x8: // close: answer with the same status, then close the TCP connection
			if len(payload) > 2 {
				payload = payload[:2]
			}
			writeFrame(conn, 0x8, payload)
			return
		}
	}
}

func headerHas(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, p := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(p), token) {
				return true
			}
		}
	}
	return false
}

// readFrame reads one client frame (which must be masked), reassembling nothing: the fixture's
// client sends unfragmented frames only.
func readFrame(r *bufio.Reader) (byte, []byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	op := h[0] & 0x0F
	masked := h[1]&0x80 != 0
	n := uint64(h[1] & 0x7F)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if !masked {
		return 0, nil, errors.New("unmasked client frame")
	}
	if n > 1<<20 {
		return 0, nil, errors.New("frame too large")
	}
	var mask [4]byte
	if _, err := io.ReadFull(r, mask[:]); err != nil {
		return 0, nil, err
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		return 0, nil, err
	}
	for i := range p {
		p[i] ^= mask[i%4]
	}
	return op, p, nil
}

// writeFrame writes one unmasked server frame with FIN set.
func writeFrame(w io.Writer, op byte, p []byte) error {
	b := []byte{0x80 | op}
	switch {
	case len(p) < 126:
		b = append(b, byte(len(p)))
	case len(p) < 1<<16:
		b = append(b, 126, byte(len(p)>>8), byte(len(p)))
	default:
		b = append(b, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(len(p)))
	}
	_, err := w.Write(append(b, p...))
	return err
}

// ---------------------------------------------------------------- HTTPS with a connection limit

// limitListener admits at most max concurrent connections; the others get a TLS alert.
type limitListener struct {
	net.Listener
	max    int64
	active atomic.Int64
	seq    atomic.Int64
}

type countedConn struct {
	net.Conn
	l    *limitListener
	once sync.Once
}

// Close leaves the limit at once, but closes the TCP connection gracefully: FIN first, then
// whatever the client still sends (its close_notify) is read and dropped until its FIN (at most
// 5 s), and only then the socket is closed, so that the client's close_notify does not meet a
// closed socket and draw an RST.
func (c *countedConn) Close() error {
	first := false
	c.once.Do(func() { c.l.active.Add(-1); first = true })
	tc, ok := c.Conn.(*net.TCPConn)
	if !ok || !first {
		return c.Conn.Close()
	}
	if err := tc.CloseWrite(); err != nil {
		return tc.Close()
	}
	go func() {
		tc.SetReadDeadline(time.Now().Add(5 * time.Second))
		io.Copy(io.Discard, tc)
		tc.Close()
	}()
	return nil
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		n := l.active.Add(1)
		id := l.seq.Add(1)
		if l.max > 0 && n > l.max {
			l.active.Add(-1)
			log.Printf("conn %d from %s: %d open, limit %d: TLS alert handshake_failure", id, c.RemoteAddr(), n-1, l.max)
			go refuseTLS(c)
			continue
		}
		return &countedConn{Conn: c, l: l}, nil
	}
}

// refuseTLS reads the ClientHello record, answers a fatal handshake_failure alert and closes.
func refuseTLS(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	var h [5]byte
	if _, err := io.ReadFull(c, h[:]); err != nil {
		return
	}
	n := int(binary.BigEndian.Uint16(h[3:5]))
	if h[0] != 22 || n > 1<<14+2048 {
		return
	}
	if _, err := io.CopyN(io.Discard, c, int64(n)); err != nil {
		return
	}
	// TLS record: alert (21), TLS 1.2 record version, length 2, fatal (2), handshake_failure (40)
	c.Write([]byte{21, 3, 3, 0, 2, 2, 40})
	// let the client read the alert and close its side first; do not reset
	if tc, ok := c.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	io.Copy(io.Discard, c)
}

func serveTLS(addr, certFile, keyFile, keylog string, max int) error {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return err
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if keylog != "" {
		f, err := os.OpenFile(keylog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return err
		}
		cfg.KeyLogWriter = &syncWriter{w: f}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	log.Printf("listening on %s (TLS, max %d connections)", addr, max)
	ll := &limitListener{Listener: ln, max: int64(max)}
	srv := &http.Server{Handler: http.HandlerFunc(hold), ReadHeaderTimeout: 10 * time.Second, TLSConfig: cfg}
	srv.SetKeepAlivesEnabled(false)
	return srv.Serve(tls.NewListener(ll, cfg))
}

type syncWriter struct {
	mu sync.Mutex
	w  *os.File
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
