package dev.herald.runtime;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.domain.JavaType;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package layers of engine-runtime, as drawn in docs/architecture.md. A package may use only the packages of its
 * own layer and of the layers below it:
 *
 * <pre>
 *   web                  the Jakarta EE edge: WebSocket endpoint, JAX-RS resources and filters
 *   boot                 Engine and EngineBootstrap: the components, the engine state, the boot steps
 *   admin                the admin API; it sees the engine through AdminConsole; web registers it
 *   plugin               the plugin host and the context plugins see
 *   core                 sessions, channels, broadcast, presence, the broker
 *   cdc                  postgres_changes: the change feed, row gate and subscription index
 *   leaves               protocol, auth, limits, metrics, policy, config, db
 * </pre>
 *
 * {@code docs} (the reference-docs generator run by scripts/check-docs.sh) reads the plugin catalogue and the config
 * catalogue, so it sits on top of plugin and nothing may use it. Plugins never see engine-runtime: the enforcer rule of
 * plugins/pom.xml bans the dependency, so a plugin importing a runtime class does not compile. engine-api has its own
 * enforcer rule; {@link #engineApiNeverUsesTheRuntime()} also checks its classes on this classpath.
 */
class ArchitectureTest {

    private static final String RUNTIME = "dev.herald.runtime";

    private static JavaClasses runtime;

    @BeforeAll
    static void importClasses() {
        runtime = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages(RUNTIME);
    }

    @Test
    void packagesFormLayers() {
        layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .withOptionalLayers(true)
                .layer("leaves").definedBy(RUNTIME + ".protocol..", RUNTIME + ".auth..", RUNTIME + ".limits..",
                        RUNTIME + ".metrics..", RUNTIME + ".policy..", RUNTIME + ".config..", RUNTIME + ".db..")
                .layer("cdc").definedBy(RUNTIME + ".cdc..")
                .layer("core").definedBy(RUNTIME + ".core..")
                .layer("plugin").definedBy(RUNTIME + ".plugin..")
                .layer("admin").definedBy(RUNTIME + ".admin..")
                .layer("boot").definedBy(RUNTIME + ".boot..")
                .layer("web").definedBy(RUNTIME + ".web..")
                .layer("docs").definedBy(RUNTIME + ".docs..")
                .whereLayer("web").mayNotBeAccessedByAnyLayer()
                .whereLayer("docs").mayNotBeAccessedByAnyLayer()
                .whereLayer("boot").mayOnlyBeAccessedByLayers("web")
                .whereLayer("admin").mayOnlyBeAccessedByLayers("boot", "web")
                .whereLayer("plugin").mayOnlyBeAccessedByLayers("admin", "boot", "web", "docs")
                .whereLayer("core").mayOnlyBeAccessedByLayers("plugin", "admin", "boot", "web")
                .whereLayer("cdc").mayOnlyBeAccessedByLayers("core", "plugin", "admin", "boot", "web")
                .check(runtime);
    }

    @Test
    void packagesAreFreeOfCycles() {
        slices().matching(RUNTIME + ".(*)..").should().beFreeOfCycles().check(runtime);
    }

    /**
     * The Jakarta EE web APIs stay at the edge: JAX-RS in web and admin (REST layers) and in plugin, whose context hands
     * plugins a JAX-RS 401 for their own resources; WebSocket and servlet in web only.
     */
    @Test
    void webApisStayAtTheEdge() {
        noClasses().that().resideOutsideOfPackages(RUNTIME + ".web..", RUNTIME + ".admin..", RUNTIME + ".plugin..")
                .should().dependOnClassesThat().resideInAPackage("jakarta.ws.rs..")
                .check(runtime);
        noClasses().that().resideOutsideOfPackage(RUNTIME + ".web..")
                .should().dependOnClassesThat().resideInAnyPackage("jakarta.websocket..", "jakarta.servlet..")
                .check(runtime);
    }

    @Test
    void engineApiNeverUsesTheRuntime() {
        JavaClasses api = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.herald.api");
        noClasses().should().dependOnClassesThat().resideInAPackage(RUNTIME + "..").check(api);
    }

    /**
     * What a plugin author sees in engine-api signatures: the API's own types, the JDK, and a Jakarta type only where
     * an optional interface needs it (JPA in {@code UsesJpa}, WebSocket in {@code SocketEndpoint}). No runtime type, no
     * JAX-RS type (a plugin's REST resource gets the verified caller, never headers), no third-party library.
     */
    @Test
    void engineApiSignaturesShowOnlyTheApiTheJdkAndTheirOwnJakartaTypes() {
        JavaClasses api = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.herald.api");
        Set<String> jdk = Set.of("java.lang", "java.util", "java.util.function", "java.time", "javax.sql");
        Map<String, Set<String>> jakartaOnlyIn = Map.of(
                "jakarta.persistence", Set.of("dev.herald.api.plugin.UsesJpa"),
                "jakarta.websocket", Set.of("dev.herald.api.plugin.SocketEndpoint"));
        List<String> violations = new ArrayList<>();
        for (JavaClass c : api) {
            if (!c.getModifiers().contains(JavaModifier.PUBLIC)) continue;
            List<JavaType> shown = new ArrayList<>();
            List<String> where = new ArrayList<>();
            for (JavaCodeUnit m : c.getCodeUnits()) {
                if (!m.getModifiers().contains(JavaModifier.PUBLIC) && !c.isInterface()) continue;
                if (m.getModifiers().contains(JavaModifier.SYNTHETIC) || m.getModifiers().contains(JavaModifier.PRIVATE)) continue;
                m.getParameterTypes().forEach(t -> { shown.add(t); where.add(m.getFullName()); });
                shown.add(m.getReturnType());
                where.add(m.getFullName());
            }
            for (JavaField f : c.getFields()) {
                if (!f.getModifiers().contains(JavaModifier.PUBLIC)) continue;
                shown.add(f.getType());
                where.add(f.getFullName());
            }
            for (int i = 0; i < shown.size(); i++) {
                for (JavaClass t : shown.get(i).getAllInvolvedRawTypes()) {
                    JavaClass base = t.isArray() ? t.getBaseComponentType() : t;
                    if (base.isPrimitive()) continue;
                    String pkg = base.getPackageName();
                    boolean allowed = pkg.startsWith("dev.herald.api") || jdk.contains(pkg)
                            || jakartaOnlyIn.getOrDefault(pkg, Set.of()).contains(c.getName());
                    if (!allowed) violations.add(where.get(i) + " shows " + base.getName());
                }
            }
        }
        assertEquals(List.of(), violations, "engine-api signatures may show only API, JDK and their own Jakarta types");
    }
}
