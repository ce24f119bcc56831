package lambdatest_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/zocket/agent/internal/devtools/lambdatest"
)

// TestPreviewFunctionsSize builds the preview functions as `make build` does
// (linux/arm64, stripped) and checks they stay the size of their neighbours
// (13 MiB). They were 21.9 MiB while they could render the HTML error page
// with html/template, whose calls of methods by name through reflect keep
// every exported method of every linked type (the AWS SDK clients' whole
// APIs among them).
func TestPreviewFunctionsSize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries (about 30 s)")
	}
	const limit = 16 << 20
	for _, name := range []string{"artifacts-preview", "artifacts-project-preview"} {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "bootstrap")
			if err := lambdatest.Build(context.Background(), "../../..", "./functions/"+name, out, "arm64"); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(out)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Size(); got > limit {
				t.Errorf("%s is %.1f MiB, want at most %d MiB", name, float64(got)/(1<<20), limit>>20)
			}
		})
	}
}
