package api

import (
	"encoding/json"
	"net/http"
)

// Response is orchestrator's envelope. Code is "OK" or "ERROR".
type Response struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
	Details any    `json:"Details"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"Code":"ERROR","Message":"encode response","Details":null}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// respondOK writes an OK envelope (HTTP 200).
func respondOK(w http.ResponseWriter, msg string, details any) {
	writeJSON(w, http.StatusOK, Response{Code: "OK", Message: msg, Details: details})
}

// respondError writes an ERROR envelope. orchestrator uses HTTP 500 for every
// API-level error, which its client relies on.
func respondError(w http.ResponseWriter, msg string, details any) {
	writeJSON(w, http.StatusInternalServerError, Response{Code: "ERROR", Message: msg, Details: details})
}

// respondBare writes bare JSON (HTTP 200), as orchestrator's read endpoints do.
func respondBare(w http.ResponseWriter, v any) { writeJSON(w, http.StatusOK, v) }
