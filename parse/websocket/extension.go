package websocket

import (
	"strconv"
	"strings"
)

// Deflate holds the permessage-deflate parameters a handshake negotiated
// (RFC 7692 §7.1).
type Deflate struct {
	// No context takeover: the sender resets its compressor after each
	// message, so each message inflates alone. Otherwise a message may
	// refer back to the previous ones (up to 32 KiB).
	ServerNoContextTakeover bool
	ClientNoContextTakeover bool
	// Window bits the compressor may use, 8 to 15; 0 when not given
	// (15). Inflating does not need them: a 32 KiB window covers all.
	ServerMaxWindowBits int
	ClientMaxWindowBits int
}

// ParseExtensions reads a Sec-WebSocket-Extensions value. It returns the
// permessage-deflate parameters when that extension is in it (the first
// offer when a request lists several), and the names of all extensions.
// A server's answer names what was negotiated; a client's lists offers.
func ParseExtensions(v string) (deflate *Deflate, names []string) {
	for _, ext := range splitQuoted(v, ',') {
		params := splitQuoted(ext, ';')
		name := strings.ToLower(strings.TrimSpace(params[0]))
		if name == "" {
			continue
		}
		names = append(names, name)
		if name != "permessage-deflate" || deflate != nil {
			continue
		}
		d := &Deflate{}
		for _, p := range params[1:] {
			k, val, _ := strings.Cut(p, "=")
			k = strings.ToLower(strings.TrimSpace(k))
			val = strings.Trim(strings.TrimSpace(val), `"`)
			bits, _ := strconv.Atoi(val)
			switch k {
			case "server_no_context_takeover":
				d.ServerNoContextTakeover = true
			case "client_no_context_takeover":
				d.ClientNoContextTakeover = true
			case "server_max_window_bits":
				d.ServerMaxWindowBits = bits
			case "client_max_window_bits":
				d.ClientMaxWindowBits = bits
			}
		}
		deflate = d
	}
	return deflate, names
}

// splitQuoted splits s at sep outside double quotes (RFC 9110
// quoted-string, which extension parameters may use).
func splitQuoted(s string, sep byte) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			quoted = !quoted
		case c == '\\' && quoted:
			i++
		case c == sep && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
