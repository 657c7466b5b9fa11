// Package web serves Regent's web interface on the API's listener, at
// orchestrator's paths (/web/clusters, /web/cluster/<name>,
// /web/cluster/alias/<alias>, /web/search, /web/audit-recovery,
// /web/audit-failure-detection, /web/discover, /web/status; / redirects
// to /web/clusters).
//
// The pages are plain HTML, CSS and JavaScript compiled into the binary
// (embed): nothing is built with Node and nothing is fetched from another
// site at run time (the Content-Security-Policy allows this origin only).
// They read and write through the JSON API of package api — every write
// goes through api.Server.HandleWrite's guard (cross-site requests
// refused) and its authorization — and through a few read-only endpoints
// of their own under /web/api/: the topology tree with the tokens of
// projections.TopologyTree (the same as `topology`), the relocate check,
// the cluster's timeline from the recovery fold, the "why" answers of
// projections/timeline, and the topology at an instant (History).
//
// Live updates are one server-sent-events stream per page (/web/stream):
// it sends "change" when the fold has folded new events (Source.Changed),
// at most once per Options.StreamInterval; the page then re-reads what
// it shows. Pages are served behind the API's authentication; write
// controls are rendered only for users who may write (api.Server.MayWrite).
//
// Concurrency: handlers read immutable snapshots (Source.View, a copy of
// the recovery fold); each stream runs in its request's goroutine and
// ends with the request, at Options.StreamLifetime (the browser
// reconnects) or when the API server begins its graceful shutdown
// (api.Server.OnShutdown), so an open page does not hold the shutdown.
package web
