import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Readiness probes used by deploy/local/infra.sh.
 *
 * Both probes speak the real wire protocol (a Kafka metadata request, a MongoDB
 * OP_MSG "ping") instead of only checking that a port accepts connections, and
 * both poll inside one JVM so that waiting does not pay JVM start-up per try.
 * They also watch the server's pid so a crashed server fails fast rather than
 * after the full timeout.
 *
 * Exit codes: 0 ready, 2 usage, 3 server process gone, 4 timed out, 5 other error.
 *
 *   InfraProbe kafka HOST:PORT PID TIMEOUT_S PARTITIONS TOPIC[,TOPIC...]
 *       (the Kafka jars must be on the classpath; "-" as topic list = none)
 *   InfraProbe kafka HOST:PORT[,HOST:PORT...] PID[,PID...] TIMEOUT_S PARTITIONS TOPICS REPLICATION NODE_ID[,NODE_ID...]
 *       (a cluster: fails when any of the pids exits, waits until every listed node is
 *       registered, creates topics with REPLICATION replicas)
 *   InfraProbe partitions HOST:PORT[,...] TOPIC
 *       (one line per partition: "partition P leader L replicas A,B,C isr A,B"; leader -1: none)
 *   InfraProbe mongo HOST PORT PID TIMEOUT_S
 *       (no dependencies)
 *
 * PID 0 disables the liveness check.
 */
public final class InfraProbe {
    private static final long POLL_MS = 200;

    public static void main(String[] args) {
        int rc;
        try {
            if (args.length == 6 && args[0].equals("kafka")) {
                rc = kafka(args[1], args[2], Integer.parseInt(args[3]),
                        Integer.parseInt(args[4]), args[5], (short) 1, List.of());
            } else if (args.length == 8 && args[0].equals("kafka")) {
                List<Integer> nodes = new ArrayList<>();
                for (String n : args[7].split(",")) {
                    nodes.add(Integer.parseInt(n.trim()));
                }
                rc = kafka(args[1], args[2], Integer.parseInt(args[3]),
                        Integer.parseInt(args[4]), args[5], Short.parseShort(args[6]), nodes);
            } else if (args.length == 3 && args[0].equals("partitions")) {
                rc = partitions(args[1], args[2]);
            } else if (args.length == 5 && args[0].equals("mongo")) {
                rc = mongo(args[1], Integer.parseInt(args[2]), Long.parseLong(args[3]),
                        Integer.parseInt(args[4]));
            } else {
                System.err.println("usage: InfraProbe kafka HOST:PORT PID TIMEOUT_S PARTITIONS TOPICS [REPLICATION NODE_IDS]");
                System.err.println("       InfraProbe partitions HOST:PORT TOPIC");
                System.err.println("       InfraProbe mongo HOST PORT PID TIMEOUT_S");
                rc = 2;
            }
        } catch (Exception e) {
            System.err.println("probe error: " + e);
            rc = 5;
        }
        // Kafka's admin client leaves non-daemon threads behind on some paths; exit hard.
        System.exit(rc);
    }

