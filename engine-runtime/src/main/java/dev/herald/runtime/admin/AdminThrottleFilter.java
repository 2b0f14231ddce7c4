package dev.herald.runtime.admin;

import dev.herald.api.ErrorCode;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.ext.Provider;

/**
 * Applies the {@link LoginThrottle} to every admin API call that carries HTTP Basic credentials (they can guess the
 * password on any endpoint, not only at login): while the caller's address or the whole API is throttled such calls
 * answer 429 with {@code Retry-After} without being checked; a refused credential counts as a failure, an accepted
 * one clears its address. Calls without a credential, or with a session token, are not counted. Login itself takes its turn in
 * {@link AdminResource#login}. Thread-safe.
 */
@Provider
public class AdminThrottleFilter implements ContainerRequestFilter, ContainerResponseFilter {
    /** Request property with the client's address, set by the host (standalone server, servlet filter). */
    public static final String REMOTE_ADDRESS = "herald.remote-address";
    private static final String COUNTED = "herald.admin-throttle.counted";

    @Inject
    AdminConsole console;

    static String address(ContainerRequestContext request) {
        Object a = request.getProperty(REMOTE_ADDRESS);
        return a == null ? "unknown" : a.toString();
    }

    private static boolean applies(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (path.startsWith("/")) path = path.substring(1);
        String auth = request.getHeaderString("authorization");
        // Session tokens are 256 random bits, not worth guessing: the console's calls go on during an attack.
        return path.startsWith("admin/api/") && !path.equals("admin/api/login") && auth != null
                && auth.strip().regionMatches(true, 0, "basic ", 0, 6);
    }

    @Override
    public void filter(ContainerRequestContext request) {
        if (!applies(request) || !console.adminAccess().enabled()) return;
        long wait = console.loginThrottle().waitMs(address(request));
        if (wait > 0) {
            console.metrics().drop(ErrorCode.ADMIN_LOGIN_THROTTLED);
            request.abortWith(AdminResource.tooManyAttempts(wait));
            return;
        }
        request.setProperty(COUNTED, Boolean.TRUE);
    }

    @Override
    public void filter(ContainerRequestContext request, ContainerResponseContext response) {
        if (request.getProperty(COUNTED) == null) return;
        if (response.getStatus() == 401) console.loginThrottle().reserve(address(request));
        else if (response.getStatus() < 400) console.loginThrottle().succeeded(address(request));
    }
}
