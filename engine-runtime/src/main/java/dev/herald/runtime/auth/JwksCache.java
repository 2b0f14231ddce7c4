package dev.herald.runtime.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.Ed25519Verifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyOperation;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jose.util.Resource;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The signing keys of one JWKS source (a URL or a file), parsed by nimbus-jose-jwt into ready verifiers.
 *
 * <p>Readers take the current {@link Snapshot} from a volatile field and never lock, so verifications of tokens whose
 * key is known are never held up by a refresh. Refreshes are serialised by a lock and happen:
 * <ul>
 *   <li>on first use (the URL is not fetched at construction; a file is read at construction); {@link #keys()} waits
 *       for that first load, {@link #peek()} never waits and leaves it to a background thread,</li>
 *   <li>on demand when a token names a key the snapshot lacks ({@link #refresh(Snapshot)}), at most once per
 *       {@code minRefreshInterval} (1 s) so floods of made-up key IDs cannot hammer the JWKS endpoint, and</li>
 *   <li>in the background once the last attempt is older than {@code maxAge} (10 min), on a short-lived daemon
 *       thread started by the reader that notices; readers keep the old snapshot meanwhile.</li>
 * </ul>
 * A failed fetch or an unparsable document keeps the previous keys (and is logged). A successful refresh replaces the
 * whole snapshot, so a key dropped from the JWKS is refused from then on. A file is only re-parsed when its
 * modification time, size or identity changed.
 *
 * <p>Thread-safe.
 */
final class JwksCache {
    static final Duration DEFAULT_MIN_REFRESH_INTERVAL = Duration.ofSeconds(1);
    static final Duration DEFAULT_MAX_AGE = Duration.ofMinutes(10);
    static final int HTTP_TIMEOUT_MILLIS = 2_000;
    static final int HTTP_SIZE_LIMIT_BYTES = 1024 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(JwksCache.class);
    private static final boolean TINK_PRESENT = classPresent("com.google.crypto.tink.subtle.Ed25519Verify");

    /** Where the JWKS document comes from. Called under the cache's lock only. */
    interface Source {
        /** The current key set, or {@code null} when it is known to be unchanged since the last successful load. */
        JWKSet loadIfChanged() throws IOException, ParseException;

        String describe();
    }

    /** One usable signing key. */
    record Entry(JWK jwk, JWSVerifier verifier) {
    }

    /** An immutable set of usable keys; {@code loaded} is false until the first successful load. */
    static final class Snapshot {
        static final Snapshot EMPTY = new Snapshot(List.of(), false);

        final List<Entry> entries;
        final boolean loaded;

        Snapshot(List<Entry> entries, boolean loaded) {
            this.entries = List.copyOf(entries);
            this.loaded = loaded;
        }
    }

    private final Source source;
    private final long minRefreshNanos;
    private final long maxAgeNanos;
    private final LongSupplier ticker;
    private final ReentrantLock refreshLock = new ReentrantLock();
    private final AtomicBoolean backgroundRunning = new AtomicBoolean();
    private volatile Snapshot snapshot = Snapshot.EMPTY;
    private volatile boolean attempted;
    private volatile long lastAttemptNanos;

    JwksCache(Source source, Duration minRefreshInterval, Duration maxAge, LongSupplier ticker) {
        this.source = Objects.requireNonNull(source);
        this.minRefreshNanos = minRefreshInterval.toNanos();
        this.maxAgeNanos = maxAge.toNanos();
        this.ticker = ticker;
    }

    static Source url(String url) {
        URL parsed;
        try {
            parsed = URI.create(url).toURL();
        } catch (IllegalArgumentException | MalformedURLException e) {
            throw new IllegalArgumentException("JWKS URL '" + url + "' is not a valid URL", e);
        }
        DefaultResourceRetriever retriever =
                new DefaultResourceRetriever(HTTP_TIMEOUT_MILLIS, HTTP_TIMEOUT_MILLIS, HTTP_SIZE_LIMIT_BYTES);
        return new Source() {
            @Override
            public JWKSet loadIfChanged() throws IOException, ParseException {
                Resource resource = retriever.retrieveResource(parsed);
                return JWKSet.parse(resource.getContent());
            }

            @Override
            public String describe() {
                return url;
            }
        };
    }

    static Source file(Path file) {
        return new Source() {
            private Object lastVersion;

            @Override
            public JWKSet loadIfChanged() throws IOException, ParseException {
                BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
                List<Object> version = Arrays.asList(attrs.lastModifiedTime(), attrs.size(), attrs.fileKey());
                if (version.equals(lastVersion)) return null;
                JWKSet set = JWKSet.load(file.toFile());
                lastVersion = version;
                return set;
            }

            @Override
            public String describe() {
                return file.toString();
            }
        };
    }

    /** The current keys; loads them synchronously if no load has succeeded yet (rate-limited), and schedules a
     *  background refresh when the last attempt is older than the maximum age. */
    Snapshot keys() {
        Snapshot s = snapshot;
        if (!s.loaded) return refresh(s);
        if (backgroundDue(s, ticker.getAsLong())) refreshInBackground();
        return s;
    }

    /** The current keys without ever waiting: a missing first load or an old snapshot is (re)loaded in the
     *  background, subject to the same limits as {@link #keys()}. */
    Snapshot peek() {
        Snapshot s = snapshot;
        if (backgroundDue(s, ticker.getAsLong())) refreshInBackground();
        return s;
    }

    private boolean backgroundDue(Snapshot s, long now) {
        if (!s.loaded) return !attempted || now - lastAttemptNanos >= minRefreshNanos;
        return now - lastAttemptNanos >= maxAgeNanos;
    }

    /**
     * Refreshes because {@code seen} lacked a wanted key, and returns the newest snapshot. Does nothing (and returns
     * the newer snapshot) when another thread already replaced {@code seen}, and does not fetch when the last attempt
     * is more recent than the minimum refresh interval.
     */
    Snapshot refresh(Snapshot seen) {
        refreshLock.lock();
        try {
            Snapshot current = snapshot;
            if (current != seen) return current;
            long now = ticker.getAsLong();
            if (attempted && now - lastAttemptNanos < minRefreshNanos) return current;
            load(now);
            return snapshot;
        } finally {
            refreshLock.unlock();
        }
    }

    /** Loads now, ignoring the rate limit (start-up and tests). Returns whether a usable document was read. */
    boolean loadNow() {
        refreshLock.lock();
        try {
            return load(ticker.getAsLong());
        } finally {
            refreshLock.unlock();
        }
    }

    String describe() {
        return source.describe();
    }

    private void refreshInBackground() {
        if (!backgroundRunning.compareAndSet(false, true)) return;
        Thread t = new Thread(() -> {
            try {
                refreshLock.lock();
                try {
                    long now = ticker.getAsLong();
                    if (backgroundDue(snapshot, now)) load(now);
                } finally {
                    refreshLock.unlock();
                }
            } finally {
                backgroundRunning.set(false);
            }
        }, "herald-jwks-refresh");
        t.setDaemon(true);
        try {
            t.start();
        } catch (RuntimeException | OutOfMemoryError e) {
            backgroundRunning.set(false);
            LOG.warn("Cannot start the JWKS background refresh: {}", e.toString());
        }
    }

    /** Caller holds the lock. */
    private boolean load(long now) {
        attempted = true;
        lastAttemptNanos = now;
        JWKSet set;
        try {
            set = source.loadIfChanged();
        } catch (IOException | ParseException | RuntimeException e) {
            LOG.warn("Cannot load the JWKS from {} (keeping {} known keys): {}", source.describe(),
                    snapshot.entries.size(), e.toString());
            return false;
        }
        if (set == null) return true; // unchanged
        List<Entry> entries = new ArrayList<>();
        for (JWK jwk : set.getKeys()) {
            if (!usableForVerification(jwk)) continue;
            try {
                JWSVerifier verifier = verifierFor(jwk);
                if (verifier != null) entries.add(new Entry(jwk, verifier));
            } catch (JOSEException | RuntimeException e) {
                LOG.warn("Ignoring JWKS key {} from {}: {}", jwk.getKeyID(), source.describe(), e.getMessage());
            }
        }
        Snapshot previous = snapshot;
        snapshot = new Snapshot(entries, true);
        if (!previous.loaded || previous.entries.size() != entries.size()) {
            LOG.info("Loaded {} signing keys from the JWKS at {}", entries.size(), source.describe());
        }
        return true;
    }

    private static boolean usableForVerification(JWK jwk) {
        if (jwk.getKeyUse() != null && !KeyUse.SIGNATURE.equals(jwk.getKeyUse())) return false;
        if (jwk.getKeyOperations() != null && !jwk.getKeyOperations().contains(KeyOperation.VERIFY)) return false;
        return jwk.getKeyRevocation() == null;
    }

    /** A nimbus verifier bound to {@code jwk}, or {@code null} for key types that cannot verify signatures. */
    static JWSVerifier verifierFor(JWK jwk) throws JOSEException {
        if (jwk instanceof OctetSequenceKey oct) return new MACVerifier(oct);
        if (jwk instanceof RSAKey rsa) return new RSASSAVerifier(rsa);
        if (jwk instanceof ECKey ec) return new ECDSAVerifier(ec);
        if (jwk instanceof OctetKeyPair okp) {
            if (Curve.Ed25519.equals(okp.getCurve()) && TINK_PRESENT) return new Ed25519Verifier(okp.toPublicJWK());
            if (Curve.Ed25519.equals(okp.getCurve()) || Curve.Ed448.equals(okp.getCurve())) {
                return new JdkEdDsaVerifier(okp);
            }
        }
        return null;
    }

    private static boolean classPresent(String name) {
        try {
            Class.forName(name, false, JwksCache.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
