// Command webapp-assets is the Lambda function behind GET /assets/{name}:
// the web app's script and stylesheet, which CloudFront caches by their
// hashed names.
package main

import (
	"github.com/zocket/agent/internal/lambdahost"
	"github.com/zocket/agent/internal/webapp"
)

func main() { lambdahost.StartAPI("webapp-assets", webapp.ServeAssets) }
