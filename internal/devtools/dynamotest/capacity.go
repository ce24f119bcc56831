package dynamotest

import (
	"context"
	"math"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/zocket/agent/internal/store"
)

// Capacity computes the read and write units real DynamoDB would charge for
// the operations made through a client, from the sizes of the items they
// read and write (minidyn and dynalite do not report consumed capacity for
// every operation, and minidyn for none). The rules are DynamoDB's on-demand
// ones: a read unit per 4 KB of an item (a Query: of the items it returns
// together), half for an eventually consistent read, twice for a
// transaction's; a write unit per 1 KB, twice in a transaction, a
// condition check of a transaction counted as a write. An update is charged
// for the item's size after the whole run (read with Sizes), not before and
// after each update: items here only grow, so it is the larger of the two
// or more.
type Capacity struct {
	mu  sync.Mutex
	ops []capacityOp
}

// kind is the sort-key prefix of the first item op puts, else of its
// first write.
func (op capacityOp) kind() string {
	sk := op.writes[0].sk
	for _, w := range op.writes {
		if w.size > 0 {
			sk = w.sk
			break
		}
	}
	kind, _, _ := strings.Cut(sk, "#")
	return kind
}

// capacityOp is a read of known units or a write of items known by key or
// by size.
type capacityOp struct {
	name   string
	read   float64
	writes []write
	factor float64 // 2 in a transaction
}

type write struct {
	key  string // looked up in Sizes when size is 0
	size int
	sk   string
}

// Option installs the meter on a DynamoDB client.
func (c *Capacity) Option() func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("MeterCapacity",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					out, md, err := next.HandleInitialize(ctx, in)
					if err == nil {
						if op, ok := meter(in.Parameters, out.Result); ok {
							c.mu.Lock()
							c.ops = append(c.ops, op)
							c.mu.Unlock()
						}
					}
					return out, md, err
				}), middleware.After)
		})
	}
}

// Units are the units of the operations since the last Take, by operation,
// and their totals.
type Units struct {
	Read, Write float64
	ByOperation map[string][2]float64 // read, write
	// WriteByKind is the write units of the operations by the sort-key
	// prefix (up to the first '#') of the first item each puts, else of
	// the first it writes: "EV" for a turn's journal batches.
	WriteByKind map[string]float64
}

// Take computes the units of the operations since the last Take, with
// sizes giving the size of an item by Key (ItemKey) for the updates, and
// resets the meter.
func (c *Capacity) Take(sizes map[string]int) Units {
	c.mu.Lock()
	ops := c.ops
	c.ops = nil
	c.mu.Unlock()
	u := Units{ByOperation: map[string][2]float64{}, WriteByKind: map[string]float64{}}
	for _, op := range ops {
		w := 0.0
		for _, wr := range op.writes {
			size := wr.size
			if size == 0 {
				size = sizes[wr.key]
			}
			w += math.Max(1, math.Ceil(float64(size)/1024)) * op.factor
		}
		u.Read += op.read
		u.Write += w
		t := u.ByOperation[op.name]
		u.ByOperation[op.name] = [2]float64{t[0] + op.read, t[1] + w}
		if len(op.writes) > 0 {
			u.WriteByKind[op.kind()] += w
		}
	}
	return u
}

// ItemKey names an item by its PK and SK attributes.
func ItemKey(item map[string]types.AttributeValue) string {
	return str(item["PK"]) + "\x00" + str(item["SK"])
}

func sk(item map[string]types.AttributeValue) string { return str(item["SK"]) }

func str(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// readUnits is what reading items of total size bytes costs.
func readUnits(bytes int, consistent *bool, factor float64) float64 {
	u := math.Max(1, math.Ceil(float64(bytes)/4096))
	if consistent == nil || !*consistent {
		u /= 2
	}
	return u * factor
}

func meter(params, result any) (capacityOp, bool) {
	switch in := params.(type) {
	case *dynamodb.GetItemInput:
		out := result.(*dynamodb.GetItemOutput)
		return capacityOp{name: "GetItem", read: readUnits(store.ItemSize(out.Item), in.ConsistentRead, 1)}, true
	case *dynamodb.QueryInput:
		out := result.(*dynamodb.QueryOutput)
		size := 0
		for _, it := range out.Items {
			size += store.ItemSize(it)
		}
		return capacityOp{name: "Query", read: readUnits(size, in.ConsistentRead, 1)}, true
	case *dynamodb.TransactGetItemsInput:
		out := result.(*dynamodb.TransactGetItemsOutput)
		r := 0.0
		for _, it := range out.Responses {
			r += readUnits(store.ItemSize(it.Item), aws.Bool(true), 2)
		}
		return capacityOp{name: "TransactGetItems", read: r}, true
	case *dynamodb.PutItemInput:
		return capacityOp{name: "PutItem", factor: 1, writes: []write{{size: store.ItemSize(in.Item), sk: sk(in.Item)}}}, true
	case *dynamodb.UpdateItemInput:
		return capacityOp{name: "UpdateItem", factor: 1, writes: []write{{key: ItemKey(in.Key), sk: sk(in.Key)}}}, true
	case *dynamodb.DeleteItemInput:
		return capacityOp{name: "DeleteItem", factor: 1, writes: []write{{key: ItemKey(in.Key), sk: sk(in.Key)}}}, true
	case *dynamodb.BatchWriteItemInput:
		op := capacityOp{name: "BatchWriteItem", factor: 1}
		for _, reqs := range in.RequestItems {
			for _, r := range reqs {
				switch {
				case r.PutRequest != nil:
					op.writes = append(op.writes, write{size: store.ItemSize(r.PutRequest.Item), sk: sk(r.PutRequest.Item)})
				case r.DeleteRequest != nil:
					op.writes = append(op.writes, write{key: ItemKey(r.DeleteRequest.Key), sk: sk(r.DeleteRequest.Key)})
				}
			}
		}
		return op, true
	case *dynamodb.TransactWriteItemsInput:
		op := capacityOp{name: "TransactWriteItems", factor: 2}
		for _, it := range in.TransactItems {
			switch {
			case it.Put != nil:
				op.writes = append(op.writes, write{size: store.ItemSize(it.Put.Item), sk: sk(it.Put.Item)})
			case it.Update != nil:
				op.writes = append(op.writes, write{key: ItemKey(it.Update.Key), sk: sk(it.Update.Key)})
			case it.Delete != nil:
				op.writes = append(op.writes, write{key: ItemKey(it.Delete.Key), sk: sk(it.Delete.Key)})
			case it.ConditionCheck != nil:
				op.writes = append(op.writes, write{key: ItemKey(it.ConditionCheck.Key), sk: sk(it.ConditionCheck.Key)})
			}
		}
		return op, true
	}
	return capacityOp{}, false
}
