// Parses a standalone application JobManager's arguments with Flink's own entrypoint parser
// (StandaloneApplicationClusterConfigurationParserFactory, what standalone-job.sh runs) and
// prints the dynamic properties and the program arguments it finds. Used by
// scripts/verify-operator-args.py. The getters sit on a package-private superclass.
import java.lang.reflect.Method;
import java.util.Arrays;
import org.apache.flink.runtime.entrypoint.parser.CommandLineParser;
import org.apache.flink.container.entrypoint.StandaloneApplicationClusterConfigurationParserFactory;
public class EntrypointArgs { public static void main(String[] a) throws Exception {
  Object c = new CommandLineParser<>(new StandaloneApplicationClusterConfigurationParserFactory()).parse(a);
  for (String name : new String[] {"getDynamicProperties", "getArgs"}) {
    Method m = null;
    for (Class<?> k = c.getClass(); m == null && k != null; k = k.getSuperclass()) {
      try { m = k.getDeclaredMethod(name); } catch (NoSuchMethodException e) { }
    }
    m.setAccessible(true);
    Object v = m.invoke(c);
    System.out.println(name + "=" + (v instanceof String[] ? Arrays.toString((String[]) v) : v));
  }
}}
