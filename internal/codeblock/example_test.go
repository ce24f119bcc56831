package codeblock_test

import (
	"fmt"

	"github.com/zocket/agent/internal/codeblock"
)

func ExampleExtract() {
	reply := "Here is the page:\n\n```html\n<h1>Hi</h1>\n```\n\nStyle it:\n\n```css\nh1 { color: teal; }\n```\n\nInstall:\n\n```sh\nnpm i serve\n```\n"
	for _, d := range codeblock.Extract(reply) {
		fmt.Printf("%s %s %q\n", d.Type, d.Language, d.Title)
	}
	// Output:
	// HTML html "Hi"
	// CODE bash "Bash snippet"
}

// The chat handler feeds each model delta to a Scanner and each finished
// block to a Consolidator, saving a draft as soon as its fence closes.
func ExampleScanner() {
	deltas := []string{"Sure:\n```js", "x\nexport function add(a, b) {\n  retu", "rn a + b;\n}\n``", "`\nUsage:\n```js\nconsole.log(add(1, 2));\n```", "\nDone."}
	var s codeblock.Scanner
	var c codeblock.Consolidator
	save := func(blocks []codeblock.Block) {
		for _, b := range blocks {
			if i, created := c.Add(b); i >= 0 {
				fmt.Printf("draft %d created=%v title=%q\n", i, created, c.Drafts()[i].Title)
			}
		}
	}
	for _, d := range deltas {
		save(s.Write(d))
	}
	save(s.Close())
	fmt.Println(c.Drafts()[0].Code)
	// Output:
	// draft 0 created=true title="add"
	// draft 0 created=false title="add"
	// export function add(a, b) {
	//   return a + b;
	// }
	//
	// console.log(add(1, 2));
}
