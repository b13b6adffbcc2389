package toolchain_test

import (
	"context"
	"fmt"

	"github.com/nativego/nativego/toolchain"
)

// Verify an installation against the checksum database the go command
// uses, naming what differs.
func ExampleVerify() {
	v, err := toolchain.Verify(context.Background(), "/usr/local/go", toolchain.VerifyOptions{})
	if err != nil {
		fmt.Println("cannot verify:", err)
		return
	}
	fmt.Println(v.Module, v.Status)
	for _, f := range v.Files {
		fmt.Println(f.Change, f.Name)
	}
	for _, n := range v.Notes {
		fmt.Println("note:", n)
	}
}
