//go:build unix && !linux && !darwin

package benchkit

// maxrssUnitOS: the BSDs and Solaris report ru_maxrss in kilobytes.
const maxrssUnitOS = 1024
