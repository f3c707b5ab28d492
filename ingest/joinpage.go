package ingest

import (
	"net/http"

	"github.com/callrec/callrec/web"
)

func joinPageHandler() http.Handler { return web.JoinPage() }
