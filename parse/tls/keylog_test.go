package tls

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ceiling-dev/ceiling/parse"
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
