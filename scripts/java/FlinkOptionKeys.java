// Prints each key read from stdin that no ConfigOption of the given Flink jars declares (as its
// key or a fallback key). Used by scripts/verify-with-flink.py: every option flinkgen writes
// itself must be one the target Flink version knows. With --all first, prints every declared
// key instead, sorted (scripts/option-keys.py keeps them per version in src/flink/keys/). With
// --deprecated first, prints `<deprecated key> <its option's key>` for every fallback key Flink
// marks deprecated, sorted (kept beside them as <line>.deprecated.txt).
import java.lang.reflect.*;
import java.util.*;
import java.util.zip.*;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.FallbackKey;

public class FlinkOptionKeys {
    public static void main(String[] a) throws Exception {
        Set<String> keys = new HashSet<>();
        Set<String> deprecated = new TreeSet<>();
        boolean all = a.length > 0 && a[0].equals("--all");
        boolean old = a.length > 0 && a[0].equals("--deprecated");
        for (String jar : all || old ? Arrays.copyOfRange(a, 1, a.length) : a) {
            try (ZipFile z = new ZipFile(jar)) {
                for (Enumeration<? extends ZipEntry> e = z.entries(); e.hasMoreElements();) {
                    String n = e.nextElement().getName();
                    if (!n.startsWith("org/apache/flink/") || !n.endsWith(".class") || n.contains("$")) continue;
                    String simple = n.substring(n.lastIndexOf('/') + 1);
                    if (!(simple.endsWith("Options.class") || simple.endsWith("Configuration.class"))) continue;
                    String cls = n.substring(0, n.length() - 6).replace('/', '.');
                    try {
                        Class<?> c = Class.forName(cls, true, FlinkOptionKeys.class.getClassLoader());
                        for (Field f : c.getDeclaredFields()) {
                            if (!Modifier.isStatic(f.getModifiers()) || !ConfigOption.class.isAssignableFrom(f.getType())) continue;
                            f.setAccessible(true);
                            ConfigOption<?> o = (ConfigOption<?>) f.get(null);
                            keys.add(o.key());
                            for (FallbackKey k : o.fallbackKeys()) {
                                keys.add(k.getKey());
                                if (k.isDeprecated()) deprecated.add(k.getKey() + " " + o.key());
                            }
                        }
                    } catch (Throwable t) { }
                }
            }
        }
        if (old) {
            for (String d : deprecated) System.out.println(d);
            return;
        }
        if (all) {
            for (String k : new TreeSet<>(keys)) System.out.println(k);
            return;
        }
        Scanner in = new Scanner(System.in);
        while (in.hasNextLine()) {
            String k = in.nextLine().trim();
            if (!k.isEmpty() && !keys.contains(k)) System.out.println(k);
        }
    }
}
