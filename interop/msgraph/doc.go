// Package msgraph holds allot's interoperability test against the official
// Microsoft Graph Go SDK (msgraph-sdk-go). It is a separate module so the
// main build never compiles the SDK; the package itself has no code.
package msgraph
