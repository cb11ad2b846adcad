package capture

import "github.com/ceiling-dev/ceiling/parse/sip"

// Taking back the memory of SIP over UDP. An event of a datagram carries
// a Message whose strings point into the datagram's copy (see udpsip.go);
// once the caller is done with the event, both may hold the next
// datagrams. Being done means that nothing the caller keeps points into
// them: correlate keeps only the method (a constant or a copy, see
// sip.Message) and clones of the rest, the Call-ID's among them.
//
// The Event does not name its job once settled, only its Message, which
// lies inside the job. Rather than work out the job from where the Message
// lies, each file notes its jobs as their events go out (settled), in the
// order they go out: a caller that hands events back in the order it got
// them (the pipeline does, a batch at a time) finds each one's job at the
// front. A Message is taken back only when it is exactly the one of the
// job at hand, so an event handed back out of order, or one that is not a
// datagram's, frees nothing; the jobs it passes over are left to the
// collector, as are those of events never handed back.

// PoisonEnv names the environment variable that, when set to anything,
// makes the memory handed back through Recycle unreadable before it is
// used again: datagram copies are filled with 0xa5, Messages with a marker
// text. A caller that keeps a reference into an event past Recycle then
// reads garbage, which changes the report, so the golden tests catch it
// (pipeline's tests set it for all of theirs). It is read when a file's
// first SIP datagram is seen.
const PoisonEnv = "CEILING_POISON_RECYCLED"

// Recycle tells the Source that the caller is done with evs, events Next
// returned: nothing it keeps points into them, or into what they point
// to. The memory of their SIP messages (over UDP here, over TCP and
// WebSocket in stream.go) and of their HTTP heads (stream.go) is then used
// again for later ones. It must be called on the goroutine that calls Next
// (or with the two serialised), once per event at most, best in the order
// Next gave the events; events not handed back are simply left to the
// collector. It is only worth calling for batches of events: taking them
// back starts at the first call.
func (s *Source) Recycle(evs []Event) {
	for _, f := range s.files {
		f.followSettled()
	}
	// One pass over the batch: an event is three cache lines.
	for i := range evs {
		ev := &evs[i]
		switch ev.Kind {
		case KindSIP:
			if ev.SIP == nil {
				continue
			}
		case KindRequest:
			if ev.Request == nil {
				continue
			}
		case KindResponse:
			if ev.Response == nil {
				continue
			}
		default:
			continue
		}
		f := s.fileOf(ev.File)
		if f == nil {
			continue
		}
		switch {
		case ev.Kind == KindRequest:
			// The next heads of the file's connections are read into
			// it (about 120 MB less allocated per GB of signalling with
			// WebSocket upgrades); the blocks refuse one whose body may
			// still be written.
			f.httpBlocks.RecycleRequest(ev.Request)
		case ev.Kind == KindResponse:
			f.httpBlocks.RecycleResponse(ev.Response)
		case ev.Transport == "udp":
			// Only a datagram's event can carry a datagram job's
			// message; the test on Transport saves looking for the
			// others, and is not what makes taking one back safe (see
			// takeBack).
			if u := f.udpSIP; u != nil {
				if j := u.back.takeBack(ev.SIP); j != nil {
					u.putJob(j)
				}
			}
		default:
			// Over TCP or WebSocket (stream.go).
			ss := f.sipStreams
			if j := ss.back.takeBack(ev.SIP); j != nil {
				ss.put(j)
			}
		}
	}
}

// followSettled starts following the file's settled jobs, for Recycle.
func (f *fileSource) followSettled() {
	if ss := f.streamSIP(); ss.back == nil {
		ss.back = new(settled)
	}
	if u := f.udpSIP; u != nil && u.back == nil {
		u.back = new(settled)
	}
}

// fileOf returns the file whose index is file, nil when there is none.
func (s *Source) fileOf(file int) *fileSource {
	if len(s.files) == 1 {
		return s.files[0]
	}
	for _, f := range s.files {
		if f.index == file {
			return f
		}
	}
	return nil
}

// settledMax bounds the jobs followed: a few times the events the
// pipeline has out at once (six batches of 512), so that a caller that
// hands them back in time finds them all, and one that does not pins at
// most this many. A power of two: the ring's positions wrap with a mask.
const settledMax = 8192

// settled is a ring of the jobs whose messages went out, oldest first.
type settled struct {
	ring       [settledMax]*sipJob
	head, size int
}

// push notes a job whose message went out; when the ring is full the
// oldest is forgotten (left to the collector).
func (q *settled) push(j *sipJob) {
	if q.size == settledMax {
		q.ring[q.head] = nil
		q.head = (q.head + 1) & (settledMax - 1)
		q.size--
	}
	q.ring[(q.head+q.size)&(settledMax-1)] = j
	q.size++
}

// takeBack returns the job whose message is m, and forgets it and the
// jobs that went out before it: in the order the caller hands events
// back, those will not come. It returns nil, forgetting nothing, when no
// job followed has m: such an event is not ours, or came back out of
// order, and nothing of it is used again.
func (q *settled) takeBack(m *sip.Message) *sipJob {
	for k := 0; k < q.size; k++ {
		i := (q.head + k) & (settledMax - 1)
		j := q.ring[i]
		if j.m != m {
			continue
		}
		for d := 0; d <= k; d++ {
			q.ring[(q.head+d)&(settledMax-1)] = nil
		}
		q.head = (i + 1) & (settledMax - 1)
		q.size -= k + 1
		return j
	}
	return nil
}

// poisonText marks the strings of a Message that came back: any report
// that shows it read a message after Recycle.
const poisonText = "\x00RECYCLED\x00"

var poisonBody = []byte(poisonText)

func poisonBytes(b []byte) {
	for i := range b {
		b[i] = 0xa5
	}
}

// poisonMessage makes m, which came back, wrong in every field, and the
// headers of its Correlation too, which the next parse reuses.
func poisonMessage(m *sip.Message) {
	const s = poisonText
	corr := m.Correlation
	for i := range corr[:cap(corr)] {
		corr[:cap(corr)][i] = sip.Header{Name: s, Value: s}
	}
	*m = sip.Message{
		Request: !m.Request, CSeq: 0xa5a5a5a5, Method: s, RequestURI: s, StatusCode: -165, Reason: s,
		CallID: s, CSeqMethod: s, Via: sip.Via{Transport: s, SentBy: s, Branch: s, Received: s, RPort: s},
		ViaCount: -165, From: s, To: s, FromTag: s, ToTag: s, Contact: s, PAssertedIdentity: s,
		ReasonHeader: s, RetryAfter: -165, Warning: s, Server: s, UserAgent: s, ContentType: s,
		ContentLength: -165, Body: poisonBody, Correlation: corr, Headers: -165, Start: -165, Skipped: -165,
	}
}
