package benchkit

import (
	"testing"

	"github.com/nativego/nativego/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }
