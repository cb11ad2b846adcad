package pcap

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecretsBlock reads a capture made with editcap --inject-secrets:
// the one block comes out whole, before the packets, with its offset in
// the file, and the packets are the same as when blocks are skipped.
func TestSecretsBlock(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "secrets", "dsb-tls12-tls13.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "secrets", "secrets.keys"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	pkts, st, ps, err := readAll(t, data, Options{OnSecrets: func(s *Secrets) {
		if s.Type != 0x544c534b || !bytes.Equal(s.Data, want) {
			t.Errorf("secrets type %#x, %d bytes:\n%s", s.Type, len(s.Data), s.Data)
		}
		if !bytes.Equal(data[s.Offset:s.Offset+int64(len(s.Data))], s.Data) {
			t.Errorf("offset %d is not where the secrets are", s.Offset)
		}
		got = append(got, fmt.Sprintf("%#x %d", s.Type, len(s.Data)))
	}})
	if err != nil || ps.Count != 0 {
		t.Fatal(err, ps.First)
	}
	plain, st2, _, _ := readAll(t, data, Options{})
	if len(got) != 1 || !slicesEqual(pkts, plain) || fmt.Sprint(st) != fmt.Sprint(st2) || len(pkts) != 40 {
		t.Errorf("blocks %v, %d packets (%d without the callback)", got, len(pkts), len(plain))
	}
}

// dsb builds the body of a secrets block.
func dsb(typ uint32, secrets []byte, claim int) []byte {
	body := binary.LittleEndian.AppendUint32(nil, typ)
	body = binary.LittleEndian.AppendUint32(body, uint32(claim))
	return append(body, secrets...)
}

// TestSecretsBlocks: blocks of several types, one larger than the
// reader's buffer, one whose length is wrong, one too short, between
// packets; and a file cut inside one.
func TestSecretsBlocks(t *testing.T) {
	pkt := ether(0x0800, ipv4("10.0.0.1", "10.0.0.2", 17, 1, 0, false, udpSeg(5060, 5060, []byte("x"))))
	big := bytes.Repeat([]byte("CLIENT_RANDOM 00 00\n"), 10000)
	f := newNg().iface(1, 0).
		block(blockDSB, dsb(0x544c534b, []byte("hello\n"), 6)).
		packet(0, 1, pkt).
		block(blockDSB, dsb(0x57474b4c, []byte("wg"), 2)).
		block(blockDSB, dsb(0x544c534b, big, len(big))).
		block(blockDSB, dsb(0x544c534b, []byte("abcd"), 9)).
		block(blockDSB, nil).
		packet(0, 2, pkt)
	var got []string
	on := func(s *Secrets) {
		got = append(got, fmt.Sprintf("%#x %d@%d %.5s", s.Type, len(s.Data), s.Offset, s.Data))
	}
	pkts, _, ps, err := readAll(t, f.b, Options{OnSecrets: on})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"0x544c534b 6@64 hello", "0x57474b4c 2@168 wg", "0x544c534b 200000@192 CLIEN"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") || len(pkts) != 2 {
		t.Errorf("got %q, want %q; %d packets", got, want, len(pkts))
	}
	var probs []string
	for _, p := range ps.First {
		probs = append(probs, p.Error())
	}
	wantProbs := []string{
		"mem (offset 200196): decryption secrets block claims 9 bytes of secrets in a block of 24: skipped",
		"mem (offset 200220): decryption secrets block of 12 bytes, too short for its header: skipped",
	}
	if strings.Join(probs, "\n") != strings.Join(wantProbs, "\n") {
		t.Errorf("problems:\n%s", strings.Join(probs, "\n"))
	}
	// Cut inside the large block, and inside the first.
	for n, want := range map[int]int{150 + 50000: 2, 70: 0} {
		got = nil
		_, st, ps, err := readAll(t, f.b[:n], Options{OnSecrets: on})
		if err != nil || !st.Truncated || ps.Count != 1 || len(got) != want {
			t.Errorf("cut at %d: %v %+v %v %q", n, err, st, ps.First, got)
		}
	}
}

// TestSecretsCutEverywhere cuts the editcap capture at every byte up to
// the end of its secrets block and a little after: the reader reports
// the cut, hands over the block only when it is whole, and never fails.
func TestSecretsCutEverywhere(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "secrets", "dsb-tls12-tls13.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	var start, end int64
	readAll(t, data, Options{OnSecrets: func(s *Secrets) { start, end = s.Offset-16, s.Offset+int64(len(s.Data)) }})
	for n := 0; n < int(end)+200; n++ {
		var blocks int
		_, _, _, err := readAll(t, data[:n], Options{OnSecrets: func(s *Secrets) {
			blocks++
			if s.Offset+int64(len(s.Data)) > int64(n) {
				t.Fatalf("cut at %d: a block past the end", n)
			}
		}})
		if int64(n) >= start && err != nil {
			t.Fatalf("cut at %d: %v", n, err)
		}
		if blocks > 1 || (blocks == 1) != (int64(n) >= end+4) {
			t.Fatalf("cut at %d: %d blocks", n, blocks)
		}
	}
}
