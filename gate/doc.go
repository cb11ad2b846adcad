// Package gate judges a JSON summary (report.Summary, schema
// ceiling.summary/v1) for CI: the criteria of `analyze --fail-on`, and the
// regressions `ceiling compare` looks for between two runs.
//
// # Criteria
//
// A criterion names a value of the summary, an operator and a literal. It
// describes a failure, as Taurus's pass/fail criteria do: when it holds,
// the gate fails.
//
//	layer!=none                           any layer refused work
//	sip.first_failure.concurrency<200     SIP refused below 200 dialogs
//	sip.failure_ratio>1%                  more than 1% of INVITEs failed
//	websocket.status==429                 the WebSocket upgrade was rate-limited
//
// Several criteria are separated by commas; spaces around operators are
// allowed. Operators are == != < <= > >=. Literals are numbers (101,
// 0.5, -3), percentages (1%, 0.5%), bare words (sip, 503,
// alert:handshake_failure) or quoted strings ("a b", 'x,y').
//
// Paths of the verdict: layer, status, kind, failed,
// first_failure.concurrency, first_failure.threads, sustained.concurrency,
// sustained.threads (each also under verdict.). Of each layer (client,
// tcp, tls, http, websocket, sip; also under layers.): attempts,
// failures, failure_ratio, status (its first failure's), codes.<status>,
// first_failure.concurrency, first_failure.threads, sustained.concurrency,
// sustained.threads, max_concurrency. Of the whole run: skipped (records
// the readers skipped), breaches (samples that failed JMeter's assertions
// while the edge answered), correlation.matched_ratio and the counts of
// correlation (correlation.matched, correlation.unmatched_jtl, …).
//
// # Values that do not exist
//
// A layer that never failed has no first failure, no sustained breakpoint
// and no status; threads are unknown without a JTL; matched_ratio is
// unknown without JTL samples; status and kind do not exist when nothing
// failed. Such a value equals only the word none: X==none holds, X!=none
// does not, and any other comparison does not hold, so the criterion
// passes. Thus sip.first_failure.concurrency<200 passes when SIP never
// failed, and sip.status!=503 passes when SIP never failed. Counts are
// never missing: a layer with no attempts has 0 attempts, 0 failures and
// a failure ratio of 0, so sip.attempts<100 catches a test that did not
// reach the edge. layer is none when nothing failed.
//
// Ordering operators compare numbers; layer orders as the layers do
// (client < tcp < tls < http < websocket < sip, none has no place); a
// status orders only as a number (websocket.status>=500), and a status
// that is not a number (timeout, refused) does not hold.
//
// Mistakes are caught before the analysis runs, with the column: an
// unknown path or layer, a word where a number belongs, a percentage on a
// count, a ratio above 1 written without % (1 is 100%: did you mean 1%?),
// none on a value that always exists, = for ==.
package gate
