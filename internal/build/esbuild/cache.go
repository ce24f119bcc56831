package esbuild

import (
	"context"
	"sync"
)

// Cache holds finished pages and their manifests, keyed by PageKey and
// manifestKey of a Result.Key. Production uses S3; tests use MemoryCache.
type Cache interface {
	// Get returns the object under key, or ok false when there is none.
	Get(ctx context.Context, key string) (data []byte, ok bool, err error)
	// Put stores data under key, replacing any object there.
	Put(ctx context.Context, key string, data []byte) error
}

// manifestKey is the Cache key of the small JSON Result stored beside a page,
// so that a cached build answers without reading the page.
func manifestKey(key string) string { return "builds/" + key + ".json" }

// MemoryCache is a Cache in memory, safe for concurrent use; the zero value is
// ready. It suits tests and the devserver.
type MemoryCache struct {
	mu      sync.RWMutex
	objects map[string][]byte
}

var _ Cache = (*MemoryCache)(nil)

// Get returns a copy of the object under key.
func (c *MemoryCache) Get(_ context.Context, key string) ([]byte, bool, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	data, ok := c.objects[key]
	if !ok {
		return nil, false, nil
	}
	return append([]byte(nil), data...), true, nil
}

// Put stores a copy of data under key.
func (c *MemoryCache) Put(_ context.Context, key string, data []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.objects == nil {
		c.objects = make(map[string][]byte)
	}
	c.objects[key] = append([]byte(nil), data...)
	return nil
}
