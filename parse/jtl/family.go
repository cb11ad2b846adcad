package jtl

import "strings"

// txnPrefix starts the responseMessage of every Transaction Controller
// sample (TransactionController.NUMBER_OF_SAMPLES_IN_TRANSACTION_PREFIX).
const txnPrefix = "Number of samples in transaction : "

func isTransaction(message string) bool { return strings.HasPrefix(message, txnPrefix) }

// maxDepth bounds a thread's stack of possible parents: JMeter itself stops
// writing sub-results ten levels down (CSVSaveService.saveSubResults).
const maxDepth = 12

// family tells, in a CSV file, which rows are parts of another. JMeter
// writes a parent row and then its sub-results, depth first, each with a
// separate println, so other threads' rows may come in between but a
// thread's own rows stay in sequence. Per thread it keeps the rows that
// could still be a parent, innermost last.
//
// A row is a child of an open row of the same thread when
//   - its label is the parent's followed by -N (an HTTP sampler's
//     redirects and embedded resources, which SampleResult.addSubResult
//     renames unless subresults.disable_renaming is set), or
//   - the parent is a Transaction Controller sample and the row lies within
//     the parent's span: start..start+elapsed+idle. In "generate parent
//     sample" mode a transaction's elapsed excludes timers, which JMeter
//     puts in IdleTime, so elapsed alone is too short.
//
// Time alone does not make a plain row a parent: the next sampler of a
// thread often starts a few milliseconds before the previous one's end
// (t3sters_stress_900threads.jtl has 95 such pairs), so "lies inside" would
// turn real attempts into uncounted sub-results. A very short sampler right
// after a transaction can likewise look like its child; it is then Plain
// with a wrong Parent, and still counted.
//
// Sub-results that keep their own labels (the embedded resources in
// taurus_error-bug1.jtl are labelled by URL) are therefore not recognised
// in CSV; XML nests them and is exact.
//
// A Transaction Controller that does not generate a parent is written after
// its children; those are plain samples of their own and stay unattached.
type family struct {
	// timed is false when rows have no start time (no timeStamp column):
	// spans then say nothing and only the label rule applies.
	timed bool
	// slack widens spans by the resolution of the timestamps: a second when
	// they were written without milliseconds.
	slack int64
}

type famEntry struct {
	label      string
	start, end int64 // end includes IdleTime: the span of a transaction
	txn        bool
}

// classify sets s.Kind and s.Parent and remembers s as a possible parent
// on st, the stack of s's thread.
func (f *family) classify(s *Sample, stack *[]famEntry) {
	st := *stack
	for len(st) > 0 {
		top := &st[len(st)-1]
		if f.childOf(top, s) {
			s.Parent = top.label
			if !top.txn && !isTransaction(s.Message) {
				s.Kind = SubResult
			}
			break
		}
		st = st[:len(st)-1]
	}
	txn := isTransaction(s.Message)
	if txn {
		s.Kind = Transaction
	}
	e := famEntry{label: s.Label, start: s.Start, end: s.Start + s.Elapsed + s.Idle, txn: s.Kind == Transaction}
	if len(st) >= maxDepth {
		copy(st, st[1:])
		st = st[:len(st)-1]
	}
	*stack = append(st, e)
}

func (f *family) childOf(p *famEntry, s *Sample) bool {
	if isSubLabel(p.label, s.Label) {
		return !f.timed || s.Start >= p.start-f.slack && s.Start <= p.end+f.slack
	}
	return p.txn && f.timed && s.Start >= p.start-f.slack && s.End() <= p.end+f.slack
}

// isSubLabel reports whether label is parent followed by -N.
func isSubLabel(parent, label string) bool {
	n := len(parent)
	return len(label) > n+1 && label[n] == '-' && label[:n] == parent && allDigits(label[n+1:])
}
