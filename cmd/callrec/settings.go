package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"
)

// applySettings fills every flag the user did not set on the command line,
// first from its CALLREC_* environment variable (--chunk-max-bytes reads
// CALLREC_CHUNK_MAX_BYTES), then from the JSON config file named by
// --config / CALLREC_CONFIG, whose keys are the flag names. Precedence:
// flag > environment > config file > default.
func applySettings(flags *pflag.FlagSet) error {
	file := map[string]any{}
	path, _ := flags.GetString("config")
	if !flags.Changed("config") {
		if env := os.Getenv("CALLREC_CONFIG"); env != "" {
			path = env
		}
	}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("reading config file: %w", err)
		}
		if err := json.Unmarshal(b, &file); err != nil {
			return fmt.Errorf("config file %s is not a JSON object: %w", path, err)
		}
		for k := range file {
			if flags.Lookup(k) == nil || k == "config" {
				return fmt.Errorf("config file %s: unknown setting %q", path, k)
			}
		}
	}
	var err error
	flags.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || f.Name == "config" {
			return
		}
		env := "CALLREC_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok {
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("%s=%q: %w", env, v, e)
			}
			return
		}
		if v, ok := file[f.Name]; ok {
			var s string
			switch v := v.(type) {
			case string:
				s = v
			case []any:
				parts := make([]string, len(v))
				for i, p := range v {
					parts[i] = fmt.Sprint(p)
				}
				s = strings.Join(parts, ",")
			default:
				s = fmt.Sprint(v)
			}
			if e := f.Value.Set(s); e != nil {
				err = fmt.Errorf("config file %s: %s=%v: %w", path, f.Name, v, e)
			}
		}
	})
	return err
}
