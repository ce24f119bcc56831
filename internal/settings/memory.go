package settings

import (
	"runtime/debug"
	"strconv"
)

// LimitMemory sets the Go runtime's soft memory limit to nine tenths of the
// Lambda function's memory (AWS_LAMBDA_FUNCTION_MEMORY_SIZE, in MB): the
// collector then works harder as the heap nears the function's size,
// whatever GOGC allows (routes.GCPercent). Outside Lambda it does nothing.
func LimitMemory(getenv func(string) string) {
	mb, err := strconv.Atoi(getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"))
	if err != nil || mb <= 0 {
		return
	}
	debug.SetMemoryLimit(int64(mb) << 20 / 10 * 9)
}
