//go:build !linux

package uring

import "errors"

// A Sniffer reads the first bytes of many files per system call, on
// Linux; elsewhere NewSniffer always fails.
type Sniffer struct{}

// NewSniffer returns an error wrapping errors.ErrUnsupported: io_uring is
// Linux's.
func NewSniffer(n int) (*Sniffer, error) {
	if err := disabledError(); err != nil {
		return nil, err
	}
	return nil, &Error{Op: "NewSniffer", Err: errors.New("io_uring exists only on Linux"), Unsupported: true}
}

// Sniff returns an error wrapping errors.ErrUnsupported.
func (s *Sniffer) Sniff(reqs []Request) error {
	return &Error{Op: "Sniff", Err: errors.New("io_uring exists only on Linux"), Unsupported: true}
}

// Close does nothing.
func (s *Sniffer) Close() error { return nil }
