package dev.herald.runtime.admin;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.InputStream;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.UriInfo;
import java.util.Locale;
import java.util.Map;

/**
 * Serves the admin console (the {@code admin-console} module's files under {@code META-INF/resources/admin/} on the
 * class path) at {@code /admin/}. The same resource works in the standalone server and in the WAR. The console's
 * data comes from {@link AdminResource}, which checks the admin credential; the static files carry no secret.
 */
@Path("/admin")
@ApplicationScoped
public class ConsoleResource {
    static final String ROOT = "META-INF/resources/admin/";
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "mjs", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "svg", "image/svg+xml",
            "png", "image/png",
            "ico", "image/x-icon",
            "json", "application/json");

    @GET
    public Response root(@Context UriInfo uri) {
        // "/admin" and "/admin/" both land here; relative URLs in the page need the slash.
        if (uri.getRequestUri().getPath().endsWith("/")) return file("");
        return Response.status(308).location(uri.getBaseUriBuilder().path("admin/").build()).build();
    }

    @GET
    @Path("{file: (?!api/).*}")
    public Response file(@PathParam("file") String file) {
        String name = file == null || file.isEmpty() ? "index.html" : file;
        if (name.contains("..") || name.contains("\\") || name.startsWith("/")) return Response.status(404).build();
        String ext = name.contains(".") ? name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT) : "";
        String type = TYPES.get(ext);
        if (type == null) return Response.status(404).build();
        ClassLoader loader = ConsoleResource.class.getClassLoader();
        try (InputStream in = loader.getResourceAsStream(ROOT + name)) {
            if (in == null) return Response.status(404).type("text/plain").entity("not found: /admin/" + name).build();
            return Response.ok(in.readAllBytes(), type)
                    .header("Cache-Control", "no-cache")
                    .header("X-Content-Type-Options", "nosniff")
                    .header("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'")
                    .build();
        } catch (IOException e) {
            return Response.serverError().build();
        }
    }
}
