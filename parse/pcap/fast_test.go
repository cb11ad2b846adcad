package pcap

import (
	"encoding/binary"
	"fmt"
	"math/rand"
	"reflect"
	"testing"
)

// TestUDP4FastPath checks that the fast path for UDP in IPv4 decodes
// exactly as the layer parser does, on packets whose header fields are
// drawn near every edge the fast path tests: version and header length,
// total length against the bytes there, fragments, protocol, UDP length.
func TestUDP4FastPath(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	fast, slow := newDecoder(), newDecoder()
	slow.slow = true
	taken := 0
	for i := 0; i < 200000; i++ {
		n := rng.Intn(80)
		b := make([]byte, n)
		rng.Read(b)
		if n > 0 && rng.Intn(4) > 0 {
			b[0] = 0x45
		}
		if n > 9 && rng.Intn(4) > 0 {
			b[9] = 17
		}
		if n > 7 && rng.Intn(3) > 0 {
			b[6], b[7] = byte(rng.Intn(2))<<6, 0 // DF or nothing
		}
		if n > 3 && rng.Intn(3) > 0 {
			binary.BigEndian.PutUint16(b[2:4], uint16(n-4+rng.Intn(8)))
		}
		if n > 25 && rng.Intn(3) > 0 {
			binary.BigEndian.PutUint16(b[24:26], uint16(rng.Intn(n)))
		}
		var pf, ps Packet
		var ff, fs fragment
		fragF, errF := fast.ip(etherIPv4, b, &pf, &ff)
		fragS, errS := slow.ip(etherIPv4, b, &ps, &fs)
		if fmt.Sprint(errF) != fmt.Sprint(errS) || fragF != fragS || !reflect.DeepEqual(pf, ps) ||
			!reflect.DeepEqual(fast.decoded, slow.decoded) || fast.proto() != slow.proto() {
			t.Fatalf("% x:\nfast %+v %v %v %v\nslow %+v %v %v %v", b, pf, fragF, errF, fast.decoded, ps, fragS, errS, slow.decoded)
		}
		if fragF || errF != nil {
			continue
		}
		var again Packet
		if fast.udp4(b, &again) {
			taken++
		}
	}
	if taken < 10000 {
		t.Fatalf("the fast path took only %d packets", taken)
	}
}

// TestTCP4FastPath is TestUDP4FastPath for TCP: the fields drawn near
// their edges are also the TCP data offset (options, a header longer than
// the segment) and the total length against the header's end.
func TestTCP4FastPath(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	fast, slow := newDecoder(), newDecoder()
	slow.slow = true
	taken := 0
	for i := 0; i < 200000; i++ {
		n := rng.Intn(120)
		b := make([]byte, n)
		rng.Read(b)
		if n > 0 && rng.Intn(4) > 0 {
			b[0] = 0x45
		}
		if n > 9 && rng.Intn(4) > 0 {
			b[9] = 6
		}
		if n > 7 && rng.Intn(3) > 0 {
			b[6], b[7] = byte(rng.Intn(2))<<6, 0 // DF or nothing
		}
		if n > 3 && rng.Intn(3) > 0 {
			binary.BigEndian.PutUint16(b[2:4], uint16(n-8+rng.Intn(12)))
		}
		if n > 32 && rng.Intn(3) > 0 {
			b[32] = byte(rng.Intn(16))<<4 | b[32]&0x0f
		}
		var pf, ps Packet
		var ff, fs fragment
		fragF, errF := fast.ip(etherIPv4, b, &pf, &ff)
		fragS, errS := slow.ip(etherIPv4, b, &ps, &fs)
		if fmt.Sprint(errF) != fmt.Sprint(errS) || fragF != fragS || !reflect.DeepEqual(pf, ps) ||
			!reflect.DeepEqual(fast.decoded, slow.decoded) || fast.proto() != slow.proto() {
			t.Fatalf("% x:\nfast %+v %v %v %v\nslow %+v %v %v %v", b, pf, fragF, errF, fast.decoded, ps, fragS, errS, slow.decoded)
		}
		if fragF || errF != nil {
			continue
		}
		var again Packet
		if fast.tcp4(b, &again) {
			taken++
		}
	}
	if taken < 10000 {
		t.Fatalf("the fast path took only %d packets", taken)
	}
}
