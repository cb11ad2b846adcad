package tls

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/ceiling-dev/ceiling/parse/tls/keylog"
)

// Synthetic connections protected with known keys, for the tests, the
// fuzzer and the benchmark: the sealing side of what cipher.go opens,
// written from the RFCs again rather than with the opening code's
// helpers where the two could share a mistake (the nonce and the
// additional data are built here by hand).

// sealer protects one side's records.
type sealer struct {
	k   *recordKeys
	seq uint64
}

func (s *sealer) seal(typ ContentType, plain []byte) []byte {
	k := s.k
	var nonce [12]byte
	var out []byte
	switch {
	case k.suite.tls13:
		copy(nonce[:], k.iv[:])
		for i := range 8 {
			nonce[4+i] ^= byte(s.seq >> (56 - 8*i))
		}
		inner := append(append([]byte(nil), plain...), byte(typ))
		n := len(inner) + 16
		hdr := []byte{byte(TypeApplicationData), 3, 3, byte(n >> 8), byte(n)}
		out = append(hdr, k.aead.Seal(nil, nonce[:], inner, hdr)...)
	default:
		aad := binary.BigEndian.AppendUint64(nil, s.seq)
		aad = append(aad, byte(typ), 3, 3, byte(len(plain)>>8), byte(len(plain)))
		var body []byte
		if k.suite.chacha {
			copy(nonce[:], k.iv[:])
			for i := range 8 {
				nonce[4+i] ^= byte(s.seq >> (56 - 8*i))
			}
		} else {
			copy(nonce[:4], k.iv[:4])
			binary.BigEndian.PutUint64(nonce[4:], s.seq) // explicit nonce = seq
			body = append(body, nonce[4:]...)
		}
		body = k.aead.Seal(body, nonce[:], plain, aad)
		out = record(typ, body)
	}
	s.seq++
	return out
}

// synth is a synthetic connection: its ops and the key log that opens it.
type synth struct {
	name string
	ops  []op
	log  *keylog.Log
	// data is the application data each side sent.
	data [2][]byte
}

// synthRandom is the client random of the synthetic connections.
var synthRandom = func() (r [32]byte) {
	for i := range r {
		r[i] = byte(0xc0 + i)
	}
	return
}()

// fill is n bytes of printable text: what the decrypted application data
// of every test connection looks like, so that a record opened wrongly
// shows.
func fill(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a' + byte((i*7+int(seed))%26)
	}
	return b
}

