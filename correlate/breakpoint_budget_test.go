package correlate

import (
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
