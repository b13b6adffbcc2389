//go:build linux

package benchkit

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Taskstats exit records arrive as generic netlink messages
// (include/uapi/linux/netlink.h, genetlink.h, taskstats.h;
// kernel/taskstats.c taskstats_exit and mk_reply):
//
//	nlmsghdr (16 bytes) | genlmsghdr (4 bytes, cmd TASKSTATS_CMD_NEW) |
//	[TASKSTATS_TYPE_NULL padding, only on 64-bit arches without efficient
//	 unaligned access] |
//	TASKSTATS_TYPE_AGGR_PID { TASKSTATS_TYPE_PID u32, TASKSTATS_TYPE_STATS struct taskstats } |
//	[TASKSTATS_TYPE_AGGR_TGID { TASKSTATS_TYPE_TGID u32, TASKSTATS_TYPE_STATS }, when the last
//	 thread of a multi-threaded process exits]
//
// The per-thread group aggregate holds delay accounting only (fill_tgid_exit),
// no memory figures, so only the per-task record is read.

// Offsets into struct taskstats, from golang.org/x/sys/unix's copy of the
// header for this GOARCH. The kernel only appends fields, except that
// version 15 inserted the delay max/min fields in the middle and version
// 16 moved them to the end again; ac_tgid arrived in version 12.
const (
	tsOffVersion = unsafe.Offsetof(unix.Taskstats{}.Version)
	tsOffPID     = unsafe.Offsetof(unix.Taskstats{}.Ac_pid)
	tsOffHiwater = unsafe.Offsetof(unix.Taskstats{}.Hiwater_rss)
	tsOffTGID    = unsafe.Offsetof(unix.Taskstats{}.Ac_tgid)

	// tsMinLen is how much of struct taskstats must be present to
	// read all of the above.
	tsMinLen = max(tsOffTGID+4, tsOffHiwater+8, tsOffPID+4)

	tsFirstTGIDVersion = 12
	tsShuffledVersion  = 15
)

// Netlink framing sizes (include/uapi/linux/netlink.h, genetlink.h):
// struct nlmsghdr is len u32, type u16, flags u16, seq u32, pid u32;
// struct genlmsghdr is cmd u8, version u8, reserved u16; struct nlattr
// is len u16, type u16. Messages and attributes are padded to 4 bytes.
const (
	nlmsgHdrLen = unix.NLMSG_HDRLEN
	genlHdrLen  = unix.GENL_HDRLEN
	nlaHdrLen   = 4
	nlaTypeMask = 0x3fff // ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER)
)

func nlAlign(n int) int { return (n + 3) &^ 3 }

// A taskExit is what benchkit reads from one task's exit record.
type taskExit struct {
	version    uint16
	pid, tgid  uint32 // in the initial PID namespace
	hiwaterKiB uint64 // the address space's high-water RSS when the task exited
}

// A netlinkError reports a malformed netlink message: Off is the byte
// offset in the datagram where the problem was found.
type netlinkError struct {
	Off int
	Msg string
}

func (e *netlinkError) Error() string {
	return fmt.Sprintf("benchkit: malformed netlink message at offset %d: %s", e.Off, e.Msg)
}

// A netlinkStatus is the error code of an NLMSG_ERROR message (an
// acknowledgement when 0).
type netlinkStatus struct {
	seq   uint32
	errno unix.Errno // 0 for an acknowledgement
}

// nlMessages calls fn with the type, sequence number, offset and payload
// of each netlink message in the datagram b. Every length is checked
// against what b holds; a message that does not fit ends the walk with
// a *netlinkError.
func nlMessages(b []byte, fn func(typ uint16, seq uint32, off int, payload []byte) error) error {
	off := 0
	for len(b)-off >= nlmsgHdrLen {
		n := int(binary.NativeEndian.Uint32(b[off:]))
		if n < nlmsgHdrLen || n > len(b)-off {
			return &netlinkError{off, fmt.Sprintf("message length %d, %d bytes left", n, len(b)-off)}
		}
		typ := binary.NativeEndian.Uint16(b[off+4:])
		seq := binary.NativeEndian.Uint32(b[off+8:])
		if err := fn(typ, seq, off+nlmsgHdrLen, b[off+nlmsgHdrLen:off+n]); err != nil {
			return err
		}
		off += min(nlAlign(n), len(b)-off)
	}
	if off != len(b) {
		return &netlinkError{off, fmt.Sprintf("%d trailing bytes", len(b)-off)}
	}
	return nil
}

// nlAttrs calls fn with the type (flags masked off), offset and payload
// of each attribute in b, which starts at offset base of the datagram.
func nlAttrs(b []byte, base int, fn func(typ uint16, off int, payload []byte) error) error {
	off := 0
	for len(b)-off >= nlaHdrLen {
		n := int(binary.NativeEndian.Uint16(b[off:]))
		if n < nlaHdrLen || n > len(b)-off {
			return &netlinkError{base + off, fmt.Sprintf("attribute length %d, %d bytes left", n, len(b)-off)}
		}
		typ := binary.NativeEndian.Uint16(b[off+2:]) & nlaTypeMask
		if err := fn(typ, base+off+nlaHdrLen, b[off+nlaHdrLen:off+n]); err != nil {
			return err
		}
		off += min(nlAlign(n), len(b)-off)
	}
	if off != len(b) {
		return &netlinkError{base + off, fmt.Sprintf("%d trailing bytes in attributes", len(b)-off)}
	}
	return nil
}

