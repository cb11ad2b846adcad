package jtl

import (
	"net"
	"strings"
)

// threadHost finds the load generator in a thread name written in
// distributed mode. A remote engine names its threads
// "<host>-<group> <groupNumber>-<threadNumber>", where host is the entry of
// remote_hosts that reached it (jmeter-server-1, 172.28.5.20, or with a
// :port); JMeter 2.x engines used "_" after a dotted host name
// ("java-app-1.ee.dom_Thread group 1 1-8").
//
// Nothing marks the prefix, and a group may be named "TG-Checkout", so a
// prefix counts only when it looks like a host: an IP address, a dotted
// name, a :port, a name ending in -<digits> (jmeter-server-1, ip-10-0-0-5),
// or a 12-hex-digit container id. The longest such prefix wins, and the
// remainder must still read as a thread name ("<group> N-M").
func threadHost(thread string) string {
	if !isStandardThreadName(thread) {
		return ""
	}
	best := ""
	for i := 0; i < len(thread); i++ {
		c := thread[i]
		if c == ' ' {
			break // a host has no space; the group name may
		}
		if c != '-' && c != '_' {
			continue
		}
		prefix, rest := thread[:i], thread[i+1:]
		if c == '_' && !strings.Contains(prefix, ".") {
			continue
		}
		if !isStandardThreadName(rest) || !looksLikeHost(prefix) {
			continue
		}
		best = prefix
	}
	return best
}

// isStandardThreadName reports whether s ends in " N-M", as every thread of
// a standard thread group does.
func isStandardThreadName(s string) bool {
	i := len(s)
	j := i
	for j > 0 && isDigit(s[j-1]) {
		j--
	}
	if j == i || j == 0 || s[j-1] != '-' {
		return false
	}
	k := j - 1
	l := k
	for l > 0 && isDigit(s[l-1]) {
		l--
	}
	return l < k && l > 1 && s[l-1] == ' '
}

func looksLikeHost(p string) bool {
	if p == "" || len(p) > 253 {
		return false
	}
	host := p
	hasPort := false
	if h, port, err := net.SplitHostPort(p); err == nil && port != "" && allDigits(port) {
		host, hasPort = h, true
	}
	if net.ParseIP(strings.Trim(host, "[]")) != nil {
		return true
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '-' || c == '.') {
			return false
		}
	}
	if host == "" || host[0] == '-' || host[0] == '.' {
		return false
	}
	if hasPort || strings.Contains(host, ".") {
		return true
	}
	if i := strings.LastIndexByte(host, '-'); i > 0 && i < len(host)-1 && allDigits(host[i+1:]) {
		return true
	}
	if len(host) == 12 && isHex(host) && !allDigits(host) {
		return true
	}
	return false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isDigit(c) || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
