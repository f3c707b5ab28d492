package service

import (
	"context"

	"github.com/callrec/callrec"
)

// ListCalls returns a page of calls, oldest first.
func (s *Service) ListCalls(ctx context.Context, q callrec.CallQuery) (*callrec.CallPage, error) {
	if err := checkPageSize(q.Limit); err != nil {
		return nil, err
	}
	return s.cfg.Store.ListCalls(ctx, q)
}

// ListRecordings returns a page of recordings, stopped or not, oldest
// first.
func (s *Service) ListRecordings(ctx context.Context, q callrec.RecordingQuery) (*callrec.RecordingPage, error) {
	if err := checkPageSize(q.Limit); err != nil {
		return nil, err
	}
	return s.cfg.Store.ListRecordings(ctx, q)
}

// checkPageSize accepts 0 (the default page size) or 1..MaxPageSize.
func checkPageSize(n int) error {
	if n < 0 || n > callrec.MaxPageSize {
		return callrec.FieldErrorf("maxPageSize", callrec.CodeInvalidRequest,
			"maxPageSize must be between 1 and %d", callrec.MaxPageSize)
	}
	return nil
}
