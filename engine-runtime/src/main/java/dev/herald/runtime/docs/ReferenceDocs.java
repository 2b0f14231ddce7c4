package dev.herald.runtime.docs;

import dev.herald.api.ErrorCode;
import dev.herald.api.plugin.ConfigKey;
import dev.herald.api.plugin.Plugin;
import dev.herald.runtime.config.ConfigCatalogue;
import dev.herald.runtime.config.HeraldConfig;
import dev.herald.runtime.plugin.PluginHost;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Generates the reference tables of the docs from the code: the configuration keys (Herald's and every plugin's),
 * and the error-code catalogue. {@code --check} compares and exits 1 when a file is stale; {@code --write} rewrites.
 * Run from the built jar, so the check needs no Maven:
 * {@code java -cp herald.jar dev.herald.runtime.docs.ReferenceDocs --check docs [--plugins-dir dir]}.
 */
public final class ReferenceDocs {
    static final String BEGIN = "<!-- generated:config (ReferenceDocs; do not edit by hand) -->";
    static final String END = "<!-- /generated:config -->";

    private ReferenceDocs() {
    }

    public static void main(String[] args) throws IOException {
        boolean write = false;
        Path docs = null;
        Path pluginsDir = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--write" -> write = true;
                case "--check" -> write = false;
                case "--plugins-dir" -> pluginsDir = Path.of(args[++i]);
                default -> docs = Path.of(args[i]);
            }
        }
        if (docs == null) {
            System.err.println("usage: ReferenceDocs --check|--write <docs folder> [--plugins-dir <folder>]");
            System.exit(2);
        }
        List<Plugin> plugins = PluginHost.pluginsIn(pluginsDir);
        List<String> stale = new ArrayList<>();
        check(docs.resolve("configuration.md"), replaceRegion(Files.readString(docs.resolve("configuration.md")), configuration(plugins)), write, stale);
        check(docs.resolve("error-codes.md"), errorCodes(), write, stale);
        if (stale.isEmpty()) {
            System.out.println("generated docs are current (" + plugins.size() + " plugin(s) documented)");
            return;
        }
        stale.forEach(s -> System.err.println("stale: " + s + " (regenerate: java -cp herald.jar " + ReferenceDocs.class.getName()
                + " --write docs --plugins-dir dist/standalone/target/plugins)"));
        System.exit(1);
    }

    private static void check(Path file, String expected, boolean write, List<String> stale) throws IOException {
        String actual = Files.isRegularFile(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        if (actual.equals(expected)) return;
        if (write) {
            Files.writeString(file, expected, StandardCharsets.UTF_8);
            System.out.println("wrote " + file);
        } else {
            stale.add(file.toString());
        }
    }

    static String replaceRegion(String doc, String region) {
        int b = doc.indexOf(BEGIN);
        int e = doc.indexOf(END);
        if (b < 0 || e < b) throw new IllegalStateException("configuration.md lacks the markers " + BEGIN + " ... " + END);
        return doc.substring(0, b) + BEGIN + "\n" + region + END + doc.substring(e + END.length());
    }

    /** The configuration tables: Herald's keys by group, then each plugin's keys. */
    public static String configuration(List<Plugin> plugins) {
        StringBuilder sb = new StringBuilder();
        for (ConfigCatalogue.Group g : ConfigCatalogue.GROUPS) {
            sb.append("\n### ").append(g.title()).append("\n\n| Environment variable | Key | Default | Meaning |\n|---|---|---|---|\n");
            for (ConfigCatalogue.Entry e : g.entries()) {
                sb.append("| `").append(e.env()).append("` | `").append(e.key()).append("` | ").append(e.defaultValue()).append(" | ")
                        .append(cell(e.help())).append(" |\n");
            }
        }
        sb.append("\n### Plugins' own keys\n\nEvery plugin also has `HERALD_PLUGINS_<ID>_ENABLED` (default `true`).\n");
        List<Plugin> sorted = new ArrayList<>(plugins);
        sorted.sort(Comparator.comparing(Plugin::id));
        for (Plugin p : sorted) {
            sb.append("\n#### ").append(p.id()).append(p.description().isEmpty() ? "" : " — " + p.description()).append("\n\n");
            if (p.configKeys().isEmpty()) {
                sb.append("No settings besides `enabled`.\n");
                continue;
            }
            sb.append("| Environment variable | Type | Default | Meaning |\n|---|---|---|---|\n");
            for (ConfigKey k : p.configKeys()) {
                String full = "herald.plugins." + p.id() + "." + k.name();
                sb.append("| `").append(HeraldConfig.envName(full)).append("` | ").append(k.type().name().toLowerCase())
                        .append(" | ").append(k.secret() ? "secret" : k.defaultValue() == null || k.defaultValue().isEmpty() ? (k.required() ? "required" : "none") : "`" + k.defaultValue() + "`")
                        .append(" | ").append(cell(k.help())).append(" |\n");
            }
        }
        sb.append("\n");
        return sb.toString();
    }

    /** docs/error-codes.md. */
    public static String errorCodes() {
        StringBuilder sb = new StringBuilder()
                .append("# Error codes\n\n")
                .append("Generated from `dev.herald.api.ErrorCode` by `ReferenceDocs`; do not edit by hand.\n\n")
                .append("Join error replies carry `Code: message`; channel shutdowns (`system` event) and refused upgrades carry\n")
                .append("the message alone. Every entry is counted in `herald_drops_total{reason=\"<metric tag>\"}`.\n\n")
                .append("| Metric tag | Code | Message |\n|---|---|---|\n");
        for (ErrorCode c : ErrorCode.values()) {
            sb.append("| `").append(c.tag()).append("` | ").append(c.code() == null ? "—" : "`" + c.code() + "`")
                    .append(" | ").append(cell(c.message())).append(" |\n");
        }
        return sb.toString();
    }

    private static String cell(String s) {
        return s.replace("|", "\\|").replace("\n", " ");
    }
}
