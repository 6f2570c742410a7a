// Prints each key read from stdin that no ConfigOption of the given Flink jars declares (as its
// key or a fallback key). Used by scripts/verify-with-flink.py: every option flinkgen writes
// itself must be one the target Flink version knows. With --all first, prints every declared
// key instead, sorted (scripts/option-keys.py keeps them per version in src/flink/keys/).
import java.lang.reflect.*;
import java.util.*;
import java.util.zip.*;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.FallbackKey;

public class FlinkOptionKeys {
    public static void main(String[] a) throws Exception {
        Set<String> keys = new HashSet<>();
        boolean all = a.length > 0 && a[0].equals("--all");
        for (String jar : all ? Arrays.copyOfRange(a, 1, a.length) : a) {
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
                            for (FallbackKey k : o.fallbackKeys()) keys.add(k.getKey());
                        }
                    } catch (Throwable t) { }
                }
            }
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
