import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;

import de.bwaldvogel.mongo.bson.Document;
import io.netty.channel.Channel;

import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * The MongoDB-wire-protocol server of local runs and tests: mongo-java-server on 127.0.0.1.
 *
 *   java DocumentServer memory PORT        everything in memory (tests, benchmarks)
 *   java DocumentServer h2 PORT FILE       kept in an H2 MVStore file (make dev)
 *
 * Loopback only: the server has no authentication.
 *
 * With h2, every write command is committed to the file before it is acknowledged (H2 by itself
 * commits about once a second, so a SIGKILL lost the last second of acknowledged writes). A kill
 * of the process loses no acknowledged write; a crash of the machine or a power loss still may:
 * the commit leaves the file's pages to the operating system and does not wait for an fsync.
 * SIGTERM runs the shutdown hook: the server stops accepting, lets the requests in flight finish,
 * then the backend is closed.
 */
public final class DocumentServer {
    public static void main(String[] args) throws InterruptedException {
        if (args.length < 2 || !(args[0].equals("memory") && args.length == 2 || args[0].equals("h2") && args.length == 3)
                || !args[1].matches("[0-9]{1,5}")) {
            System.err.println("usage: DocumentServer memory PORT | DocumentServer h2 PORT FILE");
            System.exit(2);
        }
        MongoBackend backend = args[0].equals("h2") ? new CommittingH2Backend(args[2]) : new MemoryBackend();
        MongoServer server = new MongoServer(backend);
        server.bind("127.0.0.1", Integer.parseInt(args[1]));
        System.err.println("DocumentServer (" + args[0] + ") listening on 127.0.0.1:" + args[1]);

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                // Closes the backend last (MongoServer 1.47.0), after its event loops have stopped.
                server.shutdown();
            } finally {
                // Again, in case stopping the event loops threw before that: closing twice is
                // harmless, skipping it would drop H2's uncommitted second.
                backend.close();
                System.err.println("DocumentServer stopped");
                stopped.countDown();
            }
        }, "document-server-shutdown"));
        stopped.await();
    }

    /** H2 that commits each write before the reply acknowledges it. */
    static final class CommittingH2Backend extends H2Backend {
        private static final Set<String> WRITES = Set.of("insert", "update", "delete", "findandmodify",
                "createindexes", "dropindexes", "drop", "dropdatabase", "create", "renamecollection");

        CommittingH2Backend(String file) {
            super(file);
        }

        @Override
        public Document handleCommand(Channel channel, String database, String command, Document query) {
            Document reply = super.handleCommand(channel, database, command, query);
            if (WRITES.contains(command.toLowerCase(Locale.ROOT))) {
                commit();
            }
            return reply;
        }
    }
}
