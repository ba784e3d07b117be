package convert

import "testing"

// TestRewriteHost: only mentions that are clearly a host are rewritten
// (issue 9, kind 7).
func TestRewriteHost(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in, varName, want string
		rewrote, other          bool
	}{
		{name: "url authority", in: "postgres://u:p@orders_db/app", want: "postgres://u:p@orders-db/app", rewrote: true},
		{name: "scheme host", in: "http://orders_db/", want: "http://orders-db/", rewrote: true},
		{name: "host and port", in: "orders_db:5432", want: "orders-db:5432", rewrote: true},
		{name: "host option", in: "pg_isready -h orders_db -d orders_db", want: "pg_isready -h orders-db -d orders_db", rewrote: true, other: true},
		{name: "host variable", in: "orders_db", varName: "DB_HOST", want: "orders-db", rewrote: true},
		{name: "database name", in: "orders_db", varName: "POSTGRES_DB", want: "orders_db", other: true},
		{name: "part of a word", in: "my_orders_db_x", want: "my_orders_db_x"},
		{name: "longer host", in: "http://orders_db.example.com/", want: "http://orders_db.example.com/"},
		{name: "absent", in: "nothing here", want: "nothing here"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, rewrote, other := rewriteHost(tc.in, "orders_db", "orders-db", tc.varName)
			if got != tc.want || rewrote != tc.rewrote || other != tc.other {
				t.Errorf("rewriteHost(%q) = %q, %v, %v; want %q, %v, %v", tc.in, got, rewrote, other, tc.want, tc.rewrote, tc.other)
			}
		})
	}
}
