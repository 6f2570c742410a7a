// flinkgen's HA upgrade step: the init container of an application JobManager with Kubernetes
// HA runs it before Flink starts. A new JobManager finds its job id among the jobs recovered
// from the HA ConfigMaps and resumes the stored job graph instead of the new one (Flink's
// EmbeddedExecutor), so a new jar, topology or configuration would not take effect. When the
// pod's configuration hash differs from the one recorded on the ConfigMaps, this removes the
// stored graphs ("jobGraph-" keys on 1.x, "executionPlan-" on 2.x) and keeps the checkpoint
// pointers, as the Flink Kubernetes Operator does before an upgrade; the job then starts anew
// from its latest checkpoint. A restart with the same configuration and program (image and
// JobManager arguments) keeps the graph.
//
// Compiled with `javac --release 8` (scripts/build-ha-upgrade.sh) into HaUpgrade.class beside
// this file, which flinkgen embeds: it needs only the JRE of any Flink image.
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

public final class HaUpgrade {
    static final String ANNOTATION = "flinkgen/job-sha256";

    public static void main(String[] args) throws Exception {
        String namespace = env("FLINKGEN_NAMESPACE");
        String clusterId = env("FLINKGEN_CLUSTER_ID");
        // What the stored graph was made from: the configuration (the pod's hash of everything
        // it mounts) and the program (image and arguments).
        String config = env("FLINKGEN_CONFIG_SHA256") + "-" + env("FLINKGEN_PROGRAM_SHA256");
        String account = System.getenv("FLINKGEN_SERVICE_ACCOUNT_DIR");
        if (account == null) {
            account = "/var/run/secrets/kubernetes.io/serviceaccount";
        }
        String token = new String(Files.readAllBytes(Paths.get(account, "token")), StandardCharsets.UTF_8).trim();
        SSLContext tls = tls(Paths.get(account, "ca.crt").toString());
        String api = "https://" + env("KUBERNETES_SERVICE_HOST") + ":" + env("KUBERNETES_SERVICE_PORT");
        String base = api + "/api/v1/namespaces/" + namespace + "/configmaps";
        String selector = URLEncoder.encode("app=" + clusterId + ",type=flink-native-kubernetes", "UTF-8");
        for (int attempt = 1; ; attempt++) {
            Object[] list = call(tls, token, "GET", base + "?labelSelector=" + selector, null);
            if ((Integer) list[0] != 200) {
                throw new IllegalStateException("listing the HA ConfigMaps: HTTP " + list[0] + " " + list[1]);
            }
            boolean conflict = false;
            for (Object item : items(parse((String) list[1]))) {
                @SuppressWarnings("unchecked")
                Map<String, Object> map = (Map<String, Object>) item;
                conflict |= !clean(tls, token, base, map, config);
            }
            if (!conflict) {
                return;
            }
            if (attempt == 5) {
                throw new IllegalStateException("the HA ConfigMaps kept changing; giving up after 5 attempts");
            }
            Thread.sleep(500L * attempt);
        }
    }

    /** Removes the stored graphs of one ConfigMap unless it records this configuration;
     *  false when another writer changed it first (409), so the caller reads again. */
    @SuppressWarnings("unchecked")
    static boolean clean(SSLContext tls, String token, String base, Map<String, Object> map, String config)
            throws Exception {
        Map<String, Object> metadata = (Map<String, Object>) map.get("metadata");
        Map<String, Object> data = (Map<String, Object>) map.get("data");
        String name = (String) metadata.get("name");
        if (data == null) {
            return true;
        }
        Map<String, Object> annotations = (Map<String, Object>) metadata.get("annotations");
        if (annotations == null) {
            annotations = new LinkedHashMap<>();
            metadata.put("annotations", annotations);
        }
        boolean graphs = false;
        for (String key : data.keySet()) {
            graphs |= key.startsWith("jobGraph-") || key.startsWith("executionPlan-");
        }
        if (!graphs) {
            return true;
        }
        if (config.equals(annotations.get(ANNOTATION))) {
            System.out.println("flinkgen: " + name + " holds the job graph of this configuration; Flink resumes it");
            return true;
        }
        List<String> removed = new ArrayList<>();
        for (Iterator<String> it = data.keySet().iterator(); it.hasNext(); ) {
            String key = it.next();
            if (key.startsWith("jobGraph-") || key.startsWith("executionPlan-")) {
                removed.add(key);
                it.remove();
            }
        }
        annotations.put(ANNOTATION, config);
        // The resourceVersion read is sent back: the API server refuses the write (409) if
        // Flink or another pod changed the ConfigMap since.
        Object[] put = call(tls, token, "PUT", base + "/" + name, write(map));
        if ((Integer) put[0] == 409) {
            return false;
        }
        if ((Integer) put[0] != 200) {
            throw new IllegalStateException("updating " + name + ": HTTP " + put[0] + " " + put[1]);
        }
        System.out.println("flinkgen: removed " + removed + " from " + name
                + " (a new configuration); the job starts from its latest checkpoint");
        return true;
    }

    @SuppressWarnings("unchecked")
    static List<Object> items(Object list) {
        Object items = ((Map<String, Object>) list).get("items");
        return items == null ? new ArrayList<Object>() : (List<Object>) items;
    }

    static String env(String name) {
        String v = System.getenv(name);
        if (v == null || v.isEmpty()) {
            throw new IllegalStateException(name + " is not set");
        }
        return v;
    }

