// Command failovertable prints the Markdown table of the JSON results that
// `make bench-failover` writes (one file per scenario, in argument order).
//
//	go run ./test/lab/failovertable bench-results/failover-*.json
package main

import (
	"fmt"
	"os"

	"github.com/regent-ha/regent/test/lab"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: failovertable RESULTS.json…")
		os.Exit(2)
	}
	var all []lab.FailoverRun
	for _, p := range os.Args[1:] {
		runs, err := lab.ReadFailoverRuns(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, "failovertable:", err)
			os.Exit(1)
		}
		all = append(all, runs...)
	}
	fmt.Print(lab.FailoverTable(all))
}
