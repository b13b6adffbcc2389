//go:build !linux && !darwin

package benchkit

import "context"

// readMachineState knows only the CPU count outside Linux and macOS.
func readMachineState(ctx context.Context, s *MachineState) error { return nil }
