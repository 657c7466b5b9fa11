package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// maxEvery is the longest interval a page may ask for between changes.
const maxEvery = 30 * time.Second

// stream is the pages' one server-sent-events connection: "hello" at
// once, then "change" (data: a counter) when the fold has folded new
// events, at most once per StreamInterval or per ?every= milliseconds when
// longer (up to maxEvery: the dashboard of a large fleet asks for less),
// and a comment every Heartbeat while idle. It ends with the request,
// when the API server shuts down, or after StreamLifetime ("bye": the
// browser's EventSource reconnects).
func (w *Web) stream(rw http.ResponseWriter, r *http.Request) {
	fl, ok := rw.(http.Flusher)
	if !ok {
		http.Error(rw, "streaming unsupported by this connection", http.StatusInternalServerError)
		return
	}
	every := w.opts.StreamInterval
	if s := r.URL.Query().Get("every"); s != "" {
		ms, err := strconv.Atoi(s)
		if err != nil || ms < 0 || time.Duration(ms)*time.Millisecond > maxEvery {
			http.Error(rw, fmt.Sprintf("parameter every: %q is not a number of milliseconds up to %d", s, maxEvery.Milliseconds()), http.StatusBadRequest)
			return
		}
		every = max(every, time.Duration(ms)*time.Millisecond)
	}
	h := rw.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	// Subscribe before "hello": what folds after it is a change the page
	// hears of (it re-reads on "hello", covering what came before).
	changed := w.src.Changed()
	rw.WriteHeader(http.StatusOK)
	fmt.Fprintf(rw, "retry: 1000\nevent: hello\ndata: {}\n\n")
	fl.Flush()
	ctx := r.Context()
	end := time.NewTimer(w.opts.StreamLifetime)
	defer end.Stop()
	beat := time.NewTicker(w.opts.Heartbeat)
	defer beat.Stop()
	var n uint64
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.done:
			fmt.Fprintf(rw, "event: bye\ndata: {}\n\n")
			fl.Flush()
			return
		case <-end.C:
			fmt.Fprintf(rw, "event: bye\ndata: {}\n\n")
			fl.Flush()
			return
		case <-beat.C:
			if _, err := fmt.Fprintf(rw, ": keep-alive\n\n"); err != nil {
				return
			}
			fl.Flush()
		case <-changed:
			// Subscribe before the message, as before "hello": what folds
			// once the page may have re-read is a change it hears of. (After
			// the message, a fold between the page's read and this call
			// would be lost.) Coalesce: what folds during the interval is
			// one change, sent after it (next is closed by then).
			next := w.src.Changed()
			n++
			if _, err := fmt.Fprintf(rw, "event: change\ndata: %d\n\n", n); err != nil {
				return
			}
			fl.Flush()
			pause := time.NewTimer(every)
			select {
			case <-ctx.Done():
				pause.Stop()
				return
			case <-w.done:
				pause.Stop()
				return
			case <-pause.C:
			}
			changed = next
		}
	}
}