    /** True while the process exists and is not a zombie. */
    static boolean alive(long pid) {
        if (pid <= 0) {
            return true;
        }
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isEmpty() || !h.get().isAlive()) {
            return false;
        }
        Path stat = Path.of("/proc/" + pid + "/stat");
        if (Files.isReadable(stat)) {
            try {
                String s = Files.readString(stat);
                int i = s.lastIndexOf(')');
                if (i > 0 && i + 2 < s.length() && s.charAt(i + 2) == 'Z') {
                    return false;
                }
            } catch (IOException ignored) {
                // the process may have just exited; the next poll decides
            }
        }
        return true;
    }

    // ---------------------------------------------------------------- Kafka

    /** True while every process of the comma-separated list is alive. */
    static boolean allAlive(String pids) {
        for (String p : pids.split(",")) {
            if (!alive(Long.parseLong(p.trim()))) {
                return false;
            }
        }
        return true;
    }

    static int kafka(String bootstrap, String pid, int timeoutS, int partitions, String topicsCsv,
            short replication, List<Integer> nodeIds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutS);
        List<String> wanted = new ArrayList<>();
        if (!topicsCsv.equals("-")) {
            for (String t : topicsCsv.split(",")) {
                if (!t.isBlank()) {
                    wanted.add(t.trim());
                }
            }
        }

        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "civic146-infra-probe");
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
        p.put(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, "50");
        p.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "250");
        p.put(AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, "100");
        p.put(AdminClientConfig.RETRY_BACKOFF_MAX_MS_CONFIG, "250");

        String lastError = "no answer yet";
        try (Admin admin = Admin.create(p)) {
            // 1. Wait until the broker answers a metadata request and lists itself.
            while (true) {
                if (!allAlive(pid)) {
                    System.err.println("kafka process " + pid + " exited (last probe error: " + lastError + ")");
                    return 3;
                }
                try {
                    Collection<Node> nodes = admin.describeCluster().nodes().get(1500, TimeUnit.MILLISECONDS);
                    Set<Integer> registered = nodes.stream().map(Node::id).collect(Collectors.toSet());
                    if (!nodes.isEmpty() && registered.containsAll(nodeIds)) {
                        break;
                    }
                    lastError = nodes.isEmpty() ? "cluster has no registered broker yet"
                            : "registered brokers " + registered + ", waiting for " + nodeIds;
                } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                    lastError = rootMessage(e);
                }
                if (System.nanoTime() > deadline) {
                    System.err.println("kafka not ready on " + bootstrap + ": " + lastError);
                    return 4;
                }
                Thread.sleep(POLL_MS);
            }

            // 2. Create the topics that do not exist yet. Right after start-up the
            //    broker can still be fenced, so creation is retried until the deadline.
            List<String> created = new ArrayList<>();
            while (true) {
                if (!allAlive(pid)) {
                    System.err.println("kafka process " + pid + " exited while creating topics");
                    return 3;
                }
                try {
                    Set<String> existing = admin.listTopics().names().get(3, TimeUnit.SECONDS);
                    List<NewTopic> missing = wanted.stream()
                            .filter(t -> !existing.contains(t))
                            .map(t -> new NewTopic(t, partitions, replication))
                            .collect(Collectors.toList());
                    if (missing.isEmpty()) {
                        break;
                    }
                    CreateTopicsResult res = admin.createTopics(missing);
                    boolean retry = false;
                    for (Map.Entry<String, org.apache.kafka.common.KafkaFuture<Void>> e : res.values().entrySet()) {
                        try {
                            e.getValue().get(5, TimeUnit.SECONDS);
                            created.add(e.getKey());
                        } catch (ExecutionException ex) {
                            if (!(ex.getCause() instanceof TopicExistsException)) {
                                retry = true;
                                lastError = e.getKey() + ": " + rootMessage(ex);
                            }
                        }
                    }
                    if (!retry) {
                        break;
                    }
                } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                    lastError = rootMessage(e);
                }
                if (System.nanoTime() > deadline) {
                    System.err.println("kafka topic creation failed: " + lastError);
                    return 4;
                }
                Thread.sleep(POLL_MS);
            }
            if (!created.isEmpty()) {
                created.sort(null);
                System.out.println("created topics (" + partitions + " partitions, rf " + replication + "): "
                        + String.join(",", created));
            }
            return 0;
        }
    }

    static int partitions(String bootstrap, String topic) throws InterruptedException {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "civic146-infra-probe");
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
        try (Admin admin = Admin.create(p)) {
            TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames()
                    .get(10, TimeUnit.SECONDS).get(topic);
            for (TopicPartitionInfo info : d.partitions()) {
                Node leader = info.leader();
                System.out.println("partition " + info.partition()
                        + " leader " + (leader == null || leader.isEmpty() ? -1 : leader.id())
                        + " replicas " + ids(info.replicas()) + " isr " + ids(info.isr()));
            }
            return 0;
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            System.err.println("cannot describe topic " + topic + " on " + bootstrap + ": " + rootMessage(e));
            return 5;
        }
    }

    static String ids(List<Node> nodes) {
        return nodes.stream().map(n -> String.valueOf(n.id())).collect(Collectors.joining(","));
    }

    static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        String m = c.getMessage();
        return c.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    // ---------------------------------------------------------------- MongoDB

    static int mongo(String host, int port, long pid, int timeoutS) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutS);
        String lastError = "no answer yet";
        while (true) {
            if (!alive(pid)) {
                System.err.println("mongo-compatible server process " + pid + " exited (last probe error: "
                        + lastError + ")");
                return 3;
            }
            try {
                if (mongoPing(host, port)) {
                    return 0;
                }
                lastError = "ping answered without ok: 1";
            } catch (IOException e) {
                lastError = e.toString();
            }
            if (System.nanoTime() > deadline) {
                System.err.println("no MongoDB ping answer from " + host + ":" + port + ": " + lastError);
                return 4;
            }
            Thread.sleep(POLL_MS);
        }
    }

    /** Sends OP_MSG {ping: 1, $db: "admin"} and checks the reply for ok == 1. */
    static boolean mongoPing(String host, int port) throws IOException {
        byte[] doc = bsonDoc(
                bsonInt32("ping", 1),
                bsonString("$db", "admin"));
        ByteBuffer msg = ByteBuffer.allocate(16 + 4 + 1 + doc.length).order(ByteOrder.LITTLE_ENDIAN);
        msg.putInt(msg.capacity()); // messageLength
        msg.putInt(1);              // requestID
        msg.putInt(0);              // responseTo
        msg.putInt(2013);           // opCode OP_MSG
        msg.putInt(0);              // flagBits
        msg.put((byte) 0);          // section kind 0: body
        msg.put(doc);

        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 500);
            s.setSoTimeout(2000);
            OutputStream out = s.getOutputStream();
            out.write(msg.array());
            out.flush();

            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] hdr = new byte[16];
            in.readFully(hdr);
            ByteBuffer h = ByteBuffer.wrap(hdr).order(ByteOrder.LITTLE_ENDIAN);
            int len = h.getInt();
            h.getInt(); // requestID
            int responseTo = h.getInt();
            int opCode = h.getInt();
            if (len < 21 || len > 16 * 1024 * 1024 || opCode != 2013 || responseTo != 1) {
                throw new IOException("unexpected reply header (len=" + len + ", opCode=" + opCode + ")");
            }
            byte[] body = new byte[len - 16];
            in.readFully(body);
            ByteBuffer b = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
            b.getInt();                 // flagBits
            if (b.get() != 0) {         // expect a body section
                throw new IOException("unexpected reply section kind");
            }
            return bsonOk(b);
        }
    }

    static byte[] cstring(String s) {
        byte[] raw = s.getBytes(StandardCharsets.UTF_8);
        return Arrays.copyOf(raw, raw.length + 1);
    }

    static byte[] bsonInt32(String name, int v) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(0x10);
        o.writeBytes(cstring(name));
        o.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
        return o.toByteArray();
    }

    static byte[] bsonString(String name, String v) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        byte[] val = cstring(v);
        o.write(0x02);
        o.writeBytes(cstring(name));
        o.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(val.length).array());
        o.writeBytes(val);
        return o.toByteArray();
    }

    static byte[] bsonDoc(byte[]... elements) {
        int size = 4 + 1;
        for (byte[] e : elements) {
            size += e.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(size);
        for (byte[] e : elements) {
            b.put(e);
        }
        b.put((byte) 0);
        return b.array();
    }

    /** Scans the top-level elements of a BSON document for a numeric "ok" equal to 1. */
    static boolean bsonOk(ByteBuffer b) throws IOException {
        int start = b.position();
        int size = b.getInt();
        int end = start + size - 1;
        while (b.position() < end) {
            byte type = b.get();
            StringBuilder name = new StringBuilder();
            for (byte c; (c = b.get()) != 0; ) {
                name.append((char) c);
            }
            boolean isOk = name.toString().equals("ok");
            switch (type) {
                case 0x01: { double d = b.getDouble(); if (isOk) return d == 1.0; break; }
                case 0x10: { int i = b.getInt(); if (isOk) return i == 1; break; }
                case 0x12: { long l = b.getLong(); if (isOk) return l == 1L; break; }
                case 0x08: { byte v = b.get(); if (isOk) return v == 1; break; }
                case 0x02: case 0x0D: case 0x0E: skip(b, b.getInt()); break;
                case 0x03: case 0x04: skip(b, b.getInt() - 4); break;
                case 0x05: skip(b, b.getInt() + 1); break;
                case 0x07: skip(b, 12); break;
                case 0x09: case 0x11: skip(b, 8); break;
                case 0x13: skip(b, 16); break;
                case 0x0A: case (byte) 0xFF: case 0x7F: break;
                default: throw new IOException("unsupported BSON type 0x" + Integer.toHexString(type & 0xff));
            }
        }
        return false;
    }

    static void skip(ByteBuffer b, int n) {
        b.position(b.position() + n);
    }
}
