package pcap

import (
	"fmt"
	"io"
)

// A pcapng Decryption Secrets Block (type 0x0000000A) carries the keys of
// the traffic in the file: `editcap --inject-secrets tls,keys.txt` puts a
// TLS key log in one, and Wireshark decrypts with it unasked. The reader
// hands each to Options.OnSecrets, before the packets that follow it in
// the file, and skips them otherwise.

// blockDSB is the Decryption Secrets Block's type.
const blockDSB = 0x0000000a

// MaxSecretsBlock bounds the block a reader hands over: a key log of a
// hundred thousand TLS 1.3 connections fits; a longer block is reported
// and skipped rather than buffered.
const MaxSecretsBlock = 64 << 20

// Secrets is one Decryption Secrets Block.
type Secrets struct {
	// Type says what Data holds: 0x544c534b ("TLSK") an NSS key log,
	// 0x57474b4c ("WGKL") WireGuard keys, 0x5353484b ("SSHK") SSH keys, ….
	Type uint32
	// Data is the secrets, without the block's padding. It belongs to the
	// Reader and is valid only during the OnSecrets call.
	Data []byte
	// Offset is where Data begins in the (decompressed) file, to place
	// problems found in it.
	Offset int64
}

// secrets reads the secrets block at off, of blen bytes, and hands it to
// OnSecrets. A block that does not hold together is reported and passed
// over; the error is only that of a file that ends inside it.
func (r *Reader) secrets(off int64, blen int64) error {
	if blen > MaxSecretsBlock {
		r.problem("bad pcapng block", 0, off, fmt.Sprintf("decryption secrets block of %d bytes, over the %d read: skipped", blen, MaxSecretsBlock))
		return r.skip(off, blen)
	}
	var b []byte
	if blen <= bufSize {
		b, _ = r.br.Peek(int(blen))
		if int64(len(b)) < blen {
			return r.skip(off, blen) // reports the cut
		}
	} else {
		b = make([]byte, blen)
		if _, err := io.ReadFull(r.br, b); err != nil {
			if r.src.err != nil {
				return fmt.Errorf("%s: %w", r.name, r.src.err)
			}
			return r.cut(off, "the file ends inside a block")
		}
	}
	// Block type and length, secrets type and length, the secrets padded
	// to 4 bytes, options, the length again.
	if blen >= 20 {
		typ, n := r.u32(b[8:12]), int64(r.u32(b[12:16]))
		if n <= blen-20 {
			r.onSecrets(&Secrets{Type: typ, Data: b[16 : 16+n : 16+n], Offset: off + 16})
		} else {
			r.problem("bad pcapng block", 0, off, fmt.Sprintf("decryption secrets block claims %d bytes of secrets in a block of %d: skipped", n, blen))
		}
	} else {
		r.problem("bad pcapng block", 0, off, fmt.Sprintf("decryption secrets block of %d bytes, too short for its header: skipped", blen))
	}
	if blen <= bufSize {
		r.br.Discard(int(blen))
	}
	return nil
}