// parseTaskstats reads one datagram from a taskstats socket whose
// family ID is family. It calls rec for each per-task record and status
// for each NLMSG_ERROR (acknowledgement or failure of a request); other
// messages are skipped. Records of a struct version whose layout is not
// known (before 12, or 15) are reported with only their version set.
func parseTaskstats(b []byte, family uint16, rec func(taskExit), status func(netlinkStatus)) error {
	return nlMessages(b, func(typ uint16, seq uint32, off int, p []byte) error {
		switch typ {
		case unix.NLMSG_ERROR:
			// struct nlmsgerr: int error, then the request's header.
			if len(p) < 4 {
				return &netlinkError{off, "short NLMSG_ERROR"}
			}
			code := int32(binary.NativeEndian.Uint32(p))
			if code > 0 || code < -4095 {
				return &netlinkError{off, fmt.Sprintf("error code %d out of range", code)}
			}
			if status != nil {
				status(netlinkStatus{seq: seq, errno: unix.Errno(-code)})
			}
			return nil
		case family:
		default:
			return nil // NLMSG_NOOP, NLMSG_DONE, another family: not ours to read
		}
		if len(p) < genlHdrLen {
			return &netlinkError{off, "short generic netlink header"}
		}
		if p[0] != unix.TASKSTATS_CMD_NEW {
			return nil
		}
		return nlAttrs(p[genlHdrLen:], off+genlHdrLen, func(typ uint16, off int, p []byte) error {
			if typ != unix.TASKSTATS_TYPE_AGGR_PID {
				return nil // padding, or the thread group aggregate
			}
			var r taskExit
			var stats []byte
			sawPID := false
			err := nlAttrs(p, off, func(typ uint16, off int, p []byte) error {
				switch typ {
				case unix.TASKSTATS_TYPE_PID:
					if len(p) != 4 {
						return &netlinkError{off, fmt.Sprintf("pid attribute of %d bytes", len(p))}
					}
					r.pid, sawPID = binary.NativeEndian.Uint32(p), true
				case unix.TASKSTATS_TYPE_STATS:
					stats = p
				}
				return nil
			})
			if err != nil {
				return err
			}
			if !sawPID || len(stats) < int(tsOffVersion)+2 {
				return &netlinkError{off, "per-task record without pid or stats"}
			}
			r.version = binary.NativeEndian.Uint16(stats[tsOffVersion:])
			if r.version < tsFirstTGIDVersion || r.version == tsShuffledVersion {
				rec(taskExit{version: r.version})
				return nil
			}
			if len(stats) < int(tsMinLen) {
				return &netlinkError{off, fmt.Sprintf("struct taskstats version %d of %d bytes, want at least %d", r.version, len(stats), tsMinLen)}
			}
			if pid := binary.NativeEndian.Uint32(stats[tsOffPID:]); pid != r.pid {
				return &netlinkError{off, fmt.Sprintf("record for pid %d holds ac_pid %d", r.pid, pid)}
			}
			r.tgid = binary.NativeEndian.Uint32(stats[tsOffTGID:])
			r.hiwaterKiB = binary.NativeEndian.Uint64(stats[tsOffHiwater:])
			rec(r)
			return nil
		})
	})
}

// parseFamilyID finds CTRL_ATTR_FAMILY_ID in the reply to
// CTRL_CMD_GETFAMILY (include/uapi/linux/genetlink.h), or the request's
// error.
func parseFamilyID(b []byte) (uint16, error) {
	var id uint16
	var errno unix.Errno
	err := nlMessages(b, func(typ uint16, seq uint32, off int, p []byte) error {
		switch typ {
		case unix.NLMSG_ERROR:
			if len(p) < 4 {
				return &netlinkError{off, "short NLMSG_ERROR"}
			}
			errno = unix.Errno(-int32(binary.NativeEndian.Uint32(p)))
			return nil
		case unix.GENL_ID_CTRL:
		default:
			return nil
		}
		if len(p) < genlHdrLen {
			return &netlinkError{off, "short generic netlink header"}
		}
		return nlAttrs(p[genlHdrLen:], off+genlHdrLen, func(typ uint16, off int, p []byte) error {
			if typ == unix.CTRL_ATTR_FAMILY_ID {
				if len(p) != 2 {
					return &netlinkError{off, fmt.Sprintf("family id attribute of %d bytes", len(p))}
				}
				id = binary.NativeEndian.Uint16(p)
			}
			return nil
		})
	})
	switch {
	case err != nil:
		return 0, err
	case errno != 0:
		return 0, errno
	case id == 0:
		return 0, &netlinkError{0, "no family id in the reply"}
	}
	return id, nil
}
