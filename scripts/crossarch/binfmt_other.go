//go:build !linux

package main

import "errors"

func ensureBinfmt(qemu string) (func() error, string, error) {
	return nil, "", errors.New("binfmt_misc is Linux-only")
}
