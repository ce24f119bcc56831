// Package store keeps users and their daily usage, conversations, messages
// and artifact metadata in one DynamoDB table (single-table design, no Scan
// on any request path), as the domain types of package agent. Every method
// returns *agent.Error for what a client did wrong (not found, conflict) and
// a wrapped error for everything else.
//
// Item layout (PK / SK, and GSI1PK / GSI1SK where set):
//
//	USER#<id>            PROFILE                  user: credentials, credits, conversationCount
//	USER#<id>            USAGE#<yyyy-mm-dd>       the user's usage of a UTC day: tokens, charged turns, credits spent
//	EMAIL#<email>        EMAIL                    credentials: unique email, user id, password hash
//	USERNAME#<lower>     USERNAME                 uniqueness of a username; holds the user id
//	THROTTLE#<scope>     <window start>           failed-login counter, expires by TTL
//	CONV#<id>            META                     conversation; GSI1: USER#<user>#CONVS / <activityAt>#<id>
//	CONV#<id>            MSG#<msgId>              message (UUIDv7 ids sort oldest first)
//	CONV#<id>            MSG#<msgId>#ART#<artId>  artifact, next to its message
//	ART#<artId>          ARTIFACT                 the same artifact, read by id
//	LIN#<lineageId>      V#<version>              a version's entry in its artifact's lineage
//	TURN#<msgId>         TURN                     a reply's turn: owner, conversation, state, stop flag
//	TURN#<msgId>         EV#<seq>                 a batch of the turn's stream events, expires by TTL
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"
)

// Attribute and index names of the table.
const (
	AttrPK     = "PK"
	AttrSK     = "SK"
	AttrGSI1PK = "GSI1PK"
	AttrGSI1SK = "GSI1SK"
	AttrTTL    = "expiresAt"
	IndexGSI1  = "GSI1"
)

// Store is the DynamoDB adapter of the service.
type Store struct {
	client  *dynamodb.Client
	db      *dynamo.DB
	table   dynamo.Table
	name    string
	now     func() time.Time
	windows windows
}

// New returns a Store over client and table. Building it makes no calls.
func New(client *dynamodb.Client, table string) *Store {
	db := dynamo.NewFromIface(client)
	return &Store{client: client, db: db, table: db.Table(table), name: table, now: time.Now}
}

// Queries go through the SDK's paginator with a KeyConditionExpression;
// everything else through guregu/dynamo. guregu/dynamo's Query sends the
// legacy KeyConditions parameter, which minidyn (the local stand-in the
// devserver and the tests use) ignores.

// queryInput is a Query of partition key pk, in the table or in index.
func (s *Store) queryInput(index, keyAttr, pk string) *dynamodb.QueryInput {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.name),
		KeyConditionExpression:    aws.String("#k = :k"),
		ExpressionAttributeNames:  map[string]string{"#k": keyAttr},
		ExpressionAttributeValues: map[string]types.AttributeValue{":k": &types.AttributeValueMemberS{Value: pk}},
	}
	if index != "" {
		in.IndexName = aws.String(index)
	} else {
		in.ConsistentRead = aws.Bool(true)
	}
	return in
}

// queryItems calls fn with every item in's Query returns, page by page,
// until fn returns false or the items run out.
func (s *Store) queryItems(ctx context.Context, in *dynamodb.QueryInput, fn func(dynamo.Item) (bool, error)) error {
	pages := dynamodb.NewQueryPaginator(s.client, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, item := range page.Items {
			if more, err := fn(item); err != nil || !more {
				return err
			}
		}
	}
	return nil
}

// Ping checks that the table is reachable.
func (s *Store) Ping(ctx context.Context) error {
	// guregu/dynamo's Describe would parse the answer, which minidyn leaves
	// incomplete; reachability is all that is asked.
	if _, err := s.client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(s.name)}); err != nil {
		return fmt.Errorf("describe table %s: %w", s.name, err)
	}
	return nil
}

// ListAttributes are the attributes GSI1 projects: what a conversation list
// shows, and nothing larger (summaries stay out of the index).
var ListAttributes = []string{"id", "userId", "title", "titleLower", "messageCount", "lastMessage", "activityAt", "createdAt", "updatedAt"}

// CreateTableInput is the table definition: keys, the GSI and on-demand
// billing. The SAM template and the CDK app declare the same; a test keeps
// them in step.
func CreateTableInput(name string) *dynamodb.CreateTableInput {
	str := types.ScalarAttributeTypeS
	return &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(AttrPK), AttributeType: str},
			{AttributeName: aws.String(AttrSK), AttributeType: str},
			{AttributeName: aws.String(AttrGSI1PK), AttributeType: str},
			{AttributeName: aws.String(AttrGSI1SK), AttributeType: str},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(AttrPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(AttrSK), KeyType: types.KeyTypeRange},
		},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: aws.String(IndexGSI1),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(AttrGSI1PK), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(AttrGSI1SK), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{
				ProjectionType:   types.ProjectionTypeInclude,
				NonKeyAttributes: ListAttributes,
			},
		}},
	}
}

// EnsureTable creates the table when it does not exist (local stacks only;
// deployed tables come from the template). It does not use the TableExists
// waiter, which minidyn cannot satisfy.
func (s *Store) EnsureTable(ctx context.Context) error {
	_, err := s.client.CreateTable(ctx, CreateTableInput(s.name))
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create table %s: %w", s.name, err)
	}
	return nil
}
