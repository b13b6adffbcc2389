// Package procgroup starts a command as the leader of its own process
// group, so that cancelling it kills everything it started: a go
// command's compiler and linker, a compiler driver's children.
package procgroup
