package org.rightsgraph.neo4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

/**
 * Runs an embedded Neo4j DBMS with its Bolt connector on 127.0.0.1, for RightsGraph's local use.
 *
 * <p>Usage: {@code Launcher --port N --data DIR [--auth PASSWORD] [--pagecache 256m]
 * [--conf key=value]...}. Auth is off unless {@code --auth} is given, in which case the password
 * of user {@code neo4j} is set to PASSWORD. The password may also come from the environment
 * variable {@code RIGHTSGRAPH_NEO4J_AUTH} (keeps it out of the process list). Prints
 * {@value #READY} followed by the Bolt URI once Bolt is listening; shuts down cleanly on
 * SIGTERM/SIGINT.
 */
public final class Launcher {
    /** The line prefix the Python side waits for. */
    public static final String READY = "RIGHTSGRAPH-NEO4J READY";

    private Launcher() {}

    public static void main(String[] args) {
        try {
            run(args);
        } catch (Throwable e) {
            // Neo4j's own non-daemon threads would keep a half-started JVM alive: exit for real.
            System.err.println("rightsgraph-neo4j: failed: " + e);
            e.printStackTrace();
            System.err.flush();
            System.exit(1);
        }
    }

    private static void run(String[] args) throws Exception {
        int port = 7687;
        Path data = null;
        String password = System.getenv("RIGHTSGRAPH_NEO4J_AUTH");
        String pagecache = "256m";
        Map<String, String> raw = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (i + 1 >= args.length && !a.equals("--help")) {
                fail("missing value after " + a);
            }
            switch (a) {
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--data" -> data = Path.of(args[++i]).toAbsolutePath();
                case "--auth" -> password = args[++i];
                case "--pagecache" -> pagecache = args[++i];
                case "--conf" -> {
                    String kv = args[++i];
                    int eq = kv.indexOf('=');
                    if (eq <= 0) {
                        fail("--conf expects key=value, got " + kv);
                    }
                    raw.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
                case "--help" -> {
                    System.out.println(
                            "Launcher --port N --data DIR [--auth PASSWORD] [--pagecache 256m]"
                                    + " [--conf key=value]...");
                    return;
                }
                default -> fail("unknown argument " + a);
            }
        }
        if (data == null) {
            fail("--data DIR is required");
        }
        if (password != null && password.isEmpty()) {
            password = null;
        }
        Files.createDirectories(data);
        boolean auth = password != null;

        // Neo4j parses the string settings (sizes, durations) itself from a properties file.
        raw.putIfAbsent(GraphDatabaseSettings.pagecache_memory.name(), pagecache);
        secureDefaults(raw, data);
        Path conf = data.resolve("launcher.conf");
        StringBuilder lines = new StringBuilder("# written by the RightsGraph launcher at each start\n");
        raw.forEach((k, v) -> lines.append(k).append('=').append(v).append('\n'));
        Files.writeString(conf, lines);

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(data)
                .loadPropertiesFromFile(conf)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, auth)
                // No usage-data reporting, no network calls home.
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                .setConfig(GraphDatabaseInternalSettings.udc_network_enabled, false)
                // Stop Bolt's event loops at once on shutdown (default: a 5 s quiet period each).
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
                .build();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(() -> {
                    System.out.println("RIGHTSGRAPH-NEO4J stopping");
                    dbms.shutdown();
                    System.out.println("RIGHTSGRAPH-NEO4J stopped");
                    System.out.flush();
                    stopped.countDown();
                }, "rightsgraph-neo4j-shutdown"));

        if (auth) {
            try {
                dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME)
                        .executeTransactionally(
                                "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                                Map.of("password", password));
            } catch (RuntimeException e) {
                // A restart with the same password: Neo4j refuses to "change" it to itself.
                if (!String.valueOf(e.getMessage()).contains("cannot be the same")) {
                    throw e;
                }
            }
        }

        System.out.println(READY + " bolt://127.0.0.1:" + port + " auth=" + (auth ? "on" : "off")
                + " data=" + data);
        System.out.flush();
        stopped.await();
    }

    /**
     * The server's own locks (docs/security.md), each a default a {@code --conf} may override (the
     * benchmarks turn file URLs on for their own server): LOAD CSV reads no file (file URLs off, and
     * an empty import folder should they be turned on) and fetches no URL (every IPv4 and IPv6
     * address blocked), administration commands that Community would accept are blocked, and each
     * transaction is bounded in time and memory.
     */
    private static void secureDefaults(Map<String, String> raw, Path data) throws java.io.IOException {
        Path noImports = data.resolve("import");
        Files.createDirectories(noImports);
        Files.setPosixFilePermissions(noImports, PosixFilePermissions.fromString("rwx------"));
        raw.putIfAbsent(GraphDatabaseSettings.allow_file_urls.name(), "false");
        raw.putIfAbsent(GraphDatabaseSettings.load_csv_file_url_root.name(), noImports.toString());
        raw.putIfAbsent(GraphDatabaseInternalSettings.cypher_ip_blocklist.name(), "0.0.0.0/0,::/0");
        raw.putIfAbsent(GraphDatabaseSettings.transaction_timeout.name(), "15m");
        raw.putIfAbsent(GraphDatabaseSettings.memory_transaction_max_size.name(), "512m");
        for (var blocked : java.util.List.of(
                GraphDatabaseInternalSettings.block_create_drop_database,
                GraphDatabaseInternalSettings.block_start_stop_database,
                GraphDatabaseInternalSettings.block_alter_database,
                GraphDatabaseInternalSettings.block_server_management,
                GraphDatabaseInternalSettings.block_remote_alias)) {
            raw.putIfAbsent(blocked.name(), "true");
        }
    }

    private static void fail(String message) {
        System.err.println("rightsgraph-neo4j: " + message);
        System.exit(2);
    }
}
