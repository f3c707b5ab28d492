package app

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/service"
	"github.com/callrec/callrec/webhook"
)

// openSubscriptions builds the subscription manager over the store and
// applies the subscriptions file, if any.
func (a *App) openSubscriptions(ctx context.Context) error {
	var err error
	a.Subscriptions, err = service.NewSubscriptions(ctx, service.SubscriptionsConfig{
		Store: a.DB,
		Validator: webhook.Handshake{
			Timeout: a.cfg.ValidationTimeout,
			Topic:   a.PublicURL,
		},
		PublicURL:          a.PublicURL,
		ValidationDeadline: a.cfg.ValidationDeadline,
		ValidationRetries:  a.cfg.ValidationRetries,
		Notify:             a.Worker.Notify,
		Logger:             a.log.With("component", "subscriptions"),
	})
	if err != nil {
		return err
	}
	if a.cfg.SubscriptionsFile == "" {
		return nil
	}
	subs, err := LoadSubscriptionsFile(a.cfg.SubscriptionsFile)
	if err != nil {
		return err
	}
	for _, s := range subs {
		got, _, err := a.Subscriptions.Put(ctx, s)
		if err != nil {
			return fmt.Errorf("subscription %q in %s: %w", s.Name, a.cfg.SubscriptionsFile, err)
		}
		a.log.Info("event subscription from file", "name", got.Name, "state", got.State, "reason", got.Reason)
	}
	return nil
}

// storedSecrets returns the webhook worker's source of subscription
// signing secrets: the store, read at each attempt (a primary-key lookup),
// so that the worker needs nothing built after it. A lookup that fails for
// another reason than a deleted subscription signs with a throwaway key:
// the receiver refuses the delivery and it is retried, rather than sent
// unsigned.
func storedSecrets(db Store) func(subscription string) string {
	return func(name string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s, err := db.Subscription(ctx, name)
		switch {
		case err == nil:
			return s.Secret
		case callrec.KindOf(err) == callrec.KindNotFound:
			return ""
		}
		return rand.Text()
	}
}

// LoadSubscriptionsFile reads a JSON list of subscriptions, each as the
// body of PUT /eventSubscriptions/{name} plus its name:
//
//	[{"name": "billing", "endpointUrl": "https://example.com/hook",
//	  "schema": "eventGrid", "includedEventTypes": ["Microsoft.Communication.RecordingFileStatusUpdated"],
//	  "subjectBeginsWith": "", "secret": "…"}]
//
// At startup each is created, or updated in place; one whose endpoint and
// schema are unchanged and already validated is not validated again.
func LoadSubscriptionsFile(path string) ([]callrec.Subscription, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading subscriptions file: %w", err)
	}
	var subs []callrec.Subscription
	if err := json.Unmarshal(b, &subs); err != nil {
		return nil, fmt.Errorf("subscriptions file %s is not a JSON list of subscriptions: %w", path, err)
	}
	return subs, nil
}
