package benchkit

// maxrssUnitOS: macOS reports ru_maxrss in bytes (getrusage(2) on
// macOS: "ru_maxrss the maximum resident set size utilized (in bytes)").
const maxrssUnitOS = 1
