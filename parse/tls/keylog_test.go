package tls

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ceiling-dev/ceiling/parse"
	"github.com/ceiling-dev/ceiling/parse/pcap"
	"github.com/ceiling-dev/ceiling/parse/tls/keylog"
)

// keyCaptures are the loopback captures whose key log has secrets, all
// of them decrypted by tshark (testdata/oracle/*.decrypted.tsv).
var keyCaptures = []string{
	"tls12-ecdhe-aes128gcm.pcap",
	"tls12-ecdhe-chacha20.pcap",
	"tls12-resumed.pcap",
	"tls12-rsa-aes256gcm.pcap",
	"tls13-aes128gcm.pcap",
	"tls13-aes256gcm-bulk.pcap",
	"tls13-capture-loss.pcap",
	"tls13-chacha20-hrr.pcap",
	"tls13-client-rejects-cert.pcap",
	"tls12-ecdhe-rsa-aes256gcm.pcap",
	"tls12-ecdhe-ecdsa-aes128gcm.pcap",
	"tls12-ecdhe-ecdsa-aes256gcm.pcap",
	"tls12-ecdhe-ecdsa-chacha20.pcap",
	"tls13-keyupdate.pcap",
	"tls13-early-data.pcap",
	"tls13-go-client-rejects-cert.pcap",
}

// refused are the captures of keyCaptures whose handshake fails, and
// why. Go's client sends its alert encrypted: without keys the Conn
// says "alert:encrypted".
var refused = map[string]string{
	"tls13-client-rejects-cert.pcap":    "alert:unknown_ca",
	"tls13-go-client-rejects-cert.pcap": "alert:bad_certificate",
}

// readKeys reads the key log of a loopback capture.
func readKeys(t testing.TB, capture string) *keylog.Log {
	t.Helper()
	name := strings.TrimSuffix(strings.TrimSuffix(capture, ".pcap"), ".pcapng") + ".keys"
	f, err := os.Open(filepath.Join("testdata", "gen", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var probs parse.Problems
	l, err := keylog.Read(f, name, &probs)
	if err != nil || probs.Count > l.Stats().Unsupported {
		t.Fatalf("%s: %v %v", name, err, probs.First)
	}
	return l
}

// decView is what one side showed once decrypted, as text.
type decView struct {
	messages, alerts string
	// data lists, per frame that completed records of application data,
	// "frame:hex" of their plaintext.
	data []string
}

func (v decView) String() string {
	var d []string
	for _, x := range v.data {
		if len(x) > 60 {
			x = x[:60] + fmt.Sprintf("…(%d)", len(x))
		}
		d = append(d, x)
	}
	return fmt.Sprintf("messages=[%s] alerts=[%s] data=%s", v.messages, v.alerts, d)
}

// tsharkDecViews reads what tshark decrypted in one stream.
func tsharkDecViews(rows []oracleRow, stream int, clientPort string) (v [2]decView, finished [2]int64) {
	var msgs, alerts [2][]string
	for _, r := range rows {
		if atoi(r["tcp.stream"]) != stream {
			continue
		}
		s := Server
		if r["tcp.srcport"] == clientPort {
			s = Client
		}
		ht := r.list("tls.handshake.type")
		msgs[s] = append(msgs[s], ht...)
		if slices.Contains(ht, "20") {
			finished[s] = int64(atoi(r["frame"]))
		}
		alerts[s] = append(alerts[s], r.list("tls.alert_message.desc")...)
		if d := strings.ReplaceAll(r["data.data"], ",", ""); d != "" {
			v[s].data = append(v[s].data, r["frame"]+":"+d)
		}
	}
	for s := range v {
		v[s].messages, v[s].alerts = strings.Join(msgs[s], " "), strings.Join(alerts[s], " ")
	}
	return v, finished
}

// ourDecViews builds the same from a Conn and what it gave OnData.
func ourDecViews(fl *conn) [2]decView {
	var v [2]decView
	h := fl.c.Handshake()
	for s := Client; s <= Server; s++ {
		var msgs, alerts []string
		for _, m := range h.Dir(s).Messages {
			msgs = append(msgs, fmt.Sprint(uint8(m)))
		}
		for _, a := range h.Alerts {
			if a.From == s && !a.Opaque {
				alerts = append(alerts, fmt.Sprint(a.Description))
			}
		}
		v[s].messages, v[s].alerts = strings.Join(msgs, " "), strings.Join(alerts, " ")
		var frame int64 = -1
		for _, p := range fl.data {
			if p.From != s {
				continue
			}
			if p.Packet != frame {
				v[s].data = append(v[s].data, fmt.Sprintf("%d:", p.Packet))
				frame = p.Packet
			}
			v[s].data[len(v[s].data)-1] += hex.EncodeToString(p.Data)
		}
	}
	return v
}

// TestOracleDecrypt decrypts every loopback capture with its key log and
// holds the result to what tshark decrypted with it
// (testdata/oracle/*.decrypted.tsv): per stream and side, the handshake
// messages (the encrypted ones included), the alert descriptions (the
// encrypted ones included), and the application data, byte for byte and
// frame by frame. The handshake must now complete at the frame of the
// later Finished, and no record may stay closed, except in the capture
// with losses, where tshark gives up after the first gap and the Conn
// does not (TestCaptureLossDecrypt).
func TestOracleDecrypt(t *testing.T) {
	for _, name := range keyCaptures {
		t.Run(name, func(t *testing.T) {
			rows := readOracleFile(t, name+".decrypted")
			dec := NewDecrypter(readKeys(t, name))
			conns := readConns(t, capturePath(t, name), &Options{Decrypter: dec, OnData: func(*Plaintext) {}})
			if len(conns) == 0 {
				t.Fatal("no connection")
			}
			loss := name == "tls13-capture-loss.pcap"
			for _, fl := range conns {
				want, finished := tsharkDecViews(rows, fl.index, fmt.Sprint(fl.client.Port()))
				got := ourDecViews(fl)
				for s := Client; s <= Server; s++ {
					if loss {
						// What tshark decrypted is the start of ours.
						if got[s].messages != want[s].messages || len(got[s].data) < len(want[s].data) || !slices.Equal(got[s].data[:len(want[s].data)], want[s].data) {
							t.Errorf("stream %d %s:\n got  %s\n want %s (and more)", fl.index, s, got[s], want[s])
						}
						continue
					}
					if got[s].messages != want[s].messages || got[s].alerts != want[s].alerts || !slices.Equal(got[s].data, want[s].data) {
						t.Errorf("stream %d %s:\n got  %s\n want %s", fl.index, s, got[s], want[s])
					}
				}
				h := fl.c.Handshake()
				done := max(finished[Client], finished[Server])
				if reason := refused[name]; reason != "" {
					if h.State != Failed || h.Reason != reason {
						t.Errorf("stream %d: %s %q, want failed %q", fl.index, h.State, h.Reason, reason)
					}
				} else if h.State != HandshakeComplete || h.Done.Packet != done || !fl.c.dirs[Client].finished || !fl.c.dirs[Server].finished {
					t.Errorf("stream %d: %s done @%d, want complete @%d (finished %v %v)", fl.index, h.State, h.Done.Packet, done, fl.c.dirs[Client].finished, fl.c.dirs[Server].finished)
				}
				for _, a := range h.Alerts {
					if a.Opaque {
						t.Errorf("stream %d: opaque alert %+v", fl.index, a)
					}
				}
				d := fl.c.Session().Decryption()
				if d.Keys != KeysFound || (!loss && (d.Failed != 0 || h.Client.Undecrypted+h.Server.Undecrypted != 0)) {
					t.Errorf("stream %d: %+v, undecrypted %d %d", fl.index, d, h.Client.Undecrypted, h.Server.Undecrypted)
				}
			}
			st := dec.Stats()
			if st.Sessions != int64(len(conns)) || st.WithKeys != st.Sessions || (!loss && st.Failed != 0) || st.Records == 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// readOracleFile reads testdata/oracle/<name>.tsv.
func readOracleFile(t *testing.T, name string) []oracleRow { return readOracle(t, name) }

// keyText gives the text of a capture's key log.
func keyText(t testing.TB, capture string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "gen", strings.TrimSuffix(capture, ".pcap")+".keys"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func logOf(t testing.TB, text string) *keylog.Log {
	t.Helper()
	l, err := keylog.Read(strings.NewReader(text), "keys", nil)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// undecrypted gives a dump with the Undecrypted counts cleared, to
// compare a Conn given wrong keys with one given none.
func undecrypted(fl *conn) string {
	var b strings.Builder
	dump(&b, fl)
	return regexpUndecrypted.ReplaceAllString(b.String(), "undecrypted 0")
}

var regexpUndecrypted = regexp.MustCompile(`undecrypted \d+`)

// TestWrongKeys gives every capture a key log that cannot open it: one
// of another capture (no keys for these connections), and its own with
// every secret changed (keys, but wrong). Nothing may be decrypted, each
// connection is counted once as without keys or as wrong, every record
// counts as failing, and the Conn must learn exactly what it learns
// without a Decrypter.
func TestWrongKeys(t *testing.T) {
	flip := regexp.MustCompile(`(?m)^([A-Z_0-9]+ [0-9a-f]{64} )([0-9a-f])`)
	for _, name := range keyCaptures {
		t.Run(name, func(t *testing.T) {
			plain := readConns(t, capturePath(t, name), nil)
			other := "tls12-ecdhe-aes128gcm.pcap"
			if name == other {
				other = "tls13-aes128gcm.pcap"
			}
			wrong := flip.ReplaceAllStringFunc(keyText(t, name), func(s string) string {
				last := s[len(s)-1]
				if last == '0' {
					return s[:len(s)-1] + "1"
				}
				return s[:len(s)-1] + "0"
			})
			for _, c := range []struct {
				what string
				log  *keylog.Log
				keys Keys
			}{
				{"another capture's", logOf(t, keyText(t, other)), KeysMissing},
				{"changed", logOf(t, wrong), KeysWrong},
			} {
				dec := NewDecrypter(c.log)
				var opened int
				conns := readConns(t, capturePath(t, name), &Options{Decrypter: dec, OnData: func(*Plaintext) { opened++ }})
				st := dec.Stats()
				if opened > 0 || st.Records > 0 || st.Sessions != int64(len(conns)) || st.WithKeys != 0 && c.keys == KeysMissing {
					t.Errorf("%s key log: %d opened, %+v", c.what, opened, st)
				}
				var failed int64
				for i, fl := range conns {
					if got, want := undecrypted(fl), undecrypted(plain[i]); got != want {
						t.Errorf("%s key log: stream %d differs from no key log:\n%s", c.what, fl.index, diff(want, got))
					}
					h := fl.c.Handshake()
					d := fl.c.Session().Decryption()
					if d.Keys != c.keys || d.Opened != 0 || d.Failed != h.Client.Undecrypted+h.Server.Undecrypted || d.Failed == 0 {
						t.Errorf("%s key log: stream %d: %+v, undecrypted %d+%d", c.what, fl.index, d, h.Client.Undecrypted, h.Server.Undecrypted)
					}
					failed += d.Failed
				}
				reason := "no keys"
				if c.keys == KeysWrong {
					reason = "authentication"
				}
				if st.Failed != failed || st.FailedBy[reason] != failed {
					t.Errorf("%s key log: %+v, %d records failed", c.what, st, failed)
				}
			}
		})
	}
}

// TestPartialKeys: key logs with some of the secrets. The connections or
// sides they cover are decrypted as with the whole log, the others are
// reported and left as without keys.
func TestPartialKeys(t *testing.T) {
	// Two TLS 1.2 connections, the first one's key only.
	text := keyText(t, "tls12-resumed.pcap")
	first := strings.Join(strings.Split(text, "\n")[:2], "\n")
	dec := NewDecrypter(logOf(t, first))
	conns := readConns(t, capturePath(t, "tls12-resumed.pcap"), &Options{Decrypter: dec, OnData: func(*Plaintext) {}})
	if d0, d1 := conns[0].c.Session().Decryption(), conns[1].c.Session().Decryption(); d0.Keys != KeysFound || d0.Failed != 0 || d1.Keys != KeysMissing || d1.Opened != 0 || len(conns[0].data) != 2 || len(conns[1].data) != 0 {
		t.Errorf("%+v %+v", d0, d1)
	}
	if st := dec.Stats(); st.Sessions != 2 || st.WithKeys != 1 || st.WithoutKeys != 1 || st.FailedBy["no keys"] != conns[1].c.Session().Decryption().Failed {
		t.Errorf("%+v", st)
	}

	// Several key logs merged, one of them for these connections.
	l := logOf(t, keyText(t, "tls13-aes128gcm.pcap"))
	l.Merge(logOf(t, keyText(t, "tls12-resumed.pcap")))
	l.Merge(logOf(t, keyText(t, "tls13-keyupdate.pcap")))
	dec = NewDecrypter(l)
	conns = readConns(t, capturePath(t, "tls12-resumed.pcap"), &Options{Decrypter: dec, OnData: func(*Plaintext) {}})
	if st := dec.Stats(); st.WithKeys != 2 || st.Failed != 0 {
		t.Errorf("merged: %+v", st)
	}

	rows := readOracle(t, "tls13-keyupdate.pcap.decrypted")
	for _, c := range []struct {
		what string
		drop *regexp.Regexp
		// sides whose data must come out whole, and the Keys verdict
		whole [2]bool
		keys  Keys
	}{
		// The server's secrets only: its side decrypted, the client's
		// records reported, its part of the handshake told by place.
		{"server's", regexp.MustCompile(`(?m)^CLIENT_.*\n`), [2]bool{false, true}, KeysPartial},
		// The application secrets only (some loggers write no other): the
		// handshake records stay closed, the data after them opens, from
		// epoch 3 sequence 0, which the decrypter finds by itself.
		{"application", regexp.MustCompile(`(?m)^.*HANDSHAKE.*\n`), [2]bool{true, true}, KeysPartial},
	} {
		dec := NewDecrypter(logOf(t, c.drop.ReplaceAllString(keyText(t, "tls13-keyupdate.pcap"), "")))
		fl := readConns(t, capturePath(t, "tls13-keyupdate.pcap"), &Options{Decrypter: dec, OnData: func(*Plaintext) {}})[0]
		want, _ := tsharkDecViews(rows, 0, fmt.Sprint(fl.client.Port()))
		got := ourDecViews(fl)
		h := fl.c.Handshake()
		for s := Client; s <= Server; s++ {
			if c.whole[s] != slices.Equal(got[s].data, want[s].data) {
				t.Errorf("%s secrets: %s data whole %v:\n got  %s\n want %s", c.what, s, !c.whole[s], got[s], want[s])
			}
			if !c.whole[s] && (len(got[s].data) != 0 || h.Dir(s).Undecrypted == 0) {
				t.Errorf("%s secrets: %s: %d undecrypted, data %s", c.what, s, h.Dir(s).Undecrypted, got[s])
			}
		}
		if d := fl.c.Session().Decryption(); d.Keys != c.keys || h.State != HandshakeComplete {
			t.Errorf("%s secrets: %+v, %s", c.what, d, h.State)
		}
	}
}

// TestCaptureLossDecrypt: the capture whose tcpdump dropped 80 kB of the
// server's stream in two gaps, hundreds of records. tshark decrypts
// nothing after the first gap; the decrypter finds the sequence number
// again (a search bounded by the bytes missed) and opens every record
// after it. The server (s_server -rev) answers each SIP line with the
// line reversed, so each record it sent after the gap must be the
// reverse of one of the client's lines, in order.
func TestCaptureLossDecrypt(t *testing.T) {
	name := "tls13-capture-loss.pcap"
	dec := NewDecrypter(readKeys(t, name))
	fl := readConns(t, capturePath(t, name), &Options{Decrypter: dec, OnData: func(*Plaintext) {}})[0]
	var client []byte
	var lines []string
	var lost int
	for _, p := range fl.data {
		switch {
		case p.From == Client:
			client = append(client, p.Data...)
		default:
			if p.Lost {
				lost++
			}
			lines = append(lines, string(p.Data))
		}
	}
	sent := strings.SplitAfter(string(client), "\n")
	i := 0
	for _, l := range lines {
		r := []byte(strings.TrimSuffix(l, "\n"))
		slices.Reverse(r)
		for i < len(sent) && strings.TrimSuffix(sent[i], "\n") != string(r) {
			i++
		}
		if i == len(sent) {
			t.Fatalf("the server's %q is no client line reversed, in order", l)
		}
	}
	h := fl.c.Handshake()
	if len(lines) != 55 || lost != 1 || h.Server.Undecrypted != 0 || h.Server.Gap == 0 || len(sent) != 501 {
		t.Errorf("%d server records, %d after a loss, %d undecrypted, gap %d, %d client lines", len(lines), lost, h.Server.Undecrypted, h.Server.Gap, len(sent))
	}
}

// TestSecretsBlockDecrypt reads a pcapng whose key logs are inside it,
// in a Decryption Secrets Block, with no key log beside it: the block
// comes before the packets, the Log grows, and both connections (TLS 1.2
// and 1.3) decrypt as tshark decrypts them with those secrets.
func TestSecretsBlockDecrypt(t *testing.T) {
	name := "dsb-tls12-tls13.pcapng"
	l := keylog.New()
	dec := NewDecrypter(l)
	var probs parse.Problems
	popts := pcap.Options{OnSecrets: func(s *pcap.Secrets) {
		l.Merge(keylog.FromSecretsBlock(s.Type, s.Data, name, s.Offset, &probs))
	}}
	conns := readConnsWith(t, capturePath(t, name), &Options{Decrypter: dec, OnData: func(*Plaintext) {}}, popts)
	rows := readOracle(t, name+".decrypted")
	if len(conns) != 2 || probs.Count != 0 || l.Len() != 2 {
		t.Fatalf("%d connections, %d sessions in the log, problems %v", len(conns), l.Len(), probs.First)
	}
	for _, fl := range conns {
		want, _ := tsharkDecViews(rows, fl.index, fmt.Sprint(fl.client.Port()))
		got := ourDecViews(fl)
		for s := Client; s <= Server; s++ {
			if got[s].messages != want[s].messages || got[s].alerts != want[s].alerts || !slices.Equal(got[s].data, want[s].data) || len(want[s].data) == 0 {
				t.Errorf("stream %d %s:\n got  %s\n want %s", fl.index, s, got[s], want[s])
			}
		}
	}
	if st := dec.Stats(); st.WithKeys != 2 || st.Failed != 0 {
		t.Errorf("%+v", st)
	}
}

// TestConcurrent: one KeyLogDecrypter serves connections on several
// goroutines while secrets are merged into its log (run with -race).
// Each connection decrypts as alone, and the counts add up.
func TestConcurrent(t *testing.T) {
	l := keylog.New()
	dec := NewDecrypter(l)
	names := []string{"tls12-ecdhe-aes128gcm.pcap", "tls13-aes128gcm.pcap", "tls13-keyupdate.pcap", "tls12-ecdhe-chacha20.pcap"}
	for _, n := range names {
		l.Merge(readKeys(t, n))
	}
	done := make(chan int64)
	for i := range 8 {
		go func() {
			var data int64
			for _, fl := range readConns(t, capturePath(t, names[i%len(names)]), &Options{Decrypter: dec, OnData: func(p *Plaintext) { data += int64(len(p.Data)) }}) {
				if d := fl.c.Session().Decryption(); d.Keys != KeysFound || d.Failed != 0 {
					t.Errorf("%s: %+v", names[i%len(names)], d)
				}
			}
			done <- data
		}()
		go l.Merge(readKeys(t, "tls12-resumed.pcap"))
	}
	var data int64
	for range 8 {
		data += <-done
	}
	if st := dec.Stats(); st.Sessions != 8 || st.WithKeys != 8 || st.Failed != 0 || data != 2*(918+918+1530+918) {
		t.Errorf("%+v, %d bytes", st, data)
	}
}

// TestNotDecrypted: connections the decrypter cannot open whatever the
// log holds: a CBC suite, a TLS 1.3 CCM suite, TLS 1.1, and a capture
// that began after the hellos. Each is counted once, its records per
// reason, and left as without keys.
func TestNotDecrypted(t *testing.T) {
	ch := append([]byte(nil), record(TypeHandshake, clientHello(helloOpts{versions: []uint16{VersionTLS13, VersionTLS12}, shares: []uint16{0x001d}}))...)
	copy(ch[11:43], synthRandom[:])
	log := logOf(t, fmt.Sprintf("CLIENT_RANDOM %x %s\nCLIENT_HANDSHAKE_TRAFFIC_SECRET %x %s\nSERVER_HANDSHAKE_TRAFFIC_SECRET %x %s\n",
		synthRandom, strings.Repeat("ab", 48), synthRandom, strings.Repeat("cd", 32), synthRandom, strings.Repeat("ef", 32)))
	tls12 := func(version, suite uint16) []op {
		return feeds(
			Client, ch,
			Server, record(TypeHandshake, cat(serverHello(version, suite, false), message(ServerHelloDone, nil))),
			Client, cat(ccs(), sealed(TypeHandshake, 40)),
			Server, cat(ccs(), sealed(TypeHandshake, 40)),
			Client, sealed(TypeApplicationData, 300),
		)
	}
	midstream := feeds(Client, sealed(TypeApplicationData, 300), Server, sealed(TypeApplicationData, 200), Client, sealed(TypeApplicationData, 100))
	// Without hellos the Conn does not know protection began: give it a
	// ChangeCipherSpec first, as a capture that began just before one.
	midstream = append(feeds(Client, ccs(), Server, ccs()), midstream...)
	for _, c := range []struct {
		what   string
		ops    []op
		keys   Keys
		reason string
	}{
		{"cbc", tls12(VersionTLS12, 0x002f), KeysUnsupported, "unsupported"},
		{"tls1.1", tls12(VersionTLS11, 0xc013), KeysUnsupported, "unsupported"},
		{"ccm", feeds(Client, ch, Server, cat(record(TypeHandshake, serverHello(VersionTLS13, 0x1304, false)), sealed(TypeApplicationData, 90)), Client, sealed(TypeApplicationData, 60)), KeysUnsupported, "unsupported"},
		{"midstream", midstream, KeysNoHello, "no hello"},
	} {
		dec := NewDecrypter(log)
		plain, _ := runOps(c.ops, nil)
		got, conn := runOps(c.ops, &Options{Decrypter: dec})
		st := dec.Stats()
		d := conn.Session().Decryption()
		h := conn.Handshake()
		n := h.Client.Undecrypted + h.Server.Undecrypted
		if d.Keys != c.keys || n == 0 || d.Failed != n || st.FailedBy[c.reason] != n || st.Sessions != 1 || regexpUndecrypted.ReplaceAllString(got, "") != regexpUndecrypted.ReplaceAllString(plain, "") {
			t.Errorf("%s: %+v, %+v, %d undecrypted", c.what, d, st, n)
		}
		if (c.keys == KeysUnsupported) != (st.Unsupported == 1) || (c.keys == KeysNoHello) != (st.WithoutKeys == 1) {
			t.Errorf("%s: %+v", c.what, st)
		}
	}
}
