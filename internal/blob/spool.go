package blob

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// MinPartSize is the smallest part S3 accepts in a multipart upload, but for
// the last one (EntityTooSmall at completion otherwise).
const MinPartSize = 5 << 20

// abortTimeout bounds the abort of an upload, which runs on a context of its
// own: the caller's may be what failed.
const abortTimeout = 10 * time.Second

// SpoolOptions size a Spool.
type SpoolOptions struct {
	// Keep is how many bytes a stream may hold and never be uploaded: Finish
	// returns a stream no longer than that in memory. At most PartSize.
	Keep int
	// PartSize is the size of every part but the last; 0 means MinPartSize.
	// S3 refuses smaller ones; the local stand-in accepts them (tests).
	PartSize int
}

// Spool is an io.Writer for an object whose size is known only at its end. It
// holds one part in memory: a stream that ends within Keep bytes is never
// uploaded, and a longer one goes up as a multipart upload, one part at a
// time as each fills, the bytes already held becoming the start of the first
// part. A Spool is not safe for concurrent use.
type Spool struct {
	s                *Store
	ctx              context.Context
	key, contentType string
	keep, partSize   int
	buf              []byte
	size             int64
	uploadID         *string
	parts            []types.CompletedPart
	err              error // sticky: the first failure
	finished         bool
}

// SpoolResult is how a stream ended.
type SpoolResult struct {
	// Uploaded is true when the stream is in S3 under the key; false when it
	// fit in Keep bytes, which are Data.
	Uploaded bool
	Data     []byte
	Size     int64
	Parts    int
}

// NewSpool returns a Spool that writes key with contentType. It makes no
// call until the stream outgrows its first part (or Keep, at Finish).
func (s *Store) NewSpool(ctx context.Context, key, contentType string, opts SpoolOptions) *Spool {
	part := opts.PartSize
	if part <= 0 {
		part = MinPartSize
	}
	return &Spool{s: s, ctx: ctx, key: key, contentType: contentType, keep: min(opts.Keep, part), partSize: part}
}

// Write implements io.Writer. A failed upload fails this and every later
// Write; the caller then aborts the Spool.
func (w *Spool) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.finished {
		return 0, fmt.Errorf("spool %s: write after finish", w.key)
	}
	n := 0
	for len(p) > 0 {
		// A full part goes up only once more bytes come: a stream that
		// ends exactly at Keep stays in memory.
		if len(w.buf) == w.partSize {
			if err := w.uploadPart(); err != nil {
				return n, err
			}
		}
		take := min(w.partSize-len(w.buf), len(p))
		w.grow(take)
		w.buf = append(w.buf, p[:take]...)
		p, n, w.size = p[take:], n+take, w.size+int64(take)
	}
	return n, nil
}

// grow makes room for n more bytes, never past one part: the buffer doubles
// while the stream is small, then stays one part long.
func (w *Spool) grow(n int) {
	if cap(w.buf)-len(w.buf) >= n {
		return
	}
	buf := make([]byte, len(w.buf), min(w.partSize, max(2*cap(w.buf), len(w.buf)+n, 64<<10)))
	copy(buf, w.buf)
	w.buf = buf
}

// uploadPart sends the buffer as the next part, starting the upload first.
// The upload declares CRC32, each part carries the CRC32 the Spool computes
// and the completion names them again: S3 refuses a completion whose parts'
// checksums disagree with the upload's, and the SDK adds one to each part by
// default (aws/aws-sdk-go-v2#3005). gofakes3 checks none of this.
func (w *Spool) uploadPart() error {
	if w.uploadID == nil {
		out, err := w.s.client.CreateMultipartUpload(w.ctx, &s3.CreateMultipartUploadInput{
			Bucket: aws.String(w.s.bucket), Key: aws.String(w.key), ContentType: aws.String(w.contentType),
			ChecksumAlgorithm: types.ChecksumAlgorithmCrc32,
		})
		if err != nil {
			return w.fail(fmt.Errorf("spool %s: start upload: %w", w.key, err))
		}
		w.uploadID = out.UploadId
	}
	number := aws.Int32(int32(len(w.parts) + 1))
	sum := binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(w.buf))
	crc := aws.String(base64.StdEncoding.EncodeToString(sum))
	out, err := w.s.client.UploadPart(w.ctx, &s3.UploadPartInput{
		Bucket: aws.String(w.s.bucket), Key: aws.String(w.key), UploadId: w.uploadID, PartNumber: number,
		Body: bytes.NewReader(w.buf), ContentLength: aws.Int64(int64(len(w.buf))),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32, ChecksumCRC32: crc,
	})
	if err != nil {
		return w.fail(fmt.Errorf("spool %s: upload part %d: %w", w.key, *number, err))
	}
	w.parts = append(w.parts, types.CompletedPart{ETag: out.ETag, PartNumber: number, ChecksumCRC32: crc})
	w.buf = w.buf[:0]
	return nil
}

func (w *Spool) fail(err error) error {
	w.err = err
	return err
}

// Finish ends the stream: one that fit in Keep bytes comes back in memory;
// a longer one has its last part uploaded and the upload completed.
func (w *Spool) Finish() (SpoolResult, error) {
	if w.err != nil {
		return SpoolResult{}, w.err
	}
	if w.finished {
		return SpoolResult{}, fmt.Errorf("spool %s: finished twice", w.key)
	}
	if w.uploadID == nil && w.size <= int64(w.keep) {
		w.finished = true
		return SpoolResult{Data: w.buf, Size: w.size}, nil
	}
	if err := w.uploadPart(); err != nil {
		return SpoolResult{}, err
	}
	_, err := w.s.client.CompleteMultipartUpload(w.ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(w.s.bucket), Key: aws.String(w.key), UploadId: w.uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: w.parts},
	})
	if err != nil {
		return SpoolResult{}, w.fail(fmt.Errorf("spool %s: complete upload: %w", w.key, err))
	}
	w.finished, w.buf = true, nil
	return SpoolResult{Uploaded: true, Size: w.size, Parts: len(w.parts)}, nil
}

// Abort gives up the stream: a multipart upload that was started and not
// completed is aborted, so S3 keeps (and bills) none of its parts. It runs
// on a context of its own, since the caller's may be what failed, and does
// nothing after a Finish that succeeded or for a stream that never left
// memory; it may be called more than once.
func (w *Spool) Abort() error {
	if w.finished || w.uploadID == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(w.ctx), abortTimeout)
	defer cancel()
	_, err := w.s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket: aws.String(w.s.bucket), Key: aws.String(w.key), UploadId: w.uploadID,
	})
	var gone *types.NoSuchUpload
	if err != nil && !errors.As(err, &gone) {
		return fmt.Errorf("spool %s: abort upload: %w", w.key, err)
	}
	w.uploadID, w.buf = nil, nil
	w.err = fmt.Errorf("spool %s: aborted", w.key)
	return nil
}
