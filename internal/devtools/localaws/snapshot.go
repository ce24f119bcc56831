package localaws

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// snapshotFile holds the table's items in DynamoDB's own JSON form.
type snapshotFile struct {
	Table string            `json:"table"`
	Items []json.RawMessage `json:"items"`
}

func (s *Stack) snapshotPath() string { return filepath.Join(s.opts.DataDir, "dynamodb.json") }

// Snapshot writes every item of the table to the data directory, atomically
// (a temporary file renamed into place), using the DynamoDB wire protocol.
func (s *Stack) Snapshot(ctx context.Context) error {
	snap := snapshotFile{Table: s.opts.Table, Items: []json.RawMessage{}}
	var start json.RawMessage
	for {
		req := map[string]any{"TableName": s.opts.Table}
		if start != nil {
			req["ExclusiveStartKey"] = start
		}
		var out struct {
			Items            []json.RawMessage
			LastEvaluatedKey json.RawMessage
		}
		if err := s.call(ctx, "Scan", req, &out); err != nil {
			return fmt.Errorf("snapshot scan: %w", err)
		}
		snap.Items = append(snap.Items, out.Items...)
		if len(out.LastEvaluatedKey) == 0 || string(out.LastEvaluatedKey) == "null" {
			break
		}
		start = out.LastEvaluatedKey
	}
	data, err := json.Marshal(snap)
	if err != nil {
		return fmt.Errorf("encode snapshot: %w", err)
	}
	tmp := s.snapshotPath() + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	if err := os.Rename(tmp, s.snapshotPath()); err != nil {
		return fmt.Errorf("replace snapshot: %w", err)
	}
	s.opts.Log.Debug("dynamodb snapshot written", "items", len(snap.Items))
	return nil
}

// Restore loads the snapshot written by an earlier run into the table, which
// must exist. It returns the number of items loaded; no snapshot is zero.
func (s *Stack) Restore(ctx context.Context) (int, error) {
	if s.opts.DataDir == "" {
		return 0, nil
	}
	data, err := os.ReadFile(s.snapshotPath())
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read snapshot: %w", err)
	}
	var snap snapshotFile
	if err := json.Unmarshal(data, &snap); err != nil {
		return 0, fmt.Errorf("decode snapshot %s: %w", s.snapshotPath(), err)
	}
	for i := 0; i < len(snap.Items); i += 25 {
		batch := snap.Items[i:min(i+25, len(snap.Items))]
		puts := make([]map[string]any, len(batch))
		for j, item := range batch {
			puts[j] = map[string]any{"PutRequest": map[string]any{"Item": item}}
		}
		req := map[string]any{"RequestItems": map[string]any{s.opts.Table: puts}}
		if err := s.call(ctx, "BatchWriteItem", req, nil); err != nil {
			return i, fmt.Errorf("restore items %d-%d: %w", i, i+len(batch), err)
		}
	}
	s.writes.Store(0)
	return len(snap.Items), nil
}

// call sends one request in the DynamoDB JSON protocol to the local server.
func (s *Stack) call(ctx context.Context, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.DynamoURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+op)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s: %s", op, resp.Status, bytes.TrimSpace(data))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}

func targetOp(target string) string {
	if i := strings.LastIndexByte(target, '.'); i >= 0 {
		return target[i+1:]
	}
	return target
}
