package sqlload_test

import (
	"fmt"

	"github.com/nativego/nativego/benchkit/load/sqlload"
)

func ExampleRedactDSN() {
	fmt.Println(sqlload.RedactDSN("postgres://app:s3cret@db.internal:5432/shop?sslmode=verify-full"))
	fmt.Println(sqlload.RedactDSN("host=/run/postgresql user=app password='s3 cret' dbname=shop"))
	// Output:
	// postgres://app:xxxxx@db.internal:5432/shop?sslmode=verify-full
	// host=/run/postgresql user=app password=xxxxx dbname=shop
}

func ExampleScrub() {
	dsn := "postgres://app:s3cret@127.0.0.1/shop"
	fmt.Println(sqlload.Scrub("connect "+dsn+": password s3cret rejected", dsn))
	// Output:
	// connect postgres://app:xxxxx@127.0.0.1/shop: password xxxxx rejected
}
