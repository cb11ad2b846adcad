package correlate

import (
	"math/bits"
	"slices"
)

// selectAt puts at each of the positions ks (ascending) of s the value a
// sort of s would put there, and leaves the rest of s in no useful order.
// The medians and percentiles Finish reports need three positions of a
// million values: a sort of them was 0.8% of a run, a selection is a
// few passes.
func selectAt(s []int64, ks ...int) {
	selectIn(s, 0, len(s), ks)
}

// selectIn is selectAt on s[lo:hi], whose positions ks lie in it. Each
// position found splits the range, and the others are found on their
// side of it.
func selectIn(s []int64, lo, hi int, ks []int) {
	if len(ks) == 0 {
		return
	}
	m := len(ks) / 2
	k := ks[m]
	nth(s[lo:hi], k-lo)
	// A position asked twice is found once: it is no longer in either
	// side's range.
	left, right := ks[:m], ks[m+1:]
	for len(left) > 0 && left[len(left)-1] == k {
		left = left[:len(left)-1]
	}
	for len(right) > 0 && right[0] == k {
		right = right[1:]
	}
	selectIn(s, lo, k, left)
	selectIn(s, k+1, hi, right)
}

// nth puts at s[k] the value a sort of s would, with none larger before
// it and none smaller after: quickselect, a median of three for the
// pivot and a sort to finish the small ranges.
func nth(s []int64, k int) {
	nthWithin(s, k, 2*bits.Len(uint(len(s))))
}

// nthWithin is nth in at most budget partitions: past them the pivots
// have been poor, and the range left is sorted instead.
func nthWithin(s []int64, k, budget int) {
	lo, hi := 0, len(s)
	for ; hi-lo > 12; budget-- {
		if budget == 0 {
			slices.Sort(s[lo:hi])
			return
		}
		i, j := partition(s, lo, hi)
		switch {
		case k <= j:
			hi = j + 1
		case k >= i:
			lo = i
		default:
			// Between the two sides every value is the pivot.
			return
		}
	}
	slices.Sort(s[lo:hi])
}

// partition splits s[lo:hi] (at least three values) around a median of
// three: s[lo:j+1] holds no value above the pivot and s[i:hi] none
// below, and any values between are the pivot. Both scans stop at
// values equal to the pivot, so a range of equal values splits in half.
func partition(s []int64, lo, hi int) (i, j int) {
	a, b, c := s[lo], s[lo+(hi-lo)/2], s[hi-1]
	p := max(min(a, b), min(max(a, b), c))
	i, j = lo, hi-1
	for i <= j {
		for s[i] < p {
			i++
		}
		for s[j] > p {
			j--
		}
		if i <= j {
			s[i], s[j] = s[j], s[i]
			i++
			j--
		}
	}
	return i, j
}
