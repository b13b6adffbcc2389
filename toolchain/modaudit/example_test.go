package modaudit_test

import (
	"fmt"

	"github.com/nativego/nativego/toolchain/modaudit"
)

func ExampleParseModulesTxt() {
	mt := modaudit.ParseModulesTxt([]byte(`# example.com/a v1.1.0
## explicit; go 1.21
example.com/a
example.com/a/sub
# example.com/c v1.0.0 => ./localc
## go 1.21
example.com/c
# example.com/c => ./localc
`), "vendor/modules.txt")
	for _, m := range mt.Modules {
		fmt.Printf("%s explicit=%v go=%q replace=%q packages=%q\n", m, m.Explicit, m.GoVersion, m.ReplacePath, m.Packages)
	}
	// Output:
	// example.com/a@v1.1.0 explicit=true go="1.21" replace="" packages=["example.com/a" "example.com/a/sub"]
	// example.com/c@v1.0.0 explicit=false go="1.21" replace="./localc" packages=["example.com/c"]
	// example.com/c explicit=false go="" replace="./localc" packages=[]
}

func ExampleParseGoSum() {
	lines, err := modaudit.ParseGoSum([]byte(`golang.org/x/mod v0.43.0 h1:MFuq5J6s35W9D3IjkwyWc9vHh0nENOrt5K8Iof4ofmg=
golang.org/x/mod v0.43.0/go.mod h1:4ec1JnuyBz5+FIVhg86UsA39YG8BpnrZdJYSNHmGzHY=
`), "go.sum")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, l := range lines {
		fmt.Println(l.Module(), l.GoMod(), l.Hash)
	}
	// Output:
	// golang.org/x/mod@v0.43.0 false h1:MFuq5J6s35W9D3IjkwyWc9vHh0nENOrt5K8Iof4ofmg=
	// golang.org/x/mod@v0.43.0 true h1:4ec1JnuyBz5+FIVhg86UsA39YG8BpnrZdJYSNHmGzHY=
}