// newSynth builds a connection of suite with records of the given
// application data sizes from each side in turn, in segments of up to
// seg bytes. TLS 1.3 suites get a handshake (EncryptedExtensions and
// Finished from the server, Finished from the client) and a KeyUpdate
// from each side half way; TLS 1.2 ones ChangeCipherSpec and Finished.
func newSynth(t testing.TB, suite uint16, sizes []int, seg int) *synth {
	s := aeadSuites[suite]
	ch := append([]byte(nil), record(TypeHandshake, clientHello(helloOpts{versions: []uint16{VersionTLS13, VersionTLS12}, shares: []uint16{0x001d}}))...)
	copy(ch[11:43], synthRandom[:])
	version := VersionTLS12
	if s.tls13 {
		version = VersionTLS13
	}
	sh := serverHello(version, suite, false)
	var serverRandom [32]byte
	copy(serverRandom[:], sh[6:38])
	sy := &synth{name: fmt.Sprintf("%s-%d", CipherSuiteName(suite), len(sizes))}
	var lines []string
	secret := func(label string, b byte) []byte {
		v := make([]byte, s.hash.Size())
		if label == "CLIENT_RANDOM" {
			v = make([]byte, 48)
		}
		for i := range v {
			v[i] = b + byte(i)
		}
		lines = append(lines, fmt.Sprintf("%s %x %x", label, synthRandom, v))
		return v
	}
	// The bytes in the order sent: a side's consecutive records are one
	// chunk, cut into segments at the end.
	type chunk struct {
		side Side
		b    []byte
	}
	var chunks []chunk
	add := func(side Side, b []byte) {
		if n := len(chunks); n > 0 && chunks[n-1].side == side {
			chunks[n-1].b = append(chunks[n-1].b, b...)
			return
		}
		chunks = append(chunks, chunk{side, append([]byte(nil), b...)})
	}
	var app [2]*sealer
	add(Client, ch)
	if s.tls13 {
		add(Server, record(TypeHandshake, sh))
		mk := func(label string, b byte) *sealer {
			k, err := keys13(s, secret(label, b))
			if err != nil {
				t.Fatal(err)
			}
			return &sealer{k: k}
		}
		shs, chs := mk("SERVER_HANDSHAKE_TRAFFIC_SECRET", 1), mk("CLIENT_HANDSHAKE_TRAFFIC_SECRET", 2)
		app[Server], app[Client] = mk("SERVER_TRAFFIC_SECRET_0", 3), mk("CLIENT_TRAFFIC_SECRET_0", 4)
		add(Server, ccs())
		add(Server, shs.seal(TypeHandshake, cat(message(EncryptedExtensions, vec16b(nil)), message(Finished, make([]byte, s.hash.Size())))))
		add(Client, ccs())
		add(Client, chs.seal(TypeHandshake, message(Finished, make([]byte, s.hash.Size()))))
	} else {
		add(Server, record(TypeHandshake, cat(sh, message(ServerHelloDone, nil))))
		master := secret("CLIENT_RANDOM", 9)
		c, sv, err := keys12(s, master, &synthRandom, &serverRandom)
		if err != nil {
			t.Fatal(err)
		}
		app[Client], app[Server] = &sealer{k: c}, &sealer{k: sv}
		add(Client, cat(record(TypeHandshake, message(ClientKeyExchange, vec8b(make([]byte, 32)))), ccs()))
		add(Client, app[Client].seal(TypeHandshake, message(Finished, make([]byte, 12))))
		add(Server, ccs())
		add(Server, app[Server].seal(TypeHandshake, message(Finished, make([]byte, 12))))
	}
	for i, n := range sizes {
		side := Side(i % 2)
		if s.tls13 && i == len(sizes)/2 {
			for sd := Client; sd <= Server; sd++ {
				add(sd, app[sd].seal(TypeHandshake, message(KeyUpdate, []byte{0})))
				next, err := app[sd].k.next()
				if err != nil {
					t.Fatal(err)
				}
				app[sd] = &sealer{k: next}
			}
		}
		p := fill(n, byte(i))
		sy.data[side] = append(sy.data[side], p...)
		add(side, app[side].seal(TypeApplicationData, p))
	}
	add(Client, app[Client].seal(TypeAlert, []byte{1, 0}))
	for _, c := range chunks {
		for b := c.b; len(b) > 0; {
			n := min(seg, len(b))
			sy.ops = append(sy.ops, op{kind: 'f', side: c.side, data: b[:n], pkt: int64(len(sy.ops) + 1), t: int64(len(sy.ops)+1) * 1000})
			b = b[n:]
		}
	}
	var err error
	sy.log, err = keylog.Read(strings.NewReader(strings.Join(lines, "\n")), sy.name, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sy
}

// synthSuites are the suites the synthetic connections are made with.
var synthSuites = []uint16{0x1301, 0x1302, 0x1303, 0xc02f, 0xc030, 0xcca8}

// TestSynth decrypts every synthetic connection whole: the handshake
// completes on the Finished, the KeyUpdates move both sides on, every
// byte of application data comes out, and the client's alert reads
// close_notify.
func TestSynth(t *testing.T) {
	for _, suite := range synthSuites {
		sy := newSynth(t, suite, []int{100, 2000, 16384, 1, 0, 5000, 300}, 1448)
		t.Run(sy.name, func(t *testing.T) {
			var got [2][]byte
			dec := NewDecrypter(sy.log)
			_, c := runOps(sy.ops, &Options{Decrypter: dec, OnData: func(p *Plaintext) { got[p.From] = append(got[p.From], p.Data...) }})
			h := c.Handshake()
			for s := Client; s <= Server; s++ {
				if string(got[s]) != string(sy.data[s]) {
					t.Errorf("%s: %d bytes, want %d", s, len(got[s]), len(sy.data[s]))
				}
				if h.Dir(s).Undecrypted != 0 {
					t.Errorf("%s: %d undecrypted", s, h.Dir(s).Undecrypted)
				}
			}
			if h.State != HandshakeComplete || !c.dirs[Client].finished || !c.dirs[Server].finished {
				t.Errorf("state %s", h.State)
			}
			if len(h.Alerts) != 1 || h.Alerts[0].Name() != "close_notify" {
				t.Errorf("alerts %+v", h.Alerts)
			}
			if d := c.Session().Decryption(); d.Keys != KeysFound || d.Failed != 0 {
				t.Errorf("%+v %+v", d, dec.Stats())
			}
			if e := c.dirs[Client].epoch; aeadSuites[suite].tls13 && e != EpochApplication+1 {
				t.Errorf("client epoch %d", e)
			}
		})
	}
}

// hexKey is for messages.
func hexKey(b []byte) string { return hex.EncodeToString(b) }

// TestPlausible: the cheap check of a guessed TLS 1.3 sequence number
// never rules out the right one, and rules out most wrong ones.
func TestPlausible(t *testing.T) {
	for _, suite := range []uint16{0x1301, 0x1302, 0x1303} {
		s := aeadSuites[suite]
		k, err := keys13(s, make([]byte, s.hash.Size()))
		if err != nil {
			t.Fatal(err)
		}
		passed, wrong := 0, 0
		for n := range 300 {
			se := &sealer{k: k, seq: uint64(n * 3)}
			typ := []ContentType{TypeApplicationData, TypeHandshake, TypeAlert}[n%3]
			rec := se.seal(typ, fill(n, byte(n)))
			r := &Record{Type: TypeApplicationData, Version: VersionTLS12, Payload: rec[headerLen:]}
			if !k.plausible(r, uint64(n*3)) {
				t.Fatalf("%s: record %d of %d bytes ruled out at its own number", CipherSuiteName(suite), n*3, n)
			}
			for d := uint64(1); d <= 20; d++ {
				wrong++
				if k.plausible(r, uint64(n*3)+d) {
					passed++
				}
			}
		}
		if passed*100 > wrong*5 {
			t.Errorf("%s: %d of %d wrong numbers pass", CipherSuiteName(suite), passed, wrong)
		}
	}
}

// TestSynthLoss: the capture misses a run of one side's records, the
// KeyUpdate among them in TLS 1.3. The decrypter finds the sequence
// number (and the epoch) again, and every record after the gap opens.
func TestSynthLoss(t *testing.T) {
	sizes := make([]int, 80)
	for i := range sizes {
		sizes[i] = 30 + i*5
	}
	for _, suite := range synthSuites {
		sy := newSynth(t, suite, sizes, 1<<20)
		t.Run(sy.name, func(t *testing.T) {
			// The server's stream: lose its records 10 to 30 of 41 (the
			// KeyUpdate is the 21st in TLS 1.3).
			var stream []byte
			var ops []op
			for _, o := range sy.ops {
				if o.side == Server {
					stream = append(stream, o.data...)
				} else {
					ops = append(ops, o)
				}
			}
			var offs []int
			for i := 0; i+headerLen <= len(stream); i += headerLen + (int(stream[i+3])<<8 | int(stream[i+4])) {
				offs = append(offs, i)
			}
			first := 0
			for first < len(offs) && stream[offs[first]] != byte(TypeApplicationData) {
				first++
			}
			a, b := offs[first+10], offs[first+31]
			ops = append(ops,
				op{kind: 'f', side: Server, data: stream[:a], pkt: 100, t: 100},
				op{kind: 'g', side: Server, n: int64(b - a)},
				op{kind: 'f', side: Server, data: stream[b:], pkt: 101, t: 101})
			var got []byte
			var lost int
			dec := NewDecrypter(sy.log)
			_, c := runOps(ops, &Options{Decrypter: dec, OnData: func(p *Plaintext) {
				if p.From == Server {
					if p.Lost {
						lost++
					}
					got = append(got, p.Data...)
				}
			}})
			h := c.Handshake()
			want := sy.data[Server]
			if h.Server.Undecrypted != 0 || lost != 1 || len(got) >= len(want) || !strings.HasSuffix(string(want), string(got[len(got)-1000:])) {
				t.Errorf("undecrypted %d, lost %d, %d of %d bytes; %+v", h.Server.Undecrypted, lost, len(got), len(want), dec.Stats())
			}
			// Every byte after the gap: what is missing is the lost run.
			if !strings.HasPrefix(string(want), string(got[:100])) || !strings.Contains(string(want), string(got[len(got)-len(want)/3:])) {
				t.Errorf("the data around the gap is not the server's")
			}
		})
	}
}
