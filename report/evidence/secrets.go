package evidence

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/ceiling-dev/ceiling/parse/pcap"
	"github.com/ceiling-dev/ceiling/parse/tls/keylog"
)

// The secrets of the chosen TLS connections only, and no others, go into
// the evidence as a pcapng Decryption Secrets Block, so that Wireshark
// opens the SIP or WebSocket inside them without the run's key log, which
// would open every connection of the test.

// noteHello remembers the client random of a chosen connection's
// ClientHello: a TLS handshake record (22, version 3.x) holding a
// ClientHello (type 1); the random follows the record header (5 bytes),
// the handshake header (4) and the legacy version (2).
func (x *extraction) noteHello(p *pcap.Packet) {
	b := p.Payload
	if len(b) < 43 || b[0] != 22 || b[1] != 3 || b[5] != 1 {
		return
	}
	var r [32]byte
	copy(r[:], b[11:43])
	if x.randoms == nil {
		x.randoms = map[[32]byte]bool{}
	}
	x.randoms[r] = true
}

// secretsText is the key log lines of the chosen connections.
func (x *extraction) secretsText(log *keylog.Log) []byte {
	rs := make([][32]byte, 0, len(x.randoms))
	for r := range x.randoms {
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool { return bytes.Compare(rs[i][:], rs[j][:]) < 0 })
	var b bytes.Buffer
	for _, r := range rs {
		s, ok := log.Lookup(r)
		if !ok {
			continue
		}
		for l := keylog.MasterSecret; l <= keylog.EarlyExporterSecret; l++ {
			for _, v := range s.All(l) {
				fmt.Fprintf(&b, "%s %s %s\n", l, hex.EncodeToString(r[:]), hex.EncodeToString(v))
			}
		}
	}
	return b.Bytes()
}

// withSecrets copies the pcapng in tmp to w with a Decryption Secrets
// Block holding text right after its section header, before any packet
// it opens (Wireshark reads the secrets as it meets them).
func withSecrets(w io.Writer, tmp *os.File, text []byte) error {
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	head := make([]byte, 12)
	if _, err := io.ReadFull(tmp, head); err != nil {
		return err
	}
	var order binary.AppendByteOrder = binary.LittleEndian
	shbLen := int64(binary.LittleEndian.Uint32(head[4:]))
	if binary.BigEndian.Uint32(head[8:]) == 0x1a2b3c4d {
		order = binary.BigEndian
		shbLen = int64(binary.BigEndian.Uint32(head[4:]))
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if _, err := io.CopyN(w, tmp, shbLen); err != nil {
		return err
	}
	pad := (4 - len(text)%4) % 4
	total := 4 + 4 + 4 + 4 + len(text) + pad + 4
	blk := make([]byte, 0, total)
	blk = order.AppendUint32(blk, 0x0000000a) // Decryption Secrets Block
	blk = order.AppendUint32(blk, uint32(total))
	blk = order.AppendUint32(blk, keylog.SecretsTLS)
	blk = order.AppendUint32(blk, uint32(len(text)))
	blk = append(blk, text...)
	blk = append(blk, make([]byte, pad)...)
	blk = order.AppendUint32(blk, uint32(total))
	if _, err := w.Write(blk); err != nil {
		return err
	}
	_, err := io.Copy(w, tmp)
	return err
}
