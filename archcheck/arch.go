package archcheck

import (
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"fmt"
)

// Architectures are named twice. Arch is Go's GOARCH name ("arm64",
// "amd64"), the vocabulary of build constraints and of host facts; it is
// empty for CPUs Go has no port for. CPU is the exact name the platform's
// own tools use ("arm64e", "x86_64h", "aarch64", "armv7"), kept because the
// loader chooses between slices on it.

// Mach-O CPU subtypes, from xnu osfmk/mach/machine.h. The top byte of a
// subtype holds capability bits (CPU_SUBTYPE_MASK 0xff000000; for arm64e
// the pointer-authentication ABI version), so subtypes are compared after
// masking with machoSubtypeMask.
const (
	machoSubtypeMask = 0x00ffffff

	machoCPUArm64_32 macho.Cpu = 0x0200000c // CPU_TYPE_ARM | CPU_ARCH_ABI64_32 (watchOS)

	subtypeX86_64All = 3
	subtypeX86_64H   = 8 // Haswell and later
	subtypeArm64All  = 0
	subtypeArm64V8   = 1
	subtypeArm64E    = 2
	subtypeArmV6     = 6
	subtypeArmV7     = 9
	subtypeArmV7S    = 11
	subtypeArmV7K    = 12
)

// machoArch names a Mach-O cputype/cpusubtype pair.
func machoArch(cpu macho.Cpu, subtype uint32) (goarch, name string) {
	sub := subtype & machoSubtypeMask
	switch cpu {
	case macho.CpuAmd64:
		if sub == subtypeX86_64H {
			return "amd64", "x86_64h"
		}
		return "amd64", "x86_64"
	case macho.CpuArm64:
		switch sub {
		case subtypeArm64E:
			return "arm64", "arm64e"
		case subtypeArm64V8:
			return "arm64", "arm64v8"
		}
		return "arm64", "arm64"
	case machoCPUArm64_32:
		return "", "arm64_32"
	case macho.Cpu386:
		return "386", "i386"
	case macho.CpuArm:
		switch sub {
		case subtypeArmV6:
			return "arm", "armv6"
		case subtypeArmV7:
			return "arm", "armv7"
		case subtypeArmV7S:
			return "arm", "armv7s"
		case subtypeArmV7K:
			return "arm", "armv7k"
		}
		return "arm", "arm"
	case macho.CpuPpc:
		return "ppc", "ppc"
	case macho.CpuPpc64:
		return "ppc64", "ppc64"
	}
	return "", fmt.Sprintf("cputype(%#x)", uint32(cpu))
}

// elfArch names an ELF e_machine, which alone does not say word size or
// byte order: MIPS, POWER and RISC-V share a machine number across them.
func elfArch(m elf.Machine, class elf.Class, data elf.Data) (goarch, name string) {
	is64 := class == elf.ELFCLASS64
	little := data == elf.ELFDATA2LSB
	switch m {
	case elf.EM_X86_64:
		if !is64 {
			return "amd64p32", "x32"
		}
		return "amd64", "x86_64"
	case elf.EM_AARCH64:
		if !little {
			return "arm64be", "aarch64_be"
		}
		return "arm64", "aarch64"
	case elf.EM_386:
		return "386", "i386"
	case elf.EM_ARM:
		if !little {
			return "armbe", "armeb"
		}
		return "arm", "arm"
	case elf.EM_PPC64:
		if little {
			return "ppc64le", "ppc64le"
		}
		return "ppc64", "ppc64"
	case elf.EM_PPC:
		return "ppc", "ppc"
	case elf.EM_S390:
		if is64 {
			return "s390x", "s390x"
		}
		return "s390", "s390"
	case elf.EM_RISCV:
		if is64 {
			return "riscv64", "riscv64"
		}
		return "riscv", "riscv32"
	case elf.EM_MIPS, elf.EM_MIPS_RS3_LE:
		switch {
		case is64 && little:
			return "mips64le", "mips64el"
		case is64:
			return "mips64", "mips64"
		case little:
			return "mipsle", "mipsel"
		}
		return "mips", "mips"
	case elf.EM_LOONGARCH:
		if is64 {
			return "loong64", "loongarch64"
		}
		return "", "loongarch32"
	case elf.EM_SPARCV9:
		return "sparc64", "sparc64"
	case elf.EM_SPARC:
		return "sparc", "sparc"
	case elf.EM_IA_64:
		return "", "ia64"
	}
	return "", fmt.Sprintf("e_machine(%d)", uint16(m))
}

// PE machine types not named by debug/pe, from the PE format
// specification (Microsoft Learn, "PE Format", Machine Types).
const (
	peMachineARM64EC = 0xa641 // ARM64 code emulation compatible: arm64 code that interoperates with x64
	peMachineARM64X  = 0xa64e // a hybrid image holding both ARM64 and ARM64EC code
)

// peArch names a PE/COFF machine type.
func peArch(m uint16) (goarch, name string) {
	switch m {
	case pe.IMAGE_FILE_MACHINE_AMD64:
		return "amd64", "x86_64"
	case pe.IMAGE_FILE_MACHINE_ARM64:
		return "arm64", "arm64"
	case peMachineARM64EC:
		return "arm64", "arm64ec"
	case peMachineARM64X:
		return "arm64", "arm64x"
	case pe.IMAGE_FILE_MACHINE_I386:
		return "386", "i386"
	case pe.IMAGE_FILE_MACHINE_ARMNT:
		return "arm", "armv7"
	case pe.IMAGE_FILE_MACHINE_ARM, pe.IMAGE_FILE_MACHINE_THUMB:
		return "arm", "arm"
	case pe.IMAGE_FILE_MACHINE_RISCV64:
		return "riscv64", "riscv64"
	case pe.IMAGE_FILE_MACHINE_LOONGARCH64:
		return "loong64", "loongarch64"
	case pe.IMAGE_FILE_MACHINE_IA64:
		return "", "ia64"
	}
	return "", fmt.Sprintf("machine(%#x)", m)
}
