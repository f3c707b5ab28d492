package web

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed join
var files embed.FS

// JoinPage serves the join page at /join (and its assets under /join/).
// The page reads ?call=<serverCallId>&token=<join token>.
func JoinPage() http.Handler {
	sub, err := fs.Sub(files, "join")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	static := http.StripPrefix("/join/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("Referrer-Policy", "no-referrer") // the URL carries the token
		if r.URL.Path == "/join" || r.URL.Path == "/join/" {
			http.ServeFileFS(w, r, sub, "index.html")
			return
		}
		static.ServeHTTP(w, r)
	})
}
