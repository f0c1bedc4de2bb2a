// Package pome is the domain of the Pome API key service: users, teams, roles,
// API keys and their format, the error type every layer speaks, and the Store
// interface that storage backends implement. It imports only the standard library.
package pome
