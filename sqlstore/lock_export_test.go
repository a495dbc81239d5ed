package sqlstore

// LockKey exposes lockKey to the tests of package sqlstore_test, which take
// a step's lock as another process would.
var LockKey = lockKey
