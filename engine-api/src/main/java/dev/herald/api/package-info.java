/**
 * Herald's public API: what plugins and embedders may depend on. Interfaces, records and the {@link dev.herald.api.ErrorCode}
 * catalogue only; every implementation lives in engine-runtime, which plugins never import.
 */
package dev.herald.api;
