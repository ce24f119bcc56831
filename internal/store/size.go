package store

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	"github.com/zocket/agent"
)

// MaxItemBytes is DynamoDB's item size limit (400 KB).
const MaxItemBytes = 400 * 1024

// checkItemSize rejects an item DynamoDB would reject for its size, before
// the call, with a 413: the local stand-in does not enforce the limit.
func checkItemSize(v any) error {
	item, err := dynamo.MarshalItem(v)
	if err != nil {
		return fmt.Errorf("marshal item: %w", err)
	}
	if n := ItemSize(item); n > MaxItemBytes {
		return agent.Errorf(agent.TooLarge, "The content is too large to save (%d KB; the limit is 400 KB).", n/1024)
	}
	return nil
}

// ItemSize is an item's size as DynamoDB counts it: each attribute's name
// and value (strings and binaries by length, numbers about one byte per two
// significant digits plus one, maps and lists 3 bytes plus their elements):
// what its 400 KB limit and its capacity units are counted on.
func ItemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return numberSize(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberNS:
		n := 0
		for _, s := range v.Value {
			n += numberSize(s)
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += 1 + len(k) + valueSize(e)
		}
		return n
	}
	return 0
}

func numberSize(s string) int {
	digits := len(strings.TrimLeft(strings.NewReplacer("-", "", ".", "").Replace(s), "0"))
	return (digits+1)/2 + 1
}
