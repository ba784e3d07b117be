package convert

import "testing"

// TestMentionsHost: the patterns that name a service as a network host,
// and the near misses that must not.
func TestMentionsHost(t *testing.T) {
	for _, tc := range []struct {
		text, host string
		want       bool
	}{
		{"redis-cache:6379", "redis-cache", true},
		{"redis://redis-cache:6379/0", "redis-cache", true},
		{"http://db/health", "db", true},
		{"wait-for-it -t 120 db:3306;", "db", true},
		{"rabbit@rabbit", "rabbit", true},
		{"db", "db", false},               // a bare word: envNames decides
		{"mydb:5432", "db", false},        // another host
		{"db.example.com:1", "db", false}, // another host
		{"db-replica:5432", "db", false},  // another host
		{"db: value", "db", false},        // not host:port
		{"redis://other:6379", "redis", false},
	} {
		if got := mentionsHost([]string{tc.text}, tc.host); got != tc.want {
			t.Errorf("mentionsHost(%q, %q) = %v, want %v", tc.text, tc.host, got, tc.want)
		}
	}
}
