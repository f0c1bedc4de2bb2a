package sqlite

import "runtime"

// yieldEvery is how many rows a batch write (a usage flush, a credits
// settle) works through before it lets the requests waiting for the CPU
// run. SQLite runs in the calling goroutine, and on a node with one CPU
// (GOMAXPROCS=1) a flush of thousands of keys would otherwise hold it for
// tens of milliseconds, up to the scheduler's 10 ms preemption at a time,
// while requests queue behind it: that was the /v1/me p99 above twice the
// bare server's (docs/performance.md). 64 rows are well under a
// millisecond.
const yieldEvery = 64

// yielder counts rows and yields the CPU every yieldEvery of them.
type yielder struct{ n int }

func (y *yielder) yield() {
	if y.n++; y.n%yieldEvery == 0 {
		runtime.Gosched()
	}
}
