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
