package tls

import (
	"strings"
	"testing"

	"github.com/ceiling-dev/ceiling/internal/cpuclock"
)

// benchOps runs ops on a fresh Conn per iteration and reports the stream
// bytes as throughput.
func benchOps(b *testing.B, ops []op, opts *Options) {
	var n int64
	for _, o := range ops {
		n += int64(len(o.data))
	}
	b.SetBytes(n)
	b.ReportAllocs()
	cpu := cpuclock.Used()
	for b.Loop() {
		c := NewConn(opts)
		for _, o := range ops {
			o.apply(c)
		}
	}
	// MB per CPU-second beside the wall-clock MB/s: the machine is shared.
	if s := (cpuclock.Used() - cpu).Seconds(); s > 0 {
		b.ReportMetric(float64(n)*float64(b.N)/s/1e6, "MB/cpu-s")
	}
}

// BenchmarkBulk: the loopback TLS 1.3 capture of 500 SIP requests echoed
// back (the client's in segments of up to 23 kB, the server's 500 records
// of about 180 bytes in as many segments): what a busy SIP-over-TLS trunk
// looks like after the handshake.
func BenchmarkBulk(b *testing.B) {
	conns := readConns(b, capturePath(b, "tls13-aes256gcm-bulk.pcap"), nil)
	benchOps(b, conns[0].ops, nil)
}

// BenchmarkBulkDecrypter: the same with a Decrypter that does nothing, so
// that every record is buffered and handed over: the framing cost a real
// decrypter adds before any cryptography.
func BenchmarkBulkDecrypter(b *testing.B) {
	conns := readConns(b, capturePath(b, "tls13-aes256gcm-bulk.pcap"), nil)
	benchOps(b, conns[0].ops, &Options{Decrypter: passDecrypter{}, OnData: func(*Plaintext) {}})
}

// passDecrypter opens every record as the null cipher would, without the
// test decrypter's bookkeeping.
type passDecrypter struct{}

func (passDecrypter) Open(s *Session, r *Record) (ContentType, []byte, error) {
	if p := r.Payload; is13(s.Version) && len(p) > 0 {
		return TypeApplicationData, p[:len(p)-1], nil
	}
	return r.Type, r.Payload, nil
}

// BenchmarkLarge: 1 MiB each way of full 16 kB records in 1448-byte
// segments, as a file transfer shows it.
func BenchmarkLarge(b *testing.B) {
	ops := tls12()
	for s := Client; s <= Server; s++ {
		var stream []byte
		for len(stream) < 1<<20 {
			stream = append(stream, sealed(TypeApplicationData, 1<<14+24)...)
		}
		for len(stream) > 0 {
			n := min(1448, len(stream))
			ops = append(ops, op{kind: 'f', side: s, data: stream[:n], pkt: int64(len(ops) + 1)})
			stream = stream[n:]
		}
	}
	benchOps(b, ops, nil)
}

// BenchmarkHandshake: one TLS 1.2 handshake from the loopback capture,
// hellos and certificate parsed: the cost per connection of a capture
// with many short ones.
func BenchmarkHandshake(b *testing.B) {
	conns := readConns(b, capturePath(b, "tls12-ecdhe-aes128gcm.pcap"), nil)
	benchOps(b, conns[0].ops, nil)
}

// BenchmarkDecrypt: 1 MiB each way of full 16 kB records in 1448-byte
// segments, protected with each AEAD, through a Conn with a
// KeyLogDecrypter: MB/s of TLS payload decrypted (handshake included,
// which is a few records). "capture" is the loopback TLS 1.3 capture of
// 500 SIP requests echoed back (AES-256-GCM) with its key log: small
// records, where the per-record cost shows.
func BenchmarkDecrypt(b *testing.B) {
	sizes := make([]int, 128)
	for i := range sizes {
		sizes[i] = 1 << 14
	}
	for _, suite := range synthSuites {
		sy := newSynth(b, suite, sizes, 1448)
		b.Run(strings.ReplaceAll(CipherSuiteName(suite), "TLS_", ""), func(b *testing.B) {
			benchOps(b, sy.ops, &Options{Decrypter: NewDecrypter(sy.log), OnData: func(*Plaintext) {}})
		})
	}
	b.Run("capture", func(b *testing.B) {
		conns := readConns(b, capturePath(b, "tls13-aes256gcm-bulk.pcap"), nil)
		benchOps(b, conns[0].ops, &Options{Decrypter: NewDecrypter(readKeys(b, "tls13-aes256gcm-bulk.pcap")), OnData: func(*Plaintext) {}})
	})
}
