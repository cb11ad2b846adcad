package http

import "testing"

// TestHasToken covers the lists hasToken reads whole at once and those
// it splits.
func TestHasToken(t *testing.T) {
	for _, c := range []struct {
		v, tok string
		want   bool
	}{
		{"Upgrade", "upgrade", true},
		{"websocket", "websocket", true},
		{"WebSocket", "websocket", true},
		{"upgrades", "upgrade", false},
		{"", "upgrade", false},
		{"keep-alive, Upgrade", "upgrade", true},
		{"keep-alive,\tupgrade ;q=1", "upgrade", true},
		{"keep-alive", "upgrade", false},
		{"web\u017focket", "websocket", true},
		{"h2c, websocket", "websocket", true},
	} {
		if got := hasToken(c.v, c.tok); got != c.want {
			t.Errorf("hasToken(%q, %q) = %v, want %v", c.v, c.tok, got, c.want)
		}
	}
}

// TestUpgradeTokens checks the shortcuts before hasToken.
func TestUpgradeTokens(t *testing.T) {
	for _, c := range []struct {
		v                string
		upgrade, wsocket bool
	}{
		{"Upgrade", true, false},
		{"upgrade", true, false},
		{"keep-alive, Upgrade", true, false},
		{"Upgradex", false, false},
		{"websocket", false, true},
		{"WebSocket", false, true},
		{"h2c, websocket", false, true},
		{"", false, false},
	} {
		if got := hasUpgrade(c.v); got != c.upgrade {
			t.Errorf("hasUpgrade(%q) = %v, want %v", c.v, got, c.upgrade)
		}
		if got := hasWebSocket(c.v); got != c.wsocket {
			t.Errorf("hasWebSocket(%q) = %v, want %v", c.v, got, c.wsocket)
		}
	}
}

// TestIs checks the compare with the usual spelling, and the first-byte
// test before lowerEq for the others.
func TestIs(t *testing.T) {
	for _, c := range []struct {
		name, lower, canon string
		want               bool
	}{
		{"Host", "host", "Host", true},
		{"HOST", "host", "Host", true},
		{"host", "host", "Host", true},
		{"Gost", "host", "Host", false},
		{"(ost", "host", "Host", false},
		{"Date", "host", "Host", false},
		{"Sec-WebSocket-Key", "sec-websocket-key", "Sec-WebSocket-Key", true},
		{"Sec-Websocket-Key", "sec-websocket-key", "Sec-WebSocket-Key", true},
		{"Sec-WebSocket-Kex", "sec-websocket-key", "Sec-WebSocket-Key", false},
		{"Transfer-Encoding", "sec-websocket-key", "Sec-WebSocket-Key", false},
	} {
		if got := is(c.name, c.lower, c.canon); got != c.want {
			t.Errorf("is(%q, %q, %q) = %v, want %v", c.name, c.lower, c.canon, got, c.want)
		}
	}
}

// TestNameBeforeColon: whitespace between a name and its colon is a bad
// line, and the name is kept without it.
func TestNameBeforeColon(t *testing.T) {
	for _, c := range []struct {
		line, name string
		bad        int
	}{
		{"Host: h\r\n", "Host", 0},
		{"Host : h\r\n", "Host", 1},
		{"Host\t: h\r\n", "Host", 1},
		{"Host \t: h\r\n", "Host", 1},
	} {
		s := "GET / HTTP/1.1\r\n" + c.line
		f := fields{contentLength: -1, headers: make([]Header, 0, 1)}
		readFields(&f, s, []int{16, len(s)}, &defaultTraceNames)
		if len(f.headers) != 1 || f.headers[0].Name != c.name || f.headers[0].Value != "h" || f.badLines != c.bad {
			t.Errorf("%q: headers %q, %d bad lines; want %q: h, %d", c.line, f.headers, f.badLines, c.name, c.bad)
		}
	}
}

// TestUpgraded: a side is upgraded for good once its parser hands every
// byte on, and no longer once it is closed.
func TestUpgraded(t *testing.T) {
	cp, sp := NewRequestParser(nil), NewResponseParser(nil)
	defer cp.Release()
	defer sp.Release()
	sp.ExpectMethod("GET")
	steps := []struct {
		name   string
		do     func()
		cl, sv bool
	}{
		{"nothing yet", func() {}, false, false},
		{"request", func() { cp.Feed([]byte(wsReq), 0) }, false, false},
		{"request held", func() { cp.Feed([]byte(wsFrame), 0) }, false, false},
		{"101", func() {
			sp.Feed([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"), 0)
		}, false, true},
		{"answered", func() { cp.Answer(101, 0) }, true, true},
		{"closed", func() { cp.Close(0); sp.Close(0) }, false, false},
	}
	for _, s := range steps {
		s.do()
		if cp.Upgraded() != s.cl || sp.Upgraded() != s.sv {
			t.Errorf("%s: upgraded %v %v, want %v %v", s.name, cp.Upgraded(), sp.Upgraded(), s.cl, s.sv)
		}
	}
}

// TestFieldValueOWS covers the value readFields takes at once (one space
// after the colon, none at the end) and those it trims.
func TestFieldValueOWS(t *testing.T) {
	for _, c := range []struct{ line, value string }{
		{"Host: h\r\n", "h"},
		{"Host: a b\r\n", "a b"},
		{"Host:h\r\n", "h"},
		{"Host:\r\n", ""},
		{"Host: \r\n", ""},
		{"Host:  h\r\n", "h"},
		{"Host: \th\r\n", "h"},
		{"Host: h \r\n", "h"},
		{"Host: h\t\r\n", "h"},
		{"Host:\th\r\n", "h"},
	} {
		s := "GET / HTTP/1.1\r\n" + c.line
		f := fields{contentLength: -1, headers: make([]Header, 0, 1)}
		readFields(&f, s, []int{16, len(s)}, &defaultTraceNames)
		if len(f.headers) != 1 || f.headers[0].Value != c.value || f.host != c.value {
			t.Errorf("%q: headers %q, host %q; want value %q", c.line, f.headers, f.host, c.value)
		}
	}
}
