package sip_test

import (
	"errors"
	"fmt"

	"github.com/ceiling-dev/ceiling/parse/sip"
)

// A TCP framer: append each segment to the connection's buffer, take
// messages off the front while there are whole ones, keep the rest.
func ExampleParser_Parse() {
	segments := []string{
		"\r\n\r\nSIP/2.0 100 Trying\r\nCall-ID: a@h\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\nSIP/2.0 503 Serv",
		"ice Unavailable\r\nCall-ID: a@h\r\nCSeq: 1 INVITE\r\nRetry-After: 30\r\n",
		"Reason: Q.850;cause=34\r\nContent-Length: 0\r\n\r\n",
	}
	var p sip.Parser
	var buf []byte
	for _, seg := range segments {
		buf = append(buf, seg...)
		for len(buf) > 0 {
			m, n, err := p.Parse(buf, nil)
			if errors.Is(err, sip.ErrIncomplete) {
				break // wait for the next segment
			}
			buf = buf[n:]
			if m == nil {
				fmt.Println("skipped:", err)
				continue
			}
			q850, _ := m.Cause("Q.850")
			fmt.Println(m.StatusCode, m.Reason, m.CallID, m.CSeq, m.CSeqMethod, m.RetryAfter, q850.Code, err)
		}
	}
	// Output:
	// 100 Trying a@h 1 INVITE -1 -1 <nil>
	// 503 Service Unavailable a@h 1 INVITE 30 34 <nil>
}

// Recognising SIP in UDP payloads on any port.
func ExampleLooks() {
	for _, payload := range []string{
		"INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n",
		"\r\n\r\n",
		"\x80\x08\x12\x34 RTP",
	} {
		b := []byte(payload)
		fmt.Println(sip.Looks(b), sip.KeepAlive(b))
	}
	// Output:
	// true false
	// false true
	// false false
}
