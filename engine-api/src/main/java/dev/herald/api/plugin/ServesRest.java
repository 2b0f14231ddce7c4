package dev.herald.api.plugin;

import dev.herald.api.policy.Principal;

/**
 * A plugin with a REST API at {@code /plugins/<id>}.
 *
 * <h2>Authentication</h2>
 * Herald verifies the caller's JWT ({@code Authorization: Bearer <jwt>}, or the {@code apikey} header) before any
 * plugin code runs; a missing or invalid token gets HTTP 401 with a JSON body naming the error code, and the plugin
 * never sees that request. The plugin receives the verified caller, never the raw headers.
 *
 * <h2>The resource</h2>
 * {@link #restResource(Principal)} is called once per request with that caller and returns the object that serves it:
 * a Jakarta REST sub-resource, i.e. a plain object whose methods carry {@code @GET}, {@code @POST}, {@code @Path},
 * {@code @Produces}… (no class-level {@code @Path}, no field injection). Make it cheap, e.g. a small object holding
 * the caller and the plugin's long-lived services. Records, maps and lists are read and written as JSON.
 */
public interface ServesRest extends Plugin {
    /**
     * The resource serving one request of {@code caller}. Called on the request's thread, concurrently for concurrent
     * requests, from {@link Plugin#start} until {@link Plugin#close}.
     *
     * @param caller who is calling, verified
     * @return the sub-resource; never null
     */
    Object restResource(Principal caller);
}
