package correlate

import (
	"fmt"
	"math/rand"
	"net/netip"
	"reflect"
	"testing"
)

// TestPercentilesInGroups: with the response times over budget, read
// again a group of levels at a time, every level's percentiles are what
// they are when all are held at once.
func TestPercentilesInGroups(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	edge := netip.MustParseAddrPort("10.0.0.1:5060")
	var list []Attempt
	for i := 0; i < 5000; i++ {
		a := Attempt{Layer: LayerSIP, Time: int64(i) * 1e6, Concurrency: int32(1 + rng.Intn(60)), Edge: edge, Outcome: Answered, Status: "200"}
		if rng.Intn(7) == 0 {
			a.Layer = LayerTCP
		}
		switch rng.Intn(10) {
		case 0:
			a.Outcome, a.Failed, a.Status = Rejected, true, "503"
			a.Answered = a.Time + int64(rng.Intn(1e6))
		case 1:
			a.Outcome = Unanswered
		default:
			a.Answered = a.Time + int64(rng.Intn(5e8))
		}
		list = append(list, a)
	}
	want := layerResults(AttemptsOf(list))
	defer func(b int) { rtBudget = b }(rtBudget)
	for _, b := range []int{1, 7, 100, 4000} {
		rtBudget = b
		got := layerResults(AttemptsOf(list))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("budget %d: the layers differ from those with every time held", b)
		}
	}
	if len(want) != 2 || len(want[0].Levels) < 50 || want[0].Levels[0].P50 < 0 {
		t.Fatalf("the test's attempts did not make the levels it means to check: %+v", want)
	}
}

// TestLayerCodes: each layer's Codes count every status as given, with
// more statuses than layerAcc's slots and statuses that share a slot
// (same length and ends) taking turns in it.
func TestLayerCodes(t *testing.T) {
	rng := rand.New(rand.NewSource(6))
	statuses := []string{"", "200", "503", "timeout", "a", "b", "ab", "ba", "aXb", "aYb"}
	for i := range 100 {
		statuses = append(statuses, fmt.Sprintf("4%02d", i), fmt.Sprintf("Non HTTP response code: e%d", i))
	}
	want := map[Layer]map[string]int64{}
	var list []Attempt
	for i := range 20000 {
		a := Attempt{Layer: []Layer{LayerSIP, LayerTCP, LayerHTTP}[rng.Intn(3)], Time: int64(i) * 1e6, Outcome: Answered}
		a.Status = statuses[rng.Intn(len(statuses))]
		if rng.Intn(3) == 0 {
			a.Status = statuses[rng.Intn(10)]
		}
		// A copy of its own: the slots must compare bytes, not addresses.
		a.Status = string([]byte(a.Status))
		if want[a.Layer] == nil {
			want[a.Layer] = map[string]int64{}
		}
		if a.Status != "" {
			want[a.Layer][a.Status]++
		}
		list = append(list, a)
	}
	lrs := layerResults(AttemptsOf(list))
	if len(lrs) != 3 {
		t.Fatalf("%d layers, want 3", len(lrs))
	}
	for _, lr := range lrs {
		if !reflect.DeepEqual(lr.Codes, want[lr.Layer]) {
			t.Errorf("%s: codes %v, want %v", lr.Layer, lr.Codes, want[lr.Layer])
		}
	}
}

// TestLayerEdges: each layer's Edges count its attempts and failures by
// edge as a plain tally does, with the edges taking turns and runs of
// one edge, as layerAcc's look at the last edge meets them.
func TestLayerEdges(t *testing.T) {
	edges := []netip.AddrPort{
		netip.MustParseAddrPort("10.0.0.1:5060"),
		netip.MustParseAddrPort("10.0.0.1:5061"),
		netip.MustParseAddrPort("10.0.0.2:5060"),
		netip.MustParseAddrPort("[fd00::1]:5060"),
	}
	orders := []struct {
		name string
		pick func(i int) int
	}{
		{"one edge", func(int) int { return 0 }},
		{"taking turns", func(i int) int { return i % len(edges) }},
		{"runs", func(i int) int { return (i / 5) % len(edges) }},
		{"two in turn, then another", func(i int) int { return min(i%2+i/40, len(edges)-1) }},
	}
	for _, o := range orders {
		type tally struct{ attempts, failures int64 }
		want := map[Layer]map[netip.AddrPort]tally{}
		var list []Attempt
		for i := range 120 {
			a := Attempt{Layer: []Layer{LayerSIP, LayerTCP}[i/3%2], Time: int64(i) * 1e6, Edge: edges[o.pick(i)], Outcome: Answered, Status: "200"}
			if i%7 == 0 {
				a.Outcome, a.Failed, a.Status = Rejected, true, "503"
			}
			list = append(list, a)
			if want[a.Layer] == nil {
				want[a.Layer] = map[netip.AddrPort]tally{}
			}
			w := want[a.Layer][a.Edge]
			w.attempts++
			if a.Failed {
				w.failures++
			}
			want[a.Layer][a.Edge] = w
		}
		for _, lr := range layerResults(AttemptsOf(list)) {
			got := map[netip.AddrPort]tally{}
			for _, e := range lr.Edges {
				got[e.Edge] = tally{e.Attempts, e.Failures}
			}
			if !reflect.DeepEqual(got, want[lr.Layer]) {
				t.Errorf("%s, %s: edges %v, a tally gives %v", o.name, lr.Layer, got, want[lr.Layer])
			}
		}
	}
}
