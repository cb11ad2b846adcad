// Package cpuclock tells the CPU time the process has used. Benchmarks
// report throughput per CPU-second beside the wall-clock figures because
// the machines they run on are shared: under load, wall time measures the
// neighbours too.
package cpuclock
