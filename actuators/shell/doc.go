// Package shell implements the actuators that run shell commands: the hook
// lists (actuators.Hooks, type Runner) and the virtual IP (actuators.VIP,
// type VIP). See docs/hooks.md.
//
// Command templates. A configured command holds orchestrator's
// {placeholders}. Expand substitutes them with a small POSIX-shell lexer
// that knows whether each placeholder stands unquoted, inside '…', "…",
// $'…', $(…), backquotes or a comment, and escapes the value for exactly
// that context, so no host name, alias or description can run a command.
// Placeholders the lexer cannot quote safely (inside a here-document or
// ${…}) make the command fail instead of running it. Unknown placeholders
// are left as they are, as in orchestrator.
//
// Processes. Every command runs as `<shell> -c <command>` in its own process
// group with stdin from /dev/null and stdout+stderr captured (capped). On
// timeout or cancellation the whole group gets SIGTERM, then SIGKILL after a
// grace period, so children of a hook die with it.
//
// Concurrency. Runner.Run and the VIP methods may be called concurrently.
// Asynchronous hooks (a trailing '&') run in goroutines the Runner owns;
// Runner.Wait and Runner.Close wait for them, each bounded by the hook
// timeout. No other goroutine outlives a call.
package shell
