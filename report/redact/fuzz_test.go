package redact

import (
	"errors"
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// FuzzPacket: Packet never panics (its recover would count an "internal
// error"), a frame it rewrites decodes again, and with SameLength keeps
// its length. The seeds (testdata/fuzz/FuzzPacket) are frames of the
// demo and the corpus: SIP over UDP, TCP, SCTP, WebSocket, IPv6
// fragments, tunnels, each link type.
func FuzzPacket(f *testing.F) {
	f.Add([]byte{0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 1, 2, 3, 10, 1, 2, 4}, uint16(layers.LinkTypeRaw))
	f.Fuzz(func(t *testing.T, data []byte, link uint16) {
		lt := layers.LinkType(link)
		for _, same := range []bool{false, true} {
			r := New(Options{Secret: testSecret, SameLength: same})
			out, err := r.Packet(data, lt)
			if st := r.Stats(); st.DroppedBy["internal error"] > 0 {
				t.Fatalf("panic inside Packet (same length %v)", same)
			}
			if err != nil {
				if !errors.Is(err, ErrDropped) || out != nil {
					t.Fatalf("error %v with %d bytes", err, len(out))
				}
				if w, err := r.Rewrite(data, lt); err != nil || len(w) != len(data) {
					t.Fatalf("Rewrite: %v, %d bytes of %d", err, len(w), len(data))
				}
				continue
			}
			if same && len(out) != len(data) {
				t.Fatalf("SameLength: %d bytes became %d", len(data), len(out))
			}
			// What came out decodes as what went in did.
			r2 := New(Options{Secret: testSecret, SameLength: same})
			if _, err := r2.Packet(out, lt); err != nil {
				t.Fatalf("the rewritten frame does not decode: %v", err)
			}
		}
	})
}