    static SSLContext tls(String caFile) throws Exception {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        int n = 0;
        try (InputStream in = Files.newInputStream(Paths.get(caFile))) {
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("ca" + n++, c);
            }
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }

    /** {status, body}. */
    static Object[] call(SSLContext tls, String token, String method, String url, String body) throws Exception {
        HttpsURLConnection c = (HttpsURLConnection) new URL(url).openConnection();
        c.setSSLSocketFactory(tls.getSocketFactory());
        c.setRequestMethod(method);
        c.setRequestProperty("Authorization", "Bearer " + token);
        c.setRequestProperty("Accept", "application/json");
        c.setConnectTimeout(10000);
        c.setReadTimeout(30000);
        if (body != null) {
            c.setDoOutput(true);
            c.setRequestProperty("Content-Type", "application/json");
            try (OutputStream out = c.getOutputStream()) {
                out.write(body.getBytes(StandardCharsets.UTF_8));
            }
        }
        int status = c.getResponseCode();
        InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        if (in != null) {
            byte[] buf = new byte[8192];
            for (int r; (r = in.read(buf)) > 0; ) {
                bytes.write(buf, 0, r);
            }
            in.close();
        }
        return new Object[] {status, new String(bytes.toByteArray(), StandardCharsets.UTF_8)};
    }

    // Just enough JSON for Kubernetes objects, in this one class (one class file to embed):
    // maps keep their order; numbers come back as Long or BigDecimal, which write as read.

    static Object parse(String text) {
        int[] at = {0};
        Object v = value(text, at);
        space(text, at);
        if (at[0] != text.length()) {
            throw new IllegalArgumentException("trailing text at " + at[0]);
        }
        return v;
    }

    static void space(String s, int[] at) {
        while (at[0] < s.length() && Character.isWhitespace(s.charAt(at[0]))) {
            at[0]++;
        }
    }

    static void expect(String s, int[] at, char c) {
        if (s.charAt(at[0]) != c) {
            throw new IllegalArgumentException("expected " + c + " at " + at[0]);
        }
        at[0]++;
    }

    static Object value(String s, int[] at) {
        space(s, at);
        char c = s.charAt(at[0]);
        if (c == '{') {
            Map<String, Object> m = new LinkedHashMap<>();
            at[0]++;
            space(s, at);
            if (s.charAt(at[0]) == '}') {
                at[0]++;
                return m;
            }
            while (true) {
                space(s, at);
                String k = string(s, at);
                space(s, at);
                expect(s, at, ':');
                m.put(k, value(s, at));
                space(s, at);
                if (s.charAt(at[0]) == ',') {
                    at[0]++;
                    continue;
                }
                expect(s, at, '}');
                return m;
            }
        }
        if (c == '[') {
            List<Object> l = new ArrayList<>();
            at[0]++;
            space(s, at);
            if (s.charAt(at[0]) == ']') {
                at[0]++;
                return l;
            }
            while (true) {
                l.add(value(s, at));
                space(s, at);
                if (s.charAt(at[0]) == ',') {
                    at[0]++;
                    continue;
                }
                expect(s, at, ']');
                return l;
            }
        }
        if (c == '"') {
            return string(s, at);
        }
        int start = at[0];
        while (at[0] < s.length() && "{}[],: \t\r\n".indexOf(s.charAt(at[0])) < 0) {
            at[0]++;
        }
        String word = s.substring(start, at[0]);
        if (word.equals("null")) {
            return null;
        }
        if (word.equals("true") || word.equals("false")) {
            return Boolean.valueOf(word);
        }
        if (word.matches("-?[0-9]+")) {
            return Long.valueOf(word);
        }
        return new BigDecimal(word);
    }

    static String string(String s, int[] at) {
        expect(s, at, '"');
        StringBuilder b = new StringBuilder();
        while (true) {
            char c = s.charAt(at[0]++);
            if (c == '"') {
                return b.toString();
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = s.charAt(at[0]++);
            switch (e) {
                case 'n': b.append('\n'); break;
                case 't': b.append('\t'); break;
                case 'r': b.append('\r'); break;
                case 'b': b.append('\b'); break;
                case 'f': b.append('\f'); break;
                case 'u': b.append((char) Integer.parseInt(s.substring(at[0], at[0] + 4), 16)); at[0] += 4; break;
                default: b.append(e);
            }
        }
    }

    static String write(Object v) {
        StringBuilder b = new StringBuilder();
        write(v, b);
        return b.toString();
    }

    @SuppressWarnings("unchecked")
    static void write(Object v, StringBuilder b) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof String) {
            quote((String) v, b);
        } else if (v instanceof BigDecimal) {
            b.append(((BigDecimal) v).toString());
        } else if (v instanceof Long || v instanceof Boolean) {
            b.append(v.toString());
        } else if (v instanceof Map) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<String, Object> e : ((Map<String, Object>) v).entrySet()) {
                if (!first) {
                    b.append(',');
                }
                first = false;
                quote(e.getKey(), b);
                b.append(':');
                write(e.getValue(), b);
            }
            b.append('}');
        } else {
            b.append('[');
            boolean first = true;
            for (Object o : (List<Object>) v) {
                if (!first) {
                    b.append(',');
                }
                first = false;
                write(o, b);
            }
            b.append(']');
        }
    }

    static void quote(String s, StringBuilder b) {
        b.append('"');
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        b.append('"');
    }
}
