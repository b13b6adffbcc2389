package testenv

import "syscall"

// setDeathSignal has the kernel kill the process when the test process
// dies without running its cleanups (killed, or its output pipe closed):
// a PostgreSQL server must not outlive the test that started it. Its
// backends exit by themselves once the postmaster is gone. The kernel
// sends the signal when the thread that started the process ends;
// threads of the Go runtime end only under runtime.LockOSThread, which
// the tests do not use. Go sets it after switching credentials, which
// would otherwise clear it.
func setDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
