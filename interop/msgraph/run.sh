#!/usr/bin/env bash
# Runs allot's interoperability test against the official Microsoft Graph Go
# SDK (msgraph-sdk-go). Called by .ci/run as (cd interop/msgraph && ./run.sh).
#
# Cost: a cold compile of the SDK takes about 4 minutes and about 5 GB of RAM
# on a 2-core machine (about 1.2 GB of build cache); a warm run takes well
# under a minute plus the test itself. Modules come from the Go proxy.
set -euo pipefail
cd "$(dirname "$0")"
go test -count=1 -v -timeout 20m ./...
