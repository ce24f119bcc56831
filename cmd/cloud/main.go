// Command cloud runs the stack of template.yaml on this machine as AWS
// would deploy it, for interactive use (`make cloud`): every function from
// its real bootstrap, behind a local HTTP API, the chat stream's Function
// URL and the CloudFront distribution that gives the frontend one URL, on
// local DynamoDB, S3 and Parameter Store. It prints the URLs and runs until
// Ctrl-C. Without GEMINI_API_KEY the chat answers from the offline model.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/zocket/agent/internal/devtools/cfn"
	"github.com/zocket/agent/internal/devtools/geminitest"
	"github.com/zocket/agent/internal/devtools/localcloud"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "cloud:", err)
		os.Exit(1)
	}
}

// params collects -param Name=Value flags.
type params map[string]string

func (p params) String() string { return fmt.Sprint(map[string]string(p)) }

func (p params) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("want Name=Value, got %q", s)
	}
	p[k] = v
	return nil
}

func run() error {
	template := flag.String("template", "template.yaml", "the SAM template to run")
	bootstraps := flag.String("bootstraps", "build/lambda-test", "directory of the bootstraps built for this machine (make lambda-bootstraps)")
	packages := flag.String("packages", "web/node_modules", "the preview package set the build function ships with")
	dataDir := flag.String("data", ".clouddata", "where the table, the bucket and the JWT secret persist")
	host := flag.String("host", "127.0.0.1", "the address to listen on")
	port := flag.Int("port", 3001, "port of the one URL (the CloudFront distribution)")
	apiPort := flag.Int("api-port", 3002, "port of the HTTP API")
	streamPort := flag.Int("stream-port", 3003, "port of the chat stream's Function URL")
	overrides := params{}
	flag.Var(overrides, "param", "a template parameter, Name=Value (repeatable)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	tpl, err := cfn.ReadFile(*template)
	if err != nil {
		return err
	}
	secret, err := persistentSecret(filepath.Join(*dataDir, "jwt-secret"))
	if err != nil {
		return err
	}
	pkgs, err := filepath.Abs(*packages)
	if err != nil {
		return err
	}
	env := map[string]string{"BUILD_PACKAGES_DIR": pkgs}
	geminiKey := os.Getenv("GEMINI_API_KEY")
	if geminiKey == "" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		model := &http.Server{Handler: geminitest.NewHandler(geminitest.Offline()), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = model.Serve(ln) }()
		defer model.Close()
		geminiKey, env["GEMINI_BASE_URL"] = "offline", "http://"+ln.Addr().String()
	}
	listen := func(p int) string { return net.JoinHostPort(*host, fmt.Sprint(p)) }
	cloud, err := localcloud.Start(ctx, localcloud.Options{
		Template:   tpl,
		Bootstrap:  localcloud.BootstrapDir(*bootstraps),
		Parameters: overrides,
		SSM: []localcloud.SSMParameter{
			{NameParameter: "JwtSecretParameterName", Value: secret, Secure: true},
			{NameParameter: "GeminiApiKeyParameterName", Value: geminiKey, Secure: true},
			{NameParameter: "OriginVerifyParameterName", Value: randomHex(32)},
		},
		Env:     env,
		Listen:  map[string]string{"Distribution": listen(*port), "HttpApi": listen(*apiPort), "ChatStreamFunction": listen(*streamPort)},
		DataDir: *dataDir,
		Logs:    os.Stderr,
	})
	if err != nil {
		return err
	}
	defer cloud.Close()
	fmt.Printf(`
  One URL (NEXT_PUBLIC_API_URL):  %s
  API URL (HTTP API):             %s
  Stream URL (Function URL):      %s
  Data: %s   Functions: %d, from %s

Ctrl-C to stop.
`, cloud.Outputs["Url"], cloud.Outputs["ApiUrl"], cloud.Outputs["StreamUrl"], *dataDir, len(cloud.Functions()), *bootstraps)
	<-ctx.Done()
	fmt.Println("stopping")
	return nil
}

// persistentSecret reads the JWT secret kept at path, creating a random one
// the first time, so that tokens survive restarts.
func persistentSecret(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(data))) >= 32 {
		return strings.TrimSpace(string(data)), nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	secret := randomHex(32)
	return secret, os.WriteFile(path, []byte(secret+"\n"), 0o600)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails since Go 1.24
	return hex.EncodeToString(b)
}
