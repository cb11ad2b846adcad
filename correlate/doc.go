// Package correlate turns protocol events from captures and samples from
// JTL files into attempts, ties the two together (by Call-ID, trace ID,
// or time and order), counts concurrency in each layer's own units, finds
// the breakpoints and gives the verdict: at what concurrency the edge began
// refusing work, and at which layer.
//
// Records come in time order and are folded into bounded state: dialogs in
// flight, a compact record per finished attempt, and aggregates. Nothing
// holds a whole input.
package correlate
