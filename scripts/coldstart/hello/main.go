// Command hello is the baseline of the cold start benchmark: the smallest
// aws-lambda-go function that does what every function of the service
// does, written the plain way. At start-up it loads the AWS configuration
// and reads one SSM SecureString (JWT_SECRET_PARAM), as the functions read
// the JWT secret; each event is answered after one DynamoDB GetItem on
// TABLE_NAME, as the functions' first request checks the caller's session
// with one. SSM_ENDPOINT and DYNAMODB_ENDPOINT point it at the local
// stand-ins.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

func main() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Fatal(err)
	}
	param, err := ssm.NewFromConfig(cfg, func(o *ssm.Options) {
		if ep := os.Getenv("SSM_ENDPOINT"); ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	}).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(os.Getenv("JWT_SECRET_PARAM")), WithDecryption: aws.Bool(true)})
	if err != nil || aws.ToString(param.Parameter.Value) == "" {
		log.Fatalf("read the secret: %v", err)
	}
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if ep := os.Getenv("DYNAMODB_ENDPOINT"); ep != "" {
			o.BaseEndpoint = aws.String(ep)
			o.DisableValidateResponseChecksum = true // local stand-ins send no CRC32
		}
	})
	table := os.Getenv("TABLE_NAME")
	lambda.Start(func(ctx context.Context) (string, error) {
		_, err := db.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String(table),
			Key: map[string]types.AttributeValue{
				"PK": &types.AttributeValueMemberS{Value: "HELLO"},
				"SK": &types.AttributeValueMemberS{Value: "HELLO"},
			},
		})
		if err != nil {
			return "", err
		}
		return "hello", nil
	})
}
