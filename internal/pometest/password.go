package pometest

import "github.com/pomehq/pome/internal/account"

// PasswordCost is the argon2id cost of the passwords a test hashes: the
// least argon2 allows (8 KiB, one pass), so that a signup costs microseconds
// instead of 19 MiB and tens of milliseconds. Production never sets it:
// account.Config's zero cost is the production one.
var PasswordCost = account.PasswordCost{MemoryKiB: 8, Time: 1, Threads: 1}
