package dev.herald.runtime.web;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.Provider;

/**
 * Open CORS, as the reference server has: browsers may call the REST API from any origin with the headers
 * supabase-js sends. Preflights are answered here, before resource matching. The admin API and console are the
 * exception: no CORS at all, so a web page in the operator's browser can neither read admin answers nor send the
 * JSON a login needs.
 */
@Provider
@PreMatching
public class CorsFilter implements ContainerRequestFilter, ContainerResponseFilter {
    static final String ALLOW_HEADERS = "apikey, authorization, content-type, x-client-info, x-api-key";
    static final String ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS";

    @Override
    public void filter(ContainerRequestContext request) {
        if (isAdmin(request)) return;
        if ("OPTIONS".equals(request.getMethod())) {
            request.abortWith(Response.noContent().build());
        }
    }

    @Override
    public void filter(ContainerRequestContext request, ContainerResponseContext response) {
        if (isAdmin(request)) return;
        MultivaluedMap<String, Object> h = response.getHeaders();
        h.putSingle("Access-Control-Allow-Origin", "*");
        if ("OPTIONS".equals(request.getMethod())) {
            String requested = request.getHeaderString("Access-Control-Request-Headers");
            h.putSingle("Access-Control-Allow-Headers", requested != null && !requested.isBlank() ? requested : ALLOW_HEADERS);
            h.putSingle("Access-Control-Allow-Methods", ALLOW_METHODS);
            h.putSingle("Access-Control-Max-Age", "86400");
        }
    }

    private static boolean isAdmin(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (path.startsWith("/")) path = path.substring(1);
        return path.equals("admin") || path.startsWith("admin/");
    }
}
