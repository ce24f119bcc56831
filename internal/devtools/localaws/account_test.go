package localaws_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/zocket/agent/internal/devtools/localaws"
	"github.com/zocket/agent/internal/settings"
	"github.com/zocket/agent/routes"
)

// TestAccountEnviron checks what a function's process is given: the
// parameters it reads and only those, readable through the SDK at the
// account's SSM endpoint; the build function once the account has one.
func TestAccountEnviron(t *testing.T) {
	ctx := context.Background()
	acct, err := localaws.StartAccount(ctx, localaws.AccountOptions{Name: "account-test", Vars: map[string]string{"DEFAULT_CREDITS": "7"}})
	if err != nil {
		t.Fatal(err)
	}
	defer acct.Close()
	acct.Lambda = "http://127.0.0.1:9"
	env := func(name string) map[string]string {
		f, ok := routes.ByName(name)
		if !ok {
			t.Fatalf("no function %s", name)
		}
		out := map[string]string{}
		for _, kv := range acct.Environ(f) {
			k, v, _ := strings.Cut(kv, "=")
			out[k] = v
		}
		return out
	}
	health, chat := env("health"), env("chat-send")
	for _, k := range []string{"JWT_SECRET_PARAM", "GEMINI_API_KEY_PARAM", "BUILD_FUNCTION_NAME"} {
		if _, ok := health[k]; ok {
			t.Errorf("health is given %s", k)
		}
		if chat[k] == "" {
			t.Errorf("chat-send is not given %s", k)
		}
	}
	if health["TABLE_NAME"] != "account-test" || health["GOGC"] != routes.GCPercent || health["DEFAULT_CREDITS"] != "7" || chat["LAMBDA_ENDPOINT"] != acct.Lambda {
		t.Errorf("health %v\nchat-send %v", health, chat)
	}

	cfg, err := settings.LoadAWS(ctx, settings.DefaultRegion, settings.Endpoints{SSM: chat["SSM_ENDPOINT"]})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"JWT_SECRET_PARAM", "GEMINI_API_KEY_PARAM"} {
		out, err := settings.SSMClient(cfg, chat["SSM_ENDPOINT"]).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(chat[k]), WithDecryption: aws.Bool(true)})
		if err != nil || aws.ToString(out.Parameter.Value) == "" {
			t.Errorf("%s (%s): %v", k, chat[k], err)
		}
	}
	if !slices.Contains(acct.Vars(), "TABLE_NAME=account-test") || slices.ContainsFunc(acct.Vars(), func(kv string) bool { return strings.HasPrefix(kv, "GOGC=") }) {
		t.Errorf("Vars = %v: want the table and no function's GOGC", acct.Vars())
	}
}
